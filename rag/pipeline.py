"""The library's front door: open an index once, then search and ask.

>>> rag = RAG.open(Settings())                               # doctest: +SKIP
>>> answer = rag.ask("Triều Tiên đã gửi bao nhiêu quân đến hỗ trợ Nga?")  # doctest: +SKIP
>>> answer.citations[0].article_id                            # doctest: +SKIP
'000_dde0fbfd9b69a8f6'
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .answering import ABSTAIN_MESSAGE, Answerer, ExtractiveAnswerer
from .config import Settings
from .errors import CorpusError, QuestionError
from .index import BuildReport, Index, Progress, build_index, load_index
from .loading import load_file
from .retrieval import dense_query, retrieve
from .text import content_terms, normalize
from .types import Answer, Article, Hit, SearchFilter

if TYPE_CHECKING:
    from .embedding import Embedder

MAX_QUESTION_CHARS = 1000
UPLOAD_SUFFIXES = (".txt", ".md", ".jsonl")
# A follow-up this short ("còn Trung Quốc thì sao?") borrows the topic of the
# previous question.
_FOLLOW_UP_TERMS = 3


class RAG:
    """A loaded model and index, shared by every question.

    Reads are lock-free; a rebuild swaps the index in one assignment, so a
    question never sees half of one.
    """

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        index: Index,
        answerer: Answerer | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.index = index
        self.answerer: Answerer = answerer or ExtractiveAnswerer()
        self._build_lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings | None = None, *, embedder: Embedder | None = None) -> RAG:
        """Load the model (unless given) and the index of ``settings``."""
        settings = settings or Settings.from_env()
        if embedder is None:
            from .embedding import load_embedder

            embedder = load_embedder(settings)
        return cls(settings, embedder, load_index(settings.index, embedder))

    # ------------------------------------------------------------- questions

    def search(
        self,
        question: str,
        *,
        retriever: str | None = None,
        k: int | None = None,
        filter: SearchFilter | None = None,
    ) -> list[Hit]:
        """The best passages for ``question``."""
        query = _check_question(question)
        mode = retriever or self.settings.retriever
        index = self.index
        qvec = None
        if mode != "lexical":
            qvec = self.embedder.embed_queries([dense_query(index, query)])[0]
        return retrieve(index, query, qvec, mode=mode, k=k or self.settings.k, filter=filter)

    def ask(
        self,
        question: str,
        *,
        retriever: str | None = None,
        k: int | None = None,
        filter: SearchFilter | None = None,
        history: Sequence[str] = (),
    ) -> Answer:
        """Answer ``question`` from the corpus, citing the passages used.

        ``history`` holds the earlier questions of the conversation, most recent
        last; a short follow-up is searched together with the one before it.
        """
        asked = _check_question(question)
        query = _with_context(asked, history)
        mode = retriever or self.settings.retriever
        index = self.index
        t0 = time.perf_counter()
        # The answerer compares sentences with the question's vector even when
        # retrieval is lexical.
        qvec = self.embedder.embed_queries([dense_query(index, query)])[0]
        hits = retrieve(index, query, qvec if mode != "lexical" else None, mode=mode,
                        k=k or self.settings.k, filter=filter)  # fmt: skip
        t1 = time.perf_counter()
        draft = self.answerer.answer(query, hits, qvec, index)
        t2 = time.perf_counter()
        return Answer(
            question=question,
            text=draft.text,
            abstained=draft.abstained,
            citations=draft.citations,
            hits=tuple(hits),
            timings_ms={"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000},
        )

    # ---------------------------------------------------------------- corpus

    def articles(self) -> list[tuple[Article, int]]:
        """Every indexed article with its number of chunks."""
        index = self.index
        return [(a, int(n)) for a, n in zip(index.article_list, index.chunk_counts)]

    def article(self, article_id: str) -> Article:
        """One indexed article by id."""
        try:
            return self.index.articles[article_id]
        except KeyError:
            raise CorpusError(f"No article with id {article_id!r} in the index.") from None

    def rebuild(self, *, progress: Progress | None = None) -> BuildReport:
        """Rebuild the index from the corpus folders and start using it."""
        with self._build_lock:
            report = build_index(self.settings, self.embedder, progress=progress)
            self.index = load_index(self.settings.index, self.embedder)
            return report

    def add_files(self, paths: Sequence[Path], *, progress: Progress | None = None) -> BuildReport:
        """Copy article files into the first corpus folder and index them.

        Every file is checked first; one bad file rejects the whole upload and
        nothing is copied, so the corpus and the index stay as they were.
        """
        limit = self.settings.max_upload_mb * 1024 * 1024
        target_dir = self.settings.corpus[0]
        checked: list[tuple[Path, Path]] = []
        for path in paths:
            path = Path(path)
            if path.suffix.lower() not in UPLOAD_SUFFIXES:
                raise CorpusError(
                    f"{path.name}: unsupported file type {path.suffix or '(none)'}; "
                    f"upload {', '.join(UPLOAD_SUFFIXES)} files."
                )
            size = path.stat().st_size
            if size > limit:
                raise CorpusError(
                    f"{path.name}: {size / 1e6:.1f} MB is over the "
                    f"{self.settings.max_upload_mb} MB upload limit."
                )
            load_file(path)  # raises CorpusError naming the file and why
            checked.append((path, _free_name(target_dir, path.name)))
        added: list[Path] = []
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
            for source, target in checked:
                shutil.copyfile(source, target)
                added.append(target)
            return self.rebuild(progress=progress)
        except BaseException:
            for target in added:
                target.unlink(missing_ok=True)
            raise


def _check_question(question: str) -> str:
    text = normalize((question or "").strip())
    if not text:
        raise QuestionError("The question is empty; type a question about the articles.")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"The question is {len(text)} characters long; keep it under {MAX_QUESTION_CHARS}."
        )
    return text


def _with_context(question: str, history: Sequence[str]) -> str:
    """Fold the previous question into a short follow-up."""
    previous = [h for h in history if h and h.strip()]
    if not previous or len(content_terms(question)) > _FOLLOW_UP_TERMS:
        return question
    return f"{normalize(previous[-1].strip())} {question}"


def _free_name(folder: Path, name: str) -> Path:
    """``name`` in ``folder``, suffixed if taken, so an upload never overwrites."""
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


__all__ = ["ABSTAIN_MESSAGE", "RAG"]
