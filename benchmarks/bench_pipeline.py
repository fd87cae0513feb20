"""Measure the whole pipeline on a laptop-class CPU and print the numbers.

    python benchmarks/bench_pipeline.py [--corpus seeds] [--questions seeds/qa.jsonl]

- cold start: a fresh ``python`` process that imports rag, loads the model and
  the index, and answers one question (what ``rag ask`` pays every time),
- model load time (warm file cache), index build time and chunks/s for the
  corpus (a fresh index: nothing reused),
- retrieval and full-answer latency, p50/p95, over the question set with the
  model loaded.

Nothing is asserted: a busy machine changes every number, so the load average
is printed beside them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.config import Settings  # noqa: E402
from rag.embedding import load_embedder  # noqa: E402
from rag.evaluation import load_qa  # noqa: E402
from rag.index import build_index  # noqa: E402
from rag.pipeline import RAG  # noqa: E402

COLD_START = """
import time, sys
t0 = time.perf_counter()
from pathlib import Path
from rag.config import Settings
from rag.pipeline import RAG
app = RAG.open(Settings(corpus=(Path(sys.argv[1]),), index=Path(sys.argv[2])))
t1 = time.perf_counter()
app.ask("Triều Tiên đã gửi bao nhiêu quân đến hỗ trợ Nga?")
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", type=Path)
    parser.add_argument("--questions", type=Path, default=ROOT / "seeds" / "qa.jsonl")
    parser.add_argument("--rounds", type=int, default=3, help="Passes over the questions.")
    args = parser.parse_args()
    corpus = tuple(args.corpus or [ROOT / "seeds"])
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(corpus=corpus, index=Path(tmp) / "index")

        start = time.perf_counter()
        embedder = load_embedder(settings)
        print(f"model load            {time.perf_counter() - start:7.2f} s  ({embedder.name})")

        report = build_index(settings, embedder)
        texts = report.chunks + report.sentences
        print(
            f"index build           {report.seconds:7.2f} s  {report.articles} articles, "
            f"{report.chunks} chunks ({report.chunks / report.seconds:.0f} chunks/s), "
            f"{report.sentences} sentences ({texts / report.seconds:.0f} texts/s embedded)"
        )

        cold = subprocess.run(
            [sys.executable, "-c", COLD_START, str(corpus[0]), str(settings.index)],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        ready, first = (float(x) for x in cold.stdout.split())
        print(f"cold start            {ready:7.2f} s  import + model + index; first answer "
              f"{first * 1000:.0f} ms")  # fmt: skip

        app = RAG.open(settings, embedder=embedder)
        questions = [item.question for item in load_qa(args.questions)]
        app.ask(questions[0])  # warm-up
        retrieve_ms: list[float] = []
        total_ms: list[float] = []
        for _ in range(args.rounds):
            for question in questions:
                start = time.perf_counter()
                answer = app.ask(question)
                total_ms.append((time.perf_counter() - start) * 1000)
                retrieve_ms.append(answer.timings_ms["retrieve"])
        for label, values in (("retrieval", retrieve_ms), ("full answer", total_ms)):
            print(
                f"{label:<21} p50 {percentile(values, 50):6.1f} ms  "
                f"p95 {percentile(values, 95):6.1f} ms  mean {statistics.fmean(values):6.1f} ms"
                f"  ({len(values)} questions)"
            )


if __name__ == "__main__":
    main()
