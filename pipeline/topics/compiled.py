"""UMAP, pynndescent and BERTopic imported with numba's on-disk cache on.

UMAP and pynndescent compile their numba functions in every process that fits a topic model (about 9 s for a
small corpus, more above 4,096 points), because they declare them without ``cache=True``. Imported through
``import_compiled``, every function they declare is compiled once and kept under ``NUMBA_CACHE_DIR`` (the
Makefile sets ``.cache/numba``); later processes load the machine code instead of compiling it again. Numba
keys each cached function on its source file, signature and CPU, so a changed library or machine compiles
afresh; the code run, and so every result, is the same as without the cache. (pynndescent's ``nn_descent``
holds dynamic globals and is compiled in each process as before; ``model.exact_cosine_neighbours`` avoids it.)
"""

from __future__ import annotations

import importlib
import threading
import warnings
from contextlib import contextmanager
from types import ModuleType

_LOCK = threading.Lock()


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


def import_compiled(name: str) -> ModuleType:
    """``importlib.import_module(name)``, with numba's on-disk cache on for what the import declares (see the
    module's docstring). Only the first import in a process declares anything; later calls return the module."""
    with _LOCK, _numba_caching():
        # pynndescent and umap first, whatever ``name`` is: they are the ones that declare numba functions
        importlib.import_module("pynndescent")
        importlib.import_module("umap")
        return importlib.import_module(name)
