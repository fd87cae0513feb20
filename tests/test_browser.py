"""The web chat in headless Chromium, against ``rag serve`` over seeds/ and the real model.

What a person does: ask, read the cited passage, open the article, hear "not
found" for a question the corpus cannot answer, upload an article and ask about
it. Screenshots go to artifacts/screenshots/ for a human to look at.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright
from serve_helpers import ROOT, Server, shared_server

from rag.answering import ABSTAIN_MESSAGE

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "artifacts" / "screenshots"
ANSWER_TIMEOUT_MS = 60_000
# Two busy cores can take a while to re-render; patience is not what these tests measure.
expect.set_options(timeout=30_000)

# An invented news item with a fact no seed article holds.
NEW_ARTICLE = (
    "Hội chợ hoa lan Sa Pa 2031 trưng bày 4.321 giống lan\n\n"
    "Ngày 12/3/2031\n\n"
    "Hội chợ hoa lan Sa Pa năm 2031 khai mạc tại thị xã Sa Pa, tỉnh Lào Cai, với 4.321 giống lan "
    "do 87 nhà vườn trong và ngoài nước mang đến. Ban tổ chức cho biết giống lan hài đốm vàng "
    "được bình chọn đẹp nhất hội chợ. Hội chợ kéo dài đến hết ngày 20/3 và mở cửa miễn phí.\n"
)


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> Server:
    return shared_server(request)


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing; install it with: make browser")
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1366, "height": 900},
            locale="vi-VN",
        )
        yield context
        context.close()


@pytest.fixture
def page(browser: BrowserContext, server: Server) -> Iterator[Page]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url)
    page.wait_for_selector("#rag-question textarea", timeout=30_000)
    yield page
    page.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shoot(page: Page, name: str, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def ask(page: Page, question: str) -> str:
    """Type ``question``, wait for its reply and sources, return the reply's text."""
    box = page.locator("#rag-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        "q => [...document.querySelectorAll('#rag-sources .rag-panel')]"
        ".some(p => p.dataset.question === q)",
        arg=question,
        timeout=ANSWER_TIMEOUT_MS,
    )
    replies = page.locator("#rag-chat .bot-row")
    return str(replies.last.inner_text())


def test_answer_cites_the_article_and_opens_it_at_the_passage(page: Page) -> None:
    reply = ask(page, "Triều Tiên đã đưa bao nhiêu quân đến hỗ trợ Nga?")
    assert "10.000" in reply and "[1]" in reply
    card = page.locator('#rag-sources .rag-card[data-article="000_dde0fbfd9b69a8f6"]')
    expect(card.first).to_be_visible()
    expect(card.first.locator("mark").first).to_contain_text("10.000")
    shoot(page, "1-answer")

    card.first.click()
    reader = page.locator("#rag-modal:not([hidden])")
    expect(reader).to_be_visible()
    expect(reader.locator("code")).to_have_text("000_dde0fbfd9b69a8f6")
    focus = reader.locator("#rag-focus")
    expect(focus).to_contain_text("10.000")
    expect(focus).to_be_in_viewport()
    # The whole article, not just the passage: it is much longer than the card.
    assert len(reader.locator(".rag-reader-text").inner_text()) > 2000
    shoot(page, "2-reader")

    page.keyboard.press("Escape")
    expect(reader).to_have_count(0)


def test_follow_up_question_uses_the_conversation(page: Page) -> None:
    first = ask(page, "Putin và Tập Cận Bình thảo luận qua video vào ngày nào?")
    assert "[1]" in first
    follow = ask(page, "Họ bàn về những vấn đề gì?")
    sources = page.locator("#rag-sources .rag-card").first
    # The follow-up names nobody; it must still land on the Putin–Xi call.
    assert sources.get_attribute("data-article") == "004_f1e03964de0ae0d6", follow


