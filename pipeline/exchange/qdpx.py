"""REFI-QDA files read and written: a project (.qdpx: a zip of project.qde and sources/) and a codebook (.qdc).

Reading is tolerant of what real tools write (README.md beside this file): the .qde under any name, the
sources folder in any case, ``internal://``, relative and plain paths, inline ``PlainTextContent``, GUIDs in
braces or any case, elements matched by local name (so the codebook namespaces 1.0 and 0:4 both read).
Writing follows the standard: namespace 1.0, UTF-8, ``project.qde`` and ``sources/``, a fixed date on every
zip entry, so the same project gives the same bytes.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from lxml import etree

from pipeline.core.errors import PipelineError

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
SCHEMAS = Path(__file__).resolve().parents[1] / "schemas" / "refi-qda"
# GUIDs of what the pipeline writes are derived from ids (uuid5), so an export is the same from run to run
GUID_NAMESPACE = uuid.UUID("6f2b1c5e-4d0a-5b8e-9a51-2c7e0f3d9b14")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def guid(*key) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(map(str, key))))


def norm_guid(value: str | None) -> str:
    return (value or "").strip().strip("{}").lower()


def local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def children(el, name: str) -> list:
    return [c for c in el if local(c) == name]


def child(el, name: str):
    found = children(el, name)
    return found[0] if found else None


def text_of(el, name: str) -> str:
    found = child(el, name)
    return (found.text or "") if found is not None else ""


# ---------------------------------------------------------------- the project as read


@dataclass
class CodeNode:
    guid: str
    name: str
    codable: bool
    description: str
    children: list[CodeNode] = field(default_factory=list)


@dataclass
class Selection:
    guid: str
    start: int
    end: int
    user: str  # the coder's user GUID (selection's creatingUser, else modifyingUser, else the coding's)
    description: str
    codes: list[tuple[str, str]]  # (code GUID, coding's creatingUser GUID)


@dataclass
class Source:
    guid: str
    name: str
    kind: str  # TextSource, PDFSource, PictureSource, AudioSource, VideoSource
    plain_path: str
    rich_path: str
    inline: str | None
    variables: dict[str, str]
    selections: list[Selection]


@dataclass
class Case:
    guid: str
    name: str
    variables: dict[str, str]
    sources: list[str]


@dataclass
class Project:
    file: str  # the .qdpx, named in errors
    qde: str  # the .qde's name in the zip
    origin: str
    users: dict[str, str]  # GUID -> name
    codes: list[CodeNode]
    cases: list[Case]
    sources: list[Source]
    sets: list[tuple[str, list[str]]]  # (name, member source GUIDs)
    notes: dict[str, str]  # note name -> text
    entries: dict[str, str]  # lower-cased zip entry name -> its name
    zip: zipfile.ZipFile


def _value(vv) -> tuple[str, str] | None:
    ref = child(vv, "VariableRef")
    if ref is None:
        return None
    for el in vv:
        if local(el).endswith("Value") and local(el) != "VariableValue":
            return norm_guid(ref.get("targetGUID")), (el.text or "").strip()
    return norm_guid(ref.get("targetGUID")), ""


def _codes(el) -> list[CodeNode]:
    out = []
    for c in children(el, "Code"):
        out.append(
            CodeNode(
                guid=norm_guid(c.get("guid")),
                name=(c.get("name") or "").strip(),
                codable=(c.get("isCodable") or "true").strip().lower() in ("true", "1"),
                description=text_of(c, "Description").strip(),
                children=_codes(c),
            )
        )
    return out


def not_a_project(file, why: str) -> PipelineError:
    return PipelineError(
        f"this is not a REFI-QDA project ({why})",
        "Export the project from NVivo, ATLAS.ti, MAXQDA or QualCoder as a REFI-QDA project (.qdpx)",
        file=file,
    )


def parse_xml(data: bytes, file):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise PipelineError(
            f"the XML is not well formed ({exc.msg})",
            "Export the project again from its tool",
            file=file,
            line=exc.lineno,
        ) from None


def read_project(data: bytes, file) -> Project:
    """A .qdpx's bytes -> Project (its sources' files are read on demand with ``source_bytes``)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise not_a_project(file, "not a zip file") from None
    entries = {n.lower(): n for n in archive.namelist() if not n.endswith("/")}
    qdes = sorted(n for n in entries if n.endswith(".qde"))
    if not qdes:
        raise not_a_project(file, "the zip holds no .qde project file")
    qde = entries["project.qde"] if "project.qde" in entries else entries[qdes[0]]
    root = parse_xml(archive.read(qde), f"{file}:{qde}")
    if local(root) != "Project" or not str(etree.QName(root).namespace or "").startswith("urn:QDA-XML:project"):
        raise not_a_project(f"{file}:{qde}", f"its root element is {etree.QName(root).text}, not a QDA-XML Project")
    users = {norm_guid(u.get("guid")): (u.get("name") or u.get("id") or "").strip() for u in root.iter("{*}User")}
    book = child(root, "CodeBook")
    codes = _codes(child(book, "Codes")) if book is not None and child(book, "Codes") is not None else []
    qdcs = sorted(n for n in entries if n.endswith(".qdc"))
    if not codes and qdcs:  # a project whose codebook travels beside it as a .qdc
        codes = read_codebook(archive.read(entries[qdcs[0]]), f"{file}:{entries[qdcs[0]]}")
    variables = {norm_guid(v.get("guid")): (v.get("name") or "").strip() for v in root.iter("{*}Variable")}

    def values(el) -> dict[str, str]:
        out = {}
        for vv in children(el, "VariableValue"):
            found = _value(vv)
            if found and found[0] in variables:
                out[variables[found[0]]] = found[1]
        return out

    cases = []
    for c in root.iter("{*}Case"):
        refs = [norm_guid(r.get("targetGUID")) for r in children(c, "SourceRef")]
        cases.append(Case(norm_guid(c.get("guid")), (c.get("name") or "").strip(), values(c), refs))
    sources = []
    holder = child(root, "Sources")
    for s in holder if holder is not None else []:
        if not local(s).endswith("Source"):
            continue
        selections = []
        for sel in children(s, "PlainTextSelection"):
            codings = [
                (
                    norm_guid(child(cd, "CodeRef").get("targetGUID") if child(cd, "CodeRef") is not None else ""),
                    norm_guid(cd.get("creatingUser")),
                )
                for cd in children(sel, "Coding")
            ]
            try:
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            except (TypeError, ValueError):
                raise PipelineError(
                    f"a selection in source '{s.get('name')}' has no whole-number startPosition and endPosition",
                    "Export the project again from its tool",
                    file=f"{file}:{qde}",
                    line=sel.sourceline,
                ) from None
            user = norm_guid(sel.get("creatingUser") or sel.get("modifyingUser"))
            selections.append(
                Selection(norm_guid(sel.get("guid")), start, end, user, text_of(sel, "Description").strip(), codings)
            )
        inline = child(s, "PlainTextContent")
        sources.append(
            Source(
                guid=norm_guid(s.get("guid")),
                name=(s.get("name") or "").strip(),
                kind=local(s),
                plain_path=(s.get("plainTextPath") or "").strip(),
                rich_path=(s.get("richTextPath") or s.get("path") or "").strip(),
                inline=(inline.text or "") if inline is not None else None,
                variables=values(s),
                selections=selections,
            )
        )
    sets = [
        ((st.get("name") or "").strip(), [norm_guid(m.get("targetGUID")) for m in children(st, "MemberSource")])
        for st in root.iter("{*}Set")
    ]
    notes = {}
    for n in root.iter("{*}Note"):
        content = child(n, "PlainTextContent")
        if content is not None:
            notes[(n.get("name") or "").strip()] = content.text or ""
    origin = root.get("origin") or ""
    return Project(str(file), qde, origin, users, codes, cases, sources, sets, notes, entries, archive)


