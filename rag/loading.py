"""Read a corpus of news articles from .txt, .md and .jsonl files.

Scraped news text arrives messy: a dateline glued to the lead, a headline or
none, photo captions printed twice, "Tin tiêu điểm" and "Bình luận (0)" left
over from the page. Loading turns each file into clean :class:`~rag.types.Article`
values and recovers what metadata the text carries:

- **text** — NFC with one tone-placement style (:func:`rag.text.normalize`),
  one paragraph per non-empty line, paragraphs joined by ``"\\n\\n"``. Every
  content sentence of the file is kept; only the title line, the dateline,
  the source line and page boilerplate are taken out.
- **title** — the first line when it reads as a headline (short, no final
  period, set apart by a blank line or followed by prose), a markdown
  ``# Heading`` or front-matter ``title:``; otherwise the first sentence of the
  lead, cut at a word boundary to about 90 characters with "…".
- **date** — ISO ``YYYY-MM-DD`` from a leading ``date 2025-08-13`` prefix (the
  rest of that line stays as text) or a line that is only a date
  (``13/08/2025``, ``Thứ Ba, 13/8/2025 10:30 (GMT+7)``).
- **source** — from a closing line ``Theo TASS`` / ``Nguồn: Reuters`` (removed
  from the text: it names the origin, it says nothing) or from a lead prefix
  such as ``GD&TĐ - `` (removed from the lead). When both are present the
  source names both: ``GD&TĐ, theo TASS`` (the outlet, and the agency whose
  story it republished).

Files of a ``.jsonl`` corpus carry one article a line with ``id``, ``title``
and ``text`` (required) and ``date``, ``source``, ``url`` (optional); their
text is cleaned the same way, and fields given explicitly win over anything
recovered from the text. Their ``Article.path`` is ``"<file>#L<line>"``.

>>> report = load_corpus([Path("seeds")])  # doctest: +SKIP
>>> report.articles[1].title  # doctest: +SKIP
'Kết quả cuộc đàm phán giữa Tổng thống Putin và Lãnh đạo Kim Jong un'
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .errors import CorpusError
from .text import FOLDED_STOPWORDS, fold, normalize, sentence_spans
from .types import Article

SUFFIXES = (".txt", ".md", ".jsonl")
TITLE_CHARS = 90  # a title built from the lead is cut to about this many characters


@dataclass(frozen=True)
class LoadReport:
    """What :func:`load_corpus` read.

    ``warnings`` are one-line notes about files or articles that were skipped;
    ``duplicates`` are the ids of articles dropped because an earlier article
    has the same text.
    """

    articles: tuple[Article, ...]
    warnings: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()


class UnreadableFileError(CorpusError):
    """One file cannot be loaded; ``reason`` says why in a few words."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"Cannot load {path}: {reason}.")
        self.path = path
        self.reason = reason


# ---------------------------------------------------------------- corpus


def load_corpus(dirs: Sequence[Path]) -> LoadReport:
    """Load every article under ``dirs`` (folders, searched recursively, or single files).

    Files are read in sorted order, so the first of two articles with the same
    id or the same text is the one kept. Hidden files, ``README.md`` and
    question sets (``qa.jsonl``, ``*qa*.jsonl``) are not articles and are
    passed over. A file that cannot be read becomes a warning, not an error.

    Raises :class:`CorpusError` when a folder does not exist or nothing at all
    could be loaded.

    >>> report = load_corpus([Path("seeds")])  # doctest: +SKIP
    >>> len(report.articles), report.warnings  # doctest: +SKIP
    (5, ())
    """
    paths = [Path(d) for d in dirs]
    for folder in paths:
        if not folder.exists():
            raise CorpusError(
                f"Corpus folder not found: {folder}. "
                "Pass an existing folder with --corpus DIR or set RAG_CORPUS."
            )

    articles: list[Article] = []
    warnings: list[str] = []
    duplicates: list[str] = []
    seen_ids: dict[str, str] = {}
    seen_texts: set[bytes] = set()
    for path in _corpus_files(paths):
        try:
            loaded = load_file(path)
        except UnreadableFileError as err:
            warnings.append(f"skipped {err.path}: {err.reason}")
            continue
        for article in loaded:
            if article.id in seen_ids:
                warnings.append(
                    f"skipped {article.path}: id {article.id!r} already used by "
                    f"{seen_ids[article.id]}; give it another id"
                )
                continue
            digest = hashlib.blake2b(article.text.encode(), digest_size=16).digest()
            if digest in seen_texts:
                duplicates.append(article.id)
                continue
            seen_ids[article.id] = article.path
            seen_texts.add(digest)
            articles.append(article)

    if not articles:
        names = ", ".join(str(p) for p in paths) or "(none)"
        detail = f" ({len(warnings)} file(s) skipped: {warnings[0]})" if warnings else ""
        raise CorpusError(
            f"No article found in {names}{detail}. "
            f"Add {', '.join(SUFFIXES)} files or point --corpus at another folder."
        )
    return LoadReport(tuple(articles), tuple(warnings), tuple(duplicates))


