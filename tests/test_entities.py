"""Names in questions: what counts as a name, and which spellings match."""

from __future__ import annotations

import pytest

from rag.entities import mentions, question_entities
from rag.text import fold, tokenize


def names(question: str) -> list[str]:
    return [e.aliases[0] for e in question_entities(question)]


@pytest.mark.parametrize(
    "question",
    [
        "Từ tháng Giêng đến tháng Năm, thương mại Nga – Triều Tiên tăng bao nhiêu?",
        "Vào tháng Mười Hai, Nga và Triều Tiên ký gì?",
    ],
)
def test_month_names_are_not_names(question: str) -> None:
    assert names(question) == ["nga", "trieu tien"]


def test_a_capitalised_word_after_a_month_is_still_a_name() -> None:
    assert "an do" in names("Tháng Năm, Ấn Độ mua gì của Nga?")


def test_an_english_region_matches_its_vietnamese_name() -> None:
    (region,) = question_entities("What threatens Northeast Asia?")
    passage = " ".join(tokenize(fold("đe dọa tất cả các nước Đông Bắc Á.")))
    assert mentions(region, passage)
    assert not mentions(region, " ".join(tokenize(fold("các nước Đông Nam Á"))))


def test_unknown_names_are_kept_whole() -> None:
    assert names("Ông Putin nói gì về Oreshnik?") == ["putin", "oreshnik"]
