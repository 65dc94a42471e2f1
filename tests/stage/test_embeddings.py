"""Embeddings: a text's vector depends on that text only (so the cache gives exactly what a clean run gives), the
ONNX runtime computes PyTorch's vectors within a stated tolerance, the int8 graph stays within its own, and both
graphs are cached safely."""

import json

import numpy as np
import pandas as pd
import pytest

from pipeline import embeddings
from pipeline.core.encodings import decode
from pipeline.core.errors import PipelineError
from tests.conftest import TINY, cli

TEXTS = [
    "The videos made it easier to talk about what happened.",
    "Sometimes the connection dropped halfway through the session.",
    "I didn't see the point at first.",
    "The worksheet on jealousy was the one that stuck with me, because it showed the pattern from her side "
    "and I had never looked at it like that before, not once in all those years.",
    "Okay.",
]

# ONNX Runtime and PyTorch add up the same products in different orders: measured on the tiny corpus and the demo,
# the largest difference in one coordinate of a unit vector is 3e-7 (benchmarks/RESULTS.md, "Embedding runtime")
TOLERANCE = 1e-5
# onnx-int8 against the float graph, measured on 600 turns of the public interviews: cosine 0.9955 on average, 0.976
# at worst (benchmarks/RESULTS.md, "Embedding runtime"); the agreement figures it keeps are measured there too
INT8_MEAN_COSINE, INT8_MIN_COSINE = 0.99, 0.95


@pytest.fixture(params=embeddings.RUNTIMES)
def model(request, embedding_model):
    return embedding_model if request.param == embeddings.DEFAULT_RUNTIME else embeddings.embedding_model(request.param)


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


def test_worker_processes_give_the_same_vectors(embedding_model, monkeypatch):
    monkeypatch.setattr(embeddings, "WORKERS_FROM", 2)
    monkeypatch.setattr(embeddings, "CHUNK", 2)
    texts = TEXTS * 2 + ["One more, so the chunks are uneven."]
    together = embeddings.embed(texts, embedding_model)
    assert np.array_equal(embeddings.embed(texts, embedding_model, workers=2), together)


def test_the_cache_embeds_only_new_text_and_returns_the_same_vectors(embedding_model, tmp_path):
    identity = embeddings.runtime_identity(embeddings.DEFAULT_RUNTIME)
    store = embeddings.EmbeddingCache(tmp_path / "cache", identity)
    first, new = store.get_or_compute(TEXTS[:3], embedding_model)
    assert new == 3
    store.save()
    again = embeddings.EmbeddingCache(tmp_path / "cache", identity)
    vectors, new = again.get_or_compute(TEXTS, embedding_model)
    assert new == 2
    assert np.array_equal(vectors[:3], first)
    assert np.array_equal(vectors, embeddings.embed(TEXTS, embedding_model))  # cached + new == a clean run
    # vectors another runtime made are not mixed in: all of them are embedded again
    other = embeddings.EmbeddingCache(tmp_path / "cache", embeddings.runtime_identity("torch"))
    assert other.vectors == {}


def tiny_texts() -> list[str]:
    texts = []
    for path in sorted((TINY / "transcripts").glob("*.txt")):  # in the encodings people save them in
        text, _ = decode(path.read_bytes(), path)
        texts += [line.split(":", 1)[-1].strip() for line in text.splitlines()]
    texts = [t for t in texts if t] + [" ", "word " * 400]  # an empty question, and a text cut at 256 tokens
    assert len(texts) > 20
    return texts


def test_onnx_and_pytorch_give_the_same_vectors_within_the_tolerance_on_the_tiny_corpus():
    onnx = embeddings.embed(tiny_texts(), embeddings.embedding_model("onnx"))
    torch = embeddings.embed(tiny_texts(), embeddings.embedding_model("torch"))
    assert np.abs(onnx - torch).max() <= TOLERANCE
    assert (onnx * torch).sum(axis=1).min() >= 1 - TOLERANCE


