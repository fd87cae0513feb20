"""Ranking and answer metrics, one question at a time.

Retrieval is judged at the article level: the hits of a question are turned
into a ranking of articles (each article at the position of its first hit), and
an article is relevant when the question set lists it (binary relevance). The
numbers follow the usual TREC definitions, the same as ``ranx``:

- Recall@k: the share of the relevant articles found in the first k,
- reciprocal rank @k: 1 / position of the first relevant article (0 beyond k),
- nDCG@k: DCG of the ranking over DCG of an ideal one, gains 1 or 0,
  discount ``1 / log2(position + 1)``.

Averages over questions are taken by the caller, which also decides which
questions count (retrieval metrics: answerable ones only).

>>> ranking = article_ranking(["b", "b", "a", "c"])
>>> ranking, recall_at_k(ranking, {"a"}, 1), reciprocal_rank(ranking, {"a"})
(['b', 'a', 'c'], 0.0, 0.5)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np

from ..text import normalize


def article_ranking(article_ids: Iterable[str]) -> list[str]:
    """Article ids in order of their first appearance, each once.

    >>> article_ranking(["a", "b", "a", "c", "b"])
    ['a', 'b', 'c']
    """
    return list(dict.fromkeys(article_ids))


def ranking_from_scores(scores: Mapping[str, float]) -> list[str]:
    """Ids by decreasing score; equal scores keep the order they were given in.

    >>> ranking_from_scores({"a": 0.2, "b": 0.9, "c": 0.2})
    ['b', 'a', 'c']
    """
    # sorted() is stable, so ties stay in retriever order rather than id order.
    return [doc for doc, _ in sorted(scores.items(), key=lambda item: -item[1])]


def recall_at_k(ranking: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Share of ``relevant`` found among the first ``k`` of ``ranking`` (0 if none is relevant).

    >>> recall_at_k(["a", "b", "c"], {"b", "z"}, 2)
    0.5
    """
    if not relevant:
        return 0.0
    found = sum(1 for doc in ranking[:k] if doc in relevant)
    return found / len(relevant)


def reciprocal_rank(ranking: Sequence[str], relevant: Collection[str], k: int = 10) -> float:
    """1 / position of the first relevant id within the first ``k``, else 0.

    >>> reciprocal_rank(["a", "b", "c"], {"c"})
    0.3333333333333333
    """
    for position, doc in enumerate(ranking[:k], start=1):
        if doc in relevant:
            return 1.0 / position
    return 0.0


def ndcg_at_k(ranking: Sequence[str], relevant: Collection[str], k: int = 10) -> float:
    """Normalised discounted cumulative gain over the first ``k``, binary gains.

    >>> round(ndcg_at_k(["x", "a"], {"a"}), 4)
    0.6309
    """
    if not relevant:
        return 0.0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    gains = np.array([1.0 if doc in relevant else 0.0 for doc in ranking[:k]])
    dcg = float(gains @ discounts[: len(gains)])
    # The ideal ranking puts every relevant id first, as many as fit in k.
    ideal = float(discounts[: min(len(relevant), k)].sum())
    return dcg / ideal


def first_relevant_position(ranking: Sequence[str], relevant: Collection[str]) -> int | None:
    """1-based position of the first relevant id, ``None`` if there is none.

    >>> first_relevant_position(["a", "b"], {"b"})
    2
    """
    for position, doc in enumerate(ranking, start=1):
        if doc in relevant:
            return position
    return None


def comparable(text: str) -> str:
    """The form in which answers are looked for: canonical NFC spelling, case-folded.

    Diacritics are kept: ``bán`` and ``bàn`` are different answers.

    >>> comparable("Hoà BÌNH")
    'hòa bình'
    """
    return normalize(text).casefold()


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    """True if ``text`` contains one of ``answers`` (compared with :func:`comparable`).

    >>> contains_answer("Triều Tiên gửi 10.000 quân", ["10.000 quân", "mười nghìn"])
    True
    """
    haystack = comparable(text)
    return any(needle and needle in haystack for needle in map(comparable, answers))


def mean(values: Iterable[float | bool | None]) -> float | None:
    """Mean of the values that are not ``None``; ``None`` when there are none.

    Metrics that do not apply to a question are ``None`` and left out, so a
    group with no applicable question reports ``None`` rather than 0.

    >>> mean([1.0, None, 0.0, True])
    0.6666666666666666
    """
    kept = [float(v) for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (linear interpolation), ``None`` for no values.

    >>> percentile([10.0, 20.0, 30.0, 40.0], 50)
    25.0
    """
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else None
