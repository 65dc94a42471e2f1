"""The corpus described: screened turns of every batch (gate.smk) -> tables/participants.csv (Table 1) and
tables/interviews.csv; segments of every batch -> tables/segments.csv."""


rule describe_corpus:
    """Turns of every interview -> Table 1 (per role and wave) and the list of interviews."""
    input:
        turns=per_batch(f"{OUT}/interim/turns/{{batch}}.parquet"),
        manifest=CORPUS.manifest_path,
    output:
        participants=report(
            f"{OUT}/tables/participants.csv",
            caption="../captions/participants.rst",
            category="Participants",
        ),
        interviews=f"{OUT}/tables/interviews.csv",
    log:
        f"{OUT}/logs/describe_corpus.log",
    benchmark:
        f"{OUT}/benchmarks/describe_corpus.tsv"
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.describe"),
        roles=json.dumps(CORPUS.roles),
    shell:
        "python -m pipeline describe-corpus --turns {input.turns:q} --roles {params.roles:q} --manifest {input.manifest:q}"
        " --participants-out {output.participants:q} --interviews-out {output.interviews:q} --log {log:q}"


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
