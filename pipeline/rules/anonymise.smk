"""The identifier gate: private/<corpus>/turns/<interview>.parquet (raw) -> outputs/<corpus>/interim/turns/
(checked or pseudonymised); per-interview counts -> tables/anonymisation_summary.csv; a final scan of every
output for every identifier found -> tables/identifier_scan.csv. Audits (values found) stay in private/."""


rule screen_transcript:
    """check: stop if the transcript holds a possible identifier; pseudonymise: replace each one."""
    input:
        turns=f"{PRIVATE}/turns/{{interview}}.parquet",
    output:
        turns=f"{OUT}/interim/turns/{{interview}}.parquet",
        counts=f"{OUT}/interim/anonymisation/{{interview}}.csv",
    log:
        f"{OUT}/logs/screen_transcript/{{interview}}.log",
    benchmark:
        f"{OUT}/benchmarks/screen_transcript/{{interview}}.tsv"
    conda:
        CONDA_ENV
    params:
        mode=CORPUS.anonymisation_mode,
        allow=json.dumps(CORPUS.allow),
        audit=f"{PRIVATE}/audit/{{interview}}.csv",
        source=transcript_path,
    shell:
        "python -m pipeline screen {input.turns:q} {output.turns:q} --counts {output.counts:q} --audit {params.audit:q}"
        " --mode {params.mode} --allow {params.allow:q} --source {params.source:q} --log {log:q}"


rule summarise_anonymisation:
    """Counts of identifiers by category (no values) over every interview."""
    input:
        counts=per_interview(f"{OUT}/interim/anonymisation/{{interview}}.csv"),
    output:
        table=f"{OUT}/tables/anonymisation_summary.csv",
    log:
        f"{OUT}/logs/summarise_anonymisation.log",
    benchmark:
        f"{OUT}/benchmarks/summarise_anonymisation.tsv"
    conda:
        CONDA_ENV
    params:
        mode=CORPUS.anonymisation_mode,
    shell:
        "python -m pipeline anonymisation-summary --counts {input.counts:q} --mode {params.mode} --out {output.table:q}"
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
    params:
        audits=per_interview(f"{PRIVATE}/audit/{{interview}}.csv"),
        outputs=lambda wildcards, output: str(Path(output.table).parents[1]),
    shell:
        "python -m pipeline scan-outputs --outputs {params.outputs:q} --audit {params.audits:q}"
        " --out {output.table:q} --log {log:q}"


rule record_provenance:
    """The run's provenance: input hashes, configuration, codebook, versions, commit, seeds, stage timings."""
    input:
        outputs=all_outputs(),
    output:
        provenance=f"{OUT}/provenance.json",
    log:
        f"{OUT}/logs/record_provenance.log",
    conda:
        CONDA_ENV
    params:
        corpus=str(CORPUS.root),
        config=json.dumps(config, sort_keys=True),
        benchmarks=lambda wildcards, output: str(Path(output.provenance).parent / "benchmarks"),
    shell:
        "python -m pipeline provenance --corpus {params.corpus:q} --config-json {params.config:q}"
        " --benchmarks {params.benchmarks:q} --out {output.provenance:q} --log {log:q}"