def _corpus_files(roots: Sequence[Path]) -> Iterator[Path]:
    seen: set[Path] = set()  # a folder given twice, or inside another, is read once
    for root in roots:
        if root.is_file():
            found = [root]
        else:
            found = sorted(
                (
                    p
                    for p in root.rglob("*")
                    if p.is_file() and _is_article_file(p.relative_to(root))
                ),
                key=lambda p: p.relative_to(root).parts,
            )
        for path in found:
            if path.resolve() not in seen:
                seen.add(path.resolve())
                yield path


def _is_article_file(relative: Path) -> bool:
    if any(part.startswith(".") for part in relative.parts):
        return False
    name = relative.name.lower()
    if relative.suffix.lower() not in SUFFIXES:
        return False
    if name == "readme.md":
        return False
    # Question sets for evaluation sit beside the articles they ask about.
    return not (name.endswith(".jsonl") and "qa" in name[: -len(".jsonl")])


# ---------------------------------------------------------------- one file


def load_file(path: Path) -> list[Article]:
    """The articles in one ``.txt``, ``.md`` (one article) or ``.jsonl`` file.

    Raises :class:`UnreadableFileError` (a :class:`CorpusError`) naming the
    file and why: unsupported type, binary, not UTF-8, empty, bad JSON or a
    missing field on line N.

    >>> [a.id for a in load_file(Path("seeds/003_d4b799bebb912297.txt"))]  # doctest: +SKIP
    ['003_d4b799bebb912297']
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UnreadableFileError(
            path, f"unsupported file type {suffix or '(none)'!r}; use {', '.join(SUFFIXES)}"
        )
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise UnreadableFileError(path, f"cannot be read ({err.strerror or err})") from None
    text = _decode(path, raw)
    if not text.strip():
        raise UnreadableFileError(path, "empty file")
    if suffix == ".jsonl":
        return _load_jsonl(path, text)
    parsed = parse_article_text(text, markdown=suffix == ".md")
    if not parsed.text:
        raise UnreadableFileError(path, "no text left after removing page boilerplate")
    return [
        Article(
            id=path.stem,
            title=parsed.title,
            text=parsed.text,
            path=str(path),
            date=parsed.date,
            source=parsed.source,
            url=parsed.url,
        )
    ]


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFileError(path, "UTF-16 text; save it as UTF-8")
    if b"\x00" in raw[:8192]:
        raise UnreadableFileError(path, "binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        bad = raw[err.start : err.start + 1].hex()
        raise UnreadableFileError(
            path, f"not UTF-8 text (byte 0x{bad} at offset {err.start}); save it as UTF-8"
        ) from None


def _load_jsonl(path: Path, text: str) -> list[Article]:
    articles = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise UnreadableFileError(path, f"bad JSON on {where} ({err.msg})") from None
        if not isinstance(record, dict):
            raise UnreadableFileError(path, f"{where} is not a JSON object")
        fields = {k: _field(path, where, record, k) for k in ("id", "title", "text")}
        missing = [k for k, v in fields.items() if not v]
        if missing:
            raise UnreadableFileError(path, f"missing field {missing[0]!r} on {where}")
        title = _clean_line(normalize(fields["title"]))
        parsed = parse_article_text(fields["text"], keep_first_line=True)
        body = parsed.text
        if body == title or body.startswith(f"{title}\n\n"):
            # Exports often repeat the title as the first line of the text.
            body = body[len(title) :].lstrip()
        if not body:
            raise UnreadableFileError(path, f"no text on {where} after removing boilerplate")
        raw_date = _field(path, where, record, "date")
        iso = None
        if raw_date:
            iso = parse_date(raw_date)
            if iso is None:
                raise UnreadableFileError(
                    path, f"date {raw_date!r} on {where} is not YYYY-MM-DD or DD/MM/YYYY"
                )
        articles.append(
            Article(
                id=fields["id"],
                title=title,
                text=body,
                path=f"{path}#L{number}",
                date=iso or parsed.date,
                source=_clean_line(normalize(_field(path, where, record, "source")))
                or parsed.source,
                url=_field(path, where, record, "url").strip() or None,
            )
        )
    return articles


def _field(path: Path, where: str, record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise UnreadableFileError(path, f"field {key!r} on {where} must be a string")
    return str(value).strip() if key == "id" else str(value)


# ---------------------------------------------------------------- scraped text


@dataclass(frozen=True)
class ParsedText:
    """The cleaned body of one article and the metadata found in it."""

    title: str
    text: str
    date: str | None = None
    source: str | None = None
    url: str | None = None


# Whole lines the news sites print around an article; never content.
_BOILERPLATE = re.compile(
    r"(?:tin tiêu điểm|đừng bỏ lỡ|tin liên quan|xem thêm|đọc thêm|tin cùng chuyên mục"
    r"|có thể bạn quan tâm|bình luận(?:\s*\(\d+\))?)\s*:?",
    re.IGNORECASE,
)
# "Xem thêm: <headline of another article>" links away; it is not this article.
_LINK_AWAY = re.compile(r"(?:xem thêm|đọc thêm|tin liên quan)\s*:", re.IGNORECASE)
_DATE_PREFIX = re.compile(
    r"date\s*[:=]?\s*(\d{4}-\d{1,2}-\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?\S*)?(?:\s+|$)",
    re.IGNORECASE,
)
_DATELINE = re.compile(
    r"(?:(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|\d)|chủ\s+nhật)\s*,?\s*)?"
    r"(?:ngày\s+)?(\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}-\d{1,2}-\d{1,2})"
    r"(?:\s*[,|-]?\s*\d{1,2}[:h]\d{2}(?::\d{2})?)?(?:\s*\(?(?:GMT|UTC)\s*[+-]\s*\d{1,2}\)?)?",
    re.IGNORECASE,
)
_SOURCE_LINE = re.compile(
    r"\(?\s*(?:theo|nguồn)\s*:?\s+([^\s,.;:()][^,;:()]{0,40}?)\s*\.?\s*\)?", re.IGNORECASE
)
# "GD&TĐ - ", "(Dân trí) - ", "VOV.VN - ", "TTO - ", "VietNamNet - " at the start of the lead.
_LEAD_SOURCE = re.compile(
    r"(?:\((?P<paren>[^()\n]{2,30})\)|(?P<bare>[^\W\d_][\w&.]{1,24}))\s*[-–—]\s+(?=\S)"
)
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\x00-\x08\x0b-\x1f\x7f]")
_END_PUNCT = re.compile(r"[.…:;,]\W*$")


def parse_article_text(
    text: str, *, markdown: bool = False, keep_first_line: bool = False
) -> ParsedText:
    """Clean one scraped article and recover its title, date and source.

    ``keep_first_line`` is for text whose title is known already (a JSONL
    record): the first line is then never taken for a title.

    >>> p = parse_article_text("Nga và Mỹ hội đàm\\n\\nHai bên đã gặp nhau.\\nTheo TASS")
    >>> p.title, p.text, p.source
    ('Nga và Mỹ hội đàm', 'Hai bên đã gặp nhau.', 'TASS')
    """
    lines = [_clean_line(line) for line in normalize(text).splitlines()]
    meta: dict[str, str] = {}
    if markdown:
        lines = _front_matter(lines, meta)
    lines = [line if not _is_boilerplate(line) else "" for line in lines]
    body_date = _take_date(lines)

    # A markdown "# Heading" is removed even when front matter names the title too.
    taken = "" if keep_first_line else _take_title(lines, markdown=markdown)
    title = meta.get("title") or taken
    if markdown:
        lines = [re.sub(r"^#{1,6}\s+", "", line) for line in lines]

    paragraphs = _paragraphs(lines)
    agency = outlet = None
    if paragraphs:
        closing = _SOURCE_LINE.fullmatch(paragraphs[-1])
        if closing and len(paragraphs) > 1 and _looks_like_name(closing.group(1)):
            paragraphs.pop()
            agency = closing.group(1).strip()
    if paragraphs:
        lead = _LEAD_SOURCE.match(paragraphs[0])
        if lead and _looks_like_outlet(lead.group("paren") or lead.group("bare")):
            paragraphs[0] = paragraphs[0][lead.end() :]
            outlet = (lead.group("paren") or lead.group("bare")).strip()
    source = meta.get("source") or _source_name(outlet, agency)

    raw_date = meta.get("date")
    iso = parse_date(raw_date) if raw_date else None
    return ParsedText(
        title=title or (title_from_lead(paragraphs[0]) if paragraphs else ""),
        text="\n\n".join(paragraphs),
        date=iso or body_date,
        source=source,
        url=meta.get("url") or None,
    )


def _source_name(outlet: str | None, agency: str | None) -> str | None:
    """``GD&TĐ, theo TASS`` when an outlet republishes an agency's story."""
    if outlet and agency and outlet != agency:
        return f"{outlet}, theo {agency}"
    return outlet or agency


