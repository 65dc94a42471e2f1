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
# # 3. Topics: what participants talk about, found without the codebook
#
# Thematic coding (notebook 2) looks for what the codebook names. A **topic model** works the other way round:
# it groups segments that are about similar things, without being told what to look for, and describes each
# group by its most characteristic words. It is a check on the codebook (is there a recurring subject no code
# covers?) and an aid to inductive coding; it is not a substitute for reading, and its topics are not themes
# until a person has read the segments behind them and named them.
#
# The workflow uses BERTopic (`pipeline.topics`, rule `fit_topics`): each participant segment is turned into a
# sentence embedding (a numerical summary of its meaning, the same one the machine coder uses), similar
# segments are clustered, and each cluster is described by the words that distinguish it from the others.
# Segments too short to model ("Yes.", "That's fine.") are left out, and segments the clustering could not
# place ("outliers") are given to the nearest topic where one is close enough. Random steps are seeded, so two
# runs give the same topics.
#
# Topic outputs are optional: a corpus too small to model, or a version of the workflow without the topic
# stage, has none, and the sections below then say "not produced for this corpus".

# %%
from pipeline.notebooks import Outputs, show, show_quotes

# %% tags=["parameters"]
OUTPUTS = "outputs/demo"

# %%
out = Outputs(OUTPUTS, "03-topics")
print(f"Reading the outputs in {OUTPUTS}")

# %% [markdown]
# ## The topics
#
# **File** `tables/topics.csv`, written by `pipeline.topics.topic_table` (rule `fit_topics`).
#
# **How to read it.** One row per topic. `topic_id` numbers the topics by size (`-1` gathers the outliers
# that no topic took), `label` is made from the top words, `size` is the number of segments and `share` their
# share of the modelled segments, `participants` how many different people those segments come from (a large
# topic voiced by one or two people is a feature of those interviews, not of the study). `top_words` are the
# words that characterise the topic, most characteristic first. `representative_1` to `_3` are the segments
# closest to the topic's centre: read them before giving the topic a name.

# %%
topics = out.table("topics")
show(
    topics,
    columns=["topic_id", "label", "size", "share", "participants", "top_words"],
    max_rows=40,
    caption="tables/topics.csv",
)

# %%
out.figure("topic_words", made_by="pipeline.topics.figures.topic_words", data="tables/topics.csv and the fitted model")

# %% [markdown]
# Representative segments of the largest topics (the segments closest to each topic's centre, from the
# `representative_1..3` columns of `tables/topics.csv`):

# %%
if topics is not None and "representative_1" in topics.columns:
    largest = topics[topics["topic_id"] >= 0].head(4)
    quotes = largest.melt(
        id_vars=["topic_id", "label"],
        value_vars=[c for c in ("representative_1", "representative_2", "representative_3") if c in topics.columns],
        var_name="rank",
        value_name="text",
    ).sort_values(["topic_id", "rank"])
    show_quotes(quotes[quotes["text"].notna()], by=["topic_id", "label", "rank"], max_quotes=12)

# %% [markdown]
# ## Which topic each segment belongs to
#
# **File** `tables/segment_topics.csv`, written by `pipeline.topics.segment_topics` (rule `fit_topics`).
#
# **How to read it.** One row per segment: its `topic_id`, the model's `probability` that it belongs there,
# and where present how it was assigned (`cluster`: placed by the clustering; `reassigned`: an outlier given
# to its nearest topic; `outlier`; `too_short`: not modelled). Join it to `tables/segments.csv` on
# `segment_id` to read the segments of a topic.

# %%
segment_topics = out.table("segment_topics")
if segment_topics is not None and "assignment" in segment_topics.columns:
    show(
        segment_topics.groupby("assignment").size().reset_index(name="segments"),
        caption="Segments by how they were assigned (from tables/segment_topics.csv)",
    )
show(segment_topics, max_rows=8, caption="tables/segment_topics.csv")

