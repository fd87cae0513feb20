"""The web chat: ask in Vietnamese (or English), read the answer beside its sources.

A thin layer over :class:`rag.pipeline.RAG`: it parses what the page sends,
calls the library and renders the result (``ui/render.py``). The model and the
index are loaded once and shared by every visitor.

Two tabs:

- **Hỏi đáp** — the chat. Each reply cites passages as ``[1]``, ``[2]``; the
  side panel shows them with the sentences used marked, and a click opens the
  whole article scrolled to the passage. Search options sit in a collapsed
  panel under the chat.
- **Kho bài báo** — the indexed articles, an upload box that adds articles to
  the corpus and the index, and a rebuild button.

The chat is also an API: ``/ask`` takes a question (and optionally ``k`` and
``retriever``) and returns the ``rag ask --json`` dictionary.

>>> serve(Settings())  # doctest: +SKIP
Web chat ready at http://127.0.0.1:7860
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Gradio reads this when it is imported: no usage reports leave the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from rag.config import RETRIEVERS, Settings
from rag.errors import (
    ConfigError,
    CorpusError,
    IndexMismatchError,
    IndexNotFoundError,
    ModelError,
    QuestionError,
    RagError,
)
from rag.loading import parse_date
from rag.types import Answer, Article, SearchFilter

from .render import (
    RETRIEVER_LABELS,
    render_notice,
    render_sources,
    reply_markdown,
    sources_list_markdown,
    sources_summary,
)

if TYPE_CHECKING:
    from rag.embedding import Embedder
    from rag.pipeline import RAG

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
CONCURRENCY = 4  # questions answered at once; each is a few hundred ms of CPU
QUEUE_SIZE = 64  # beyond this, visitors are told the server is busy

EXAMPLES = [
    "Triều Tiên đã gửi bao nhiêu quân đến hỗ trợ Nga?",
    "Hiệp ước New START quy định bao nhiêu đầu đạn hạt nhân?",
    "Nga co can lien minh quan su voi Trung Quoc khong?",
    "How many North Korean troops were sent to Russia?",
]

BUILD_HINT = (
    "Mở thẻ **Kho bài báo** và bấm **Xây dựng lại chỉ mục**, "
    "hoặc chạy `rag index build` rồi khởi động lại."
)
_PROBLEM_LEADS: list[tuple[type[RagError], str]] = [
    (IndexNotFoundError, "Chưa có chỉ mục bài báo."),
    (IndexMismatchError, "Chỉ mục được xây bằng một mô hình hoặc cách chia đoạn khác."),
    (ModelError, "Không tải được mô hình nhúng."),
    (QuestionError, "Câu hỏi chưa dùng được."),
    (CorpusError, "Không đọc được bài báo."),
    (ConfigError, "Thiết lập không hợp lệ."),
]

START_PANEL = render_notice(
    "Nguồn trích dẫn sẽ hiện ở đây",
    "Mỗi câu trả lời dẫn các đoạn báo [1], [2]… Bấm vào một nguồn để đọc toàn bài, "
    "đoạn được dùng sẽ được tô sáng.",
)


def friendly(exc: BaseException) -> str:
    """A Vietnamese lead for a project error, with the library's own message (which
    names the bad value and the fix) underneath.

    >>> friendly(QuestionError("The question is empty."))
    '⚠ **Câu hỏi chưa dùng được.**\\n\\nThe question is empty.'
    """
    if not isinstance(exc, RagError):
        return (
            "⚠ **Đã có lỗi bất ngờ ở máy chủ.** Hãy thử lại; nếu lỗi lặp lại, xem nhật ký máy chủ."
        )
    lead = next((text for cls, text in _PROBLEM_LEADS if isinstance(exc, cls)), None)
    lead = lead or "Không thực hiện được yêu cầu."
    text = f"⚠ **{lead}**\n\n{exc}"
    if isinstance(exc, (IndexNotFoundError, IndexMismatchError)):
        text += f"\n\n{BUILD_HINT}"
    return text


def user_questions(history: Sequence[Any]) -> list[str]:
    """The text of the earlier user turns of a Gradio chat history, oldest first.

    Gradio hands messages over as dicts whose content is a string or a list of
    parts; only text parts count.

    >>> user_questions([{"role": "user", "content": "Ai?"},
    ...                 {"role": "assistant", "content": "Putin [1]"},
    ...                 {"role": "user", "content": [{"type": "text", "text": "Khi nào?"}]}])
    ['Ai?', 'Khi nào?']
    """
    out: list[str] = []
    for message in history or ():
        role = message.get("role") if isinstance(message, dict) else getattr(message, "role", None)
        if role != "user":
            continue
        content = (
            message.get("content") if isinstance(message, dict) else getattr(message, "content", "")
        )
        parts = content if isinstance(content, list) else [content]
        texts = []
        for part in parts:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
        text = " ".join(t.strip() for t in texts if t and t.strip())
        if text:
            out.append(text)
    return out


def search_filter(
    article_ids: Sequence[str] | None,
    sources: Sequence[str] | None,
    date_from: str | None,
    date_to: str | None,
) -> SearchFilter | None:
    """The filter chosen in the search options, or None when nothing restricts the search.

    Dates may be written ``2025-08-13`` or ``13/8/2025``.

    >>> search_filter(None, ["TASS"], "1/8/2025", "").date_from
    '2025-08-01'
    """
    dates: list[str | None] = []
    for label, raw in (("Từ ngày", date_from), ("Đến ngày", date_to)):
        raw = (raw or "").strip()
        if not raw:
            dates.append(None)
            continue
        iso = parse_date(raw)
        if iso is None:
            raise ConfigError(
                f"{label}: {raw!r} is not a date; write it as YYYY-MM-DD or DD/MM/YYYY."
            )
        dates.append(iso)
    if dates[0] and dates[1] and dates[0] > dates[1]:
        raise ConfigError(f"The date range {dates[0]} … {dates[1]} is empty; swap the two dates.")
    chosen = SearchFilter(
        article_ids=frozenset(article_ids) if article_ids else None,
        sources=frozenset(sources) if sources else None,
        date_from=dates[0],
        date_to=dates[1],
    )
    return None if chosen.is_empty() else chosen


class ChatService:
    """What the page talks to: one :class:`RAG` shared by every visitor, or the
    reason there is none yet (no index, index of another model) and the means
    to build one.
    """

    def __init__(
        self,
        settings: Settings,
        rag: RAG | None = None,
        *,
        embedder: Embedder | None = None,
        problem: RagError | None = None,
    ) -> None:
        self.settings = settings
        self.rag = rag
        self._embedder = embedder or (rag.embedder if rag is not None else None)
        self.problem = problem
        self._lock = threading.Lock()

    @classmethod
    def start(cls, settings: Settings) -> ChatService:
        """Load the model and the index; keep serving (with the reason) if either fails."""
        from rag.embedding import load_embedder
        from rag.pipeline import RAG

        try:
            embedder = load_embedder(settings)
        except RagError as exc:
            return cls(settings, problem=exc)
        try:
            return cls(settings, RAG.open(settings, embedder=embedder))
        except RagError as exc:
            return cls(settings, embedder=embedder, problem=exc)

    # ------------------------------------------------------------- questions

    def article(self, article_id: str) -> Article | None:
        """The indexed article ``article_id``, or None if the index no longer has it."""
        if self.rag is None:
            return None
        try:
            return self.rag.article(article_id)
        except RagError:
            return None

    def _ready(self) -> RAG:
        if self.rag is None:
            raise self.problem or IndexNotFoundError("No index is loaded.")
        return self.rag

    def ask(
        self,
        question: str,
        *,
        history: Sequence[str] = (),
        k: int | None = None,
        retriever: str | None = None,
        filter: SearchFilter | None = None,
    ) -> Answer:
        """Ask the shared :class:`RAG`; raises :class:`RagError` for anything the user can fix."""
        if retriever is not None and retriever not in RETRIEVERS:
            raise ConfigError(
                f"Unknown retriever {retriever!r}; choose one of {', '.join(RETRIEVERS)}."
            )
        if k is not None and not 1 <= int(k) <= 100:
            raise ConfigError(f"k must be between 1 and 100, got {k}.")
        return self._ready().ask(
            question,
            history=history,
            k=int(k) if k is not None else None,
            retriever=retriever,
            filter=filter,
        )

    def respond(
        self,
        message: str,
        history: list[Any],
        k: float | None = None,
        retriever: str | None = None,
        article_ids: list[str] | None = None,
        sources: list[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> tuple[list[gr.ChatMessage], str]:
        """One chat turn: the reply messages and the side panel."""
        question = (message or "").strip()
        if not question:
            return [gr.ChatMessage("Hãy nhập một câu hỏi về các bài báo.")], START_PANEL
        try:
            answer = self.ask(
                question,
                history=user_questions(history),
                k=int(k) if k else None,
                retriever=retriever or None,
                filter=search_filter(article_ids, sources, date_from, date_to),
            )
        except Exception as exc:  # the page must show a message, never a traceback
            if not isinstance(exc, RagError):
                log.exception("Question failed: %r", question)
            return [gr.ChatMessage(friendly(exc))], render_notice(
                "Chưa có câu trả lời", "Xem thông báo trong khung trò chuyện.", kind="error"
            )
        reply = [gr.ChatMessage(reply_markdown(answer, self.article))]
        if answer.citations:
            reply.append(
                gr.ChatMessage(
                    sources_list_markdown(answer),
                    metadata={"title": sources_summary(answer), "status": "done"},
                )
            )
        return reply, render_sources(answer, self.article)

    def ask_api(self, question: str, k: int | None = None, retriever: str | None = None) -> dict:
        """The ``/ask`` endpoint: the ``rag ask --json`` dictionary.

        A question that cannot be answered as asked raises :class:`gr.Error` with
        the library's one-line message, which API clients receive as the error.
        """
        try:
            return self.ask(question, k=k or None, retriever=retriever or None).to_dict()
        except RagError as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    # ---------------------------------------------------------------- corpus

    def corpus_rows(self) -> list[list[Any]]:
        """One row per indexed article: title, date, source, chunks, id."""
        if self.rag is None:
            return []
        return [[a.title, a.date or "", a.source or "", n, a.id] for a, n in self.rag.articles()]

    def corpus_stats(self) -> str:
        """One line on what is indexed (markdown)."""
        if self.rag is None:
            return "**Chưa có chỉ mục.** Bấm **Xây dựng lại chỉ mục** để lập chỉ mục các bài báo."
        items = self.rag.articles()
        chunks = sum(n for _, n in items)
        manifest = getattr(self.rag.index, "manifest", {}) or {}
        model = (manifest.get("model") or {}).get("name", self.settings.model)
        built = str(manifest.get("built_at", ""))[:16].replace("T", " ")
        return f"**{len(items)}** bài báo · **{chunks}** đoạn · mô hình `{model}`" + (
            f" · lập chỉ mục lúc {built} UTC" if built else ""
        )

    def article_choices(self) -> list[tuple[str, str]]:
        """(label, id) for the article filter."""
        if self.rag is None:
            return []
        return [
            (a.title + (f" ({a.date})" if a.date else ""), a.id) for a, _ in self.rag.articles()
        ]

    def source_choices(self) -> list[str]:
        """Every named source in the index, for the source filter."""
        if self.rag is None:
            return []
        return sorted({a.source for a, _ in self.rag.articles() if a.source})

    def _build(self, progress: Callable[[str, int, int], None]) -> Any:
        """Rebuild the index (building the first one if there is none)."""
        from rag.index import build_index
        from rag.pipeline import RAG

        with self._lock:
            if self.rag is not None:
                return self.rag.rebuild(progress=progress)
            if self._embedder is None:
                from rag.embedding import load_embedder

                self._embedder = load_embedder(self.settings)
            report = build_index(self.settings, self._embedder, progress=progress)
            self.rag = RAG.open(self.settings, embedder=self._embedder)
            self.problem = None
            return report

    def rebuild(self, progress: Callable[[str, int, int], None]) -> str:
        """Rebuild from the corpus folders; a failure leaves the working index as it was."""
        try:
            report = self._build(progress)
        except RagError as exc:
            return friendly(exc) + "\n\nChỉ mục đang dùng không thay đổi."
        return (
            f"✓ Đã xây dựng lại chỉ mục: {report.articles} bài, {report.chunks} đoạn "
            f"trong {report.seconds:.1f} s." + _warnings(report)
        )

    def add_files(self, paths: Sequence[str], progress: Callable[[str, int, int], None]) -> str:
        """Add uploaded files to the corpus and the index; one bad file rejects them all."""
        if not paths:
            return "Hãy chọn ít nhất một tệp .txt, .md hoặc .jsonl."
        files = [Path(p) for p in paths]
        try:
            if self.rag is None:
                self._build(progress)
            assert self.rag is not None
            with self._lock:
                report = self.rag.add_files(files, progress=progress)
        except RagError as exc:
            reason = friendly(exc)
            for f in files:  # name the file as the person knows it, not its upload path
                reason = reason.replace(str(f), f.name)
            return reason + "\n\nKhông tệp nào được thêm; kho bài báo và chỉ mục vẫn như trước."
        names = ", ".join(f"`{f.name}`" for f in files)
        return (
            f"✓ Đã thêm {len(files)} tệp ({names}). Chỉ mục hiện có {report.articles} bài, "
            f"{report.chunks} đoạn (xong trong {report.seconds:.1f} s)." + _warnings(report)
        )


def _warnings(report: Any) -> str:
    lines = [f"\n- {w}" for w in getattr(report, "warnings", ())]
    dupes = getattr(report, "duplicates", ())
    if dupes:
        lines.append(f"\n- {len(dupes)} bài trùng lặp được bỏ qua.")
    return ("\n\nLưu ý:" + "".join(lines)) if lines else ""


def _gradio_progress(progress: gr.Progress) -> Callable[[str, int, int], None]:
    """Map the library's (stage, done, total) callbacks onto a Gradio progress bar."""

    def report(stage: str, done: int, total: int) -> None:
        if stage == "load":
            progress(0.05, desc=f"Đọc {total} bài báo…")
        elif stage == "embed":
            share = done / total if total else 1.0
            progress(0.1 + 0.8 * share, desc=f"Tạo vector cho các đoạn ({done}/{total})…")
        elif stage == "write":
            progress(0.95, desc="Ghi chỉ mục…")

    return report


