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
# # 1. The corpus: who was interviewed, and what the analysis works on
#
# This notebook is for reviewers of the analysis. It **reads the tables the workflow wrote** for one corpus
# (`outputs/<corpus>/tables/`) and explains each one; it computes nothing the analysis depends on, so what
# you see here is exactly what the workflow produced. The code cells only load and display files: each
# table is introduced by the file it comes from and the pipeline function that wrote it (in `pipeline/`).
#
# If you know NVivo or ATLAS.ti: the workflow does what a project file does there (import transcripts,
# classify participants, code passages, run matrix queries), but every step is a script, so the same input
# always gives the same tables and every number can be traced back to the code that produced it.
#
# The corpus folder is a parameter: the code cell tagged `parameters` (`OUTPUTS = ...`) names the default,
# the demonstration corpus. When the workflow executes this notebook (`python -m pipeline execute-notebook`) it adds a
# cell after that one with the folder of the corpus being analysed.

# %%
from pipeline.notebooks import Outputs, show

# %% tags=["parameters"]
OUTPUTS = "outputs/demo"

# %%
out = Outputs(OUTPUTS, "01-corpus-overview")
print(f"Reading the outputs in {OUTPUTS}")

# %% [markdown]
# ## Table 1: participants and interviews
#
# **File** `tables/participants.csv`, written by `pipeline.describe.participants_table` (workflow rule
# `describe_corpus`) from every interview's turns after the identifier check.
#
# **How to read it.** One row per participant group (`role`) and interview wave, then a total. `interviews`
# counts interviews and `participants` distinct people (a person interviewed in two waves counts once in the
# total). The word and turn columns count **what participants said**, not the interviewer: `participant_turns`
# is the number of times the participant spoke, `median_turn_words` the typical length of one answer, and
# `words_per_interview` the participant's words divided by the number of interviews. This is the usual
# "Table 1" of a qualitative paper.

# %%
participants = out.table("participants")
show(participants, caption="tables/participants.csv")

# %% [markdown]
# ## The interviews, one row each
#
# **File** `tables/interviews.csv`, written by `pipeline.describe.interviews_table` (rule `describe_corpus`).
#
# **How to read it.** Each row is one transcript. `source_format` is the transcript layout the workflow
# recognised (inline `Speaker: text`, an Otter.ai export, Teams or Zoom WebVTT subtitles, a Word document) and
# `encoding` the character encoding it was read in; the workflow reads them all into the same structure, so
# differences in format do not change the analysis. Turns and words are counted separately for the interviewer
# and the participant. Any further columns are the participant attributes given in the corpus's
# `manifest.csv` (the equivalent of case classifications in NVivo or document groups in ATLAS.ti), which the
# analysis can break results down by.

# %%
interviews = out.table("interviews")
show(interviews, caption="tables/interviews.csv")

# %% [markdown]
# ## Segments: the units that are coded
#
# **File** `tables/segments.csv`, written per interview by `pipeline.segment.segment_turns` (rule
# `prepare_interviews`, a batch of interviews per job) and gathered by the rule `collect_segments`.
#
# **How it was made.** The unit of analysis is a **participant turn**: everything the participant says between
# two interviewer questions. A turn longer than `segmentation.max_words` (in `config/config.yaml`) is split at
# sentence boundaries into passages of similar length, so one long answer may give several segments
# (`segments_in_turn`). Every segment keeps the interviewer's preceding question (`question`) as context.
# Interviewer speech is never coded. A segment is what NVivo calls a coding reference and ATLAS.ti a quotation,
# except that its boundaries are fixed by these rules rather than drawn by hand, so that human and machine
# coding can be compared on the same units.
#
# **How to read it.** `segment_id` is `<interview>_t<turn>_s<part>`: `CM1_w1_t009_s1` is the first part of
# turn 9 of case manager CM1's wave-1 interview. The same id is used in every later table.
#
# The summary below (count of segments and their length in words, per group and wave) is computed here, for
# display only, from `tables/segments.csv`.

# %%
segments = out.table("segments")
summary = (
    segments.groupby(["role", "wave"])["word_count"]
    .agg(segments="size", median_words="median", shortest="min", longest="max")
    .reset_index()
)
show(summary, caption="Segments per role and wave (from tables/segments.csv)")

# %% [markdown]
# A few segments, with the question that preceded each (the first segments of the first interview):

# %%
show(segments, columns=["segment_id", "question", "text", "word_count"], max_rows=5, caption="tables/segments.csv")

# %% [markdown]
# ## The identifier check
#
# **File** `tables/anonymisation_summary.csv`, written by `pipeline.gate.anonymise.summary_table` (rule
# `summarise_anonymisation`) from the per-interview counts of the identifier check (`pipeline.gate.anonymise`,
# rule `prepare_interviews`).
#
# **How it was made.** Before anything is analysed, every transcript passes an identifier check that looks
# for names of people, places and organisations, phone numbers, e-mail addresses, postcodes, case reference
# numbers, dates tied to a person and similar. Depending on the corpus's settings the run either **stops**
# when one is found (`check`, for transcripts that are meant to be anonymised already) or **replaces** each
# one with a typed placeholder such as `[PERSON_1]` (`pseudonymise`).
#
# **How to read it.** One row per kind of identifier: how many were found, in how many interviews, and what
# was done. The table holds counts only: the identifiers themselves are kept in a private folder
# (`private/<corpus>/`) that is never shared. As the last step of every run, the workflow searches every
# file under `outputs/<corpus>/`, including these notebooks, for every identifier found in the inputs, and
# fails if one appears (`tables/identifier_scan.csv`).

# %%
show(out.table("anonymisation_summary"), caption="tables/anonymisation_summary.csv")

# %% [markdown]
# ## Where to go next
#
# - `02-thematic-coding`: how the segments were coded against the codebook, by people and by the machine
#   coder, and how far the two agree;
# - `03-topics`: the themes a topic model finds without the codebook;
# - `04-sentiment`: the tone of what participants said (with its limits);
# - `05-findings`: the study's findings checked against the coded data, with quotes.
