"""Question sets for evaluation: one JSON object a line.

::

    {"id": "q001", "question": "...", "article_ids": ["000_dde0fbfd9b69a8f6"],
     "answers": ["10.000 quân"], "kind": "factoid"}

``article_ids`` are the stems of the article files that answer the question; an
empty list marks a question the corpus cannot answer (the right reply is to
abstain). ``answers`` are strings copied from the article, any one of which a
correct answer must contain; it may be empty when only the source matters.
Blank lines are skipped; other keys are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import QASetError

QA_FILENAME = "qa.jsonl"
KINDS = ("factoid", "paraphrase", "no_diacritics", "english", "metadata", "unanswerable")
SYNTHETIC = "synthetic"

# field → (JSON type, its name in messages)
_FIELDS: dict[str, tuple[type, str]] = {
    "id": (str, "a string"),
    "question": (str, "a string"),
    "article_ids": (list, "a list of strings"),
    "answers": (list, "a list of strings"),
    "kind": (str, "a string"),
}


@dataclass(frozen=True)
class QAItem:
    """One evaluation question and what a right reply looks like."""

    id: str
    question: str
    article_ids: tuple[str, ...]
    answers: tuple[str, ...] = ()
    kind: str = "factoid"

    @property
    def answerable(self) -> bool:
        """False when no article answers the question."""
        return bool(self.article_ids)

    def to_dict(self) -> dict[str, Any]:
        """The question-set line for this item."""
        return {
            "id": self.id,
            "question": self.question,
            "article_ids": list(self.article_ids),
            "answers": list(self.answers),
            "kind": self.kind,
        }


def load_qa(path: Path | str, known_article_ids: Collection[str] | None = None) -> list[QAItem]:
    """Read and check a question set; every problem is a one-line :class:`QASetError`.

    ``known_article_ids`` (the ids of the indexed articles) lets a typo in an
    article id fail here rather than silently count as a miss.

    >>> items = load_qa("seeds/qa.jsonl", {a.id for a, _ in rag.articles()})  # doctest: +SKIP
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise QASetError(
            f"Question set {path} not found; pass the path of a .jsonl file."
        ) from None
    except IsADirectoryError:
        raise QASetError(
            f"Question set {path} is a folder; pass the path of a .jsonl file."
        ) from None
    except UnicodeDecodeError:
        raise QASetError(f"Question set {path} is not UTF-8 text; save it as UTF-8.") from None
    known = None if known_article_ids is None else frozenset(known_article_ids)
    items: list[QAItem] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = _parse_line(line, f"{path} line {number}", known)
        if item.id in first_line:
            raise QASetError(
                f"{path} line {number}: duplicate id {item.id!r} "
                f"(first used on line {first_line[item.id]}); give every question its own id."
            )
        first_line[item.id] = number
        items.append(item)
    if not items:
        raise QASetError(f"Question set {path} holds no questions; write one JSON object a line.")
    return items


def find_question_set(corpus_dirs: Iterable[Path]) -> Path | None:
    """The ``qa.jsonl`` beside the articles of the first corpus folder that has one.

    >>> find_question_set([Path("seeds")])  # doctest: +SKIP
    PosixPath('seeds/qa.jsonl')
    """
    for folder in corpus_dirs:
        candidate = Path(folder) / QA_FILENAME
        if candidate.is_file():
            return candidate
    return None


def _parse_line(line: str, where: str, known: frozenset[str] | None) -> QAItem:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise QASetError(f"{where}: not valid JSON ({exc.msg}, column {exc.colno}).") from None
    if not isinstance(record, dict):
        raise QASetError(f"{where}: expected a JSON object {{...}}, got {type(record).__name__}.")
    for name, (kind, described) in _FIELDS.items():
        if name not in record:
            raise QASetError(f"{where}: missing field {name!r}; every line needs {_field_list()}.")
        value = record[name]
        if not _has_type(value, kind):
            raise QASetError(f"{where}: field {name!r} must be {described}, got {_short(value)}.")
    for name in ("id", "question", "kind"):
        if not record[name].strip():
            raise QASetError(f"{where}: field {name!r} is empty.")
    article_ids = tuple(record["article_ids"])
    if known is not None:
        for article_id in article_ids:
            if article_id not in known:
                hint = f"e.g. {min(known)!r}" if known else "but the index holds none"
                raise QASetError(
                    f"{where}: unknown article id {article_id!r}; use the file stem of an "
                    f"indexed article ({hint})."
                )
    if record["kind"] == "unanswerable" and article_ids:
        raise QASetError(
            f"{where}: kind 'unanswerable' but article_ids is {list(article_ids)!r}; "
            "leave article_ids empty or change the kind."
        )
    return QAItem(
        id=record["id"],
        question=record["question"],
        article_ids=article_ids,
        answers=tuple(a for a in record["answers"] if a.strip()),
        kind=record["kind"],
    )


def _has_type(value: Any, kind: type) -> bool:
    if kind is list:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, kind)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:59] + "…"


def _field_list() -> str:
    return ", ".join(_FIELDS)
