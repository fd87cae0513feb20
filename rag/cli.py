"""The ``rag`` command: parse flags, call the library, print.

User mistakes (missing index, bad file, empty question) end with a one-line
``Error: ...`` on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .config import RETRIEVERS, Settings
from .errors import RagError


def _settings(**flags: Any) -> Settings:
    return Settings.from_env().with_overrides(**flags)


def _friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn project errors into one line on stderr and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RagError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)

    return wrapper


class _ProgressBar:
    """A tqdm bar on stderr, opened at the first update that knows the total."""

    def __init__(self, desc: str, unit: str, *, enabled: bool) -> None:
        self._desc, self._unit, self._enabled = desc, unit, enabled
        self._bar: Any = None

    def update(self, done: int, total: int) -> None:
        if not self._enabled or not total:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit=self._unit, desc=self._desc, file=sys.stderr)
        self._bar.update(done - self._bar.n)

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()


def corpus_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--corpus (repeatable), --index and --model, shared by every command."""
    fn = click.option(
        "--model",
        default=None,
        help="Sentence-transformers model name or path (default: multilingual-e5-small).",
    )(fn)
    fn = click.option(
        "--index", "index", type=click.Path(path_type=Path), default=None,
        help="Index folder (default: index/).",
    )(fn)  # fmt: skip
    fn = click.option(
        "--corpus", "corpus", multiple=True, type=click.Path(path_type=Path),
        help="Corpus folder; repeat for several (default: seeds/).",
    )(fn)  # fmt: skip
    return fn


def search_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--k", "k", type=click.IntRange(1, 100), default=None,
                      help="Number of passages to retrieve (default 5).")(fn)  # fmt: skip
    fn = click.option("--retriever", type=click.Choice(RETRIEVERS), default=None,
                      help="How to search (default hybrid).")(fn)  # fmt: skip
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vnrag")
def cli() -> None:
    """Question answering over Vietnamese news articles, with cited sources."""


@cli.group("index")
def index_group() -> None:
    """Build and inspect the index."""


@index_group.command("build")
@corpus_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_friendly
def index_build(quiet: bool, **flags: Any) -> None:
    """Read the corpus, embed it and replace the index atomically."""
    from .embedding import load_embedder
    from .index import build_index

    settings = _settings(**flags)
    embedder = load_embedder(settings)
    with _ProgressBar("Embedding", "text", enabled=not quiet) as bar:

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "embed":
                bar.update(done, total)

        report = build_index(settings, embedder, progress=progress)
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    rate = report.chunks / report.seconds if report.seconds else 0.0
    click.echo(
        f"Indexed {report.articles} articles as {report.chunks} chunks "
        f"({report.sentences} sentences) into {settings.index}/ "
        f"in {report.seconds:.1f} s ({rate:.0f} chunks/s"
        + (f", {report.reused_vectors} vectors reused" if report.reused_vectors else "")
        + ")."
        + (f" {len(report.duplicates)} duplicate articles skipped." if report.duplicates else "")
    )


@index_group.command("info")
@corpus_options
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@click.option(
    "--check", is_flag=True,
    help="Exit with status 1 unless the index matches the corpus as it is now.",
)  # fmt: skip
@_friendly
def index_info(as_json: bool, check: bool, **flags: Any) -> None:
    """What is in the index: articles, chunks, model, when it was built."""
    from .index import check_up_to_date, read_manifest

    settings = _settings(**flags)
    manifest = read_manifest(settings.index)
    if check:
        check_up_to_date(settings)
    if as_json:
        click.echo(json.dumps(manifest, ensure_ascii=False, indent=2))
        return
    counts, model, chunking = manifest["counts"], manifest["model"], manifest["chunking"]
    rows = [
        ("Index", f"{settings.index}/"),
        ("Articles", counts["articles"]),
        ("Chunks", counts["chunks"]),
        ("Sentences", counts["sentences"]),
        ("Model", f"{model['name']} ({model['dim']} dims, weights {model['fingerprint'][:12]})"),
        ("Chunking", f"{chunking['chunk_tokens']} tokens, overlap {chunking['chunk_overlap']}"),
        ("Corpus", ", ".join(manifest["corpus"]["folders"])),
        ("Built", manifest["built_at"]),
        ("Version", manifest["package_version"]),
    ]
    for key, value in rows:
        click.echo(f"{key:<10} {value}")


