"""BM25 over Vietnamese syllables and syllable pairs, with a second diacritic-folded field.

People type Vietnamese with or without tone marks. The accented field rewards
exact spelling (``bán`` is not ``bàn``); the folded field lets ``trieu tien``
match ``Triều Tiên``. A question typed with diacritics is scored on both
fields; one typed without is scored on the folded field alone, where it loses
nothing.

The index is saved as a folder of plain files (bm25s: JSON vocabulary and
parameters, ``.npy`` sparse matrices, no pickle).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .text import fold, tokenize

_FIELDS = ("accented", "folded")


def has_diacritics(text: str) -> bool:
    """True if any letter of ``text`` carries a Vietnamese diacritic.

    >>> has_diacritics("trieu tien"), has_diacritics("Triều Tiên")
    (False, True)
    """
    return fold(text) != text.lower()


def _with_pairs(tokens: list[str]) -> list[str]:
    # Most Vietnamese words are two syllables ("Triều Tiên", "hiệp ước"); adjacent
    # pairs approximate them without a word segmenter and reward exact phrases.
    return tokens + [f"{a}_{b}" for a, b in itertools.pairwise(tokens)]


def _field_tokens(text: str) -> dict[str, list[str]]:
    accented = tokenize(text)
    return {
        "accented": _with_pairs(accented),
        "folded": _with_pairs([fold(t) for t in accented]),
    }


class LexicalIndex:
    """Two BM25 indexes (accented and folded syllables) over the same passages.

    >>> idx = LexicalIndex.build(["Triều Tiên gửi quân", "Trung Quốc mua khí đốt"])
    >>> int(np.argmax(idx.scores("trieu tien gui quan")))
    0
    """

    def __init__(self, fields: dict[str, object], size: int) -> None:
        self._fields = fields
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        """Index ``texts`` (the chunk texts, title included)."""
        import bm25s

        per_field: dict[str, list[list[str]]] = {name: [] for name in _FIELDS}
        for text in texts:
            for name, toks in _field_tokens(text).items():
                per_field[name].append(toks or ["∅"])
        fields: dict[str, object] = {}
        for name, corpus in per_field.items():
            model = bm25s.BM25(k1=1.2, b=0.75)
            model.index(corpus, show_progress=False)
            fields[name] = model
        return cls(fields, len(texts))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (zeros where nothing matches)."""
        toks = _field_tokens(query)
        names = ("accented", "folded") if has_diacritics(query) else ("folded",)
        total = np.zeros(self.size, dtype=np.float32)
        for name in names:
            model = self._fields[name]
            vocab = model.vocab_dict  # type: ignore[attr-defined]
            known = [t for t in toks[name] if t in vocab]
            if known:
                total += model.get_scores(known)  # type: ignore[attr-defined]
        return total

    def save(self, folder: Path) -> None:
        """Write one sub-folder per field plus a small JSON of what made it."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, model in self._fields.items():
            model.save(str(folder / name), show_progress=False)  # type: ignore[attr-defined]
        meta = {"fields": list(_FIELDS), "size": self.size, "tokenizer": "syllables+pairs-v1"}
        (folder / "lexical.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Load an index written by :meth:`save`."""
        import bm25s

        meta = json.loads((folder / "lexical.json").read_text(encoding="utf-8"))
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        fields = {
            name: bm25s.BM25.load(str(folder / name), allow_pickle=False, show_progress=False)
            for name in meta["fields"]
        }
        return cls(fields, int(meta["size"]))
