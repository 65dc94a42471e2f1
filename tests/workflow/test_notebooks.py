"""Reviewer notebooks: every notebook executed by the workflow on the tiny corpus (the shared clean run)."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest

from pipeline import notebooks

pytestmark = pytest.mark.slow  # Snakemake runs

# ---------------------------------------------------------------- the workflow runs every notebook


@pytest.fixture(scope="module")
def executed(tiny_run):
    """The outputs of the shared clean run of the tiny corpus: the notebooks and what they read."""
    assert tiny_run.result.returncode == 0, tiny_run.result.stderr[-3000:]
    return tiny_run.out


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
