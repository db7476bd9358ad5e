from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from maatchaa.lib.embedding import (
    DIMENSIONS,
    MODEL_NAME,
    TOKENIZER_PATH,
    Embedder,
    EmbeddingModelError,
    MiniLMOnnxEmbedder,
    get_embedder,
    set_embedder,
)


def test_vectors_are_unit_length_float32_rows_one_per_text():
    vectors = get_embedder().embed(["bamboo matcha whisk", "trail running shoes review", ""])
    assert vectors.shape == (3, DIMENSIONS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_an_empty_list_gives_an_empty_matrix():
    assert get_embedder().embed([]).shape == (0, DIMENSIONS)


def test_meaning_beats_shared_words():
    whisk, chasen, minecraft = get_embedder().embed(
        [
            "Bamboo matcha whisk (chasen) for the green tea ceremony",
            "How to use a bamboo chasen to whisk green tea",
            "Matcha texture pack for Minecraft",
        ]
    )
    assert float(whisk @ chasen) > float(whisk @ minecraft) + 0.1


def test_a_text_gets_the_same_vector_alone_or_padded_in_a_batch():
    embedder = get_embedder()
    alone = embedder.embed(["cast iron skillet seasoning"])[0]
    batched = embedder.embed(["a much longer text " * 40, "cast iron skillet seasoning", "x"])[1]
    assert float(alone @ batched) > 0.9999


def test_the_singleton_is_shared_across_threads_and_names_its_model():
    seen: list[Embedder] = []
    threads = [threading.Thread(target=lambda: seen.append(get_embedder())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(e) for e in seen}) == 1
    assert seen[0].model_name == MODEL_NAME == "all-MiniLM-L6-v2@int8-8199be6f"
    assert isinstance(seen[0], Embedder)


def test_another_backend_can_replace_the_default_and_be_restored():
    class Constant:
        model_name = "constant@test"

        def embed(self, texts):
            return np.ones((len(texts), DIMENSIONS), np.float32) / np.sqrt(DIMENSIONS)

    previous = set_embedder(Constant())
    try:
        assert get_embedder().model_name == "constant@test"
    finally:
        set_embedder(previous)
    assert get_embedder().model_name == MODEL_NAME


def test_a_tampered_tokenizer_is_refused_with_a_clear_error(tmp_path: Path):
    tampered = tmp_path / "tokenizer.json"
    shutil.copy(TOKENIZER_PATH, tampered)
    with tampered.open("a") as fh:
        fh.write(" ")
    with pytest.raises(EmbeddingModelError, match="sha256"):
        MiniLMOnnxEmbedder(tokenizer_path=tampered)


def test_a_missing_model_file_is_refused_with_a_clear_error(tmp_path: Path):
    with pytest.raises(EmbeddingModelError, match="missing"):
        MiniLMOnnxEmbedder(model_path=tmp_path / "model.onnx")
