"""A run's coding -> a REFI-QDA project (exchange/<corpus>.qdpx) and codebook (exchange/codebook.qdc).

Pure core: ``build_project`` takes the screened turns, segments, segment codes, codes.csv rows and review
decisions and returns the project's files; ``run`` reads the run's tables and writes both files atomically.

- one text source per interview: its screened turns (what passed the identifier gate), one per line as
  ``Label: text`` (``Interviewer``, the participant's id, ``Other``), UTF-8, positions in code points, end
  exclusive;
- users: each human coder, each reviewer and the automated coder;
- codings: each codes.csv row on its exact passage (found in its turn as human_codes finds it); every other
  human code (a review decision) on its segment; every machine code on its segment, its confidence and whether
  it is final in the selection's description (a Coding has no description in the schema);
- a case per participant (role, and the wave and manifest attributes that are the same in all its interviews),
  and on each source its wave and all its manifest attributes;
- a note (``importer.RECORD_NOTE``) recording the segments, machine codes and human coders exported and the
  review decisions so far, from which ``import-qdpx`` turns what a reviewer removed or added into review decisions.

GUIDs are uuid5 of ids and nothing carries a date, so two runs give byte-identical files.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections import namedtuple
from pathlib import Path

import pandas as pd
from lxml import etree

from pipeline.coding.review import read_review
from pipeline.core.files import atomic_path, read_table
from pipeline.core.text import _QUOTES, normalise_for_matching
from pipeline.corpus import Interview
from pipeline.exchange.importer import OTHER_LABEL, RECORD_NOTE
from pipeline.exchange.qdpx import (
    CODEBOOK_NS,
    PROJECT_NS,
    guid,
    project_element,
    sub,
    to_bytes,
    validate,
    zip_bytes,
)
from pipeline.human_codes import load_replacements, pseudonymise_quote, read_codes
from pipeline.schemas import read_yaml

log = logging.getLogger(__name__)

ORIGIN = "qualeval pipeline (REFI-QDA 1.0)"
LABELS = {"interviewer": "Interviewer", "other": OTHER_LABEL}
MACHINE_SOURCES = ("model", "codebook")


def rows_by(frame: pd.DataFrame, key) -> dict:
    """A table's rows (named tuples, in the table's order) grouped by ``key(row)``: one pass over the table, where
    selecting each interview's rows from the whole table took most of the export's time at 1,250 interviews."""
    # the rows itertuples gives, made from each column's Python values at once: itertuples reads a text column
    # one value at a time, which took most of this function's time
    row = namedtuple("Row", frame.columns, rename=True)._make
    groups: dict = {}
    for values in zip(*(frame.iloc[:, k].tolist() for k in range(frame.shape[1])), strict=True):
        r = row(values)
        groups.setdefault(key(r), []).append(r)
    return groups


def source_text(turns: list) -> tuple[str, dict[int, int]]:
    """An interview's screened turns (rows of the turns table, in turn order) -> (its text, turn_index -> offset of
    the turn's text in it)."""
    lines, starts, pos = [], {}, 0
    for t in turns:
        label = LABELS.get(t.speaker, str(t.participant_id))
        line = f"{label}: {t.text}"
        starts[int(t.turn_index)] = pos + len(label) + 2
        lines.append(line)
        pos += len(line) + 1
    return "\n".join(lines) + "\n", starts


def matching_map(text: str) -> tuple[str, list[int]]:
    """``text`` in normalise_for_matching's form, and for each of its characters the index in ``text``."""
    out, where, space = [], [], False
    for i, ch in enumerate(text):
        if ch.isspace():
            space = bool(out)
            continue
        if space:
            out.append(" ")
            where.append(i)
            space = False
        piece = unicodedata.normalize("NFKC", ch).translate(_QUOTES).casefold()
        out.append(piece)
        where.extend([i] * len(piece))
    return "".join(out), where


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """The span of a coder's quote in a turn's text, as human_codes matches it (None if it is not there)."""
    wanted = normalise_for_matching(quote)
    norm, where = matching_map(text)
    at = norm.find(wanted) if wanted else -1
    if at < 0:
        return None
    return where[at], where[at + len(wanted) - 1] + 1


