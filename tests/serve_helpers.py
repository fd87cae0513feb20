"""A real ``rag serve`` over a copy of seeds/, shared by the browser and API tests.

Building the index with the real model and starting the server take most of a
minute on two cores, so one server serves the whole test session: the first
module that asks for it starts it, the end of the session stops it.

Also used by ``benchmarks/bench_serve.py`` (``start_server``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
READY = re.compile(r"ready at (http://\S+)", re.IGNORECASE)
START_TIMEOUT_S = 240.0


@dataclass
class Server:
    """A running ``rag serve`` and the folders it serves."""

    url: str
    corpus: Path
    index: Path
    process: subprocess.Popen[bytes]
    log: Path
    seconds_to_ready: float

    def stop(self) -> None:
        """Interrupt the server (as Ctrl-C would) and wait for it to exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def rag_command(*args: str | Path) -> list[str]:
    """The ``rag`` command line run by this interpreter (no PATH lookup)."""
    return [sys.executable, "-m", "rag.cli", *map(str, args)]


def server_env() -> dict[str, str]:
    """The environment of the server: offline, no login, no usage reports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
        # The model cache is shared with the developer's own runs (it is slow to convert).
        RAG_CACHE_DIR=os.environ.get("RAG_CACHE_DIR", ""),
    )
    if not env["RAG_CACHE_DIR"]:
        del env["RAG_CACHE_DIR"]
    return env


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_seed_index(folder: Path) -> tuple[Path, Path]:
    """Copy seeds/ to ``folder/corpus`` and build ``folder/index`` with the default model."""
    corpus, index = folder / "corpus", folder / "index"
    shutil.copytree(SEEDS, corpus)
    subprocess.run(
        rag_command("index", "build", "--corpus", corpus, "--index", index, "--quiet"),
        check=True,
        env=server_env(),
        cwd=folder,
        capture_output=True,
    )
    return corpus, index


def start_server(corpus: Path, index: Path, *, port: int | None = None) -> Server:
    """Start ``rag serve`` and return once it prints its ready line."""
    port = port or free_port()
    log = corpus.parent / f"serve-{port}.log"
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(
            rag_command("serve", "--corpus", corpus, "--index", index, "--port", str(port)),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=server_env(),
            cwd=corpus.parent,
        )
    server = Server("", corpus, index, process, log, 0.0)
    deadline = started + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        match = READY.search(log.read_text(encoding="utf-8", errors="replace"))
        if match:
            server.url = match.group(1).rstrip("/") + "/"
            server.seconds_to_ready = time.perf_counter() - started
            return server
        if process.poll() is not None:
            raise RuntimeError(f"rag serve exited with {process.returncode}:\n{server.log_tail()}")
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"rag serve was not ready in {START_TIMEOUT_S:.0f} s:\n{server.log_tail()}")


_SERVER = pytest.StashKey[Server]()


def shared_server(request: pytest.FixtureRequest) -> Server:
    """The session's server over a copy of seeds/, started on first use."""
    config = request.config
    server = config.stash.get(_SERVER, None)
    if server is None or server.process.poll() is not None:
        folder = request.getfixturevalue("tmp_path_factory").mktemp("served")
        corpus, index = build_seed_index(folder)
        server = start_server(corpus, index)
        config.stash[_SERVER] = server
        config.add_cleanup(server.stop)
    return server
