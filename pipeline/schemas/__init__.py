"""JSON Schemas (written in YAML) for configuration, corpus settings, codebook and findings."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jsonschema
import yaml

from pipeline.errors import PipelineError

HERE = Path(__file__).parent


@cache
def schema(name: str) -> dict:
    return yaml.safe_load((HERE / f"{name}.schema.yaml").read_text(encoding="utf-8"))


def schema_path(name: str) -> Path:
    return HERE / f"{name}.schema.yaml"


def validate(obj, name: str, file) -> None:
    """Validate ``obj`` against schema ``name``; raise one readable PipelineError on the first problem."""
    validator = jsonschema.Draft202012Validator(schema(name))
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        raise PipelineError(
            f"setting '{where}' is invalid: {err.message}",
            f"Correct it (the allowed settings are in pipeline/schemas/{name}.schema.yaml)",
            file=file,
        )
