"""Run a question set through the pipeline and score every reply.

One :meth:`RAG.ask` per question and retriever gives both the retrieval to
judge (its hits) and the answer to judge (its text, citations, abstention);
the time around that call is the question's latency.

Metrics (``EvalResult.to_dict()["metrics"]``; ``None`` where no question applies):

- ``recall@1/3/5/10``, ``mrr@10``, ``ndcg@10``: article ranking from the hits,
  over answerable questions,
- ``hit@1``, ``hit@5``: a passage among the first 1 / 5 hits contains one of the
  expected answers, over answerable questions that list answers,
- ``answer_accuracy``: the answer did not abstain, cites a right article and
  contains an expected answer (when answers are listed), over answerable ones,
- ``abstain_rate_unanswerable``: abstentions among unanswerable questions,
- ``false_abstain_rate``: abstentions among answerable questions,
- ``latency_p50_ms``, ``latency_p95_ms``: time of one ``ask``,
- ``questions``, ``answerable``, ``unanswerable``: counts,
- ``by_kind``: the same for each question kind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..config import RETRIEVERS, Settings
from ..errors import ConfigError, QASetError
from ..types import Answer, Article, SearchFilter
from . import metrics as m
from .qaset import SYNTHETIC, QAItem, find_question_set, load_qa
from .synthetic import auto_questions

RECALL_KS = (1, 3, 5, 10)
# Retrieval depth of every question: enough for the @10 metrics.
MIN_DEPTH = 10

RETRIEVAL_METRICS = (*(f"recall@{k}" for k in RECALL_KS), "mrr@10", "ndcg@10")
PASSAGE_METRICS = ("hit@1", "hit@5")
ANSWER_METRICS = ("answer_accuracy", "abstain_rate_unanswerable", "false_abstain_rate")
LATENCY_METRICS = ("latency_p50_ms", "latency_p95_ms")
COUNTS = ("questions", "answerable", "unanswerable")
# Every key of a metrics block except "by_kind", in display order.
METRIC_NAMES = (*RETRIEVAL_METRICS, *PASSAGE_METRICS, *ANSWER_METRICS, *LATENCY_METRICS, *COUNTS)

# progress(done, total) after each question, all retrievers counted together.
EvalProgress = Callable[[int, int], None]


class Asker(Protocol):
    """What :func:`evaluate` needs of the pipeline (``rag.RAG`` fits)."""

    def ask(
        self,
        question: str,
        *,
        retriever: str | None = None,
        k: int | None = None,
        filter: SearchFilter | None = None,
        history: Sequence[str] = (),
    ) -> Answer: ...


class Evaluable(Asker, Protocol):
    """What :func:`run_evaluation` needs: answers, the indexed articles, the settings."""

    settings: Settings

    def articles(self) -> list[tuple[Article, int]]: ...


@dataclass(frozen=True)
class HitRecord:
    """A retrieved passage as kept in the results."""

    rank: int
    article_id: str
    chunk_id: str
    score: float
    # Whether the passage contains an expected answer; judged while the text is
    # at hand, since the results do not keep passage texts.
    has_answer: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "article_id": self.article_id,
            "chunk_id": self.chunk_id,
            "score": round(self.score, 6),
        }


@dataclass(frozen=True)
class QuestionRecord:
    """One question, what came back for it, and how long it took."""

    item: QAItem
    hits: tuple[HitRecord, ...]
    answer: str
    abstained: bool
    cited_article_ids: tuple[str, ...]
    latency_ms: float

    @property
    def ranking(self) -> list[str]:
        """Articles in order of their first hit."""
        return m.article_ranking(h.article_id for h in self.hits)

    @property
    def first_article(self) -> str | None:
        """The article of the first hit, if any."""
        return self.hits[0].article_id if self.hits else None

    @property
    def answer_correct(self) -> bool:
        """Answered (no abstention), citing a right article, with an expected answer."""
        if not self.item.answerable or self.abstained:
            return False
        if not set(self.cited_article_ids) & set(self.item.article_ids):
            return False
        return not self.item.answers or m.contains_answer(self.answer, self.item.answers)

    def scores(self) -> dict[str, float | None]:
        """This question's value of each averaged metric; ``None`` where it does not apply."""
        item = self.item
        out: dict[str, float | None] = dict.fromkeys(
            (*RETRIEVAL_METRICS, *PASSAGE_METRICS, *ANSWER_METRICS)
        )
        if not item.answerable:
            out["abstain_rate_unanswerable"] = float(self.abstained)
            return out
        ranking, relevant = self.ranking, set(item.article_ids)
        for k in RECALL_KS:
            out[f"recall@{k}"] = m.recall_at_k(ranking, relevant, k)
        out["mrr@10"] = m.reciprocal_rank(ranking, relevant, 10)
        out["ndcg@10"] = m.ndcg_at_k(ranking, relevant, 10)
        if item.answers:
            out["hit@1"] = float(any(h.has_answer for h in self.hits[:1]))
            out["hit@5"] = float(any(h.has_answer for h in self.hits[:5]))
        out["answer_accuracy"] = float(self.answer_correct)
        out["false_abstain_rate"] = float(self.abstained)
        return out

    def problems(self) -> list[str]:
        """Why this question counts as failed; empty when it passed.

        Failed: an answerable question whose first hit is from another article
        or whose answer is not correct; an unanswerable one that was answered.
        """
        item = self.item
        if not item.answerable:
            return [] if self.abstained else ["answered an unanswerable question"]
        found: list[str] = []
        if self.first_article not in item.article_ids:
            found.append("wrong first article" if self.hits else "no hits")
        if self.abstained:
            found.append("abstained")
        else:
            if not set(self.cited_article_ids) & set(item.article_ids):
                found.append("cites no expected article")
            if item.answers and not m.contains_answer(self.answer, item.answers):
                found.append("expected answer missing")
        return found

    def to_dict(self) -> dict[str, Any]:
        item = self.item
        return {
            "id": item.id,
            "question": item.question,
            "kind": item.kind,
            "article_ids": list(item.article_ids),
            "answers": list(item.answers),
            "hits": [h.to_dict() for h in self.hits],
            "answer": self.answer,
            "abstained": self.abstained,
            "cited_article_ids": list(self.cited_article_ids),
            "latency_ms": round(self.latency_ms, 2),
        }


