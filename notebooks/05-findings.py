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
# # 5. Findings: the study's claims checked against the coded data, with the quotes behind them
#
# A qualitative report makes claims such as "most case managers said the toolkit gave sessions structure".
# This project writes each claim down as a checkable statement in a findings file (which code or theme, which
# participant group, and how many participants it takes, e.g. "at least 6 of 9"), and the workflow measures it
# on the final coding every time it runs. A claim that no longer holds after a change
# in the data, the codebook or the coding is then seen at once, instead of surviving in the text of a report.
#
# This notebook reads the check, the prevalence table it rests on and the example quotes; it computes nothing
# itself beyond selecting what to show.

# %%
from IPython.display import Markdown, display

from pipeline.notebooks import Outputs, show, show_quotes

# %% tags=["parameters"]
OUTPUTS = "outputs/demo"

# %%
out = Outputs(OUTPUTS, "05-findings")
print(f"Reading the outputs in {OUTPUTS}")

# %% [markdown]
# ## Do the claims hold?
#
# **File** `tables/findings_check.csv`, written by `pipeline.findings.check_claims` (rule `tabulate_findings`)
# from the corpus's findings file and the final codes (`tables/segment_codes.csv`). The findings file is the one
# its `corpus.yaml` names under `findings:`; without one, `config/findings.yaml` (the study's claims) for a corpus
# coded with the study's codebook, and none for a corpus with a codebook of its own. With none, the table has no
# rows and there is nothing to check.
#
# **How it was computed.** Claims are of three kinds. `participants`: the number of interviews of a group in a
# wave. `prevalence`: the number of participants of a group with at least one segment carrying the code (or
# any code of the theme), against the stated minimum. `comparison`: the share of one group's participants with
# the code is larger than the other group's. Unless a claim names another wave, it is measured on wave 1.
#
# **How to read it.** `statement` is the claim as a report would word it, `expected` what it requires,
# `measured` what the coded data show, and `holds` whether it is met. `report` says whether the claim is
# about a strength, a challenge, the context or an outcome.

# %%
check = out.table("findings_check")
if check.empty:
    print(
        "No claims were declared for this corpus, so no finding is checked here. To check the findings a report "
        "makes, write them as claims (like config/findings.yaml) and name that file under findings: in the "
        "corpus's corpus.yaml."
    )
else:
    held = int(check["holds"].sum())
    print(f"{held} of {len(check)} claims hold.")
    show(
        check,
        columns=["claim_id", "report", "role", "statement", "expected", "measured", "holds"],
        max_rows=60,
        caption="tables/findings_check.csv",
    )

# %% [markdown]
# Claims that do **not** hold (if any). A failed claim means the coded data do not support the sentence as
# worded: reread the segments behind it before deciding whether the claim, the coding or the codebook should
# change.

# %%
if check.empty:
    print("No claims were declared, so none can fail.")
else:
    failed = check[~check["holds"]]
    if len(failed):
        show(failed, columns=["claim_id", "statement", "expected", "measured"], caption="Claims that do not hold")
    else:
        print("Every claim holds.")

# %% [markdown]
# ## Strengths and challenges, theme by theme
#
# **File** `tables/code_prevalence_by_role.csv` (theme rows), written by `pipeline.findings.prevalence_by_role`
# (rule `tabulate_findings`).
#
# **How to read it.** For each theme of the codebook (`kind` says whether it gathers strengths, challenges,
# context or outcomes) and each group: `final_n` of the `N` participants expressed at least one of its codes,
# over `final_segments` segments. The `human_` and `machine_` columns show the same count from the human coder
# alone and from the machine coder alone; notebook 2 has the per-code table.

# %%
prevalence = out.table("code_prevalence_by_role")
themes = prevalence[prevalence["level"] == "theme"]
show(
    themes,
    columns=["label", "kind", "role_label", "final_n", "N", "final_pct", "final_segments", "human_n", "machine_n"],
    max_rows=20,
    caption="tables/code_prevalence_by_role.csv, theme rows",
)

# %% [markdown]
# The headline figure draws the code and theme rows of the same table: one panel per kind of theme; in each,
# every theme's "any code" bar (shaded row) comes before its codes, with one bar per group, its length the
# percentage of the group and its label n/N.

# %%
out.figure(
    "prevalence_by_role",
    made_by="pipeline.report.figures.prevalence_by_role (rule draw_figures)",
    data="tables/code_prevalence_by_role.csv",
)

# %% [markdown]
# ## The quotes behind each prevalence claim
#
# **File** `tables/exemplar_quotes.csv`, written by `pipeline.findings.exemplars` (rule `tabulate_findings`):
# for each code and group, the three segments with the final code that the machine coder scores highest.
#
# For each claim about a code, the quotes of that code from that group are shown; for a claim about a theme,
# the top quote of each of its codes. These are the passages most typical of the code, chosen by a rule, not
# the most vivid; a report would pick its own from the coded segments (`tables/segment_codes.csv` joined with
# `tables/segments.csv`). The quotes may come from any wave, while a claim is measured on wave 1 unless it says
# otherwise: each quote is headed by its wave. The text is as analysed: after the identifier check, with
# placeholders.

# %%
exemplars = out.table("exemplar_quotes")
codes_of_theme = (
    prevalence[prevalence["level"] == "code"].groupby("theme")["id"].agg(lambda ids: list(dict.fromkeys(ids)))
)
for claim in check[check["kind"] == "prevalence"].to_dict("records"):
    target = claim["code_or_theme"]
    if target in codes_of_theme:  # a theme: the top quote of each of its codes
        quotes = exemplars[exemplars["code_id"].isin(codes_of_theme[target]) & (exemplars["rank"] == 1)]
    else:
        quotes = exemplars[exemplars["code_id"] == target]
    quotes = quotes[quotes["role"] == claim["role"]]
    verdict = "holds" if claim["holds"] else "does not hold"
    display(
        Markdown(
            f"#### {claim['statement']}\n\n`{claim['claim_id']}`: expected {claim['expected']}, "
            f"measured {claim['measured']}: **{verdict}**."
        )
    )
    if len(quotes):
        show_quotes(quotes, by=["label", "participant_id", "wave", "segment_id"], max_quotes=3)
    else:
        print("No exemplar quote for this code and group.")

# %% [markdown]
# ## The findings report
#
# **File** `findings.md`, written by `pipeline.report.sections.findings_markdown` (rule `write_findings`) from the same
# tables: the findings in prose, with their counts and one quote per code. It is shown below as it stands,
# except that its figures are named rather than drawn (they are in this notebook, notebook 2 and notebook 4).

# %%
out.show_markdown("findings.md")
