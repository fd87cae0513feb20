"""Cut articles into passages sized in the embedding model's tokens.

Two steps:

1. **Pieces.** langchain's ``RecursiveCharacterTextSplitter``, measuring with
   the model's own token counter, cuts the text on paragraphs first, then
   sentence ends, then clauses and words, and only as a last resort inside a
   word, and packs consecutive parts into pieces of at most
   ``chunk_tokens - overlap_tokens`` tokens. Pieces follow one another with
   nothing but whitespace between them, so each one's offsets are known
   without searching the text (a search can land on an earlier copy of
   repeated text). A section heading left at the end of a piece moves to the
   start of the next, beside the paragraph it names.
2. **Overlap.** Each chunk after the first starts with the tail of the piece
   before it: the longest tail within ``overlap_tokens``, moved forward to
   begin at a sentence start, or failing that a clause start, as long as
   that keeps at least half of it; otherwise it begins at a word. A fact told
   across a boundary is then still found in one chunk, and every pair of
   neighbours shares context, not only those split inside a paragraph (the
   splitter's own overlap keeps whole parts, and a whole paragraph is almost
   never small enough).

Every :class:`~rag.types.Chunk` knows where it sits:
``article.text[chunk.start:chunk.end] == chunk.text`` always holds, so answers
can highlight the exact sentences they used.

Sizes: ``chunk_tokens`` bounds ``length_function(chunk.text)`` — the model's
token count, special tokens included — for every chunk. What gets embedded is
:func:`embedding_text` (the title, then the chunk) plus the model's passage
prompt; keeping that under the model's limit is the caller's check, or pass
``max_tokens`` to :func:`embedding_text` and it leaves the title out when it
would not fit. With the defaults (128-token chunks, a 512-token model) it
always fits.

>>> from rag.types import Article
>>> article = Article("a", "Tin ngắn", "Nga đồng ý. Mỹ từ chối.", "a.txt")
>>> [c.text for c in chunk_article(article, lambda s: len(s.split()), 4, 0)]
['Nga đồng ý.', 'Mỹ từ chối.']
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from functools import lru_cache

from langchain_text_splitters import RecursiveCharacterTextSplitter

from .errors import ConfigError
from .text import sentence_spans
from .types import Article, Chunk

LengthFunction = Callable[[str], int]

# Regular expressions, tried in order; a part still too long is split by the next.
# Sentence ends are one alternative (not ". " then "? " then "! ") so that a
# paragraph is cut at whichever sentence end comes, and a closing quote after
# the stop stays with its sentence.
SEPARATORS = (
    r"\n\n",
    r"\n",
    r"[.?!…]+[\"'”’»)\]]*\s+",
    r";\s+",
    r",\s+",
    r"\s+",
    "",
)
_CLAUSE_START = re.compile(r"(?<=[,;:–—-])\s+(?=\S)")
_WORD_START = re.compile(r"(?<!\S)\S")
# A short paragraph with no sentence punctuation at all: a section heading.
_HEADING = re.compile(r"[^\n.?!…]{1,120}(?<![,;:])")


def chunk_article(
    article: Article,
    length_function: LengthFunction,
    chunk_tokens: int,
    overlap_tokens: int,
) -> list[Chunk]:
    """Split one article into chunks of at most ``chunk_tokens`` by ``length_function``.

    Consecutive chunks share up to ``overlap_tokens`` of text. Raises
    :class:`ConfigError` for sizes that leave no room for text.

    >>> a = Article("x", "T", "Một hai ba. Bốn năm sáu.", "x.txt")
    >>> [(c.id, c.start, c.end) for c in chunk_article(a, lambda s: len(s.split()), 3, 0)]
    [('x#0', 0, 11), ('x#1', 12, 24)]
    """
    return _Chunker(length_function, chunk_tokens, overlap_tokens).chunk(article)


def chunk_articles(
    articles: Iterable[Article],
    length_function: LengthFunction,
    chunk_tokens: int,
    overlap_tokens: int,
) -> list[Chunk]:
    """:func:`chunk_article` over many articles, in order, sharing one token-count cache."""
    chunker = _Chunker(length_function, chunk_tokens, overlap_tokens)
    return [chunk for article in articles for chunk in chunker.chunk(article)]


def embedding_text(
    article: Article,
    chunk: Chunk,
    *,
    length_function: LengthFunction | None = None,
    max_tokens: int | None = None,
) -> str:
    """The text embedded for ``chunk``: the article title as context, then the chunk.

    The title is left out when the chunk already starts with it (a lead the
    title was made from), and — given ``length_function`` and ``max_tokens`` —
    when title and chunk together would be longer than the model reads.

    >>> a = Article("x", "Nga và Mỹ", "Hai bên gặp nhau.", "x.txt")
    >>> embedding_text(a, Chunk("x#0", "x", 0, "Hai bên gặp nhau.", 0, 17))
    'Nga và Mỹ\\nHai bên gặp nhau.'
    """
    title = article.title.strip()
    if not title or chunk.text.startswith(title.rstrip("…").rstrip()):
        return chunk.text
    text = f"{title}\n{chunk.text}"
    if length_function and max_tokens is not None and length_function(text) > max_tokens:
        return chunk.text
    return text


class _Chunker:
    """Sizes, the splitter and a cache of token counts (the splitter measures each part often)."""

    def __init__(
        self, length_function: LengthFunction, chunk_tokens: int, overlap_tokens: int
    ) -> None:
        if not 0 <= overlap_tokens < chunk_tokens:
            raise ConfigError(
                f"overlap_tokens must be between 0 and {max(chunk_tokens - 1, 0)} "
                f"(below chunk_tokens={chunk_tokens}), got {overlap_tokens}."
            )
        self.count = lru_cache(maxsize=1 << 16)(length_function)
        self.chunk_tokens = chunk_tokens
        self.overlap_tokens = overlap_tokens
        # Counts include what the model adds to every text (special tokens, a
        # prompt). The splitter adds up the counts of parts, so it must see
        # only their own tokens, or every part would pay that cost again.
        self.fixed = self.count("")
        self.piece_tokens = chunk_tokens - overlap_tokens
        if self.piece_tokens - self.fixed < 1:
            raise ConfigError(
                f"chunk_tokens={chunk_tokens} with overlap_tokens={overlap_tokens} leaves no "
                f"room for text: the model adds {self.fixed} tokens to every passage. "
                "Use a larger chunk size or a smaller overlap."
            )

    def own_tokens(self, text: str) -> int:
        return max(0, self.count(text) - self.fixed)

    def chunk(self, article: Article) -> list[Chunk]:
        text = article.text
        pieces = self._pieces(text, 0, len(text), self.piece_tokens - self.fixed)
        pieces = self._headings_forward(text, pieces)
        sentence_starts = [a for a, _ in sentence_spans(text)] if len(pieces) > 1 else []
        spans: list[tuple[int, int]] = []
        for i, (start, end) in enumerate(pieces):
            if i and self.overlap_tokens:
                start = self._overlap_start(
                    text, sentence_starts, spans[-1][0], pieces[i - 1][1], start, end
                )
            spans.append((start, end))
        return [
            Chunk(f"{article.id}#{n}", article.id, n, text[start:end], start, end)
            for n, (start, end) in enumerate(spans)
        ]

    def _splitter(self, size: int) -> RecursiveCharacterTextSplitter:
        return RecursiveCharacterTextSplitter(
            separators=list(SEPARATORS),
            is_separator_regex=True,
            keep_separator="end",  # a sentence keeps its full stop
            chunk_size=size,
            chunk_overlap=0,
            length_function=self.own_tokens,
            strip_whitespace=True,
        )

    def _pieces(self, text: str, lo: int, hi: int, size: int) -> list[tuple[int, int]]:
        """Consecutive spans of ``text[lo:hi]``, each within ``piece_tokens``.

        A packed piece can count more tokens than its parts added up (a
        tokenizer is not additive across a join); such a piece is split again
        with a proportionally smaller budget.
        """
        spans: list[tuple[int, int]] = []
        cursor = lo
        for piece in self._splitter(size).split_text(text[lo:hi]):
            start = _place(text, piece, cursor, hi)
            end = start + len(piece)
            tokens = self.count(piece)
            if tokens > self.piece_tokens and size > 1 and len(piece) > 1:
                smaller = max(1, min(size - 1, size * self.piece_tokens // tokens))
                spans.extend(self._pieces(text, start, end, smaller))
            elif end > cursor:
                spans.append((start, end))
            cursor = max(cursor, end)
        return spans

    def _headings_forward(self, text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Move a section heading that ends a piece to the start of the next one.

        A heading belongs with the paragraph under it; left at the end of a
        piece it would be embedded apart from the text it names.
        """
        out = list(pieces)
        for i in range(len(out) - 1):
            start, end = out[i]
            cut = text.rfind("\n\n", start, end)
            if cut == -1 or not _HEADING.fullmatch(text, cut + 2, end):
                continue
            following = (cut + 2, out[i + 1][1])
            if out[i + 1][0] >= end and self.count(text[following[0] : following[1]]) <= (
                self.piece_tokens
            ):
                out[i] = (start, cut)
                out[i + 1] = following
        return out

    def _overlap_start(
        self,
        text: str,
        sentence_starts: list[int],
        prev_chunk_start: int,
        prev_end: int,
        start: int,
        end: int,
    ) -> int:
        """Where the chunk of piece ``text[start:end]`` begins, reaching back before ``start``.

        The overlap is the longest tail of the previous piece within
        ``overlap_tokens``, moved forward to a sentence start, else a clause
        start, when that keeps at least half of it; else it starts at a word. It never
        reaches the previous chunk's start, so no chunk holds another whole.
        """
        lo = prev_chunk_start + 1
        words = [m.start() for m in _WORD_START.finditer(text, lo, prev_end)]
        # Each word is at least one token, so only the last few words can fit:
        # searching those alone keeps the texts measured short.
        words = words[-(self.overlap_tokens + 1) :]
        # Tokens fall as the start moves right: binary search the leftmost fit.
        left, right = 0, len(words)
        while left < right:
            mid = (left + right) // 2
            if self.own_tokens(text[words[mid] : prev_end]) <= self.overlap_tokens:
                right = mid
            else:
                left = mid + 1
        words = words[left:]
        if not words:
            return start
        first = words[0]
        at = bisect_left(sentence_starts, first)
        sentence = sentence_starts[at] if at < len(sentence_starts) else prev_end
        clause = _CLAUSE_START.search(text, first, prev_end)
        boundary = first
        # A natural boundary is worth it only while it keeps at least half the overlap.
        for candidate in (sentence, clause.end() if clause else prev_end):
            if candidate < prev_end and (
                2 * self.own_tokens(text[candidate:prev_end]) >= self.overlap_tokens
            ):
                boundary = candidate
                break
        # The joined chunk can still count more than its parts; give up overlap until it fits.
        for candidate in [boundary, *(w for w in words if w > boundary)]:
            if self.count(text[candidate:end]) <= self.chunk_tokens:
                return candidate
        return start


def _place(text: str, piece: str, cursor: int, hi: int) -> int:
    """Offset of ``piece``, which the splitter cut right after ``cursor`` (whitespace between)."""
    at = cursor
    while at < hi and text[at].isspace():
        at += 1
    if text.startswith(piece, at):
        return at
    # A part counted as zero tokens (a lone dash) can be carried into the next
    # piece; the piece then starts a little before the cursor.
    back = text.rfind(piece, 0, at + len(piece))
    if back != -1 and back + len(piece) > cursor:
        return back
    raise ValueError(f"chunk text not found in the article near offset {cursor}: {piece[:40]!r}")
