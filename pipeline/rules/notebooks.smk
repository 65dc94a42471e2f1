"""Reviewer notebooks: notebooks/<notebook>.py (jupytext) + the outputs it reads (pipeline.notebooks.READS)
-> outputs/<corpus>/notebooks/<notebook>.ipynb (executed) and .html (self-contained, renders offline)."""


rule execute_notebook:
    """Run one notebook on this corpus's outputs; a failing cell fails the job with an ERROR line naming it."""
    input:
        notebook_inputs,
        source="notebooks/{notebook}.py",
    output:
        ipynb=f"{OUT}/notebooks/{{notebook}}.ipynb",
        html=f"{OUT}/notebooks/{{notebook}}.html",
    log:
        f"{OUT}/logs/execute_notebook/{{notebook}}.log",
    benchmark:
        f"{OUT}/benchmarks/execute_notebook/{{notebook}}.tsv"
    conda:
        CONDA_ENV
    params:
        code=code_of("pipeline.notebooks", resources=("templates",)),
        outputs=lambda wildcards, output: str(Path(output.ipynb).parents[1]),
    shell:
        "python -m pipeline execute-notebook {input.source:q} --outputs {params.outputs:q} --ipynb {output.ipynb:q}"
        " --html {output.html:q} --log {log:q}"
