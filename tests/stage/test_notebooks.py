"""Reviewer notebooks: the executor (kernel, parameters, errors), run as a Snakemake job runs it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

from pipeline import notebooks
from tests.conftest import error_lines, run_cli

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
