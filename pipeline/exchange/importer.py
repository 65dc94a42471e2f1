"""A REFI-QDA project (.qdpx) -> a corpus folder in the pipeline's contract.

Pure core: ``import_project`` takes a read project and the options and returns the corpus's files (name ->
bytes) and a report of what was filled in, skipped or decided; ``run`` reads the .qdpx and writes the folder
atomically (nothing is written when anything is wrong).

- one transcript per text source (the text as in the project, UTF-8, its BOM dropped; a .docx-only source is
  copied and read by ingest), ``manifest.csv`` from cases, source variables and ``attribute: value`` sets;
- ``codes.csv``: one row per coding and participant turn the coded span covers, the quote being the part of
  the span in that turn (speaker labels and interviewer speech left out), the coder the selection's user;
- ``codebook.yaml`` from the project's codes (top level -> themes), with what the schema needs and the project
  lacks filled in and reported;
- ``review_queue.csv`` (review decisions) for a project the pipeline exported, from what the reviewer removed
  or added on the automated coder's codings (``exporter.RECORD_NOTE`` records what was exported).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from pipeline.core.errors import PipelineError
from pipeline.core.files import atomic_folder
from pipeline.core.text import clean
from pipeline.corpus import REQUIRED_COLUMNS
from pipeline.exchange import positions
from pipeline.exchange.codes import build_codebook_tree, codebook_yaml, slug
from pipeline.exchange.qdpx import Project, Source, read_project, source_entry
from pipeline.ingest import Speakers, docx_lines, parse_transcript

log = logging.getLogger(__name__)

RECORD_NOTE = "qualeval export record"
OTHER_LABEL = "Other"
PSEUDO_USERS = {"atlas.ti"}  # users a tool adds for itself: never the coder when a person is named
KINDS = {"TextSource": "text", "PDFSource": "PDF", "PictureSource": "picture", "AudioSource": "audio"}
SENTIMENT_RE = re.compile(r"^sentiment:\s*(positive|negative|neutral|mixed)\s*$", re.I | re.M)


@dataclass
class Options:
    participant_from: str = "case"  # case | source
    role_variable: str = "role"
    wave_variable: str = "wave"
    default_role: str = ""
    default_wave: int = 1
    skip_unreadable: bool = False
    # speaker labels (config's speakers:), to which the participant's id and OTHER_LABEL are added
    interviewer: list[str] = field(default_factory=list)
    participant: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    declare: dict[str, list[str]] = field(default_factory=dict)  # labels given on the command line: corpus.yaml
    corpus_name: str = ""


@dataclass
class Interview:
    source: Source
    participant_id: str
    role: str
    wave: int
    attributes: dict[str, str]
    file: str  # in the corpus folder
    data: bytes  # what is written there
    text: str  # the text positions count in (BOM dropped)
    had_bom: bool
    role_label: str = ""  # the role as the project writes it (corpus.yaml's display name)
    normalised: list[int] = field(default_factory=list)  # positions.normalised_index
    norm_text: str = ""  # the text as ingest reads it (CRLF -> LF, NFC): turns' offsets count in it
    turns: list = field(default_factory=list)  # ingest's raw turns (normalised offsets)


def safe_id(text: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-._")
    return out or "participant"


def decode_source(data: bytes, file) -> tuple[str, bool]:
    """A source's text file -> (text without BOM, whether it had one). The standard says UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="strict"), True
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), True
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        raise PipelineError(
            "the source's text file is not UTF-8", "Export the project again (REFI-QDA text files are UTF-8)", file=file
        ) from None


# ---------------------------------------------------------------- sources and participants


