"""The embedding cache gives exactly what a clean run would: a text's vector depends on that text only."""

import numpy as np
import pytest

from pipeline import embeddings

TEXTS = [
    "The videos made it easier to talk about what happened.",
    "Sometimes the connection dropped halfway through the session.",
    "I didn't see the point at first.",
    "The worksheet on jealousy was the one that stuck with me, because it showed the pattern from her side "
    "and I had never looked at it like that before, not once in all those years.",
    "Okay.",
]


@pytest.fixture
def model(embedding_model):
    return embedding_model


def test_a_vector_does_not_depend_on_the_other_texts_or_the_thread_count(model):
    import torch

    together = embeddings.embed(TEXTS, model)
    assert together.shape == (len(TEXTS), embeddings.DIMENSIONS) and together.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1, rtol=1e-5)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        for i, text in enumerate(TEXTS):
            alone = embeddings.embed([text], model)[0]
            assert np.array_equal(alone, together[i]), text  # bit for bit, not just close
        assert torch.get_num_threads() == 2  # embedding does not change the caller's setting
    finally:
        torch.set_num_threads(before)


def test_worker_processes_give_the_same_vectors(model, monkeypatch):
    monkeypatch.setattr(embeddings, "WORKERS_FROM", 2)
    monkeypatch.setattr(embeddings, "CHUNK", 2)
    texts = TEXTS * 2 + ["One more, so the chunks are uneven."]
    assert np.array_equal(embeddings.embed(texts, model, workers=2), embeddings.embed(texts, model))


def test_the_cache_embeds_only_new_text_and_returns_the_same_vectors(model, tmp_path):
    store = embeddings.EmbeddingCache(tmp_path / "cache")
    first, new = store.get_or_compute(TEXTS[:3], model)
    assert new == 3
    store.save()
    again = embeddings.EmbeddingCache(tmp_path / "cache")
    vectors, new = again.get_or_compute(TEXTS, model)
    assert new == 2
    assert np.array_equal(vectors[:3], first)
    assert np.array_equal(vectors, embeddings.embed(TEXTS, model))  # cached + new == a clean run
