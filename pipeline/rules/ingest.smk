"""The corpus described: screened turns of every interview (prepare.smk) -> tables/participants.csv (Table 1)
and tables/interviews.csv."""


rule describe_corpus:
    """Turns of every interview -> Table 1 (per role and wave) and the list of interviews."""
    input:
        turns=per_batch(f"{OUT}/interim/turns/{{batch}}.parquet"),
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
        attributes=attributes_json(),
    shell:
        "python -m pipeline describe --turns {input.turns:q} --roles {params.roles:q} --attributes {params.attributes:q}"
        " --participants-out {output.participants:q} --interviews-out {output.interviews:q} --log {log:q}"