def describe_code(definition: str, fields: list[tuple[str, str]]) -> str:
    return "\n".join([" ".join(definition.split()), "", *(f"{k}: {' '.join(str(v).split())}" for k, v in fields)])


def add_codes(parent, codebook: dict, ns: str) -> dict[str, str]:
    """Themes as folders (not codable), codes under them with their full entry in the description."""
    ids = {}
    for theme in codebook["themes"]:
        folder = sub(parent, "Code", ns, guid=guid("code", theme["id"]), name=theme["label"], isCodable="false")
        fields = [("id", theme["id"]), ("kind", theme["kind"])]
        sub(folder, "Description", ns, text=describe_code(theme.get("description", ""), fields))
        for code in theme["codes"]:
            ids[code["id"]] = guid("code", code["id"])
            el = sub(folder, "Code", ns, guid=ids[code["id"]], name=code["label"], isCodable="true")
            fields = [("id", code["id"]), ("kind", code.get("kind", theme["kind"]))]
            fields += [("include", v) for v in code.get("include", [])]
            fields += [("exclude", v) for v in code.get("exclude", [])]
            fields += [("example", v) for v in code.get("examples", [])]
            fields += [("pattern", v) for v in code.get("patterns", [])]
            sub(el, "Description", ns, text=describe_code(code["definition"], fields))
    return ids


def codebook_qdc(codebook: dict) -> bytes:
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin=ORIGIN)
    add_codes(sub(root, "Codes", CODEBOOK_NS), codebook, CODEBOOK_NS)
    return to_bytes(root)


def segment_spans(segments: list, turn_text: dict[int, str], starts: dict[int, int]) -> dict:
    """segment_id -> (start, end) of an interview's segments (rows of the segments table) in its source text (a
    segment is its turn's text between start_char and end_char, stripped)."""
    spans = {}
    for s in segments:
        a = int(s.start_char)
        piece = turn_text[int(s.turn_index)][a : int(s.end_char)]
        begin = starts[int(s.turn_index)] + a + len(piece) - len(piece.lstrip())
        spans[s.segment_id] = (begin, begin + len(str(s.text)))
    return spans


def passage_selections(rows, participant_turns, starts, spans, replacements) -> tuple[list, set]:
    """An interview's codes.csv rows on their exact passages: (selections, the (segment, code, coder) they cover).
    A quote is found in the first participant turn holding it, after the gate's replacements, as human_codes
    finds it; a quote not found is left to its segments (the caller)."""
    selections, covered = [], set()
    for row in rows:
        quote = pseudonymise_quote(row["quote"], replacements)
        for t in participant_turns:
            found = locate(quote, t.text)
            if not found:
                continue
            a, b = starts[int(t.turn_index)] + found[0], starts[int(t.turn_index)] + found[1]
            coder, sentiment = row.get("coder") or "coder1", (row.get("sentiment") or "").lower()
            description = f"sentiment: {sentiment}" if sentiment else ""
            selections.append(
                (a, b, coder, row["code"], description, ("human", row.get("row", ""), row["code"], coder, a, b))
            )
            covered |= {(sid, row["code"], coder) for sid, (x, y) in spans.items() if x < b and a < y}
            break
    return selections, covered