def _clean_line(line: str) -> str:
    return _SPACES.sub(" ", _INVISIBLE.sub("", line)).strip()


def _is_boilerplate(line: str) -> bool:
    return bool(_BOILERPLATE.fullmatch(line) or _LINK_AWAY.match(line))


def _front_matter(lines: list[str], meta: dict[str, str]) -> list[str]:
    """Read a leading ``---`` block of ``key: value`` lines into ``meta``."""
    if not lines or lines[0] != "---":
        return lines
    try:
        close = lines.index("---", 1)
    except ValueError:
        return lines
    for line in lines[1:close]:
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip().lower()] = value.strip().strip("\"'").strip()
    return lines[close + 1 :]


def _take_date(lines: list[str]) -> str | None:
    """Remove a dateline from the first lines and return it as ISO; None if there is none."""
    for i in _first_nonempty(lines, 3):
        prefixed = _DATE_PREFIX.match(lines[i])
        if prefixed:
            iso = parse_date(prefixed.group(1))
            if iso:
                lines[i] = lines[i][prefixed.end() :].strip()
                return iso
        whole = _DATELINE.fullmatch(lines[i])
        if whole:
            iso = parse_date(whole.group(1))
            if iso:
                lines[i] = ""
                return iso
    return None


def _take_title(lines: list[str], *, markdown: bool) -> str:
    """Remove and return the headline line, or return "" when the text starts with the lead."""
    first = _first_nonempty(lines, 2)
    if not first:
        return ""
    i = first[0]
    line = lines[i]
    if markdown and line.startswith("# "):
        lines[i] = ""
        return line[2:].strip()
    if len(first) < 2 or not _looks_like_headline(line):
        return ""
    set_apart = i + 1 < len(lines) and not lines[i + 1]
    following = lines[first[1]]
    followed_by_prose = bool(_END_PUNCT.search(following)) and len(following) > len(line)
    if set_apart or followed_by_prose:
        lines[i] = ""
        return line
    return ""


