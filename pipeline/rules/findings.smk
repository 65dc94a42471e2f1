"""The findings tables: final codes -> prevalence by role and wave, matrices, co-occurrence, saturation, exemplar
quotes, and the study's claims checked (tables/findings_check.csv)."""


rule tabulate_findings:
    """Final codes -> the findings tables a qualitative paper reports, and the check of findings.yaml."""
    input:
        segment_codes=f"{OUT}/tables/segment_codes.csv",
        segments=f"{OUT}/tables/segments.csv",
        probabilities=f"{OUT}/interim/code_probabilities.parquet",
        codebook=CODEBOOK,
        findings=FINDINGS,
        # the interviews' order (saturation) comes from the manifest itself (cli.manifest_interviews)
        manifest=CORPUS.manifest_path,
    output:
        by_role=report(
            f"{OUT}/tables/code_prevalence_by_role.csv",
            caption="../captions/code_prevalence_by_role.rst",
            category="Findings",
        ),
        by_wave=f"{OUT}/tables/code_prevalence_by_wave.csv",
        matrix=f"{OUT}/tables/participant_code_matrix.csv",
        cooccurrence=f"{OUT}/tables/code_cooccurrence.csv",
        saturation=f"{OUT}/tables/saturation.csv",
        exemplars=report(
            f"{OUT}/tables/exemplar_quotes.csv",
            caption="../captions/exemplar_quotes.rst",
            category="Findings",
        ),
        check=report(
            f"{OUT}/tables/findings_check.csv",
            caption="../captions/findings_check.rst",
            category="Findings",
        ),
    log:
        f"{OUT}/logs/tabulate_findings.log",
    benchmark:
        f"{OUT}/benchmarks/tabulate_findings.tsv"
    # the findings chain (tables -> format_tables -> draw_figures -> write_findings -> the notebooks) needs only the
    # codes, so it starts beside the topic models rather than after them, and the last notebooks and the output
    # scan do not wait for it at the end
    priority: 1
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.findings"),
        roles=json.dumps(CORPUS.roles),
        primary=CODING["primary_coder"],
    shell:
        "python -m pipeline tabulate-findings --segment-codes {input.segment_codes:q} --segments {input.segments:q}"
        " --probabilities {input.probabilities:q} --codebook {input.codebook:q} --findings {input.findings:q}"
        " --roles {params.roles:q} --primary-coder {params.primary:q} --manifest {input.manifest:q}"
        " --by-role {output.by_role:q} --by-wave {output.by_wave:q} --matrix {output.matrix:q}"
        " --cooccurrence {output.cooccurrence:q} --saturation {output.saturation:q}"
        " --exemplars {output.exemplars:q} --check {output.check:q} --log {log:q}"
