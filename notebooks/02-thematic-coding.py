# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Thematic coding: who coded what, how far the coders agree, and what the codes add up to
#
# Every segment (a participant's answer, see notebook 1) is coded against the study codebook,
# `config/codebook.yaml`: themes, each with codes, definitions, include and exclude criteria and examples, as in
# an NVivo or ATLAS.ti code system. A segment may carry several codes. Codes come from three **sources**, kept
# apart:
#
# - **human**: the coders' own coding (`codes.csv` in the corpus folder: a quote and a code per row), matched
#   to the segments the quotes fall in (`pipeline.human_codes`);
# - **model**: a machine coder trained on the human coding (`pipeline.coding`): for each code, a logistic
#   regression on the meaning of the segment (a sentence embedding), of the question before it, and on its
#   words;
# - **pattern**: the indicator phrases listed in the codebook, found in the segment (`pipeline.coding.patterns`);
#   they point a coder at candidate passages, like a text search query, and never decide a code on their own.
#
# The **final** codes, the ones the findings count, are the primary human coder's where an interview was
# coded by people, and the machine coder's elsewhere (for example an uncoded second wave), with any decisions
# a reviewer made in the review queue overriding both.
#
# This notebook only reads and displays tables the workflow wrote; each section names the file and the
# function that made it.

# %%
from pipeline.notebooks import Outputs, show, show_quotes

# %% tags=["parameters"]
OUTPUTS = "outputs/demo"

# %%
out = Outputs(OUTPUTS, "02-thematic-coding")
print(f"Reading the outputs in {OUTPUTS}")

# %% [markdown]
# ## Every code on every segment
#
# **File** `tables/segment_codes.csv`, written by `pipeline.coding.combine` (rule `code_segments`).
#
# **How to read it.** One row per segment, code and source: `source` is human, model or pattern, `coder` names
# the human coder (`coder1`, `coder2`, or a reviewer), `confidence` is the machine coder's probability (1 for
# human codes; for patterns it grows with the number of phrases found), and `final` says whether the row
# belongs to the final code set. The same segment and code can appear several times, once per source.
#
# The counts below are computed here, for display, from that file.

# %%
codes = out.table("segment_codes")
by_source = codes.groupby(["source", "coder"]).size().reset_index(name="rows")
show(by_source, caption="Rows of tables/segment_codes.csv by source and coder")
final = codes[codes["final"]].drop_duplicates(["segment_id", "code_id"])
show(
    final.groupby(["role", "wave"]).size().reset_index(name="final codes"),
    caption="Final (segment, code) pairs by role and wave",
)

# %% [markdown]
# ## How good is the machine coder? Validation against the human coder
#
# **File** `tables/coding_validation.csv`, written by `pipeline.core.statistics.validation_table`, called by
# `pipeline.coding.code_segments` (rule `code_segments`).
#
# **How it was computed.** The machine coder is tested on interviews it was not trained on: the human-coded
# participants are split into groups, the coder is trained on all groups but one and codes the one left out,
# and so on until every human-coded segment has a machine decision made without seeing that participant
# (participant-grouped cross-validation). These decisions are compared with the primary human coder's.
#
# **How to read it.** One row per code and a `pooled` row over all codes. `human_yes` and `machine_yes` count
# segments each coded with the code. `precision`: of the segments the machine coded, the share the human also
# coded; `recall`: of the segments the human coded, the share the machine found; `f1` combines both. `cohen_kappa`
# corrects agreement for chance, as NVivo's coding comparison query does: roughly, below 0.4 is weak, 0.4-0.6
# moderate, 0.6-0.8 substantial. A code the human used on few segments has an unstable score: `kappa_ci_low` and
# `kappa_ci_high` give its 95% interval, from redrawing the participants at random with replacement 2,000 times
# (a participant's segments stay together) and computing the kappa of each draw. The interval shows how much the
# figure depends on which participants happened to be interviewed; it does not retrain the coder.
#
# A corpus with no human coding yet is coded by the **codebook-seeded coder**, built from the codebook alone
# (`method` says so, and its rows in `tables/segment_codes.csv` have `source: codebook`): there is nothing to
# validate it against, so every figure below is empty and no agreement is claimed. The cell under the table says
# which case this corpus is.

# %%
validation = out.table("coding_validation")
show(validation, max_rows=40, caption="tables/coding_validation.csv")
method = validation["method"].iloc[0]
if "codebook" in method:
    print(
        "NOT VALIDATED: this corpus has no human coding, and its segments were coded by the codebook-seeded coder "
        "(definitions, include criteria, examples and indicator phrases only). Treat the codes as a first pass: "
        "decide rows of tables/review_queue.csv and rerun, or add codes.csv."
    )
else:
    print(f"Validation method: {method}.")

