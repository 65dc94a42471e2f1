"""The sections of findings.md, each from the tables."""

from __future__ import annotations

import re

import pandas as pd

from pipeline.report.figures import kind_title
from pipeline.report.tables import (
    _kind_rank,
    _role_totals,
    _valid_comparisons,
    codes_frame,
    participants_table,
    prevalence_table,
    reliability_summary,
    wave_table,
)
from pipeline.report.wording import _md_escape, group_phrase, lower_first, markdown_table, n_of, share_text, trim_quote

# ---------------------------------------------------------------- findings.md


# Below this macro-F1 against the human sentiment labels, findings.md says the sentiment scores are not findings.
SENTIMENT_TRUSTED_F1 = 0.6


def participants_section(participants: pd.DataFrame) -> str:
    rows = participants[participants["role"] != "total"]
    total = participants[participants["role"] == "total"]
    interviews = int(total["interviews"].iloc[0]) if len(total) else int(rows["interviews"].astype(int).sum())
    people = int(total["participants"].iloc[0]) if len(total) else int(rows["participants"].astype(int).sum())
    lines = ["## Participants (Table 1)", ""]
    text = f"The analysis covers {interviews} interviews with {people} participants."
    for wave, sub in rows.groupby(rows["wave"].astype(str), sort=True):
        groups = [
            f"{int(r.interviews)}"
            + (f" interview{'' if int(r.interviews) == 1 else 's'}" if i == 0 else "")
            + f" with {lower_first(r.role_label)}"
            for i, r in enumerate(sub.itertuples(index=False))
        ]
        text += f" Wave {wave}: {_join(groups)}."
    if len(total):
        t = total.iloc[0]
        text += (
            f" Participants spoke {int(t['participant_words']):,} words in {int(t['participant_turns']):,} turns"
            f" (median {int(float(t['median_turn_words']))} words per turn)."
        )
        if "other_speaker_words" in total.columns:
            text += (
                f" Other speakers (an interpreter, a carer: `speakers: other` in corpus.yaml) spoke "
                f"{int(t['other_speaker_words']):,} words in {int(t['other_speaker_turns']):,} turns, kept in the "
                "transcripts and not coded."
            )
    lines += [text, "", "Table 1. Interviews and participants by group and wave.", ""]
    lines.append(markdown_table(participants_table(participants)))
    return "\n".join(lines)


