"""Checks on the hand-written question sets and the look-alike articles.

The evaluation trusts these files: an answer string that is not in its article,
or that also sits in a look-alike, would silently reward or punish the wrong
passage. The files are read directly (NFC) so these checks do not depend on the
loading code they help to evaluate.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
QA = SEEDS / "qa.jsonl"
HELDOUT = ROOT / "tests" / "data" / "heldout_qa.jsonl"
LOOKALIKES = ROOT / "tests" / "data" / "lookalikes"

KINDS = ("factoid", "paraphrase", "no_diacritics", "english", "metadata", "unanswerable")
MIN_PER_KIND = {
    QA: {
        "factoid": 15,
        "paraphrase": 12,
        "no_diacritics": 12,
        "english": 8,
        "metadata": 6,
        "unanswerable": 12,
    },
    HELDOUT: {
        "factoid": 5,
        "paraphrase": 4,
        "no_diacritics": 4,
        "english": 3,
        "metadata": 2,
        "unanswerable": 4,
    },
}
MIN_TOTAL = {QA: 70, HELDOUT: 25}
FIELDS = {"id": str, "question": str, "article_ids": list, "answers": list, "kind": str}

# Look-alikes carry the same bylines as the seeds on purpose, so a source name
# cannot single out an article; source questions are judged by article id.
SHARED_BYLINES = frozenset({"TASS", "GD&TĐ"})

MIN_LOOKALIKES = 22
LOOKALIKE_WORDS = (250, 600)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def has_diacritics(text: str) -> bool:
    """True when any letter carries a mark, or is đ/Đ."""
    decomposed = unicodedata.normalize("NFD", text)
    return any(unicodedata.combining(ch) for ch in decomposed) or "đ" in text.lower()


def read_texts(folder: Path) -> dict[str, str]:
    return {p.stem: nfc(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.txt"))}


def read_rows(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def exempt(row: dict[str, Any], answer: str) -> bool:
    return row["kind"] == "metadata" and answer in SHARED_BYLINES


SEED_TEXTS = read_texts(SEEDS)
LOOKALIKE_TEXTS = read_texts(LOOKALIKES)
SETS = pytest.mark.parametrize("path", [QA, HELDOUT], ids=["qa", "heldout"])


@SETS
def test_every_line_is_a_question_with_the_schema(path: Path) -> None:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        row = json.loads(line)
        assert set(row) == set(FIELDS), f"line {n}: keys {sorted(row)}"
        for key, typ in FIELDS.items():
            assert isinstance(row[key], typ), f"line {n}: {key} is not {typ.__name__}"
        assert row["question"].strip(), f"line {n}: empty question"
        assert all(isinstance(a, str) and a.strip() for a in row["answers"]), f"line {n}"
        assert all(isinstance(a, str) for a in row["article_ids"]), f"line {n}"
        assert row["kind"] in KINDS, f"line {n}: unknown kind {row['kind']!r}"


@SETS
def test_ids_are_unique_and_counts_per_kind_meet_the_minimum(path: Path) -> None:
    rows = read_rows(path)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), [i for i, c in Counter(ids).items() if c > 1]
    assert len(rows) >= MIN_TOTAL[path]
    counts = Counter(r["kind"] for r in rows)
    short = {k: counts[k] for k, need in MIN_PER_KIND[path].items() if counts[k] < need}
    assert not short, f"kinds below their minimum: {short}"


def test_the_two_sets_share_no_ids_and_no_questions() -> None:
    qa, held = read_rows(QA), read_rows(HELDOUT)
    assert not {r["id"] for r in qa} & {r["id"] for r in held}
    asked = {nfc(r["question"]).casefold() for r in qa}
    repeated = [r["id"] for r in held if nfc(r["question"]).casefold() in asked]
    assert not repeated, f"held-out questions copied from qa.jsonl: {repeated}"


@SETS
def test_unanswerable_exactly_when_no_article_is_given(path: Path) -> None:
    for row in read_rows(path):
        unanswerable = row["kind"] == "unanswerable"
        assert unanswerable == (not row["article_ids"]), row["id"]
        assert unanswerable == (not row["answers"]), row["id"]


@SETS
def test_article_ids_name_seed_articles(path: Path) -> None:
    for row in read_rows(path):
        unknown = [a for a in row["article_ids"] if a not in SEED_TEXTS]
        assert not unknown, f"{row['id']}: no seed article {unknown}"


@SETS
def test_every_answer_is_copied_from_one_of_its_articles(path: Path) -> None:
    for row in read_rows(path):
        texts = [SEED_TEXTS[a] for a in row["article_ids"] if a in SEED_TEXTS]
        for answer in row["answers"]:
            assert any(nfc(answer) in t for t in texts), f"{row['id']}: {answer!r} not found"


@SETS
def test_answers_do_not_occur_in_other_seed_articles(path: Path) -> None:
    for row in read_rows(path):
        for answer in row["answers"]:
            if exempt(row, answer):
                continue
            elsewhere = [
                aid
                for aid, text in SEED_TEXTS.items()
                if aid not in row["article_ids"] and nfc(answer) in text
            ]
            assert not elsewhere, f"{row['id']}: {answer!r} also in {elsewhere}"


@SETS
def test_answers_do_not_occur_in_any_lookalike(path: Path) -> None:
    for row in read_rows(path):
        for answer in row["answers"]:
            if exempt(row, answer):
                continue
            hits = [name for name, text in LOOKALIKE_TEXTS.items() if nfc(answer) in text]
            assert not hits, f"{row['id']}: {answer!r} also in look-alike {hits}"


@SETS
def test_question_language_matches_its_kind(path: Path) -> None:
    for row in read_rows(path):
        q = row["question"]
        if row["kind"] == "no_diacritics":
            assert not has_diacritics(q) and q == q.lower(), f"{row['id']}: {q!r}"
        elif row["kind"] == "english":
            assert not has_diacritics(q), f"{row['id']}: {q!r}"
        elif row["kind"] in ("factoid", "paraphrase", "metadata"):
            assert has_diacritics(q), f"{row['id']}: Vietnamese question without diacritics"


def test_questions_are_spread_over_all_seed_articles() -> None:
    per_article = Counter(a for r in read_rows(QA) for a in r["article_ids"])
    thin = {a: per_article[a] for a in SEED_TEXTS if per_article[a] < 10}
    assert not thin, f"seed articles with fewer than 10 questions: {thin}"


def test_enough_lookalikes_of_news_length() -> None:
    lo, hi = LOOKALIKE_WORDS
    sized = {name: len(text.split()) for name, text in LOOKALIKE_TEXTS.items()}
    off = {name: n for name, n in sized.items() if not lo <= n <= hi}
    assert not off, f"look-alikes outside {lo}-{hi} words: {off}"
    assert len(sized) >= MIN_LOOKALIKES


def test_lookalike_files_are_named_slugs_in_nfc() -> None:
    for path in sorted(LOOKALIKES.glob("*.txt")):
        assert re.fullmatch(r"L\d{2}_[a-z0-9-]+\.txt", path.name), path.name
        raw = path.read_text(encoding="utf-8")
        assert raw == nfc(raw), f"{path.name} is not NFC"
        assert path.stem not in SEED_TEXTS