def read_sources(project: Project, options: Options, report: list[str]) -> list[tuple[Source, str, bytes]]:
    """(source, kind 'txt' or 'docx', bytes) for every readable text source; the rest is skipped or stops."""
    readable, unreadable = [], []
    for s in project.sources:
        where = f"{project.file}: source '{s.name}'"
        if s.kind != "TextSource":
            unreadable.append(f"'{s.name}' ({KINDS.get(s.kind, s.kind)})")
            continue
        if s.inline is not None:
            readable.append((s, "txt", s.inline.encode("utf-8")))
            continue
        entry = source_entry(project, s.plain_path)
        if entry is not None:
            readable.append((s, "txt", project.zip.read(entry)))
            continue
        rich = source_entry(project, s.rich_path)
        if rich is not None and rich.lower().endswith(".docx"):
            readable.append((s, "docx", project.zip.read(rich)))
            continue
        if s.plain_path or s.rich_path:
            raise PipelineError(
                f"the source names the file '{s.plain_path or s.rich_path}', which is not in the project",
                "Export the project again with its sources (REFI-QDA project .qdpx, not the .qde alone)",
                file=where,
            )
        unreadable.append(f"'{s.name}' (no text)")
    if unreadable and not options.skip_unreadable:
        raise PipelineError(
            f"{len(unreadable)} source(s) cannot be read as text: {', '.join(unreadable)}",
            "Remove them from the project or convert them to text, or pass --skip-unreadable to import the rest",
            file=project.file,
        )
    if unreadable:
        report.append(f"skipped {len(unreadable)} source(s) that are not text: {', '.join(unreadable)}")
    if not readable:
        raise PipelineError("the project has no text sources", "Add the transcripts as text sources", file=project.file)
    return readable


def source_variables(project: Project, source: Source) -> dict[str, str]:
    """Variables on the source, on nameless cases holding it (MAXQDA), and sets named 'attribute: value'."""
    out = {}
    for name, members in project.sets:
        if ":" in name and source.guid in members:
            key, value = (p.strip() for p in name.split(":", 1))
            if key and ":" not in value:
                out[key] = value
    for case in project.cases:
        if not case.name and source.guid in case.sources:
            out.update(case.variables)
    out.update(source.variables)
    return out


def find(variables: dict[str, str], name: str) -> str:
    for key, value in variables.items():
        if key.strip().lower() == name.strip().lower():
            return value.strip()
    return ""


def participant_of(project: Project, source: Source, options: Options) -> tuple[str, dict[str, str]]:
    """(participant id, variables: the case's over the source's) of a source."""
    variables = source_variables(project, source)
    where = f"{project.file}: source '{source.name}'"
    cases = [c for c in project.cases if c.name and source.guid in c.sources]
    if options.participant_from == "source":  # named after the source; a case it is in still gives variables
        own = cases[0].variables if len(cases) == 1 else {}
        return safe_id(PurePosixPath(source.name).stem or source.name), {**variables, **own}
    if not cases:
        raise PipelineError(
            "the source belongs to no case, so it maps to no participant",
            "Put it in its participant's case in the CAQDAS tool and export again, or pass --participant-from source "
            "(each text source one participant, named after the source)",
            file=where,
        )
    if len(cases) > 1:
        names = ", ".join(f"'{c.name}'" for c in cases)
        raise PipelineError(
            f"the source belongs to {len(cases)} cases ({names}), so its participant is ambiguous",
            "Keep it in one case (its participant's), or pass --participant-from source",
            file=where,
        )
    return safe_id(cases[0].name), {**variables, **cases[0].variables}


def wave_of(value: str, where) -> int | None:
    found = re.search(r"\d+", value)
    if not value:
        return None
    if not found or int(found.group(0)) < 1:
        raise PipelineError(
            f"wave '{value}' is not a whole number from 1 up",
            "Write the wave as 1, 2, 3 in the project, or name another variable with --wave-variable",
            file=where,
        )
    return int(found.group(0))


