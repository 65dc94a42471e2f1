"""Shared fixtures: paths, a CLI runner and a throw-away project folder for workflow runs.

Tests are in three tiers: tests/unit (pure functions), tests/stage (stage functions and the CLI; models loaded
once per test run, tests/stage/conftest.py) and tests/workflow (Snakemake runs sharing one clean run of the tiny
corpus, tests/workflow/conftest.py)."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
TINY = FIXTURES / "tiny"
DEMO = ROOT / "data" / "demo"
SHARED_CORPUS = ROOT.parent / "shared" / "corpora" / "anthropic-interviewer"
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# One set of caches for the whole test run, in the repository's .cache/ (git-ignored), whatever folder a workflow
# runs in: numba's compiled functions (UMAP, HDBSCAN), matplotlib's font list and the gazetteers
# (pipeline/gazetteers.py). Set before anything imports numba or matplotlib; Snakemake jobs inherit them.
CACHE = ROOT / ".cache"
for _key, _folder in (("NUMBA_CACHE_DIR", "numba"), ("MPLCONFIGDIR", "matplotlib"), ("QUALEVAL_CACHE_DIR", "qualeval")):
    os.environ.setdefault(_key, str(CACHE / _folder))


def fresh_process(probe: str) -> str:
    """What ``probe`` (Python source) prints in a new interpreter started from the repository's root: what a job's
    process imports, which this test process has imported already."""
    return subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def run_cli(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    """`python -m pipeline ...` in a process of its own (what a Snakemake job runs)."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False
    )


def cli(*args) -> subprocess.CompletedProcess:
    """`python -m pipeline ...` run in this process, from the repository's root as run_cli runs it: the same exit
    status, stdout and stderr, without starting Python and loading the models again for every call. (A test of
    what reaches the console from a child process, such as a notebook's kernel, needs run_cli.)"""
    from pipeline.cli import main

    argv = list(map(str, args))
    out, err = io.StringIO(), io.StringIO()
    torch = sys.modules.get("torch", _MISSING)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exc:  # argparse: a usage error
                status = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(cwd)
        logger = logging.getLogger("pipeline")
        for handler in list(logger.handlers):  # the stage's console and log-file handlers
            handler.close()
            logger.removeHandler(handler)
        if torch is _MISSING and sys.modules.get("torch", _MISSING) is None:
            del sys.modules["torch"]  # stages that use spaCy alone hide torch (cli._spacy_without_torch)
    return subprocess.CompletedProcess(
        [sys.executable, "-m", "pipeline", *argv], status, out.getvalue(), err.getvalue()
    )


_MISSING = object()


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("ERROR:")]


def make_project(folder: Path) -> Path:
    """A throw-away project folder: the real Snakefile, rules and config, with its own outputs/."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "pipeline", "notebooks"):
        (folder / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "config", folder / "config")
    # the tiny corpus has a handful of codes per code id: let the coder learn from what there is
    (folder / "small_corpus.yaml").write_text("coding:\n  min_positives: 1\n  threshold: 0.3\n  folds: 4\n")
    return folder


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path)


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    """A copy of the tiny corpus to edit, named c."""
    return copy_corpus(TINY, tmp_path / "c")


def snakemake(project: Path, *args, corpus: Path | str = TINY, timeout=900, prefix=()) -> subprocess.CompletedProcess:
    cmd = [*prefix, SNAKEMAKE, "--cores", "2", "--configfile", "small_corpus.yaml", "--config", f"corpus={corpus}"]
    cmd += list(map(str, args))
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # as a user who runs snakemake by hand: without PYTHONHASHSEED (the workflow sets it for its jobs)
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}, "HF_HUB_OFFLINE": "1", "PATH": path}
    return subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def copy_corpus(src: Path, dst: Path) -> Path:
    """A copy of a corpus folder, named after its new folder (so its outputs go to outputs/<dst.name>/)."""
    shutil.copytree(src, dst)
    settings = dst / "corpus.yaml"
    if settings.exists():
        lines = [ln for ln in settings.read_text().splitlines() if not ln.startswith("name:")]
        settings.write_text("\n".join([f"name: {dst.name}", *lines]) + "\n")
    return dst
