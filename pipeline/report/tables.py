"""The report's tables: prevalence, participants, reliability, wave comparison, coding sources."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.tables import as_bool
from pipeline.report.figures import KIND_TITLES, kind_title
from pipeline.report.wording import change_text, n_of, share_text

# ---------------------------------------------------------------- tables


def codes_frame(by_role: pd.DataFrame) -> pd.DataFrame:
    """The codebook's codes in order, from tables/code_prevalence_by_role.csv: code_id, label, theme, theme_label,
    kind."""
    themes = by_role[by_role["level"] == "theme"].drop_duplicates("id").set_index("id")["label"]
    codes = by_role[by_role["level"] == "code"].drop_duplicates("id")
    return pd.DataFrame(
        {
            "code_id": codes["id"].to_numpy(),
            "label": codes["label"].to_numpy(),
            "theme": codes["theme"].to_numpy(),
            "theme_label": codes["theme"].map(themes).fillna(codes["theme"]).to_numpy(),
            "kind": codes["kind"].to_numpy(),
        }
    )


def _role_totals(by_role: pd.DataFrame) -> dict:
    return {r: int(n) for r, n in by_role.drop_duplicates("role").set_index("role")["N"].items()}


def prevalence_table(by_role: pd.DataFrame, roles: dict) -> pd.DataFrame:
    """Table 2: per theme (any of its codes) and code, participants of each role who raised it, n/N (%)."""
    totals = _role_totals(by_role)
    rows = []
    themes = by_role[by_role["level"] == "theme"].drop_duplicates("id")
    for theme in sorted(themes.itertuples(index=False), key=lambda t: _kind_rank(t.kind)):
        units = [("theme", theme.id)] + [
            ("code", c)
            for c in dict.fromkeys(by_role[(by_role["level"] == "code") & (by_role["theme"] == theme.id)]["id"])
        ]
        for level, uid in units:
            sub = by_role[(by_role["level"] == level) & (by_role["id"] == uid)].set_index("role")
            row = {
                "Theme": theme.label if level == "theme" else "",
                "Code": "any code of the theme" if level == "theme" else sub["label"].iloc[0],
                "Reported as": kind_title(sub["kind"].iloc[0]).lower() if level == "theme" else "",
            }
            for role, label in roles.items():
                if role in sub.index:
                    row[f"{label} (N = {totals.get(role, 0)})"] = share_text(sub.at[role, "final_n"], sub.at[role, "N"])
            rows.append(row)
    return pd.DataFrame(rows)


def _kind_rank(kind: str) -> int:
    first = str(kind).split("/")[0]
    return list(KIND_TITLES).index(first) if first in KIND_TITLES else len(KIND_TITLES)


def participants_table(participants: pd.DataFrame) -> pd.DataFrame:
    """Table 1 with headers in words (tables/participants.csv)."""
    names = {
        "role_label": "Group",
        "wave": "Wave",
        "interviews": "Interviews",
        "participants": "Participants",
        "participant_words": "Words spoken by participants",
        "participant_turns": "Participant turns",
        "median_turn_words": "Median words per turn",
        "words_per_interview": "Mean words per interview",
    }
    table = participants[[c for c in names if c in participants.columns]].rename(columns=names).astype(str)
    for column in ("Words spoken by participants", "Participant turns"):
        if column in table:
            table[column] = [f"{int(float(v)):,}" if v not in ("", "nan") else "" for v in table[column]]
    if "Mean words per interview" in table:
        table["Mean words per interview"] = [
            f"{float(v):,.0f}" if v not in ("", "nan") else "" for v in table["Mean words per interview"]
        ]
    return table


def _valid_comparisons(reliability: pd.DataFrame) -> list[str]:
    pooled = reliability[(reliability["code_id"] == "pooled") & (reliability["units"] > 0)]
    return list(dict.fromkeys(pooled["comparison"]))


def reliability_summary(reliability: pd.DataFrame, validation: pd.DataFrame, labels: dict) -> pd.DataFrame:
    """Per code and pooled: Cohen's kappa and Gwet's AC1 of each comparison, and the machine's cross-validated F1.

    ``reliability`` is tables/reliability.csv, ``validation`` tables/coding_validation.csv; comparisons without
    units (no double coding) are left out.
    """
    comparisons = _valid_comparisons(reliability)
    code_ids = [c for c in labels if c in set(reliability["code_id"]) | set(validation.get("code_id", []))]
    rows = []
    checked = validation[validation["segments"] > 0].set_index("code_id") if len(validation) else validation
    for code in [*code_ids, "pooled"]:
        row = {"Code": "All codes (pooled)" if code == "pooled" else labels[code]}
        for comparison in comparisons:
            hit = reliability[(reliability["comparison"] == comparison) & (reliability["code_id"] == code)]
            for metric, name in (("cohen_kappa", "kappa"), ("gwet_ac1", "AC1")):
                value = hit[metric].iloc[0] if len(hit) else np.nan
                row[f"{comparison}: {name}"] = "" if pd.isna(value) else f"{float(value):.2f}"
        if len(checked) and "f1" in checked:
            value = checked["f1"].get(code, np.nan)
            row["machine F1 (cross-validated)"] = "" if pd.isna(value) else f"{float(value):.2f}"
        rows.append(row)
    return pd.DataFrame(rows)


def wave_comparison(by_wave: pd.DataFrame, matrix: pd.DataFrame, roles: dict) -> pd.DataFrame:
    """Code prevalence in each later wave against the role's first wave, with the change in percentage points.

    ``by_wave`` is tables/code_prevalence_by_wave.csv (everyone interviewed in the wave); the ``same_`` columns
    repeat the comparison for the participants interviewed in both waves only, from tables/participant_code_matrix.csv.
    """
    columns = [
        "role",
        "role_label",
        "code_id",
        "label",
        "from_wave",
        "to_wave",
        "from_n",
        "from_N",
        "from_pct",
        "to_n",
        "to_N",
        "to_pct",
        "change_pp",
        "same_N",
        "same_from_n",
        "same_to_n",
        "same_change_pp",
    ]
    rows = []
    for role, role_label in roles.items():
        sub = by_wave[by_wave["role"] == role]
        waves = sorted(sub["wave"].astype(int).unique())
        people = matrix[matrix["role"] == role]
        for later in waves[1:]:
            first = waves[0]
            a = sub[sub["wave"].astype(int) == first].set_index("code_id")
            b = sub[sub["wave"].astype(int) == later].set_index("code_id")
            before = people[people["wave"].astype(int) == first].set_index("participant_id")
            after = people[people["wave"].astype(int) == later].set_index("participant_id")
            same = sorted(set(before.index) & set(after.index))
            for code in a.index:
                row_a, row_b = a.loc[code], b.loc[code] if code in b.index else None
                if row_b is None:
                    continue
                change = 100 * row_b["n"] / row_b["N"] - 100 * row_a["n"] / row_a["N"]
                same_from = int((before.loc[same, code] > 0).sum()) if same and code in before else 0
                same_to = int((after.loc[same, code] > 0).sum()) if same and code in after else 0
                rows.append(
                    {
                        "role": role,
                        "role_label": role_label,
                        "code_id": code,
                        "label": row_a["label"],
                        "from_wave": first,
                        "to_wave": later,
                        "from_n": int(row_a["n"]),
                        "from_N": int(row_a["N"]),
                        "from_pct": round(100 * row_a["n"] / row_a["N"], 1),
                        "to_n": int(row_b["n"]),
                        "to_N": int(row_b["N"]),
                        "to_pct": round(100 * row_b["n"] / row_b["N"], 1),
                        "change_pp": round(change, 1),
                        "same_N": len(same),
                        "same_from_n": same_from,
                        "same_to_n": same_to,
                        "same_change_pp": round(100 * (same_to - same_from) / len(same), 1) if same else np.nan,
                    }
                )
    return pd.DataFrame(rows, columns=columns)


def coding_sources(segment_codes: pd.DataFrame) -> pd.DataFrame:
    """Per wave: final codes, and the share of them that come from human coding (the rest are the coder's)."""
    final = segment_codes[as_bool(segment_codes["final"])]
    final = final.drop_duplicates(["segment_id", "code_id"])
    rows = []
    for wave, sub in final.groupby(final["wave"].astype(int), sort=True):
        human = int((sub["source"] == "human").sum())
        rows.append({"wave": int(wave), "final_codes": len(sub), "human_share": human / len(sub) if len(sub) else 0.0})
    return pd.DataFrame(rows, columns=["wave", "final_codes", "human_share"])


def wave_table(comparison: pd.DataFrame, roles: dict) -> pd.DataFrame:
    """Per code, for each role: first -> last wave for everyone interviewed, and for those interviewed in both."""
    last = comparison[comparison["to_wave"] == comparison.groupby("role")["to_wave"].transform("max")]
    rows = []
    for code_id in dict.fromkeys(last["code_id"]):
        sub = last[last["code_id"] == code_id].set_index("role")
        row = {"Code": sub["label"].iloc[0]}
        for role, label in roles.items():
            if role not in sub.index:
                continue
            s = sub.loc[role]
            a, b = int(s["from_wave"]), int(s["to_wave"])
            row[f"{label}, wave {a} \u2192 {b}: everyone"] = (
                f"{n_of(s['from_n'], s['from_N'])} \u2192 {n_of(s['to_n'], s['to_N'])} ({change_text(s['change_pp'])})"
            )
            if s["same_N"]:
                row[f"{label}: interviewed in both"] = (
                    f"{n_of(s['same_from_n'], s['same_N'])} \u2192 {n_of(s['same_to_n'], s['same_N'])}"
                )
        rows.append(row)
    return pd.DataFrame(rows)
