"""Chunking: exact offsets, sizes within the token budget, overlap, sentence boundaries."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from rag.chunking import chunk_article, chunk_articles, embedding_text
from rag.errors import ConfigError
from rag.loading import load_corpus
from rag.text import sentence_spans
from rag.types import Article, Chunk

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

SHORT_SENTENCES = [
    "Nga và Triều Tiên ký hiệp ước.",
    "Hai bên hứa hỗ trợ lẫn nhau.",
    "Kim ngạch thương mại tăng mạnh.",
    "Du lịch được mở rộng.",
    "Sinh viên sang Nga học tập.",
    "Đoàn múa ba lê biểu diễn ở Bình Nhưỡng.",
    "Mỹ phản đối hiệp ước này.",
    "Hàn Quốc bày tỏ lo ngại.",
]


def article(text: str, title: str = "Tin về Nga", article_id: str = "a") -> Article:
    return Article(article_id, title, text, f"{article_id}.txt")


def words(text: str) -> int:
    return len(text.split())


@pytest.fixture(scope="module")
def seed_articles() -> tuple[Article, ...]:
    return load_corpus([SEEDS]).articles


def assert_exact(chunks: list[Chunk], articles: dict[str, Article]) -> None:
    for chunk in chunks:
        assert articles[chunk.article_id].text[chunk.start : chunk.end] == chunk.text


@pytest.mark.parametrize(("size", "overlap"), [(24, 6), (64, 16), (128, 24)])
def test_seed_chunks_are_exact_and_within_budget(
    seed_articles: tuple[Article, ...], fake_embedder, size: int, overlap: int
) -> None:
    chunks = chunk_articles(seed_articles, fake_embedder.count_tokens, size, overlap)
    by_id = {a.id: a for a in seed_articles}
    assert_exact(chunks, by_id)
    assert all(fake_embedder.count_tokens(c.text) <= size for c in chunks)
    assert all(c.text == c.text.strip() and c.text for c in chunks)
    # Chunks cover every sentence of every article.
    for a in seed_articles:
        spans = [(c.start, c.end) for c in chunks if c.article_id == a.id]
        for start, end in sentence_spans(a.text):
            covered = [s for s in spans if s[0] < end and start < s[1]]
            assert covered and covered[0][0] <= start and max(e for _, e in covered) >= end


def test_chunk_ids_count_from_zero_per_article(seed_articles, fake_embedder) -> None:
    chunks = chunk_articles(seed_articles[:2], fake_embedder.count_tokens, 48, 8)
    for a in seed_articles[:2]:
        own = [c for c in chunks if c.article_id == a.id]
        assert len(own) > 1
        assert [c.n for c in own] == list(range(len(own)))
        assert [c.id for c in own] == [f"{a.id}#{n}" for n in range(len(own))]


def test_consecutive_chunks_overlap_in_a_long_paragraph(fake_embedder) -> None:
    a = article(" ".join(SHORT_SENTENCES * 3))
    chunks = chunk_article(a, fake_embedder.count_tokens, 30, 12)
    assert len(chunks) > 3
    fixed = fake_embedder.count_tokens("")
    for left, right in pairwise(chunks):
        assert right.start < left.end, "no overlap"
        assert left.start < right.start and left.end < right.end
        shared = a.text[right.start : left.end]
        assert fake_embedder.count_tokens(shared) - fixed <= 12
        # The shared text is whole sentences: it starts where a sentence starts.
        assert a.text[right.start - 2 : right.start] == ". "


def test_every_pair_of_neighbours_overlaps_even_across_paragraphs(
    seed_articles: tuple[Article, ...], fake_embedder
) -> None:
    chunks = chunk_articles(seed_articles, fake_embedder.count_tokens, 96, 20)
    by_id = {a.id: a for a in seed_articles}
    fixed = fake_embedder.count_tokens("")
    pairs = [(a, b) for a, b in pairwise(chunks) if a.article_id == b.article_id]
    assert len(pairs) > 10
    crossing = 0
    for left, right in pairs:
        text = by_id[left.article_id].text
        assert left.start < right.start < left.end < right.end
        shared = text[right.start : left.end]
        assert 0 < fake_embedder.count_tokens(shared) - fixed <= 20
        assert text[right.start - 1].isspace()  # starts on a word, never inside one
        # The left chunk ends a paragraph, and the right one still repeats its tail.
        crossing += text[left.end : left.end + 2] == "\n\n"
    assert crossing > 0


def test_no_overlap_when_asked_for_none(fake_embedder) -> None:
    a = article(" ".join(SHORT_SENTENCES * 3))
    chunks = chunk_article(a, fake_embedder.count_tokens, 30, 0)
    assert len(chunks) > 3
    assert all(left.end < right.start for left, right in pairwise(chunks))


def test_chunks_end_on_sentence_boundaries(fake_embedder) -> None:
    text = "\n\n".join(" ".join(SHORT_SENTENCES[i : i + 4]) for i in (0, 4, 0, 4))
    chunks = chunk_article(article(text), fake_embedder.count_tokens, 25, 0)
    assert len(chunks) > 2
    assert all(c.text.endswith(".") for c in chunks)


def test_a_heading_goes_with_the_section_below_it(fake_embedder) -> None:
    heading = "Quan hệ kinh tế"
    text = "\n\n".join([" ".join(SHORT_SENTENCES[:3]), heading, " ".join(SHORT_SENTENCES[3:6])])
    a = article(text)
    for size, overlap in ((30, 0), (36, 6)):
        chunks = chunk_article(a, fake_embedder.count_tokens, size, overlap)
        assert len(chunks) == 2
        assert not chunks[0].text.endswith(heading)
        assert f"{heading}\n\n{SHORT_SENTENCES[3]}" in chunks[1].text
        assert_exact(chunks, {"a": a})


def test_a_sentence_longer_than_the_budget_is_cut_at_clauses_then_words(fake_embedder) -> None:
    clause = "ông Putin nói với các phóng viên tại Điện Kremlin"
    text = ", ".join([clause] * 6) + "."
    chunks = chunk_article(article(text), fake_embedder.count_tokens, 20, 0)
    assert len(chunks) > 1
    assert all(fake_embedder.count_tokens(c.text) <= 20 for c in chunks)
    assert all(c.text.endswith((",", ".")) for c in chunks)
    assert_exact(chunks, {"a": article(text)})


def test_repeated_text_gets_the_right_offsets(fake_embedder) -> None:
    # The same sentence many times: a search from the start would find the first copy.
    text = " ".join(["Nga và Mỹ hội đàm."] * 40)
    a = article(text)
    chunks = chunk_article(a, fake_embedder.count_tokens, 20, 6)
    assert_exact(chunks, {"a": a})
    starts = [c.start for c in chunks]
    ends = [c.end for c in chunks]
    assert starts == sorted(set(starts)) and ends == sorted(set(ends))
    assert starts[0] == 0 and ends[-1] == len(text)
    assert all(right.start <= left.end + 1 for left, right in pairwise(chunks))


def test_budget_holds_when_joining_pieces_costs_extra_tokens() -> None:
    # A counter where a joined text counts more than its parts added up, as
    # subword tokenizers can; chunks must still fit.
    def superadditive(text: str) -> int:
        n = words(text)
        return n + n * n // 20

    a = article(" ".join(SHORT_SENTENCES * 4))
    chunks = chunk_article(a, superadditive, 30, 5)
    assert_exact(chunks, {"a": a})
    assert all(superadditive(c.text) <= 30 for c in chunks)
    assert " ".join(c.text for c in chunks).count("Mỹ phản đối") >= 4


def test_fixed_cost_of_the_model_is_counted_once(fake_embedder) -> None:
    # FakeEmbedder adds 2 tokens to every text; chunks should fill the budget
    # with text rather than lose 2 tokens per sentence merged.
    a = article(" ".join(SHORT_SENTENCES * 3))
    chunks = chunk_article(a, fake_embedder.count_tokens, 40, 0)
    sizes = [fake_embedder.count_tokens(c.text) for c in chunks]
    assert max(sizes) <= 40
    assert max(sizes) >= 40 - max(fake_embedder.count_tokens(s) - 2 for s in SHORT_SENTENCES)


def test_token_counts_are_cached(seed_articles) -> None:
    calls: Counter[str] = Counter()

    def counting(text: str) -> int:
        calls[text] += 1
        return words(text) + 2

    chunk_articles(seed_articles, counting, 40, 8)
    assert calls and max(calls.values()) == 1


def test_short_article_is_one_chunk(fake_embedder) -> None:
    a = article("Nga và Mỹ hội đàm.")
    assert chunk_article(a, fake_embedder.count_tokens, 128, 24) == [
        Chunk("a#0", "a", 0, "Nga và Mỹ hội đàm.", 0, len(a.text))
    ]


@pytest.mark.parametrize(("size", "overlap"), [(1, 0), (16, 16), (16, -1)])
def test_bad_sizes_are_config_errors(fake_embedder, size: int, overlap: int) -> None:
    with pytest.raises(ConfigError):
        chunk_article(article("Nga."), fake_embedder.count_tokens, size, overlap)


def test_budget_smaller_than_the_model_overhead_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no room for text"):
        chunk_article(article("Nga."), lambda s: words(s) + 10, 8, 0)


# ---------------------------------------------------------------- embedding text


def test_embedding_text_puts_the_title_first() -> None:
    a = article("Hai bên hứa hỗ trợ lẫn nhau.", title="Nga và Triều Tiên ký hiệp ước")
    chunk = Chunk("a#0", "a", 0, a.text, 0, len(a.text))
    assert embedding_text(a, chunk) == f"{a.title}\n{a.text}"


def test_embedding_text_does_not_repeat_a_title_made_from_the_lead(seed_articles, fake_embedder):
    a = next(x for x in seed_articles if x.title.endswith("…"))
    first = chunk_article(a, fake_embedder.count_tokens, 64, 8)[0]
    assert embedding_text(a, first) == first.text


def test_embedding_text_drops_the_title_when_it_would_not_fit(fake_embedder) -> None:
    a = article("Hai bên hứa hỗ trợ lẫn nhau.", title="Nga và Triều Tiên ký hiệp ước")
    chunk = Chunk("a#0", "a", 0, a.text, 0, len(a.text))
    count = fake_embedder.count_tokens
    with_title = embedding_text(a, chunk, length_function=count, max_tokens=100)
    assert with_title.startswith(a.title)
    limit = count(with_title) - 1
    assert embedding_text(a, chunk, length_function=count, max_tokens=limit) == a.text
