"""Measure how well the pipeline finds the right article and answers.

- :mod:`.qaset` reads and checks a question set (:func:`load_qa`),
- :mod:`.synthetic` makes questions from the articles when there is none
  (:func:`auto_questions`),
- :mod:`.metrics` holds the ranking and answer metrics,
- :mod:`.runner` asks every question and scores the replies (:func:`evaluate`),
- :mod:`.report` shows the result: terminal tables, Markdown, HTML.

``EvalResult.to_dict()`` for one retriever::

    {"metrics": {"recall@1": 0.9, ..., "by_kind": {"factoid": {...}, ...}},
     "questions": [{"id", "question", "kind", "article_ids", "answers",
                    "hits": [{"rank", "article_id", "chunk_id", "score"}],
                    "answer", "abstained", "cited_article_ids", "latency_ms"}, ...]}

and for several, one such object per retriever:
``{"retrievers": {"hybrid": {...}, "lexical": {...}}}``.

>>> rag = RAG.open()                                                  # doctest: +SKIP
>>> items = load_qa("seeds/qa.jsonl", {a.id for a, _ in rag.articles()})  # doctest: +SKIP
>>> result = evaluate(rag, items, ["hybrid", "dense", "lexical"])     # doctest: +SKIP
>>> print(format_summary(result))                                     # doctest: +SKIP
>>> write_report(result, "eval.html")                                 # doctest: +SKIP
"""

from __future__ import annotations

from .qaset import KINDS, SYNTHETIC, QAItem, find_question_set, load_qa
from .report import format_summary, to_html, to_markdown, write_report
from .runner import (
    EvalResult,
    QuestionRecord,
    RetrieverRun,
    compute_metrics,
    evaluate,
    run_evaluation,
)
from .synthetic import auto_questions

__all__ = [
    "KINDS",
    "SYNTHETIC",
    "EvalResult",
    "QAItem",
    "QuestionRecord",
    "RetrieverRun",
    "auto_questions",
    "compute_metrics",
    "evaluate",
    "find_question_set",
    "format_summary",
    "load_qa",
    "run_evaluation",
    "to_html",
    "to_markdown",
    "write_report",
]
