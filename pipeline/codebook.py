"""The study codebook: themes, codes, definitions and indicator patterns, validated on load."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

from pipeline.errors import PipelineError
from pipeline.schemas import load_yaml, schema, validate


@dataclass(frozen=True)
class Code:
    id: str
    label: str
    theme: str
    theme_label: str
    kind: str
    definition: str
    patterns: tuple[str, ...]
    examples: tuple[str, ...]


@dataclass
class Codebook:
    version: str
    name: str
    codes: list[Code]
    themes: dict[str, str]  # theme id -> label
    sha256: str
    path: str

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.codes]

    def code(self, code_id: str) -> Code:
        return next(c for c in self.codes if c.id == code_id)

    def label(self, code_id: str) -> str:
        return self.code(code_id).label


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

    walk(yaml.compose(text), ())
    return lines


def read_yaml(path: Path, name: str, what: str) -> tuple[dict, dict[tuple, int]]:
    """A YAML file validated against schema ``name``, and the line of each of its settings (yaml_lines).

    As schemas.load_yaml, but the error names the line of the setting at fault, and a list or text that is too
    short says how many items or characters it has and how many are required."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
        data = yaml.safe_load(text)
        lines = yaml_lines(text) if data is not None else {}
    except (yaml.YAMLError, UnicodeDecodeError):
        return load_yaml(path, name, what), {}  # raises the one-line syntax error
    data = data if data is not None else {}
    errors = sorted(
        jsonschema.Draft202012Validator(schema(name)).iter_errors(data), key=lambda e: list(e.absolute_path)
    )
    if not errors:
        return data, lines
    err = errors[0]
    at = tuple(err.absolute_path)
    line = next((lines[at[:n]] for n in range(len(at), 0, -1) if at[:n] in lines), None)
    where = ".".join(map(str, at)) or "(top level)"
    counts = {"minItems": ("item", len(err.instance) if isinstance(err.instance, list) else 0)}
    counts["minLength"] = ("character", len(err.instance) if isinstance(err.instance, str) else 0)
    if err.validator in counts:
        unit, n = counts[err.validator]
        need = err.validator_value
        parent = _at(data, at[:-1])
        owner = ""
        if isinstance(parent, dict) and isinstance(parent.get("id"), str) and len(at) >= 3:
            owner = f" ({str(at[-3]).rstrip('s')} '{parent['id']}')"  # (code 'structure_focus')
        raise PipelineError(
            f"setting '{where}'{owner} is invalid: it has {n} {unit}{'s' * (n != 1)}, and at least {need} are required",
            f"Add {need - n} more (the allowed settings are in pipeline/schemas/{name}.schema.yaml)",
            file=path,
            line=line,
        )
    try:
        validate(data, name, path)
    except PipelineError as exc:
        raise PipelineError(exc.problem, exc.fix, file=path, line=line) from None
    return data, lines  # pragma: no cover - validate raises on the same first error


def _first(what: str, line: int | None) -> str:
    return what if line is None else f"{what} on line {line}"


def _at(data, path: tuple):
    for key in path:
        data = data[key]
    return data


def load_codebook(path: str | Path) -> Codebook:
    path = Path(path)
    if not path.is_file():
        raise PipelineError(
            "codebook not found", "Give the path of a codebook YAML file (see config/codebook.yaml)", file=path
        )
    raw = path.read_bytes()
    data, lines = read_yaml(path, "codebook", "the codebook")
    seen: dict[str, str] = {}  # id -> what it is, and where
    codes, themes = [], {}
    for t, theme in enumerate(data["themes"]):
        if theme["id"] in seen:
            raise PipelineError(
                f"the id '{theme['id']}' is used twice (theme and {seen[theme['id']]})",
                "Give every theme and code a unique id",
                file=path,
                line=lines.get(("themes", t, "id")),
            )
        seen[theme["id"]] = _first("theme", lines.get(("themes", t, "id")))
        themes[theme["id"]] = theme["label"]
        for c, code in enumerate(theme["codes"]):
            if code["id"] in seen:
                raise PipelineError(
                    f"the id '{code['id']}' is used twice (in theme {theme['id']} and as a {seen[code['id']]})",
                    "Give every theme and code a unique id",
                    file=path,
                    line=lines.get(("themes", t, "codes", c, "id")),
                )
            seen[code["id"]] = _first(f"code of theme {theme['id']}", lines.get(("themes", t, "codes", c, "id")))
            codes.append(
                Code(
                    id=code["id"],
                    label=code["label"],
                    theme=theme["id"],
                    theme_label=theme["label"],
                    kind=code.get("kind", theme["kind"]),
                    definition=code["definition"],
                    patterns=tuple(code["patterns"]),
                    examples=tuple(code["examples"]),
                )
            )
    return Codebook(
        version=data["version"],
        name=data["name"],
        codes=codes,
        themes=themes,
        sha256=hashlib.sha256(raw).hexdigest(),
        path=str(path),
    )
