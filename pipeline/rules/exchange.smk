"""Exchange with CAQDAS tools (REFI-QDA): the screened transcripts, the codebook, segment_codes.csv, codes.csv and
the corpus's review decisions -> exchange/<corpus>.qdpx (a project for NVivo, ATLAS.ti, MAXQDA, QualCoder) and
exchange/codebook.qdc. `python -m pipeline import-qdpx` reads such a project back into a corpus folder."""


rule export_qdpx:
    """The run's coding as a REFI-QDA project and codebook, both validated against the official schemas."""
    input:
        turns=per_batch(f"{OUT}/interim/turns/{{batch}}.parquet"),
        segments=f"{OUT}/tables/segments.csv",
        segment_codes=f"{OUT}/tables/segment_codes.csv",
        codebook=CODEBOOK,
        # the interviews and their attributes come from the manifest itself: as a parameter, a corpus of a
        # thousand interviews makes the command longer than a shell accepts (128 KB)
        manifest=CORPUS.manifest_path,
    output:
        qdpx=f"{OUT}/exchange/{CORPUS.name}.qdpx",
        qdc=f"{OUT}/exchange/codebook.qdc",
    log:
        f"{OUT}/logs/export_qdpx.log",
    benchmark:
        f"{OUT}/benchmarks/export_qdpx.tsv"
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.exchange.exporter", resources=("schemas/refi-qda",)),
        name=CORPUS.name,
        roles=json.dumps(CORPUS.roles),
        codes=str(CORPUS.codes_path) if HAS_CODES else "",
        review=str(REVIEW) if REVIEW.exists() else "",
        audits=per_batch(f"{PRIVATE}/audit/{{batch}}.csv"),
    shell:
        "python -m pipeline export-qdpx --name {params.name:q} --roles {params.roles:q}"
        " --manifest {input.manifest:q} --codebook {input.codebook:q} --turns {input.turns:q}"
        " --segments {input.segments:q} --segment-codes {input.segment_codes:q} --codes={params.codes:q}"
        " --review={params.review:q} --audit {params.audits:q} --out-qdpx {output.qdpx:q}"
        " --out-qdc {output.qdc:q} --log {log:q}"
