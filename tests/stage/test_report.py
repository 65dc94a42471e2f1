"""Report stage edges on small hand-made tables: tables in Markdown and LaTeX, the figures, findings.md, and the
CLI's errors."""

from __future__ import annotations

import pandas as pd

from pipeline import report
from tests.conftest import TINY, cli, error_lines
from tests.unit.test_report import (
    CODES,
    ROLES,
    by_role_table,
    by_wave_table,
    exemplar_table,
    matrix_table,
    reliability_table,
    segment_codes_table,
    validation_table,
)


def write_tables(folder) -> dict:
    """The tables report.run_* read, as CSV files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = [c[0] for c in CODES]
    tables = {
        "by_role": by_role_table(),
        "by_wave": by_wave_table(),
        "matrix": matrix_table(),
        "cooccurrence": pd.DataFrame(
            [[c, *[(3 if c == d else 1) for d in ids]] for c in ids], columns=["code_id", *ids]
        ),
        "saturation": pd.DataFrame(
            [
                ("practitioner", 1, "P1_w1", 2, 2),
                ("practitioner", 2, "P2_w1", 1, 3),
                ("practitioner", 3, "P3_w1", 0, 3),
                ("service_user", 1, "S1_w1", 2, 2),
            ],
            columns=["role", "interview_number", "interview_id", "new_codes", "cumulative_codes"],
        ),
        "participants": pd.DataFrame(
            [
                ("practitioner", "Case managers", "1", 3, 3, 3000, 60, 40, 1000.0),
                ("service_user", "Men on probation", "1", 2, 2, 1500, 40, 30, 750.0),
                ("practitioner", "Case managers", "2", 1, 1, 800, 15, 45, 800.0),
                ("total", "Total", "all", 6, 5, 5300, 115, 38, 883.3),
            ],
            columns=[
                "role",
                "role_label",
                "wave",
                "interviews",
                "participants",
                "participant_words",
                "participant_turns",
                "median_turn_words",
                "words_per_interview",
            ],
        ),
        "reliability": reliability_table(),
        "validation": validation_table(),
        "exemplars": exemplar_table(),
        "segment_codes": segment_codes_table(),
        "sentiment": pd.DataFrame(
            [("practitioner", 20, 0.15, 0.1, 0.2, 12, 3, 4, 1), ("service_user", 10, 0.05, -0.02, 0.12, 5, 2, 3, 0)],
            columns=["role", "segments", "mean_compound", "ci_low", "ci_high", "n_positive", "n_negative"]
            + ["n_neutral", "n_mixed"],
        ),
        "sentiment_validation": pd.DataFrame(
            [
                ("plain VADER", 30, 0.3, 0.2, 0.1, 0.3),
                ("domain-adapted", 30, 0.4, 0.25, 0.15, 0.35),
                ("supervised (participant-grouped CV)", 30, 0.7, 0.58, 0.5, 0.66),
            ],
            columns=["lexicon", "n", "accuracy", "macro_f1", "macro_f1_ci_low", "macro_f1_ci_high"],
        ),
        "check": pd.DataFrame(
            [
                ("cm_structure", "prevalence", "strength", "practitioner", "structure_focus")
                + ("Most case managers found structure.", ">= 2 of 3", "3 of 3", True),
                ("tech_contrast", "comparison", "", "practitioner", "technology_barriers")
                + ("Technology was a practitioner theme.", "share of practitioner > share of service_user")
                + ("2/3 vs 0/2", True),
                ("su_tech", "prevalence", "challenge", "service_user", "technology_barriers")
                + ("Some men lacked devices.", ">= 1 of 2", "0 of 2", False),
            ],
            columns=["claim_id", "kind", "report", "role", "code_or_theme", "statement", "expected", "measured"]
            + ["holds"],
        ),
    }
    paths = {}
    for name, table in tables.items():
        paths[name] = folder / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    return paths


# ---------------------------------------------------------------- edges: tables, figures, findings.md


def test_tables_are_written_in_markdown_and_latex(tmp_path):
    paths = write_tables(tmp_path / "in")
    out = tmp_path / "tables"
    targets = {
        "prevalence": out / "code_prevalence_by_role.csv",
        "participants": out / "participants.csv",
        "reliability": out / "reliability_summary.csv",
        "waves": out / "wave_comparison.csv",
    }
    report.format_tables(
        paths["by_role"],
        paths["participants"],
        paths["reliability"],
        paths["validation"],
        paths["by_wave"],
        paths["matrix"],
        ROLES,
        targets,
    )
    for stem in ("code_prevalence_by_role", "participants", "reliability_summary"):
        assert (out / f"{stem}.md").read_text().startswith("| ")
        tex = (out / f"{stem}.tex").read_text()
        assert "\\begin{tabular}" in tex and f"\\label{{tab:{stem}}}" in tex
    assert "3/3 (100\\%)" in (out / "code_prevalence_by_role.tex").read_text()
    assert "5,300" in (out / "participants.md").read_text()
    assert pd.read_csv(out / "wave_comparison.csv")["change_pp"].notna().all()


def test_every_figure_is_drawn_as_png_and_svg_the_same_twice(tmp_path):
    paths = write_tables(tmp_path / "in")
    waves = tmp_path / "in" / "wave_comparison.csv"
    report.wave_comparison(by_wave_table(), matrix_table(), ROLES).to_csv(waves, index=False)
    drawn = []
    for run in ("first", "second"):
        args = (paths["by_role"], paths["matrix"], paths["cooccurrence"], paths["saturation"], waves, ROLES)
        report.draw_figures(*args, tmp_path / run)
        drawn.append({p.name: p.read_bytes() for p in sorted((tmp_path / run).iterdir())})
    assert sorted(drawn[0]) == sorted(f"{name}.{ext}" for name in report.FIGURES.values() for ext in ("png", "svg"))
    for name, data in drawn[0].items():
        assert data[:4] == b"\x89PNG" if name.endswith(".png") else data.lstrip().startswith(b"<?xml")
    assert drawn[0] == drawn[1]
    svg = drawn[0]["prevalence_by_role.svg"].decode()
    assert "Structure and focus" in svg and "3/3" in svg and "structure_focus" not in svg


def findings_inputs(tmp_path, paths) -> dict:
    """The tables run_findings reads (written by write_tables), with the wave comparison."""
    waves = tmp_path / "in" / "wave_comparison.csv"
    report.wave_comparison(by_wave_table(), matrix_table(), ROLES).to_csv(waves, index=False)
    keys = ("by_role", "participants", "exemplars", "segment_codes", "reliability", "validation", "sentiment")
    inputs = {k: paths[k] for k in keys} | {"waves": waves}
    return inputs | {"sentiment_validation": paths["sentiment_validation"], "check": paths["check"]}


def test_findings_md_has_the_sections_of_a_paper_from_the_tables(tmp_path):
    inputs = findings_inputs(tmp_path, write_tables(tmp_path / "in"))
    text = report.write_findings(inputs, ROLES, "tiny", "config/findings.yaml", tmp_path / "findings.md")
    assert (tmp_path / "findings.md").read_text() == text
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Participants (Table 1)",
        "## Findings by group",
        "## Themes and codes",
        "## Change between waves",
        "## Reliability of the coding",
        "## Sentiment",
        "## Check of the study's findings",
        "## Figures",
    ]
    assert (
        "The analysis covers 6 interviews with 5 participants. Wave 1: 3 interviews with case managers and 2 with "
        "men on probation. Wave 2: 1 interview with case managers."
    ) in text
    assert "All 3 case managers and both men on probation raised at least one code of this theme." in text
    assert "**Technology barriers**: case managers 2/3 (67%); men on probation 0/2 (0%)." in text
    assert "- **Challenges**: Technology barriers (2/3)." in text  # per group, most often raised first
    assert "- **Challenges**: none raised." in text  # the men raised no challenge
    assert "(P1, case managers, wave 1)" in text and text.count("It gave the session a shape.") == 1
    assert "Sentence number 0 says" in text and "[...]" in text
    assert "Among them, the largest changes: Structure and focus 1/1 \u2192 0/1" in text
    assert "wave 2 has 1 final codes, 0% of them from human coding" in text
    assert "coder1 vs coder2: pooled Cohen's kappa 0.65" in text
    assert "macro-F1 0.25, below 0.6: these scores are not findings" in text
    assert "case managers 0.15 (20 segments, 95% interval 0.10 to 0.20, resampling participants)" in text
    assert "Cohen's kappa 0.60 (moderate agreement; 95% interval 0.45 to 0.72, resampling participants)." in text
    assert (
        "macro-F1 0.58 (95% interval 0.50 to 0.66, resampling participants) under participant-grouped "
        "cross-validation (below 0.6: read its mixed and neutral labels against the quotes)."
    ) in text
    assert "2 of 3 claims in config/findings.yaml hold on these data; these do not: su_tech (0 of 2)." in text
    assert "share of case managers > share of men on probation" in text
    assert "structure_focus" not in text.replace("su_tech", ""), "codes are named in words"


def test_a_missing_table_is_one_error_line(tmp_path):
    paths = write_tables(tmp_path / "in")
    args = ["draw-figures", "--by-role", tmp_path / "nowhere.csv", "--matrix", paths["matrix"]]
    args += ["--cooccurrence", paths["cooccurrence"], "--saturation", paths["saturation"], "--waves", paths["by_wave"]]
    result = cli(*args, "--roles", '{"practitioner": "Case managers"}', "--out", tmp_path / "figures")
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        f"ERROR: {tmp_path / 'nowhere.csv'}: table not found. Run the workflow (make run) to produce it."
    ]


def test_corpus_name_prints_the_name_outputs_go_under():
    result = cli("corpus-name", TINY)
    assert result.returncode == 0 and result.stdout == "tiny\n"
    assert cli("corpus-name").stdout == "demo\n"  # corpus: in config/config.yaml


def test_findings_md_says_a_codebook_seeded_coding_is_not_validated_and_counts_other_speakers(tmp_path):
    paths = write_tables(tmp_path / "in")
    participants = pd.read_csv(paths["participants"])
    participants["other_speaker_words"] = [100, 0, 0, 100]
    participants["other_speaker_turns"] = [4, 0, 0, 4]
    participants.to_csv(paths["participants"], index=False)
    validation = pd.read_csv(paths["validation"])
    validation["method"] = "codebook-seeded coder, not validated"
    validation[["segments", "human_yes", "machine_yes"]] = 0
    validation.to_csv(paths["validation"], index=False)
    inputs = findings_inputs(tmp_path, paths)
    text = report.write_findings(inputs, ROLES, "tiny", "config/findings.yaml", tmp_path / "findings.md")
    assert "**The coding of this corpus has not been validated against a human coder**" in text.split("## ")[0]
    assert "This coding has not been validated against a human coder." in text
    assert "The automated coder against the primary human coder" not in text, "no kappa is claimed"
    assert "Other speakers (an interpreter, a carer" in text and "spoke 100 words in 4 turns" in text
