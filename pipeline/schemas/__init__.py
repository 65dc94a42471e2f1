"""JSON Schemas (written in YAML) for configuration, corpus settings, codebook and findings."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jsonschema
import yaml

from pipeline.core.errors import PipelineError

HERE = Path(__file__).parent
# libyaml's parser where PyYAML was built with it (the wheels are): the same documents, nodes and line marks, read
# about ten times faster (the codebook alone took 0.25 s in pure Python, in Snakemake's start-up and in most steps)
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def schema(name: str) -> dict:
    return yaml.load((HERE / f"{name}.schema.yaml").read_text(encoding="utf-8"), Loader=LOADER)


def schema_path(name: str) -> Path:
    return HERE / f"{name}.schema.yaml"


def yaml_lines(text: str) -> dict[tuple, int]:
    """The line (from 1) of every setting of a YAML document, by its path: ("themes", 0, "codes", 2, "id").

    A mapping entry is located by its key, a list item by its first character."""
    lines: dict[tuple, int] = {}

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[(*path, key.value)] = key.start_mark.line + 1
                walk(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*path, i)] = item.start_mark.line + 1
                walk(item, (*path, i))

    walk(yaml.compose(text, Loader=LOADER), ())
    return lines


def _at(data, path: tuple):
    for key in path:
        data = data[key]
    return data


def validate(obj, name: str, file, lines: dict[tuple, int] | None = None) -> None:
    """Validate ``obj`` against schema ``name``; raise one readable PipelineError on the first problem.

    With ``lines`` (yaml_lines of the file ``obj`` was read from) the error names the line of the setting at
    fault; a list or text that is too short says how many items or characters it has and how many are required.
    """
    validator = jsonschema.Draft202012Validator(schema(name))
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    err = errors[0]
    at = tuple(err.absolute_path)
    where = ".".join(str(p) for p in at) or "(top level)"
    lines = lines or {}
    line = next((lines[at[:n]] for n in range(len(at), 0, -1) if at[:n] in lines), None)
    unit = {"minItems": ("item", list), "minLength": ("character", str)}.get(err.validator)
    if unit and isinstance(err.instance, unit[1]):
        n, need = len(err.instance), err.validator_value
        parent = _at(obj, at[:-1])
        owner = ""
        if isinstance(parent, dict) and isinstance(parent.get("id"), str) and len(at) >= 3:
            owner = f" ({str(at[-3]).rstrip('s')} '{parent['id']}')"  # (code 'structure_focus')
        raise PipelineError(
            f"setting '{where}'{owner} is invalid: it has {n} {unit[0]}{'s' * (n != 1)}, and at least {need} are "
            "required",
            f"Add {need - n} more (the allowed settings are in pipeline/schemas/{name}.schema.yaml)",
            file=file,
            line=line,
        )
    raise PipelineError(
        f"setting '{where}' is invalid: {err.message}",
        f"Correct it (the allowed settings are in pipeline/schemas/{name}.schema.yaml)",
        file=file,
        line=line,
    )


def read_yaml(path, name: str, what: str) -> tuple[dict, dict[tuple, int]]:
    """Read a YAML file and validate it against schema ``name``: (data, the line of each setting, yaml_lines).

    Syntax errors name their line; schema errors the line of the setting at fault (``validate``)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
        data = yaml.load(text, Loader=LOADER)
        lines = yaml_lines(text) if data is not None else {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PipelineError(
            f"{what} is not valid YAML",
            "Fix the syntax near that line (indentation, colons, quotes) and save it as UTF-8",
            file=path,
            line=None if mark is None else mark.line + 1,
        ) from None
    data = data if data is not None else {}
    validate(data, name, path, lines)
    return data, lines


def load_yaml(path, name: str, what: str):
    """Read a YAML file and validate it against schema ``name`` (read_yaml without the lines)."""
    return read_yaml(path, name, what)[0]
