"""The findings in words and figures (README.md here): wording, tables, the sections of findings.md, the
findings' figures, and the stages (``stage``). The names below are the package's public API."""

from pipeline.report.sections import claims_section, pick_quote
from pipeline.report.stage import FIGURES, draw_figures, format_tables, write_findings
from pipeline.report.tables import coding_sources, prevalence_table, reliability_summary, wave_comparison
from pipeline.report.wording import change_text, group_phrase, lower_first, markdown_table, n_of, share_text, trim_quote

__all__ = [
    "FIGURES",
    "change_text",
    "claims_section",
    "coding_sources",
    "group_phrase",
    "lower_first",
    "markdown_table",
    "n_of",
    "pick_quote",
    "prevalence_table",
    "reliability_summary",
    "draw_figures",
    "write_findings",
    "format_tables",
    "share_text",
    "trim_quote",
    "wave_comparison",
]