def compute_metrics(records: Sequence[QuestionRecord], *, by_kind: bool = True) -> dict[str, Any]:
    """Average the per-question scores; with ``by_kind``, also per question kind."""
    per_question = [r.scores() for r in records]
    out: dict[str, Any] = {
        name: m.mean(s[name] for s in per_question)
        for name in (*RETRIEVAL_METRICS, *PASSAGE_METRICS, *ANSWER_METRICS)
    }
    latencies = [r.latency_ms for r in records]
    out["latency_p50_ms"] = m.percentile(latencies, 50)
    out["latency_p95_ms"] = m.percentile(latencies, 95)
    answerable = sum(1 for r in records if r.item.answerable)
    out["questions"] = len(records)
    out["answerable"] = answerable
    out["unanswerable"] = len(records) - answerable
    if by_kind:
        kinds = list(dict.fromkeys(r.item.kind for r in records))
        out["by_kind"] = {
            kind: compute_metrics([r for r in records if r.item.kind == kind], by_kind=False)
            for kind in kinds
        }
    return out


@dataclass(frozen=True)
class RetrieverRun:
    """The replies and metrics of one retriever over the question set."""

    retriever: str
    questions: tuple[QuestionRecord, ...]
    metrics: dict[str, Any]

    def failures(self) -> list[QuestionRecord]:
        """The questions that failed, in question-set order."""
        return [q for q in self.questions if q.problems()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "metrics": _rounded(self.metrics),
            "questions": [q.to_dict() for q in self.questions],
        }


