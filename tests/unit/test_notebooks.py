"""Reviewer notebooks: committed without outputs and in sync with their .py pair; the helpers they read outputs
with."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from pipeline import notebooks
from pipeline.core.errors import PipelineError
from pipeline.gate.scan import find_values
from tests.conftest import ROOT, fresh_process

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


def test_the_executor_of_notebooks_runs_without_pandas():
    """``python -m pipeline execute-notebook`` imports what it runs a notebook with (jupytext, nbclient, nbconvert)
    and not pandas, which only the notebooks' kernels use: 0.4 s in each of a run's five notebook jobs."""
    probe = (
        "import sys, pipeline.cli, jupytext, nbformat, nbclient, nbconvert\n"
        "from pipeline import notebooks\n"
        "notebooks.html_exporter(); notebooks.kernel_manager\n"
        "print('pandas' in sys.modules)"
    )
    assert fresh_process(probe).strip() == "False"


def test_the_html_page_is_the_document_nbconvert_writes():
    """``html_exporter`` skips HTMLExporter's second pass through BeautifulSoup (about half of writing the page) and
    makes inputs and outputs focusable itself: parsed, its page is nbconvert's own, tabindex for tabindex."""
    import base64

    import nbformat
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    from pipeline import notebooks

    png = base64.b64encode(bytes.fromhex("89504e470d0a1a0a")).decode()
    nb = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}})
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\nSome *text* & a [link](x.html)."),
        nbformat.v4.new_code_cell(
            "show(df)",
            outputs=[
                nbformat.v4.new_output("stream", name="stdout", text="plain <text>\n"),
                nbformat.v4.new_output("display_data", {"text/html": "<table><tr><td>a</td></tr></table>"}),
                nbformat.v4.new_output(
                    "display_data", {"image/png": png}, metadata={"image/png": {"width": 760, "alt": "Figure x"}}
                ),
            ],
        ),
    ]
    ours, _ = notebooks.html_exporter().from_notebook_node(nb, resources={"metadata": {"name": "t"}})
    reference = HTMLExporter(
        template_name="lab",
        extra_template_paths=[str(ROOT / "pipeline" / "templates")],
        template_file="offline.html.j2",
        embed_images=True,
    )
    theirs, _ = reference.from_notebook_node(nb, resources={"metadata": {"name": "t"}})
    assert str(BeautifulSoup(ours, features="html.parser")) == theirs
    # two inputs (the Markdown cell has one) and three outputs
    assert ours.count('tabindex="0"') == theirs.count('tabindex="0"') == 5
