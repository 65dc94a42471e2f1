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


def load_yaml(path, name: str, what: str):
    """Read a YAML file and validate it against schema ``name``; syntax errors name the line."""
    from pathlib import Path

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_bytes().decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PipelineError(
            f"{what} is not valid YAML",
            "Fix the syntax near that line (indentation, colons, quotes) and save it as UTF-8",
            file=path,
            line=None if mark is None else mark.line + 1,
        ) from None
    validate(data if data is not None else {}, name, path)
    return data if data is not None else {}
