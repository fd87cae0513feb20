"""Shared fixtures: no network, a tiny deterministic embedder, tiny corpora."""

from __future__ import annotations

import hashlib
import itertools
import socket
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from rag.text import folded_tokens

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
LOOKALIKES = ROOT / "tests" / "data" / "lookalikes"


class FakeEmbedder:
    """Hashes folded syllables and syllable pairs into a small normalised vector.

    Texts that share words get similar vectors, which is enough to test the
    logic around the model without loading one.
    """

    name = "fake-hashing-64"
    dim = 64
    max_tokens = 512
    query_prompt = "query: "
    passage_prompt = "passage: "

    def __init__(self, seed: str = "") -> None:
        self._seed = seed
        self.fingerprint = hashlib.sha256(f"fake{seed}".encode()).hexdigest()
        if seed:
            self.name = f"{self.name}-{seed}"

    def count_tokens(self, text: str) -> int:
        return len(folded_tokens(text)) + 2

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            toks = folded_tokens(text)
            for feat in toks + [a + " " + b for a, b in itertools.pairwise(toks)]:
                h = hashlib.blake2b((self._seed + feat).encode(), digest_size=8).digest()
                out[row, int.from_bytes(h[:4], "little") % self.dim] += 1.0 if h[4] & 1 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(
        self, texts: Sequence[str], batch_size: int = 16, progress=None
    ) -> np.ndarray:
        vecs = self._embed(texts)
        if progress is not None:
            progress(len(texts))
        return vecs


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(autouse=True)
def _no_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests must not reach the network; only loopback is allowed."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address):  # type: ignore[no-untyped-def]
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise RuntimeError(f"Network access in tests is not allowed: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