def read_codebook(data: bytes, file) -> list[CodeNode]:
    """A codebook (.qdc) in the namespace of QDA-XML 1.0 or the older urn:QDA-XML:codebook:0:4 -> its codes."""
    root = parse_xml(data, file)
    namespace = str(etree.QName(root).namespace or "")
    if local(root) != "CodeBook" or not namespace.startswith("urn:QDA-XML:codebook"):
        raise PipelineError(
            f"this is not a REFI-QDA codebook (its root element is {etree.QName(root).text})",
            "Export the codebook from the CAQDAS tool as a REFI-QDA codebook (.qdc)",
            file=file,
        )
    codes = child(root, "Codes")
    return _codes(codes) if codes is not None else []


def source_entry(project: Project, path: str) -> str | None:
    """The zip entry of a source path: ``internal://x.txt``, ``sources/x.txt`` in any case, a relative or plain
    (absolute, Windows) path whose file is in the project's sources folder."""
    if not path:
        return None
    rest = path.split("://", 1)[1] if "://" in path else path
    rest = rest.replace("\\", "/").lstrip("/")
    name = PureWindowsPath(rest).name if "\\" in path else PurePosixPath(rest).name
    for key in (rest.lower(), f"sources/{rest.lower()}", f"sources/{name.lower()}"):
        if key in project.entries:
            return project.entries[key]
    for low, entry in project.entries.items():  # sources/ nested under another folder
        if low.endswith(f"sources/{name.lower()}"):
            return entry
    return None


# ---------------------------------------------------------------- writing


def project_element(name: str, origin: str):
    return etree.Element(f"{{{PROJECT_NS}}}Project", nsmap={None: PROJECT_NS}, name=name, origin=origin)


def sub(parent, tag: str, ns: str = PROJECT_NS, text: str | None = None, **attrs):
    el = etree.SubElement(parent, f"{{{ns}}}{tag}", {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def to_bytes(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A zip of ``files`` (entry name -> bytes) in sorted order with a fixed date: the same files give the same
    bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def validate(xml: bytes, name: str, file) -> None:
    """Raise if ``xml`` does not validate against the official schema ``name`` (Project- or Codebook-mrt2019.xsd)."""
    checker = schema(name)
    doc = etree.fromstring(xml)
    if not checker.validate(doc):
        err = checker.error_log.last_error
        raise PipelineError(
            f"the written file does not validate against {name} ({err.message})",
            "This is a bug in the pipeline's exporter: report it with the corpus's codebook",
            file=file,
            line=err.line,
        )
