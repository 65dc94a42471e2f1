"""Shared fixtures: paths, a CLI runner and a throw-away project folder for workflow runs."""

from __future__ import annotations

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


def run_cli(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False
    )


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
