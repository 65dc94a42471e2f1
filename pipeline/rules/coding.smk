"""Coding: the corpus's codes.csv (human coding) -> interim/human_codes.parquet, quotes mapped to segments."""


rule import_human_codes:
    """codes.csv rows checked against the codebook and mapped to the segments their quotes fall in."""
    input:
        codes=str(CORPUS.codes_path),
        codebook=CODEBOOK,
        segments=per_interview(f"{OUT}/interim/segments/{{interview}}.parquet"),
        turns=per_interview(f"{OUT}/interim/turns/{{interview}}.parquet"),
    output:
        codes=f"{OUT}/interim/human_codes.parquet",
    log:
        f"{OUT}/logs/import_human_codes.log",
    conda:
        CONDA_ENV
    params:
        audits=per_interview(f"{PRIVATE}/audit/{{interview}}.csv"),
    shell:
        "python -m pipeline human-codes --codes {input.codes:q} --segments {input.segments:q} --turns {input.turns:q}"
        " --codebook {input.codebook:q} --out {output.codes:q} --audit {params.audits:q} --log {log:q}"
