"""The values that flow through the pipeline: articles → chunks → hits → answer.

All are plain frozen dataclasses; logic lives in the modules that make and
consume them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Article:
    """One news article, its text normalised to Unicode NFC.

    ``text`` is the cleaned body the index is built from (title line, date line
    and boilerplate removed); chunk offsets point into it.
    """

    id: str
    title: str
    text: str
    path: str
    date: str | None = None  # ISO 8601 (YYYY-MM-DD) when known
    source: str | None = None
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    """A passage of an article: ``article.text[start:end] == text``."""

    id: str  # "<article_id>#<n>"
    article_id: str
    n: int
    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Hit:
    """A chunk returned by a retriever, with its rank (1-based) and score."""

    rank: int
    chunk: Chunk
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "article_id": self.chunk.article_id,
            "chunk_id": self.chunk.id,
            "score": round(float(self.score), 6),
            "text": self.chunk.text,
        }


@dataclass(frozen=True)
class Citation:
    """A source behind an answer marker ``[n]``.

    ``start``/``end`` locate ``passage`` in the article text; ``highlights`` are
    the (start, end) article offsets of the sentences the answer used.
    """

    n: int
    article_id: str
    title: str
    date: str | None
    source: str | None
    path: str
    passage: str
    start: int
    end: int
    highlights: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["highlights"] = [list(span) for span in self.highlights]
        return data


@dataclass(frozen=True)
class Answer:
    """The reply to one question."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    hits: tuple[Hit, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The ``rag ask --json`` schema."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "hits": [h.to_dict() for h in self.hits],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


@dataclass(frozen=True)
class SearchFilter:
    """Restricts retrieval to some articles, sources or a date range (inclusive ISO dates)."""

    article_ids: frozenset[str] | None = None
    sources: frozenset[str] | None = None
    date_from: str | None = None
    date_to: str | None = None

    def is_empty(self) -> bool:
        return not (self.article_ids or self.sources or self.date_from or self.date_to)

    def accepts(self, article: Article) -> bool:
        """True if ``article`` passes every condition that is set."""
        if self.article_ids and article.id not in self.article_ids:
            return False
        if self.sources and (article.source or "") not in self.sources:
            return False
        if self.date_from or self.date_to:
            if not article.date:
                return False
            if self.date_from and article.date < self.date_from:
                return False
            if self.date_to and article.date > self.date_to:
                return False
        return True
