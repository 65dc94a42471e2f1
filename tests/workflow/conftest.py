"""One clean run of the tiny corpus for every workflow test that can read it, and copies of it for scenarios.

The run's project folder holds its corpus (a copy of tests/fixtures/tiny in ``<project>/tiny``, given to Snakemake
as the relative path ``tiny``), so a copy of the folder is the same workflow on the same inputs: Snakemake finds
nothing to do in it, and a scenario that edits the copied corpus or settings reruns only the jobs that depend on
the edit.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TINY, copy_corpus, make_project, snakemake

CORPUS = "tiny"  # the corpus folder inside a tiny project, relative to it


@dataclass(frozen=True)
class TinyRun:
    """A finished run: the project folder, the run's and `--report`'s results. Read it, do not write to it."""

    project: Path
    result: subprocess.CompletedProcess
    report: subprocess.CompletedProcess

    @property
    def out(self) -> Path:
        return self.project / "outputs" / "tiny"


def offline() -> tuple[str, ...]:
    """A prefix that cuts the network off (where `unshare` is available)."""
    return ("unshare", "-n") if shutil.which("unshare") else ()


def tiny_project(folder: Path) -> Path:
    """A throw-away project with its own copy of the tiny corpus (run it with ``corpus=CORPUS``)."""
    project = make_project(folder)
    copy_corpus(TINY, project / CORPUS)
    return project


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> TinyRun:
    """`make run` on the tiny corpus, offline: the workflow, then report.html."""
    project = tiny_project(tmp_path_factory.mktemp("tiny_run"))
    result = snakemake(project, corpus=CORPUS, prefix=offline())
    report = snakemake(project, "--report", "outputs/tiny/report.html", corpus=CORPUS, prefix=offline())
    return TinyRun(project, result, report)


def copy_project(project: Path, folder: Path) -> Path:
    """A copy of the finished project, outputs and Snakemake's records included, file times kept (copy2), so
    Snakemake sees nothing to redo; the links to the repository's Snakefile, pipeline/ and notebooks/ stay links."""
    shutil.copytree(project, folder, symlinks=True)
    return folder


@pytest.fixture
def scenario(tiny_run, tmp_path) -> Path:
    """A copy of the finished tiny project to change and rerun (with ``corpus=CORPUS``)."""
    return copy_project(tiny_run.project, tmp_path / "scenario")
