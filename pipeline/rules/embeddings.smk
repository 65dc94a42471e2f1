"""Segment embeddings (the pinned all-MiniLM-L6-v2; vectors cached across runs) -> interim/embeddings.safetensors,
shared by coding, topics and sentiment."""


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
    # on the longest path through the workflow (embeddings -> topic model -> topic quality, or the coder from the
    # embeddings where the comparison waits for the topic model): started before other ready jobs, which fill the
    # cores these leave idle
    priority: 1
    conda:
        CONDA_ENV
    # scheduled as one core; up to 4 worker processes of one thread each (capped by --cores): see workers()
    threads: 1
    params:
        code=code_of("pipeline.embeddings"),
        workers=workers("embed_segments", 4),
        cache=f"{OUT}/cache/embeddings",
        runtime=config["embeddings"]["runtime"],
    shell:
        "python -m pipeline embed-segments {input.segments:q} {output.embeddings:q} --cache {params.cache:q}"
        " --workers {params.workers} --runtime {params.runtime} --log {log:q}"
