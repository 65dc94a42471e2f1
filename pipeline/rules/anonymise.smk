"""The identifier gate's results (the gate itself runs in prepare.smk): counts per interview -> tables/
anonymisation_summary.csv; a final scan of every output for every identifier found -> tables/identifier_scan.csv.
Audits (values found) stay in private/."""


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
        code=code_of("pipeline.gate.anonymise"),
        audits=per_batch(f"{PRIVATE}/audit/{{batch}}.csv"),
        outputs=lambda wildcards, output: str(Path(output.table).parents[1]),
        # functions: a value holding braces (a regular expression) is not read as a wildcard
        allow=lambda wildcards: json.dumps(CORPUS.allow),
    shell:
        "python -m pipeline scan-outputs --outputs {params.outputs:q} --audit {params.audits:q}"
        " --allow {params.allow:q} --out {output.table:q} --log {log:q}"


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
        code=code_of("pipeline.provenance"),
        corpus=str(CORPUS.root),
        config=lambda wildcards: json.dumps(config, sort_keys=True),
        benchmarks=lambda wildcards, output: str(Path(output.provenance).parent / "benchmarks"),
    shell:
        "python -m pipeline provenance --corpus {params.corpus:q} --config-json {params.config:q}"
        " --benchmarks {params.benchmarks:q} --out {output.provenance:q} --log {log:q}"