def _looks_like_headline(line: str) -> bool:
    words = line.split()
    if not 2 <= len(words) <= 30 or len(line) > 160:
        return False
    if _LEAD_SOURCE.match(line) or _END_PUNCT.search(line):
        return False
    # A question or exclamation can be a headline, but only a short one.
    return not (line[-1] in "?!" and len(line) > 100)


def _first_nonempty(lines: list[str], n: int) -> list[int]:
    found = []
    for i, line in enumerate(lines):
        if line:
            found.append(i)
            if len(found) == n:
                break
    return found


def _paragraphs(lines: list[str]) -> list[str]:
    """Each non-empty line is a paragraph; a line repeating the one before is a doubled caption."""
    out: list[str] = []
    for line in lines:
        if line and (not out or line != out[-1]):
            out.append(line)
    return out


def _looks_like_name(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 5 and text[:1].isupper()


def _looks_like_outlet(name: str) -> bool:
    """True for news-outlet tags (GD&TĐ, VOV.VN, TTO, VietNamNet), not for words such as "Nga"."""
    name = name.strip()
    if not name or len(name) > 30:
        return False
    capitals = sum(ch.isupper() for ch in name)
    if " " in name:
        # Only in parentheses: "(Dân trí)".
        return len(name.split()) <= 3 and name[0].isupper()
    if "&" in name or "." in name:
        return capitals >= 2
    if name.isupper():
        return len(name) <= 4
    return capitals >= 2 and not name[1:].islower()


def parse_date(text: str) -> str | None:
    """ISO ``YYYY-MM-DD`` from ``2025-08-13`` or ``13/08/2025`` (day first); None if invalid.

    >>> parse_date("13/8/2025"), parse_date("2025-08-13"), parse_date("32/1/2025")
    ('2025-08-13', '2025-08-13', None)
    """
    text = text.strip()
    iso = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T ])", text)
    dmy = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif dmy:
        day, month, year = (int(g) for g in dmy.groups())
    else:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def title_from_lead(lead: str, limit: int = TITLE_CHARS) -> str:
    """A title made from the first sentence of ``lead``, cut at a word boundary with "…".

    >>> title_from_lead("Nga và Trung Quốc ký thỏa thuận mới. Hai bên hài lòng.")
    'Nga và Trung Quốc ký thỏa thuận mới'
    """
    spans = sentence_spans(lead)
    sentence = lead[spans[0][0] : spans[0][1]] if spans else lead.strip()
    if len(sentence) <= limit:
        return sentence.rstrip(".").rstrip()
    words = sentence[: limit + 1].split(" ")[:-1] or [sentence[:limit]]
    # "… đã thảo luận về…" reads badly; end on a word that carries meaning.
    while len(words) > 3 and fold(words[-1].strip(",;:-–—")) in FOLDED_STOPWORDS:
        words.pop()
    return " ".join(words).rstrip(" ,;:-–—") + "…"
