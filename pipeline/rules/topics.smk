"""Topics: segments + the shared embeddings -> BERTopic topics (tables/topics.csv, segment_topics.csv,
topics_per_role.csv, topics_per_wave.csv, models/topics/, figures); a guided run seeded from the codebook
(topics.guided); their comparison with LDA and NMF; and both against the final codes (topic_code_crosswalk.csv,
heatmap, tables/topic_quality.csv)."""


rule fit_topics:
    """BERTopic on participant segments: topics, outliers reassigned, words per role and wave. It reads no
    coding (relate_topics_to_codes does), so it runs beside code_segments."""
    input:
        unpack(topic_inputs),
        segments=f"{OUT}/tables/segments.csv",
    output:
        topics=f"{OUT}/tables/topics.csv",
        segment_topics=f"{OUT}/tables/segment_topics.csv",
        per_role=f"{OUT}/tables/topics_per_role.csv",
        per_wave=f"{OUT}/tables/topics_per_wave.csv",
        model=directory(f"{OUT}/models/topics"),
        figure_words=report(
            f"{OUT}/figures/topic_words.png",
            caption="../captions/topic_words.rst",
            category="Topics",
        ),
        figure_words_svg=f"{OUT}/figures/topic_words.svg",
        figure_roles=report(
            f"{OUT}/figures/topics_by_role.png",
            caption="../captions/topics_by_role.rst",
            category="Topics",
        ),
        figure_roles_svg=f"{OUT}/figures/topics_by_role.svg",
    log:
        f"{OUT}/logs/fit_topics.log",
    benchmark:
        f"{OUT}/benchmarks/fit_topics.tsv"
    priority: 4  # first: evaluate_topics takes its main fit from the topic cache (see embed_segments)
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.topics.stage"),
        settings=json.dumps(TOPICS, sort_keys=True),
        roles=json.dumps(CORPUS.roles),
        embeddings=lambda wildcards, input: input.get("embeddings", ""),
        fit_waves=FIT_WAVES,
        cache=TOPIC_CACHE,
    shell:
        "python -m pipeline fit-topics --segments {input.segments:q} --embeddings={params.embeddings:q}"
        " --settings {params.settings:q}"
        " --roles {params.roles:q} --topics {output.topics:q} --segment-topics {output.segment_topics:q}"
        " --per-role {output.per_role:q} --per-wave {output.per_wave:q}"
        " --model {output.model:q} --figure-words {output.figure_words:q} --figure-roles {output.figure_roles:q}"
        " --fit-waves={params.fit_waves:q} --cache {params.cache:q} --log {log:q}"


rule fit_guided_topics:
    """The same model seeded with one topic per code (its label and indicator words); topics.guided only."""
    input:
        unpack(topic_inputs),
        segments=f"{OUT}/tables/segments.csv",
        codebook=CODEBOOK,
    output:
        topics=f"{OUT}/tables/guided_topics.csv",
        segment_topics=f"{OUT}/tables/guided_segment_topics.csv",
    log:
        f"{OUT}/logs/fit_guided_topics.log",
    benchmark:
        f"{OUT}/benchmarks/fit_guided_topics.tsv"
    # after the topic model and its comparison, before the findings chain (priority 1): relate_topics_to_codes and
    # the last notebooks wait for it, and it used to start only when that chain was done (a refit of 1,250
    # interviews: 20 s from 57 s, with one core idle for 8 s before the crosswalks could start); beside fit_topics
    # instead of the comparison, it made the comparison, the longest job, start 18 s late
    priority: 2
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.topics.stage"),
        settings=json.dumps(TOPICS, sort_keys=True),
        embeddings=lambda wildcards, input: input.get("embeddings", ""),
        fit_waves=FIT_WAVES,
        cache=TOPIC_CACHE,
    shell:
        "python -m pipeline fit-topics --guided --segments {input.segments:q} --embeddings={params.embeddings:q}"
        " --codebook {input.codebook:q} --settings {params.settings:q}"
        " --topics {output.topics:q} --segment-topics {output.segment_topics:q}"
        " --fit-waves={params.fit_waves:q} --cache {params.cache:q} --log {log:q}"


rule evaluate_topics:
    """Coherence (NPMI), diversity and stability across seeds for BERTopic, LDA and NMF with matched topic counts,
    on the segments the topic model is fitted on: the runs, before the codes are known (relate_topics_to_codes
    makes the table)."""
    input:
        unpack(topic_inputs),
        # below 400 interviews after fit_topics (its main fit is then in the topic cache), from 400 on beside it
        **MAIN_FIT_FIRST,
        segments=f"{OUT}/tables/segments.csv",
    output:
        runs=f"{OUT}/interim/topic_quality_runs.json",
    log:
        f"{OUT}/logs/evaluate_topics.log",
    benchmark:
        f"{OUT}/benchmarks/evaluate_topics.tsv"
    priority: 3  # the longest job: right after fit_topics, whose main fit it takes (see embed_segments)
    conda:
        CONDA_ENV
    # scheduled as one core; worker processes for the 3 x seeds runs (capped by --cores): see workers()
    threads: 1
    params:
        code=code_of("pipeline.topics.stage"),
        workers=workers("evaluate_topics", QUALITY_WORKERS),
        settings=json.dumps(TOPICS, sort_keys=True),
        embeddings=lambda wildcards, input: input.get("embeddings", ""),
        fit_waves=FIT_WAVES,
        cache=TOPIC_CACHE,
    shell:
        "python -m pipeline evaluate-topics --segments {input.segments:q} --embeddings={params.embeddings:q}"
        " --settings {params.settings:q} --out {output.runs:q}"
        " --workers {params.workers} --fit-waves={params.fit_waves:q} --cache {params.cache:q} --log {log:q}"


rule relate_topics_to_codes:
    """The topic models against the final codes: for each model the topic x code contingency, dominant codes and
    NMI (log), and the heatmap; the quality table (the comparison's runs with each model's NMI with the dominant
    codes). Its own step: the topic models and their comparison neither wait for the coding nor run again when
    only the coding changes (a review round)."""
    input:
        **GUIDED_TABLES,
        segment_topics=f"{OUT}/tables/segment_topics.csv",
        topics=f"{OUT}/tables/topics.csv",
        runs=f"{OUT}/interim/topic_quality_runs.json",
        segment_codes=f"{OUT}/tables/segment_codes.csv",
        codebook=CODEBOOK,
    output:
        **GUIDED_CROSSWALK,
        crosswalk=f"{OUT}/tables/topic_code_crosswalk.csv",
        quality=report(
            f"{OUT}/tables/topic_quality.csv",
            caption="../captions/topic_quality.rst",
            category="Topics",
        ),
        figure_codes=report(
            f"{OUT}/figures/topic_code_heatmap.png",
            caption="../captions/topic_code_heatmap.rst",
            category="Topics",
        ),
        figure_codes_svg=f"{OUT}/figures/topic_code_heatmap.svg",
    log:
        f"{OUT}/logs/relate_topics_to_codes.log",
    benchmark:
        f"{OUT}/benchmarks/relate_topics_to_codes.tsv"
    priority: 1  # see embed_segments
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.topics.stage"),
        guided=GUIDED_ARGUMENTS,
    shell:
        "python -m pipeline relate-topics --segment-codes {input.segment_codes:q} --codebook {input.codebook:q}"
        " --segment-topics {input.segment_topics:q} --topics {input.topics:q} --crosswalk {output.crosswalk:q}"
        " --figure-codes {output.figure_codes:q}{params.guided} --quality-runs {input.runs:q}"
        " --quality {output.quality:q} --log {log:q}"
