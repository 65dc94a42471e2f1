"""Coding: codes.csv (human coding) -> interim/human_codes.parquet; segments -> embeddings (cached);
the coder trained on human codes (or a trained one) -> tables/segment_codes.csv, review_queue.csv,
coding_validation.csv, reliability.csv and models/coder/."""


rule import_human_codes:
    """codes.csv rows checked against the codebook and mapped to the segments their quotes fall in."""
    input:
        codes=str(CORPUS.codes_path),
        codebook=CODEBOOK,
        segments=per_batch(f"{OUT}/interim/segments/{{batch}}.parquet"),
        turns=per_batch(f"{OUT}/interim/turns/{{batch}}.parquet"),
    output:
        codes=f"{OUT}/interim/human_codes.parquet",
    log:
        f"{OUT}/logs/import_human_codes.log",
    benchmark:
        f"{OUT}/benchmarks/import_human_codes.tsv"
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.human_codes"),
        audits=per_batch(f"{PRIVATE}/audit/{{batch}}.csv"),
    shell:
        "python -m pipeline human-codes --codes {input.codes:q} --segments {input.segments:q} --turns {input.turns:q}"
        " --codebook {input.codebook:q} --out {output.codes:q} --audit {params.audits:q} --log {log:q}"


rule embed_segments:
    """Sentence embeddings of every segment and its question; the cache embeds only new text."""
    input:
        segments=f"{OUT}/tables/segments.csv",
    output:
        embeddings=f"{OUT}/interim/embeddings.safetensors",
    log:
        f"{OUT}/logs/embed_segments.log",
    benchmark:
        f"{OUT}/benchmarks/embed_segments.tsv"
    # on the longest path through the workflow (embeddings -> coder -> topic model -> topic quality): started
    # before other ready jobs, which fill the cores these leave idle
    priority: 1
    conda:
        CONDA_ENV
    # worker processes of one thread each (capped by --cores); a text's vector does not depend on their number
    threads: 4
    params:
        code=code_of("pipeline.embeddings"),
        cache=f"{OUT}/cache/embeddings",
    shell:
        "python -m pipeline embed {input.segments:q} {output.embeddings:q} --cache {params.cache:q}"
        " --workers {threads} --log {log:q}"


rule code_segments:
    """Train the coder on human codes (or apply a trained one), validate it, code every segment."""
    input:
        unpack(coding_inputs),
        segments=f"{OUT}/tables/segments.csv",
        embeddings=f"{OUT}/interim/embeddings.safetensors",
        codebook=CODEBOOK,
    output:
        segment_codes=f"{OUT}/tables/segment_codes.csv",
        review_queue=f"{OUT}/tables/review_queue.csv",
        validation=f"{OUT}/tables/coding_validation.csv",
        reliability=report(
            f"{OUT}/tables/reliability.csv",
            caption="../captions/reliability.rst",
            category="Coding",
        ),
        probabilities=f"{OUT}/interim/code_probabilities.parquet",
        model=f"{OUT}/models/coder/coder.json",
        weights=f"{OUT}/models/coder/weights.safetensors",
    log:
        f"{OUT}/logs/code_segments.log",
    benchmark:
        f"{OUT}/benchmarks/code_segments.tsv"
    priority: 1  # see embed_segments
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.coding.stage"),
        settings=json.dumps(CODING, sort_keys=True),
        primary=CODING["primary_coder"],
        queue_size=CODING["review_queue_size"],
        batch_size=config["review"]["batch_size"],
        human=lambda wildcards, input: input.get("human", ""),
        review=lambda wildcards, input: input.get("review", ""),
        pretrained=CODING["model"],
        model_dir=lambda wildcards, output: str(Path(output.model).parent),
        fit_waves=FIT_WAVES,
    shell:
        "python -m pipeline code --segments {input.segments:q} --embeddings {input.embeddings:q}"
        " --human={params.human:q} --codebook {input.codebook:q} --settings {params.settings:q}"
        " --primary-coder {params.primary:q} --pretrained={params.pretrained:q} --review={params.review:q}"
        " --queue-size {params.queue_size} --batch-size {params.batch_size} --segment-codes {output.segment_codes:q}"
        " --review-queue {output.review_queue:q} --validation {output.validation:q}"
        " --reliability {output.reliability:q} --probabilities {output.probabilities:q}"
        " --model-out {params.model_dir:q} --fit-waves={params.fit_waves:q} --log {log:q}"


rule tabulate_findings:
    """Final codes -> the findings tables a qualitative paper reports, and the check of findings.yaml."""
    input:
        segment_codes=f"{OUT}/tables/segment_codes.csv",
        segments=f"{OUT}/tables/segments.csv",
        probabilities=f"{OUT}/interim/code_probabilities.parquet",
        codebook=CODEBOOK,
        findings=FINDINGS,
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
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.findings"),
        roles=json.dumps(CORPUS.roles),
        primary=CODING["primary_coder"],
        order=json.dumps(IDS),
    shell:
        "python -m pipeline findings --segment-codes {input.segment_codes:q} --segments {input.segments:q}"
        " --probabilities {input.probabilities:q} --codebook {input.codebook:q} --findings {input.findings:q}"
        " --roles {params.roles:q} --primary-coder {params.primary:q} --order {params.order:q}"
        " --by-role {output.by_role:q} --by-wave {output.by_wave:q} --matrix {output.matrix:q}"
        " --cooccurrence {output.cooccurrence:q} --saturation {output.saturation:q}"
        " --exemplars {output.exemplars:q} --check {output.check:q} --log {log:q}"
