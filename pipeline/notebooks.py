"""Reviewer notebooks: the helpers they read outputs with, and the executor the workflow runs them with.

The notebooks in ``notebooks/`` (jupytext percent ``.py`` files paired with ``.ipynb``) explain a corpus's
outputs to reviewers; they compute nothing the pipeline needs. They read ``outputs/<corpus>/`` only, through
:class:`Outputs`, which knows what each notebook may read (:data:`READS`). The workflow makes those files
inputs of the notebook's job, so a notebook runs after the stages that write them; reading a file that is
not listed there is an error, so the list cannot fall behind the notebook.

:func:`execute` is the edge the ``execute_notebook`` rule calls (``python -m pipeline execute-notebook``): it reads
the ``.py`` with jupytext, sets the outputs folder in a cell after the one tagged ``parameters``, runs every
cell in a kernel of this Python (nbclient), and writes the executed ``.ipynb`` and a self-contained ``.html``.
"""

from __future__ import annotations

import atexit
import contextlib
import html
import logging
import os
import re
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core.errors import PipelineError
from pipeline.core.files import atomic_path, write_text

if TYPE_CHECKING:  # pandas (0.4 s to import) serves the notebooks' kernels: the executor runs without it
    import pandas as pd

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"

# What each notebook reads, relative to outputs/<corpus>/. Required files are made by every run; a missing
# optional file (a stage this corpus or this version of the workflow does not have) is reported in the
# notebook as "not produced for this corpus". The workflow waits for an optional file only when one of its
# rules makes it.
_TOPICS = [
    "tables/topics.csv",
    "tables/segment_topics.csv",
    "tables/topics_per_role.csv",
    "tables/topics_per_wave.csv",
    "tables/topic_code_crosswalk.csv",
    "tables/topic_quality.csv",
    "tables/guided_topics.csv",
    "tables/guided_topic_code_crosswalk.csv",
    "figures/topic_words.png",
    "figures/topics_by_role.png",
    "figures/topic_code_heatmap.png",
]
READS: dict[str, dict[str, list[str]]] = {
    "01-corpus-overview": {
        "required": [
            "tables/participants.csv",
            "tables/interviews.csv",
            "tables/segments.csv",
            "tables/anonymisation_summary.csv",
        ],
        "optional": [],
    },
    "02-thematic-coding": {
        "required": [
            "tables/segment_codes.csv",
            "tables/coding_validation.csv",
            "tables/reliability.csv",
            "tables/review_queue.csv",
            "tables/code_prevalence_by_role.csv",
            "tables/code_prevalence_by_wave.csv",
            "tables/participant_code_matrix.csv",
            "tables/code_cooccurrence.csv",
            "tables/saturation.csv",
            "tables/exemplar_quotes.csv",
        ],
        "optional": [
            "tables/reliability_summary.csv",
            "tables/wave_comparison.csv",
            "figures/prevalence_by_role.png",
            "figures/wave_comparison.png",
            "figures/participant_code_heatmap.png",
            "figures/code_cooccurrence.png",
            "figures/saturation.png",
        ],
    },
    "03-topics": {"required": [], "optional": _TOPICS},
    "04-sentiment": {
        "required": [
            "tables/segment_sentiment.csv",
            "tables/sentiment_by_role.csv",
            "tables/sentiment_by_wave.csv",
            "tables/sentiment_by_participant.csv",
            "tables/sentiment_by_code_role.csv",
            "tables/sentiment_validation.csv",
            "figures/sentiment_by_code.png",
            "figures/sentiment_by_wave.png",
        ],
        "optional": [],
    },
    "05-findings": {
        "required": [
            "tables/findings_check.csv",
            "tables/code_prevalence_by_role.csv",
            "tables/exemplar_quotes.csv",
        ],
        "optional": ["figures/prevalence_by_role.png", "findings.md"],
    },
}
NOTEBOOKS = list(READS)


# ---------------------------------------------------------------- reading outputs (used inside the notebooks)

MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")


def outputs_folder(folder: str | Path) -> Path:
    """The corpus output folder; a relative path is tried from here, then from the project root."""
    path = Path(folder)
    for candidate in (path, ROOT / path) if not path.is_absolute() else (path,):
        if (candidate / "tables").is_dir():
            return candidate
    raise PipelineError(
        f"there are no outputs in {folder} (no tables/ folder)",
        "Run the workflow first (make run), or set OUTPUTS in the parameters cell to outputs/<corpus>",
        file=folder,
    )


def _display(obj) -> None:
    # Jupyter's libraries load only where notebooks are run or read
    from IPython.display import display

    display(obj)