# %% [markdown]
# ## Topics by participant group and by wave
#
# **Files** `tables/topics_per_role.csv` and `tables/topics_per_wave.csv`, written by
# `pipeline.topics.tables.topics_per_group` (rule `fit_topics`); the figure by `pipeline.topics.figures.topics_by_role`.
#
# **How to read it.** For each topic and group (or wave): the number of segments and of participants, and
# `share`, the topic's share of that group's modelled segments. Compare shares, not counts, since groups
# differ in size. `words`, where filled, are the topic's characteristic words within that group: the same
# topic can be talked about in different terms by case managers and by the men they supervise.

# %%
per_role = out.table("topics_per_role")
show(per_role, max_rows=30, caption="tables/topics_per_role.csv")
out.figure("topics_by_role", made_by="pipeline.topics.figures.topics_by_role", data="tables/topics_per_role.csv")

# %%
show(out.table("topics_per_wave"), max_rows=30, caption="tables/topics_per_wave.csv")

# %% [markdown]
# ## Topics against codes
#
# **File** `tables/topic_code_crosswalk.csv`, written by `pipeline.topics.crosswalk` (rule
# `relate_topics_to_codes`, which reads the topic tables and the final codes); the heatmap by
# `pipeline.topics.figures.topic_code_heatmap`.
#
# **How to read it.** One row per topic, one column per code id: the number of the topic's segments carrying
# the code (final coding). `dominant_code_label` is the code most of the topic's segments carry and
# `dominant_share` the share of the topic's segments that carry it. A topic with a clear dominant code
# rediscovers a part of the codebook; a sizeable topic with no dominant code, or one spread thinly over many
# codes, is worth reading: it may be a subject the codebook does not cover.

# %%
crosswalk = out.table("topic_code_crosswalk")
show(
    crosswalk,
    columns=["topic_id", "label", "size", "dominant_code_label", "dominant_segments", "dominant_share"],
    max_rows=40,
    caption="tables/topic_code_crosswalk.csv",
)
out.figure("topic_code_heatmap", made_by="pipeline.topics.figures.topic_code_heatmap", data="tables/topic_code_crosswalk.csv")

# %% [markdown]
# ## Topics seeded from the codebook
#
# **Files** `tables/guided_topics.csv` and `tables/guided_topic_code_crosswalk.csv`, written by the same
# functions for a second model (rules `fit_guided_topics` and `relate_topics_to_codes`, setting `topics.guided`)
# whose starting topics are the codebook's codes (their labels and indicator words). Compare it with the
# unguided model above: a code that no guided topic forms around is one the segments do not speak about in the
# codebook's words.

# %%
show(
    out.table("guided_topics"),
    columns=["topic_id", "label", "size", "share", "participants", "top_words"],
    max_rows=40,
    caption="tables/guided_topics.csv",
)
show(
    out.table("guided_topic_code_crosswalk"),
    columns=["topic_id", "label", "size", "dominant_code_label", "dominant_share"],
    max_rows=40,
    caption="tables/guided_topic_code_crosswalk.csv",
)

# %% [markdown]
# ## How much to trust the topics
#
# **File** `tables/topic_quality.csv`: the runs compared by `pipeline.topics.compare` (rule `evaluate_topics`),
# tabulated with the segments' codes by `pipeline.topics.quality_table` (rule `relate_topics_to_codes`).
#
# **How it was computed.** BERTopic and two classic topic models (LDA and NMF, with the same number of topics)
# are fitted on the same segments several times with different random seeds. `npmi` (coherence, -1 to 1) says
# whether a topic's top words tend to occur in the same segments; `diversity` (0 to 1) is the share of distinct
# words across all topics' top words (low: topics repeat each other); `stability_ari` (0 to 1) says whether
# refitting with another seed puts the same segments together; `nmi_dominant_code` how closely topics follow
# the segments' main codes; `outlier_share` the share of segments left unplaced.
#
# **How to read it.** Higher is better for the first three. Topics that change with the seed (low stability)
# should not be reported as findings. On a small corpus all of these are noisy.

# %%
show(out.table("topic_quality"), caption="tables/topic_quality.csv")
