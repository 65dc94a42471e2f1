"""Preparation, per batch of interviews (pipeline/prepare.py): transcripts -> turns -> the identifier gate ->
segments. interim/turns/<batch>.parquet (screened), interim/segments/<batch>.parquet and
interim/anonymisation/<batch>.csv (counts, no values); the audit of values found stays in private/."""


rule prepare_interviews:
    """A batch of one wave's interviews: ingest (txt, Otter export, WebVTT or docx), check or pseudonymise
    identifiers, split long turns into segments."""
    input:
        transcripts=batch_transcripts,
    output:
        turns=f"{OUT}/interim/turns/{{batch}}.parquet",
        segments=f"{OUT}/interim/segments/{{batch}}.parquet",
        counts=f"{OUT}/interim/anonymisation/{{batch}}.csv",
    log:
        f"{OUT}/logs/prepare_interviews/{{batch}}.log",
    benchmark:
        f"{OUT}/benchmarks/prepare_interviews/{{batch}}.tsv"
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.gate.prepare"),
        settings=batch_settings,
        audit=f"{PRIVATE}/audit/{{batch}}.csv",
    shell:
        "python -m pipeline prepare --transcripts {input.transcripts:q} --settings {params.settings:q}"
        " --turns-out {output.turns:q} --segments-out {output.segments:q} --counts-out {output.counts:q}"
        " --audit {params.audit:q} --log {log:q}"
