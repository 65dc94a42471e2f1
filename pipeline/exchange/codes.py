"""The project's codes -> the pipeline's codebook (themes and codes), with what its schema needs filled in.

Top-level codes are themes, codes under them the codes (deeper levels named 'Parent / Child', ATLAS.ti's flat
'Parent::Child' names split first); a top-level code without sub-codes goes to the theme 'Codes without a
theme'. A description is a definition; the exporter writes a code's whole entry into its description (``id:``,
``kind:``, ``include:`` ... lines after the definition), read back by ``split_description``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from pipeline.exchange.qdpx import CodeNode

DESCRIPTION_FIELDS = ("id", "kind", "include", "exclude", "example", "pattern")
KINDS = ("strength", "challenge", "context", "outcome")


def slug(text: str, prefix: str = "c") -> str:
    out = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return out if re.match(r"^[a-z]", out or "") else f"{prefix}_{out}".rstrip("_")


def split_description(description: str) -> tuple[str, dict[str, list[str]]]:
    """A code's description -> (definition, fields written by the exporter: id, kind, include, ...)."""
    lines = description.splitlines()
    fields: dict[str, list[str]] = {}
    cut = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        key, sep, value = lines[i].partition(":")
        if sep and key.strip() in DESCRIPTION_FIELDS:
            fields.setdefault(key.strip(), []).insert(0, value.strip())
            cut = i
        elif lines[i].strip():
            break
    return " ".join(" ".join(lines[:cut]).split()), fields


def flatten_names(nodes: list[CodeNode]) -> list[CodeNode]:
    """ATLAS.ti's flat 'Parent::Child' names -> a hierarchy (a parent made for children that have none)."""
    out: list[CodeNode] = []
    parents: dict[str, CodeNode] = {}
    for node in nodes:
        if "::" in node.name and not node.children:
            parent_name, child_name = (p.strip() for p in node.name.split("::", 1))
            parent = parents.get(parent_name.lower())
            if parent is None:
                parent = next((n for n in out if n.name.lower() == parent_name.lower()), None)
            if parent is None:
                parent = CodeNode(f"parent:{parent_name}", parent_name, False, "")
                out.append(parent)
            parents[parent_name.lower()] = parent
            parent.children.append(CodeNode(node.guid, child_name, node.codable, node.description, []))
        else:
            out.append(node)
    return out


@dataclass
class CodeInfo:
    id: str
    label: str
    theme: str
    definition: str
    fields: dict[str, list[str]]


def build_codebook_tree(nodes: list[CodeNode], report: list[str]) -> tuple[list[dict], dict[str, CodeInfo]]:
    """Top-level codes -> themes, their descendants -> codes (deeper levels named 'Parent / Child'); a top-level
    code without children becomes a code of the theme 'Codes without a theme'."""
    themes, codes, used = [], {}, set()

    def unique(base: str) -> str:
        out, k = base, 2
        while out in used:
            out, k = f"{base}_{k}", k + 1
        used.add(out)
        return out

    def descend(node: CodeNode, prefix: str):
        for c in node.children:
            label = f"{prefix}{c.name}"
            yield c, label
            yield from descend(c, f"{label} / ")

    ungrouped = []
    for top in flatten_names(nodes):
        definition, fields = split_description(top.description)
        if not top.children:
            ungrouped.append((top, top.name))
            continue
        theme_id = unique((fields.get("id") or [slug(top.name, "t")])[0])
        members = list(descend(top, ""))
        if top.codable:
            members.insert(0, (top, top.name))
            report.append(
                f"code '{top.name}' has codes under it and may be coded itself: it is a code of its own theme"
            )
        themes.append(
            {
                "id": theme_id,
                "label": top.name or theme_id,
                "kind": (fields.get("kind") or [""])[0],
                "description": definition,
                "members": members,
            }
        )
    if ungrouped:
        themes.append(
            {
                "id": unique("codes_without_theme"),
                "label": "Codes without a theme",
                "kind": "",
                "description": "",
                "members": ungrouped,
            }
        )
        report.append(f"{len(ungrouped)} top-level code(s) without sub-codes put in the theme 'Codes without a theme'")
    for theme in themes:
        for node, label in theme["members"]:
            definition, fields = split_description(node.description)
            code_id = unique((fields.get("id") or [slug(label)])[0])
            codes[node.guid] = CodeInfo(code_id, label or code_id, theme["id"], definition, fields)
        theme["codes"] = [codes[n.guid] for n, _ in theme["members"]]
    return themes, codes


def codebook_yaml(themes: list[dict], quotes: dict[str, list[str]], meta: dict, report: list[str]) -> str:
    """The codebook as YAML, valid against the schema: what the project lacks is filled in and reported."""
    filled: dict[str, list[str]] = {}
    out_themes = []
    for theme in themes:
        kind = theme["kind"] if theme["kind"] in KINDS else ""
        if not kind:
            filled.setdefault("kind 'context' (the project has no kinds)", []).append(theme["id"])
        codes = []
        for code in theme["codes"]:
            f = code.fields
            definition = code.definition
            if len(definition) < 10:
                definition = f"Passages coded '{code.label}' in the imported project (it gave no definition)."
                filled.setdefault("a definition", []).append(code.id)
            include = f.get("include") or [f"Passages the project's coders coded '{code.label}'"]
            if not f.get("include"):
                filled.setdefault("an include criterion", []).append(code.id)
            examples = list(f.get("example") or [])
            if len(examples) < 2:
                taken = [q for q in quotes.get(code.id, []) if q not in examples][: 2 - len(examples)]
                examples += taken
                if taken:
                    filled.setdefault("examples taken from the coded passages", []).append(code.id)
            while len(examples) < 2:
                examples.append(f"(no coded passage for '{code.label}' in the imported project)")
                filled.setdefault("placeholder examples (no coded passage)", []).append(code.id)
            patterns = [p for p in f.get("pattern") or [] if len(p) >= 2]
            if not patterns:
                patterns = [code.label.lower() if len(code.label) >= 2 else code.id.replace("_", " ")]
                filled.setdefault("an indicator pattern from its name", []).append(code.id)
            entry = {
                "id": code.id,
                "label": code.label,
                "definition": definition,
                "include": include,
                "exclude": list(f.get("exclude") or []),
                "examples": examples,
                "patterns": patterns,
            }
            code_kind = (f.get("kind") or [""])[0]
            if code_kind in KINDS and code_kind != (kind or "context"):
                entry = {
                    "id": code.id,
                    "label": code.label,
                    "kind": code_kind,
                    **{k: v for k, v in entry.items() if k not in ("id", "label")},
                }
            codes.append(entry)
        item = {"id": theme["id"], "label": theme["label"], "kind": kind or "context"}
        if theme["description"]:
            item["description"] = theme["description"]
        item["codes"] = codes
        out_themes.append(item)
    for what, ids in filled.items():
        report.append(
            f"codebook: filled in {what} for {len(ids)}: {', '.join(ids[:8])}{' ...' if len(ids) > 8 else ''}"
        )
    data = {"version": meta.get("version") or "1.0.0", "name": meta.get("name") or "Imported codebook"}
    for key in ("description", "unit"):
        if meta.get(key):
            data[key] = meta[key]
    data["themes"] = out_themes
    header = (
        "# Built by python -m pipeline import-qdpx from the project's codes; what the project lacked is filled in\n"
    )
    header += "# (see the import's report). Check it before a run: python -m pipeline check-codebook codebook.yaml\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
