"""The study codebook: themes, codes, definitions and indicator patterns, validated on load."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import PipelineError
from pipeline.schemas import read_yaml


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
    include: tuple[str, ...] = ()  # inclusion criteria (the codebook-seeded coder learns from them)


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


def _first(what: str, line: int | None) -> str:
    return what if line is None else f"{what} on line {line}"


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
                    include=tuple(code.get("include", [])),
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
