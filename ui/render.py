"""HTML and markdown for the web chat: answers, their sources, whole articles.

Pure functions from the library's values (:class:`~rag.types.Answer`,
:class:`~rag.types.Citation`, :class:`~rag.types.Article`) to strings, so the
look can be tested without a browser. Every piece of corpus text goes through
:func:`escape` (HTML) or :func:`md_escape` (chat markdown): articles are
scraped from the web and may contain anything.

The sources panel carries, for each source, the whole article in a
``<template>``; a click on the card opens it in a reader (``ui/viewer.js``)
with the cited passage shaded, the sentences used marked, and the first mark
scrolled into view.

>>> highlight("Một. Hai. Ba.", [(5, 9)])
'Một. <mark class="rag-hl">Hai.</mark> Ba.'
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rag.types import Answer, Article, Citation, Hit

Span = tuple[int, int]
ArticleLookup = Callable[[str], "Article | None"]

# A passage card shows at most this much text; the reader shows the rest.
CARD_CHARS = 420
# Articles longer than this open as a window around the passage, so one huge
# upload cannot make every answer heavy.
READER_CHARS = 60_000
# Closest articles listed when the corpus has no answer.
CLOSEST_ARTICLES = 3

RETRIEVER_LABELS = {
    "hybrid": "kết hợp",
    "dense": "ngữ nghĩa",
    "lexical": "từ khóa",
}

_MD_SPECIAL = re.compile(r"([\\`*_{}<>#|$~])")


def escape(text: str | None) -> str:
    """HTML-escape corpus text, quotes included (it also lands in attributes).

    >>> escape('<b>"Nga" & Mỹ</b>')
    '&lt;b&gt;&quot;Nga&quot; &amp; Mỹ&lt;/b&gt;'
    """
    return html.escape(text or "", quote=True)


def md_escape(text: str | None) -> str:
    """Escape what chat markdown would otherwise read as markup or HTML.

    Brackets stay: the answer's ``[1]`` markers must read as written.

    >>> md_escape("Giá *vàng* <b>")
    'Giá \\\\*vàng\\\\* \\\\<b\\\\>'
    """
    return _MD_SPECIAL.sub(r"\\\1", text or "")


def _merge(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def highlight(
    text: str,
    marks: Sequence[Span],
    offset: int = 0,
    *,
    band: Span | None = None,
    focus_id: str | None = None,
) -> str:
    """Escape ``text``, wrap the ``marks`` in ``<mark>`` and ``band`` in a shaded span.

    ``text`` starts at article offset ``offset``; ``marks`` and ``band`` are
    article offsets (as in :attr:`Citation.highlights`) and are clipped to the
    text. ``focus_id`` goes on the first mark, or on the band when nothing is
    marked, so a script can scroll to it.

    >>> highlight("Hai. Ba.", [(5, 9)], offset=5)
    '<mark class="rag-hl">Hai.</mark> Ba.'
    """
    end_of_text = offset + len(text)

    def clip(span: Span) -> Span:
        return max(span[0], offset), min(span[1], end_of_text)

    merged = _merge(clip(s) for s in marks)
    shade = clip(band) if band else None
    if shade and shade[0] >= shade[1]:
        shade = None
    cuts = {offset, end_of_text}
    for span in [*merged, *([shade] if shade else [])]:
        cuts.update(span)
    points = sorted(cuts)
    focus_on_mark = bool(focus_id and merged)
    focus_on_band = bool(focus_id and not merged and shade)
    pieces: list[str] = []
    for a, b in itertools.pairwise(points):
        piece = escape(text[a - offset : b - offset])
        if any(s <= a and b <= e for s, e in merged):
            attrs = ' class="rag-hl"'
            if focus_on_mark:
                attrs += f' id="{escape(focus_id)}"'
                focus_on_mark = False
            piece = f"<mark{attrs}>{piece}</mark>"
        if shade and shade[0] <= a and b <= shade[1]:
            attrs = ' class="rag-passage"'
            if focus_on_band:
                attrs += f' id="{escape(focus_id)}"'
                focus_on_band = False
            piece = f"<span{attrs}>{piece}</span>"
        pieces.append(piece)
    return "".join(pieces)


def meta_line(date: str | None, source: str | None) -> str:
    """``13/08/2025 · TASS`` from what is known (plain text); empty when nothing is.

    >>> meta_line("2025-08-13", "TASS")
    '13/08/2025 · TASS'
    """
    return " · ".join(p for p in (vn_date(date), source or "") if p)


def vn_date(date: str | None) -> str:
    """An ISO date the way Vietnamese readers write it (``13/08/2025``).

    >>> vn_date("2025-08-13")
    '13/08/2025'
    """
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", date or "")
    if not match:
        return date or ""
    year, month, day = match.groups()
    return f"{day}/{month}/{year}"


# ------------------------------------------------------------------ reader


def render_article(
    article: Article,
    *,
    band: Span | None = None,
    marks: Sequence[Span] = (),
    label: str | None = None,
    focus_id: str = "rag-focus",
) -> str:
    """The whole article for the reader, the cited passage shaded and its sentences marked.

    ``focus_id`` lands on the first mark (or on the passage when nothing is
    marked) so the reader can scroll it into view.
    """
    text, offset = article.text, 0
    if len(text) > READER_CHARS:
        centre = marks[0][0] if marks else (band[0] if band else 0)
        offset = max(0, min(centre - READER_CHARS // 2, len(text) - READER_CHARS))
        text = text[offset : offset + READER_CHARS]
    body = highlight(text, marks, offset, band=band, focus_id=focus_id)
    cut = '<p class="rag-cut">…</p>'
    link = (
        f'<a href="{escape(article.url)}" target="_blank" rel="noopener noreferrer">Bài gốc ↗</a>'
        if article.url and article.url.startswith(("http://", "https://"))
        else ""
    )
    meta = [escape(meta_line(article.date, article.source)), link]
    meta.append(f"<code>{escape(article.id)}</code>")
    return (
        '<div class="rag-reader"><div class="rag-reader-head">'
        + (f'<div class="rag-reader-label">{escape(label)}</div>' if label else "")
        + f'<h2 class="rag-reader-title">{escape(article.title)}</h2>'
        + f'<div class="rag-reader-meta">{" · ".join(p for p in meta if p)}</div></div>'
        + (cut if offset else "")
        + f'<div class="rag-reader-text">{body}</div>'
        + (cut if offset + len(text) < len(article.text) else "")
        + "</div>"
    )


# ------------------------------------------------------------- side panel


@dataclass(frozen=True)
class Source:
    """One card of the side panel: a citation, or a passage looked at without answering."""

    label: str  # "1" for citation [1], "" for a closest article
    article_id: str
    title: str
    date: str | None
    source: str | None
    passage: str
    start: int
    end: int
    highlights: tuple[Span, ...] = ()

    @classmethod
    def of_citation(cls, c: Citation) -> Source:
        return cls(
            str(c.n),
            c.article_id,
            c.title,
            c.date,
            c.source,
            c.passage,
            c.start,
            c.end,
            tuple(c.highlights),
        )

    @classmethod
    def of_hit(cls, hit: Hit, article: Article | None) -> Source:
        chunk = hit.chunk
        return cls(
            "",
            chunk.article_id,
            article.title if article else chunk.article_id,
            article.date if article else None,
            article.source if article else None,
            chunk.text,
            chunk.start,
            chunk.end,
        )


def _card_passage(src: Source) -> str:
    """The passage with its used sentences marked, trimmed around the first mark."""
    text, offset = src.passage, src.start
    if len(text) > CARD_CHARS:
        focus = src.highlights[0][0] - src.start if src.highlights else 0
        lo = max(0, min(focus - 60, len(text) - CARD_CHARS))
        lo = text.rfind(" ", 0, lo) + 1 if lo else 0
        hi = lo + CARD_CHARS
        hi = text.find(" ", hi) if text.find(" ", hi) != -1 else len(text)
        body = highlight(text[lo:hi], src.highlights, offset + lo)
        return ("… " if lo else "") + body + (" …" if hi < len(text) else "")
    return highlight(text, src.highlights, offset)


def render_card(src: Source, article: Article | None, key: str) -> str:
    """A source card; with the article known, a click opens it in the reader."""
    meta = escape(meta_line(src.date, src.source))
    badge = (
        f'<span class="rag-badge" aria-label="Nguồn {escape(src.label)}">{escape(src.label)}</span>'
        if src.label
        else '<span class="rag-badge rag-badge-muted" aria-hidden="true">•</span>'
    )
    head = (
        f'<div class="rag-card-head">{badge}<div>'
        f'<div class="rag-card-title">{escape(src.title)}</div>'
        + (f'<div class="rag-card-meta">{meta}</div>' if meta else "")
        + "</div></div>"
    )
    quote = f'<blockquote class="rag-card-text">{_card_passage(src)}</blockquote>'
    if article is None:
        return f'<div class="rag-card" data-article="{escape(src.article_id)}">{head}{quote}</div>'
    template_id = f"rag-article-{key}"
    reader = render_article(
        article,
        band=(src.start, src.end),
        marks=src.highlights,
        label=f"Nguồn [{src.label}]" if src.label else "Bài đã xem",
    )
    return (
        f'<div class="rag-card rag-clickable" role="button" tabindex="0" '
        f'data-rag-open="{template_id}" data-article="{escape(src.article_id)}" '
        f'aria-label="Đọc toàn bài: {escape(src.title)}">'
        f'{head}{quote}<div class="rag-card-more">Đọc toàn bài →</div></div>'
        f'<template id="{template_id}">{reader}</template>'
    )


def closest_sources(
    answer: Answer, lookup: ArticleLookup, limit: int = CLOSEST_ARTICLES
) -> list[Source]:
    """The best passage of each of the first ``limit`` articles the search looked at."""
    seen: set[str] = set()
    out: list[Source] = []
    for hit in answer.hits:
        if hit.chunk.article_id in seen:
            continue
        seen.add(hit.chunk.article_id)
        out.append(Source.of_hit(hit, lookup(hit.chunk.article_id)))
        if len(out) == limit:
            break
    return out


def render_sources(answer: Answer, lookup: ArticleLookup) -> str:
    """The side panel for ``answer``: its citations, or the closest articles when it abstained."""
    if answer.citations:
        cards = [
            render_card(Source.of_citation(c), lookup(c.article_id), str(c.n))
            for c in answer.citations
        ]
        title = "Nguồn trích dẫn"
        note = "Câu được dùng để trả lời được tô vàng. Bấm vào một nguồn để đọc toàn bài."
    else:
        sources = closest_sources(answer, lookup)
        cards = [
            render_card(src, lookup(src.article_id), f"seen-{i}")
            for i, src in enumerate(sources, 1)
        ]
        title = "Không có nguồn trả lời được câu hỏi"
        note = "Các bài gần nhất đã xem:" if cards else "Không có đoạn nào khớp với bộ lọc đã chọn."
    return (
        f'<div class="rag-panel" data-question="{escape(answer.question)}">'
        f'<div class="rag-panel-title">{escape(title)}</div>'
        f'<p class="rag-panel-note">{escape(note)}</p>' + "".join(cards) + "</div>"
    )


def render_notice(title: str, body: str = "", *, kind: str = "info") -> str:
    """A panel with a short message (before the first question, or after an error)."""
    return (
        f'<div class="rag-panel rag-notice rag-notice-{escape(kind)}">'
        f'<div class="rag-panel-title">{escape(title)}</div>'
        + (f'<p class="rag-panel-note">{escape(body)}</p>' if body else "")
        + "</div>"
    )


# -------------------------------------------------------------------- chat


def reply_markdown(answer: Answer, lookup: ArticleLookup) -> str:
    """The chat reply: the answer with its ``[n]`` markers, or the abstain message
    followed by the closest articles looked at."""
    text = md_escape(answer.text)
    if answer.citations or not answer.abstained:
        return text
    closest = closest_sources(answer, lookup)
    if not closest:
        return text
    lines = [text, "", "Các bài gần nhất đã xem:"]
    for src in closest:
        meta = meta_line(src.date, src.source)
        lines.append(f"- {md_escape(src.title)}" + (f" ({md_escape(meta)})" if meta else ""))
    return "\n".join(lines)


def sources_summary(answer: Answer) -> str:
    """One collapsible line under a reply: what was cited, how the search ran, how long it took."""
    seconds = sum(answer.timings_ms.values()) / 1000
    timing = f"{seconds:.2f}".replace(".", ",") + " s"
    if answer.citations:
        articles = len({c.article_id for c in answer.citations})
        return f"Nguồn: {len(answer.citations)} đoạn trích từ {articles} bài · {timing}"
    return f"Đã xem {len(answer.hits)} đoạn · {timing}"


def sources_list_markdown(answer: Answer) -> str:
    """The citations as a short markdown list, for the collapsible part of a reply."""
    lines = []
    for c in answer.citations:
        meta = meta_line(c.date, c.source)
        tail = f" — {md_escape(meta)}" if meta else ""
        lines.append(f"**[{c.n}]** {md_escape(c.title)}{tail}")
    return "\n\n".join(lines)
