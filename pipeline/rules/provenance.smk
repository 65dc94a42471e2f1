"""provenance.json, written last: what went in (file hashes, configuration, codebook), with what (versions,
commit, seeds), and how long each stage took."""


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
        "python -m pipeline record-provenance --corpus {params.corpus:q} --config-json {params.config:q}"
        " --benchmarks {params.benchmarks:q} --out {output.provenance:q} --log {log:q}"
