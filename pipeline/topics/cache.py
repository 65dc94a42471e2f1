"""Topic fits and the topic comparison are not computed twice: a cache keyed by everything they depend on.

``fit_topics`` and ``fit_guided_topics`` store their fit in ``outputs/<corpus>/cache/topics/<kind>/``
(BERTopic's safetensors files, never pickle, and each fitted segment's topic, probability and reassignment);
``evaluate_topics`` stores its runs (the quality table before the codes are added) in ``.../quality/``. A later
job whose key matches loads the entry instead of computing it. The key is a sha256 of the documents, their
vectors (bit for bit), the settings, the seed (and seed words), the library versions and the pipeline's own
code, so a loaded fit is the fit the job would compute.

Two uses: ``evaluate_topics`` takes ``fit_topics``' main fit instead of fitting it again; and under
``models.freeze`` a new wave leaves the documents and vectors of the waves the models learn from unchanged, so
the topic fits and the comparison's runs are loaded when a wave is added, not computed again. One entry per kind
is kept (a new key replaces it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import socket
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file as load_tensors
from safetensors.numpy import save_file as save_tensors

from pipeline.core.files import atomic_folder
from pipeline.core.hashing import code_hash, package_versions
from pipeline.topics.compiled import loading_saved_models, without_sentence_transformers
from pipeline.topics.model import TopicResult, _digest

KEY_FILE = "key"

log = logging.getLogger(__name__)


def fit_key(kind: str, docs: list[str], vectors: np.ndarray | None, settings, **extra) -> str:
    """sha256 of what a fit sees: documents, vectors, settings and ``extra`` (seed, seed words, dominant codes),
    the versions of the libraries that compute it and the pipeline's code."""

    digest = hashlib.sha256()
    meta = {
        "kind": kind,
        "settings": asdict(settings),
        "extra": extra,
        "code": code_hash(Path(__file__).parents[2], "pipeline.topics.model"),  # the code that fits
        "versions": package_versions(),  # None for what is not installed (torch under the light profile)
        "documents": len(docs),
    }
    digest.update(json.dumps(meta, sort_keys=True, default=str).encode() + b"\0")
    for doc in docs:
        digest.update(doc.encode() + b"\0")
    digest.update(_digest(vectors).encode())  # dtype, shape and a sha256 of the bytes ("" for None)
    return digest.hexdigest()


def _entry(folder, kind: str) -> Path:
    return Path(folder) / kind


def _matches(folder, kind: str, key: str) -> bool:
    path = _entry(folder, kind) / KEY_FILE
    return path.exists() and path.read_text(encoding="utf-8").strip() == key


def _store(folder, kind: str, key: str, write) -> None:
    """Write the entry in a temporary folder that then replaces the old one (a crash leaves no half entry)."""

    with atomic_folder(_entry(folder, kind)) as tmp:
        write(tmp)
        (tmp / KEY_FILE).write_text(key + "\n", encoding="utf-8")


