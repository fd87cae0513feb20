"""Measure the web chat: time from ``rag serve`` to ready, then answer latency under load.

Run from the project root::

    python benchmarks/bench_serve.py [--clients 10] [--questions 100] [--index DIR]

Steps: copy seeds/ to a temporary corpus and build its index with the default
model (or serve ``--corpus``/``--index`` as given); start ``rag serve`` on a free
loopback port and time it until it prints its ready line; ask a few warm-up
questions one at a time; then ``--clients`` gradio_client clients ask
``--questions`` questions in all through the ``/ask`` endpoint, at once.

Questions come from seeds/qa.jsonl, cycled. Prints time to ready, latency
p50/p95/max (one at a time and under load), throughput and the number of
errors. Nothing here asserts a time: a busy machine changes every number, so
the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from gradio_client import Client  # noqa: E402
from serve_helpers import SEEDS, Server, build_seed_index, start_server  # noqa: E402

FALLBACK_QUESTIONS = [
    "Triều Tiên đã gửi bao nhiêu quân đến hỗ trợ Nga?",
    "Hiệp ước New START quy định bao nhiêu đầu đạn hạt nhân?",
    "Nga co can lien minh quan su voi Trung Quoc khong?",
    "Giá vàng hôm nay bao nhiêu?",
]


def questions(n: int) -> list[str]:
    """``n`` questions from seeds/qa.jsonl (cycled), or a small fixed set without it."""
    path = SEEDS / "qa.jsonl"
    pool = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                pool.append(json.loads(line)["question"])
    pool = pool or FALLBACK_QUESTIONS
    return [pool[i % len(pool)] for i in range(n)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def summary(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{label:<28} n={len(ms):<4} p50 {percentile(ms, 50):7.0f} ms   "
        f"p95 {percentile(ms, 95):7.0f} ms   max {max(ms):7.0f} ms   "
        f"mean {statistics.fmean(ms):7.0f} ms"
    )


def load_check(
    server: Server, asked: list[str], clients: int
) -> tuple[list[float], list[str], float]:
    """Every client asks its share of ``asked`` in turn; all clients run at once."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    shares = [asked[i::clients] for i in range(clients)]
    # Connect first, so the timed part is questions only.
    connected = [Client(server.url, download_files=False, verbose=False) for _ in shares]

    def run(client: Client, share: list[str]) -> None:
        for question in share:
            t0 = time.perf_counter()
            try:
                answer = client.predict(question, api_name="/ask")
                if "answer" not in answer:
                    raise ValueError(f"no answer in {answer!r:.200}")
            except Exception as exc:  # counted and shown, the run goes on
                with lock:
                    errors.append(f"{question[:60]}: {type(exc).__name__}: {exc}")
                continue
            with lock:
                latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(run, c, s) for c, s in zip(connected, shares)]:
            future.result()
    return latencies, errors, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10, help="questions asked one at a time")
    parser.add_argument("--corpus", type=Path, help="serve this corpus (with --index)")
    parser.add_argument("--index", type=Path, help="serve this index instead of building one")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        if args.index:
            corpus, index = (args.corpus or SEEDS).resolve(), args.index.resolve()
        else:
            t0 = time.perf_counter()
            corpus, index = build_seed_index(Path(tmp))
            print(f"index of seeds/ built in {time.perf_counter() - t0:.1f} s")
        server = start_server(corpus, index)
        try:
            print(f"rag serve → ready:           {server.seconds_to_ready:.1f} s  ({server.url})")
            client = Client(server.url, download_files=False, verbose=False)
            warm = []
            for question in questions(args.warmup):
                t0 = time.perf_counter()
                client.predict(question, api_name="/ask")
                warm.append(time.perf_counter() - t0)
            print(summary("one at a time", warm))
            latencies, errors, wall = load_check(server, questions(args.questions), args.clients)
            print(summary(f"{args.clients} clients at once", latencies))
            print(
                f"{'throughput':<28} {len(latencies) / wall:.1f} answers/s "
                f"({len(latencies)} in {wall:.1f} s)"
            )
            print(f"{'errors':<28} {len(errors)} of {args.questions}")
            for line in errors[:10]:
                print(f"  {line}")
        finally:
            server.stop()
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
