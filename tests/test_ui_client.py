"""The chat as an API: gradio_client against ``rag serve`` over seeds/ and the real model."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from serve_helpers import Server, rag_command, server_env, shared_server

from rag.config import Settings

pytestmark = pytest.mark.integration

QUESTION = "Hiệp ước New START quy định bao nhiêu đầu đạn hạt nhân?"


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> Server:
    return shared_server(request)


@pytest.fixture(scope="module")
def client(server: Server) -> Client:
    # A citation's "path" would otherwise be taken for a file to download.
    return Client(server.url, download_files=False, verbose=False)


def cli_answer(server: Server, question: str, *flags: str) -> dict:
    done = subprocess.run(
        rag_command(
            "ask", question, "--json", "--corpus", server.corpus, "--index", server.index, *flags
        ),
        check=True,
        capture_output=True,
        env=server_env(),
        cwd=server.corpus.parent,
    )
    return json.loads(done.stdout)


def test_ask_endpoint_returns_what_the_cli_prints(server: Server, client: Client) -> None:
    api = client.predict(QUESTION, api_name="/ask")
    cli = cli_answer(server, QUESTION)
    assert set(api) == set(cli)
    assert api["citations"] == cli["citations"]
    assert api["answer"] == cli["answer"]
    assert [h["chunk_id"] for h in api["hits"]] == [h["chunk_id"] for h in cli["hits"]]
    assert api["citations"][0]["article_id"] == "002_895ae1b543b483c1"
    assert "1.550" in api["answer"]


def test_ask_endpoint_takes_k_and_retriever(server: Server, client: Client) -> None:
    api = client.predict(QUESTION, 2, "lexical", api_name="/ask")
    cli = cli_answer(server, QUESTION, "--k", "2", "--retriever", "lexical")
    assert len(api["hits"]) == 2
    assert [h["chunk_id"] for h in api["hits"]] == [h["chunk_id"] for h in cli["hits"]]


def test_ask_endpoint_reports_a_bad_question_in_one_line(client: Client) -> None:
    with pytest.raises(AppError, match="empty"):
        client.predict("   ", api_name="/ask")
    with pytest.raises(AppError, match="retriever"):
        client.predict(QUESTION, None, "fuzzy", api_name="/ask")


def test_only_the_ask_endpoint_is_documented(client: Client) -> None:
    info = client.view_api(print_info=False, return_format="dict")
    assert list(info["named_endpoints"]) == ["/ask"]


def http_status(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_no_file_outside_the_app_is_served(server: Server) -> None:
    article = server.corpus / "000_dde0fbfd9b69a8f6.txt"
    for path in (article, Path("/etc/passwd"), server.index / "CURRENT"):
        assert path.exists()
        assert http_status(f"{server.url}gradio_api/file={path}") == 403, path


def test_uploads_over_the_size_limit_are_refused(server: Server) -> None:
    def upload(size: int) -> int:
        boundary = "rag-test-boundary"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="files"; filename="a.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        )
        body = head.encode() + b"a" * size + f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return http_status(f"{server.url}gradio_api/upload", body, headers)

    limit = Settings().max_upload_mb * 1024 * 1024  # the server runs with the default limit
    assert upload(1000) == 200
    assert upload(limit + 1000) == 413
