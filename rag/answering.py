"""Compose an answer from retrieved passages, or abstain.

The default :class:`ExtractiveAnswerer` answers in the corpus's own words: it
scores every sentence of the retrieved passages against the question, keeps
the best one to three, marks each with ``[n]`` and cites the passage it came
from. It abstains when the evidence is weak. Similarity alone cannot tell a
look-alike article from an answer (an unanswerable question about Putin and
India scores as high as an answerable one about Putin and China), so the
decision combines it with whether the chosen passage actually contains the
question's key terms and named entities.

Everything the answerer needs per sentence (vector, content terms) is computed
at index time; answering costs a few vector products.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .index import Index
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
    missing_entities: tuple[str, ...]  # named things of the question absent from it
    vietnamese: bool


@dataclass(frozen=True)
class Thresholds:
    """When to abstain; calibrated on questions with and without an answer."""

    min_coverage: float = 0.55
    min_similarity: float = 0.80
    # Questions in another language share no words with the passages, so only
    # similarity can speak for them, and it must speak louder.
    min_similarity_foreign: float = 0.84


_DATE_Q = re.compile(
    r"\b(ngay nao|khi nao|bao gio|thoi diem nao|ngay bao nhieu|dang ngay|dang khi|"
    r"when|what date|which date|published)\b"
)
_SOURCE_Q = re.compile(
    r"\b(nguon|hang tin|hang thong tan|theo ai|theo hang|co quan bao|bao nao|"
    r"source|agency|according to)\b"
)
_ENTITY = re.compile(r"(?:[A-ZĐ\u00c0-\u1ef9][\w\-]*)(?:\s+[A-ZĐ][\w\-]*)*")


class ExtractiveAnswerer:
    """Answers with the best sentences of the retrieved passages, cited inline.

    >>> ExtractiveAnswerer().answer(question, hits, qvec, index).text  # doctest: +SKIP
    'Triều Tiên đã đưa hơn 10.000 quân đến hỗ trợ Nga ... [1]'
    """

    def __init__(self, thresholds: Thresholds | None = None, max_sentences: int = 3) -> None:
        self.thresholds = thresholds or Thresholds()
        self.max_sentences = max_sentences
        self._idf_cache: dict[str, tuple[dict[str, float], float]] = {}

    # ---------------------------------------------------------------- public

    def answer(
        self, question: str, hits: Sequence[Hit], qvec: np.ndarray | None, index: Index
    ) -> Draft:
        """Pick sentences, decide whether they answer, and cite them."""
        if not hits or not len(index.sentences.start):
            return Draft(ABSTAIN_MESSAGE, True)
        idf, default_idf = self._idf(index)
        terms = list(dict.fromkeys(content_terms(question)))
        weights = {t: idf.get(t, default_idf) for t in terms}
        candidates = self._candidates(hits, index)
        if not candidates:
            return Draft(ABSTAIN_MESSAGE, True)
        sims = self._similarities(candidates, qvec, index)
        scored = []
        for (sid, hit), sim in zip(candidates, sims):
            cov = _coverage(weights, index.sentences.terms[sid])
            # Sentence quality: meaning first, exact terms second, retrieval rank last.
            scored.append((sim + 0.35 * cov + 0.02 / hit.rank, sid, hit, sim))
        scored.sort(key=lambda row: -row[0])
        best_score, best_sid, best_hit, best_sim = scored[0]
        evidence = self._evidence(question, terms, weights, best_sim, best_hit, index)
        if self._abstain(evidence):
            return Draft(ABSTAIN_MESSAGE, True)
        chosen = [(best_sid, best_hit)]
        covered = set(index.sentences.terms[best_sid])
        for score, sid, hit, _ in scored[1:]:
            if len(chosen) == self.max_sentences or score < best_score - 0.06:
                break
            adds = {t for t in terms if t in index.sentences.terms[sid] and t not in covered}
            if adds:
                chosen.append((sid, hit))
                covered |= index.sentences.terms[sid]
        return self._compose(question, chosen, index)

    def evidence(
        self, question: str, hits: Sequence[Hit], qvec: np.ndarray | None, index: Index
    ) -> Evidence | None:
        """The measurements behind the abstain decision (for calibration)."""
        if not hits:
            return None
        idf, default_idf = self._idf(index)
        terms = list(dict.fromkeys(content_terms(question)))
        weights = {t: idf.get(t, default_idf) for t in terms}
        candidates = self._candidates(hits, index)
        if not candidates:
            return None
        sims = self._similarities(candidates, qvec, index)
        best = max(
            range(len(candidates)),
            key=lambda i: (
                sims[i]
                + 0.35 * _coverage(weights, index.sentences.terms[candidates[i][0]])
                + 0.02 / candidates[i][1].rank
            ),
        )
        return self._evidence(
            question, terms, weights, float(sims[best]), candidates[best][1], index
        )

    # --------------------------------------------------------------- helpers

    def _idf(self, index: Index) -> tuple[dict[str, float], float]:
        key = str(index.path)
        if key not in self._idf_cache:
            df: Counter[str] = Counter()
            for terms in index.sentences.terms:
                df.update(terms)
            n = len(index.sentences.terms)
            idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
            self._idf_cache[key] = (idf, math.log((n + 1) / 0.5))
        return self._idf_cache[key]

    @staticmethod
    def _candidates(hits: Sequence[Hit], index: Index) -> list[tuple[int, Hit]]:
        seen: set[int] = set()
        out = []
        for hit in hits:
            cid = index.chunk_position[hit.chunk.id]
            for sid in index.chunk_sentences[cid].tolist():
                if sid not in seen:
                    seen.add(sid)
                    out.append((sid, hit))
        return out

    @staticmethod
    def _similarities(
        candidates: list[tuple[int, Hit]], qvec: np.ndarray | None, index: Index
    ) -> np.ndarray:
        if qvec is None:
            return np.zeros(len(candidates), dtype=np.float32)
        ids = np.array([sid for sid, _ in candidates], dtype=np.int64)
        sims: np.ndarray = index.sentences.vectors[ids] @ qvec.astype(np.float32)
        return sims

    def _evidence(
        self,
        question: str,
        terms: list[str],
        weights: dict[str, float],
        similarity: float,
        hit: Hit,
        index: Index,
    ) -> Evidence:
        article = index.articles[hit.chunk.article_id]
        passage_terms = set(content_terms(hit.chunk.text)) | set(content_terms(article.title))
        coverage = _coverage(weights, passage_terms) if terms else 0.0
        haystack = " " + " ".join(tokenize(fold(article.title + " " + hit.chunk.text))) + " "
        missing = tuple(e for e in _entities(question) if f" {e} " not in haystack)
        return Evidence(similarity, coverage, missing, looks_vietnamese(question))

    def _abstain(self, ev: Evidence) -> bool:
        th = self.thresholds
        if ev.missing_entities:
            return True
        if not ev.vietnamese:
            return ev.similarity < th.min_similarity_foreign
        return ev.coverage < th.min_coverage or ev.similarity < th.min_similarity

    def _compose(self, question: str, chosen: list[tuple[int, Hit]], index: Index) -> Draft:
        # One marker per cited passage; sentences keep the article's order.
        numbers: dict[str, int] = {}
        spans: dict[str, list[tuple[int, int]]] = {}
        hits: dict[str, Hit] = {}
        for sid, hit in chosen:
            numbers.setdefault(hit.chunk.id, len(numbers) + 1)
            hits[hit.chunk.id] = hit
            spans.setdefault(hit.chunk.id, []).append(
                (int(index.sentences.start[sid]), int(index.sentences.end[sid]))
            )
        parts = []
        for sid, hit in sorted(chosen, key=lambda c: (numbers[c[1].chunk.id], c[0])):
            article = index.articles[hit.chunk.article_id]
            sentence = article.text[index.sentences.start[sid] : index.sentences.end[sid]]
            parts.append(f"{sentence} [{numbers[hit.chunk.id]}]")
        lead = _metadata_lead(question, index.articles[chosen[0][1].chunk.article_id])
        text = " ".join(([lead] if lead else []) + parts)
        citations = []
        for chunk_id, n in numbers.items():
            hit = hits[chunk_id]
            article = index.articles[hit.chunk.article_id]
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


def _entities(question: str) -> list[str]:
    """Folded names in the question: capitalised words not at the start of it."""
    found = []
    for match in _ENTITY.finditer(question):
        if match.start() == 0 or not match.group(0)[0].isupper():
            continue
        words = tokenize(match.group(0))
        if words:
            found.append(" ".join(fold(w) for w in words))
    return found


def _metadata_lead(question: str, article: Article) -> str:
    """A first sentence with the article's date or source when the question asks for it."""
    q = " ".join(tokenize(fold(question)))
    parts = []
    if _DATE_Q.search(q) and article.date:
        parts.append(f"Bài báo đăng ngày {article.date}.")
    if _SOURCE_Q.search(q) and article.source:
        parts.append(f"Nguồn: {article.source}.")
    return " ".join(parts)
