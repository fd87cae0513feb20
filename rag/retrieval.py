"""Find the passages that answer a question: dense, lexical, or both fused.

- dense: inner product of the question vector with the chunk vectors (FAISS);
  works across languages (an English question finds Vietnamese passages),
- lexical: BM25 over accented and diacritic-folded syllables (rag.lexical);
  exact names and numbers, and questions typed without tone marks,
- hybrid (default): reciprocal-rank fusion of the two lists, then a diversity
  pass so that one article does not fill every slot.

>>> hits = retrieve(index, "Ai ký New START?", qvec, mode="hybrid", k=5)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import RETRIEVERS
from .errors import ConfigError
from .index import Index
from .types import Hit, SearchFilter

# Constant of reciprocal-rank fusion: 60 is the usual choice; smaller values
# trust the head of each list more.
RRF_K = 60
# How deep each list is read before fusing.
CANDIDATES = 50
# At most this many passages of one article among the first k, while other
# articles still have relevant candidates.
PER_ARTICLE = 2


@dataclass(frozen=True)
class Ranked:
    """Candidate chunk positions with their scores, best first."""

    ids: np.ndarray
    scores: np.ndarray


def allowed_chunks(index: Index, filter: SearchFilter | None) -> np.ndarray | None:
    """Boolean mask of chunks whose article passes ``filter`` (None: all)."""
    if filter is None or filter.is_empty():
        return None
    ok_articles = np.array([filter.accepts(a) for a in index.article_list], dtype=bool)
    mask: np.ndarray = ok_articles[index.chunk_article]
    return mask


def dense(index: Index, qvec: np.ndarray, depth: int, mask: np.ndarray | None) -> Ranked:
    """The ``depth`` chunks nearest to ``qvec`` by inner product."""
    n = index.vectors.ntotal
    if n == 0:
        return Ranked(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    query = np.ascontiguousarray(qvec.reshape(1, -1), dtype=np.float32)
    if mask is None:
        scores, ids = index.vectors.search(query, min(depth, n))
        keep = ids[0] >= 0
        return Ranked(ids[0][keep], scores[0][keep])
    # Filtering is rare and corpora are small: score everything, then mask.
    import faiss

    allowed = np.flatnonzero(mask).astype(np.int64)
    if not len(allowed):
        return Ranked(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
    scores, ids = index.vectors.search(query, min(depth, len(allowed)), params=params)
    keep = ids[0] >= 0
    return Ranked(ids[0][keep], scores[0][keep])


def lexical(index: Index, question: str, depth: int, mask: np.ndarray | None) -> Ranked:
    """The ``depth`` best BM25 chunks; chunks sharing no term are left out."""
    scores = index.lexical.scores(question)
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    positive = np.flatnonzero(scores > 0)
    if len(positive) > depth:
        positive = positive[np.argpartition(-scores[positive], depth - 1)[:depth]]
    order = positive[np.argsort(-scores[positive], kind="stable")]
    return Ranked(order.astype(np.int64), scores[order].astype(np.float32))


def fuse(lists: list[Ranked], weights: list[float], k: int = RRF_K) -> Ranked:
    """Reciprocal-rank fusion: each list adds ``weight / (k + rank)`` to its items."""
    total: dict[int, float] = {}
    for ranked, weight in zip(lists, weights):
        for rank, cid in enumerate(ranked.ids.tolist(), start=1):
            total[cid] = total.get(cid, 0.0) + weight / (k + rank)
    ids = sorted(total, key=lambda c: (-total[c], c))
    return Ranked(np.array(ids, dtype=np.int64), np.array([total[c] for c in ids], np.float32))


def diversify(index: Index, ranked: Ranked, k: int, per_article: int = PER_ARTICLE) -> Ranked:
    """Take the first ``k`` of ``ranked``, at most ``per_article`` per article while
    other articles remain; passages held back fill any slot left over."""
    chosen: list[int] = []
    held: list[int] = []
    seen: dict[int, int] = {}
    for pos, cid in enumerate(ranked.ids.tolist()):
        art = int(index.chunk_article[cid])
        if seen.get(art, 0) < per_article:
            seen[art] = seen.get(art, 0) + 1
            chosen.append(pos)
        else:
            held.append(pos)
        if len(chosen) == k:
            break
    chosen += held[: k - len(chosen)]
    chosen.sort()
    return Ranked(ranked.ids[chosen], ranked.scores[chosen])


def retrieve(
    index: Index,
    question: str,
    qvec: np.ndarray | None,
    *,
    mode: str = "hybrid",
    k: int = 5,
    filter: SearchFilter | None = None,
) -> list[Hit]:
    """The ``k`` best passages for ``question`` (``qvec`` is its query vector).

    ``qvec`` may be None for ``mode="lexical"``.
    """
    if mode not in RETRIEVERS:
        raise ConfigError(f"Unknown retriever {mode!r}; choose one of {', '.join(RETRIEVERS)}.")
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}.")
    mask = allowed_chunks(index, filter)
    depth = max(CANDIDATES, 4 * k)
    if mode == "dense":
        assert qvec is not None
        ranked = dense(index, qvec, depth, mask)
    elif mode == "lexical":
        ranked = lexical(index, question, depth, mask)
    else:
        assert qvec is not None
        ranked = fuse(
            [dense(index, qvec, depth, mask), lexical(index, question, depth, mask)],
            [1.0, 1.0],
        )
    top = diversify(index, ranked, k)
    return [
        Hit(rank=r, chunk=index.chunks[int(cid)], score=float(score))
        for r, (cid, score) in enumerate(zip(top.ids, top.scores), start=1)
    ]
