"""The RAG facade and the rag command, on a tiny corpus with the fake embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder
from test_index import write_corpus

import rag.embedding
from rag.answering import Thresholds
from rag.cli import cli
from rag.config import Settings
from rag.errors import CorpusError, QuestionError
from rag.index import build_index, live_build
from rag.pipeline import RAG

CORPUS = {
    "quan.txt": "Triều Tiên đã đưa hơn 10.000 quân đến hỗ trợ Nga trong xung đột ở Ukraine.",
    "khi.txt": "Nga cung cấp khí đốt cho Trung Quốc qua đường ống Viễn Đông từ năm 2027.",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = write_corpus(tmp_path / "corpus", CORPUS)
    return Settings(corpus=(corpus,), index=tmp_path / "index", chunk_tokens=48, chunk_overlap=4)


@pytest.fixture
def rag_app(settings: Settings, fake_embedder: FakeEmbedder) -> RAG:
    build_index(settings, fake_embedder)
    app = RAG.open(settings, embedder=fake_embedder)
    app.answerer.thresholds = Thresholds(0.5, -1.0, -1.0)  # type: ignore[attr-defined]
    return app


def test_ask_returns_answer_hits_and_timings(rag_app: RAG) -> None:
    answer = rag_app.ask("Triều Tiên đưa bao nhiêu quân sang Nga?", k=2)
    assert not answer.abstained
    assert answer.citations[0].article_id == "quan"
    assert [h.rank for h in answer.hits] == [1, 2]
    data = answer.to_dict()
    assert set(data) == {"question", "answer", "abstained", "citations", "hits", "timings_ms"}
    assert set(data["timings_ms"]) == {"retrieve", "answer"}
    assert {"n", "article_id", "title", "date", "source", "path", "passage", "start", "end"} <= set(
        data["citations"][0]
    )


def test_follow_up_borrows_the_previous_topic(rag_app: RAG) -> None:
    alone = rag_app.ask("từ năm nào?")
    follow = rag_app.ask("từ năm nào?", history=["Nga cung cấp khí đốt cho Trung Quốc"])
    assert follow.hits[0].chunk.article_id == "khi"
    assert "2027" in follow.text
    assert alone.question == follow.question == "từ năm nào?"


@pytest.mark.parametrize("question", ["", "   ", "x" * 1001])
def test_bad_question_is_a_clear_error(rag_app: RAG, question: str) -> None:
    with pytest.raises(QuestionError):
        rag_app.ask(question)


def test_add_files_indexes_a_new_article(rag_app: RAG, tmp_path: Path) -> None:
    new = tmp_path / "upload" / "alaska.txt"
    new.parent.mkdir()
    new.write_text("Hội nghị thượng đỉnh tại Alaska diễn ra ngày 15/8.", encoding="utf-8")
    report = rag_app.add_files([new])
    assert report.articles == 3
    assert rag_app.ask("Hội nghị ở Alaska diễn ra ngày nào?").citations[0].article_id == "alaska"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.pdf", b"%PDF-1.4", "unsupported file type"),
        ("empty.txt", b"", "empty"),
        ("bin.txt", b"\x00\x01\x02\xff\xfe", "empty|binary|UTF-8"),
    ],
)
def test_bad_upload_changes_nothing(
    rag_app: RAG, settings: Settings, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    before_files = sorted(p.name for p in settings.corpus[0].iterdir())
    before_build = live_build(settings.index)
    good = tmp_path / "good.txt"
    good.write_text("Một bài báo hợp lệ về Alaska.", encoding="utf-8")
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(CorpusError, match=message):
        rag_app.add_files([good, bad])
    assert sorted(p.name for p in settings.corpus[0].iterdir()) == before_files
    assert live_build(settings.index) == before_build


def test_upload_over_the_size_limit_is_refused(rag_app: RAG, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("Nga. " * (rag_app.settings.max_upload_mb * 1024 * 1024 // 5 + 10))
    with pytest.raises(CorpusError, match="upload limit"):
        rag_app.add_files([big])


# ------------------------------------------------------------------- CLI


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setattr(rag.embedding, "load_embedder", lambda s: FakeEmbedder())
    return {"RAG_CORPUS": str(settings.corpus[0]), "RAG_INDEX": str(settings.index)}


def test_cli_missing_index_is_one_line(cli_env: dict[str, str], settings: Settings) -> None:
    result = CliRunner().invoke(cli, ["ask", "Ai ký hiệp ước?"], env=cli_env)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: Index not found in {settings.index}/. Build it with: rag index build"
    )


def test_cli_build_info_and_ask_json(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    built = runner.invoke(cli, ["index", "build", "-q"], env=cli_env)
    assert built.exit_code == 0, built.output
    assert "Indexed 2 articles" in built.output
    info = runner.invoke(cli, ["index", "info"], env=cli_env)
    assert "fake-hashing-64" in info.output and "Articles" in info.output
    asked = runner.invoke(cli, ["ask", "--json", "--k", "2", "khi dot trung quoc"], env=cli_env)
    assert asked.exit_code == 0, asked.output
    data = json.loads(asked.output)
    assert data["question"] == "khi dot trung quoc"
    assert data["hits"][0]["article_id"] == "khi"
    assert len(data["hits"]) == 2


def test_cli_bad_flag_value_is_one_line(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["ask", "--retriever", "magic", "x"], env=cli_env)
    assert result.exit_code == 2 and "magic" in result.output
    bad_env = {**cli_env, "RAG_K": "many"}
    result = CliRunner().invoke(cli, ["ask", "x"], env=bad_env)
    assert result.exit_code == 1
    assert result.output.strip() == "Error: RAG_K must be an integer, got 'many'."


def test_cli_index_check_follows_the_corpus(cli_env: dict[str, str], settings: Settings) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["index", "build", "-q"], env=cli_env).exit_code == 0
    fresh = runner.invoke(cli, ["index", "info", "--check"], env=cli_env)
    assert fresh.exit_code == 0, fresh.output
    (settings.corpus[0] / "moi.txt").write_text("Một bài báo mới về Alaska.", encoding="utf-8")
    stale = runner.invoke(cli, ["index", "info", "--check"], env=cli_env)
    assert stale.exit_code == 1
    assert "out of date" in stale.output and "rag index build" in stale.output
