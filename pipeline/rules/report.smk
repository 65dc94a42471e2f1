"""Report: the findings tables (code_prevalence_by_role, participants, reliability, exemplar quotes, findings check
...) -> the headline tables in Markdown and LaTeX, tables/reliability_summary.csv and wave_comparison.csv; the
findings figures (figures/*.png and .svg); findings.md. Outputs flagged report() go into report.html
(`make report`, `snakemake --report`), with the captions in pipeline/captions/."""


rule format_tables:
    """The headline tables as a paper prints them (Markdown, LaTeX); reliability summary; wave comparison."""
    input:
        by_role=f"{OUT}/tables/code_prevalence_by_role.csv",
        participants=f"{OUT}/tables/participants.csv",
        reliability=f"{OUT}/tables/reliability.csv",
        validation=f"{OUT}/tables/coding_validation.csv",
        by_wave=f"{OUT}/tables/code_prevalence_by_wave.csv",
        matrix=f"{OUT}/tables/participant_code_matrix.csv",
    output:
        prevalence_md=f"{OUT}/tables/code_prevalence_by_role.md",
        prevalence_tex=f"{OUT}/tables/code_prevalence_by_role.tex",
        participants_md=f"{OUT}/tables/participants.md",
        participants_tex=f"{OUT}/tables/participants.tex",
        reliability=report(
            f"{OUT}/tables/reliability_summary.csv",
            caption="../captions/reliability_summary.rst",
            category="Coding",
        ),
        reliability_md=f"{OUT}/tables/reliability_summary.md",
        reliability_tex=f"{OUT}/tables/reliability_summary.tex",
        waves=report(
            f"{OUT}/tables/wave_comparison.csv",
            caption="../captions/wave_comparison_table.rst",
            category="Findings",
        ),
    log:
        f"{OUT}/logs/format_tables.log",
    benchmark:
        f"{OUT}/benchmarks/format_tables.tsv"
    priority: 1  # draw_figures waits for its wave comparison
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.report.stage"),
        roles=json.dumps(CORPUS.roles),
    shell:
        "python -m pipeline format-tables --by-role {input.by_role:q} --participants {input.participants:q}"
        " --reliability {input.reliability:q} --validation {input.validation:q} --by-wave {input.by_wave:q}"
        " --matrix {input.matrix:q} --roles {params.roles:q} --reliability-out {output.reliability:q}"
        " --waves {output.waves:q} --log {log:q}"


rule draw_figures:
    """The findings figures: prevalence by role (headline), participant x code, co-occurrence, saturation, waves."""
    input:
        by_role=f"{OUT}/tables/code_prevalence_by_role.csv",
        matrix=f"{OUT}/tables/participant_code_matrix.csv",
        cooccurrence=f"{OUT}/tables/code_cooccurrence.csv",
        saturation=f"{OUT}/tables/saturation.csv",
        waves=f"{OUT}/tables/wave_comparison.csv",
    output:
        prevalence=report(
            f"{OUT}/figures/prevalence_by_role.png",
            caption="../captions/prevalence_by_role.rst",
            category="Findings",
        ),
        prevalence_svg=f"{OUT}/figures/prevalence_by_role.svg",
        heatmap=report(
            f"{OUT}/figures/participant_code_heatmap.png",
            caption="../captions/participant_code_heatmap.rst",
            category="Findings",
        ),
        heatmap_svg=f"{OUT}/figures/participant_code_heatmap.svg",
        cooccurrence=report(
            f"{OUT}/figures/code_cooccurrence.png",
            caption="../captions/code_cooccurrence.rst",
            category="Findings",
        ),
        cooccurrence_svg=f"{OUT}/figures/code_cooccurrence.svg",
        saturation=report(
            f"{OUT}/figures/saturation.png",
            caption="../captions/saturation.rst",
            category="Findings",
        ),
        saturation_svg=f"{OUT}/figures/saturation.svg",
        waves=report(
            f"{OUT}/figures/wave_comparison.png",
            caption="../captions/wave_comparison.rst",
            category="Findings",
        ),
        waves_svg=f"{OUT}/figures/wave_comparison.svg",
    log:
        f"{OUT}/logs/draw_figures.log",
    benchmark:
        f"{OUT}/benchmarks/draw_figures.tsv"
    # two notebooks wait for these figures (and the output scan for them): drawn before the other findings jobs
    priority: 1
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.report.stage"),
        roles=json.dumps(CORPUS.roles),
    shell:
        "python -m pipeline draw-figures --by-role {input.by_role:q} --matrix {input.matrix:q}"
        " --cooccurrence {input.cooccurrence:q} --saturation {input.saturation:q} --waves {input.waves:q}"
        " --roles {params.roles:q} --figures prevalence={output.prevalence:q} heatmap={output.heatmap:q}"
        " cooccurrence={output.cooccurrence:q} saturation={output.saturation:q} waves={output.waves:q} --log {log:q}"


rule write_findings:
    """findings.md: participants, findings by group, themes and codes with quotes, waves, reliability, sentiment,
    the check of the study's claims; all from the tables."""
    input:
        by_role=f"{OUT}/tables/code_prevalence_by_role.csv",
        participants=f"{OUT}/tables/participants.csv",
        exemplars=f"{OUT}/tables/exemplar_quotes.csv",
        waves=f"{OUT}/tables/wave_comparison.csv",
        segment_codes=f"{OUT}/tables/segment_codes.csv",
        reliability=f"{OUT}/tables/reliability.csv",
        validation=f"{OUT}/tables/coding_validation.csv",
        sentiment=f"{OUT}/tables/sentiment_by_role.csv",
        sentiment_validation=f"{OUT}/tables/sentiment_validation.csv",
        check=f"{OUT}/tables/findings_check.csv",
    output:
        findings=report(f"{OUT}/findings.md", caption="../captions/findings.rst", category="Findings"),
    log:
        f"{OUT}/logs/write_findings.log",
    benchmark:
        f"{OUT}/benchmarks/write_findings.tsv"
    priority: 1  # the findings notebook waits for it: see tabulate_findings
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.report.stage"),
        roles=json.dumps(CORPUS.roles),
        name=CORPUS.name,
        claims=config["findings"],
    shell:
        "python -m pipeline write-findings --by-role {input.by_role:q} --participants {input.participants:q}"
        " --exemplars {input.exemplars:q} --waves {input.waves:q} --segment-codes {input.segment_codes:q}"
        " --reliability {input.reliability:q} --validation {input.validation:q} --sentiment {input.sentiment:q}"
        " --sentiment-validation {input.sentiment_validation:q} --check {input.check:q} --roles {params.roles:q}"
        " --name {params.name:q} --claims-source {params.claims:q} --out {output.findings:q} --log {log:q}"
