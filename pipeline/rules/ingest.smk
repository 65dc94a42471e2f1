"""Ingest: each transcript file (manifest row) -> private/<corpus>/turns/<interview>.parquet (not yet screened);
screened turns of all interviews -> tables/participants.csv (Table 1) and tables/interviews.csv."""


rule ingest_transcript:
    """One transcript (txt, Otter export, WebVTT or docx) -> one row per turn."""
    input:
        transcript=transcript_path,
    output:
        turns=f"{PRIVATE}/turns/{{interview}}.parquet",
    log:
        f"{OUT}/logs/ingest_transcript/{{interview}}.log",
    benchmark:
        f"{OUT}/benchmarks/ingest_transcript/{{interview}}.tsv"
    conda:
        CONDA_ENV
    params:
        row=ingest_args,
    shell:
        "python -m pipeline ingest {input.transcript:q} {output.turns:q} {params.row} --log {log:q}"


rule describe_corpus:
    """Turns of every interview -> Table 1 (per role and wave) and the list of interviews."""
    input:
        turns=per_interview(f"{OUT}/interim/turns/{{interview}}.parquet"),
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
        roles=json.dumps(CORPUS.roles),
        attributes=attributes_json(),
    shell:
        "python -m pipeline describe --turns {input.turns:q} --roles {params.roles:q} --attributes {params.attributes:q}"
        " --participants-out {output.participants:q} --interviews-out {output.interviews:q} --log {log:q}"
