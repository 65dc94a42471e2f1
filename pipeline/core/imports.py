"""Importing a package while one of its optional dependencies is hidden."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()


@contextmanager
def hidden(name: str) -> Iterator[None]:
    """While inside: ``import name`` raises ImportError, unless ``name`` is imported already. Afterwards it is
    importable again. A package that catches the ImportError records the module as absent (spaCy's thinc, BERTopic)."""
    with _LOCK:
        hide = name not in sys.modules
        if hide:
            sys.modules[name] = None  # None in sys.modules makes the import raise ImportError
    try:
        yield
    finally:
        with _LOCK:
            if hide and sys.modules.get(name, 0) is None:
                del sys.modules[name]