def _html(markup: str, plain: str) -> None:
    """HTML for the notebook and its .html page, plain text for a console."""
    # Jupyter's libraries load only where notebooks are run or read
    from IPython.display import display

    display({"text/html": markup, "text/plain": plain}, raw=True)


def not_produced(relative: str) -> None:
    """Say, in the notebook, that an optional output is missing (instead of failing)."""
    _html(
        f"<p><em>Not produced for this corpus: <code>{html.escape(relative)}</code> does not exist.</em></p>",
        f"Not produced for this corpus: {relative} does not exist.",
    )


class Outputs:
    """A corpus's outputs folder as one notebook sees it: tables by name, figures, text files.

    ``Outputs("outputs/demo", "02-thematic-coding").table("reliability")`` reads
    ``outputs/demo/tables/reliability.csv``. A file outside the notebook's entry in READS is refused.
    """

    def __init__(self, folder: str | Path, notebook: str):
        if notebook not in READS:
            raise PipelineError(f"unknown notebook {notebook!r}", f"Use one of {', '.join(NOTEBOOKS)}")
        self.folder = outputs_folder(folder)
        self.notebook = notebook
        self.required = set(READS[notebook]["required"])
        self.optional = set(READS[notebook]["optional"])

    def path(self, relative: str) -> Path | None:
        """The file's path, or None for a missing optional file; a missing required file is an error."""
        if relative not in self.required | self.optional:
            raise PipelineError(
                f"notebook {self.notebook} reads {relative}, which is not listed for it",
                "Add it to READS in pipeline/notebooks.py, so the workflow runs the notebook after the stage "
                "that writes it",
                file=NOTEBOOK_DIR / f"{self.notebook}.py",
            )
        path = self.folder / relative
        if path.exists():
            return path
        if relative in self.required:
            raise PipelineError(
                f"{relative} is missing from {self.folder}",
                "Run the workflow (make run) before this notebook",
                file=path,
            )
        return None

    def table(self, name: str) -> pd.DataFrame | None:
        """tables/<name>.csv as a DataFrame; None (and a note in the notebook) for a missing optional table."""
        relative = f"tables/{name}.csv"
        path = self.path(relative)
        if path is None:
            not_produced(relative)
            return None
        import pandas as pd

        # nullable types: a count column with blanks stays whole numbers (16, not 16.0)
        return pd.read_csv(path).convert_dtypes()

    def text(self, relative: str) -> str | None:
        path = self.path(relative)
        if path is None:
            not_produced(relative)
            return None
        return path.read_text(encoding="utf-8")

    def show_markdown(self, relative: str) -> None:
        """A Markdown file rendered in the notebook; its image links become a line naming the figure file."""
        # Jupyter's libraries load only where notebooks are run or read
        from IPython.display import Markdown

        text = self.text(relative)
        if text is None:
            return
        text = MARKDOWN_IMAGE.sub(lambda m: f"*[{m[1]}: figure file `{m[2]}`]*", text)
        _display(Markdown(text))

    def figure(self, name: str, made_by: str, data: str, width: int = 760) -> None:
        """Show figures/<name>.png with a caption naming its file, the function that drew it and its data."""
        # Jupyter's libraries load only where notebooks are run or read
        from IPython.display import Image

        relative = f"figures/{name}.png"
        path = self.path(relative)
        if path is None:
            not_produced(relative)
            return
        _display(Image(filename=str(path), width=width, alt=f"Figure {relative}, drawn by {made_by}"))
        _html(
            f"<p><small>Figure file: <code>{relative}</code> (an SVG beside it). Drawn by "
            f"<code>{html.escape(made_by)}</code> from <code>{html.escape(data)}</code>.</small></p>",
            f"Figure file: {relative} (an SVG beside it). Drawn by {made_by} from {data}.",
        )


def show(df: pd.DataFrame | None, columns: list[str] | None = None, max_rows: int = 25, caption: str = "") -> None:
    """A table as HTML: no index, empty cells blank, at most ``max_rows`` rows (and says how many there are)."""
    if df is None:
        return
    shown = df[[c for c in columns if c in df.columns]] if columns else df
    note = f" (first {max_rows} of {len(df)} rows)" if len(df) > max_rows else f" ({len(df)} rows)"
    shown = shown.head(max_rows)
    shown = shown.astype(object).where(shown.notna(), "")  # empty cells blank, whatever their type
    table = shown.to_html(index=False, border=0, classes="dataframe")
    _html(
        f"<p><small>{html.escape(caption)}{note}</small></p>{table}", f"{caption}{note}\n{shown.to_string(index=False)}"
    )


