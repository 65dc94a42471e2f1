"""Review rounds: the filled-in review queue read back, the teaching batch, and the queue itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.coding.coder import _short
from pipeline.coding.seeded import TAUGHT_MIN_POSITIVES
from pipeline.core.errors import PipelineError
from pipeline.core.files import read_csv_text, spreadsheet_reader
from pipeline.human_codes import codebook_name

# decision values a reviewer may write (case and surrounding spaces do not matter); written back as include / exclude
ACCEPT = ("include", "accept", "yes", "y", "true", "1")


REJECT = ("exclude", "reject", "no", "n", "false", "0")


REVIEW_COLUMNS = ["segment_id", "code_id", "decision", "reviewer"]


QUEUE_COLUMNS = [
    "rank",
    "purpose",
    "segment_id",
    "participant_id",
    "role",
    "wave",
    "code_id",
    "code_label",
    "machine_decision",
    "confidence",
    "uncertainty",
    "pattern_phrases",
    "text",
    "decision",
    "reviewer",
]


def read_review(path: Path | None, code_ids, segment_ids=None, codebook_path=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A filled-in review queue: (decisions, notes).

    Rows with a `decision` become human decisions (include or exclude). Columns a reviewer added to the queue
    (a note, a memo, a second opinion: any column the workflow does not write) are notes: one row per segment x
    code pair with a value in any of them (columns segment_id, code_id and the added columns, in file order), so
    that the next queue carries them. Every decided or annotated row is checked before anything is written: its
    segment must exist (where ``segment_ids`` is given), its code must be in the codebook, its decision one of
    ACCEPT or REJECT, and a segment x code pair may be decided (or annotated) only once; repeats of the same
    decision (or notes) are dropped. The file may be in any encoding Excel saves (see
    ``files.read_csv_text``).
    """

    if not path or not Path(path).exists():
        return pd.DataFrame(columns=REVIEW_COLUMNS), pd.DataFrame(columns=["segment_id", "code_id"])
    path = Path(path)
    reader = spreadsheet_reader(read_csv_text(path))
    missing = [c for c in ("segment_id", "code_id", "decision") if c not in reader.fieldnames]
    if missing:
        raise PipelineError(
            f"the review queue lacks the column(s) {', '.join(missing)}",
            "Fill in the `decision` column of the review_queue.csv the workflow wrote, keeping its other columns",
            file=path,
            line=1,
        )
    added = list(dict.fromkeys(c.strip() for c in reader.fieldnames if c and c.strip() not in QUEUE_COLUMNS))
    known = set(segment_ids) if segment_ids is not None else None
    out, seen, noted = [], {}, {}
    for row in reader:
        line = reader.line_num
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        written, note = values["decision"], tuple(values.get(c, "") for c in added)
        if not written and not any(note):
            continue
        sid, code = values["segment_id"], values["code_id"]
        if written and written.lower() not in ACCEPT + REJECT:
            raise PipelineError(
                f"decision '{_short(written)}' is neither include nor exclude",
                f"Write one of {', '.join(ACCEPT)} to include the code, one of {', '.join(REJECT)} to exclude it,"
                " or leave the cell empty",
                file=path,
                line=line,
            )
        if known is not None and sid not in known:
            raise PipelineError(
                f"unknown segment '{_short(sid)}'",
                "Use a segment_id of the review_queue.csv the workflow wrote for this corpus (outputs/<corpus>/tables/)"
                " or delete the row; segment ids change when transcripts are edited or segmented differently",
                file=path,
                line=line,
            )
        if code not in code_ids:
            raise PipelineError(
                f"unknown code id '{_short(code)}'",
                f"Use a code id from {codebook_name(codebook_path)}, or delete the row",
                file=path,
                line=line,
            )
        if any(note):
            if (sid, code) in noted and noted[(sid, code)][1] != note:
                raise PipelineError(
                    f"segment '{sid}' and code '{code}' have other notes on line {noted[(sid, code)][0]}",
                    "Keep the notes of each segment and code on one row: merge them and delete the other row",
                    file=path,
                    line=line,
                )
            noted.setdefault((sid, code), (line, note))
        if not written:
            continue
        decision = "include" if written.lower() in ACCEPT else "exclude"
        if (sid, code) in seen:
            first_line, first = seen[(sid, code)]
            if first != decision:
                raise PipelineError(
                    f"segment '{sid}' and code '{code}' were decided {first} on line {first_line} and {decision} here",
                    "Keep one decision for each segment and code: empty the other row's decision",
                    file=path,
                    line=line,
                )
            continue
        seen[(sid, code)] = (line, decision)
        out.append((sid, code, decision, values.get("reviewer") or "reviewer"))
    notes = [(sid, code, *note) for (sid, code), (_, note) in noted.items()]
    return pd.DataFrame(out, columns=REVIEW_COLUMNS), pd.DataFrame(notes, columns=["segment_id", "code_id", *added])