def _join(items: list[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _code_shares(by_role: pd.DataFrame, code_id: str, roles: dict, level: str = "code") -> list[str]:
    sub = by_role[(by_role["level"] == level) & (by_role["id"] == code_id)].set_index("role")
    return [
        f"{n_of(sub.at[r, 'final_n'], sub.at[r, 'N'])} {lower_first(label)}"
        for r, label in roles.items()
        if r in sub.index
    ]


def roles_section(by_role: pd.DataFrame, roles: dict) -> str:
    """Per role: the codes of each kind, most often raised first; then the codes that most separate the groups."""
    codes = by_role[by_role["level"] == "code"]
    lines = [
        "## Findings by group",
        "",
        "Each list gives the codes of one kind, most often raised first, as participants of the group who raised "
        "the code at least once (n/N). Figure 1 shows them side by side.",
        "",
        "![Figure 1. Themes and codes raised by each group](figures/prevalence_by_role.png)",
        "",
    ]
    totals = _role_totals(by_role)
    for role, label in roles.items():
        sub = codes[codes["role"] == role]
        if sub.empty:
            continue
        lines += [f"### {label} (N = {totals.get(role, 0)})", ""]
        for kind in sorted(dict.fromkeys(sub["kind"]), key=_kind_rank):
            of_kind = sub[sub["kind"] == kind].sort_values("final_n", ascending=False, kind="stable")
            raised = [f"{r.label} ({n_of(r.final_n, r.N)})" for r in of_kind.itertuples(index=False) if r.final_n > 0]
            never = [r.label for r in of_kind.itertuples(index=False) if r.final_n == 0]
            text = f"- **{kind_title(kind)}**: " + ("; ".join(raised) if raised else "none raised")
            if never and raised:
                text += f". Not raised: {'; '.join(never)}"
            lines.append(text + ".")
        lines.append("")
    if len(roles) >= 2:
        spread = []
        for code_id, sub in codes.groupby("id", sort=False):
            share = (sub["final_n"] / sub["N"].where(sub["N"] > 0)).fillna(0)
            spread.append((float(share.max() - share.min()), code_id, sub))
        spread.sort(key=lambda s: -s[0])
        top = [s for s in spread[:3] if s[0] > 0]
        if top:
            lines += ["### Differences between the groups", ""]
            for diff, code_id, sub in top:
                shares = _join(_code_shares(by_role, code_id, roles))
                lines.append(f"- {sub['label'].iloc[0]}: {shares} ({100 * diff:.0f} percentage points apart).")
            lines.append("")
    return "\n".join(lines)


def pick_quote(exemplars: pd.DataFrame, by_role: pd.DataFrame, code_id: str, roles: dict, used=frozenset()):
    """The exemplar for a code: the most confident segment of the role that raised the code most, skipping
    segments already quoted for another code where there is a choice (a row of exemplar_quotes.csv, or None)."""
    sub = exemplars[exemplars["code_id"] == code_id]
    if sub.empty:
        return None
    shares = by_role[(by_role["level"] == "code") & (by_role["id"] == code_id)].set_index("role")["final_pct"]
    order = {role: i for i, role in enumerate(sorted(roles, key=lambda r: -float(shares.get(r, 0))))}
    ranked = sub.assign(_role=sub["role"].map(order).fillna(len(order))).sort_values(["_role", "rank"], kind="stable")
    fresh = ranked[~ranked["segment_id"].isin(used)]
    return (fresh if len(fresh) else ranked).iloc[0]


def themes_section(by_role: pd.DataFrame, exemplars: pd.DataFrame, roles: dict) -> str:
    """Each theme with n/N per role, then each code with n/N and one pseudonymised exemplar quote."""
    lines = [
        "## Themes and codes",
        "",
        "Themes are given in the order strengths, challenges, context, outcomes. Under each code is one exemplar: "
        "the segment the automated coder is most confident about, from the group that raised the code most "
        "(pseudonymised; long segments are shortened at a sentence boundary, marked [...]).",
        "",
    ]
    themes = by_role[by_role["level"] == "theme"].drop_duplicates("id")
    used: set[str] = set()
    for theme in sorted(themes.itertuples(index=False), key=lambda t: _kind_rank(t.kind)):
        sub = by_role[(by_role["level"] == "theme") & (by_role["id"] == theme.id)].set_index("role")
        said = [
            group_phrase(sub.at[r, "final_n"], sub.at[r, "N"], label) for r, label in roles.items() if r in sub.index
        ]
        lines += [
            f"### {theme.label}",
            "",
            f"*Reported as {kind_title(theme.kind).lower()}.* {_join(said)[:1].upper() + _join(said)[1:]} raised "
            "at least one code of this theme.",
            "",
        ]
        codes = by_role[(by_role["level"] == "code") & (by_role["theme"] == theme.id)]
        for code_id in dict.fromkeys(codes["id"]):
            code = codes[codes["id"] == code_id].set_index("role")
            label, kind = code["label"].iloc[0], code["kind"].iloc[0]
            shares = "; ".join(
                f"{lower_first(rl)} {share_text(code.at[r, 'final_n'], code.at[r, 'N'])}"
                for r, rl in roles.items()
                if r in code.index
            )
            note = f" (reported as {kind_title(kind).lower()})" if kind != theme.kind else ""
            lines += [f"**{label}**{note}: {shares}.", ""]
            quote = pick_quote(exemplars, by_role, code_id, roles, used)
            if quote is not None:
                used.add(quote["segment_id"])
                group = lower_first(roles.get(quote["role"], quote["role"]))
                who = f"{quote['participant_id']}, {group}, wave {quote['wave']}"
                lines += [f"> \u201c{_md_escape(trim_quote(str(quote['text'])))}\u201d ({who})", ""]
    return "\n".join(lines)


def _people(n: int) -> str:
    return f"{n} participant" + ("" if n == 1 else "s")


def waves_section(comparison: pd.DataFrame, sources: pd.DataFrame, roles: dict) -> str:
    """Prevalence in the first and later waves per role, the largest changes among the participants interviewed in
    both, how each wave was coded, and what that means for reading the changes."""
    if comparison.empty:
        return ""
    lines = [
        "## Change between waves",
        "",
        "Figure 5 and Table 3 compare everyone interviewed in each wave; the changes below are those of the "
        "participants interviewed in both waves, which do not depend on who was re-interviewed.",
        "",
    ]
    for role, label in roles.items():
        sub = comparison[comparison["role"] == role]
        if sub.empty:
            continue
        sub = sub[sub["to_wave"] == sub["to_wave"].max()]
        r = sub.iloc[0]
        a, b, same = int(r["from_wave"]), int(r["to_wave"]), int(r["same_N"])
        text = (
            f"- {label}: {int(r['from_N'])} interviewed in wave {a} and {int(r['to_N'])} in wave {b}, "
            f"{same} of them in both"
        )
        if same:
            order = sub["same_change_pp"].abs().sort_values(ascending=False, kind="stable").index
            moved = sub.loc[order].head(3)
            moved = moved[moved["same_change_pp"].abs() > 0]
            text += (
                ". Among them, the largest changes: "
                + "; ".join(
                    f"{m.label} {n_of(m.same_from_n, same)} \u2192 {n_of(m.same_to_n, same)}"
                    for m in moved.itertuples(index=False)
                )
                if len(moved)
                else ". Among them, no code changed"
            )
        lines.append(text + ".")
    lines.append("")
    coded = [
        f"wave {s.wave} has {s.final_codes} final codes, {100 * s.human_share:.0f}% of them from human coding"
        for s in sources.itertuples(index=False)
    ]
    caveat = f"How the waves were coded: {'; '.join(coded)} (the rest are the automated coder's)."
    if len(sources) > 1 and sources["human_share"].max() - sources["human_share"].min() > 0.5:
        caveat += (
            " The waves were coded differently (by hand and by the automated coder), so a change may reflect the "
            "coder as much as the participants."
        )
    smallest = int(comparison["to_N"].min())
    if smallest:
        caveat += (
            f" With {_people(smallest)} in the smallest later group, one person moves a share by "
            f"{100 / smallest:.0f} percentage points: read these changes as prompts for a closer look, not as trends."
        )
    lines += [
        caveat,
        "",
        "Table 3. Participants who raised each code in the first and the later wave (n/N), with the change in "
        "percentage points: everyone interviewed, and the participants interviewed in both waves.",
        "",
        markdown_table(wave_table(comparison, roles)),
        "![Figure 5. Change between waves](figures/wave_comparison.png)",
        "",
    ]
    return "\n".join(lines)


def _band(kappa: float) -> str:
    """Landis and Koch's (1977) words for a kappa."""
    for limit, word in ((0.0, "poor"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial")):
        if kappa <= limit:
            return word
    return "almost perfect"


def _interval(row: pd.Series, name: str) -> str:
    """'95% interval a to b, resampling participants' from a table's {name}_ci_low and {name}_ci_high; empty
    where the table has none (a single participant, or a table written before intervals were added)."""
    low, high = row.get(f"{name}_ci_low"), row.get(f"{name}_ci_high")
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return ""
    return f"95% interval {low:.2f} to {high:.2f}, resampling participants"


def reliability_section(reliability: pd.DataFrame, validation: pd.DataFrame, labels: dict) -> str:
    lines = ["## Reliability of the coding", ""]
    comparisons = _valid_comparisons(reliability)
    if not comparisons:
        lines += ["No segments were coded twice, so agreement could not be measured.", ""]
    for comparison in comparisons:
        sub = reliability[reliability["comparison"] == comparison]
        pooled = sub[sub["code_id"] == "pooled"].iloc[0]
        codes = sub[(sub["code_id"] != "pooled") & sub["cohen_kappa"].notna()]
        text = (
            f"- {comparison}: pooled Cohen's kappa {pooled['cohen_kappa']:.2f} ({_band(pooled['cohen_kappa'])} "
            f"agreement), Krippendorff's alpha {pooled['krippendorff_alpha']:.2f}, "
            f"Gwet's AC1 {pooled['gwet_ac1']:.2f}, "
            f"over {int(codes['units'].max()) if len(codes) else 0} segments x {len(codes)} codes"
        )
        if len(codes):
            low, high = codes.loc[codes["cohen_kappa"].idxmin()], codes.loc[codes["cohen_kappa"].idxmax()]
            text += (
                f"; per code from {low['cohen_kappa']:.2f} ({labels.get(low['code_id'], low['code_id'])}) to "
                f"{high['cohen_kappa']:.2f} ({labels.get(high['code_id'], high['code_id'])})"
            )
        lines.append(text + ".")
    checked = validation[validation["segments"] > 0] if len(validation) else validation
    pooled = checked[checked["code_id"] == "pooled"] if len(checked) else checked
    if len(validation) and "codebook" in str(validation["method"].iloc[0]):
        lines.append(
            "- **This coding has not been validated against a human coder.** The corpus has no human coding yet, so "
            "every segment was coded by the codebook-seeded coder, built from the codebook alone (definitions, "
            "include criteria, examples and indicator phrases; `source: codebook` in tables/segment_codes.csv), and "
            "no agreement is claimed for it (how such a coder agrees with human coders on other interviews is "
            "measured in the project's benchmarks/RESULTS.md). Read the codes as a first pass to review: decide "
            "rows of tables/review_queue.csv (include or exclude), copy it into the corpus folder and rerun, or "
            "add codes.csv."
        )
    if len(pooled):
        p = pooled.iloc[0]
        segments = int(checked.loc[checked["code_id"] != "pooled", "segments"].max())
        interval = _interval(p, "kappa")
        lines.append(
            f"- The automated coder against the primary human coder ({p['method']}, {segments} segments): "
            f"precision {p['precision']:.2f}, recall {p['recall']:.2f}, F1 {p['f1']:.2f}, "
            f"Cohen's kappa {p['cohen_kappa']:.2f} ({_band(p['cohen_kappa'])} agreement"
            f"{'; ' + interval if interval else ''})."
        )
    lines += [
        "",
        "Agreement counts every segment x code decision; Gwet's AC1 stays high where codes are rare and kappa "
        "does not, so read both.",
        "",
        "Table 4. Agreement per code.",
        "",
        markdown_table(reliability_summary(reliability, validation, labels)),
    ]
    return "\n".join(lines)


def sentiment_section(by_role: pd.DataFrame, validation: pd.DataFrame, roles: dict) -> str:
    if by_role.empty:
        return ""
    lines = ["## Sentiment", ""]
    parts = []
    for role, label in roles.items():
        sub = by_role[by_role["role"] == role]
        if sub.empty:
            continue
        r = sub.iloc[0]
        interval = (
            f", 95% interval {r['ci_low']:.2f} to {r['ci_high']:.2f}, resampling participants"
            if pd.notna(r["ci_low"])
            else ""
        )
        parts.append(f"{lower_first(label)} {r['mean_compound']:.2f} ({int(r['segments'])} segments{interval})")
    lines.append(f"Mean VADER compound score per segment (-1 to 1): {_join(parts)}.")
    rows = validation[validation["n"] > 0] if len(validation) else validation
    if len(rows):
        adapted = rows[rows["lexicon"] == "domain-adapted"]
        v = adapted.iloc[0] if len(adapted) else rows.iloc[-1]
        text = (
            f" Against the primary coder's sentiment labels ({int(v['n'])} segments), the {v['lexicon']} scorer "
            f"reached accuracy {v['accuracy']:.2f} and macro-F1 {v['macro_f1']:.2f}"
        )
        if v["macro_f1"] < SENTIMENT_TRUSTED_F1:
            text += (
                f", below {SENTIMENT_TRUSTED_F1}: these scores are not findings, and the human sentiment labels "
                "remain the reliable source"
            )
        lines[-1] += text + "."
        model = rows[rows["lexicon"].str.startswith("supervised")]
        if len(model):
            m = model.iloc[0]
            lines[-1] += (
                f" How participants felt about each code is taken from the human labels where a pair was coded by"
                f" hand, and otherwise from a model trained on them, which reached accuracy {m['accuracy']:.2f}"
                f" and macro-F1 {m['macro_f1']:.2f}"
                + (f" ({interval})" if (interval := _interval(m, "macro_f1")) else "")
                + " under participant-grouped cross-validation"
            )
            lines[-1] += (
                "."
                if m["macro_f1"] >= SENTIMENT_TRUSTED_F1
                else f" (below {SENTIMENT_TRUSTED_F1}: read its mixed and neutral labels against the quotes)."
            )
    else:
        lines[-1] += " No human sentiment labels were available to validate these scores: do not read them as findings."
    lines += ["", "![Sentiment by code and group](figures/sentiment_by_code.png)", ""]
    return "\n".join(lines)


def claims_section(check: pd.DataFrame, roles: dict, source: str) -> str:
    if check.empty:
        declared = "no claims were declared for this corpus" if source in ("", "none") else f"{source} holds no claims"
        return "\n".join(
            [
                "## Check of the study's findings",
                "",
                f"None: {declared}, so no finding was checked against these data. To check the findings a report "
                "makes, write them as claims (like config/findings.yaml) and name that file under `findings:` in "
                "the corpus's corpus.yaml.",
                "",
            ]
        )
    holds = check["holds"].astype(str).str.lower() == "true"
    lines = [
        "## Check of the study's findings",
        "",
        f"{int(holds.sum())} of {len(check)} claims in {source} hold on these data"
        + (
            "."
            if holds.all()
            else "; these do not: "
            + "; ".join(f"{r.claim_id} ({r.measured})" for r in check[~holds].itertuples())
            + "."
        ),
        "",
    ]
    pattern = (
        re.compile(r"\b(" + "|".join(map(re.escape, sorted(roles, key=len, reverse=True))) + r")\b") if roles else None
    )

    def words(text: str) -> str:
        return pattern.sub(lambda m: lower_first(roles[m[1]]), str(text)) if pattern else str(text)

    table = pd.DataFrame(
        {
            "Claim": check["statement"].map(str),
            "Expected": check["expected"].map(words),
            "Measured": check["measured"].map(str),
            "Holds": ["yes" if h else "**no**" for h in holds],
        }
    )
    lines.append(markdown_table(table))
    return "\n".join(lines)


def findings_markdown(tables: dict[str, pd.DataFrame], roles: dict, name: str, claims_source: str) -> str:
    """findings.md: participants, findings by group, themes and codes with quotes, waves, reliability, sentiment,
    the check of the study's claims; every number from ``tables``."""
    by_role = tables["by_role"]
    labels = dict(zip(codes_frame(by_role)["code_id"], codes_frame(by_role)["label"], strict=True))
    sections = [
        f"# Findings: {name}",
        "",
        "Generated by the workflow from the tables in `tables/`; rerun it rather than editing this file. "
        "A participant counts for a code if at least one of their segments, in any wave, carries it in the final "
        "coding (the primary human coder's codes where an interview was coded by hand, the automated coder's "
        "elsewhere).",
        "",
        *(
            [
                "**The coding of this corpus has not been validated against a human coder**: it has no human coding "
                "yet, and its segments were coded by the codebook-seeded coder (see Reliability of the coding).",
                "",
            ]
            if len(tables["validation"]) and "codebook" in str(tables["validation"]["method"].iloc[0])
            else []
        ),
        participants_section(tables["participants"]),
        roles_section(by_role, roles),
        themes_section(by_role, tables["exemplars"], roles),
        "Table 2. Participants who raised each theme and code, by group: n/N (%).",
        "",
        markdown_table(prevalence_table(by_role, roles)),
        waves_section(tables["waves"], tables["sources"], roles),
        reliability_section(tables["reliability"], tables["validation"], labels),
        sentiment_section(tables["sentiment"], tables["sentiment_validation"], roles),
        claims_section(tables["check"], roles, claims_source),
        "## Figures",
        "",
        "- Figure 1, `figures/prevalence_by_role.png`: themes and codes by group.",
        "- Figure 2, `figures/participant_code_heatmap.png`: segments per code and participant.",
        "- Figure 3, `figures/code_cooccurrence.png`: codes applied to the same segment.",
        "- Figure 4, `figures/saturation.png`: new codes as interviews are added.",
        "- Figure 5, `figures/wave_comparison.png`: change between waves.",
        "",
    ]
    text = "\n".join(s for s in sections if s is not None)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"