# %% [markdown]
# ## Inter-coder reliability
#
# **File** `tables/reliability.csv`, written by `pipeline.core.statistics.agreement_table`, called by
# `pipeline.coding.code_segments` (rule `code_segments`).
#
# **How it was computed.** On the segments that both sides coded, each code is a yes/no decision per segment.
# `coder1 vs coder2` compares the two human coders on the interviews both coded; `coder1 vs machine` compares
# the primary coder with the machine's cross-validated decisions (above).
#
# **How to read it.** `units` is the number of decisions compared (segments, or segments x codes in the
# `pooled` row); `coder_a_yes` and `coder_b_yes` how often each side said yes. Four measures side by side:
# `percent_agreement` (share of identical decisions), `cohen_kappa` and `krippendorff_alpha` (agreement
# corrected for chance) and `gwet_ac1`. Kappa and alpha drop sharply for a code that is rarely used even when
# the coders almost always agree (the "kappa paradox"); AC1 does not, so read a low kappa with a high percent
# agreement and AC1 as "rare code", not as "coders disagree". The pooled rows come first.

# %%
reliability = out.table("reliability")
pooled = reliability[reliability["code_id"] == "pooled"]
show(pooled, caption="tables/reliability.csv, pooled rows")
show(reliability[reliability["code_id"] != "pooled"], max_rows=40, caption="tables/reliability.csv, per code")

# %% [markdown]
# The same, as a paper would print it: **file** `tables/reliability_summary.csv`, written by
# `pipeline.report.reliability_summary` (rule `format_tables`) from `tables/reliability.csv` and
# `tables/coding_validation.csv`. One row per code: kappa and AC1 of each comparison and the machine coder's
# cross-validated F1, rounded to two decimals.

# %%
show(out.table("reliability_summary"), max_rows=40, caption="tables/reliability_summary.csv")

# %% [markdown]
# ## The review queue: machine decisions a person should check
#
# **File** `tables/review_queue.csv`, written by `pipeline.coding.review_queue` (rule `code_segments`).
#
# **How it was made.** Among the segments coded by the machine only, the decisions closest to the machine
# coder's threshold (it was least sure), and segments where a codebook phrase was found but the model said no.
# `uncertainty` is 1 at the threshold and falls to 0 for a sure decision.
#
# **How to use it.** Fill in `decision` (include or exclude) and optionally `reviewer`, copy the file into the
# corpus folder as `review_queue.csv` and rerun the workflow: the decisions become human codes and override the
# machine's. The text of each segment is in the file; the first rows are shown here without it.

# %%
queue = out.table("review_queue")
show(
    queue,
    columns=["rank", "segment_id", "code_label", "machine_decision", "confidence", "uncertainty", "pattern_phrases"],
    max_rows=10,
    caption="tables/review_queue.csv",
)

# %% [markdown]
# ## How many participants expressed each code, by group
#
# **File** `tables/code_prevalence_by_role.csv`, written by `pipeline.findings.prevalence_by_role` (rule
# `tabulate_findings`).
#
# **How it was computed.** For each code (`level` = code) and each theme (`level` = theme: any of its codes),
# and each participant group: `N` participants in the group, `final_n` of them with at least one segment
# carrying the code in the final coding, `final_pct` the same as a percentage, `final_segments` the number of
# segments. The `human_` columns count the primary human coder's codes alone and the `machine_` columns the
# machine coder's, so the two can be compared where both exist. This is the "n of N participants" count a
# qualitative paper reports, like a matrix coding query of cases by codes.
#
# The compact view below (n/N and % per group, each theme followed by its codes) is formatted here from the
# file; the full table follows it.

# %%
prevalence = out.table("code_prevalence_by_role")
cell = prevalence["final_n"].astype(str) + "/" + prevalence["N"].astype(str)
cell += " (" + prevalence["final_pct"].round(0).astype(int).astype(str) + "%)"
wide = prevalence.assign(cell=cell).pivot_table(
    index=["theme", "level", "label"], columns="role_label", values="cell", aggfunc="first", sort=False
)
themes = list(dict.fromkeys(prevalence["theme"]))
wide = wide.reset_index().rename_axis(columns=None)
wide = wide.sort_values(["theme", "level"], key=lambda c: c.map(themes.index) if c.name == "theme" else c != "theme")
show(
    wide.drop(columns="theme"),
    max_rows=60,
    caption="Participants with the code (final coding), from tables/code_prevalence_by_role.csv",
)
show(prevalence, max_rows=60, caption="tables/code_prevalence_by_role.csv")

# %% [markdown]
# The headline figure draws the same `final_n` / `N` columns: one panel per kind of theme (strengths,
# challenges, context, outcomes); in each, every theme's "any code" bar (shaded row) comes before its codes,
# with one bar per group, its length the percentage of the group and its label n/N.

# %%
out.figure(
    "prevalence_by_role",
    made_by="pipeline.report.figures.prevalence_by_role (rule draw_figures)",
    data="tables/code_prevalence_by_role.csv",
)

# %% [markdown]
# ## The same, by interview wave
#
# **File** `tables/code_prevalence_by_wave.csv`, written by `pipeline.findings.prevalence_by_wave` (rule
# `tabulate_findings`).
#
# **How to read it.** Per group, wave and code: `n` of the `N` participants interviewed in that wave with the
# code, `pct`, and `segments`. A later wave re-interviews only some participants, so compare percentages, and
# remember that `N` is small. Where a wave was not coded by people its codes are the machine coder's. The
# compact view (n/N per group and wave) is formatted here from the file.

