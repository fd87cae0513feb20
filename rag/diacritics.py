"""Put tone marks back on a question typed without them, using the corpus's own words.

``trieu tien gui bao nhieu quan`` is what many people type. BM25's folded field
matches it, but the embedding model reads unaccented Vietnamese poorly. The
restorer picks, for each folded syllable, the accented spelling that the corpus
uses most in that context (a bigram model with a Viterbi search), so the dense
retriever sees ``Triều Tiên gửi bao nhiêu quân``.

>>> r = DiacriticRestorer.build(["Triều Tiên gửi quân sang Nga", "Tiền gửi ngân hàng"])
>>> r.restore("trieu tien gui quan")
'Triều Tiên gửi quân'
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from .text import fold

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Everyday phrases of questions about the news, one per line, so that their
# words are restored even when a small corpus rarely uses them ("bao nhiêu",
# "sang"), and rare senses do not win on corpus counts alone.
_COMMON = """
ai là người
cái gì
ở đâu
khi nào
lúc nào
bao giờ
bao lâu
bao nhiêu người
bao nhiêu quân
bao nhiêu tiền
bao nhiêu năm
như thế nào
vì sao
tại sao
có không
đã nói gì về
cho biết điều gì
gửi quân sang
đưa quân sang
điều quân đến
binh sĩ quân đội quân sự
ký hiệp ước
ký thỏa thuận
hợp tác kinh tế thương mại
vẫn tăng
hội đàm với
điện đàm với
cuộc gặp thượng đỉnh
chuyến thăm
tuyên bố chung
phát biểu tại
máy bay ném bom
tên lửa hạt nhân
đầu đạn hạt nhân
xe tăng
giá vàng hôm nay
giá xăng
thời tiết ngày mai
đội tuyển bóng đá
món ăn công thức nấu
thủ đô của
bài báo đăng ngày nào
nguồn tin
hãng thông tấn
"""
_COMMON_WEIGHT = 3
# Bigrams seen fewer times than this are dropped from large corpora.
_MAX_BIGRAMS = 400_000


class DiacriticRestorer:
    """Bigram model over the corpus's lowercase syllables, plus their usual casing."""

    def __init__(
        self, unigrams: dict[str, int], bigrams: dict[str, int], casing: dict[str, str]
    ) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.casing = casing
        self._total = sum(unigrams.values()) or 1
        # Distinct followers of each word, for Witten-Bell smoothing.
        self._followers: Counter[str] = Counter(pair.split(" ", 1)[0] for pair in bigrams)
        self._by_fold: dict[str, list[str]] = {}
        for word in unigrams:
            self._by_fold.setdefault(fold(word), []).append(word)

    @classmethod
    def build(cls, texts: Iterable[str]) -> DiacriticRestorer:
        """Count syllables and syllable pairs of ``texts``."""
        unigrams: Counter[str] = Counter()
        bigrams: Counter[str] = Counter()
        surface: dict[str, Counter[str]] = {}
        phrases = _COMMON.strip().splitlines()
        for text in [*texts, *phrases]:
            weight = _COMMON_WEIGHT if text in phrases else 1
            words = _WORD.findall(text)
            lower = [w.lower() for w in words]
            for w, low in zip(words, lower):
                unigrams[low] += weight
                surface.setdefault(low, Counter())[w] += weight
            for a, b in itertools.pairwise(lower):
                bigrams[f"{a} {b}"] += weight
        if len(bigrams) > _MAX_BIGRAMS:
            bigrams = Counter({k: v for k, v in bigrams.items() if v > 1})
        casing = {low: forms.most_common(1)[0][0] for low, forms in surface.items()}
        return cls(dict(unigrams), dict(bigrams), casing)

    def to_dict(self) -> dict[str, Any]:
        return {"unigrams": self.unigrams, "bigrams": self.bigrams, "casing": self.casing}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DiacriticRestorer:
        return cls(data["unigrams"], data["bigrams"], data["casing"])

    def restore(self, text: str) -> str:
        """``text`` with each unaccented syllable replaced by its likeliest accented form.

        Words the corpus does not know, and words already accented, are kept.
        """
        words = list(_WORD.finditer(text))
        if not words:
            return text
        options = [self._options(m.group(0)) for m in words]
        # Viterbi over the candidate spellings of each word.
        best: list[dict[str, tuple[float, str | None]]] = [
            {w: (self._logp(w), None) for w in options[0]}
        ]
        for i in range(1, len(words)):
            column: dict[str, tuple[float, str | None]] = {}
            for w in options[i]:
                column[w] = max(
                    (score + self._logp(w, prev), prev) for prev, (score, _) in best[-1].items()
                )
            best.append(column)
        choice = max(best[-1], key=lambda w: best[-1][w][0])
        chosen = [choice]
        for i in range(len(words) - 1, 0, -1):
            prev = best[i][chosen[-1]][1]
            assert prev is not None
            chosen.append(prev)
        chosen.reverse()
        out, cursor = [], 0
        for match, word in zip(words, chosen):
            out.append(text[cursor : match.start()])
            original = match.group(0)
            out.append(original if word == original.lower() else self.casing.get(word, word))
            cursor = match.end()
        out.append(text[cursor:])
        return "".join(out)

    def _options(self, word: str) -> list[str]:
        low = word.lower()
        if fold(low) != low:
            return [low]  # typed with its marks: trust it
        return self._by_fold.get(low, []) or [low]

    def _logp(self, word: str, prev: str | None = None) -> float:
        uni = (self.unigrams.get(word, 0) + 0.1) / self._total
        if prev is None:
            return math.log(uni)
        # Witten-Bell: a word followed by many different words ("quân đội",
        # "quân sự", "quân đến") leaves more room for an unseen follower than one
        # that is nearly always followed by the same word ("quan hệ").
        seen = self.unigrams.get(prev, 0)
        kinds = self._followers.get(prev, 0) + 1
        pair = self.bigrams.get(f"{prev} {word}", 0)
        return math.log((pair + kinds * uni) / (seen + kinds))
