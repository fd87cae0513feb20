"""The persisted index: build it from a corpus, swap it in atomically, load it back.

Layout of ``index/`` (every file plain and inspectable)::

    index/
      CURRENT                 name of the live build folder (replaced atomically)
      build-<time>-<id>/
        manifest.json         format, model + weights fingerprint, chunking, corpus, counts
        articles.jsonl        one article a line (metadata and cleaned text)
        chunks.jsonl          text, article id, offsets, sentence ids, content hash
        sentences.jsonl       article offsets and content terms of every sentence
        vectors.faiss         inner-product index over normalised chunk vectors
        sentences.faiss       the same over every sentence (sharper matches, and the answerer)
        lexical/              BM25 over accented and folded syllables and syllable pairs
        restorer.json         syllable counts that put tone marks back on unaccented questions

A build writes a new folder beside the live one and only then points
``CURRENT`` at it with an atomic rename, so a build killed at any moment leaves
the previous index whole and loadable.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import __version__
from .chunking import chunk_articles, embedding_text
from .config import Settings
from .diacritics import DiacriticRestorer
from .errors import IndexMismatchError, IndexNotFoundError
from .lexical import LexicalIndex
from .loading import load_corpus
from .text import content_terms, fold, sentence_spans
from .types import Article, Chunk

if TYPE_CHECKING:
    from .embedding import Embedder

FORMAT_VERSION = 2
_POINTER = "CURRENT"

# progress(stage, done, total): stages are "load", "embed", "write".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    path: Path
    articles: int
    chunks: int
    sentences: int
    reused_vectors: int
    seconds: float
    warnings: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sentences:
    """Every sentence of the corpus, precomputed for the answerer."""

    article: np.ndarray  # int32 index into Index.article_list
    start: np.ndarray  # int32 article offsets
    end: np.ndarray
    terms: tuple[frozenset[str], ...]  # content terms, as written (lowercase)
    folded_terms: tuple[frozenset[str], ...]  # the same without diacritics
    vectors: np.ndarray  # float32 (n, dim), normalised
    search: Any  # FAISS index over ``vectors``


class Index:
    """A loaded index: articles, chunks, vectors, lexical index and sentences."""

    def __init__(
        self,
        path: Path,
        manifest: dict[str, Any],
        articles: list[Article],
        chunks: list[Chunk],
        chunk_sentences: list[np.ndarray],
        vectors: Any,
        lexical: LexicalIndex,
        sentences: Sentences,
        restorer: DiacriticRestorer,
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.article_list = articles
        self.articles = {a.id: a for a in articles}
        self.chunks = chunks
        self.chunk_position = {c.id: i for i, c in enumerate(chunks)}
        self.chunk_sentences = chunk_sentences
        self.vectors = vectors
        self.chunk_vectors = (
            vectors.reconstruct_n(0, vectors.ntotal)
            if vectors.ntotal
            else np.zeros((0, vectors.d), dtype=np.float32)
        )
        self.lexical = lexical
        self.sentences = sentences
        self.restorer = restorer
        # Sentences of every chunk, flattened (CSR) so that per-chunk maxima are
        # one vectorised call.
        self.sentence_offsets = np.cumsum([0] + [len(s) for s in chunk_sentences])
        self.sentence_flat = (
            np.concatenate(chunk_sentences).astype(np.int64)
            if chunk_sentences
            else np.zeros(0, dtype=np.int64)
        )
        self._sentence_owner = np.repeat(
            np.arange(len(chunks), dtype=np.int64), np.diff(self.sentence_offsets)
        )
        position = {a.id: i for i, a in enumerate(articles)}
        self.chunk_article = np.array([position[c.article_id] for c in chunks], dtype=np.int32)
        self.chunk_counts = np.bincount(self.chunk_article, minlength=len(articles))
        self._df: dict[str, dict[str, int]] = {}

    def __len__(self) -> int:
        return len(self.chunks)

    # The read API below is what answering (and any other consumer outside
    # retrieval) uses; storage backends keep it whatever they hold inside.

    @property
    def key(self) -> str:
        """Identifies this loaded state of the index (for caches keyed by it)."""
        return str(self.path)

    def article(self, article_id: str) -> Article:
        """The article ``article_id``; KeyError if the index does not hold it."""
        return self.articles[article_id]

    def chunk_sentence_ids(self, chunk_id: str) -> list[int]:
        """Ids of the sentences inside chunk ``chunk_id``, in article order."""
        ids: list[int] = self.chunk_sentences[self.chunk_position[chunk_id]].tolist()
        return ids

    def sentence_vectors(self, sentence_ids: Sequence[int]) -> np.ndarray:
        """``(len(sentence_ids), dim)`` normalised float32 vectors."""
        vecs: np.ndarray = self.sentences.vectors[np.asarray(sentence_ids, dtype=np.int64)]
        return vecs

    def sentence_span(self, sentence_id: int) -> tuple[str, int, int]:
        """``(article_id, start, end)`` of a sentence in its article's text."""
        article = self.article_list[int(self.sentences.article[sentence_id])]
        start, end = self.sentences.start[sentence_id], self.sentences.end[sentence_id]
        return article.id, int(start), int(end)

    def sentence_text(self, sentence_id: int) -> str:
        """The text of one sentence."""
        article_id, start, end = self.sentence_span(sentence_id)
        return self.articles[article_id].text[start:end]

    def sentence_terms(self, sentence_id: int, *, folded: bool) -> frozenset[str]:
        """Content terms of a sentence, as written or folded (no diacritics)."""
        terms = self.sentences.folded_terms if folded else self.sentences.terms
        return terms[sentence_id]

    def sentence_document_frequency(self, *, folded: bool) -> tuple[dict[str, int], int]:
        """How many sentences hold each content term, and how many sentences there are."""
        key = "folded" if folded else "accented"
        if key not in self._df:
            df: Counter[str] = Counter()
            for terms in self.sentences.folded_terms if folded else self.sentences.terms:
                df.update(terms)
            self._df[key] = dict(df)
        return self._df[key], len(self.sentences.terms)

    def sentence_chunks(self, sentence_ids: np.ndarray) -> np.ndarray:
        """Positions of the chunks holding any of ``sentence_ids``."""
        owners: np.ndarray = self._sentence_owner[np.isin(self.sentence_flat, sentence_ids)]
        return owners