def build_interviews(project: Project, options: Options, report: list[str]) -> list[Interview]:
    out, seen, files = [], {}, set()
    for source, kind, data in read_sources(project, options, report):
        where = f"{project.file}: source '{source.name}'"
        pid, variables = participant_of(project, source, options)
        role = find(variables, options.role_variable) or options.default_role
        if not role:
            raise PipelineError(
                f"participant {pid} has no role (no variable '{options.role_variable}' on its case or source)",
                "Name the variable that holds the role with --role-variable NAME, or give every participant one "
                "role with --default-role ROLE",
                file=where,
            )
        wave = wave_of(find(variables, options.wave_variable), where) or options.default_wave
        if (pid, wave) in seen:
            raise PipelineError(
                f"participant {pid} has two wave-{wave} sources ('{seen[(pid, wave)]}' and this one)",
                "Give each source its wave with a variable (--wave-variable NAME), or pass --participant-from source",
                file=where,
            )
        seen[(pid, wave)] = source.name
        # the role and wave are columns of their own; a variable named like another column of the manifest is dropped
        skip = {options.role_variable.lower(), options.wave_variable.lower(), *REQUIRED_COLUMNS}
        attributes = {k.strip(): v for k, v in variables.items() if k.strip().lower() not in skip and k.strip()}
        stem = safe_id(PurePosixPath(source.name).stem or pid)
        name = f"transcripts/{stem}.{kind}"
        k = 2
        while name.lower() in files:
            name, k = f"transcripts/{stem}-{k}.{kind}", k + 1
        files.add(name.lower())
        if kind == "docx":
            lines = docx_lines(data, where)
            text, had_bom = "\n".join(line.text for line in lines), False
        else:
            text, had_bom = decode_source(data, where)
            data = text.encode("utf-8")  # the text as in the project, UTF-8 without BOM
        out.append(Interview(source, pid, slug(role, "r"), wave, attributes, name, data, text, had_bom, role))
    return out


def parse_turns(interview: Interview, options: Options, where: str) -> None:
    speakers = Speakers(
        [*options.interviewer],
        [*options.participant, interview.participant_id],
        "strict",
        [*options.other, OTHER_LABEL],
    )
    try:
        raw, _fmt, _enc = parse_transcript(Path(interview.file), interview.data, speakers, where)
    except PipelineError as exc:
        if "speaker label" not in exc.problem:
            raise
        # the corpus.yaml that would declare them is not written yet: say how to declare them to the import
        raise PipelineError(
            exc.problem,
            "Name each label on the command line: --interviewer LABEL or --participant LABEL (repeat the option "
            "for several; they are written to the corpus.yaml)",
            file=exc.file,
            line=exc.line,
        ) from None
    if not any(turn.speaker == "participant" for turn in raw):
        raise PipelineError(
            "the source has no participant turns (every label resolved to the interviewer)",
            "Name the participant's label with --participant LABEL",
            file=where,
        )
    interview.turns = raw
    if interview.file.endswith(".docx"):
        interview.normalised = list(range(len(interview.text) + 1))
        interview.norm_text = interview.text
    else:
        interview.normalised = positions.normalised_index(interview.text)
        text = interview.text.replace("\r\n", "\n").replace("\r", "\n")
        interview.norm_text = unicodedata.normalize("NFC", text)


# ---------------------------------------------------------------- spans


def turn_parts(interview: Interview, start: int, end: int) -> list[tuple[int, str]]:
    """(turn number among the file's turns, quote) for each participant turn a span (normalised offsets) covers."""
    out = []
    for k, turn in enumerate(interview.turns):
        if turn.speaker != "participant":
            continue
        pieces = []
        for a, b, _text in turn.pieces:
            lo, hi = max(a, start), min(b, end)
            if lo < hi:
                pieces.append(interview.norm_text[lo:hi])
        quote = clean(" ".join(pieces))
        if quote:
            out.append((k, quote))
    return out


def span_offsets(interview: Interview, project: Project, report: list[str]) -> dict[str, tuple[int, int]]:
    """Selection GUID -> (start, end) in the normalised text, after detecting the source's position convention."""
    where = f"{project.file}: source '{interview.source.name}'"
    selections = interview.source.selections
    spans = [(s.start, s.end) for s in selections]
    if not spans:
        return {}
    convention = positions.detect(interview.text, spans, project.origin, interview.had_bom)
    if convention is None:
        bad = max(spans, key=lambda s: s[1])
        raise PipelineError(
            f"coded positions do not fit the source's text under any known convention (a span ends at {bad[1]}, the "
            f"text has {len(interview.text)} characters)",
            "Export the project again from its tool; if the text was edited after coding, code it again",
            file=where,
        )
    bounds = positions.boundaries(interview.text, convention, interview.had_bom)
    if bounds != positions.boundaries(interview.text, positions.STANDARD, interview.had_bom):
        report.append(f"source '{interview.source.name}': positions read as {convention.describe()}")
    out = {}
    for s in selections:
        a = positions.to_index(bounds, s.start)
        b = positions.to_index(bounds, s.end, end=True)
        out[s.guid] = (interview.normalised[a], interview.normalised[b])
    return out