def build_project(
    name: str,
    codebook: dict,
    interviews: list[Interview],
    turns: pd.DataFrame,
    segments: pd.DataFrame,
    segment_codes: pd.DataFrame,
    human_rows: list[dict],
    review: pd.DataFrame,
    replacements: dict | None = None,
    roles: dict | None = None,
    notes: pd.DataFrame | None = None,
) -> tuple[dict[str, bytes], dict]:
    """Pure core: the run's coding -> ({entry name: bytes} of the .qdpx, counts).

    ``interviews``: the manifest's interviews (``corpus.Interview``); ``human_rows``: codes.csv rows
    (participant_id, wave, code, quote, coder, sentiment); ``review``: review decisions
    (segment_id, code_id, decision, reviewer); ``replacements``: the gate's (value, placeholder) pairs per
    (participant_id, wave), applied to quotes as human_codes does; ``roles``: role id -> display name;
    ``notes``: the columns a reviewer added to the review queue (``coding.read_review``)."""
    machine = segment_codes[segment_codes["source"].isin(MACHINE_SOURCES)]
    humans = segment_codes[segment_codes["source"] == "human"]
    coders = sorted({r["coder"] or "coder1" for r in human_rows})
    # a human code whose coder is not a codes.csv coder came from a review decision (coding.combine)
    reviewers = sorted((set(review["reviewer"]) | set(humans["coder"])) - set(coders))
    automated = sorted(set(machine["coder"]))
    user_names = {**{c: c for c in [*coders, *reviewers]}, **{m: f"automated coder ({m})" for m in automated}}
    users = {key: guid("user", key) for key in user_names}

    root = project_element(name, ORIGIN)
    el = sub(root, "Users")
    for key in sorted(user_names):
        sub(el, "User", guid=users[key], name=user_names[key], id=key)
    code_ids = add_codes(sub(sub(root, "CodeBook"), "Codes"), codebook, PROJECT_NS)

    attribute_names = list(dict.fromkeys(k for it in interviews for k in it.attributes))
    variables = {v: guid("variable", v) for v in ["role", "wave", *attribute_names]}
    el = sub(root, "Variables")
    for v, g in variables.items():
        sub(el, "Variable", guid=g, name=v, typeOfVariable="Integer" if v == "wave" else "Text")

    def value(parent, variable: str, text) -> None:
        vv = sub(parent, "VariableValue")
        sub(vv, "VariableRef", targetGUID=variables[variable])
        sub(vv, "IntegerValue" if variable == "wave" else "TextValue", text=str(text))

    by_participant: dict[str, list[dict]] = {}
    for it in interviews:
        by_participant.setdefault(it.participant_id, []).append(it)
    el = sub(root, "Cases")
    for pid in sorted(by_participant):
        its = by_participant[pid]
        case = sub(el, "Case", guid=guid("case", pid), name=pid)
        value(case, "role", its[0].role)
        if len({it.wave for it in its}) == 1:  # a participant seen in several waves: each source has its wave
            value(case, "wave", its[0].wave)
        for a in attribute_names:
            values = {it.attributes.get(a, "") for it in its}
            if len(values) == 1 and next(iter(values)):
                value(case, a, next(iter(values)))
        for it in its:
            sub(case, "SourceRef", targetGUID=guid("source", it.interview_id))

    files: dict[str, bytes] = {}
    record = {"automated_coder": "", "coders": coders, "reviewers": reviewers, "segments": [], "machine": []}
    record["decisions"] = []
    record["automated_coder"] = user_names[automated[0]] if automated else ""
    record["roles"] = dict(roles or {})
    record["codebook"] = {k: codebook[k] for k in ("version", "name", "description", "unit") if k in codebook}
    counts = {"sources": 0, "human": 0, "machine": 0}
    sources_el = sub(root, "Sources")
    seg_by_interview = rows_by(segments, lambda r: r.interview_id)
    turns_by_interview = rows_by(turns, lambda r: r.interview_id)
    interview_of = dict(zip(segments["segment_id"], segments["interview_id"], strict=True))
    humans_by_interview = rows_by(humans, lambda r: interview_of.get(r.segment_id))
    machine_by_interview = rows_by(machine, lambda r: interview_of.get(r.segment_id))
    rows_by_interview: dict[tuple[str, int], list[dict]] = {}
    for row in human_rows:
        rows_by_interview.setdefault((row["participant_id"], int(row["wave"])), []).append(row)
    for it in interviews:
        iid = it.interview_id
        its_turns = turns_by_interview.get(iid)
        if its_turns is None:
            continue
        its_turns = sorted(its_turns, key=lambda t: int(t.turn_index))
        text, starts = source_text(its_turns)
        sguid = guid("source", iid)
        files[f"sources/{sguid}.txt"] = text.encode("utf-8")
        source = sub(sources_el, "TextSource", guid=sguid, name=iid, plainTextPath=f"internal://{sguid}.txt")
        turn_text = {int(t.turn_index): t.text for t in its_turns}
        spans = segment_spans(seg_by_interview.get(iid, []), turn_text, starts)
        record["segments"] += [[iid, a, b, sid] for sid, (a, b) in spans.items()]
        key = (it.participant_id, int(it.wave))
        participant_turns = [t for t in its_turns if t.speaker == "participant"]
        selections, covered = passage_selections(
            rows_by_interview.get(key, []), participant_turns, starts, spans, (replacements or {}).get(key, [])
        )
        for r in humans_by_interview.get(iid, []):
            if (r.segment_id, r.code_id, r.coder) not in covered:  # a review decision, or a quote not located
                a, b = spans[r.segment_id]
                selections.append((a, b, r.coder, r.code_id, "", ("segment", r.segment_id, r.code_id, r.coder)))
        for r in machine_by_interview.get(iid, []):
            a, b = spans[r.segment_id]
            final = "yes" if str(r.final).lower() in ("true", "1") else "no"
            description = f"confidence: {float(r.confidence):.4f}\nsource: {r.source}\nfinal: {final}"
            selections.append((a, b, r.coder, r.code_id, description, ("machine", r.segment_id, r.code_id, r.coder)))
            record["machine"].append([iid, a, b, r.code_id, r.segment_id])
        for a, b, coder, code, description, key in sorted(selections, key=lambda s: (s[0], s[1], s[3], s[2])):
            sel = sub(
                source,
                "PlainTextSelection",
                guid=guid("selection", iid, *key),
                name=code,
                startPosition=a,
                endPosition=b,
                creatingUser=users[coder],
            )
            if description:
                sub(sel, "Description", text=description)
            coding = sub(sel, "Coding", guid=guid("coding", iid, *key), creatingUser=users[coder])
            sub(coding, "CodeRef", targetGUID=code_ids[code])
            counts["machine" if key[0] == "machine" else "human"] += 1
        value(source, "wave", it.wave)
        for a in attribute_names:
            if it.attributes.get(a, ""):
                value(source, a, it.attributes[a])
        counts["sources"] += 1
    if len(review):
        record["decisions"] = [
            [r.segment_id, r.code_id, r.decision, r.reviewer] for r in review.itertuples(index=False)
        ]
    if notes is not None and len(notes):  # columns a reviewer added to the queue: carried, as the queue carries them
        record["notes"] = {"columns": list(notes.columns[2:]), "rows": notes.astype(str).values.tolist()}
    note_guid = guid("note", "record")
    note = sub(sub(root, "Notes"), "Note", guid=note_guid, name=RECORD_NOTE)
    sub(note, "PlainTextContent", text=json.dumps(record, sort_keys=True, ensure_ascii=False))
    sub(root, "Description", text=f"Coding of the corpus '{name}' exported by the qualeval pipeline.")
    sub(root, "NoteRef", targetGUID=note_guid)
    files["project.qde"] = to_bytes(root)
    return files, counts