# ------------------------------------------------------------------- page


def build_app(rag_or_settings: RAG | Settings | ChatService) -> gr.Blocks:
    """The whole page for a loaded :class:`RAG`, or for settings (loading it now).

    Pass the result's launch options from :func:`launch_options`; :func:`serve`
    does both.

    >>> demo = build_app(Settings())  # doctest: +SKIP
    """
    if isinstance(rag_or_settings, ChatService):
        service = rag_or_settings
    elif isinstance(rag_or_settings, Settings):
        service = ChatService.start(rag_or_settings)
    else:
        service = ChatService(rag_or_settings.settings, rag_or_settings)
    settings = service.settings

    with gr.Blocks(title="Hỏi đáp tin tức", analytics_enabled=False) as demo:
        gr.HTML(
            '<div id="rag-header"><h1>Hỏi đáp tin tức</h1>'
            "<p>Câu trả lời trích nguyên văn từ các bài báo đã lập chỉ mục, "
            "kèm nguồn để bạn tự kiểm chứng.</p></div>",
            padding=False,
        )
        banner = gr.Markdown(
            _banner_text(service), elem_id="rag-banner", visible=service.rag is None
        )
        with gr.Tabs():
            with gr.Tab("Hỏi đáp", id="chat"):
                sources_panel = gr.HTML(START_PANEL, elem_id="rag-sources-html", render=False)
                k = gr.Slider(
                    1,
                    20,
                    value=settings.k,
                    step=1,
                    label="Số đoạn tìm kiếm",
                    info="Nhiều đoạn hơn: tìm rộng hơn, chậm hơn một chút.",
                    render=False,
                )
                retriever = gr.Radio(
                    [(f"{RETRIEVER_LABELS[r].capitalize()} ({r})", r) for r in RETRIEVERS],
                    value=settings.retriever,
                    label="Cách tìm",
                    info="Kết hợp = ngữ nghĩa + từ khóa (khuyên dùng).",
                    render=False,
                )
                article_filter = gr.Dropdown(
                    service.article_choices(),
                    multiselect=True,
                    label="Chỉ tìm trong các bài",
                    info="Để trống: tìm trong mọi bài.",
                    render=False,
                )
                source_filter = gr.Dropdown(
                    service.source_choices(),
                    multiselect=True,
                    label="Chỉ tìm theo nguồn",
                    render=False,
                )
                date_from = gr.Textbox(
                    label="Từ ngày", placeholder="VD: 01/08/2025", max_lines=1, render=False
                )
                date_to = gr.Textbox(
                    label="Đến ngày", placeholder="VD: 2025-08-31", max_lines=1, render=False
                )
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=340):
                        gr.ChatInterface(
                            service.respond,
                            chatbot=gr.Chatbot(
                                elem_id="rag-chat",
                                height="62vh",
                                min_height=380,
                                label="Trò chuyện",
                                show_label=False,
                                placeholder=(
                                    "**Hỏi gì về các bài báo cũng được.**\n\n"
                                    "Có dấu, không dấu hay tiếng Anh đều được; "
                                    "câu hỏi tiếp theo có thể nối tiếp câu trước."
                                ),
                                buttons=["copy"],
                                feedback_options=None,
                                layout="bubble",
                            ),
                            textbox=gr.Textbox(
                                placeholder="Đặt câu hỏi về các bài báo…",
                                show_label=False,
                                submit_btn="Hỏi",
                                stop_btn=False,
                                max_lines=4,
                                elem_id="rag-question",
                            ),
                            additional_inputs=[
                                k,
                                retriever,
                                article_filter,
                                source_filter,
                                date_from,
                                date_to,
                            ],
                            additional_inputs_accordion=gr.Accordion(
                                "⚙ Tùy chọn tìm kiếm", open=False, render=False
                            ),
                            additional_outputs=[sources_panel],
                            examples=[[q] for q in EXAMPLES],
                            examples_label="Thử hỏi",
                            run_examples_on_click=True,
                            cache_examples=False,
                            api_name="chat",
                            api_visibility="undocumented",
                            fill_height=False,
                            autofocus=True,
                        )
                    with gr.Column(scale=2, min_width=300, elem_id="rag-sources"):
                        sources_panel.render()

            with gr.Tab("Kho bài báo", id="corpus"):
                stats = gr.Markdown(service.corpus_stats(), elem_id="rag-corpus-stats")
                table = gr.Dataframe(
                    service.corpus_rows(),
                    headers=["Tiêu đề", "Ngày", "Nguồn", "Số đoạn", "Mã bài"],
                    datatype=["str", "str", "str", "number", "str"],
                    interactive=False,
                    wrap=True,
                    max_height=420,
                    show_search="search",
                    column_widths=["52%", "12%", "12%", "9%", "15%"],
                    elem_id="rag-corpus-table",
                )
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        upload = gr.File(
                            file_count="multiple",
                            file_types=[".txt", ".md", ".jsonl"],
                            label=(
                                "Thêm bài báo (.txt, .md, .jsonl; "
                                f"tối đa {settings.max_upload_mb} MB mỗi tệp)"
                            ),
                            elem_id="rag-upload",
                        )
                        add_btn = gr.Button(
                            "Thêm vào kho và lập chỉ mục", variant="primary", elem_id="rag-add"
                        )
                    with gr.Column(scale=2):
                        gr.Markdown(
                            "**Xây dựng lại chỉ mục** đọc lại toàn bộ thư mục bài báo "
                            "(các đoạn không đổi dùng lại vector cũ). Nếu có lỗi, chỉ mục "
                            "đang dùng vẫn giữ nguyên."
                        )
                        rebuild_btn = gr.Button("Xây dựng lại chỉ mục", elem_id="rag-rebuild")
                status = gr.Markdown(elem_id="rag-corpus-status")

        corpus_outputs = [status, stats, table, article_filter, source_filter, banner]

        def after_change(message: str) -> tuple[Any, ...]:
            return (
                message,
                service.corpus_stats(),
                service.corpus_rows(),
                gr.update(choices=service.article_choices()),
                gr.update(choices=service.source_choices()),
                gr.update(value=_banner_text(service), visible=service.rag is None),
            )

        # Gradio finds the progress bar by this default value.
        def on_add(
            files: list[str] | None,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> tuple[Any, ...]:
            message = service.add_files(files or [], _gradio_progress(progress))
            cleared = None if message.startswith("✓") else gr.skip()
            return (*after_change(message), cleared)

        def on_rebuild(progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
            return after_change(service.rebuild(_gradio_progress(progress)))

        add_btn.click(
            on_add,
            [upload],
            [*corpus_outputs, upload],
            api_visibility="private",
            concurrency_limit=1,
            concurrency_id="index",
            show_progress_on=[table],
        )
        # The page is built once; a visitor arriving after an upload must see the corpus as it is.
        demo.load(
            lambda: after_change("")[1:],
            None,
            corpus_outputs[1:],
            api_visibility="private",
            queue=False,
        )
        rebuild_btn.click(
            on_rebuild,
            None,
            corpus_outputs,
            api_visibility="private",
            concurrency_limit=1,
            concurrency_id="index",
            show_progress_on=[table],
        )

        gr.api(_api(service), api_name="ask")
    return demo


def _api(service: ChatService) -> Callable[..., dict]:
    # A plain function with annotations: Gradio reads them to describe the endpoint.
    def ask(question: str, k: int | None = None, retriever: str | None = None) -> dict:
        """Answer a question from the indexed articles.

        Returns the same dictionary as `rag ask --json`: question, answer, abstained,
        citations (n, article_id, title, date, source, path, passage, start, end,
        highlights), hits and timings_ms. An empty question, an unknown retriever or a
        k outside 1..100 fails with a one-line message.
        """
        return service.ask_api(question, k=k, retriever=retriever)

    return ask


def _banner_text(service: ChatService) -> str:
    if service.rag is not None:
        return ""
    return friendly(service.problem) if service.problem else f"**Chưa có chỉ mục.** {BUILD_HINT}"


# Gradio ships no Vietnamese strings; these replace the English ones the page shows.
GRADIO_STRINGS = {
    "upload_text.click_to_upload": "Bấm để chọn tệp",
    "upload_text.drop_file": "Kéo thả tệp vào đây",
    "common.or": "hoặc",
    "common.clear": "Xóa",
    "common.loading": "Đang tải",
    "common.error": "Lỗi",
    "common.submit": "Gửi",
    "common.undo": "Hoàn tác",
    "chatbot.retry": "Hỏi lại",
    "chatbot.undo": "Hoàn tác",
    "chatbot.clear": "Xóa cuộc trò chuyện",
    "chatbot.copy_message": "Chép câu trả lời",
    "chatbot.copied_message": "Đã chép",
    "chat_interface.message_placeholder": "Đặt câu hỏi về các bài báo…",
    "file.uploading": "Đang tải lên…",
    "login.username": "Tên đăng nhập",
    "login.password": "Mật khẩu",
    "login.login": "Đăng nhập",
    "login.incorrect_credentials": "Sai tên đăng nhập hoặc mật khẩu",
    "errors.use_via_api": "Dùng qua API",
}


def launch_options(settings: Settings) -> dict[str, Any]:
    """Everything :meth:`gr.Blocks.launch` needs besides host and port: look, login,
    upload limit, and which files may be served (only Gradio's own uploads)."""
    auth = None
    if settings.auth:
        user, _, password = settings.auth.partition(":")
        auth = (user, password)
    theme = gr.themes.Soft(
        primary_hue="blue",
        neutral_hue="slate",
        radius_size="lg",
        font=[
            "Inter",
            "Segoe UI",
            "Noto Sans",
            "Helvetica Neue",
            "Arial",
            "Liberation Sans",
            "sans-serif",
        ],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "DejaVu Sans Mono", "monospace"],
    )
    blocked = [str(Path(p).resolve()) for p in (*settings.corpus, settings.index)]
    return {
        "theme": theme,
        "css": (HERE / "style.css").read_text(encoding="utf-8"),
        "head": (
            f"<style>{(HERE / 'reader.css').read_text(encoding='utf-8')}</style>"
            f"<script>{(HERE / 'viewer.js').read_text(encoding='utf-8')}</script>"
        ),
        "auth": auth,
        "auth_message": "Đăng nhập để dùng hỏi đáp tin tức." if auth else None,
        "max_file_size": f"{settings.max_upload_mb}mb",
        "allowed_paths": [],
        "blocked_paths": blocked,
        "share": False,
        "show_error": False,
        "ssr_mode": False,
        "footer_links": ["api"],
        "mcp_server": False,
        "pwa": False,
        "i18n": gr.I18n(en=GRADIO_STRINGS, vi=GRADIO_STRINGS),
    }


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Load the model and index once, then serve the web chat until interrupted.

    Binds to loopback unless ``host`` says otherwise; set ``RAG_AUTH=user:password``
    before exposing it.
    """
    started = time.perf_counter()
    print("Loading the model and the index…", file=sys.stderr, flush=True)
    service = ChatService.start(settings)
    if service.problem is not None:
        print(f"Warning: {service.problem}", file=sys.stderr, flush=True)
    demo = build_app(service)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.auth:
        print(
            f"Warning: serving on {host} without a login; set RAG_AUTH=user:password.",
            file=sys.stderr,
            flush=True,
        )
    try:
        demo.launch(
            server_name=host,
            server_port=port,
            prevent_thread_lock=True,
            quiet=True,
            **launch_options(settings),
        )
    except OSError as exc:
        raise ConfigError(f"Cannot listen on {host}:{port} ({exc}); pass --port N.") from None
    shown = f"[{host}]" if ":" in host else host
    took = time.perf_counter() - started
    print(
        f"Web chat ready at http://{shown}:{port} (model and index loaded in {took:.1f} s)",
        flush=True,
    )
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        demo.close()
