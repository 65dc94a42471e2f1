"""The report stages: findings.md and its tables, and the findings' figures."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from pipeline.core.errors import PipelineError
from pipeline.core.files import write_csv, write_text
from pipeline.core.plots import save
from pipeline.report import figures
from pipeline.report.sections import findings_markdown
from pipeline.report.tables import (
    codes_frame,
    coding_sources,
    participants_table,
    prevalence_table,
    reliability_summary,
    wave_comparison,
)
from pipeline.report.wording import latex_table, markdown_table

log = logging.getLogger(__name__)


FIGURES = {
    "prevalence": "prevalence_by_role",
    "heatmap": "participant_code_heatmap",
    "cooccurrence": "code_cooccurrence",
    "saturation": "saturation",
    "waves": "wave_comparison",
}


# ---------------------------------------------------------------- edges


def _read(path, text: bool = False) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise PipelineError("table not found", "Run the workflow (make run) to produce it", file=path)
    return pd.read_csv(path, keep_default_na=False) if text else pd.read_csv(path)


def format_tables(by_role_csv, participants_csv, reliability_csv, validation_csv, by_wave_csv, matrix_csv, roles, out):
    """The headline tables in Markdown and LaTeX beside their CSV; tables/reliability_summary.csv and
    tables/wave_comparison.csv."""

    by_role = _read(by_role_csv)
    labels = dict(zip(codes_frame(by_role)["code_id"], codes_frame(by_role)["label"], strict=True))
    summary = reliability_summary(_read(reliability_csv), _read(validation_csv), labels)
    write_csv(summary, out["reliability"])
    tables = {
        "prevalence": (
            prevalence_table(by_role, roles),
            "Participants who raised each theme and code, by group: n/N (%).",
        ),
        "participants": (participants_table(_read(participants_csv)), "Interviews and participants by group and wave."),
        "reliability": (summary, "Agreement per code: Cohen's kappa and Gwet's AC1 per comparison; machine F1."),
    }
    for key, (table, caption) in tables.items():
        stem = Path(out[key]).stem
        write_text(markdown_table(table), Path(out[key]).with_suffix(".md"))
        write_text(latex_table(table, caption, f"tab:{stem}"), Path(out[key]).with_suffix(".tex"))
    matrix = _read(matrix_csv)
    comparison = wave_comparison(_read(by_wave_csv), matrix, roles)
    write_csv(comparison, out["waves"])
    log.info("wrote %d tables in Markdown and LaTeX; %d wave comparisons", len(tables), len(comparison))


def draw_figures(by_role_csv, matrix_csv, cooccurrence_csv, saturation_csv, waves_csv, roles, out):
    """The five findings figures, PNG (300 dpi) with its SVG beside it. ``out``: the PNG path of each figure (keys of
    ``FIGURES``), or a folder where they take their names from ``FIGURES``."""
    if not isinstance(out, dict):
        out = {key: Path(out) / f"{name}.png" for key, name in FIGURES.items()}

    by_role = _read(by_role_csv)
    codes = codes_frame(by_role)
    drawn = {
        "prevalence": figures.prevalence_by_role(by_role, roles),
        "heatmap": figures.participant_code_heatmap(_read(matrix_csv), codes, roles),
        "cooccurrence": figures.cooccurrence_heatmap(_read(cooccurrence_csv), codes),
        "saturation": figures.saturation_curves(_read(saturation_csv), roles, len(codes)),
        "waves": figures.wave_comparison(_read(waves_csv), codes, roles),
    }
    for key, fig in drawn.items():
        save(fig, out[key])
    log.info("drew %d figures", len(drawn))


def write_findings(paths: dict, roles: dict, name: str, claims_source: str, out) -> str:
    """findings.md from the tables named in ``paths``."""

    text_tables = {"exemplars", "check", "segment_codes", "participants"}
    tables = {key: _read(path, text=key in text_tables) for key, path in paths.items()}
    tables["sources"] = coding_sources(tables.pop("segment_codes"))
    text = findings_markdown(tables, roles, name, claims_source)
    write_text(text, out)
    log.info("findings.md: %d lines, %d exemplar quotes", text.count("\n"), text.count("\n> "))
    return text