# %%
by_wave = out.table("code_prevalence_by_wave")
by_wave["column"] = by_wave["role_label"] + ", wave " + by_wave["wave"].astype(str)
by_wave["cell"] = by_wave["n"].astype(str) + "/" + by_wave["N"].astype(str)
wide_wave = by_wave.pivot_table(index="label", columns="column", values="cell", aggfunc="first", sort=False)
show(
    wide_wave.reset_index().rename_axis(columns=None),
    max_rows=40,
    caption="Participants with the code, by group and wave (from tables/code_prevalence_by_wave.csv)",
)

# %% [markdown]
# **Change between waves.** **File** `tables/wave_comparison.csv`, written by `pipeline.report.wave_comparison`
# (rule `format_tables`) from the table above and the participant x code matrix: for each group and code, the
# share of participants with the code in the first wave (`from_`) and in the later wave (`to_`), and the
# change in percentage points (`change_pp`). The `same_` columns repeat the comparison for the people
# interviewed in both waves only, which is the fairer comparison when a later wave re-interviews a few people.
# In the figure, an open circle is the earlier wave and a filled one the later wave; the number on the right is
# the change in percentage points.

# %%
show(
    out.table("wave_comparison"),
    columns=["role_label", "label", "from_n", "from_N", "to_n", "to_N", "change_pp", "same_N", "same_change_pp"],
    max_rows=40,
    caption="tables/wave_comparison.csv",
)
out.figure(
    "wave_comparison",
    made_by="pipeline.report.figures.wave_comparison (rule draw_figures)",
    data="tables/wave_comparison.csv",
)

# %% [markdown]
# ## Participants x codes
#
# **File** `tables/participant_code_matrix.csv`, written by `pipeline.findings.final_matrix` (rule
# `tabulate_findings`).
#
# **How to read it.** One row per participant and wave, one column per code id: the number of segments of that
# participant carrying the code in the final coding (0: never). It is the equivalent of a framework matrix, or
# ATLAS.ti's code-document table, and shows whether a code's prevalence rests on many people or on a few who
# talk about it a lot. The heatmap below draws the same numbers, participants grouped by role, codes by theme.

# %%
matrix = out.table("participant_code_matrix")
show(matrix, max_rows=40, caption="tables/participant_code_matrix.csv")
out.figure(
    "participant_code_heatmap",
    made_by="pipeline.report.figures.participant_code_heatmap (rule draw_figures)",
    data="tables/participant_code_matrix.csv",
)

# %% [markdown]
# ## Codes that occur together
#
# **File** `tables/code_cooccurrence.csv`, written by `pipeline.findings.cooccurrence` (rule
# `tabulate_findings`).
#
# **How to read it.** A square table of codes: each cell is the number of segments carrying both the row's and
# the column's code (final coding); the diagonal is the number of segments with the code at all. It is ATLAS.ti's
# code co-occurrence table. High counts off the diagonal suggest codes that participants link, or codes whose
# definitions overlap. The heatmap shows the lower half of the table (it is symmetric), with each code's own
# count in its label.

# %%
cooccurrence = out.table("code_cooccurrence")
show(cooccurrence, max_rows=40, caption="tables/code_cooccurrence.csv")
out.figure(
    "code_cooccurrence",
    made_by="pipeline.report.figures.cooccurrence_heatmap (rule draw_figures)",
    data="tables/code_cooccurrence.csv",
)

# %% [markdown]
# ## Saturation: were new codes still appearing?
#
# **File** `tables/saturation.csv`, written by `pipeline.findings.saturation` (rule `tabulate_findings`).
#
# **How to read it.** Interviews in the order of the corpus's `manifest.csv`, numbered within each group:
# `new_codes` is the number of codes first seen in that interview, `cumulative_codes` the number seen so far in
# the group. When later interviews add no new codes, the codebook's codes were all met (code saturation); this
# says nothing about saturation of meaning within a code, and depends on the order of the interviews. The
# figure draws `cumulative_codes` against the interview number, one line per group, with the number of codes in
# the codebook as a dashed line.

# %%
show(out.table("saturation"), max_rows=40, caption="tables/saturation.csv")
out.figure("saturation", made_by="pipeline.report.figures.saturation_curves (rule draw_figures)", data="tables/saturation.csv")

# %% [markdown]
# ## Example quotes for each code
#
# **File** `tables/exemplar_quotes.csv`, written by `pipeline.findings.exemplars` (rule `tabulate_findings`).
#
# **How it was chosen.** For each code and group, the three segments with the final code that the machine coder
# scores highest (`confidence`): the passages most typical of the code as the coding defines it, not
# necessarily the most striking ones. The text is the segment as analysed: after the identifier check, with
# placeholders such as `[PARTNER]`. Below, the top-ranked quote for the first few codes and groups; notebook 5
# shows the quotes behind each finding.

# %%
exemplars = out.table("exemplar_quotes")
first = exemplars[exemplars["rank"] == 1]
show_quotes(first, by=["label", "role", "segment_id"], max_quotes=8)
