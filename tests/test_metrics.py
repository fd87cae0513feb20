"""The ranking metrics agree with ranx on the same qrels and runs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rag.evaluation import metrics as m
from rag.evaluation.qaset import QAItem
from rag.evaluation.runner import HitRecord, QuestionRecord, compute_metrics

with warnings.catch_warnings():
    # numba, under ranx, warns about its own integer casts.
    warnings.simplefilter("ignore")
    import ranx

METRICS = ["recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10"]

# Relevant articles per question.
QRELS: dict[str, set[str]] = {
    "first": {"a"},
    "third_after_repeats": {"c"},
    "two_relevant_one_found": {"b", "z"},
    "not_retrieved": {"z"},
    "empty_run": {"a"},
    "beyond_ten": {"l"},
    "three_relevant_spread": {"a", "e", "k"},
    "all_relevant": {"a", "b"},
}
# Article of each hit, best first; an article may come back several times
# (several of its passages), and only its first hit counts.
HITS: dict[str, list[str]] = {
    "first": ["a", "b", "c"],
    "third_after_repeats": ["a", "a", "b", "a", "c", "c"],
    "two_relevant_one_found": ["x", "b", "b", "y"],
    "not_retrieved": ["a", "b", "c", "d", "e"],
    "empty_run": [],
    "beyond_ten": list("abcdefghijkl"),
    "three_relevant_spread": ["a", "b", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"],
    "all_relevant": ["b", "a"],
}


def _ranx_scores(
    qrels: dict[str, set[str]], run: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Per-question ranx scores: metric → question → value."""
    ranx_qrels = ranx.Qrels({q: dict.fromkeys(docs, 1) for q, docs in qrels.items()})
    ranx_run = ranx.Run({q: docs for q, docs in run.items() if docs})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ranx.evaluate(ranx_qrels, ranx_run, METRICS, make_comparable=True)
    return {name: dict(ranx_run.scores[name]) for name in METRICS}


def _ours(ranking: list[str], relevant: set[str]) -> dict[str, float]:
    scores = {f"recall@{k}": m.recall_at_k(ranking, relevant, k) for k in (1, 3, 5, 10)}
    scores["mrr@10"] = m.reciprocal_rank(ranking, relevant, 10)
    scores["ndcg@10"] = m.ndcg_at_k(ranking, relevant, 10)
    return scores


def _as_run(ranking: list[str]) -> dict[str, float]:
    # Strictly decreasing scores, so ranx keeps exactly this order.
    return {doc: float(len(ranking) - i) for i, doc in enumerate(ranking)}


def test_hand_made_runs_match_ranx() -> None:
    rankings = {q: m.article_ranking(hits) for q, hits in HITS.items()}
    expected = _ranx_scores(QRELS, {q: _as_run(r) for q, r in rankings.items()})
    for q, ranking in rankings.items():
        ours = _ours(ranking, QRELS[q])
        for name in METRICS:
            assert ours[name] == pytest.approx(expected[name][q], abs=1e-9), (q, name)


def test_tied_scores_match_ranx() -> None:
    # Equal scores keep the order the retriever gave, in both implementations.
    runs = {
        "tie_relevant_second": {"a": 0.5, "b": 0.5, "c": 0.1},
        "tie_relevant_first": {"b": 0.5, "a": 0.5, "c": 0.1},
        "three_way_tie": {"x": 0.3, "y": 0.3, "a": 0.3, "z": 0.9},
        "tie_below_relevant": {"b": 0.9, "c": 0.2, "d": 0.2},
    }
    qrels = {q: {"b"} if q != "three_way_tie" else {"a", "y"} for q in runs}
    expected = _ranx_scores(qrels, runs)
    assert expected["recall@1"]["tie_relevant_second"] != expected["recall@1"]["tie_relevant_first"]
    for q, scores in runs.items():
        ours = _ours(m.ranking_from_scores(scores), qrels[q])
        for name in METRICS:
            assert ours[name] == pytest.approx(expected[name][q], abs=1e-9), (q, name)


def test_random_runs_match_ranx() -> None:
    rng = np.random.default_rng(7)
    docs = [f"d{i}" for i in range(15)]
    qrels, runs = {}, {}
    for q in range(40):
        qrels[f"q{q}"] = set(rng.choice(docs, size=int(rng.integers(1, 4)), replace=False))
        depth = int(rng.integers(0, 14))
        ranking = list(rng.choice(docs, size=depth, replace=False))
        runs[f"q{q}"] = _as_run(ranking)
    expected = _ranx_scores(qrels, runs)
    for q, run in runs.items():
        ours = _ours(m.ranking_from_scores(run), qrels[q])
        for name in METRICS:
            assert ours[name] == pytest.approx(expected[name][q], abs=1e-9), (q, name)


def _record(qid: str, relevant: set[str], hits: list[str]) -> QuestionRecord:
    item = QAItem(qid, f"câu hỏi {qid}?", tuple(sorted(relevant)), (), "factoid")
    return QuestionRecord(
        item=item,
        hits=tuple(
            HitRecord(rank=i + 1, article_id=a, chunk_id=f"{a}#{i}", score=1.0 / (i + 1))
            for i, a in enumerate(hits)
        ),
        answer="",
        abstained=True,
        cited_article_ids=(),
        latency_ms=1.0,
    )


def test_averaged_metrics_match_ranx_means_and_skip_unanswerable() -> None:
    records = [_record(q, QRELS[q], HITS[q]) for q in QRELS]
    # An unanswerable question has no relevant article and must not count.
    records.append(_record("no_answer", set(), ["a", "b"]))
    ours = compute_metrics(records)
    expected = _ranx_scores(
        QRELS, {q: _as_run(m.article_ranking(hits)) for q, hits in HITS.items()}
    )
    for name in METRICS:
        assert ours[name] == pytest.approx(np.mean(list(expected[name].values())), abs=1e-9)
    assert ours["answerable"] == len(QRELS)
    assert ours["unanswerable"] == 1


def test_article_ranking_keeps_first_hit_of_each_article() -> None:
    assert m.article_ranking(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]


def test_answer_match_ignores_case_and_spelling_style_but_not_diacritics() -> None:
    passage = "Hòa bình được lập lại sau khi Triều Tiên gửi 10.000 QUÂN."
    assert m.contains_answer(passage, ["10.000 quân"])
    assert m.contains_answer(passage, ["hoà bình"])  # new-style tone placement
    assert not m.contains_answer(passage, ["trieu tien"])
    assert not m.contains_answer(passage, [""])


def test_mean_and_percentile_leave_out_missing_values() -> None:
    assert m.mean([None, None]) is None
    assert m.mean([1.0, None, 0.0]) == pytest.approx(0.5)
    assert m.percentile([], 50) is None
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert m.percentile(values, 50) == pytest.approx(float(np.median(values)))
    assert m.percentile(values, 95) <= max(values)
