"""Human coding in: codes.csv -> interim/human_codes.parquet (each quote mapped onto the segments it overlaps)."""


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
        "python -m pipeline import-human-codes --codes {input.codes:q} --segments {input.segments:q} --turns {input.turns:q}"
        " --codebook {input.codebook:q} --out {output.codes:q} --audit {params.audits:q} --log {log:q}"
