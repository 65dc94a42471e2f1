"""The package's layers (pipeline/README.md): each module imports only from its own layer's package or from the
layers below; the three analysis stages do not import each other; no import cycles between modules."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "pipeline"
# bottom to top; a name is a module or a package (everything under it)
LAYERS = [
    ("core", ["pipeline.core", "pipeline.schemas"]),
    ("study inputs", ["pipeline.corpus", "pipeline.codebook", "pipeline.human_codes"]),
    (
        "preparation",
        ["pipeline.ingest", "pipeline.segment", "pipeline.gate", "pipeline.embeddings", "pipeline.describe"],
    ),
    ("analysis", ["pipeline.coding", "pipeline.topics", "pipeline.sentiment"]),
    (
        "findings and reporting",
        ["pipeline.findings", "pipeline.report", "pipeline.notebooks", "pipeline.provenance", "pipeline.exchange"],
    ),
    ("command line", ["pipeline.cli", "pipeline.__main__"]),
]
INDEPENDENT = ["pipeline.coding", "pipeline.topics", "pipeline.sentiment"]


def modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(path.read_text(encoding="utf-8"))
    return out


MODULES = modules()


def owner(module: str) -> tuple[int, str]:
    """(layer index, unit) of a module: the unit is the package or module named in LAYERS that holds it."""
    for i, (_, units) in enumerate(LAYERS):
        for unit in units:
            if module == unit or module.startswith(unit + "."):
                return i, unit
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and to pipeline/README.md")


def imports(tree: ast.Module) -> list[tuple[str, int, bool]]:
    """(imported project module, line, at the top of the module?) for every import of the project, except those
    for type annotations only (under ``if TYPE_CHECKING:``)."""
    top = {id(node) for node in tree.body}
    typing_only = {
        id(inner)
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    out = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            subs = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES]
            names = subs if len(subs) == len(node.names) else [node.module, *subs]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "pipeline" and name != "pipeline":
                while name not in MODULES:
                    name = name.rsplit(".", 1)[0]
                out.append((name, node.lineno, id(node) in top))
    return out


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_from_its_layer_and_below(module):
    if module == "pipeline":
        return
    layer, unit = owner(module)
    for imported, line, _ in imports(MODULES[module]):
        other, other_unit = owner(imported)
        where = f"{module} line {line} imports {imported}"
        assert other <= layer, f"{where}: {LAYERS[other][0]} is above {LAYERS[layer][0]}"
        if other == layer and unit in INDEPENDENT:
            assert other_unit == unit, f"{where}: the analysis stages are independent of each other"


def test_no_import_cycles_between_modules():
    """Counting imports inside functions too: a module that needs another at run time depends on it."""
    graph = {m: {i for i, _, _ in imports(t) if not (m == i or m.startswith(i + "."))} for m, t in MODULES.items()}
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path[path.index(nxt) :], nxt]))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