def test_unanswerable_question_says_so_and_shows_what_was_read(page: Page) -> None:
    reply = ask(page, "Giá vàng hôm nay bao nhiêu?")
    assert ABSTAIN_MESSAGE in reply
    assert "Các bài gần nhất đã xem" in reply
    panel = page.locator("#rag-sources .rag-panel")
    expect(panel).to_contain_text("Các bài gần nhất đã xem")
    assert panel.locator(".rag-card").count() >= 1
    shoot(page, "3-abstain")


def test_empty_question_gets_a_friendly_message(page: Page) -> None:
    box = page.locator("#rag-question textarea")
    box.fill("   ")
    box.press("Enter")
    page.wait_for_timeout(1500)
    text = page.locator("#rag-chat").inner_text()
    assert "Traceback" not in text and "Error" not in text


def test_example_on_a_phone_sized_screen(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_text("Hiệp ước New START quy định bao nhiêu đầu đạn hạt nhân?").click()
    page.wait_for_function(
        "() => !!document.querySelector('#rag-sources .rag-panel[data-question]')",
        timeout=ANSWER_TIMEOUT_MS,
    )
    reply = page.locator("#rag-chat .bot-row").last.inner_text()
    assert "1.550" in reply and "[1]" in reply
    first = page.locator("#rag-sources .rag-card").first
    assert first.get_attribute("data-article") == "002_895ae1b543b483c1"
    shoot(page, "4-phone", full_page=True)
    first.click()
    expect(page.locator("#rag-modal #rag-focus")).to_be_in_viewport()
    shoot(page, "5-phone-reader")


def test_uploaded_article_is_indexed_and_answers(page: Page, tmp_path: Path) -> None:
    upload = tmp_path / "hoi-cho-lan-sa-pa.txt"
    upload.write_text(NEW_ARTICLE, encoding="utf-8")
    page.get_by_role("tab", name="Kho bài báo").click()
    page.locator("#rag-upload input[type=file]").set_input_files(str(upload))
    expect(page.locator("#rag-upload")).to_contain_text("hoi-cho-lan-sa-pa.txt")
    page.locator("#rag-add").click()
    status = page.locator("#rag-corpus-status")
    expect(status).to_contain_text("Đã thêm 1 tệp", timeout=120_000)
    expect(page.locator("#rag-corpus-table")).to_contain_text("Hội chợ hoa lan Sa Pa")
    shoot(page, "6-corpus-after-upload", full_page=True)

    page.get_by_role("tab", name="Hỏi đáp").click()
    reply = ask(page, "Hội chợ hoa lan Sa Pa 2031 trưng bày bao nhiêu giống lan?")
    assert "4.321" in reply
    card = page.locator("#rag-sources .rag-card").first
    assert re.match(r"hoi-cho-lan-sa-pa", card.get_attribute("data-article") or "")
    shoot(page, "7-answer-from-upload")


def test_a_bad_upload_is_refused_and_the_index_stays(page: Page, tmp_path: Path) -> None:
    page.get_by_role("tab", name="Kho bài báo").click()
    table = page.locator("#rag-corpus-table")
    status = page.locator("#rag-corpus-status")
    before = table.inner_text()
    # The picker itself refuses a type the corpus cannot read.
    wrong_type = tmp_path / "notes.csv"
    wrong_type.write_text("a,b\n1,2\n", encoding="utf-8")
    page.locator("#rag-upload input[type=file]").set_input_files(str(wrong_type))
    page.locator("#rag-add").click()
    expect(status).to_contain_text("Hãy chọn ít nhất một tệp", timeout=30_000)
    # A readable type with unreadable content is refused by the server, with the reason.
    broken = tmp_path / "hong.jsonl"
    broken.write_text('{"id": "x", "title": "Thiếu ngoặc"\n', encoding="utf-8")
    page.locator("#rag-upload input[type=file]").set_input_files(str(broken))
    expect(page.locator("#rag-upload")).to_contain_text("hong.jsonl")
    page.locator("#rag-add").click()
    expect(status).to_contain_text("Không tệp nào được thêm", timeout=60_000)
    expect(status).to_contain_text("hong.jsonl")
    assert table.inner_text() == before
    shoot(page, "8-upload-refused", full_page=True)
