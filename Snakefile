"""Qualitative evaluation workflow: ingest -> screen -> segment -> code -> topics -> sentiment -> report.

Run on the bundled demo corpus:  snakemake --cores all
Run on another corpus folder:    snakemake --cores all --config corpus=PATH
"""

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


# The front page of report.html (make report); each result's caption is in pipeline/captions/.
report: "pipeline/captions/workflow.rst"


include: "pipeline/rules/common.smk"
include: "pipeline/rules/gate.smk"
include: "pipeline/rules/describe.smk"
include: "pipeline/rules/human_codes.smk"
include: "pipeline/rules/embeddings.smk"
include: "pipeline/rules/coding.smk"
include: "pipeline/rules/topics.smk"
include: "pipeline/rules/sentiment.smk"
include: "pipeline/rules/findings.smk"
include: "pipeline/rules/report.smk"
include: "pipeline/rules/notebooks.smk"
include: "pipeline/rules/provenance.smk"
include: "pipeline/rules/exchange.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
        f"{OUT}/provenance.json",
        f"{OUT}/exchange/{CORPUS.name}.qdpx",
        f"{OUT}/exchange/codebook.qdc",
