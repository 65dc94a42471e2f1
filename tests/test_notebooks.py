"""Reviewer notebooks: committed without outputs and in sync with their .py pair; the helpers they read outputs
with; the executor (kernel, parameters, errors); and every notebook executed by the workflow on the tiny corpus."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pandas as pd
import pytest

from pipeline import notebooks
from pipeline.core.errors import PipelineError
from pipeline.gate.scan import find_values
from tests.conftest import ROOT, error_lines, make_project, run_cli, snakemake

NOTEBOOK_DIR = ROOT / "notebooks"
PAIRS = sorted(NOTEBOOK_DIR.glob("*.py"))


def cells(nb) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source, c.get("metadata", {}).get("tags", [])) for c in nb.cells]


# ---------------------------------------------------------------- the committed notebooks


def test_every_notebook_is_a_listed_pair():
    assert [p.stem for p in PAIRS] == notebooks.NOTEBOOKS
    assert sorted(p.stem for p in NOTEBOOK_DIR.glob("*.ipynb")) == notebooks.NOTEBOOKS
    assert 'formats = "ipynb,py:percent"' in (NOTEBOOK_DIR / "jupytext.toml").read_text()


@pytest.mark.parametrize("path", PAIRS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs_and_matches_its_py(path):
    ipynb = nbformat.read(path.with_suffix(".ipynb"), as_version=4)
    nbformat.validate(ipynb)
    for cell in ipynb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.with_suffix('.ipynb').name} has outputs: clear them "
                "(jupyter nbconvert --clear-output --inplace notebooks/*.ipynb)"
            )
    assert "widgets" not in ipynb.metadata
    assert cells(ipynb) == cells(jupytext.read(path)), (
        f"{path.name} and its .ipynb differ: run jupytext --sync notebooks/*.py"
    )


@pytest.mark.parametrize("path", PAIRS, ids=lambda p: p.stem)
def test_notebook_has_one_parameters_cell_and_reads_through_outputs(path):
    nb = jupytext.read(path)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and tagged[0].source.startswith("OUTPUTS = ")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f'Outputs(OUTPUTS, "{path.stem}")' in code
    # notebooks explain, they do not read files on their own or compute what the pipeline needs
    assert not re.search(r"read_csv|read_parquet|open\(|to_csv|savefig|(from|import) pipeline\.(?!notebooks)", code)
    assert len(notebooks.cell_lines(path.read_text())) == len(nb.cells)


# ---------------------------------------------------------------- helpers


def fake_outputs(tmp_path: Path) -> Path:
    out = tmp_path / "outputs" / "x"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "findings_check.csv").write_text("claim_id,holds,n\na,True,\nb,False,3\n")
    return out


def test_tables_are_read_by_name_with_blank_cells_kept_apart(tmp_path):
    out = notebooks.Outputs(fake_outputs(tmp_path), "05-findings")
    table = out.table("findings_check")
    assert list(table["claim_id"]) == ["a", "b"] and table["holds"].tolist() == [True, False]
    assert table["n"].isna().tolist() == [True, False] and table["n"].iloc[1] == 3


def test_missing_required_file_is_an_error_and_a_missing_optional_one_a_note(tmp_path, capsys):
    out = notebooks.Outputs(fake_outputs(tmp_path), "05-findings")
    with pytest.raises(PipelineError, match="exemplar_quotes.csv is missing"):
        out.table("exemplar_quotes")
    assert out.text("findings.md") is None
    assert "Not produced for this corpus" in capsys.readouterr().out


def test_a_file_not_listed_for_the_notebook_is_refused(tmp_path):
    out = notebooks.Outputs(fake_outputs(tmp_path), "01-corpus-overview")
    with pytest.raises(PipelineError, match="not listed for it"):
        out.table("findings_check")


def test_the_outputs_folder_must_exist(tmp_path):
    with pytest.raises(PipelineError, match="no outputs"):
        notebooks.Outputs(tmp_path / "outputs" / "nothing", "01-corpus-overview")


def test_embedded_images_are_not_searched_for_identifiers(tmp_path):
    # a name that appears only inside base64 image data is not a leak; the same name in the page is
    page = tmp_path / "page.html"
    page.write_text('<img src="data:image/png;base64,AAAA+Jo/BBBB"><p>text</p>')
    nb = tmp_path / "nb.ipynb"
    nb.write_text(json.dumps({"outputs": [{"data": {"image/png": "AAAA+Jo/BBBB\n"}}]}, indent=1))
    assert find_values(tmp_path, {"Jo"}) == []
    page.write_text('<img src="data:image/png;base64,AAAA"><p>I met Jo there</p>')
    assert find_values(tmp_path, {"Jo"}) == [(str(page), 1)]


# ---------------------------------------------------------------- the executor


def write_notebook(path: Path, body: str) -> Path:
    path.write_text('# %%\nimport sys\n\n# %% tags=["parameters"]\nOUTPUTS = "unset"\n\n' + body)
    return path


def test_executor_injects_the_parameter_and_uses_this_python(tmp_path):
    source = write_notebook(tmp_path / "probe.py", "# %%\nprint(OUTPUTS)\nprint(sys.executable)\n")
    notebooks.execute_notebook(source, "outputs/probe", tmp_path / "probe.ipynb", tmp_path / "probe.html")
    nb = nbformat.read(tmp_path / "probe.ipynb", as_version=4)
    assert nb.cells[2].metadata["tags"] == ["injected-parameters"]
    assert nb.cells[-1].outputs[0]["text"] == f"outputs/probe\n{sys.executable}\n"
    assert [c.id for c in nb.cells] == ["cell-00", "cell-01", "cell-02", "cell-03"]
    page = (tmp_path / "probe.html").read_text()
    assert "outputs/probe" in page and not re.search(r"<script[^>]+src=|<link[^>]+href=\"http", page)


def test_a_failing_cell_fails_with_one_error_line_naming_notebook_and_cell(tmp_path):
    source = write_notebook(tmp_path / "broken.py", "# %%\nx = 1\n\n# %%\n1 / 0\n")
    result = run_cli(
        "execute-notebook", source, "--outputs", "o", "--ipynb", tmp_path / "b.ipynb", "--html", tmp_path / "b.html",
        "--log", tmp_path / "b.log",
    )  # fmt: skip
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        f"ERROR: {source}:10: notebook broken: cell 4 failed (ZeroDivisionError). The traceback is in this job's "
        "log; fix the cell or the output it reads, then rerun."
    ]
    assert "ZeroDivisionError" in (tmp_path / "b.log").read_text()
    assert not (tmp_path / "b.ipynb").exists() and not (tmp_path / "b.html").exists()


# ---------------------------------------------------------------- the workflow runs every notebook


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """One workflow run on the tiny corpus up to the notebooks (and what they read)."""
    project = make_project(tmp_path_factory.mktemp("notebooks"))
    result = snakemake(project, "--until", "execute_notebook")  # not the final scan and provenance
    assert result.returncode == 0, result.stderr[-3000:]
    return project / "outputs" / "tiny"


@pytest.mark.slow
@pytest.mark.parametrize("name", notebooks.NOTEBOOKS)
def test_workflow_executes_the_notebook_on_the_corpus_outputs(executed, name):
    nb = nbformat.read(executed / "notebooks" / f"{name}.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "OUTPUTS = 'outputs/tiny'" in injected[0].source
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and not [o for o in outputs if o.output_type == "error"]
    page = (executed / "notebooks" / f"{name}.html").read_text()
    assert f"<title>{name}</title>" in page
    # self-contained: no script or stylesheet fetched from elsewhere, figures embedded
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", page)
    figures = sum(1 for o in outputs if "image/png" in o.get("data", {}))
    assert page.count('src="data:image/png;base64,') == figures
    log = (executed / "logs" / "execute_notebook" / f"{name}.log").read_text()
    assert f"executed {name}" in log and (executed / "benchmarks" / "execute_notebook" / f"{name}.tsv").exists()


@pytest.mark.slow
def test_sentiment_notebook_shows_both_figures_and_topics_notebook_reports_what_is_missing(executed):
    sentiment = (executed / "notebooks" / "04-sentiment.html").read_text()
    assert sentiment.count('src="data:image/png;base64,') == 2
    assert "Drawn by <code>pipeline.sentiment.figures.sentiment_by_code</code>" in sentiment
    topics = (executed / "notebooks" / "03-topics.html").read_text()
    present = {p for p in notebooks.READS["03-topics"]["optional"] if (executed / p).exists()}
    for relative in notebooks.READS["03-topics"]["optional"]:
        note = f"Not produced for this corpus: <code>{relative}</code>"
        assert (note in topics) == (relative not in present), relative
    findings = pd.read_csv(executed / "tables" / "findings_check.csv")
    assert (
        f"{int(findings['holds'].sum())} of {len(findings)} claims hold."
        in (executed / "notebooks" / "05-findings.html").read_text()
    )


def test_the_kernel_process_stderr_goes_to_the_log_not_the_console(tmp_path):
    """The kernel's own messages (tornado's "Uncaught exception in ZMQStream callback" when it shuts down
    after a failed cell, once in a while) would otherwise reach the console as a second ERROR line."""
    source = write_notebook(tmp_path / "noisy.py", '# %%\nimport os\nos.write(2, b"ERROR:tornado.general:noise\\n")\n')
    result = run_cli(
        "execute-notebook", source, "--outputs", "o", "--ipynb", tmp_path / "n.ipynb", "--html", tmp_path / "n.html",
        "--log", tmp_path / "n.log",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "noise" not in result.stderr
    assert "ERROR:tornado.general:noise" in (tmp_path / "n.log").read_text()
