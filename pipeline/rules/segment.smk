"""Segmentation: each interview's turns -> interim/segments/<interview>.parquet; all -> tables/segments.csv."""


rule segment_transcript:
    """One interview's turns -> participant segments (long turns split at sentence boundaries)."""
    input:
        turns=f"{OUT}/interim/turns/{{interview}}.parquet",
    output:
        segments=f"{OUT}/interim/segments/{{interview}}.parquet",
    log:
        f"{OUT}/logs/segment_transcript/{{interview}}.log",
    benchmark:
        f"{OUT}/benchmarks/segment_transcript/{{interview}}.tsv"
    conda:
        CONDA_ENV
    params:
        max_words=config["segmentation"]["max_words"],
    shell:
        "python -m pipeline segment {input.turns:q} {output.segments:q} --max-words {params.max_words} --log {log:q}"


rule collect_segments:
    """Segments of every interview -> tables/segments.csv."""
    input:
        segments=per_interview(f"{OUT}/interim/segments/{{interview}}.parquet"),
    output:
        table=f"{OUT}/tables/segments.csv",
    log:
        f"{OUT}/logs/collect_segments.log",
    benchmark:
        f"{OUT}/benchmarks/collect_segments.tsv"
    conda:
        CONDA_ENV
    shell:
        "python -m pipeline collect-segments --segments {input.segments:q} --out {output.table:q} --log {log:q}"
