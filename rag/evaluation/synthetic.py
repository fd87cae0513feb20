"""Questions made from the articles themselves, for a corpus without a question set.

Each article gives questions whose answer is that article: its headline in a
question template, then sentences of its lead, shortened (the first clause,
often a dateline, dropped; cut to sixteen syllables) and turned into a
question. Every other question is typed without diacritics, as people often do.

They only tell how often an article is found from a rewording of its own words
(Recall@1, MRR); they are no substitute for questions written by people, and
every report made from them says so.

>>> from rag.types import Article
>>> text = "Ngày 7/11, tại Moscow, Tổng thống Putin có bài phát biểu về tình hình thế giới."
>>> for item in auto_questions([Article("a1", "Putin nói về nước Mỹ", text, "a1.txt")]):
...     print(item.question)
Bài báo nào viết về Putin nói về nước Mỹ?
tong thong putin co bai phat bieu ve tinh hinh the gioi, dung khong?
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import ConfigError
from ..text import FOLDED_STOPWORDS, fold, sentence_spans, tokenize
from ..types import Article
from .qaset import SYNTHETIC, QAItem

# Syllables kept from a lead sentence: long enough to point at one article,
# short enough not to be the article's own sentence word for word.
MAX_WORDS = 16
# Shorter sentences (captions, bylines, "(Ảnh: TASS)") make poor questions.
MIN_WORDS = 8
# Opening clauses up to this long are dropped.
MAX_CLAUSE = 12


def _folded_words(words: str) -> frozenset[str]:
    return frozenset(fold(w) for w in words.split())


_LINKING_WORDS = _folded_words(
    "và của với cho các những một trong về từ theo đến để tại là hay hoặc"
)
_TEMPLATES = ("Có phải {} không?", "{}, đúng không?", "Bài báo nào cho biết {}?")
_TITLE_TEMPLATE = "Bài báo nào viết về {}?"
# Common sentence openers that are not names, so their capital can go when the
# sentence moves inside a question ("Tổng thống Nga..." → "có phải tổng thống Nga...").
_COMMON_OPENERS = FOLDED_STOPWORDS | _folded_words(
    "tổng chủ thủ bộ nhà kênh ngày hôm lực quân chính cuộc hai ba các tờ hãng"
)


def auto_questions(articles: Iterable[Article], n_per_article: int = 2) -> list[QAItem]:
    """Up to ``n_per_article`` synthetic questions per article (kind ``"synthetic"``).

    >>> items = auto_questions(a for a, _ in rag.articles())  # doctest: +SKIP
    """
    if not 1 <= n_per_article <= 20:
        raise ConfigError(f"n_per_article must be between 1 and 20, got {n_per_article}.")
    items: list[QAItem] = []
    for article in articles:
        for n, text in enumerate(_article_questions(article, n_per_article)):
            # Alternate over the whole set so every article gets both spellings.
            question = fold(text) if len(items) % 2 else text
            items.append(
                QAItem(
                    id=f"{article.id}~{n + 1}",
                    question=question,
                    article_ids=(article.id,),
                    answers=(),
                    kind=SYNTHETIC,
                )
            )
    return items


def _article_questions(article: Article, limit: int) -> list[str]:
    out: list[str] = []
    if _is_headline(article):
        out.append(_TITLE_TEMPLATE.format(_inline(article.title.strip().rstrip(".?!"))))
    for start, end in sentence_spans(article.text):
        if len(out) >= limit:
            break
        words = _shortened(article.text[start:end])
        if words is not None:
            question = _TEMPLATES[len(out) % len(_TEMPLATES)].format(_inline(words))
            out.append(question[0].upper() + question[1:])
    return out[:limit]


def _is_headline(article: Article) -> bool:
    """False for a missing title or one cut from the lead (it would repeat the lead)."""
    title = article.title.strip().rstrip("…").rstrip(".")
    if len(tokenize(title)) < 3:
        return False
    return not fold(article.text.lstrip()).startswith(fold(title))


def _shortened(sentence: str) -> str | None:
    """The sentence without its opening clauses, cut to ``MAX_WORDS``; None if too short."""
    # Direct speech makes an odd question; what comes before the colon may still do.
    sentence = re.sub(r"[\"“”«»]", "", sentence.split(":", 1)[0])
    words = sentence.split()
    if len(tokenize(sentence)) < MIN_WORDS:
        return None
    # Short opening clauses are usually a dateline or a setting ("Ngày 7/11, tại Moscow,");
    # the subject follows them.
    while True:
        comma = next((i for i, w in enumerate(words) if w.endswith(",")), None)
        if comma is None or comma + 1 > MAX_CLAUSE or len(words) - comma - 1 < MIN_WORDS:
            break
        words = words[comma + 1 :]
    words = words[:MAX_WORDS]
    # Prefer to stop at a clause boundary when there is one late enough.
    comma = max(
        (i for i, w in enumerate(words) if w.endswith(",") and i >= MIN_WORDS), default=None
    )
    if len(words) == MAX_WORDS and comma is not None:
        words = words[: comma + 1]
    # Do not end on a linking word ("... và", "... của").
    while len(words) > MIN_WORDS // 2 and fold(words[-1].strip(",.;")) in _LINKING_WORDS:
        words.pop()
    return " ".join(words).strip(",.;!?…") or None


def _inline(text: str) -> str:
    """``text`` as it reads inside a sentence: a common first word loses its capital."""
    words = text.split(maxsplit=1)
    if words and fold(words[0]) in _COMMON_OPENERS:
        return text[0].lower() + text[1:]
    return text