def show_quotes(df: pd.DataFrame | None, by: list[str], text: str = "text", max_quotes: int = 12) -> None:
    """Quotes as block quotes, each headed by the values of ``by`` (code, role, participant ...)."""
    if df is None:
        return
    parts, plain = [], []
    for row in df.head(max_quotes).to_dict("records"):
        head = ", ".join(f"{k}: {row[k]}" for k in by)
        parts.append(
            f"<p><strong>{html.escape(head)}</strong></p><blockquote>{html.escape(str(row[text]))}</blockquote>"
        )
        plain.append(f"{head}\n    {row[text]}")
    if len(df) > max_quotes:
        parts.append(f"<p><small>{max_quotes} of {len(df)} quotes shown.</small></p>")
        plain.append(f"{max_quotes} of {len(df)} quotes shown.")
    _html("\n".join(parts), "\n".join(plain))


# ---------------------------------------------------------------- executing a notebook (the workflow's edge)

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CELL_MARKER = re.compile(r"^# %%")


def cell_lines(text: str) -> list[int]:
    """Line numbers (1-based) where the cells of a percent-format .py start."""
    return [i for i, line in enumerate(text.splitlines(), start=1) if CELL_MARKER.match(line)]


def inject_parameters(nb, values: dict) -> int:
    """Put a cell setting ``values`` after the cell tagged ``parameters`` (papermill's convention).

    Returns the index of the parameters cell.
    """
    # Jupyter's libraries load only where notebooks are run
    import nbformat

    index = next(
        (i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])),
        None,
    )
    if index is None:
        raise PipelineError(
            "the notebook has no cell tagged parameters", 'Tag the cell that sets OUTPUTS: # %% tags=["parameters"]'
        )
    source = "# Parameters set by the workflow (python -m pipeline execute-notebook)\n" + "\n".join(
        f"{k} = {v!r}" for k, v in values.items()
    )
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(index + 1, cell)
    return index


def kernel_manager(sockets: Path):
    """A kernel of this very Python (sys.executable), whatever python3 kernelspecs are installed elsewhere.

    It talks to us over Unix sockets in the folder ``sockets``, not TCP: the workflow also runs where the
    network is cut off, loopback included (the offline test runs it under ``unshare -n``).
    """
    # Jupyter's libraries load only where notebooks are run
    from jupyter_client.kernelspec import KernelSpecManager

    # Jupyter's libraries load only where notebooks are run
    from jupyter_client.manager import AsyncKernelManager

    # With no kernel folders to search, jupyter_client falls back on ipykernel's own spec, whose command
    # is built from sys.executable: the project's environment, never another Python's kernel.
    return AsyncKernelManager(
        kernel_name="python3",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[]),
        transport="ipc",
        ip=str(sockets / "kernel"),
    )


# What nbconvert's HTMLExporter makes focusable after rendering (tabindex="0", for keyboard readers): each cell's
# input and each output, as the lab template writes them
FOCUSABLE = re.compile(r'<div class="(jp-Cell-inputWrapper|[^"]*\bjp-OutputArea-output\b[^"]*)"')


def html_exporter():
    """nbconvert's lab template, without the scripts it would load from a CDN.

    The page needs none of them: no widgets, no LaTeX, no diagrams. Its CSS is inlined by the template and
    images are embedded as data URIs, so the file renders the same offline. nbconvert's HTMLExporter parses its
    page again with BeautifulSoup to make inputs and outputs focusable and to give images an alternative text;
    here the rendered page gets the same tabindex from one regular expression (``FOCUSABLE``), and our template
    writes every figure's alternative text. The page is the same document (a unit test compares the two parsed),
    in about half the time (0.03-0.26 s less per page of the demo's and the 1,250 interviews' notebooks).
    """
    # Jupyter's libraries load only where notebooks are run
    from nbconvert import HTMLExporter

    # Jupyter's libraries load only where notebooks are run
    from nbconvert.exporters.templateexporter import TemplateExporter

    # Jupyter's libraries load only where notebooks are run
    from nbconvert.filters.highlight import Highlight2HTML

    # Jupyter's libraries load only where notebooks are run
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class OfflineHTMLExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            # HTMLExporter.from_notebook_node up to its BeautifulSoup pass: the code highlighter for the
            # notebook's language and the filter choosing each output's representation
            language = nb.metadata.get("language_info", {})
            lexer = language.get("pygments_lexer", language.get("name", None))
            highlight = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources)
            self.register_filter("highlight_code", highlight)
            self.register_filter("filter_data_type", data_type)
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return FOCUSABLE.sub(lambda m: f'{m[0]} tabindex="0"', page), resources

    return OfflineHTMLExporter(
        template_name="lab",
        extra_template_paths=[str(Path(__file__).parent / "templates")],
        template_file="offline.html.j2",
        embed_images=True,
    )


