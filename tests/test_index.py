"""Index build, load, atomic swap, and refusal of a mismatched model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import FakeEmbedder

from rag.config import Settings
from rag.errors import CorpusError, IndexMismatchError, IndexNotFoundError
from rag.index import FORMAT_VERSION, build_index, live_build, load_index, read_manifest

ARTICLES = {
    "nga.txt": "Nga và Triều Tiên ký hiệp ước đối tác chiến lược toàn diện.\n\n"
    "Hiệp ước quy định hỗ trợ lẫn nhau khi bị xâm lược.",
    "trung.txt": "Trung Quốc và Nga thảo luận về đường ống khí đốt Power of Siberia 2.\n\n"
    "Việc cung cấp năng lượng dự kiến bắt đầu vào năm 2027.",
}


def write_corpus(folder: Path, articles: dict[str, str] = ARTICLES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = write_corpus(tmp_path / "corpus")
    return Settings(corpus=(corpus,), index=tmp_path / "index", chunk_tokens=32, chunk_overlap=4)


def test_build_then_load_round_trips(settings: Settings, fake_embedder: FakeEmbedder) -> None:
    report = build_index(settings, fake_embedder)
    assert report.articles == 2 and report.chunks >= 2 and report.sentences >= 4
    index = load_index(settings.index, fake_embedder)
    assert set(index.articles) == {"nga", "trung"}
    for chunk in index.chunks:
        assert index.articles[chunk.article_id].text[chunk.start : chunk.end] == chunk.text
    assert index.vectors.ntotal == len(index.chunks)
    assert index.sentences.vectors.shape == (report.sentences, fake_embedder.dim)
    manifest = read_manifest(settings.index)
    assert manifest["model"]["fingerprint"] == fake_embedder.fingerprint
    assert manifest["counts"] == {
        "articles": 2,
        "chunks": report.chunks,
        "sentences": report.sentences,
    }
    # Plain, inspectable files only: no pickle anywhere.
    names = {p.name for p in live_build(settings.index).rglob("*") if p.is_file()}
    assert {"manifest.json", "articles.jsonl", "chunks.jsonl", "vectors.faiss"} <= names
    assert not [n for n in names if n.endswith((".pkl", ".pickle"))]


def test_missing_index_names_the_fix(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    with pytest.raises(IndexNotFoundError) as err:
        load_index(tmp_path / "nowhere", fake_embedder)
    assert str(err.value) == (
        f"Index not found in {tmp_path / 'nowhere'}/. Build it with: rag index build"
    )


def test_index_from_another_model_is_refused(settings: Settings) -> None:
    build_index(settings, FakeEmbedder())
    other = FakeEmbedder(seed="other")  # same dimension, other weights
    with pytest.raises(IndexMismatchError, match="rag index build"):
        load_index(settings.index, other)


def test_rebuild_reuses_vectors_of_unchanged_texts(
    settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    first = build_index(settings, fake_embedder)
    (settings.corpus[0] / "moi.txt").write_text(
        "Ông Ushakov cho biết cuộc điện đàm kéo dài hơn một tiếng rưỡi.", encoding="utf-8"
    )
    second = build_index(settings, fake_embedder)
    assert second.articles == 3
    assert second.reused_vectors == first.chunks + first.sentences
    # Only the live build remains.
    builds = [p for p in settings.index.iterdir() if p.name.startswith("build-")]
    assert builds == [live_build(settings.index)]


def test_empty_corpus_leaves_previous_index(
    settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    build_index(settings, fake_embedder)
    before = live_build(settings.index)
    empty = settings.with_overrides(corpus=(settings.corpus[0].parent / "empty",))
    empty.corpus[0].mkdir()
    with pytest.raises(CorpusError):
        build_index(empty, fake_embedder)
    assert live_build(settings.index) == before
    load_index(settings.index, fake_embedder)


_WORKER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from conftest import FakeEmbedder
    import rag.index
    from rag.config import Settings
    from rag.index import build_index

    stage = {stage!r}

    class Slow(FakeEmbedder):
        def embed_passages(self, texts, batch_size=16, progress=None):
            if stage == "embed":
                print("REACHED", flush=True)
                time.sleep(60)
            return super().embed_passages(texts, batch_size, progress)

    if stage == "write":
        real = rag.index.LexicalIndex.save
        def slow_save(self, folder):
            real(self, folder)
            print("REACHED", flush=True)
            time.sleep(60)
        rag.index.LexicalIndex.save = slow_save

    settings = Settings(corpus=(Path({corpus!r}),), index=Path({index!r}),
                        chunk_tokens=32, chunk_overlap=4)
    build_index(settings, Slow())
    """
)


@pytest.mark.parametrize("stage", ["embed", "write"])
def test_killed_build_leaves_previous_index_whole(
    settings: Settings, fake_embedder: FakeEmbedder, stage: str
) -> None:
    build_index(settings, fake_embedder)
    before = load_index(settings.index, fake_embedder)
    (settings.corpus[0] / "moi.txt").write_text("Một bài báo mới về Alaska.", encoding="utf-8")
    code = _WORKER.format(
        tests=str(Path(__file__).parent), stage=stage,
        corpus=str(settings.corpus[0]), index=str(settings.index),
    )  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "REACHED", "the build never reached the stage to kill"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    after = load_index(settings.index, fake_embedder)
    assert after.path == before.path
    assert set(after.articles) == {"nga", "trung"}
    # The next build cleans up what the killed one left and succeeds.
    build_index(settings, fake_embedder)
    assert set(load_index(settings.index, fake_embedder).articles) == {"nga", "trung", "moi"}
    leftovers = [p.name for p in settings.index.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_manifest_is_plain_json(settings: Settings, fake_embedder: FakeEmbedder) -> None:
    build_index(settings, fake_embedder)
    raw = (live_build(settings.index) / "manifest.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    assert data["format_version"] == FORMAT_VERSION
    assert data["chunking"]["chunk_tokens"] == 32
    assert time.strptime(data["built_at"][:19], "%Y-%m-%dT%H:%M:%S")