def export_qdpx(
    name: str,
    roles: dict,
    interviews: list[Interview],
    codebook_path,
    turns_paths,
    segments_path,
    segment_codes_path,
    out_qdpx,
    out_qdc,
    codes_path="",
    review_path="",
    audit_paths=(),
) -> dict:
    """Edge: read the run's tables, build the project and codebook, validate both against the official schemas,
    write them atomically. ``interviews``: the manifest's interviews (``corpus.Interview``)."""

    codebook, _lines = read_yaml(codebook_path, "codebook", "the codebook")
    turns = pd.concat([read_table(p) for p in turns_paths], ignore_index=True)
    segments = read_table(segments_path)
    segment_codes = read_table(segment_codes_path)
    human_rows = read_codes(Path(codes_path)) if codes_path and Path(codes_path).exists() else []
    code_ids = [c["id"] for t in codebook["themes"] for c in t["codes"]]
    review, notes = read_review(review_path or None, set(code_ids), set(segments["segment_id"]), codebook_path)
    replacements = load_replacements(list(audit_paths), segments)
    files, counts = build_project(
        name, codebook, interviews, turns, segments, segment_codes, human_rows, review, replacements, roles, notes
    )
    validate(files["project.qde"], "Project-mrt2019.xsd", out_qdpx)
    qdc = codebook_qdc(codebook)
    validate(qdc, "Codebook-mrt2019.xsd", out_qdc)
    with atomic_path(out_qdpx) as tmp:
        Path(tmp).write_bytes(zip_bytes(files))
    with atomic_path(out_qdc) as tmp:
        Path(tmp).write_bytes(qdc)
    log.info(
        "exported %d sources, %d human and %d machine codings", counts["sources"], counts["human"], counts["machine"]
    )
    return counts
