"""Report: n/N text, the wave comparison, the reliability summary, quotes and the heatmap's size, from small
hand-made tables."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline import report

ROLES = {"practitioner": "Case managers", "service_user": "Men on probation"}
CODES = [  # id, label, theme, theme label, kind
    ("structure_focus", "Structure and focus", "toolkit_value", "Toolkit Strengths", "strength"),
    ("engaging_media", "Engaging media", "toolkit_value", "Toolkit Strengths", "strength"),
    ("technology_barriers", "Technology barriers", "toolkit_limits", "Toolkit Limitations", "challenge"),
]
FINAL_N = {  # participants with the code: (practitioners of 3, service users of 2)
    "structure_focus": (3, 1),
    "engaging_media": (1, 2),
    "technology_barriers": (2, 0),
    "toolkit_value": (3, 2),
    "toolkit_limits": (2, 0),
}
N = {"practitioner": 3, "service_user": 2}


def by_role_table() -> pd.DataFrame:
    rows = []
    units = [("code", c, label, theme, kind) for c, label, theme, _, kind in CODES]
    units += [("theme", t, tl, t, k) for t, tl, k in dict.fromkeys((c[2], c[3], c[4]) for c in CODES)]
    for level, uid, label, theme, kind in units:
        for i, (role, role_label) in enumerate(ROLES.items()):
            n = FINAL_N[uid][i]
            rows.append(
                {
                    "level": level,
                    "id": uid,
                    "label": label,
                    "theme": theme,
                    "kind": kind,
                    "role": role,
                    "role_label": role_label,
                    "N": N[role],
                    "final_n": n,
                    "final_pct": round(100 * n / N[role], 1),
                    "final_segments": 2 * n,
                }
            )
    return pd.DataFrame(rows)


def by_wave_table() -> pd.DataFrame:
    """Practitioners in wave 1 (P1-P3) and wave 2 (P1 again); service users in wave 1 only."""
    rows = []
    counts = {
        ("practitioner", 1): (3, {"structure_focus": 3, "engaging_media": 1, "technology_barriers": 2}),
        ("practitioner", 2): (1, {"structure_focus": 0, "engaging_media": 1, "technology_barriers": 1}),
        ("service_user", 1): (2, {"structure_focus": 1, "engaging_media": 2, "technology_barriers": 0}),
    }
    for (role, wave), (total, hits) in counts.items():
        for code, label, *_ in CODES:
            rows.append(
                {
                    "role": role,
                    "role_label": ROLES[role],
                    "wave": wave,
                    "code_id": code,
                    "label": label,
                    "N": total,
                    "n": hits[code],
                    "pct": round(100 * hits[code] / total, 1),
                    "segments": hits[code],
                }
            )
    return pd.DataFrame(rows)


def matrix_table() -> pd.DataFrame:
    rows = [
        ("P1", "practitioner", 1, 2, 0, 1),
        ("P2", "practitioner", 1, 1, 1, 0),
        ("P3", "practitioner", 1, 1, 0, 3),
        ("S1", "service_user", 1, 1, 2, 0),
        ("S2", "service_user", 1, 0, 1, 0),
        ("P1", "practitioner", 2, 0, 1, 1),
    ]
    return pd.DataFrame(rows, columns=["participant_id", "role", "wave", *[c[0] for c in CODES]])


def reliability_table() -> pd.DataFrame:
    rows = []
    for comparison, units, kappas in (
        ("coder1 vs coder2", 40, (0.8, 1.0, 0.5)),
        ("coder1 vs machine", 60, (0.4, 0.6, 0.7)),
    ):
        for code, kappa in zip([c[0] for c in CODES] + ["pooled"], [*kappas, 0.65], strict=True):
            rows.append(
                {
                    "comparison": comparison,
                    "code_id": code,
                    "units": units * (3 if code == "pooled" else 1),
                    "coder_a_yes": 5,
                    "coder_b_yes": 6,
                    "percent_agreement": 0.95,
                    "cohen_kappa": kappa,
                    "krippendorff_alpha": kappa,
                    "gwet_ac1": 0.97,
                }
            )
    return pd.DataFrame(rows)


def validation_table() -> pd.DataFrame:
    rows = [
        {"method": "participant-grouped cross-validation", "code_id": code, "segments": segments, "human_yes": 5}
        | {"machine_yes": 4, "precision": 0.7, "recall": 0.6, "f1": f1, "cohen_kappa": 0.6}
        | {"kappa_ci_low": 0.45, "kappa_ci_high": 0.72}
        for code, segments, f1 in [(c[0], 60, 0.6) for c in CODES] + [("pooled", 180, 0.62)]
    ]
    return pd.DataFrame(rows)


LONG = " ".join(f"Sentence number {i} says something about the toolkit." for i in range(30))


def exemplar_table() -> pd.DataFrame:
    rows = [
        ("structure_focus", "practitioner", 1, "P1_w1_t001_s1", "P1", "It gave the session a shape."),
        ("structure_focus", "practitioner", 2, "P2_w1_t001_s1", "P2", "We knew what we were doing."),
        ("engaging_media", "service_user", 1, "P1_w1_t001_s1", "S1", "It gave the session a shape."),
        ("engaging_media", "service_user", 2, "S1_w1_t002_s1", "S1", "The videos were like my kitchen."),
        ("technology_barriers", "practitioner", 1, "P3_w1_t004_s1", "P3", LONG),
    ]
    table = pd.DataFrame(rows, columns=["code_id", "role", "rank", "segment_id", "participant_id", "text"])
    return table.assign(label=table["code_id"], wave=1, confidence=0.9)


def segment_codes_table() -> pd.DataFrame:
    rows = [
        ("P1_w1_t001_s1", "P1", "practitioner", 1, "structure_focus", "human", "coder1", 1.0, True),
        ("P1_w1_t001_s1", "P1", "practitioner", 1, "structure_focus", "model", "model", 0.9, False),
        ("P1_w2_t001_s1", "P1", "practitioner", 2, "engaging_media", "model", "model", 0.8, True),
    ]
    columns = ["segment_id", "participant_id", "role", "wave", "code_id", "source", "coder", "confidence", "final"]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------- text helpers


def test_n_of_n_and_shares():
    assert report.n_of(7, 9) == "7/9"
    assert report.share_text(7, 9) == "7/9 (78%)"
    assert report.share_text(0, 0) == "0/0 (n/a)"
    assert report.group_phrase(9, 9, "Case managers") == "all 9 case managers"
    assert report.group_phrase(2, 2, "Men on probation") == "both men on probation"
    assert report.group_phrase(0, 7, "Men on probation") == "none of the 7 men on probation"
    assert report.group_phrase(4, 7, "Men on probation") == "4 of 7 men on probation"
    assert report.lower_first("GPs") == "GPs"


@pytest.mark.parametrize("change,text", [(22.2, "+22 pp"), (-11.1, "-11 pp"), (0.3, "no change"), (None, "n/a")])
def test_change_in_percentage_points(change, text):
    assert report.change_text(change) == text


def test_long_quotes_are_cut_at_a_sentence_and_marked():
    short = "It gave me somewhere to go. And that mattered."
    assert report.trim_quote(short) == short
    cut = report.trim_quote(LONG, max_words=20)
    assert cut.endswith("toolkit. [...]") and len(cut.split()) <= 21
    assert report.trim_quote("pause] And for ages after.") == "[pause] And for ages after."
    assert report.trim_quote("She had to have it glued. [") == "She had to have it glued."


# ---------------------------------------------------------------- tables


def test_wave_comparison_gives_the_change_for_everyone_and_for_those_seen_twice():
    table = report.wave_comparison(by_wave_table(), matrix_table(), ROLES)
    assert set(table["role"]) == {"practitioner"}, "a group seen in one wave has nothing to compare"
    row = table.set_index("code_id").loc["structure_focus"]
    assert (row["from_n"], row["from_N"], row["to_n"], row["to_N"]) == (3, 3, 0, 1)
    assert row["change_pp"] == -100.0
    assert (row["same_N"], row["same_from_n"], row["same_to_n"], row["same_change_pp"]) == (1, 1, 0, -100.0)
    media = table.set_index("code_id").loc["engaging_media"]
    assert media["change_pp"] == pytest.approx(66.7) and media["same_change_pp"] == 100.0


def test_reliability_summary_has_a_column_per_comparison_and_a_pooled_row():
    labels = {c[0]: c[1] for c in CODES}
    reliability = pd.concat(
        [reliability_table(), pd.DataFrame([{"comparison": "none", "code_id": "pooled", "units": 0}])],
        ignore_index=True,
    )
    table = report.reliability_summary(reliability, validation_table(), labels)
    assert list(table.columns) == [
        "Code",
        "coder1 vs coder2: kappa",
        "coder1 vs coder2: AC1",
        "coder1 vs machine: kappa",
        "coder1 vs machine: AC1",
        "machine F1 (cross-validated)",
    ]
    assert list(table["Code"]) == ["Structure and focus", "Engaging media", "Technology barriers", "All codes (pooled)"]
    assert (
        table.iloc[-1]["coder1 vs coder2: kappa"] == "0.65" and table.iloc[-1]["machine F1 (cross-validated)"] == "0.62"
    )


def test_prevalence_table_prints_n_of_n_per_role_in_words():
    table = report.prevalence_table(by_role_table(), ROLES)
    assert list(table.columns) == ["Theme", "Code", "Reported as", "Case managers (N = 3)", "Men on probation (N = 2)"]
    assert table.iloc[0].tolist() == [
        "Toolkit Strengths",
        "any code of the theme",
        "strengths",
        "3/3 (100%)",
        "2/2 (100%)",
    ]
    assert table.iloc[1].tolist() == ["", "Structure and focus", "", "3/3 (100%)", "1/2 (50%)"]
    assert "technology_barriers" not in report.markdown_table(table)


def test_coding_sources_per_wave():
    sources = report.coding_sources(segment_codes_table())
    assert sources.to_dict("records") == [
        {"wave": 1, "final_codes": 1, "human_share": 1.0},
        {"wave": 2, "final_codes": 1, "human_share": 0.0},
    ]


def test_a_segment_is_quoted_once_where_there_is_a_choice():
    exemplars, by_role = exemplar_table(), by_role_table()
    first = report.pick_quote(exemplars, by_role, "structure_focus", ROLES)
    assert first["segment_id"] == "P1_w1_t001_s1"
    second = report.pick_quote(exemplars, by_role, "engaging_media", ROLES, used={first["segment_id"]})
    assert second["segment_id"] == "S1_w1_t002_s1" and second["role"] == "service_user"


# ---------------------------------------------------------------- edges: tables, figures, findings.md


def test_the_saturation_figure_of_a_large_corpus_labels_round_numbers_not_every_interview():
    """A label and a marker for each of 1,250 interviews merged into a black bar (seen at scale)."""
    from pipeline.report import figures

    for n, every in ((9, True), (1250, False)):
        saturation = pd.DataFrame(
            {
                "role": "practitioner",
                "interview_number": range(1, n + 1),
                "cumulative_codes": [min(i // 3 + 1, 18) for i in range(n)],
            }
        )
        fig = figures.saturation_curves(saturation, ROLES, 18)
        ax = fig.axes[0]
        ticks = [t for t in ax.get_xticks() if 1 <= t <= n]
        assert (len(ticks) == n) is every and (every or 3 <= len(ticks) <= 12)
        assert all(float(t).is_integer() for t in ticks)
        assert (ax.lines[0].get_marker() == "o") is every
        fig.clf()


def test_the_participant_heatmap_of_a_large_corpus_keeps_a_fixed_width_without_labels():
    """0.3 in per interview would pass matplotlib's 65,536-pixel limit at 300 dpi beyond about 700 interviews."""
    import numpy as np

    from pipeline.report import figures

    codes = pd.DataFrame({"code_id": ["a", "b"], "label": ["Code A", "Code B"], "theme_label": ["T", "T"]})
    for n, labelled in ((12, True), (2000, False)):
        matrix = pd.DataFrame({"participant_id": [f"P{i}" for i in range(n)], "wave": 1, "role": "practitioner"})
        matrix["a"], matrix["b"] = np.arange(n) % 3, 1
        fig = figures.participant_code_heatmap(matrix, codes, ROLES)
        ax = fig.axes[0]
        assert fig.get_figwidth() == pytest.approx(0.3 * min(n, figures.LABELLED_COLUMNS))
        assert (len(ax.get_xticklabels()) == n) is labelled and (len(ax.texts) > n) is labelled
        assert labelled or "2,000 interviews" in ax.get_xlabel()
        fig.clf()


