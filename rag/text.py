"""Vietnamese text utilities shared by loading, lexical search and answering.

- :func:`normalize` makes one canonical spelling (NFC, one tone-placement style),
- :func:`fold` strips tone marks and diacritics the way people type without them,
- :func:`tokenize` splits into lowercase syllables (numbers kept whole),
- :func:`sentence_spans` finds sentence boundaries.

>>> fold("Triều Tiên đã gửi bao nhiêu quân?")
'trieu tien da gui bao nhieu quan?'
"""

from __future__ import annotations

import re
import unicodedata

# Tone marks (combining) in NFD; the other Vietnamese diacritics (breve,
# circumflex, horn) are combining marks too and are stripped by fold().
_TONES = "\u0300\u0301\u0303\u0309\u0323"

# "Old" tone placement (hòa, thúy) is what Vietnamese news mostly prints; the
# "new" one (hoà, thuý) is rewritten to it so both spellings index alike.
_NEW_STYLE = re.compile(
    r"(?<![qQ])([oOuU])([" + _TONES + r"]?)([aAeEyY])([" + _TONES + r"])(?![^\W\d_])"
)


def normalize(text: str) -> str:
    """Unicode NFC with old-style tone placement (``hoà`` → ``hòa``)."""
    decomposed = unicodedata.normalize("NFD", text)
    moved = _NEW_STYLE.sub(_move_tone, decomposed)
    return unicodedata.normalize("NFC", moved)


def _move_tone(match: re.Match[str]) -> str:
    first, first_tone, second, tone = match.groups()
    if first.lower() == "o" and second.lower() == "y":
        return match.group(0)
    if first.lower() == "u" and second.lower() != "y":
        return match.group(0)
    if first_tone:
        return match.group(0)
    return first + tone + second


def fold(text: str) -> str:
    """Lowercase, remove every diacritic, ``đ`` → ``d``: how people type without accents."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_TOKEN = re.compile(r"\d+(?:[.,]\d{3})+(?![\d])|\d+(?:,\d+)?|[^\W\d_]+")


def tokenize(text: str) -> list[str]:
    """Lowercase syllables and numbers; ``10.000`` and ``10,000`` both become ``10000``.

    >>> tokenize("Triều Tiên đưa hơn 10.000 quân")
    ['triều', 'tiên', 'đưa', 'hơn', '10000', 'quân']
    """
    out = []
    for tok in _TOKEN.findall(unicodedata.normalize("NFC", text).lower()):
        if tok[0].isdigit() and re.fullmatch(r"\d+(?:[.,]\d{3})+", tok):
            tok = tok.replace(".", "").replace(",", "")
        out.append(tok)
    return out


def folded_tokens(text: str) -> list[str]:
    """:func:`tokenize` then :func:`fold` each token."""
    return [fold(t) for t in tokenize(text)]


# Function words, question words and light verbs carry no topic; they are
# ignored when deciding whether a passage really talks about what was asked.
# A question typed with diacritics is matched against these exactly; one typed
# without them against their folded forms, less those that fold onto a content
# word (họ/hỗ, năm/nam, lúc/lực, nói/nội).
_STOPWORD_TEXT = """
    và của là có được các những một trong cho với đã này khi về từ theo đến để tại thì mà
    nhưng cũng như ra vào lại sẽ đang bị do vì nếu rằng hay hoặc nên trên dưới sau trước
    giữa hơn nhiều ít rất đó kia ấy nào gì ai đâu sao bao nhiêu mấy không chưa phải việc
    người ông bà anh chị họ chúng tôi ta mình nó lần cái điều bởi vậy thế nhất cùng đều chỉ
    mới vừa hãy xin hỏi biết hiện nay còn phía muốn làm lúc lên xuống nói năm ngày tháng
    what who whom which when where why how many much is are was were the a an of in on to
    for with did does do by from at and or that this about has have had
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_FOLD_COLLISIONS = frozenset("ho ba nam con luc noi lam muon minh ta ngay thang".split())
FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS) - _FOLD_COLLISIONS


def content_terms(text: str, *, folded: bool = True) -> list[str]:
    """Tokens that carry meaning (no stopwords, no single letters), folded by default.

    >>> content_terms("Triều Tiên gửi bao nhiêu quân?", folded=False)
    ['triều', 'tiên', 'gửi', 'quân']
    """
    out = []
    accented = fold(text) != text.lower()
    for tok in tokenize(text):
        plain = fold(tok)
        if len(plain) < 2 and not plain.isdigit():
            continue
        if not (tok in STOPWORDS if accented else plain in FOLDED_STOPWORDS):
            out.append(plain if folded else tok)
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’»)\]]*\s+(?=[\"“‘«(\[]?[^\W_a-zđ]|\d)|\n+")
_ABBREVIATIONS = ("TP.", "Tp.", "ThS.", "TS.", "PGS.", "GS.", "BS.", "St.", "Mr.", "Dr.", "v.v.")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text[start:end]``, whitespace trimmed.

    >>> s = "Nga đồng ý. Mỹ từ chối!"
    >>> [s[a:b] for a, b in sentence_spans(s)]
    ['Nga đồng ý.', 'Mỹ từ chối!']
    """
    stop = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, stop):
        piece_end = match.start()
        if match.group(0)[0] not in "\n" and text[cursor:piece_end].endswith(_ABBREVIATIONS):
            continue
        _append_trimmed(text, cursor, match.end() if text[piece_end] != "\n" else piece_end, spans)
        cursor = match.end()
    _append_trimmed(text, cursor, stop, spans)
    return spans


def _append_trimmed(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        spans.append((a, b))


_SYLLABLE = re.compile(
    r"(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?"
)


def looks_vietnamese(text: str) -> bool:
    """True if ``text`` reads as Vietnamese, typed with or without diacritics.

    Without diacritics, a word is taken as Vietnamese when it is a possible
    Vietnamese syllable; English words mostly are not (``how``, ``troops``).

    >>> looks_vietnamese("trieu tien gui bao nhieu quan"), looks_vietnamese("How many troops?")
    (True, False)
    """
    words = [t for t in tokenize(text) if not t.isdigit()]
    if not words:
        return True
    if any(fold(w) != w for w in words):
        return True
    valid = sum(1 for w in words if _SYLLABLE.fullmatch(w))
    return valid * 2 > len(words)
