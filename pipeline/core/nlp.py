"""spaCy, imported without PyTorch.

spaCy's package import loads thinc, and thinc imports PyTorch when it is installed (about 1.5 s) to offer its
PyTorch layers. The pipeline's spaCy pipelines (the NER model, the sentencizer, the lookup lemmatizer) compute with
thinc's NumPy operations only, so the processes that parse text import spaCy with PyTorch hidden from thinc for
that one import: thinc then records that PyTorch is absent, and nothing spaCy computes changes. PyTorch itself is
left importable afterwards (the embedding step's PyTorch runtime imports it as usual). In a process that has
already imported PyTorch, spaCy is imported as it is.
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType

from pipeline.core.imports import hidden

_LOCK = threading.Lock()


def import_spacy() -> ModuleType:
    """``import spacy``, with thinc's optional PyTorch import skipped (see the module's docstring)."""
    with _LOCK:
        if "spacy" in sys.modules:
            return importlib.import_module("spacy")
        with hidden("torch"):  # thinc catches the ImportError (a process with PyTorch imported keeps it)
            return importlib.import_module("spacy")
