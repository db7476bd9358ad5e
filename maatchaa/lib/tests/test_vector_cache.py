from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from maatchaa.lib.embedding import DIMENSIONS, FINGERPRINT, MODEL_NAME, get_embedder
from maatchaa.lib.vector_cache import CachingEmbedder, VectorCache, embedder_fingerprint, text_digest


class Counting:
    """The real model, with every text it was asked to embed recorded."""

    def __init__(self, *, fingerprint: str | None = None) -> None:
        self.inner = get_embedder()
        self.model_name = self.inner.model_name
        self.fingerprint = fingerprint or embedder_fingerprint(self.inner)
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed(texts)


TEXTS = ["Bamboo matcha whisk review", "Cast iron skillet seasoning", "Trail running shoes: 100 miles later"]


def test_the_real_models_fingerprint_names_its_files_truncation_and_pooling():
    fingerprint = embedder_fingerprint(get_embedder())
    assert fingerprint == FINGERPRINT
    assert fingerprint.startswith(MODEL_NAME + "|model-")
    assert "tokenizer-" in fingerprint and "max-tokens-256" in fingerprint


def test_a_second_process_embeds_nothing_it_embedded_before_and_gets_the_same_floats(tmp_path: Path):
    first_model = Counting()
    first = CachingEmbedder.over(first_model, root=tmp_path)
    vectors = first.embed(TEXTS)
    assert first_model.texts == TEXTS and (first.embedded, first.reused) == (3, 0)
    assert first.cache.flush() is not None

    second_model = Counting()
    second = CachingEmbedder.over(second_model, root=tmp_path)  # a new process reads the files
    again = second.embed(list(reversed(TEXTS)))

    assert second_model.texts == []
    assert (second.embedded, second.reused) == (0, 3)
    np.testing.assert_array_equal(again, vectors[::-1])
    assert again.shape == (3, DIMENSIONS) and again.dtype == np.float32


def test_only_the_texts_it_does_not_hold_are_embedded_each_once(tmp_path: Path):
    model = Counting()
    embedder = CachingEmbedder.over(model, root=tmp_path)
    embedder.embed(TEXTS[:1])

    vectors = embedder.embed([TEXTS[0], TEXTS[1], TEXTS[1], TEXTS[2]])

    assert model.texts == [TEXTS[0], TEXTS[1], TEXTS[2]]
    assert (embedder.embedded, embedder.reused) == (3, 2)
    np.testing.assert_array_equal(vectors[1], vectors[2])
    fresh = get_embedder().embed(TEXTS)
    assert float(vectors[3] @ fresh[2]) > 0.9999  # what it answers is the text's vector


def test_a_changed_text_is_a_new_key_and_is_embedded(tmp_path: Path):
    embedder = CachingEmbedder.over(Counting(), root=tmp_path)
    embedder.embed(["Cast iron skillet seasoning"])
    embedder.embed(["Cast iron skillet seasoning "])  # one blank more is another text
    assert embedder.embedded == 2
    assert text_digest("a") != text_digest("a ")


def test_another_model_fingerprint_reads_none_of_the_vectors(tmp_path: Path):
    first = CachingEmbedder.over(Counting(), root=tmp_path)
    first.embed(TEXTS)
    first.cache.flush()

    other_model = Counting(fingerprint=FINGERPRINT.replace("max-tokens-256", "max-tokens-128"))
    other = CachingEmbedder.over(other_model, root=tmp_path)
    other.embed(TEXTS)
    other.cache.flush()

    assert other_model.texts == TEXTS
    assert other.cache.folder != first.cache.folder
    assert len(list(tmp_path.iterdir())) == 2


def test_a_cache_of_another_model_is_refused(tmp_path: Path):
    cache = VectorCache(tmp_path, fingerprint="another-model")
    with pytest.raises(ValueError, match="another-model"):
        CachingEmbedder(Counting(), cache)


def test_an_unreadable_segment_is_skipped_and_its_texts_embedded_again(tmp_path: Path):
    first = CachingEmbedder.over(Counting(), root=tmp_path)
    first.embed(TEXTS[:1])
    first.cache.flush()
    first.embed(TEXTS[1:])
    broken = first.cache.flush()
    assert broken is not None
    broken.write_bytes(b"not a numpy archive")

    model = Counting()
    second = CachingEmbedder.over(model, root=tmp_path)
    second.embed(TEXTS)

    assert model.texts == TEXTS[1:]


def test_many_segments_are_merged_into_one_when_opened(tmp_path: Path):
    embedder = CachingEmbedder.over(Counting(), root=tmp_path)
    for text in [f"text number {i}" for i in range(10)]:
        embedder.embed([text])
        embedder.cache.flush()
    assert len(list(embedder.cache.folder.glob("*.npz"))) == 10

    reopened = VectorCache(tmp_path, fingerprint=embedder.fingerprint)

    assert len(list(reopened.folder.glob("*.npz"))) == 1
    assert reopened.loaded == len(reopened) == 10
    assert (reopened.folder / "FINGERPRINT").read_text().strip() == embedder.fingerprint


def test_nothing_new_writes_nothing(tmp_path: Path):
    embedder = CachingEmbedder.over(Counting(), root=tmp_path)
    assert embedder.cache.flush() is None
    assert embedder.embed([]).shape == (0, DIMENSIONS)
    assert not any(tmp_path.iterdir())