def _warm_exporter():
    """``html_exporter()`` after one page of a two-cell notebook: its template compiled, the code highlighter and
    the Markdown renderer loaded (a third of a second the first page takes), ready for the real page."""
    # Jupyter's libraries load only where notebooks are run
    import nbformat

    exporter = html_exporter()
    page = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}})
    page.cells = [nbformat.v4.new_markdown_cell("*warm-up*"), nbformat.v4.new_code_cell("1")]
    exporter.from_notebook_node(page, resources={"metadata": {"name": "warm-up"}})
    return exporter


def _failed_cell(nb) -> tuple[int, dict] | None:
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return i, output
    return None


@contextlib.contextmanager
def _kernel_stderr(folder: Path):
    """A file for the kernel process's stderr; what it holds is copied to this job's log at the end."""
    path = folder / "kernel-stderr.txt"
    with open(path, "w", encoding="utf-8") as handle:
        try:
            yield handle
        finally:
            handle.flush()
            text = path.read_text(encoding="utf-8", errors="replace").strip()
            if text:
                log.info("the kernel's own messages:\n%s", text)


def execute_notebook(source: str | Path, outputs: str | Path, ipynb_out: str | Path, html_out: str | Path, timeout=600):
    """Run the notebook ``source`` (.py, percent format) on ``outputs``; write the executed .ipynb and .html."""

    # Jupyter's libraries load only where notebooks are run
    import jupytext

    # Jupyter's libraries load only where notebooks are run
    import nbformat

    # Jupyter's libraries load only where notebooks are run
    from nbclient import NotebookClient

    # Jupyter's libraries load only where notebooks are run
    from nbclient.exceptions import CellExecutionError

    started = time.perf_counter()
    source = Path(source)
    name = source.stem
    nb = jupytext.read(source)
    starts = cell_lines(source.read_text(encoding="utf-8"))
    starts = starts if len(starts) == len(nb.cells) else []
    parameters = inject_parameters(nb, {"OUTPUTS": str(outputs)})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids: the same notebook gives the same file every run
    nb.metadata.pop("jupytext", None)
    nb.metadata["title"] = name
    # nbconvert (imported, its templates loaded) is made ready in a thread while the kernel runs the cells
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        tempfile.TemporaryDirectory(prefix="qualeval-kernel-") as sockets,
        _kernel_stderr(Path(sockets)) as stderr,
    ):
        exporter = pool.submit(_warm_exporter)
        client = NotebookClient(
            nb,
            km=kernel_manager(Path(sockets)),
            timeout=timeout,
            record_timing=False,
            # every output has been received when the last cell ends: the kernel is stopped, not asked to stop
            shutdown_kernel="immediate",
            # the kernel's own warnings (e.g. that its channels are not encrypted) would reach the console
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            resources={"metadata": {"path": os.getcwd()}},
        )
        try:
            # the kernel process's own stderr (e.g. tornado's "Uncaught exception in ZMQStream callback" while a
            # kernel shuts down after a failed cell) goes to this job's log, not the console
            client.execute(cleanup_kc=True, stderr=stderr)
        except CellExecutionError as exc:
            index, output = _failed_cell(nb) or (None, {})
            log.info("traceback of the failed cell:\n%s", ANSI.sub("", "\n".join(output.get("traceback", [str(exc)]))))
            original = None if index is None else (index if index <= parameters else index - 1)
            line = starts[original] if starts and original is not None else None
            # the console gets the exception's type (and our own messages, which hold paths only): its value
            # could quote the data, so it goes to the log with the traceback
            what = output.get("ename", "an error")
            if what == "PipelineError":
                what += ": " + ANSI.sub("", output.get("evalue", "")).rstrip(".")
            raise PipelineError(
                f"notebook {name}: cell {original + 1 if original is not None else '?'} failed ({what})",
                "The traceback is in this job's log; fix the cell or the output it reads, then rerun",
                file=source,
                line=line,
            ) from None
        except RuntimeError as exc:  # the kernel did not start, or died (nbclient and jupyter_client messages)
            atexit.unregister(client._cleanup_kernel)  # nothing left to clean up; spares a second traceback
            log.info("the kernel failed:\n%s", traceback.format_exc())
            raise PipelineError(
                f"notebook {name}: the Jupyter kernel failed ({type(exc).__name__}: {exc})",
                f"Check that ipykernel is installed in {sys.executable}; the details are in this job's log",
                file=source,
            ) from None
        exporter = exporter.result()
    with atomic_path(ipynb_out) as tmp:
        nbformat.write(nb, tmp)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": name}})
    write_text(body, html_out)
    log.info(
        "executed %s (%d cells) on %s with %s in %.1fs",
        name,
        len(nb.cells),
        outputs,
        sys.executable,
        time.perf_counter() - started,
    )