def store_fit(folder, kind: str, key: str, result) -> None:
    """The fit (a TopicResult straight from fit_bertopic) under ``kind``: call before anything uses the model
    (BERTopic's topics_per_class normalises the model's c-TF-IDF in place)."""

    def write(tmp: Path) -> None:
        if result.model is not None:
            result.model.save(
                str(tmp / "bertopic"), serialization="safetensors", save_ctfidf=True, save_embedding_model=False
            )
        save_tensors(
            {
                "topics": np.asarray(result.topics, dtype=np.int64),
                "probability": np.asarray(result.probability, dtype=np.float64),
                "reassigned": np.asarray(result.reassigned, dtype=np.uint8),
            },
            str(tmp / "fit.safetensors"),
        )
        info = {
            "words": [[int(t), list(w)] for t, w in result.words.items()],  # in the fit's order
            "message": result.message,
            "selection": result.selection,
        }
        (tmp / "fit.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    _store(folder, kind, key, write)


def load_fit(folder, kind: str, key: str, with_model: bool = True):
    """The stored fit if its key matches (else None); ``with_model=False`` skips loading the BERTopic model."""

    if not folder or not _matches(folder, kind, key):
        return None
    entry = _entry(folder, kind)
    arrays = load_tensors(str(entry / "fit.safetensors"))
    info = json.loads((entry / "fit.json").read_text(encoding="utf-8"))
    model = None
    if with_model and (entry / "bertopic").is_dir():
        # BERTopic takes seconds to import: only where a model is loaded, and without UMAP, which a loaded model
        # never calls; and without PyTorch, which it would import to rebuild no embedding model
        with loading_saved_models() as BERTopic, without_sentence_transformers():
            # "no embedding model": none is needed after the fit (after the import, which sets BERTopic's level)
            logging.getLogger("BERTopic").setLevel(logging.ERROR)
            model = BERTopic.load(str(entry / "bertopic"))
        # the loader drops the language when it sets an embedding backend; saved again, the config would differ
        model.language = json.loads((entry / "bertopic" / "config.json").read_text(encoding="utf-8"))["language"]
    return TopicResult(
        arrays["topics"],
        arrays["probability"],
        arrays["reassigned"].astype(bool),
        {int(t): list(w) for t, w in info["words"]},
        model,
        info["message"],
        selection=info["selection"],
    )


# ---------------------------------------------------------------- a fit under way

# how long the comparison waits for a fit that another process marks as under way, at most (then it fits it itself)
WAIT_AT_MOST = 600.0


def _mark(folder, kind: str) -> Path:
    return Path(folder) / f"{kind}.fitting"


@contextmanager
def fitting(folder, kind: str, key: str):
    """While inside, the cache says that this process is computing the fit of ``key``: ``<kind>.fitting``, with
    the key, the host and the process id (nothing where ``folder`` is None). Removed on the way out, whether the
    fit was stored or failed."""
    if not folder:
        yield
        return
    mark = _mark(folder, kind)
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.write_text(json.dumps({"key": key, "host": socket.gethostname(), "pid": os.getpid()}), encoding="utf-8")
    try:
        yield
    finally:
        mark.unlink(missing_ok=True)


def _under_way(folder, kind: str, key: str) -> bool:
    """Whether a process is computing the fit of ``key`` now: its mark is there and, on this host, it is alive."""
    try:
        mark = json.loads(_mark(folder, kind).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if mark.get("key") != key:
        return False
    if mark.get("host") == socket.gethostname():
        try:
            os.kill(int(mark["pid"]), 0)
        except ProcessLookupError:
            return False  # it ended without removing its mark (killed)
        except PermissionError:
            pass  # alive, another user's
    return True


def wait_for_fit(folder, kind: str, key: str, at_most: float = WAIT_AT_MOST, every: float = 0.25):
    """The stored fit of ``key`` (without the model), waiting for it while another process marks it as under way
    (``fitting``); None at once where none is, when that process ends without storing it, or after ``at_most``
    seconds (on another host its end cannot be seen)."""
    if not folder:
        return None
    started = time.monotonic()
    while True:
        found = load_fit(folder, kind, key, with_model=False)
        if found is not None or not _under_way(folder, kind, key):
            found = found or load_fit(folder, kind, key, with_model=False)  # stored just before the mark went
            if found is not None and time.monotonic() - started >= every:
                log.info("the %s fit, under way beside this job, waited for %.1fs", kind, time.monotonic() - started)
            return found
        if time.monotonic() - started >= at_most:
            log.warning("the %s fit under way elsewhere did not arrive in %.0fs: fitting it here", kind, at_most)
            return None
        time.sleep(every)


def store_file(folder, kind: str, key: str, path) -> None:
    """A finished output file (e.g. the comparison's runs), kept byte for byte."""
    _store(folder, kind, key, lambda tmp: shutil.copyfile(path, tmp / Path(path).name))


def load_file(folder, kind: str, key: str, name: str) -> str | None:
    """The stored file's text if its key matches (else None)."""
    if not folder or not _matches(folder, kind, key):
        return None
    path = _entry(folder, kind) / name
    return path.read_text(encoding="utf-8") if path.exists() else None
