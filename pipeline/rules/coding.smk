"""Coding: the coder trained on human codes and review decisions (or carried from another corpus, or built from the
codebook) -> tables/segment_codes.csv, review_queue.csv, coding_validation.csv, reliability.csv and models/coder/."""


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
        cache=f"{OUT}/cache/patterns",
        coder_cache=f"{OUT}/cache/coder",
        human=lambda wildcards, input: input.get("human", ""),
        review=lambda wildcards, input: input.get("review", ""),
        pretrained=CODING["model"],
        fit_waves=FIT_WAVES,
    shell:
        "python -m pipeline code-segments --segments {input.segments:q} --embeddings {input.embeddings:q}"
        " --human={params.human:q} --codebook {input.codebook:q} --settings {params.settings:q}"
        " --primary-coder {params.primary:q} --pretrained={params.pretrained:q} --review={params.review:q}"
        " --queue-size {params.queue_size} --batch-size {params.batch_size} --segment-codes {output.segment_codes:q}"
        " --review-queue {output.review_queue:q} --validation {output.validation:q}"
        " --reliability {output.reliability:q} --probabilities {output.probabilities:q}"
        " --model-meta {output.model:q} --model-weights {output.weights:q} --fit-waves={params.fit_waves:q}"
        " --cache {params.cache:q} --coder-cache {params.coder_cache:q} --log {log:q}"
