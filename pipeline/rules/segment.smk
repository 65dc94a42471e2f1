"""Segments of every batch (prepare.smk) -> tables/segments.csv."""


rule collect_segments:
    """Segments of every interview -> tables/segments.csv."""
    input:
        segments=per_batch(f"{OUT}/interim/segments/{{batch}}.parquet"),
    output:
        table=f"{OUT}/tables/segments.csv",
    log:
        f"{OUT}/logs/collect_segments.log",
    benchmark:
        f"{OUT}/benchmarks/collect_segments.tsv"
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.describe"),
    shell:
        "python -m pipeline collect-segments --segments {input.segments:q} --out {output.table:q} --log {log:q}"