@cli.command("ask")
@click.argument("question")
@corpus_options
@search_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_friendly
def ask(question: str, as_json: bool, retriever: str | None, k: int | None, **flags: Any) -> None:
    """Answer QUESTION from the indexed articles, with citations."""
    from .pipeline import RAG

    rag = RAG.open(_settings(**flags))
    answer = rag.ask(question, retriever=retriever, k=k)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(answer.text)
    if answer.citations:
        click.echo()
        for c in answer.citations:
            meta = ", ".join(x for x in (c.date, c.source) if x)
            click.echo(f"[{c.n}] {c.title}" + (f" ({meta})" if meta else "") + f" — {c.path}")
    elif answer.hits:
        click.echo("\nClosest articles looked at:")
        shown: list[str] = []
        for hit in answer.hits:
            if hit.chunk.article_id not in shown:
                shown.append(hit.chunk.article_id)
                click.echo(f"  - {rag.article(hit.chunk.article_id).title}")


@cli.command("eval")
@corpus_options
@click.option("--qa", "qa_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Question set (.jsonl). Default: qa.jsonl in a corpus folder; "
              "without one, synthetic questions.")  # fmt: skip
@click.option("--auto", "--synthetic", "synthetic", is_flag=True,
              help="Ask questions made from the articles themselves.")  # fmt: skip
@click.option("--per-article", type=click.IntRange(1, 20), default=2, show_default=True,
              help="Synthetic questions per article.")  # fmt: skip
@click.option("--retriever", "retrievers", multiple=True,
              type=click.Choice([*RETRIEVERS, "all"]),
              help="Retriever to evaluate; repeat to compare, 'all' for every one.")  # fmt: skip
@click.option("--k", type=click.IntRange(1, 100), default=None,
              help="Passages per question (at least 10 are read).")  # fmt: skip
@click.option("--report", "report_path", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Also write a report: .html (charts), .md or .json.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print metrics and every question as JSON.")
@click.option("--failures", type=click.IntRange(min=0), default=20, show_default=True,
              help="Failed questions to list (0: none).")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_friendly
def evaluate(
    qa_path: Path | None,
    synthetic: bool,
    per_article: int,
    retrievers: tuple[str, ...],
    k: int | None,
    report_path: Path | None,
    as_json: bool,
    failures: int,
    quiet: bool,
    **flags: Any,
) -> None:
    """Measure how well questions find their article and get a right answer."""
    from .evaluation import format_summary, run_evaluation, write_report
    from .pipeline import RAG

    app = RAG.open(_settings(**flags))
    with _ProgressBar("Evaluating", "q", enabled=not (quiet or as_json)) as bar:
        result = run_evaluation(
            app,
            qa_path=qa_path,
            synthetic=synthetic,
            n_per_article=per_article,
            retrievers=retrievers,
            k=k,
            progress=bar.update,
        )
    if report_path is not None:
        write_report(result, report_path)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_summary(result, failures=failures))
        if report_path is not None:
            click.echo(f"Report written to {report_path}")


@cli.command("serve")
@corpus_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535))
@_friendly
def serve(host: str, port: int, **flags: Any) -> None:
    """Start the web chat."""
    from ui.app import serve as run_server

    run_server(_settings(**flags), host=host, port=port)


def main() -> None:
    """Entry point of the ``rag`` command."""
    cli()


if __name__ == "__main__":
    main()
