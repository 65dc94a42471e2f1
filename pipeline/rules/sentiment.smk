"""Sentiment: segments -> tables/segment_sentiment.csv (VADER per sentence, plain and domain-adapted);
-> aggregates by role, wave, participant and code x role, the validation against human labels, figures, and the
code-level sentiment model in models/coder/ (sentiment.json, sentiment.safetensors)."""


rule score_sentiment:
    """VADER per sentence, averaged per segment, with and without the domain lexicon."""
    input:
        segments=f"{OUT}/tables/segments.csv",
        lexicon=config["sentiment"]["lexicon"],
    output:
        scores=f"{OUT}/tables/segment_sentiment.csv",
    log:
        f"{OUT}/logs/score_sentiment.log",
    benchmark:
        f"{OUT}/benchmarks/score_sentiment.tsv"
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.sentiment.stage"),
        positive=config["sentiment"]["positive"],
        negative=config["sentiment"]["negative"],
        strong=config["sentiment"]["strong"],
        cache=f"{OUT}/cache/sentiment",
    shell:
        "python -m pipeline score-sentiment {input.segments:q} {output.scores:q} --lexicon {input.lexicon:q}"
        " --positive {params.positive} --negative={params.negative} --strong {params.strong}"
        " --cache {params.cache:q} --log {log:q}"


rule summarise_sentiment:
    """Aggregates with bootstrap intervals, validation against human labels, the sentiment figures, and the
    code-level sentiment model saved beside the coder (or, with coding.model, the carried one applied)."""
    input:
        unpack(sentiment_inputs),
        scores=f"{OUT}/tables/segment_sentiment.csv",
        segments=f"{OUT}/tables/segments.csv",
        segment_codes=f"{OUT}/tables/segment_codes.csv",
        embeddings=f"{OUT}/interim/embeddings.safetensors",
        codebook=CODEBOOK,
        lexicon=config["sentiment"]["lexicon"],
    output:
        by_role=f"{OUT}/tables/sentiment_by_role.csv",
        by_wave=f"{OUT}/tables/sentiment_by_wave.csv",
        by_participant=f"{OUT}/tables/sentiment_by_participant.csv",
        by_code=f"{OUT}/tables/sentiment_by_code_role.csv",
        validation=f"{OUT}/tables/sentiment_validation.csv",
        code_sentiment=f"{OUT}/tables/code_sentiment.csv",
        model_meta=f"{OUT}/models/coder/sentiment.json",
        model_weights=f"{OUT}/models/coder/sentiment.safetensors",
        figure_by_code=report(
            f"{OUT}/figures/sentiment_by_code.png",
            caption="../captions/sentiment_by_code.rst",
            category="Sentiment",
        ),
        figure_by_code_svg=f"{OUT}/figures/sentiment_by_code.svg",
        figure_by_wave=report(
            f"{OUT}/figures/sentiment_by_wave.png",
            caption="../captions/sentiment_by_wave.rst",
            category="Sentiment",
        ),
        figure_by_wave_svg=f"{OUT}/figures/sentiment_by_wave.svg",
    log:
        f"{OUT}/logs/summarise_sentiment.log",
    benchmark:
        f"{OUT}/benchmarks/summarise_sentiment.tsv"
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.sentiment.stage"),
        roles=json.dumps(CORPUS.roles),
        seed=config["sentiment"]["seed"],
        c=config["sentiment"]["C"],
        primary=CODING["primary_coder"],
        human=lambda wildcards, input: input.get("human", ""),
        pretrained=CODING["model"],
    shell:
        "python -m pipeline summarise-sentiment --scores {input.scores:q} --segments {input.segments:q}"
        " --segment-codes {input.segment_codes:q} --human={params.human:q} --codebook {input.codebook:q}"
        " --roles {params.roles:q} --seed {params.seed} --primary-coder {params.primary:q}"
        " --embeddings {input.embeddings:q} --c {params.c} --code-sentiment {output.code_sentiment:q}"
        " --by-role {output.by_role:q} --by-wave {output.by_wave:q} --by-participant {output.by_participant:q}"
        " --by-code {output.by_code:q} --validation {output.validation:q}"
        " --figure-by-code {output.figure_by_code:q} --figure-by-wave {output.figure_by_wave:q}"
        " --pretrained={params.pretrained:q} --lexicon {input.lexicon:q} --model-meta {output.model_meta:q}"
        " --model-weights {output.model_weights:q} --log {log:q}"
