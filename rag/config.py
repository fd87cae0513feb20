"""One settings object for the library, the CLI and the web chat.

Defaults work out of the box; every field can be overridden by an environment
variable ``RAG_<FIELD>`` and then by CLI flags (``Settings.with_overrides``).

>>> Settings.from_env({"RAG_K": "8"}).k
8
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
RETRIEVERS = ("hybrid", "dense", "lexical")


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vnrag"


@dataclass(frozen=True)
class Settings:
    """Everything that can be configured, with working defaults."""

    corpus: tuple[Path, ...] = (Path("seeds"),)
    index: Path = Path("index")
    model: str = DEFAULT_MODEL
    cache_dir: Path = field(default_factory=default_cache_dir)
    retriever: str = "hybrid"
    k: int = 5
    chunk_tokens: int = 128
    chunk_overlap: int = 24
    batch_size: int = 16
    threads: int = 0  # 0: let torch decide
    max_upload_mb: int = 5
    auth: str | None = None  # "user:password" protects the web chat

    def __post_init__(self) -> None:
        if self.retriever not in RETRIEVERS:
            raise ConfigError(
                f"Unknown retriever {self.retriever!r}; choose one of {', '.join(RETRIEVERS)}."
            )
        _check_range("k", self.k, 1, 100)
        _check_range("chunk_tokens", self.chunk_tokens, 16, 510)
        _check_range("chunk_overlap", self.chunk_overlap, 0, self.chunk_tokens // 2)
        _check_range("batch_size", self.batch_size, 1, 1024)
        _check_range("threads", self.threads, 0, 256)
        _check_range("max_upload_mb", self.max_upload_mb, 1, 1024)
        if not self.corpus:
            raise ConfigError("No corpus folder given; pass --corpus DIR or set RAG_CORPUS.")
        if self.auth is not None and ":" not in self.auth:
            raise ConfigError("RAG_AUTH must look like user:password.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``RAG_*`` variables over the defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, raw)
        return cls(**values)

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with every non-``None`` override applied (CLI flags)."""
        clean = {k: v for k, v in overrides.items() if v is not None and v != ()}
        if "corpus" in clean:
            clean["corpus"] = tuple(Path(p) for p in clean["corpus"])
        if "index" in clean:
            clean["index"] = Path(clean["index"])
        return replace(self, **clean)


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}.")


def _parse(name: str, raw: str) -> Any:
    if name == "corpus":
        return tuple(Path(p) for p in raw.split(os.pathsep) if p)
    if name in ("index", "cache_dir"):
        return Path(raw)
    if name in ("k", "chunk_tokens", "chunk_overlap", "batch_size", "threads", "max_upload_mb"):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"RAG_{name.upper()} must be an integer, got {raw!r}.") from None
    return raw
