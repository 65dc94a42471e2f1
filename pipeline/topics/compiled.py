"""UMAP, pynndescent and BERTopic imported with numba's on-disk cache on.

UMAP and pynndescent compile their numba functions in every process that fits a topic model (about 9 s for a
small corpus, more above 4,096 points), because they declare them without ``cache=True``. Imported through
``import_compiled``, every function they declare is compiled once and kept under ``NUMBA_CACHE_DIR`` (the
Makefile sets ``.cache/numba``); later processes load the machine code instead of compiling it again. Numba
keys each cached function on its source file, signature and CPU, so a changed library or machine compiles
afresh; the code run, and so every result, is the same as without the cache. (pynndescent's ``nn_descent``
holds dynamic globals and is compiled in each process as before; ``model.exact_cosine_neighbours`` avoids it.)

BERTopic's package imports, when it is imported, the optional back-ends and representations it offers beside its
core: a multimodal back-end (sentence-transformers), text generation, zero-shot and visual representations
(transformers) and a part-of-speech one (spaCy). The pipeline uses none of them (it gives BERTopic its own
embeddings and c-TF-IDF words), and importing them costs about 4 s in every process that fits a topic model.
``import_compiled`` imports BERTopic without them: BERTopic itself treats each as not installed (it catches the
``ModuleNotFoundError`` and names the missing extra if one is asked for), so nothing it computes changes.
Its file module also imports PyTorch (about 1.3 s) only to save and load topic embeddings in PyTorch's .bin
format; the pipeline saves and loads safetensors, so PyTorch is hidden for that one import (BERTopic records it
as absent) and stays importable afterwards.

A model loaded from the cache only gives its words and counts them again (it never reduces or clusters), so
``loading_saved_models`` imports and loads BERTopic without UMAP, pynndescent and numba (about 1 s in every job
that loads one): BERTopic's constructor then holds a PCA in place of the UMAP it would never call, and nothing
that is saved or computed from the model changes.
"""

from __future__ import annotations

import importlib
import sys
import threading
import warnings
from contextlib import contextmanager, nullcontext
from types import ModuleType

from pipeline.core.imports import hidden

_LOCK = threading.Lock()
# BERTopic's optional modules the pipeline never uses (see the module's docstring)
UNUSED_BERTOPIC_MODULES = (
    "bertopic.backend._multimodal",
    "bertopic.representation._textgeneration",
    "bertopic.representation._zeroshot",
    "bertopic.representation._visual",
    "bertopic.representation._pos",
)


def _skip_unused_bertopic_modules() -> None:
    """Before BERTopic's first import in this process: its unused optional modules import as not installed."""
    if "bertopic" in sys.modules:
        return
    for name in UNUSED_BERTOPIC_MODULES:
        # None in sys.modules makes ``import name`` raise ModuleNotFoundError, which BERTopic catches
        sys.modules.setdefault(name, None)


@contextmanager
def _numba_caching():
    """While inside: ``numba.njit`` and ``numba.jit`` default to ``cache=True``."""
    # numba is heavy (seconds); only processes that fit topics import it
    import numba

    njit, jit = numba.njit, numba.jit

    def cached(decorator):
        def with_cache(*args, **kwargs):
            kwargs.setdefault("cache", True)
            return decorator(*args, **kwargs)

        return with_cache

    numba.njit, numba.jit = cached(njit), cached(jit)
    try:
        yield
    finally:
        numba.njit, numba.jit = njit, jit
    # a function numba cannot cache (pynndescent's nn_descent holds dynamic globals) is compiled in each process,
    # as it was without the cache; numba says so when it is first called, which is not worth a line in the logs
    warnings.filterwarnings("ignore", message="Cannot cache compiled function", category=numba.NumbaWarning)


@contextmanager
def without_sentence_transformers():
    """While inside: ``import sentence_transformers`` fails, unless it is imported already.

    ``BERTopic.load`` first tries to rebuild the embedding model named in the saved configuration through
    sentence-transformers, which imports transformers and PyTorch (about 3 s), and then, offline, cannot load the
    named model and falls back to an empty backend. Both ways end in that empty backend (the pipeline gives BERTopic
    its own embeddings), so a loaded model is the same; only the 3 s go."""
    with hidden("sentence_transformers"):
        yield


def _without_torch_for_bertopic():
    """BERTopic's file module imports PyTorch only to offer its .bin format (see the module's docstring): hidden
    for BERTopic's first import in this process."""
    return hidden("torch") if "bertopic" not in sys.modules else nullcontext()


def import_compiled(name: str) -> ModuleType:
    """``importlib.import_module(name)``, with numba's on-disk cache on for what the import declares (see the
    module's docstring). Only the first import in a process declares anything; later calls return the module."""
    with _LOCK, _numba_caching():
        _skip_unused_bertopic_modules()
        # pynndescent and umap first, whatever ``name`` is: they are the ones that declare numba functions
        importlib.import_module("pynndescent")
        importlib.import_module("umap")
        with _without_torch_for_bertopic():
            return importlib.import_module(name)


@contextmanager
def loading_saved_models():
    """While inside: ``BERTopic`` is imported (if it is not yet) and models are loaded without UMAP, pynndescent
    and numba, unless they are imported already (see the module's docstring). Yields the BERTopic class."""
    with _LOCK:
        _skip_unused_bertopic_modules()
        # SciPy looks up PyTorch's entry in sys.modules while it imports: it comes in before PyTorch is hidden
        importlib.import_module("sklearn.base")
        with hidden("umap"), hidden("pynndescent"), _without_torch_for_bertopic():
            BERTopic = importlib.import_module("bertopic").BERTopic
    # BERTopic's constructor imports UMAP when it makes a model: a model is loaded inside too
    with hidden("umap"), hidden("pynndescent"):
        yield BERTopic
