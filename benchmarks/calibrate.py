"""Choose the answerer's abstention thresholds from questions with known answers.

For every question of a question set the answerer is run with abstention off,
and its evidence (similarity, coverage, missing names) is recorded with whether
the answer it would give is right. A grid search then picks the thresholds that
maximise right replies (right answers plus abstentions on unanswerable
questions) while abstaining on at least 90 % of the unanswerable ones. A second
question set, not used for the choice, shows whether the choice generalises.

    python benchmarks/calibrate.py --corpus seeds --corpus tests/data/lookalikes \\
        --index /tmp/index-lookalikes --qa seeds/qa.jsonl --check tests/data/heldout_qa.jsonl
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.answering import Evidence, ExtractiveAnswerer, Thresholds
from rag.config import Settings
from rag.evaluation import load_qa
from rag.evaluation.metrics import contains_answer
from rag.index import build_index
from rag.pipeline import RAG
from rag.retrieval import dense_query, retrieve
from rag.text import normalize

MARGIN = 0.1


@dataclass(frozen=True)
class Row:
    answerable: bool
    right: bool  # the answer given without abstention would be right
    evidence: Evidence


def collect(app: RAG, path: Path) -> list[Row]:
    open_answerer = ExtractiveAnswerer(Thresholds(0.0, -1.0, -1.0), margin=MARGIN)
    rows = []
    for item in load_qa(path, app.index.articles):
        query = normalize(item.question)
        qvec = app.embedder.embed_queries([dense_query(app.index, query)])[0]
        hits = retrieve(app.index, query, qvec, k=app.settings.k)
        ev = open_answerer.evidence(query, hits, qvec, app.index)
        if ev is None:
            continue
        draft = open_answerer.answer(query, hits, qvec, app.index)
        cited = {c.article_id for c in draft.citations}
        right = bool(item.article_ids) and bool(cited & set(item.article_ids))
        right = right and (not item.answers or contains_answer(draft.text, item.answers))
        rows.append(Row(bool(item.article_ids), right, ev))
    return rows


def score(rows: list[Row], th: Thresholds) -> tuple[float, float, float]:
    """(share of right replies, abstain rate on unanswerable, on answerable)."""
    answerer = ExtractiveAnswerer(th)
    right = abst_un = abst_an = 0
    n_un = sum(1 for r in rows if not r.answerable) or 1
    n_an = sum(1 for r in rows if r.answerable) or 1
    for r in rows:
        abstains = answerer._abstain(r.evidence)
        if r.answerable:
            abst_an += abstains
            right += (not abstains) and r.right
        else:
            abst_un += abstains
            right += abstains
    return right / len(rows), abst_un / n_un, abst_an / n_an


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--qa", type=Path, required=True)
    parser.add_argument("--check", type=Path)
    parser.add_argument("--build", action="store_true", help="Build the index first.")
    args = parser.parse_args()
    settings = Settings(corpus=tuple(args.corpus), index=args.index)
    if args.build:
        from rag.embedding import load_embedder

        build_index(settings, load_embedder(settings))
    app = RAG.open(settings)
    rows = collect(app, args.qa)
    best: tuple[float, Thresholds] | None = None
    grid = itertools.product(
        np.arange(0.30, 0.71, 0.05), np.arange(0.76, 0.90, 0.01), np.arange(0.76, 0.86, 0.005)
    )
    for cov, sim, sim_f in grid:
        th = Thresholds(round(float(cov), 2), round(float(sim), 3), round(float(sim_f), 3))
        right, abst_un, _ = score(rows, th)
        if abst_un >= 0.9 and (best is None or right > best[0] + 1e-9):
            best = (right, th)
    assert best is not None, "no thresholds abstain on 90 % of the unanswerable questions"
    th = best[1]
    print(f"chosen   {th}")
    sets = [("fit", rows)]
    if args.check:
        sets.append(("check", collect(app, args.check)))
    for name, data in sets:
        for label, t in [("default", Thresholds()), ("chosen", th)]:
            right, abst_un, abst_an = score(data, t)
            print(
                f"{name:6s} {label:8s} right replies {right:.3f}  abstains: unanswerable "
                f"{abst_un:.3f}, answerable {abst_an:.3f}  ({len(data)} questions)"
            )


if __name__ == "__main__":
    main()