def test_the_int8_graph_stays_within_its_tolerance_of_the_float_graph_on_the_tiny_corpus(embedding_model):
    assert embedding_model.runtime == "onnx-int8" == embeddings.DEFAULT_RUNTIME
    int8 = embeddings.embed(tiny_texts(), embedding_model)
    cosine = (int8 * embeddings.embed(tiny_texts(), embeddings.embedding_model("onnx"))).sum(axis=1)
    assert cosine.mean() >= INT8_MEAN_COSINE and cosine.min() >= INT8_MIN_COSINE, (cosine.mean(), cosine.min())
    assert cosine.min() < 1 - TOLERANCE  # it is another computation, not the float graph under another name


def test_the_int8_graph_is_made_once_from_the_float_graph_and_made_again_when_it_does_not_match_its_record(
    tmp_path, monkeypatch
):
    import onnx

    monkeypatch.setenv("QUALEVAL_CACHE_DIR", str(tmp_path))
    graph = embeddings.onnx_graph("onnx-int8")
    about = json.loads((graph.parent / "about.json").read_text())
    assert graph.parent.name.endswith(embeddings.int8_key()) and about["graph_key"] == embeddings.onnx_key()
    assert embeddings.onnx_graph("onnx").parent.name.endswith(embeddings.onnx_key())  # the float graph beside it
    ops = [node.op_type for node in onnx.load(str(graph)).graph.node]
    # 36 products with a weight matrix: 30 in int8, each layer's feed-forward output (6) in float, and the 12
    # products of two activations (attention) in float
    assert ops.count("MatMulInteger") == 30 and ops.count("MatMul") == 6 + 12
    stamp = graph.stat().st_mtime_ns
    assert embeddings.onnx_graph("onnx-int8") == graph and graph.stat().st_mtime_ns == stamp, "reused"
    graph.write_bytes(graph.read_bytes()[:1000])
    assert embeddings.onnx_graph("onnx-int8") == graph
    assert json.loads((graph.parent / "about.json").read_text())["graph_sha256"] == about["graph_sha256"]
    # other quantisation settings are another graph, under another key
    monkeypatch.setitem(embeddings.INT8, "per_channel", False)
    assert embeddings.int8_key() != about["key"] and embeddings.onnx_graph("onnx-int8") != graph


def test_the_onnx_graph_is_exported_once_and_exported_again_when_it_does_not_match_its_record(tmp_path, monkeypatch):
    monkeypatch.setenv("QUALEVAL_CACHE_DIR", str(tmp_path))
    graph = embeddings.onnx_graph()
    about = json.loads((graph.parent / "about.json").read_text())
    assert (
        graph.parent.name.endswith(embeddings.onnx_key())
        and about["weights_sha256"] == embeddings.MODEL_SHA256["model.safetensors"]
    )
    stamp = graph.stat().st_mtime_ns
    assert embeddings.onnx_graph() == graph and graph.stat().st_mtime_ns == stamp, "the cached graph is reused"
    graph.write_bytes(graph.read_bytes()[:1000])  # a broken cache file
    assert embeddings.onnx_graph() == graph
    assert json.loads((graph.parent / "about.json").read_text())["graph_sha256"] == about["graph_sha256"]


def test_weights_that_do_not_match_the_pinned_hash_stop_with_one_line_and_nothing_is_exported(tmp_path, monkeypatch):
    monkeypatch.setenv("QUALEVAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(embeddings.MODEL_SHA256, "model.safetensors", "0" * 64)
    with pytest.raises(PipelineError) as caught:
        embeddings.onnx_graph()
    message = str(caught.value)
    assert "model.safetensors" in message and "does not match the pinned release" in message
    assert not (tmp_path / "cache").exists()

    # the same through the command line, as a Snakemake job runs it: one ERROR line naming the file, no output
    segments = tmp_path / "segments.csv"
    pd.DataFrame({"segment_id": ["a"], "text": ["Hello."], "question": [""]}).to_csv(segments, index=False)
    embeddings.embedding_model.cache_clear()
    try:
        result = cli("embed-segments", segments, tmp_path / "e.safetensors", "--cache", tmp_path / "c")
    finally:
        embeddings.embedding_model.cache_clear()
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert result.returncode != 0 and len(errors) == 1 and "model.safetensors" in errors[0], result.stderr
    assert not (tmp_path / "e.safetensors").exists() and not (tmp_path / "cache").exists()


def test_an_unknown_runtime_stops_with_one_line_naming_the_setting():
    with pytest.raises(PipelineError, match="embeddings.runtime is 'tensorflow'"):
        embeddings.embedding_model("tensorflow")