# ---------------------------------------------------------------- building


def build_index(
    settings: Settings,
    embedder: Embedder,
    *,
    progress: Progress | None = None,
) -> BuildReport:
    """Read ``settings.corpus``, embed it and atomically replace ``settings.index``.

    >>> build_index(Settings(), load_embedder(Settings()))  # doctest: +SKIP
    """
    started = time.perf_counter()
    report = load_corpus(settings.corpus)
    articles = list(report.articles)
    if progress:
        progress("load", len(articles), len(articles))
    chunks = chunk_articles(
        articles, embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap
    )
    by_id = {a.id: a for a in articles}
    chunk_texts = [embedding_text(by_id[c.article_id], c) for c in chunks]
    sent_rows, chunk_sentences = _sentences(articles, chunks)
    sent_texts = [articles[a].text[s:e] for a, s, e, _ in sent_rows]

    # Vectors of unchanged texts are taken from the live index (same model), so
    # adding one article to a large corpus embeds only that article.
    cache = _vector_cache(settings.index, embedder)
    all_texts = chunk_texts + sent_texts
    vectors = np.zeros((len(all_texts), embedder.dim), dtype=np.float32)
    todo = [i for i, t in enumerate(all_texts) if _text_key(t) not in cache]
    for i, t in enumerate(all_texts):
        hit = cache.get(_text_key(t))
        if hit is not None:
            vectors[i] = hit
    if todo:
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress("embed", done, len(todo))

        # Longest first keeps batches of similar length: less padding, faster.
        order = sorted(todo, key=lambda i: -len(all_texts[i]))
        fresh = embedder.embed_passages(
            [all_texts[i] for i in order], batch_size=settings.batch_size, progress=tick
        )
        vectors[order] = fresh
    elif progress:
        progress("embed", 0, 0)

    chunk_vecs = vectors[: len(chunks)]
    sent_vecs = vectors[len(chunks) :]
    manifest = _manifest(settings, embedder, articles, chunks, len(sent_rows), report.warnings)

    root = settings.index
    root.mkdir(parents=True, exist_ok=True)
    with _build_lock(root):
        build = root / f"build-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        tmp = root / f".tmp-{build.name}"
        tmp.mkdir()
        try:
            _write_build(
                tmp, manifest, articles, chunks, chunk_texts, chunk_sentences,
                sent_rows, chunk_vecs, sent_vecs,
            )  # fmt: skip
            tmp.rename(build)
            _point_to(root, build.name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _remove_stale(root, keep=build.name)
    if progress:
        progress("write", 1, 1)
    return BuildReport(
        path=build,
        articles=len(articles),
        chunks=len(chunks),
        sentences=len(sent_rows),
        reused_vectors=len(all_texts) - len(todo),
        seconds=time.perf_counter() - started,
        warnings=report.warnings,
        duplicates=report.duplicates,
    )


def _sentences(
    articles: Sequence[Article], chunks: Sequence[Chunk]
) -> tuple[list[tuple[int, int, int, list[str]]], list[list[int]]]:
    """Sentences of every article, and for every chunk the sentences inside it."""
    rows: list[tuple[int, int, int, list[str]]] = []
    first_row: dict[str, int] = {}
    for a_i, article in enumerate(articles):
        first_row[article.id] = len(rows)
        for s, e in sentence_spans(article.text):
            rows.append((a_i, s, e, sorted(set(content_terms(article.text[s:e], folded=False)))))
    per_chunk: list[list[int]] = []
    for chunk in chunks:
        inside = []
        r = first_row[chunk.article_id]
        a_i = rows[r][0] if r < len(rows) else -1
        while r < len(rows) and rows[r][0] == a_i:
            _, s, e, _ = rows[r]
            # A sentence belongs to a chunk when most of it lies inside, or when
            # it makes up most of the chunk (a chunk cut out of a long sentence).
            overlap = min(e, chunk.end) - max(s, chunk.start)
            if overlap > 0 and (overlap * 2 >= e - s or overlap * 2 >= chunk.end - chunk.start):
                inside.append(r)
            r += 1
        per_chunk.append(inside)
    return rows, per_chunk


def _text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def _vector_cache(root: Path, embedder: Embedder) -> dict[str, np.ndarray]:
    """Vectors of the live index by text key, when it was built by the same model."""
    try:
        live = load_index(root, embedder)
    except (IndexNotFoundError, IndexMismatchError, OSError, ValueError, KeyError):
        return {}
    cache: dict[str, np.ndarray] = {}
    build = live.path
    with open(build / "chunks.jsonl", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            cache[json.loads(line)["key"]] = live.chunk_vectors[i]
    with open(build / "sentences.jsonl", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            cache[json.loads(line)["key"]] = live.sentences.vectors[i]
    return cache


def _manifest(
    settings: Settings,
    embedder: Embedder,
    articles: Sequence[Article],
    chunks: Sequence[Chunk],
    n_sentences: int,
    warnings: Sequence[str],
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": {
            "name": embedder.name,
            "fingerprint": embedder.fingerprint,
            "dim": embedder.dim,
            "max_tokens": embedder.max_tokens,
            "query_prompt": embedder.query_prompt,
            "passage_prompt": embedder.passage_prompt,
        },
        "chunking": {
            "chunk_tokens": settings.chunk_tokens,
            "chunk_overlap": settings.chunk_overlap,
            "unit": "model tokens",
            "context": "article title",
        },
        "corpus": {
            "folders": [str(p) for p in settings.corpus],
            "fingerprint": corpus_fingerprint(articles),
            "warnings": list(warnings),
        },
        "counts": {"articles": len(articles), "chunks": len(chunks), "sentences": n_sentences},
        "lexical": {
            "method": "bm25",
            "fields": ["accented", "folded"],
            "terms": "syllables and syllable pairs",
            "k1": 1.2,
            "b": 0.75,
        },
    }


def corpus_fingerprint(articles: Sequence[Article]) -> str:
    """sha256 over every article's text and metadata, in corpus order."""
    digest = hashlib.sha256()
    for a in articles:
        digest.update(json.dumps(a.to_dict(), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


def check_up_to_date(settings: Settings) -> None:
    """Raise IndexMismatchError unless the index was built from the corpus as it is now,
    with the same chunking; reads the corpus and the manifest, not the model."""
    manifest = read_manifest(settings.index)
    chunking = manifest.get("chunking", {})
    current = (
        manifest.get("format_version") == FORMAT_VERSION
        and chunking.get("chunk_tokens") == settings.chunk_tokens
        and chunking.get("chunk_overlap") == settings.chunk_overlap
        and manifest.get("corpus", {}).get("fingerprint")
        == corpus_fingerprint(load_corpus(settings.corpus).articles)
    )
    if not current:
        raise IndexMismatchError(
            f"Index in {_display(settings.index)} is out of date with the corpus or the "
            "settings. Rebuild it with: rag index build"
        )


def _write_build(
    folder: Path,
    manifest: dict[str, Any],
    articles: Sequence[Article],
    chunks: Sequence[Chunk],
    chunk_texts: Sequence[str],
    chunk_sentences: Sequence[Sequence[int]],
    sent_rows: Sequence[tuple[int, int, int, list[str]]],
    chunk_vecs: np.ndarray,
    sent_vecs: np.ndarray,
) -> None:
    import faiss

    _write_jsonl(folder / "articles.jsonl", (a.to_dict() for a in articles))
    _write_jsonl(
        folder / "chunks.jsonl",
        (
            {**c.to_dict(), "sentences": list(ss), "key": _text_key(t)}
            for c, t, ss in zip(chunks, chunk_texts, chunk_sentences)
        ),
    )
    _write_jsonl(
        folder / "sentences.jsonl",
        (
            {
                "article": articles[a].id,
                "start": s,
                "end": e,
                "terms": terms,
                "key": _text_key(articles[a].text[s:e]),
            }
            for a, s, e, terms in sent_rows
        ),
    )
    for name, vecs in (("vectors.faiss", chunk_vecs), ("sentences.faiss", sent_vecs)):
        flat = faiss.IndexFlatIP(vecs.shape[1])
        if len(vecs):
            flat.add(np.ascontiguousarray(vecs, dtype=np.float32))
        faiss.write_index(flat, str(folder / name))
    LexicalIndex.build(chunk_texts).save(folder / "lexical")
    restorer = DiacriticRestorer.build(a.text for a in articles)
    (folder / "restorer.json").write_text(
        json.dumps(restorer.to_dict(), ensure_ascii=False), encoding="utf-8"
    )
    # The manifest goes last: a folder without one is never a finished build.
    (folder / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    _fsync_tree(folder)


def _write_jsonl(path: Path, rows: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())


def _point_to(root: Path, name: str) -> None:
    tmp = root / f".{_POINTER}.{uuid.uuid4().hex[:6]}"
    tmp.write_text(name + "\n", encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, root / _POINTER)


def _remove_stale(root: Path, keep: str) -> None:
    """Drop older builds and leftovers of killed ones."""
    for path in root.iterdir():
        stale_build = path.name.startswith("build-") and path.name != keep
        leftover = path.name.startswith((".tmp-build-", f".{_POINTER}."))
        if path.is_dir() and (stale_build or leftover):
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and leftover:
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    """One build at a time per index folder (CLI and web chat may both build)."""
    with open(root / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# ----------------------------------------------------------------- loading


def live_build(root: Path) -> Path:
    """The folder of the live build in ``root``, or IndexNotFoundError."""
    pointer = root / _POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        name = ""
    build = root / name if name else None
    if build is None or not (build / "manifest.json").is_file():
        raise IndexNotFoundError(
            f"Index not found in {_display(root)}. Build it with: rag index build"
        )
    return build


def read_manifest(root: Path) -> dict[str, Any]:
    """The manifest of the live build, without loading the model or vectors."""
    manifest: dict[str, Any] = json.loads(
        (live_build(root) / "manifest.json").read_text(encoding="utf-8")
    )
    return manifest


def check_compatible(manifest: dict[str, Any], embedder: Embedder, root: Path) -> None:
    """Refuse an index that another model, or another format, built."""
    fix = "Rebuild it with: rag index build"
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"Index in {_display(root)} has format {manifest.get('format_version')}, "
            f"this version reads format {FORMAT_VERSION}. {fix}"
        )
    model = manifest.get("model", {})
    if model.get("fingerprint") != embedder.fingerprint or model.get("dim") != embedder.dim:
        raise IndexMismatchError(
            f"Index in {_display(root)} was built with model {model.get('name')!r} "
            f"(weights {str(model.get('fingerprint'))[:12]}), but the model loaded is "
            f"{embedder.name!r} (weights {embedder.fingerprint[:12]}). {fix}"
        )


def load_index(root: Path, embedder: Embedder) -> Index:
    """Load the live build of ``root`` for use with ``embedder``.

    >>> index = load_index(Path("index"), embedder)  # doctest: +SKIP
    """
    import faiss

    build = live_build(root)
    manifest = read_manifest(root)
    check_compatible(manifest, embedder, root)
    articles = [Article(**row) for row in _read_jsonl(build / "articles.jsonl")]
    chunks: list[Chunk] = []
    chunk_sentences: list[np.ndarray] = []
    for row in _read_jsonl(build / "chunks.jsonl"):
        chunk_sentences.append(np.array(row.pop("sentences"), dtype=np.int32))
        row.pop("key")
        chunks.append(Chunk(**row))
    position = {a.id: i for i, a in enumerate(articles)}
    rows = _read_jsonl(build / "sentences.jsonl")
    sentence_search = faiss.read_index(str(build / "sentences.faiss"))
    sentences = Sentences(
        article=np.array([position[r["article"]] for r in rows], dtype=np.int32),
        start=np.array([r["start"] for r in rows], dtype=np.int32),
        end=np.array([r["end"] for r in rows], dtype=np.int32),
        terms=tuple(frozenset(r["terms"]) for r in rows),
        folded_terms=tuple(frozenset(fold(t) for t in r["terms"]) for r in rows),
        vectors=sentence_search.reconstruct_n(0, sentence_search.ntotal)
        if sentence_search.ntotal
        else np.zeros((0, sentence_search.d), dtype=np.float32),
        search=sentence_search,
    )
    vectors = faiss.read_index(str(build / "vectors.faiss"))
    lexical = LexicalIndex.load(build / "lexical")
    restorer = DiacriticRestorer.from_dict(
        json.loads((build / "restorer.json").read_text(encoding="utf-8"))
    )
    return Index(
        build, manifest, articles, chunks, chunk_sentences, vectors, lexical, sentences, restorer
    )


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _display(root: Path) -> str:
    text = str(root)
    return text if text.endswith("/") else text + "/"