def coder_name(project: Project, *users: str) -> str:
    for user in users:
        name = project.users.get(user, "")
        if name and name.lower() not in PSEUDO_USERS:
            return name
    return "coder1"


# ---------------------------------------------------------------- the whole import


def csv_text(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def import_project(project: Project, options: Options) -> tuple[dict[str, bytes], list[str]]:
    """Pure core: a read project -> (the corpus folder's files, name -> bytes; the report's lines)."""
    report: list[str] = []
    record = json.loads(project.notes[RECORD_NOTE]) if RECORD_NOTE in project.notes else None
    interviews = build_interviews(project, options, report)
    for it in interviews:
        parse_turns(it, options, f"{project.file}: source '{it.source.name}'")
    themes, codes = build_codebook_tree(project.codes, report)
    automated = (record or {}).get("automated_coder", "")
    coders = set((record or {}).get("coders", []))
    rows, quotes, annotations, unknown, outside = [], {}, 0, 0, 0
    machine_present, reviewed = set(), []  # (source, start, end, code); (source, start, end, code, reviewer)
    for it in interviews:
        offsets = span_offsets(it, project, report)
        for sel in it.source.selections:
            if not sel.codes:
                annotations += bool(sel.description)  # MAXQDA: a commented selection without a code
                continue
            start, end = offsets[sel.guid]
            sentiment = SENTIMENT_RE.search(sel.description)
            for code_guid, coding_user in sel.codes:
                if code_guid not in codes:
                    unknown += 1
                    continue
                code = codes[code_guid]
                coder = coder_name(project, sel.user, coding_user)
                key = (it.source.name, sel.start, sel.end, code.id)
                if record and coder == automated:
                    machine_present.add(key)
                    continue
                if record and coder not in coders:  # a reviewer's, or a new user's (someone reviewing in the tool)
                    reviewed.append((*key, coder))
                    continue
                parts = turn_parts(it, start, end)
                outside += not parts
                for _turn, quote in parts:
                    rows.append(
                        [
                            it.participant_id,
                            it.wave,
                            code.id,
                            sentiment.group(1).lower() if sentiment else "",
                            quote,
                            coder,
                        ]
                    )
                    quotes.setdefault(code.id, []).append(quote)
    if annotations:
        report.append(f"skipped {annotations} annotation(s) (selections with a comment but no code)")
    if outside:
        report.append(f"left out {outside} coding(s) only of interviewer speech or speaker labels (never coded)")
    if unknown:
        report.append(f"skipped {unknown} coding(s) naming a code that is not in the codebook")
    files: dict[str, bytes] = {it.file: it.data for it in interviews}
    attribute_names = list(dict.fromkeys(k for it in interviews for k in it.attributes))
    manifest = [
        [it.participant_id, it.role, it.wave, it.file, *(it.attributes.get(a, "") for a in attribute_names)]
        for it in interviews
    ]
    files["manifest.csv"] = csv_text(["participant_id", "role", "wave", "file", *attribute_names], manifest).encode()
    files["codes.csv"] = csv_text(["participant_id", "wave", "code", "sentiment", "quote", "coder"], rows).encode()
    files["codebook.yaml"] = codebook_yaml(themes, quotes, (record or {}).get("codebook", {}), report).encode()
    names = (record or {}).get("roles", {})
    roles = {it.role: names.get(it.role, it.role_label) for it in interviews}
    settings = {
        "name": options.corpus_name,
        "anonymised": False,
        "roles": dict(sorted(roles.items())),
        "codebook": "codebook.yaml",
        "speakers": {"other": [OTHER_LABEL]},
    }
    for kind, labels in options.declare.items():
        if labels:
            settings["speakers"][kind] = list(labels)
    files["corpus.yaml"] = (
        f"# Imported by python -m pipeline import-qdpx from {Path(project.file).name}; anonymised: false lets the\n"
        "# identifier gate replace what it finds (set true once you have checked the transcripts).\n"
        + yaml.safe_dump(settings, sort_keys=False, allow_unicode=True)
    ).encode()
    if record:
        decisions = review_decisions(record, machine_present, reviewed, automated)
        notes = record.get("notes") or {"columns": [], "rows": []}
        if decisions or notes["rows"]:
            files["review_queue.csv"] = review_file(decisions, notes).encode()
            report.append(f"{len(decisions)} review decision(s) from the project written to review_queue.csv")
    report.insert(0, f"{len(interviews)} transcripts, {len(rows)} coded passages, {len(codes)} codes")
    return files, report


def review_file(decisions: list[list[str]], notes: dict) -> str:
    """The review file: decisions, with the columns a reviewer had added to the queue (notes) beside them, and a
    noted pair without a decision on a row of its own (as the queue keeps it)."""
    columns = list(notes["columns"])
    noted = {(row[0], row[1]): row[2:] for row in notes["rows"]}
    rows = [[*d, *noted.pop((d[0], d[1]), [""] * len(columns))] for d in decisions]
    rows += [[sid, code, "", "", *values] for (sid, code), values in sorted(noted.items())]
    return csv_text(["segment_id", "code_id", "decision", "reviewer", *columns], rows)


def review_decisions(record: dict, machine_present: set, reviewed: list, automated: str) -> list[list[str]]:
    """What a reviewer did in the CAQDAS tool, as review decisions: an exported machine coding removed ->
    exclude; a coding added on the automated coder's user, or by anyone not a recorded human coder (``reviewed``)
    -> include on the segments it covers; an earlier include decision (a reviewer's coding) removed -> exclude;
    earlier excludes stand."""
    segments: dict[str, list[tuple[int, int, str]]] = {}
    for source, start, end, sid in record.get("segments", []):
        segments.setdefault(source, []).append((start, end, sid))

    def covered(source: str, start: int, end: int) -> list[str]:
        return [sid for a, b, sid in segments.get(source, []) if a < end and start < b]

    decided: dict[tuple[str, str], tuple[str, str]] = {}
    for sid, code, decision, reviewer in record.get("decisions", []):
        decided[(sid, code)] = (decision, reviewer)
    still = {(sid, code) for source, start, end, code, _who in reviewed for sid in covered(source, start, end)}
    for key, (decision, reviewer) in list(decided.items()):
        if decision == "include" and key not in still:
            decided[key] = ("exclude", reviewer)
    exported = set()
    for source, start, end, code, sid in record.get("machine", []):
        exported.add((source, start, end, code))
        if (source, start, end, code) not in machine_present and (sid, code) not in still:
            decided[(sid, code)] = ("exclude", "reviewer")
    for source, start, end, code in sorted(machine_present - exported):
        for sid in covered(source, start, end):
            decided[(sid, code)] = ("include", "reviewer")
    for source, start, end, code, who in reviewed:
        for sid in covered(source, start, end):
            decided[(sid, code)] = ("include", who)
    return [[sid, code, decision, who] for (sid, code), (decision, who) in sorted(decided.items())]


def import_qdpx(qdpx, corpus_dir, options: Options, force: bool = False) -> list[str]:
    """Edge: read the .qdpx, import it, write the corpus folder atomically; returns the report."""

    qdpx, corpus_dir = Path(qdpx), Path(corpus_dir)
    if not qdpx.is_file():
        raise PipelineError("the project file does not exist", "Give the path of a .qdpx file", file=qdpx)
    if corpus_dir.exists() and any(corpus_dir.iterdir()) and not force:
        raise PipelineError(
            "the corpus folder already exists", "Choose a new folder, or pass --force to replace it", file=corpus_dir
        )
    options.corpus_name = options.corpus_name or corpus_dir.resolve().name
    files, report = import_project(read_project(qdpx.read_bytes(), qdpx), options)
    with atomic_folder(corpus_dir) as tmp:
        for name, data in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_bytes(data)
    for line in report:
        log.info("%s", line)
    return report
