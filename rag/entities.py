"""Named things in a question, and whether a passage mentions them.

A question about Putin and *India* is not answered by a passage about Putin
and China, however similar the two read to an embedding model. The answerer
therefore checks that the names of a question occur in the passage it cites.

Vietnamese news names one country several ways (``Nga``, ``Moscow``,
``Điện Kremlin``), and an English question names it in English (``Russia``):
each group of aliases below counts as one name.

>>> [e.aliases[0] for e in question_entities("Ông Putin nói gì về Ấn Độ?")]
['putin', 'an do']
>>> [e.aliases[0] for e in question_entities("What is the Russia–North Korea treaty?")]
['nga', 'trieu tien']
>>> mentions(question_entities("What did Russia say?")[0], "moscow cho biet")
True
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from .text import fold, tokenize

_ALIAS_GROUPS = [
    "nga|russia|russian|russians|moscow|moskva|kremlin|dien kremlin|lien bang nga",
    "trung quoc|china|chinese|bac kinh|beijing",
    "trieu tien|north korea|north korean|north koreans|binh nhuong|pyongyang|dprk",
    "my|us|u s|usa|united states|america|american|washington|nha trang|white house",
    "ukraine|ukrainian|kiev|kyiv",
    "han quoc|south korea|south korean|seoul",
    "nhat ban|japan|japanese|tokyo",
    "an do|india|indian|new delhi",
    "duc|germany|german|berlin",
    "lien xo|soviet|soviet union|ussr",
    "phuong tay|west|western",
    "tap can binh|xi|xi jinping|ong tap",
    "kim jong un|kim jong-un|kim",
    "putin|vladimir putin",
    "trump|donald trump",
    "biden|joe biden",
    "vien dong|far east",
    "lien hop quoc|united nations|un",
    "nato|to chuc hiep uoc bac dai tay duong",
    "viet nam|vietnam",
    "ban dao trieu tien|korean peninsula",
    "dong bac a|northeast asia|north east asia",
    "dong nam a|southeast asia|south east asia",
    "chau a|asia|asian",
    "chau au|europe|european",
    "trung dong|middle east",
    "bac cuc|arctic",
    "thai binh duong|pacific",
]
_ALIASES: dict[str, tuple[str, ...]] = {}
for _group in _ALIAS_GROUPS:
    _names = tuple(_group.split("|"))
    for _name in _names:
        _ALIASES[_name] = _names

# Capitalised words that are not names: question words, months, weekdays. Vietnamese
# month names ("tháng Giêng", "tháng Mười Hai") are caught by _month_word.
_NOT_NAMES = frozenset(
    """
    which what who whom whose when where why how is are was were did does do can could will
    would should the a an in on at of for to from by with and or but if according january
    february march april may june july august september october november december monday
    tuesday wednesday thursday friday saturday sunday i ông bà anh chị theo tại trong khi
    sau trước ngày tháng năm vào ai gì nào bao nhiêu tổng thống chủ tịch thủ tướng bộ
    trưởng thứ trưởng lãnh đạo ngoại giao
    """.split()
)
_RUN = re.compile(r"[^\W\d_][\w\-]*(?:\s+[^\W\d_][\w\-]*)*")


@dataclass(frozen=True)
class Entity:
    """A name in a question: how it was written and every folded way to say it."""

    text: str
    aliases: tuple[str, ...]


def question_entities(question: str) -> list[Entity]:
    """Names in ``question``: runs of capitalised words, split where a known name
    begins (``Russia–North Korea`` is two names), without the sentence's first
    word unless that word starts a known name."""
    found: dict[str, Entity] = {}
    for i, run in enumerate(_capitalised_runs(question)):
        words = [fold(w) for w in tokenize(run) if w not in _NOT_NAMES and len(w) > 1]
        first = i == 0 and question.lstrip().startswith(run) and words
        if first and not any(" ".join(words[:n]) in _ALIASES for n in range(1, 5)):
            words = words[1:]
        for entity in _segment(words):
            found.setdefault(entity.aliases[0], entity)
    return list(found.values())


def _segment(words: list[str]) -> list[Entity]:
    """Known names by longest match; the words between them form one unknown name."""
    out: list[Entity] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(4, len(words) - i), 0, -1):
            key = " ".join(words[i : i + n])
            if key in _ALIASES:
                break
        else:
            unknown.append(words[i])
            i += 1
            continue
        if unknown:
            out.append(Entity(" ".join(unknown), (" ".join(unknown),)))
            unknown = []
        out.append(Entity(key, _ALIASES[key]))
        i += n
    if unknown:
        out.append(Entity(" ".join(unknown), (" ".join(unknown),)))
    return out


def _capitalised_runs(question: str) -> list[str]:
    runs: list[str] = []
    for match in re.finditer(r"\S+", question):
        word = match.group(0).strip("\"'“”‘’«»()[]?!.,:;")
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        capital = bool(word) and word[0].isupper()
        capital = capital and not _month_word(word, question[: match.start()])
        if capital and runs and runs[-1] and _continues(question, match):
            runs[-1] = f"{runs[-1]} {word}"
        elif capital:
            runs.append(word)
        else:
            runs.append("")
    return [r for r in runs if r]


_MONTH_WORDS = frozenset("giêng chạp một hai ba tư bốn năm sáu bảy tám chín mười".split())


def _month_word(word: str, before_text: str) -> bool:
    """True for a word of a month's name: "Giêng" in "tháng Giêng", "Hai" in "tháng Mười Hai"."""
    if word.lower() not in _MONTH_WORDS:
        return False
    before = before_text.split()
    while before and before[-1].lower() in _MONTH_WORDS:
        before.pop()
    return bool(before) and before[-1].lower() == "tháng"


def _continues(question: str, match: re.Match[str]) -> bool:
    before = question[: match.start()].rstrip()
    return bool(before) and before[-1] not in ',.;:?!"“”()'


def mentions(entity: Entity, folded_text: str) -> bool:
    """True if ``folded_text`` (folded, tokens joined by spaces) names ``entity``.

    A long name may be cut short in the passage (``Sergey Ryabkov`` for ``Nga
    Sergey Ryabkov``): any two adjacent words of it, or its last word, count.
    """
    haystack = f" {folded_text} "
    for alias in entity.aliases:
        if f" {alias} " in haystack:
            return True
    words = entity.aliases[0].split()
    if len(words) > 2:
        for a, b in itertools.pairwise(words):
            if f" {a} {b} " in haystack:
                return True
    return False