def test_a_figure_is_saved_with_the_crop_matplotlib_finds_for_its_png_and_that_crop_for_its_svg(tmp_path):
    """core.plots.save lays the figure out once, at the PNG's 300 dpi, for both files: the PNG is the one
    savefig(bbox_inches="tight") writes, to the byte, and the SVG has the PNG's size (1 pt = 300/72 pixels)."""
    import re

    from PIL import Image

    from pipeline.core import plots

    def draw():
        plt = plots._pyplot()
        fig, ax = plt.subplots(figsize=(4, 2.5))
        labels = [f"{word} {n}" for n, word in enumerate(("Structure and focus", "Engaging media") * 6)]
        ax.barh(labels, range(len(labels)))  # tick labels wider than the figure: the crop grows to hold them
        ax.set_title("Participants with each code, by role")
        return fig

    ours = draw()
    plots.save(ours, tmp_path / "ours.png")
    assert ours.dpi == 100  # the figure's own resolution is left as it was
    fig = draw()
    fig.savefig(
        tmp_path / "matplotlib.png", format="png", dpi=plots.PNG_DPI, bbox_inches="tight", metadata={"Software": None}
    )
    assert (tmp_path / "ours.png").read_bytes() == (tmp_path / "matplotlib.png").read_bytes()
    width, height = Image.open(tmp_path / "ours.png").size
    svg = (tmp_path / "ours.svg").read_text()
    points = [float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()]
    assert points == pytest.approx([width * 72 / plots.PNG_DPI, height * 72 / plots.PNG_DPI], abs=72 / plots.PNG_DPI)