def closeness(probs, thresholds) -> np.ndarray:
    """How close each probability is to its code's threshold: 1 at the threshold (the coder is least sure), 0 at
    the far end of the scale; NaN where the code has no threshold."""
    p, t = np.asarray(probs, dtype=np.float64), np.asarray(thresholds, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(t), 1 - np.abs(p - t) / np.maximum(t, 1 - t), np.nan)


def teaching_batch(probs, thresholds, open_pairs, participants, includes, size: int) -> list[tuple[int, int]]:
    """The segment x code decisions that teach the coder most, at most ``size`` (README.md here, "Review rounds").

    Every open pair (``open_pairs[i, j]``: a segment without human coding, a pair not yet decided) is scored:
    for a code that is taught (``includes``, its known included segments, reach ``TAUGHT_MIN_POSITIVES``), how
    close its probability is to the code's threshold (1 at the threshold, the coder is least sure there); for a
    code not yet taught, the codebook-seeded coder's most likely segments first (probability over threshold), so
    that the first decisions find the positives a code is learned from. Pairs are then taken best first while no
    code has more than ceil(size / codes) (a code not yet taught: at least twice the includes it still lacks, so
    a round can teach it) and no participant more than max(2, ceil(2 x size / participants)), so one round
    covers many codes and people; ties go to the earlier segment and code.
    """
    k = probs.shape[1]
    includes = np.asarray(includes)
    taught = includes >= TAUGHT_MIN_POSITIVES
    t = np.where(np.isfinite(thresholds), thresholds, 0.5)
    score = np.where(taught[None, :], closeness(probs, t), probs / np.maximum(t, 1e-6))
    rows, cols = np.nonzero(open_pairs)
    order = np.lexsort((cols, rows, -score[rows, cols]))
    people = sorted(set(participants[rows])) if len(rows) else []
    per_person = max(2, -(-2 * size // max(len(people), 1)))
    per_code = np.where(taught, -(-size // k), np.maximum(-(-size // k), 2 * (TAUGHT_MIN_POSITIVES - includes)))
    chosen, codes, persons, rest = [], {}, {}, []
    for i, j in zip(rows[order], cols[order], strict=True):
        if len(chosen) == size:
            break
        who = participants[i]
        if codes.get(j, 0) >= per_code[j] or persons.get(who, 0) >= per_person:
            rest.append((int(i), int(j)))
            continue
        chosen.append((int(i), int(j)))
        codes[j], persons[who] = codes.get(j, 0) + 1, persons.get(who, 0) + 1
    return chosen + rest[: size - len(chosen)]


def review_queue(
    segments,
    code_ids,
    labels,
    probs,
    thresholds,
    patterns,
    machine_rows,
    size: int,
    reviewed=None,
    notes=None,
    batch=(),
) -> pd.DataFrame:
    """The review queue: decisions that teach the coder, machine decisions a person should check, then the
    decisions already made (``purpose`` teach / check / decided).

    First, ranked, ``batch``: the round's segment x code pairs chosen by ``teaching_batch``. Then, ranked on,
    the machine decisions closest to the threshold and the pattern hits the model disagrees with (most
    uncertain first, at most ``size``), leaving out every segment x code pair already decided in ``reviewed``
    (the imported queue's decisions, see ``read_review``) or in the batch. Then, without a rank, every one of those
    decided pairs with its decision and reviewer filled in, in the order of the imported file. A user who fills
    in this queue and copies it over the corpus's review_queue.csv therefore keeps all earlier decisions.
    Columns the reviewer added (``notes``, see ``read_review``) follow the queue's own, filled in wherever a pair
    had notes; an annotated pair that is neither ranked nor decided is listed last, so no note is lost.
    """
    reviewed = reviewed if reviewed is not None else pd.DataFrame(columns=REVIEW_COLUMNS)
    notes = notes if notes is not None else pd.DataFrame(columns=["segment_id", "code_id"])
    added = [c for c in notes.columns if c not in ("segment_id", "code_id")]
    note_of = {(r[0], r[1]): dict(zip(added, r[2:], strict=True)) for r in notes.itertuples(index=False)}
    blank = dict.fromkeys(added, "")
    pattern_map = {(r.segment_id, r.code_id): r.phrases for r in patterns.itertuples(index=False)}
    decided = set(zip(reviewed["segment_id"], reviewed["code_id"], strict=True))

    sids = segments["segment_id"].to_numpy()
    column_of = {c: segments[c].tolist() for c in ("participant_id", "role", "wave", "text")}

    def uncertainty(i: int, j: int) -> float:
        return round(float(closeness(probs[i, j], thresholds[j])), 4)

    def entry(i: int, j: int, purpose: str = "check") -> dict:
        p, code = float(probs[i, j]), code_ids[j]
        return {
            "purpose": purpose,
            "segment_id": sids[i],
            "participant_id": column_of["participant_id"][i],
            "role": column_of["role"][i],
            "wave": column_of["wave"][i],
            "code_id": code,
            "code_label": labels[code],
            "machine_decision": "include" if p >= thresholds[j] else "exclude",
            "confidence": round(p, 4),
            "uncertainty": uncertainty(i, j),
            "pattern_phrases": pattern_map.get((sids[i], code), ""),
            "text": column_of["text"][i],
            "decision": "",
            "reviewer": "",
            **note_of.get((sids[i], code), blank),
        }

    teach = [entry(i, j, "teach") for i, j in batch]
    taken = decided | {(sids[i], code_ids[j]) for i, j in batch}
    # the machine decisions to check: uncertainty (rounded as listed) at least 0.5, or a pattern hit the model
    # decided against; most uncertain first, then by segment and code; at most ``size``
    machine = np.nonzero(machine_rows)[0]
    near = closeness(probs[machine], thresholds)  # elementwise the arithmetic of ``uncertainty``
    column = {c: j for j, c in enumerate(code_ids)}
    hit_below = np.zeros(near.shape, dtype=bool)
    row_of = {sid: r for r, sid in enumerate(sids[machine])}
    for (sid, code), phrases in pattern_map.items():
        if phrases and sid in row_of and code in column:
            r, j = row_of[sid], column[code]
            hit_below[r, j] = probs[machine[r], j] < thresholds[j]
    # rounding to 4 places cannot lift a closeness under 0.49 to 0.5: only these pairs are looked at one by one
    maybe = np.isfinite(np.asarray(thresholds, dtype=np.float64))[None, :] & ((near >= 0.49) | hit_below)
    candidates = []
    for r, j in zip(*np.nonzero(maybe), strict=True):
        i, code = machine[r], code_ids[j]
        if (sids[i], code) in taken:
            continue
        u = uncertainty(i, j)
        if u < 0.5 and not hit_below[r, j]:
            continue
        candidates.append((-u, sids[i], code, i, j))
    columns = QUEUE_COLUMNS[1:] + added
    queue = pd.DataFrame([entry(i, j) for *_, i, j in sorted(candidates)[:size]], columns=columns)
    queue = pd.concat([pd.DataFrame(teach, columns=columns), queue], ignore_index=True) if teach else queue
    position = {sid: i for i, sid in enumerate(segments["segment_id"])}
    done = [
        {
            **entry(position[r.segment_id], column[r.code_id], "decided"),
            "decision": r.decision,
            "reviewer": r.reviewer,
        }
        for r in reviewed.itertuples(index=False)
    ]
    listed = decided | set(zip(queue["segment_id"], queue["code_id"], strict=True))
    done += [
        entry(position[sid], column[code], "note")
        for sid, code in note_of
        if (sid, code) not in listed and sid in position and code in column
    ]
    ranks = list(range(1, len(queue) + 1)) + [None] * len(done)
    queue = pd.concat([queue, pd.DataFrame(done, columns=columns)], ignore_index=True)
    queue.insert(0, "rank", pd.array(ranks, dtype="Int64"))
    return queue
