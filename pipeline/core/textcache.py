"""Per-text results kept between runs, so a new interview wave computes only its own texts' results.

A ``TextCache`` maps the sha256 of a text to a JSON value (the codebook phrases found in a segment, a segment's
sentiment scores), in one folder of the corpus's ``outputs/<corpus>/cache/``: ``values.json`` and ``about.json``.
``about.json`` records what made the values (an identity: the settings, the versions of the packages that compute
them and a digest of the pipeline's own source files that do), and a cache made under another identity is not
reused: every text is computed again. A value is a pure function of its text and that identity, so a result read
from the cache is the one a clean run computes (tested per stage). No transcript text is stored, only hashes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

from pipeline.core.files import atomic_path, write_json

log = logging.getLogger(__name__)


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def source_digest(*modules: ModuleType) -> str:
    """A sha256 over the source files of ``modules``: a change in the code that computes the values."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(module.__file__).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def versions(*packages: str) -> dict[str, str]:
    return {name: version(name) for name in sorted(packages)}


class TextCache:
    """text sha256 -> JSON value, in ``folder`` (none: nothing kept), reused only under the same ``identity``."""

    def __init__(self, folder: str | Path | None, identity: dict):
        self.folder = Path(folder) if folder else None
        self.identity = json.loads(json.dumps(identity, sort_keys=True))
        self.values: dict = {}
        self.computed = 0
        if self.folder is None:
            return
        about, values = self.folder / "about.json", self.folder / "values.json"
        if about.exists() and values.exists():
            try:
                same = json.loads(about.read_text(encoding="utf-8")) == self.identity
                if same:
                    self.values = json.loads(values.read_text(encoding="utf-8"))
                else:
                    log.info("%s was made with other settings, packages or code: not reused", self.folder)
            except (OSError, ValueError):
                log.warning("%s could not be read: every text is computed again", self.folder)
                self.values = {}

    def map(self, texts: list, compute: Callable[[list], list], key: Callable = text_key) -> list:
        """The value of each text: from the cache, or computed (``compute`` takes the missing texts, in order).
        ``key`` gives an item's key (by default the sha256 of a text; a file's sha256 for files)."""
        keys = [key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self.values}
        if missing:
            new = compute(list(missing.values()))
            self.values.update(zip(missing, json.loads(json.dumps(new)), strict=True))
            self.computed += len(missing)
        return [self.values[k] for k in keys]

    def save(self) -> None:
        if self.folder is None:
            return
        with atomic_path(self.folder / "values.json") as tmp:
            tmp.write_text(json.dumps(self.values, sort_keys=True, separators=(",", ":")), encoding="utf-8")
        write_json(self.identity, self.folder / "about.json")
