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
# # 4. Sentiment: the tone of what participants said, and how far to trust it
#
# **Read the validation section first.** Automated sentiment is scored here with VADER, a word list in which
# each word has a positive or negative weight (for example "great" +3.1, "useless" -1.8), with rules for
# negation ("not good"), intensifiers ("really good") and "but". It was built for short social-media posts, and
# spoken interview answers are hard for it: people soften complaints ("to be honest it was good, but I had no
# time at all") and talk about distressing subjects (abuse, offences, risk) in a matter-of-fact tone. On the
# demonstration corpus it agrees poorly with the coders' own sentiment labels, so **do not read these tables
# and figures as findings**; the human sentiment labels in the corpus's `codes.csv` remain the reliable
# source.
#
# **How it was computed** (`pipeline.sentiment`, rules `score_sentiment` and `summarise_sentiment`). Each
# sentence of a segment gets a compound score from -1 (most negative) to +1 (most positive); the segment's
# score is the mean over its sentences. Its label is positive or negative when that mean passes a threshold,
# neutral in between, and mixed when a strongly positive and a strongly negative sentence meet (thresholds
# under `sentiment:` in `config/config.yaml`). A documented domain lexicon, `config/sentiment_lexicon.yaml`,
# sets words that only name the subject matter here (abuse, offence, risk, victim ...) to neutral and adds
# words of the domain ("patronising", "no wifi"). Every table keeps the plain VADER result beside the adapted
# one.

# %%
import pandas as pd

from pipeline.notebooks import Outputs, show

# %% tags=["parameters"]
OUTPUTS = "outputs/demo"

# %%
out = Outputs(OUTPUTS, "04-sentiment")
print(f"Reading the outputs in {OUTPUTS}")

# %% [markdown]
# ## Validation: automated sentiment against the human coders' labels
#
# **File** `tables/sentiment_validation.csv`, written by `pipeline.sentiment.validation` (rule
# `summarise_sentiment`).
#
# **How it was computed.** Every quote the primary human coder coded also carries that coder's sentiment label
# (positive, negative, neutral or mixed). For each such coded segment, the label is compared with the machine's,
# once for plain VADER and once for the domain-adapted version. `n` is the number of comparisons.
#
# **How to read it.** `accuracy` is the share of labels that match. `macro_f1` averages the agreement over the
# four labels, so that a method cannot score well by calling everything "positive"; 1 is perfect, and a method
# guessing at random among the four labels scores 0.25 or less. `macro_f1_ci_low` and `macro_f1_ci_high` give
# its 95% interval from redrawing the participants at random with replacement (a participant's labels stay
# together); a label few participants used (here neutral) makes it wide. The remaining columns are the confusion matrix,
# shown below as a table: rows are the human label, columns the machine's, and the diagonal counts agreements.
# If the table is empty the corpus has no human sentiment labels, and the figures below are unvalidated.

# %%
validation = out.table("sentiment_validation")
show(
    validation,
    columns=["lexicon", "n", "accuracy", "macro_f1", "macro_f1_ci_low", "macro_f1_ci_high"],
    caption="tables/sentiment_validation.csv",
)

# %%
labels = ["positive", "negative", "neutral", "mixed"]
for row in validation.to_dict("records"):
    cells = {h: {m: row.get(f"human_{h}_machine_{m}", "") for m in labels} for h in labels}
    matrix = [{"human label": h, **{f"machine: {m}": cells[h][m] for m in labels}} for h in labels]
    show(pd.DataFrame(matrix), caption=f"Confusion matrix, {row['lexicon']} (from tables/sentiment_validation.csv)")

# %% [markdown]
# ## Scores per segment
#
# **File** `tables/segment_sentiment.csv`, written by `pipeline.sentiment.score_segments` (rule
# `score_sentiment`).
#
# **How to read it.** One row per segment (join on `segment_id` with `tables/segments.csv` to read the text):
# `compound` and `label` with the domain lexicon, `compound_plain` and `label_plain` with plain VADER; the
# spread over the segment's sentences (`compound_max`, `compound_min`, `share_positive`, `share_negative`) and
# `contrast_words` (but, however, although, though; up to 3) are what the code-level model learns from besides
# the text.

# %%
scores = out.table("segment_sentiment")
show(scores, max_rows=8, caption="tables/segment_sentiment.csv")
show(
    scores.groupby("label").size().reset_index(name="segments"),
    caption="Segments by label, domain-adapted (counted here from tables/segment_sentiment.csv)",
)

# %% [markdown]
# ## Mean sentiment by participant group, by wave and by participant
#
# **Files** `tables/sentiment_by_role.csv`, `tables/sentiment_by_wave.csv` and
# `tables/sentiment_by_participant.csv`, written by `pipeline.sentiment.aggregate` (rule `summarise_sentiment`).
#
# **How to read them.** For each group: `segments` scored, `mean_compound` (domain-adapted), and `ci_low` to
# `ci_high`, a 95% interval for that mean from a seeded bootstrap (the same numbers every run). For a group of
# participants (a role, a wave) it redraws the group's participants, each with all of their segments, because
# one person's segments are not independent of one another; a group with one participant has no interval. For
# one participant's own mean (`sentiment_by_participant.csv`) it redraws that participant's segments. Where two
# intervals overlap widely, the difference between the groups is not one to report. `n_positive` ...
# `n_mixed` count the segments by label.

# %%
show(out.table("sentiment_by_role"), caption="tables/sentiment_by_role.csv")
show(out.table("sentiment_by_wave"), caption="tables/sentiment_by_wave.csv")

# %%
out.figure("sentiment_by_wave", made_by="pipeline.sentiment.figures.sentiment_by_wave", data="tables/sentiment_by_wave.csv")

# %% [markdown]
# The figure shows each group's mean with its 95% interval in each wave; `n` under a point is the number of
# segments. A later wave holds only the re-interviewed participants.

# %%
show(out.table("sentiment_by_participant"), max_rows=40, caption="tables/sentiment_by_participant.csv")

# %% [markdown]
# ## Sentiment by code
#
# **File** `tables/sentiment_by_code_role.csv`, written by `pipeline.sentiment.aggregate` over the segments
# with each final code (rule `summarise_sentiment`); the figure by `pipeline.sentiment.figures.sentiment_by_code`.
#
# **How to read it.** For each code and group, the same columns as above, over the segments carrying the code.
# In the figure, each bar is one code's segments split by label: negative and mixed to the left of the centre
# line, positive to the right, neutral straddling it; `n` is the number of segments. Codes of challenges
# (technology, workload) should lean negative if the method works; where they do not, that is the method's
# weakness described above, not a finding.

# %%
show(out.table("sentiment_by_code_role"), max_rows=40, caption="tables/sentiment_by_code_role.csv")

# %%
out.figure("sentiment_by_code", made_by="pipeline.sentiment.figures.sentiment_by_code", data="tables/sentiment_by_code_role.csv")
