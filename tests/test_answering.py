"""The extractive answerer: sentence choice, citations, abstention."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeEmbedder
from test_index import write_corpus

from rag.answering import ABSTAIN_MESSAGE, ExtractiveAnswerer, Thresholds
from rag.config import Settings
from rag.index import Index, build_index, load_index
from rag.retrieval import retrieve

CORPUS = {
    "quan.txt": "Xung đột ở Ukraine\n\n"
    "Tuyên bố được đưa ra trong bối cảnh mới. Triều Tiên đã đưa hơn 10.000 quân đến hỗ trợ Nga. "
    "Cả Moscow và Bình Nhưỡng đều không phủ nhận.\n\nTheo TASS",
    "khi.txt": " date 2025-01-21 Nga cung cấp khí đốt cho Trung Quốc qua đường ống Viễn Đông. "
    "Việc cung cấp dự kiến bắt đầu vào năm 2027.",
}

# The fake embedder's similarities are not on e5's scale; test the logic alone.
LENIENT = Thresholds(min_coverage=0.5, min_similarity=-1.0, min_similarity_foreign=-1.0)


@pytest.fixture
def index(tmp_path: Path, fake_embedder: FakeEmbedder) -> Index:
    corpus = write_corpus(tmp_path / "c", CORPUS)
    settings = Settings(corpus=(corpus,), index=tmp_path / "i", chunk_tokens=64, chunk_overlap=8)
    build_index(settings, fake_embedder)
    return load_index(settings.index, fake_embedder)


def _answer(index: Index, emb: FakeEmbedder, question: str, th: Thresholds = LENIENT):
    qvec = emb.embed_queries([question])[0]
    hits = retrieve(index, question, qvec, k=3)
    return ExtractiveAnswerer(th).answer(question, hits, qvec, index)


def test_answer_quotes_the_sentence_and_cites_it(index: Index, fake_embedder) -> None:
    draft = _answer(index, fake_embedder, "Triều Tiên đã đưa bao nhiêu quân đến hỗ trợ Nga?")
    assert not draft.abstained
    assert "10.000 quân" in draft.text and "[1]" in draft.text
    first = draft.citations[0]
    assert first.n == 1 and first.article_id == "quan"
    article = index.articles["quan"]
    assert article.text[first.start : first.end] == first.passage
    (a, b), *_ = first.highlights
    assert "10.000" in article.text[a:b]
    assert first.start <= a < b <= first.end
    assert len([s for s in draft.text.split("[") if s]) <= 4  # at most three sentences


def test_off_topic_question_abstains(index: Index, fake_embedder) -> None:
    draft = _answer(index, fake_embedder, "Giá vàng hôm nay bao nhiêu?")
    assert draft.abstained and draft.text == ABSTAIN_MESSAGE and not draft.citations


def test_missing_named_entity_abstains(index: Index, fake_embedder) -> None:
    # Shares most words with the passage, but the passage never mentions India.
    draft = _answer(index, fake_embedder, "Triều Tiên đưa bao nhiêu quân đến hỗ trợ Ấn Độ?")
    assert draft.abstained


def test_date_question_states_the_article_date(index: Index, fake_embedder) -> None:
    draft = _answer(index, fake_embedder, "Tin Nga cung cấp khí đốt cho Trung Quốc đăng ngày nào?")
    assert not draft.abstained
    assert "2025-01-21" in draft.text


def test_similarity_floor_abstains(index: Index, fake_embedder) -> None:
    strict = Thresholds(min_coverage=0.0, min_similarity=1.01, min_similarity_foreign=1.01)
    assert _answer(index, fake_embedder, "Triều Tiên đưa bao nhiêu quân?", strict).abstained
