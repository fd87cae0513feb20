"""Question sets, evaluation runs, reports and synthetic questions."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import FakeEmbedder

from rag.config import Settings
from rag.errors import ConfigError, QASetError
from rag.evaluation import (
    SYNTHETIC,
    QAItem,
    auto_questions,
    evaluate,
    format_summary,
    load_qa,
    run_evaluation,
    write_report,
)
from rag.evaluation.report import SYNTHETIC_NOTE
from rag.text import fold, sentence_spans
from rag.types import Answer, Article, Chunk, Citation, Hit, SearchFilter

# --------------------------------------------------------------- question sets

GOOD = {"id": "q1", "question": "Ai?", "article_ids": ["a"], "answers": ["x"], "kind": "factoid"}


def _write_lines(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _line(**changes: object) -> str:
    record = {**GOOD, **changes}
    return json.dumps({k: v for k, v in record.items() if v is not ...}, ensure_ascii=False)


def test_load_qa_reads_items_and_skips_blank_lines(tmp_path: Path) -> None:
    path = _write_lines(
        tmp_path / "qa.jsonl",
        [
            _line(),
            "",
            _line(id="q2", article_ids=[], answers=[], kind="unanswerable", extra="kept out"),
        ],
    )
    items = load_qa(path, {"a", "b"})
    assert [i.id for i in items] == ["q1", "q2"]
    assert items[0].answerable and not items[1].answerable
    assert items[0].article_ids == ("a",)
    assert items[1].to_dict()["kind"] == "unanswerable"


@pytest.mark.parametrize(
    ("bad_line", "says"),
    [
        ('{"id": "q9", "question": ', "not valid JSON"),
        ('["q9", "Ai?"]', "expected a JSON object"),
        (_line(answers=...), "missing field 'answers'"),
        (_line(article_ids="a"), "field 'article_ids' must be a list of strings"),
        (_line(answers=["x", 3]), "field 'answers' must be a list of strings"),
        (_line(kind=7), "field 'kind' must be a string"),
        (_line(question="  "), "field 'question' is empty"),
        (_line(article_ids=["nope"]), "unknown article id 'nope'"),
        (_line(kind="unanswerable"), "kind 'unanswerable' but article_ids"),
        (_line(id="q1", question="Lặp lại?"), "duplicate id 'q1' (first used on line 1)"),
    ],
)
def test_each_bad_line_is_a_one_line_error_naming_file_and_line(
    tmp_path: Path, bad_line: str, says: str
) -> None:
    path = _write_lines(tmp_path / "qa.jsonl", [_line(), "", bad_line])
    with pytest.raises(QASetError) as caught:
        load_qa(path, {"a", "b"})
    message = str(caught.value)
    assert says in message
    assert f"{path} line 3:" in message
    assert "\n" not in message


def test_missing_or_empty_question_set_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(QASetError, match="not found"):
        load_qa(tmp_path / "absent.jsonl")
    with pytest.raises(QASetError, match="holds no questions"):
        load_qa(_write_lines(tmp_path / "empty.jsonl", ["", "  "]))


def test_article_ids_are_not_checked_without_known_ids(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "qa.jsonl", [_line(article_ids=["anything"])])
    assert load_qa(path)[0].article_ids == ("anything",)


# --------------------------------------------------------- scripted evaluation


class ScriptedRAG:
    """Replies fixed in advance: question → (hit articles and texts, answer, cited ids)."""

    def __init__(self, script: dict[str, tuple[list[tuple[str, str]], str, list[str]]]) -> None:
        self.script = script
        self.calls: list[tuple[str, str | None, int | None]] = []

    def ask(
        self,
        question: str,
        *,
        retriever: str | None = None,
        k: int | None = None,
        filter: SearchFilter | None = None,
        history: Sequence[str] = (),
    ) -> Answer:
        self.calls.append((question, retriever, k))
        passages, text, cited = self.script[question]
        hits = tuple(
            Hit(rank=i + 1, chunk=Chunk(f"{a}#{i}", a, i, t, 0, len(t)), score=1.0 / (i + 1))
            for i, (a, t) in enumerate(passages)
        )
        citations = tuple(
            Citation(n + 1, a, a, None, None, f"{a}.txt", "", 0, 0) for n, a in enumerate(cited)
        )
        return Answer(question, text, not cited, citations, hits)


ITEMS = [
    QAItem("q1", "Bao nhiêu quân?", ("quan",), ("10.000 quân",), "factoid"),
    QAItem("q2", "bao nhieu quan?", ("quan",), ("10.000 quân",), "no_diacritics"),
    QAItem("q3", "Khí đốt từ năm nào?", ("khi",), ("2027",), "factoid"),
    QAItem("q4", "Ai thắng World Cup?", (), (), "unanswerable"),
    QAItem("q5", "Thủ đô của Lào?", (), (), "unanswerable"),
]
SCRIPT = {
    # right article first, correct answer
    "Bao nhiêu quân?": (
        [("quan", "Triều Tiên gửi 10.000 quân."), ("khi", "Khí đốt.")],
        "Triều Tiên gửi 10.000 QUÂN [1].",
        ["quan"],
    ),
    # right article second; the answer has the text but cites the wrong article
    "bao nhieu quan?": (
        [("khi", "Khí đốt."), ("quan", "Triều Tiên gửi 10.000 quân.")],
        "10.000 quân [1].",
        ["khi"],
    ),
    # right article first, then a wrong abstention
    "Khí đốt từ năm nào?": ([("khi", "Từ năm 2027."), ("quan", "Quân.")], "Không tìm thấy.", []),
    # rightly abstains
    "Ai thắng World Cup?": ([("quan", "Quân.")], "Không tìm thấy.", []),
    # answers a question it cannot answer
    "Thủ đô của Lào?": ([("khi", "Khí đốt.")], "Khí đốt [1].", ["khi"]),
}


def test_evaluate_asks_each_question_once_per_retriever_at_depth_ten() -> None:
    rag = ScriptedRAG(SCRIPT)
    evaluate(rag, ITEMS, ["hybrid", "lexical"], k=5, warmup=False)
    assert len(rag.calls) == len(ITEMS) * 2
    assert {k for _, _, k in rag.calls} == {10}
    assert [r for _, r, _ in rag.calls] == ["hybrid"] * len(ITEMS) + ["lexical"] * len(ITEMS)
    deeper = ScriptedRAG(SCRIPT)
    evaluate(deeper, ITEMS, ["dense"], k=20)
    assert {k for _, _, k in deeper.calls} == {20}
    assert len(deeper.calls) == len(ITEMS) + 1  # one untimed warm-up question


def test_metrics_follow_from_the_question_records() -> None:
    result = evaluate(ScriptedRAG(SCRIPT), ITEMS, ["hybrid"], warmup=False)
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert set(data) == {"metrics", "questions"}
    metrics, questions = data["metrics"], data["questions"]
    answerable = [q for q in questions if q["article_ids"]]
    unanswerable = [q for q in questions if not q["article_ids"]]

    first_right = [q["hits"][0]["article_id"] in q["article_ids"] for q in answerable]
    assert metrics["recall@1"] == pytest.approx(sum(first_right) / len(answerable))
    positions = [
        next(h["rank"] for h in q["hits"] if h["article_id"] in q["article_ids"])
        for q in answerable
    ]
    assert metrics["mrr@10"] == pytest.approx(sum(1 / p for p in positions) / len(answerable))
    assert metrics["abstain_rate_unanswerable"] == pytest.approx(
        sum(q["abstained"] for q in unanswerable) / len(unanswerable)
    )
    assert metrics["false_abstain_rate"] == pytest.approx(
        sum(q["abstained"] for q in answerable) / len(answerable)
    )
    # Only q1 is right: q2 cites the wrong article, q3 abstained.
    assert metrics["answer_accuracy"] == pytest.approx(1 / 3)
    assert metrics["hit@1"] == pytest.approx(2 / 3)
    assert metrics["hit@5"] == pytest.approx(1.0)
    latencies = sorted(q["latency_ms"] for q in questions)
    assert latencies[0] <= metrics["latency_p50_ms"] <= latencies[-1]

    by_kind = metrics["by_kind"]
    assert set(by_kind) == {"factoid", "no_diacritics", "unanswerable"}
    assert sum(b["questions"] for b in by_kind.values()) == len(questions)
    assert by_kind["unanswerable"]["recall@1"] is None
    assert by_kind["no_diacritics"]["recall@1"] == 0.0
    assert set(questions[0]) == {
        "id", "question", "kind", "article_ids", "answers", "hits", "answer", "abstained",
        "cited_article_ids", "latency_ms",
    }  # fmt: skip
    assert set(questions[0]["hits"][0]) == {"rank", "article_id", "chunk_id", "score"}


def test_several_retrievers_nest_under_their_names() -> None:
    result = evaluate(ScriptedRAG(SCRIPT), ITEMS, ["hybrid", "dense"], warmup=False)
    data = result.to_dict()
    assert set(data) == {"retrievers"}
    assert list(data["retrievers"]) == ["hybrid", "dense"]
    assert set(data["retrievers"]["dense"]) == {"metrics", "questions"}


def test_failed_questions_are_the_wrong_ones() -> None:
    result = evaluate(ScriptedRAG(SCRIPT), ITEMS, ["hybrid"], warmup=False)
    failed = {r.item.id: r.problems() for r in result.run("hybrid").failures()}
    assert set(failed) == {"q2", "q3", "q5"}
    assert "wrong first article" in failed["q2"]
    assert "abstained" in failed["q3"]
    assert failed["q5"] == ["answered an unanswerable question"]
    text = format_summary(result)
    assert "Thủ đô của Lào?" in text and "Ai thắng World Cup?" not in text
    assert "Recall@1" in text and "MRR@10" in text


@pytest.mark.parametrize(
    ("retrievers", "k", "error"),
    [(["bm25"], 10, ConfigError), ([], 10, ConfigError), (["dense"], 0, ConfigError)],
)
def test_bad_arguments_are_clear_errors(
    retrievers: list[str], k: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        evaluate(ScriptedRAG(SCRIPT), ITEMS, retrievers, k=k)
    with pytest.raises(QASetError):
        evaluate(ScriptedRAG(SCRIPT), [], ["dense"])


def test_reports_are_written_and_name_the_metrics(tmp_path: Path) -> None:
    result = evaluate(ScriptedRAG(SCRIPT), ITEMS, ["hybrid", "lexical"], warmup=False)
    page = write_report(result, tmp_path / "eval.html").read_text(encoding="utf-8")
    markdown = write_report(result, tmp_path / "eval.md").read_text(encoding="utf-8")
    saved = json.loads(write_report(result, tmp_path / "eval.json").read_text(encoding="utf-8"))
    for label in ("Recall@1", "MRR@10", "nDCG@10", "Hit@5", "Correct answer", "p95 (ms)"):
        assert label in page and label in markdown
    assert page.count("<svg") >= 3
    # Self-contained: no stylesheet, script or image fetched from anywhere.
    assert "<link" not in page and "<script" not in page and "src=" not in page
    assert "Thủ đô của Lào?" in page and "Thủ đô của Lào?" in markdown
    assert saved == json.loads(json.dumps(result.to_dict()))
    with pytest.raises(ConfigError, match=r"eval\.pdf"):
        write_report(result, tmp_path / "eval.pdf")


class ScriptedApp(ScriptedRAG):
    """A scripted pipeline with articles and settings, as ``run_evaluation`` needs."""

    def __init__(self, corpus: Path, articles: Sequence[Article]) -> None:
        super().__init__(SCRIPT)
        self.settings = Settings(corpus=(corpus,), retriever="dense", k=3)
        self._articles = list(articles)

    def articles(self) -> list[tuple[Article, int]]:
        return [(a, 1) for a in self._articles]

    def ask(
        self,
        question: str,
        *,
        retriever: str | None = None,
        k: int | None = None,
        filter: SearchFilter | None = None,
        history: Sequence[str] = (),
    ) -> Answer:
        if question in self.script:
            return super().ask(question, retriever=retriever, k=k)
        self.calls.append((question, retriever, k))
        return Answer(question, "Không tìm thấy.", True)


def test_run_evaluation_reads_the_question_set_beside_the_articles(tmp_path: Path) -> None:
    lines = [json.dumps(item.to_dict(), ensure_ascii=False) for item in ITEMS]
    _write_lines(tmp_path / "qa.jsonl", lines)
    articles = [Article(a, a, "Văn bản.", f"{a}.txt") for a in ("quan", "khi")]
    app = ScriptedApp(tmp_path, articles)
    result = run_evaluation(app)
    assert result.retrievers == ["dense"]  # the configured retriever
    assert [q.item.id for q in result.runs[0].questions] == [i.id for i in ITEMS]
    assert {k for _, _, k in app.calls} == {10}
    assert run_evaluation(app, retrievers=["all"]).retrievers == ["hybrid", "dense", "lexical"]


def test_run_evaluation_makes_questions_without_a_question_set(tmp_path: Path) -> None:
    app = ScriptedApp(tmp_path, ARTICLES)
    result = run_evaluation(app, n_per_article=1)
    assert result.synthetic
    assert len(result.runs[0].questions) == len(ARTICLES)
    _write_lines(tmp_path / "qa.jsonl", [_line(article_ids=["quan"])])
    assert not run_evaluation(app).synthetic
    assert run_evaluation(app, synthetic=True).synthetic
    with pytest.raises(ConfigError, match="not both"):
        run_evaluation(app, qa_path=tmp_path / "qa.jsonl", synthetic=True)
    with pytest.raises(QASetError, match="unknown article id 'a'"):
        run_evaluation(app, qa_path=_write_lines(tmp_path / "other_qa.jsonl", [_line()]))


# ----------------------------------------------------------- synthetic questions

ARTICLES = [
    Article(
        "quan",
        "Triều Tiên điều quân sang Nga",
        "Ngày 5/11, theo tình báo Hàn Quốc, Triều Tiên đã đưa hơn 10.000 quân đến hỗ trợ Nga "
        "trong cuộc xung đột ở Ukraine. Số quân này được huấn luyện tại vùng Viễn Đông của Nga "
        "trước khi ra mặt trận.",
        "quan.txt",
    ),
    Article(
        "khi",
        "Nga cung cấp khí đốt cho Trung Quốc qua đường ống Viễn Đông từ năm 2027…",
        "Nga cung cấp khí đốt cho Trung Quốc qua đường ống Viễn Đông từ năm 2027 theo hợp đồng "
        "dài hạn. Hai bên cũng thảo luận về tuyến đường ống Sức mạnh Siberia 2 đi qua Mông Cổ.",
        "khi.txt",
    ),
]


def test_auto_questions_point_at_their_own_article_and_reword_it() -> None:
    items = auto_questions(ARTICLES, n_per_article=2)
    assert {i.kind for i in items} == {SYNTHETIC}
    assert len({i.id for i in items}) == len(items)
    for article in ARTICLES:
        mine = [i for i in items if i.article_ids == (article.id,)]
        assert 1 <= len(mine) <= 2
        sentences = [article.text[a:b] for a, b in sentence_spans(article.text)]
        for item in mine:
            assert item.question.endswith("?")
            assert item.question not in sentences
    # Some are typed without diacritics, some with.
    assert any(fold(i.question) == i.question for i in items)
    assert any(fold(i.question) != i.question for i in items)
    # A title cut from the lead would repeat it, so only the real headline is asked about.
    about_title = [i for i in items if fold(i.question).startswith(fold("Bài báo nào viết về"))]
    assert [i.article_ids for i in about_title] == [("quan",)]
    assert "dieu quan sang nga" in fold(about_title[0].question)


def test_auto_questions_reject_a_bad_count() -> None:
    with pytest.raises(ConfigError):
        auto_questions(ARTICLES, n_per_article=0)


# ------------------------------------------------------------------ end to end

CORPUS = {
    "quan.txt": "Triều Tiên đã đưa hơn 10.000 quân đến hỗ trợ Nga trong xung đột ở Ukraine.",
    "khi.txt": "Nga cung cấp khí đốt cho Trung Quốc qua đường ống Viễn Đông từ năm 2027.",
    "lua.txt": "Việt Nam xuất khẩu 8 triệu tấn gạo trong năm 2024, nhiều nhất sang Philippines.",
}


def test_end_to_end_on_a_tiny_index(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    from rag.index import build_index
    from rag.pipeline import RAG

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(
        corpus=(corpus,), index=tmp_path / "index", chunk_tokens=48, chunk_overlap=4
    )
    build_index(settings, fake_embedder)
    app = RAG.open(settings, embedder=fake_embedder)
    known = {a.id for a, _ in app.articles()}
    qa = _write_lines(
        tmp_path / "qa.jsonl",
        [
            _line(id="q1", question="Triều Tiên đưa bao nhiêu quân sang Nga?",
                  article_ids=["quan"], answers=["10.000 quân"]),
            _line(id="q2", question="viet nam xuat khau bao nhieu tan gao?",
                  article_ids=["lua"], answers=["8 triệu tấn"], kind="no_diacritics"),
            _line(id="q3", question="Khí đốt qua đường ống Viễn Đông từ năm nào?",
                  article_ids=["khi"], answers=["2027"]),
            _line(id="q4", question="Ai vô địch giải bóng đá châu Âu?", article_ids=[],
                  answers=[], kind="unanswerable"),
        ],
    )  # fmt: skip
    items = load_qa(qa, known)
    result = evaluate(app, items, ["hybrid", "lexical"], k=5)
    data = result.to_dict()["retrievers"]
    for name in ("hybrid", "lexical"):
        metrics, questions = data[name]["metrics"], data[name]["questions"]
        answerable = [q for q in questions if q["article_ids"]]
        first_right = [q["hits"][0]["article_id"] in q["article_ids"] for q in answerable]
        assert metrics["recall@1"] == pytest.approx(sum(first_right) / len(answerable))
        assert metrics["recall@10"] >= metrics["recall@5"] >= metrics["recall@1"]
        for q in questions:
            assert [h["rank"] for h in q["hits"]] == list(range(1, len(q["hits"]) + 1))
            assert set(q["cited_article_ids"]) <= known
            assert q["latency_ms"] > 0
        correct = [
            not q["abstained"] and bool(set(q["cited_article_ids"]) & set(q["article_ids"]))
            and any(a.casefold() in q["answer"].casefold() for a in q["answers"])
            for q in answerable
        ]  # fmt: skip
        assert metrics["answer_accuracy"] == pytest.approx(sum(correct) / len(answerable))
    # Lexical search on these words finds every article first.
    assert data["lexical"]["metrics"]["recall@1"] == 1.0

    page = write_report(result, tmp_path / "report.html").read_text(encoding="utf-8")
    markdown = write_report(result, tmp_path / "report.md").read_text(encoding="utf-8")
    for text in (page, markdown):
        assert "Recall@1" in text and "hybrid" in text and "lexical" in text

    synthetic = evaluate(app, auto_questions(a for a, _ in app.articles()), ["lexical"])
    assert synthetic.synthetic
    assert SYNTHETIC_NOTE in format_summary(synthetic)
    page = write_report(synthetic, tmp_path / "auto.html").read_text("utf-8")
    assert html.escape(SYNTHETIC_NOTE) in page
    assert synthetic.run("lexical").metrics["recall@1"] is not None
