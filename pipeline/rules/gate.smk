"""The identifier gate, per batch of interviews (pipeline/gate/prepare.py): transcripts -> turns -> the gate ->
segments: interim/turns/<batch>.parquet (screened), interim/segments/<batch>.parquet and
interim/anonymisation/<batch>.csv (counts, no values; the audit of values found stays in private/); the counts of
every batch -> tables/anonymisation_summary.csv; a final scan of every output for every identifier found ->
tables/identifier_scan.csv."""


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
        "python -m pipeline prepare-interviews --transcripts {input.transcripts:q} --settings {params.settings:q}"
        " --turns-out {output.turns:q} --segments-out {output.segments:q} --counts-out {output.counts:q}"
        " --audit {params.audit:q} --log {log:q}"


rule summarise_anonymisation:
    """Counts of identifiers by category (no values) over every interview."""
    input:
        counts=per_batch(f"{OUT}/interim/anonymisation/{{batch}}.csv"),
    output:
        table=f"{OUT}/tables/anonymisation_summary.csv",
    log:
        f"{OUT}/logs/summarise_anonymisation.log",
    benchmark:
        f"{OUT}/benchmarks/summarise_anonymisation.tsv"
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.gate.anonymise"),
        mode=CORPUS.anonymisation_mode,
    shell:
        "python -m pipeline summarise-anonymisation --counts {input.counts:q} --mode {params.mode} --out {output.table:q}"
        " --log {log:q}"


rule scan_outputs:
    """Last step: every file under outputs/<corpus>/ searched for every identifier found in the inputs."""
    input:
        outputs=analysis_outputs(),
    output:
        table=f"{OUT}/tables/identifier_scan.csv",
    log:
        f"{OUT}/logs/scan_outputs.log",
    benchmark:
        f"{OUT}/benchmarks/scan_outputs.tsv"
    conda:
        CONDA_ENV
    # scheduled as one core (the last step: it runs alone); a large corpus's files are searched by 2 processes
    threads: 1
    params:
        code=code_of("pipeline.gate.anonymise"),
        audits=per_batch(f"{PRIVATE}/audit/{{batch}}.csv"),
        outputs=lambda wildcards, output: str(Path(output.table).parents[1]),
        # functions: a value holding braces (a regular expression) is not read as a wildcard
        allow=lambda wildcards: json.dumps(CORPUS.allow),
        # private: the key of what was searched holds a digest of the identifier values
        cache=f"{PRIVATE}/cache/scan",
        workers=workers("scan_outputs", 2),
    shell:
        "python -m pipeline scan-outputs --outputs {params.outputs:q} --audit {params.audits:q}"
        " --allow {params.allow:q} --out {output.table:q} --cache {params.cache:q} --workers {params.workers}"
        " --log {log:q}"