@dataclass(frozen=True)
class EvalResult:
    """Everything one evaluation produced, one :class:`RetrieverRun` per retriever."""

    runs: tuple[RetrieverRun, ...]
    k: int

    @property
    def retrievers(self) -> list[str]:
        return [run.retriever for run in self.runs]

    @property
    def synthetic(self) -> bool:
        """True when the questions were generated from the articles, not written by people."""
        return all(q.item.kind == SYNTHETIC for run in self.runs for q in run.questions)

    def run(self, retriever: str) -> RetrieverRun:
        """The run of one retriever."""
        for run in self.runs:
            if run.retriever == retriever:
                return run
        raise KeyError(retriever)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready results.

        One retriever: ``{"metrics": {...}, "questions": [...]}``. Several:
        ``{"retrievers": {name: {"metrics": ..., "questions": ...}, ...}}``.
        """
        if len(self.runs) == 1:
            return self.runs[0].to_dict()
        return {"retrievers": {run.retriever: run.to_dict() for run in self.runs}}


def evaluate(
    rag: Asker,
    qa_items: Sequence[QAItem],
    retrievers: Sequence[str] = ("hybrid",),
    k: int = MIN_DEPTH,
    *,
    warmup: bool = True,
    progress: EvalProgress | None = None,
) -> EvalResult:
    """Ask every question with every retriever and score the replies.

    Each question is asked once per retriever with ``k=max(k, 10)``. With
    ``warmup``, one untimed question per retriever first, so that one-off
    start-up costs do not land in the latency of the first question.

    >>> items = load_qa("seeds/qa.jsonl")                         # doctest: +SKIP
    >>> result = evaluate(RAG.open(), items, ["hybrid", "lexical"])  # doctest: +SKIP
    >>> result.run("hybrid").metrics["recall@1"]  # doctest: +SKIP
    0.93
    """
    _check_arguments(qa_items, retrievers, k)
    depth = max(k, MIN_DEPTH)
    total, done = len(qa_items) * len(retrievers), 0
    runs = []
    for retriever in retrievers:
        if warmup:
            rag.ask(qa_items[0].question, retriever=retriever, k=depth)
        records = []
        for item in qa_items:
            started = time.perf_counter()
            reply = rag.ask(item.question, retriever=retriever, k=depth)
            latency_ms = (time.perf_counter() - started) * 1000
            records.append(_record(item, reply, latency_ms))
            done += 1
            if progress:
                progress(done, total)
        runs.append(RetrieverRun(retriever, tuple(records), compute_metrics(records)))
    return EvalResult(tuple(runs), k)


def run_evaluation(
    rag: Evaluable,
    *,
    qa_path: Path | None = None,
    synthetic: bool = False,
    n_per_article: int = 2,
    retrievers: Sequence[str] = (),
    k: int | None = None,
    progress: EvalProgress | None = None,
) -> EvalResult:
    """What ``rag eval`` does: choose the questions, ask them, score the replies.

    The questions are read from ``qa_path``; without one, from the ``qa.jsonl``
    of a corpus folder; without that, or with ``synthetic``, they are made from
    the indexed articles (:func:`auto_questions`). ``retrievers`` empty means
    the configured one, ``["all"]`` every one; ``k`` defaults to the setting.

    >>> result = run_evaluation(RAG.open(), retrievers=["all"])  # doctest: +SKIP
    """
    if synthetic and qa_path is not None:
        raise ConfigError("Give a question set or ask for synthetic questions, not both.")
    articles = [article for article, _ in rag.articles()]
    path = None if synthetic else qa_path or find_question_set(rag.settings.corpus)
    if path is not None:
        items = load_qa(path, {a.id for a in articles})
    else:
        items = auto_questions(articles, n_per_article)
        if not items:
            raise QASetError(
                "No question set and no article long enough to make questions from; "
                "write one (see seeds/qa.jsonl) and pass it with --qa."
            )
    names = list(RETRIEVERS) if "all" in retrievers else list(retrievers)
    return evaluate(
        rag,
        items,
        names or [rag.settings.retriever],
        k if k is not None else rag.settings.k,
        progress=progress,
    )


def _check_arguments(qa_items: Sequence[QAItem], retrievers: Sequence[str], k: int) -> None:
    if not qa_items:
        raise QASetError("The question set is empty; give at least one question.")
    if not retrievers:
        raise ConfigError(f"No retriever given; choose from {', '.join(RETRIEVERS)}.")
    for name in retrievers:
        if name not in RETRIEVERS:
            raise ConfigError(f"Unknown retriever {name!r}; choose from {', '.join(RETRIEVERS)}.")
    if len(set(retrievers)) != len(retrievers):
        raise ConfigError(f"Retriever listed twice in {list(retrievers)!r}; list each once.")
    if not 1 <= k <= 100:
        raise ConfigError(f"k must be between 1 and 100, got {k}.")


def _record(item: QAItem, reply: Answer, latency_ms: float) -> QuestionRecord:
    hits = tuple(
        HitRecord(
            rank=h.rank,
            article_id=h.chunk.article_id,
            chunk_id=h.chunk.id,
            score=float(h.score),
            has_answer=bool(item.answers) and m.contains_answer(h.chunk.text, item.answers),
        )
        for h in reply.hits
    )
    return QuestionRecord(
        item=item,
        hits=hits,
        answer=reply.text,
        abstained=reply.abstained,
        cited_article_ids=tuple(dict.fromkeys(c.article_id for c in reply.citations)),
        latency_ms=latency_ms,
    )


def _rounded(value: Any, digits: int = 6) -> Any:
    """Metrics for JSON: rates to 6 decimals, milliseconds to 2 like the question records."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _rounded(v, 2 if k.endswith("_ms") else digits) for k, v in value.items()}
    return value
