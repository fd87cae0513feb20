"""Loading a corpus: clean text, recovered metadata, unreadable files reported and skipped."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from rag.errors import CorpusError
from rag.loading import LoadReport, load_corpus, load_file, parse_date, title_from_lead
from rag.text import normalize, sentence_spans

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

LEAD = "Nga và Triều Tiên đã ký hiệp ước đối tác chiến lược toàn diện tại Bình Nhưỡng."
BODY = "Hai bên cam kết hỗ trợ lẫn nhau. Kim ngạch thương mại tăng gấp 9 lần."


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def only(path: Path):
    articles = load_file(path)
    assert len(articles) == 1
    return articles[0]


# ---------------------------------------------------------------- normalisation


def test_nfd_text_becomes_nfc(tmp_path: Path) -> None:
    text = "Hiệp ước về hợp tác quốc phòng được ký kết ở Bình Nhưỡng."
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    article = only(write(tmp_path, "a.txt", decomposed))
    assert article.text == text
    assert unicodedata.is_normalized("NFC", article.text)


def test_tone_placement_styles_load_as_one_text(tmp_path: Path) -> None:
    write(tmp_path, "new.txt", "Hai nước kêu gọi hoà bình và ổn định.")
    write(tmp_path, "old.txt", "Hai nước kêu gọi hòa bình và ổn định.")
    report = load_corpus([tmp_path])
    assert [a.id for a in report.articles] == ["new"]
    assert report.duplicates == ("old",)
    assert "hòa bình" in report.articles[0].text
    assert normalize("hoà") == normalize("hòa")


def test_bom_crlf_and_odd_spaces_are_cleaned(tmp_path: Path) -> None:
    raw = f"\ufeff{LEAD}\r\n\r\n{BODY}\u00a0\r\nCâu\u200b cuối  cùng.\r"
    article = only(write(tmp_path, "a.txt", raw.encode("utf-8")))
    assert article.text == f"{LEAD}\n\n{BODY}\n\nCâu cuối cùng."


# ---------------------------------------------------------------- metadata


def test_title_line_set_apart_is_the_title(tmp_path: Path) -> None:
    title = "Kết quả cuộc đàm phán giữa Nga và Triều Tiên"
    article = only(write(tmp_path, "a.txt", f"{title}\n\n{LEAD}\n{BODY}"))
    assert article.title == title
    assert title not in article.text
    assert article.text.startswith(LEAD)


def test_headline_followed_directly_by_prose_is_the_title(tmp_path: Path) -> None:
    title = "Nga sẵn sàng đàm phán với Mỹ"
    article = only(write(tmp_path, "a.txt", f"{title}\n{LEAD}\n{BODY}"))
    assert article.title == title
    assert article.text.startswith(LEAD)


def test_title_is_built_from_a_long_lead(tmp_path: Path) -> None:
    lead = (
        "Tổng thống Nga Vladimir Putin và Chủ tịch Trung Quốc Tập Cận Bình hôm 21/1 đã "
        "thảo luận về cuộc xung đột Ukraine và các lệnh trừng phạt của phương Tây."
    )
    article = only(write(tmp_path, "a.txt", f"{lead}\n{BODY}"))
    assert article.title.endswith("…")
    assert len(article.title) <= 91
    assert article.text.startswith(article.title[:-1])
    assert article.text.startswith(lead)  # the lead stays in the text


def test_title_from_short_lead_is_its_first_sentence() -> None:
    assert title_from_lead("Nga đồng ý gia hạn New START. Mỹ chưa trả lời.") == (
        "Nga đồng ý gia hạn New START"
    )
    cut = title_from_lead("Từ " * 60)
    assert cut.endswith("…") and len(cut) <= 91 and not cut[:-1].endswith(" ")


def test_date_prefix_is_removed_and_the_rest_of_the_line_kept(tmp_path: Path) -> None:
    article = only(write(tmp_path, "a.txt", f" date 2025-08-13 {LEAD}\n\n{BODY}"))
    assert article.date == "2025-08-13"
    assert article.text.startswith(LEAD)
    assert "date" not in article.text


def test_dateline_in_day_first_form(tmp_path: Path) -> None:
    title = "Nga và Mỹ nối lại đàm phán"
    raw = f"{title}\n\nThứ Ba, 13/08/2025 10:30 (GMT+7)\n\n{LEAD}\n{BODY}"
    article = only(write(tmp_path, "a.txt", raw))
    assert (article.title, article.date) == (title, "2025-08-13")
    assert article.text.startswith(LEAD)


def test_a_date_inside_the_lead_is_not_a_dateline(tmp_path: Path) -> None:
    lead = "Ngày 7/11, tại Moscow, Tổng thống Putin có bài phát biểu."
    article = only(write(tmp_path, "a.txt", f"{lead}\n{BODY}"))
    assert article.date is None
    assert article.text.startswith(lead)


@pytest.mark.parametrize("closing", ["Theo TASS", "Theo TASS.", "(Theo TASS)", "Nguồn: TASS"])
def test_closing_source_line_becomes_the_source(tmp_path: Path, closing: str) -> None:
    article = only(write(tmp_path, "a.txt", f"{LEAD}\n{BODY}\n{closing}"))
    assert article.source == "TASS"
    assert "TASS" not in article.text
    assert article.text.endswith("tăng gấp 9 lần.")


def test_lead_prefix_becomes_the_source_and_leaves_the_lead(tmp_path: Path) -> None:
    article = only(write(tmp_path, "a.txt", f"GD&TĐ - {LEAD}\n{BODY}"))
    assert article.source == "GD&TĐ"
    assert article.text.startswith(LEAD)


def test_outlet_and_agency_are_both_named(tmp_path: Path) -> None:
    article = only(write(tmp_path, "a.txt", f"GD&TĐ - {LEAD}\n{BODY}\nTheo Reuters"))
    assert article.source == "GD&TĐ, theo Reuters"
    assert article.text.startswith(LEAD)  # the prefix is gone all the same


@pytest.mark.parametrize(
    "text",
    [
        f"Moscow - Bắc Kinh thắt chặt quan hệ quốc phòng.\n{BODY}",
        f"{LEAD}\nTheo ông Ryabkov, cuộc gặp sẽ diễn ra tại Alaska.",
    ],
)
def test_ordinary_sentences_are_not_taken_for_sources(tmp_path: Path, text: str) -> None:
    article = only(write(tmp_path, "a.txt", text))
    assert article.source is None
    assert article.text == text.replace("\n", "\n\n")


def test_markdown_front_matter_and_heading(tmp_path: Path) -> None:
    raw = (
        "---\ntitle: Nga và Triều Tiên ký hiệp ước\ndate: 19/06/2024\n"
        "source: TASS\nurl: https://example.org/a\n---\n"
        f"# Nga và Triều Tiên ký hiệp ước\n\n{LEAD}\n\n## Thương mại\n\n{BODY}\n"
    )
    article = only(write(tmp_path, "ky-ket.md", raw))
    assert article.id == "ky-ket"
    assert article.title == "Nga và Triều Tiên ký hiệp ước"
    assert (article.date, article.source, article.url) == (
        "2024-06-19",
        "TASS",
        "https://example.org/a",
    )
    assert article.text == f"{LEAD}\n\nThương mại\n\n{BODY}"


def test_markdown_heading_without_front_matter(tmp_path: Path) -> None:
    article = only(write(tmp_path, "a.md", f"# Tin ngắn về Nga\n{LEAD}"))
    assert article.title == "Tin ngắn về Nga"
    assert article.text == LEAD


@pytest.mark.parametrize(
    ("raw", "iso"),
    [("2025-08-13", "2025-08-13"), ("13/8/2025", "2025-08-13"), ("1.2.2024", "2024-02-01")],
)
def test_parse_date_accepts_iso_and_day_first(raw: str, iso: str) -> None:
    assert parse_date(raw) == iso


@pytest.mark.parametrize("raw", ["31/02/2025", "2025-13-01", "hôm qua", "12/8"])
def test_parse_date_rejects_what_is_not_a_date(raw: str) -> None:
    assert parse_date(raw) is None


# ---------------------------------------------------------------- boilerplate


def test_boilerplate_dropped_and_content_kept(tmp_path: Path) -> None:
    caption = "Nhà lãnh đạo Kim Jong Un và Tổng thống Putin. (Ảnh: TASS)"
    content = [LEAD, caption, BODY, "Xem thêm chi tiết trong văn kiện được công bố hôm nay."]
    raw = "\n".join(
        [
            content[0],
            "Tin liên quan",
            content[1],
            "",
            content[1],
            content[2],
            "Xem thêm: Nga và Mỹ nối lại đàm phán",
            content[3],
            "Bình luận (12)",
            "Tin tiêu điểm",
            "",
            "Đừng bỏ lỡ",
        ]
    )
    article = only(write(tmp_path, "a.txt", raw))
    assert article.text == "\n\n".join(content)
    assert article.text.count(caption) == 1
    for gone in ("Tin liên quan", "Bình luận", "Tin tiêu điểm", "Đừng bỏ lỡ", "nối lại"):
        assert gone not in article.text


def test_only_boilerplate_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "Tin tiêu điểm\n\nBình luận (0)\n")
    with pytest.raises(CorpusError, match=r"a\.txt.*boilerplate"):
        load_file(path)


# ---------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("latin.txt", "Thông tin: café".encode("latin-1"), "not UTF-8"),
        ("cp1258.txt", "Ha\u0300 N\u00f4\u0323i".encode("cp1258"), "not UTF-8"),
        ("utf16.txt", "Hà Nội".encode("utf-16"), "UTF-16"),
        ("empty.txt", b"", "empty"),
        ("blank.md", b" \n\n\t\n", "empty"),
    ],
)
def test_unreadable_file_is_skipped_with_a_warning(
    tmp_path: Path, name: str, data: bytes, why: str
) -> None:
    write(tmp_path, "good.txt", f"{LEAD}\n{BODY}")
    bad = write(tmp_path, name, data)
    report = load_corpus([tmp_path])
    assert [a.id for a in report.articles] == ["good"]
    assert len(report.warnings) == 1
    warning = report.warnings[0]
    assert warning.startswith(f"skipped {bad}: ")
    assert why in warning
    with pytest.raises(CorpusError, match=why):
        load_file(bad)


def test_unsupported_file_type_is_an_error_for_load_file(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"unsupported file type '\.pdf'"):
        load_file(write(tmp_path, "a.pdf", b"%PDF-1.4"))


# ---------------------------------------------------------------- jsonl


def jsonl(*records: dict[str, object] | str) -> str:
    return "\n".join(
        r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records
    )


def test_jsonl_articles(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "news.jsonl",
        jsonl(
            {"id": "a1", "title": "Tin một", "text": f"{LEAD}\n{BODY}", "date": "13/08/2025"},
            "",
            {"id": 7, "title": "Tin hai", "text": BODY, "source": "TASS", "url": "https://x"},
        ),
    )
    first, second = load_file(path)
    assert (first.id, first.title, first.date, first.path) == (
        "a1",
        "Tin một",
        "2025-08-13",
        f"{path}#L1",
    )
    assert first.text == f"{LEAD}\n\n{BODY}"
    assert (second.id, second.source, second.url, second.path) == (
        "7",
        "TASS",
        "https://x",
        f"{path}#L3",
    )


def test_jsonl_title_repeated_as_first_line_is_not_kept_twice(tmp_path: Path) -> None:
    record = {"id": "a", "title": "Tin một", "text": f"Tin một\n\n{LEAD}"}
    (article,) = load_file(write(tmp_path, "news.jsonl", jsonl(record)))
    assert (article.title, article.text) == ("Tin một", LEAD)


def test_jsonl_bad_line_is_named(tmp_path: Path) -> None:
    write(tmp_path, "good.txt", LEAD)
    path = write(
        tmp_path, "news.jsonl", jsonl({"id": "a", "title": "T", "text": BODY}, '{"id": "b", ')
    )
    report = load_corpus([tmp_path])
    assert [a.id for a in report.articles] == ["good"]
    assert report.warnings[0].startswith(f"skipped {path}: bad JSON on line 2")


@pytest.mark.parametrize(
    ("record", "why"),
    [
        ({"id": "a", "title": "T"}, "missing field 'text' on line 1"),
        ({"title": "T", "text": BODY}, "missing field 'id' on line 1"),
        ({"id": "a", "title": "", "text": BODY}, "missing field 'title' on line 1"),
        ({"id": "a", "title": "T", "text": BODY, "date": "hôm qua"}, "date 'hôm qua' on line 1"),
        ({"id": "a", "title": ["T"], "text": BODY}, "'title' on line 1 must be a string"),
        ("[1, 2]", "line 1 is not a JSON object"),
    ],
)
def test_jsonl_bad_records_are_named(
    tmp_path: Path, record: dict[str, object] | str, why: str
) -> None:
    path = write(tmp_path, "news.jsonl", jsonl(record))
    with pytest.raises(CorpusError, match=why) as err:
        load_file(path)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------- the corpus


def test_walks_folders_recursively_in_sorted_order_and_skips_non_articles(tmp_path: Path) -> None:
    write(tmp_path, "b/b2.txt", "Bài thứ hai về Nga.")
    write(tmp_path, "a/a1.md", "Bài thứ nhất về Nga.")
    write(tmp_path, "b/b1.txt", "Bài thứ ba về Nga.")
    write(tmp_path, ".hidden.txt", "Tệp ẩn.")
    write(tmp_path, ".git/x.txt", "Trong thư mục ẩn.")
    write(tmp_path, "qa.jsonl", jsonl({"question": "Ai?", "article_id": "1"}))
    write(tmp_path, "seeds_qa.jsonl", jsonl({"question": "Ai?", "article_id": "1"}))
    write(tmp_path, "README.md", "# Về kho dữ liệu\nCác bài báo tiếng Việt.")
    write(tmp_path, "notes.csv", "a,b")
    report = load_corpus([tmp_path])
    assert [a.path for a in report.articles] == [
        str(tmp_path / "a/a1.md"),
        str(tmp_path / "b/b1.txt"),
        str(tmp_path / "b/b2.txt"),
    ]
    assert report.warnings == ()


def test_duplicate_id_keeps_the_first_and_warns(tmp_path: Path) -> None:
    write(tmp_path, "a/tin.txt", LEAD)
    write(tmp_path, "b/tin.txt", BODY)
    report = load_corpus([tmp_path])
    assert [a.text for a in report.articles] == [LEAD]
    assert len(report.warnings) == 1
    assert "b/tin.txt" in report.warnings[0] and "'tin'" in report.warnings[0]


def test_identical_texts_are_indexed_once(tmp_path: Path) -> None:
    write(tmp_path, "1.txt", f"{LEAD}\n{BODY}")
    write(tmp_path, "2.txt", f"Tiêu đề khác hẳn\n\n{LEAD}\n\n{BODY}\n\nTin tiêu điểm")
    write(tmp_path, "3.txt", BODY)
    report = load_corpus([tmp_path])
    assert [a.id for a in report.articles] == ["1", "3"]
    assert report.duplicates == ("2",)
    assert report.warnings == ()


def test_several_folders_and_single_files(tmp_path: Path) -> None:
    one = write(tmp_path, "x/a.txt", LEAD)
    write(tmp_path, "y/b.txt", BODY)
    report = load_corpus([one, tmp_path / "y"])
    assert [a.id for a in report.articles] == ["a", "b"]


def test_a_folder_given_twice_is_read_once(tmp_path: Path) -> None:
    write(tmp_path, "sub/a.txt", LEAD)
    report = load_corpus([tmp_path, tmp_path / "sub", tmp_path / "sub" / "a.txt"])
    assert [a.id for a in report.articles] == ["a"]
    assert report.warnings == () and report.duplicates == ()


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"Corpus folder not found: .*nowhere"):
        load_corpus([tmp_path / "nowhere"])


def test_no_article_is_an_error_naming_the_folders(tmp_path: Path) -> None:
    write(tmp_path, "empty.txt", "")
    with pytest.raises(CorpusError, match="No article found in") as err:
        load_corpus([tmp_path])
    assert str(tmp_path) in str(err.value) and "empty" in str(err.value)


# ---------------------------------------------------------------- the seeds

BOILERPLATE = {"Tin tiêu điểm", "Đừng bỏ lỡ", "Bình luận (0)"}


@pytest.fixture(scope="module")
def seeds() -> LoadReport:
    return load_corpus([SEEDS])


def test_seeds_load_cleanly(seeds: LoadReport) -> None:
    assert len(seeds.articles) == len(list(SEEDS.glob("*.txt")))
    assert seeds.warnings == () and seeds.duplicates == ()
    for article in seeds.articles:
        assert article.path.endswith(".txt") and Path(article.path).stem == article.id
        assert "\n\n\n" not in article.text and article.text == article.text.strip()
        assert not any(b in article.text for b in BOILERPLATE)


def test_seed_metadata(seeds: LoadReport) -> None:
    by_id = {a.id[:3]: a for a in seeds.articles}
    assert by_id["001"].title == (
        "Kết quả cuộc đàm phán giữa Tổng thống Putin và Lãnh đạo Kim Jong un"
    )
    for key in ("000", "002", "003", "004"):
        title = by_id[key].title
        assert title.endswith("…") and len(title) <= 91, title
        assert by_id[key].text.startswith(title[:-1])
    assert by_id["003"].date == "2025-08-13"
    assert [by_id[k].date for k in ("000", "001", "002", "004")] == [None] * 4
    assert by_id["000"].source == "TASS"
    assert by_id["001"].source == "GD&TĐ, theo TASS"
    # A photo credit ("Ảnh: Reuters") is not the article's source.
    assert by_id["002"].source is None
    assert by_id["001"].text.startswith("Nga và Triều Tiên đã ký")


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_every_content_sentence_of_a_seed_is_kept(seeds: LoadReport, path: Path) -> None:
    article = next(a for a in seeds.articles if a.id == path.stem)
    kept = 0
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = normalize(raw).strip()
        if not line or line in BOILERPLATE or line == article.title or line == "Theo TASS":
            continue
        for prefix in ("date 2025-08-13 ", "GD&TĐ - "):
            line = line.removeprefix(prefix)
        for start, end in sentence_spans(line):
            assert line[start:end] in article.text
            kept += 1
    assert kept >= 10
