"""Compose an answer from retrieved passages, or abstain.

The default :class:`ExtractiveAnswerer` answers in the corpus's own words: it
scores every sentence of the retrieved passages against the question, keeps
the best one to three, marks each with ``[n]`` and cites the passage it came
from. It abstains when the evidence is weak. Similarity alone cannot tell a
look-alike article from an answer (a question about Putin and India reads as
close to a passage about Putin and China as a real answer does), so the
decision also asks whether the cited passage names what the question names and
holds its key terms.

Everything the answerer needs per sentence (vector, terms) is computed at index
time; answering costs a few vector products.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .entities import mentions, question_entities
from .index import Index
from .lexical import has_diacritics
from .text import content_terms, fold, looks_vietnamese, tokenize
from .types import Article, Citation, Hit

ABSTAIN_MESSAGE = "Không tìm thấy thông tin này trong các bài báo đã lập chỉ mục."


@dataclass(frozen=True)
class Draft:
    """What an answerer returns: the text, whether it abstained, and its sources."""

    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()


class Answerer(Protocol):
    """Turns a question and its retrieved passages into a :class:`Draft`."""

    def answer(
        self, question: str, hits: Sequence[Hit], qvec: np.ndarray | None, index: Index
    ) -> Draft: ...


@dataclass(frozen=True)
class Evidence:
    """The measurements the abstention rule reads."""

    similarity: float  # best sentence vs question, cosine
    coverage: float  # IDF-weighted share of question terms found in the cited passage
    missing_entities: tuple[str, ...]  # names in the question the passage never mentions
    vietnamese: bool


@dataclass(frozen=True)
class Thresholds:
    """When to abstain; calibrated on questions with and without an answer in
    the corpus (``benchmarks/calibrate.py``)."""

    min_coverage: float = 0.30
    min_similarity: float = 0.855
    # Questions in another language share no words with the passages, so only
    # similarity can speak for them.
    min_similarity_foreign: float = 0.785


# Questions that ask for a quantity or a moment are answered by sentences that
# hold a number or a time.
_QUANTITY_Q = re.compile(
    r"\b(bao nhieu|may|bao lau|bao gio|khi nao|nam nao|ngay nao|thang nao|luc nao|"
    r"how many|how much|how long|when|what year|which year|what date|percent)\b"
)
_DATE_Q = re.compile(
    r"\b(ngay nao|khi nao|bao gio|thoi diem nao|ngay bao nhieu|dang ngay|dang khi|"
    r"when|what date|which date|published)\b"
)
_SOURCE_Q = re.compile(
    r"\b(nguon|hang tin|hang thong tan|theo ai|theo hang|co quan bao|bao nao|to bao nao|"
    r"source|agency|according to)\b"
)
NUMBER_BOOST = 0.06
TIE = 0.03
_HAS_NUMBER = re.compile(
    r"\d|\b(hai|bốn|sáu|bảy|tám|chín|mười|mươi|trăm|nghìn|ngàn|triệu|tỷ|rưỡi)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Question:
    """What the answerer reads off a question, once."""

    text: str
    weights: dict[str, float]  # IDF of each content term
    accented: bool  # terms are compared with their diacritics
    wants_number: bool


@dataclass(frozen=True)
class _Scored:
    score: float
    sentence: int
    hit: Hit
    similarity: float


class ExtractiveAnswerer:
    """Answers with the best sentences of the retrieved passages, cited inline.

    >>> ExtractiveAnswerer().answer(question, hits, qvec, index).text  # doctest: +SKIP
    'Triều Tiên đã đưa hơn 10.000 quân đến hỗ trợ Nga ... [1]'
    """

    def __init__(
        self,
        thresholds: Thresholds | None = None,
        max_sentences: int = 3,
        margin: float = 0.1,
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        self.max_sentences = max_sentences
        self.margin = margin
        self._idf_cache: dict[str, tuple[dict[str, float], float]] = {}
        self._folded_cache: dict[tuple[str, str], str] = {}

    def answer(
        self, question: str, hits: Sequence[Hit], qvec: np.ndarray | None, index: Index
    ) -> Draft:
        """Pick sentences, decide whether they answer, and cite them."""
        q = self._read(question, index)
        ranked = self._rank_sentences(q, hits, qvec, index)
        if not ranked:
            return Draft(ABSTAIN_MESSAGE, True)
        if self._abstain(self._evidence(q, ranked[0], index)):
            return Draft(ABSTAIN_MESSAGE, True)
        return self._compose(question, self._choose(q, ranked, index), index)

    def evidence(
        self, question: str, hits: Sequence[Hit], qvec: np.ndarray | None, index: Index
    ) -> Evidence | None:
        """The measurements behind the abstain decision (for calibration)."""
        q = self._read(question, index)
        ranked = self._rank_sentences(q, hits, qvec, index)
        return self._evidence(q, ranked[0], index) if ranked else None

    # --------------------------------------------------------------- scoring

    def _read(self, question: str, index: Index) -> _Question:
        accented = has_diacritics(question)
        idf, unseen = self._idf(index, accented)
        terms = dict.fromkeys(content_terms(question, folded=not accented))
        return _Question(
            text=question,
            weights={t: idf.get(t, unseen) for t in terms},
            accented=accented,
            wants_number=bool(_QUANTITY_Q.search(" ".join(tokenize(fold(question))))),
        )

    def _rank_sentences(
        self, q: _Question, hits: Sequence[Hit], qvec: np.ndarray | None, index: Index
    ) -> list[_Scored]:
        candidates: list[tuple[int, Hit]] = []
        seen: set[int] = set()
        for hit in hits:
            for sid in index.chunk_sentence_ids(hit.chunk.id):
                if sid not in seen:
                    seen.add(sid)
                    candidates.append((sid, hit))
        if not candidates:
            return []
        if qvec is None:
            sims = np.zeros(len(candidates), dtype=np.float32)
        else:
            ids = [sid for sid, _ in candidates]
            sims = index.sentence_vectors(ids) @ qvec.astype(np.float32)
        titles: dict[str, frozenset[str]] = {}
        scored = []
        for (sid, hit), sim in zip(candidates, sims.tolist()):
            # A sentence is read in its article's context: what the title says
            # ("tại Valdai") need not be repeated by the sentence that answers.
            aid = hit.chunk.article_id
            if aid not in titles:
                titles[aid] = frozenset(
                    content_terms(index.article(aid).title, folded=not q.accented)
                )
            # Meaning first, exact terms second, retrieval rank last.
            coverage = _coverage(
                q.weights, index.sentence_terms(sid, folded=not q.accented) | titles[aid]
            )
            score = sim + 0.35 * coverage + 0.02 / hit.rank
            if q.wants_number:
                text = index.sentence_text(sid)
                score += NUMBER_BOOST if _HAS_NUMBER.search(text) else 0.0
            scored.append(_Scored(score, sid, hit, sim))
        scored.sort(key=lambda s: -s.score)
        return scored

    def _idf(self, index: Index, accented: bool) -> tuple[dict[str, float], float]:
        key = f"{index.key}:{accented}"
        if key not in self._idf_cache:
            df, n = index.sentence_document_frequency(folded=not accented)
            idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
            self._idf_cache[key] = (idf, math.log((n + 1) / 0.5))
        return self._idf_cache[key]

    def _evidence(self, q: _Question, best: _Scored, index: Index) -> Evidence:
        article = index.article(best.hit.chunk.article_id)
        passage = f"{article.title}\n{best.hit.chunk.text}"
        found = set(content_terms(passage, folded=not q.accented))
        # Names are looked for in the whole article: a passage may say "ông"
        # where its article said "Tổng thống Putin" a paragraph before.
        folded_article = self._folded_article(index, article)
        missing = tuple(
            e.text for e in question_entities(q.text) if not mentions(e, folded_article)
        )
        return Evidence(
            similarity=best.similarity,
            coverage=_coverage(q.weights, found),
            missing_entities=missing,
            vietnamese=looks_vietnamese(q.text),
        )

    def _folded_article(self, index: Index, article: Article) -> str:
        key = (index.key, article.id)
        if key not in self._folded_cache:
            self._folded_cache[key] = " ".join(tokenize(fold(f"{article.title}\n{article.text}")))
        return self._folded_cache[key]

    def _abstain(self, ev: Evidence) -> bool:
        th = self.thresholds
        if ev.missing_entities:
            return True
        if not ev.vietnamese:
            return ev.similarity < th.min_similarity_foreign
        return ev.coverage < th.min_coverage or ev.similarity < th.min_similarity

    def _choose(self, q: _Question, ranked: list[_Scored], index: Index) -> list[_Scored]:
        """The best sentence, and up to two more close behind that add a question term
        of their own (or are as good as the best)."""
        folded = not q.accented
        chosen = [ranked[0]]
        covered = set(index.sentence_terms(ranked[0].sentence, folded=folded))
        for cand in ranked[1:]:
            if len(chosen) == self.max_sentences or cand.score < ranked[0].score - self.margin:
                break
            terms = index.sentence_terms(cand.sentence, folded=folded)
            adds = {t for t in q.weights if t in terms and t not in covered}
            if adds or cand.score >= ranked[0].score - TIE:
                chosen.append(cand)
                covered |= terms
        return chosen

    # ----------------------------------------------------------- composing

    def _compose(self, question: str, chosen: list[_Scored], index: Index) -> Draft:
        # One marker per cited passage; sentences keep the article's order.
        numbers: dict[str, int] = {}
        spans: dict[str, list[tuple[int, int]]] = {}
        hits: dict[str, Hit] = {}
        for c in chosen:
            cid = c.hit.chunk.id
            numbers.setdefault(cid, len(numbers) + 1)
            hits[cid] = c.hit
            _, start, end = index.sentence_span(c.sentence)
            spans.setdefault(cid, []).append((start, end))
        parts = []
        for c in sorted(chosen, key=lambda c: (numbers[c.hit.chunk.id], c.sentence)):
            parts.append(f"{index.sentence_text(c.sentence)} [{numbers[c.hit.chunk.id]}]")
        lead = _metadata_lead(question, index.article(chosen[0].hit.chunk.article_id))
        text = " ".join(([lead] if lead else []) + parts)
        citations = []
        for chunk_id, n in numbers.items():
            hit = hits[chunk_id]
            article = index.article(hit.chunk.article_id)
            citations.append(
                Citation(
                    n=n,
                    article_id=article.id,
                    title=article.title,
                    date=article.date,
                    source=article.source,
                    path=article.path,
                    passage=hit.chunk.text,
                    start=hit.chunk.start,
                    end=hit.chunk.end,
                    highlights=tuple(sorted(spans[chunk_id])),
                )
            )
        return Draft(text, False, tuple(citations))


def _coverage(weights: dict[str, float], terms: frozenset[str] | set[str]) -> float:
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w for t, w in weights.items() if t in terms) / total


def _metadata_lead(question: str, article: Article) -> str:
    """A first sentence with the article's date or source when the question asks for it."""
    q = " ".join(tokenize(fold(question)))
    parts = []
    if _DATE_Q.search(q) and article.date:
        parts.append(f"Bài báo đăng ngày {article.date}.")
    if _SOURCE_Q.search(q) and article.source:
        parts.append(f"Nguồn: {article.source}.")
    return " ".join(parts)
