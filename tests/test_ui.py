"""The web chat without a browser: rendering helpers and the handlers behind the page.

Rendering is checked on hand-made answers (exact offsets); the handlers run on a
tiny index built with the fake embedder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeEmbedder
from test_index import write_corpus

from rag.answering import ABSTAIN_MESSAGE, Thresholds
from rag.config import Settings
from rag.errors import IndexNotFoundError
from rag.index import build_index
from rag.pipeline import RAG
from rag.types import Answer, Article, Chunk, Citation, Hit
from ui.app import ChatService, build_app, launch_options, search_filter, user_questions
from ui.render import (
    escape,
    highlight,
    render_article,
    render_sources,
    reply_markdown,
)

# ------------------------------------------------------------ rendering

TEXT = (
    "Bình Nhưỡng xác nhận hợp tác. Triều Tiên đã đưa hơn 10.000 quân đến Nga. "
    "Mỹ và Hàn Quốc lên tiếng <phản đối> & cảnh báo."
)
ARTICLE = Article(
    id="a1",
    title='Triều Tiên <script>alert("x")</script> gửi quân',
    text=TEXT,
    path="corpus/a1.txt",
    date="2024-11-08",
    source="TASS",
)
OTHER = Article(id="a2", title="Giá dầu tăng", text="Giá dầu thô tăng 3% trong tuần.", path="b.txt")
ARTICLES = {a.id: a for a in (ARTICLE, OTHER)}


def span_of(text: str, sentence: str) -> tuple[int, int]:
    start = text.index(sentence)
    return start, start + len(sentence)


def marked(html: str) -> list[str]:
    return re.findall(r"<mark[^>]*>(.*?)</mark>", html, flags=re.S)


def citation(sentence: str, passage_from: int = 0) -> Citation:
    used = span_of(TEXT, sentence)
    return Citation(
        n=1,
        article_id=ARTICLE.id,
        title=ARTICLE.title,
        date=ARTICLE.date,
        source=ARTICLE.source,
        path=ARTICLE.path,
        passage=TEXT[passage_from:],
        start=passage_from,
        end=len(TEXT),
        highlights=(used,),
    )


def test_highlight_marks_article_offsets_relative_to_the_passage() -> None:
    sentence = "Triều Tiên đã đưa hơn 10.000 quân đến Nga."
    passage_from = TEXT.index("Triều")  # the passage starts mid-article
    html = highlight(TEXT[passage_from:], [span_of(TEXT, sentence)], offset=passage_from)
    assert marked(html) == [sentence]
    assert html.startswith("<mark")
    assert "&lt;phản đối&gt; &amp; cảnh báo" in html


def test_highlight_clips_merges_and_focuses_the_first_mark() -> None:
    html = highlight("abcdefghij", [(12, 16), (2, 4), (3, 6), (-5, 1)], offset=0, focus_id="f")
    assert marked(html) == ["a", "cdef"]  # (-5,1) clipped, (2,4)+(3,6) merged, (12,16) dropped
    assert html.count('id="f"') == 1 and html.index('id="f"') < html.index(">a<")


def test_highlight_shades_the_band_and_focuses_it_when_nothing_is_marked() -> None:
    html = highlight("0123456789", [], band=(3, 6), focus_id="f")
    assert re.search(r'<span class="rag-passage" id="f">345</span>', html)


def test_escape_neutralises_markup_and_quotes() -> None:
    assert escape('<img src=x onerror="y">') == "&lt;img src=x onerror=&quot;y&quot;&gt;"


def test_sources_panel_escapes_titles_and_marks_the_used_sentence() -> None:
    sentence = "Triều Tiên đã đưa hơn 10.000 quân đến Nga."
    answer = Answer("q", f"{sentence} [1]", False, citations=(citation(sentence, 30),))
    html = render_sources(answer, ARTICLES.get)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    card, template = html.split("<template", 1)
    assert marked(card) == [sentence]
    # The card opens a template holding the whole article, the sentence marked and focused.
    target = re.search(r'data-rag-open="([^"]+)"', card).group(1)  # type: ignore[union-attr]
    assert f'id="{target}"' in template
    assert 'id="rag-focus"' in template
    assert "Bình Nhưỡng xác nhận hợp tác." in template  # text before the passage too
    assert marked(template) == [sentence]
    assert "08/11/2024 · TASS" in card


def test_reader_window_keeps_the_passage_of_a_huge_article() -> None:
    filler = "Câu chữ lấp chỗ trống. " * 6000
    text = filler + "Câu trả lời nằm ở đây." + filler
    big = Article(id="big", title="Dài", text=text, path="big.txt")
    used = span_of(text, "Câu trả lời nằm ở đây.")
    html = render_article(big, band=used, marks=[used])
    assert marked(html) == ["Câu trả lời nằm ở đây."]
    assert len(html) < len(text) // 2
    assert html.count('class="rag-cut"') == 2


def test_abstain_reply_and_panel_list_the_closest_articles_once() -> None:
    def hit(rank: int, article: Article, n: int) -> Hit:
        chunk = Chunk(f"{article.id}#{n}", article.id, n, article.text[:20], 0, 20)
        return Hit(rank, chunk, 1.0 / rank)

    answer = Answer(
        "Giá vàng hôm nay?",
        ABSTAIN_MESSAGE,
        True,
        hits=(hit(1, OTHER, 0), hit(2, OTHER, 1), hit(3, ARTICLE, 0)),
    )
    reply = reply_markdown(answer, ARTICLES.get)
    assert reply.startswith(ABSTAIN_MESSAGE)
    assert reply.count("Giá dầu tăng") == 1
    assert "Triều Tiên \\<script\\>" in reply  # markdown cannot turn a title into HTML
    panel = render_sources(answer, ARTICLES.get)
    assert panel.count("data-rag-open=") == 2
    assert "Các bài gần nhất đã xem" in panel
    assert "<mark" not in panel.split("<template")[0]  # nothing was quoted


def test_user_questions_reads_both_message_shapes() -> None:
    history = [
        {"role": "user", "content": "Ai?"},
        {"role": "assistant", "content": "Putin [1]"},
        {"role": "user", "content": [{"type": "text", "text": "Khi nào?"}]},
        {"role": "user", "content": "   "},
    ]
    assert user_questions(history) == ["Ai?", "Khi nào?"]


def test_search_filter_reads_both_date_styles_and_rejects_nonsense() -> None:
    chosen = search_filter(["a1"], None, "1/8/2025", "2025-08-31")
    assert chosen is not None
    assert (chosen.date_from, chosen.date_to, chosen.article_ids) == (
        "2025-08-01",
        "2025-08-31",
        frozenset({"a1"}),
    )
    assert search_filter(None, [], "", None) is None
    with pytest.raises(Exception, match="not a date"):
        search_filter(None, None, "hôm qua", None)


# ------------------------------------------------------------- handlers

CORPUS = {
    "quan.txt": "Triều Tiên đưa quân\n\nTriều Tiên đã đưa hơn 10.000 quân đến hỗ trợ Nga "
    "trong xung đột ở Ukraine. Giới chức Hàn Quốc cho biết như vậy.",
    "khi.txt": "Khí đốt sang Trung Quốc\n\nNga cung cấp khí đốt cho Trung Quốc qua đường ống "
    "Viễn Đông từ năm 2027. Hai bên đã ký thỏa thuận.",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = write_corpus(tmp_path / "corpus", CORPUS)
    return Settings(corpus=(corpus,), index=tmp_path / "index", chunk_tokens=48, chunk_overlap=4)


def open_rag(settings: Settings, embedder: FakeEmbedder) -> RAG:
    rag = RAG.open(settings, embedder=embedder)
    # The fake embedder's similarities are low; let coverage alone decide.
    rag.answerer.thresholds = Thresholds(0.5, -1.0, -1.0)  # type: ignore[attr-defined]
    return rag


@pytest.fixture
def service(settings: Settings, fake_embedder: FakeEmbedder) -> ChatService:
    build_index(settings, fake_embedder)
    return ChatService(settings, open_rag(settings, fake_embedder))


def test_respond_answers_with_markers_and_a_sources_panel(service: ChatService) -> None:
    reply, panel = service.respond("Triều Tiên đã đưa bao nhiêu quân đến Nga?", [])
    assert "10.000" in reply[0].content and "[1]" in reply[0].content
    assert reply[1].metadata["title"].startswith("Nguồn")  # collapsible list of sources
    assert "quan" in panel and "10.000" in "".join(marked(panel))


def test_respond_passes_earlier_questions_as_history(
    service: ChatService, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert service.rag is not None
    seen: list[tuple[str, ...]] = []
    real_ask = service.rag.ask

    def spy(question: str, **kwargs: object) -> Answer:
        seen.append(tuple(kwargs["history"]))  # type: ignore[arg-type]
        return real_ask(question, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service.rag, "ask", spy)
    history = [
        {"role": "user", "content": "Nga cung cấp khí đốt cho Trung Quốc"},
        {"role": "assistant", "content": "Nga cung cấp khí đốt [1]"},
        {"role": "user", "content": [{"type": "text", "text": "qua đường ống nào?"}]},
        {"role": "assistant", "content": "Viễn Đông [1]"},
    ]
    reply, _ = service.respond("từ năm nào?", history)
    assert seen == [("Nga cung cấp khí đốt cho Trung Quốc", "qua đường ống nào?")]
    assert "2027" in reply[0].content


def test_respond_applies_the_search_options(service: ChatService) -> None:
    question = "Triều Tiên đã đưa bao nhiêu quân đến Nga?"
    _, everywhere = service.respond(question, [])
    _, elsewhere = service.respond(question, [], 5, "hybrid", ["khi"])
    assert 'data-article="quan"' in everywhere
    assert 'data-article="quan"' not in elsewhere and 'data-article="khi"' in elsewhere


@pytest.mark.parametrize(
    ("question", "options", "expected"),
    [
        ("   ", {}, "Hãy nhập một câu hỏi"),
        ("Nga?", {"date_from": "32/13/2025"}, "not a date"),
        ("Nga?", {"retriever": "bogus"}, "Unknown retriever"),
        ("x" * 2000, {}, "characters long"),
    ],
)
def test_respond_turns_mistakes_into_a_friendly_reply(
    service: ChatService, question: str, options: dict[str, str], expected: str
) -> None:
    reply, _ = service.respond(question, [], **options)
    assert expected in reply[0].content
    assert "Traceback" not in reply[0].content


def test_missing_index_is_explained_then_built_by_rebuild(
    settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    service = ChatService(settings, embedder=fake_embedder, problem=IndexNotFoundError("none"))
    reply, _ = service.respond("Nga?", [])
    assert "Chưa có chỉ mục" in reply[0].content and "rag index build" in reply[0].content
    assert service.corpus_rows() == []
    message = service.rebuild(lambda stage, done, total: None)
    assert message.startswith("✓")
    assert {row[4] for row in service.corpus_rows()} == {"quan", "khi"}
    reply, _ = service.respond("Nga cung cấp khí đốt cho Trung Quốc từ năm nào?", [])
    assert "Chưa có chỉ mục" not in reply[0].content


def test_a_bad_upload_is_refused_and_changes_nothing(
    service: ChatService, settings: Settings, tmp_path: Path
) -> None:
    good = tmp_path / "up" / "moi.txt"
    good.parent.mkdir()
    good.write_text("Bài mới\n\nHà Nội khánh thành cầu Tứ Liên dài 4 km.", encoding="utf-8")
    bad = tmp_path / "up" / "anh.pdf"
    bad.write_bytes(b"%PDF-1.4")
    before = service.corpus_rows()
    message = service.add_files([str(good), str(bad)], lambda *_: None)
    assert "anh.pdf" in message and "Không tệp nào được thêm" in message
    assert service.corpus_rows() == before
    assert not (settings.corpus[0] / "moi.txt").exists()

    stages: list[str] = []
    message = service.add_files([str(good)], lambda stage, *_: stages.append(stage))
    assert message.startswith("✓"), message
    assert "embed" in stages
    assert len(service.corpus_rows()) == len(before) + 1
    reply, _ = service.respond("Cầu Tứ Liên dài bao nhiêu?", [])
    assert "4 km" in reply[0].content


def test_api_returns_the_cli_json_schema(service: ChatService) -> None:
    data = service.ask_api("Triều Tiên đã đưa bao nhiêu quân đến Nga?", k=2)
    assert set(data) == {"question", "answer", "abstained", "citations", "hits", "timings_ms"}
    assert len(data["hits"]) == 2
    assert data["citations"][0]["article_id"] == "quan"


def test_app_exposes_the_ask_endpoint_and_safe_launch_options(
    service: ChatService, settings: Settings
) -> None:
    demo = build_app(service)
    names = {fn.api_name for fn in demo.fns.values()}
    assert "ask" in names
    options = launch_options(
        Settings(corpus=settings.corpus, index=settings.index, auth="ana:bí-mật", max_upload_mb=3)
    )
    assert options["auth"] == ("ana", "bí-mật")
    assert options["max_file_size"] == "3mb"
    assert options["share"] is False and options["allowed_paths"] == []
    assert str(settings.index.resolve()) in options["blocked_paths"]
