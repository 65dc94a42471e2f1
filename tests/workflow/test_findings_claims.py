"""A wrong claims file, codebook or codes.csv stops the workflow before any job starts."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, TINY, copy_corpus, error_lines, snakemake
from tests.unit.test_findings_claims import own_codebook, own_roles

pytestmark = pytest.mark.slow  # Snakemake runs


def test_a_wrong_claims_file_or_codebook_stops_the_workflow_before_any_job(project, tmp_path):
    corpus = copy_corpus(TINY, tmp_path / "mine")
    own_roles(corpus)
    result = snakemake(project, "-n", corpus=corpus)
    assert result.returncode == 2 and "names the role 'practitioner'" in result.stderr
    assert error_lines(result.stderr)[0].startswith("ERROR: config/findings.yaml:16: ")
    assert not (project / "outputs").exists()
    # the audit's corpus: its own roles and codebook, no claims of its own: it plans, with no claims input
    own_codebook(corpus)
    result = snakemake(project, "-n", corpus=corpus)
    assert result.returncode == 0, result.stderr
    # --config findings=... still overrides
    result = snakemake(project, f"findings={ROOT / 'config' / 'findings.yaml'}", "-n", corpus=corpus)
    assert result.returncode == 2 and "--config findings=PATH" in error_lines(result.stderr)[0]
    # a duplicate code id is found at once, with its line
    book = corpus / "my_codebook.yaml"
    book.write_text(book.read_text().replace("- id: engaging_media", "- id: structure_focus", 1))
    result = snakemake(project, "-n", corpus=corpus)
    [error] = error_lines(result.stderr)
    assert result.returncode == 2 and error.startswith(f"ERROR: {book}:")
    line = int(error.split(":")[2])
    assert book.read_text().splitlines()[line - 1].strip() == "- id: structure_focus"


def test_a_wrong_codes_csv_stops_the_workflow_before_any_job(project, tmp_path):
    corpus = copy_corpus(TINY, tmp_path / "tiny")
    codes = corpus / "codes.csv"
    lines = codes.read_text().splitlines()
    first = lines[1].split(",")
    for bad, problem in (
        ({2: "no_such_code"}, "unknown code id 'no_such_code'. Use a code id from the codebook (config/codebook.yaml)"),
        ({0: "Z99"}, "participant Z99 has no wave-1 interview in manifest.csv"),
        ({1: "one"}, "wave 'one' is not a whole number"),
    ):
        row = [bad.get(i, v) for i, v in enumerate(first)]
        codes.write_text("\n".join([lines[0], *lines[1:3], ",".join(row), *lines[3:]]) + "\n")
        result = snakemake(project, "-n", corpus=corpus)
        assert result.returncode == 2, result.stderr
        assert error_lines(result.stderr)[0].startswith(f"ERROR: {codes}:4: {problem}")
        assert not (project / "outputs").exists()
