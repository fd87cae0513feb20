"""Retrieval: dense, lexical, hybrid fusion, diversity and filters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEmbedder
from test_index import write_corpus

from rag.config import Settings
from rag.errors import ConfigError
from rag.index import Index, build_index, load_index
from rag.lexical import LexicalIndex, has_diacritics
from rag.retrieval import Ranked, diversify, fuse, retrieve
from rag.types import SearchFilter

CORPUS = {
    "quan.txt": "Triều Tiên đã đưa hơn 10.000 quân đến hỗ trợ Nga trong xung đột ở Ukraine.",
    "dau.txt": "Hiệp ước New START giới hạn 1.550 đầu đạn hạt nhân triển khai.",
    "khi.txt": "Nga cung cấp khí đốt cho Trung Quốc qua đường ống từ năm 2027.",
    "quan2.txt": "Bình Nhưỡng điều binh sĩ tới khu vực Kursk theo hiệp ước song phương.\n\n"
    "Binh sĩ Triều Tiên được ca ngợi vì lòng dũng cảm.\n\n"
    "Điện Kremlin cảm ơn Triều Tiên vì sự hỗ trợ.",
}


@pytest.fixture
def index(tmp_path: Path, fake_embedder: FakeEmbedder) -> Index:
    corpus = write_corpus(tmp_path / "c", CORPUS)
    settings = Settings(corpus=(corpus,), index=tmp_path / "i", chunk_tokens=16, chunk_overlap=0)
    build_index(settings, fake_embedder)
    return load_index(settings.index, fake_embedder)


def _top_articles(index: Index, question: str, mode: str, emb: FakeEmbedder, **kw) -> list[str]:
    qvec = emb.embed_queries([question])[0]
    return [h.chunk.article_id for h in retrieve(index, question, qvec, mode=mode, **kw)]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_each_mode_finds_the_article(index: Index, fake_embedder: FakeEmbedder, mode: str) -> None:
    assert _top_articles(index, "New START giới hạn bao nhiêu đầu đạn", mode, fake_embedder)[0] == (
        "dau"
    )


def test_question_without_diacritics_finds_the_same_passage(
    index: Index, fake_embedder: FakeEmbedder
) -> None:
    accented = _top_articles(index, "khí đốt cho Trung Quốc", "lexical", fake_embedder)
    folded = _top_articles(index, "khi dot cho trung quoc", "lexical", fake_embedder)
    assert accented[0] == folded[0] == "khi"


def test_lexical_accented_spelling_beats_folded_lookalike() -> None:
    lex = LexicalIndex.build(["bàn ghế gỗ", "bán ghế gỗ"])
    scores = lex.scores("bán")
    assert scores[1] > scores[0] > 0  # exact spelling first, folded match still found
    assert has_diacritics("bán") and not has_diacritics("ban")


def test_numbers_match_whatever_the_separator(index: Index, fake_embedder: FakeEmbedder) -> None:
    assert _top_articles(index, "10000 quân", "lexical", fake_embedder)[0] == "quan"


def test_rrf_rewards_agreement() -> None:
    a = Ranked(np.array([1, 2, 3]), np.array([0.9, 0.8, 0.7], dtype=np.float32))
    b = Ranked(np.array([3, 2]), np.array([5.0, 4.0], dtype=np.float32))
    fused = fuse([a, b], [1.0, 1.0])
    assert fused.ids.tolist() == [3, 2, 1]  # 3 and 2 are in both lists
    assert np.all(np.diff(fused.scores) <= 0)


def test_diversity_caps_one_article(index: Index) -> None:
    quan2 = [i for i, c in enumerate(index.chunks) if c.article_id == "quan2"]
    others = [i for i, c in enumerate(index.chunks) if c.article_id != "quan2"]
    assert len(quan2) >= 3, "the test needs an article of three chunks"
    ranked = Ranked(np.array(quan2 + others), np.linspace(1, 0, len(index.chunks)))
    top = diversify(index, ranked, k=3, per_article=2)
    arts = [index.chunks[i].article_id for i in top.ids]
    assert arts.count("quan2") == 2 and len(arts) == 3
    # With nothing else to show, the held-back passages fill the slots.
    alone = diversify(index, Ranked(np.array(quan2), np.ones(len(quan2))), k=3, per_article=2)
    assert len(alone.ids) == 3


def test_filter_restricts_articles(index: Index, fake_embedder: FakeEmbedder) -> None:
    only = SearchFilter(article_ids=frozenset({"khi"}))
    for mode in ("hybrid", "dense", "lexical"):
        arts = _top_articles(index, "Triều Tiên quân", mode, fake_embedder, filter=only)
        assert set(arts) <= {"khi"}


def test_bad_mode_and_k_are_refused(index: Index, fake_embedder: FakeEmbedder) -> None:
    with pytest.raises(ConfigError, match="hybrid"):
        retrieve(index, "x", None, mode="magic")
    with pytest.raises(ConfigError, match="k must be"):
        retrieve(index, "x", None, mode="lexical", k=0)
