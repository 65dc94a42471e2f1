"""The corpus contract: a folder with manifest.csv, transcripts, optional codes.csv and corpus.yaml.

Everything here is read at workflow start (by the Snakefile) and by the CLI, so a broken
manifest stops the run before any job starts, with one line naming the file and row.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.errors import PipelineError
from pipeline.core.files import read_csv_text, require_columns, spreadsheet_reader
from pipeline.core.text import line_pattern
from pipeline.schemas import load_yaml

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("participant_id", "role", "wave", "file")
CORPUS_FILES = {"manifest.csv", "codes.csv", "corpus.yaml", "review_queue.csv"}
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Interview:
    interview_id: str
    participant_id: str
    role: str
    wave: int
    file: str  # relative to the corpus folder, as in the manifest
    line: int  # line of manifest.csv
    attributes: dict = field(default_factory=dict)


@dataclass
class Corpus:
    root: Path
    name: str
    interviews: list[Interview]
    roles: dict[str, str]  # role id -> display name
    interviewer_labels: list[str]
    participant_labels: list[str]
    label_mode: str  # "strict": every label-like line must resolve; "declared": only known labels start turns
    anonymised: bool
    codebook: Path | None
    settings: dict  # the whole validated corpus.yaml
    attribute_columns: list[str]
    anonymisation_mode: str = "check"  # check | pseudonymise (auto resolved)
    allow: list[str] = field(default_factory=list)
    # the gate's policy beyond the allow-list: locale, keep_public, home_population, abroad_population
    gate: dict = field(default_factory=dict)
    other_labels: list[str] = field(default_factory=list)  # other speakers: kept, not coded
    layout: dict = field(default_factory=dict)  # ingest rules: header, notes, redactions (ingest.Layout)

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.csv"

    @property
    def codes_path(self) -> Path:
        return self.root / "codes.csv"

    def interview(self, interview_id: str) -> Interview:
        for it in self.interviews:
            if it.interview_id == interview_id:
                return it
        raise PipelineError(
            f"interview '{interview_id}' is not in the manifest",
            "Check the interview id, or add its row to manifest.csv",
            file=self.manifest_path,
        )


def interview_id(participant_id: str, wave: int) -> str:
    return f"{participant_id}_w{wave}"


def load_corpus_settings(root: Path) -> dict:
    path = root / "corpus.yaml"
    if not path.exists():
        return {}
    settings = load_yaml(path, "corpus", "corpus.yaml")
    return settings


def load_corpus(path: str | Path, config: dict) -> Corpus:
    """Read and check a corpus folder against the contract.

    ``config`` is the validated workflow configuration (roles and speaker label defaults).
    """
    root = Path(path)
    if not root.is_dir():
        raise PipelineError(
            f"corpus folder '{root}' does not exist",
            "Give an existing folder with --config corpus=PATH",
            file=root,
        )
    settings = load_corpus_settings(root)
    roles = dict(settings.get("roles") or config["roles"])
    speakers = settings.get("speakers") or {}
    interviewer = list(config["speakers"]["interviewer"]) + list(speakers.get("interviewer", []))
    participant = list(config["speakers"]["participant"]) + list(speakers.get("participant", []))
    other = list(config["speakers"].get("other", [])) + list(speakers.get("other", []))
    own_ingest = settings.get("ingest") or {}
    layout = {
        key: tuple((config.get("ingest") or {}).get(key, [])) + tuple(own_ingest.get(key, []))
        for key in ("header", "notes", "redactions")
    }
    check_rules(root / "corpus.yaml", {"speakers": interviewer + participant + other, **layout})
    codebook = settings.get("codebook")
    manifest = root / "manifest.csv"
    interviews, attributes = read_manifest(manifest, roles)
    anonymised = bool(settings.get("anonymised", True))
    anon = config.get("anonymisation", {})
    mode = (settings.get("anonymisation") or {}).get("mode") or anon.get("mode", "auto")
    if mode == "auto":
        mode = "check" if anonymised else "pseudonymise"
    own = settings.get("anonymisation") or {}
    # the interviewers' names and public figures are kept: to the gate they are allowed names; so are the
    # interviewer's speaker labels a corpus declares ("AI", "Researcher"), when a participant says them
    allow = [
        *(label for label in speakers.get("interviewer", []) if "*" not in label and not label.startswith("re:")),
        *anon.get("allow", []),
        *anon.get("interviewer_names", []),
        *anon.get("public_figures", []),
        *own.get("allow", []),
        *own.get("interviewer_names", []),
        *own.get("public_figures", []),
    ]
    places = {**(anon.get("public_places") or {}), **(own.get("public_places") or {})}
    gate = {
        "locale": own.get("locale") or anon.get("locale", "uk"),
        "keep_public": bool(own.get("keep_public", anon.get("keep_public", True))),
        "home_population": int(places.get("home_population", 1_000_000)),
        "abroad_population": int(places.get("abroad_population", 100_000)),
    }
    return Corpus(
        root=root,
        name=settings.get("name") or root.resolve().name,
        interviews=interviews,
        roles=roles,
        interviewer_labels=interviewer,
        participant_labels=participant,
        other_labels=other,
        layout=layout,
        label_mode=speakers.get("mode", "strict"),
        anonymised=anonymised,
        codebook=(root / codebook) if codebook else None,
        settings=settings,
        attribute_columns=attributes,
        anonymisation_mode=mode,
        allow=allow,
        gate=gate,
    )


def check_rules(path: Path, rules: dict) -> None:
    """Every speaker pattern and line rule compiles (a bad regular expression is named before any job)."""
    for kind, items in rules.items():
        for rule in items:
            is_regex = kind == "redactions" or rule.startswith("re:")
            try:
                re.compile(rule) if kind == "redactions" else line_pattern(rule)
            except re.error as exc:
                raise PipelineError(
                    f"the {kind} rule '{rule}' is not a valid regular expression ({exc})",
                    "Correct it in corpus.yaml (or config/config.yaml); write re: before a regular expression, or "
                    "use plain text with * for the rest of a label"
                    if is_regex
                    else "Correct it",
                    file=path,
                ) from None


def read_manifest(manifest: Path, roles: dict[str, str]) -> tuple[list[Interview], list[str]]:
    if not manifest.exists():
        raise PipelineError(
            "no manifest.csv in the corpus folder",
            "Create manifest.csv with the columns participant_id, role, wave, file (see config/README.md)",
            file=manifest,
        )

    reader = spreadsheet_reader(read_csv_text(manifest))
    header = reader.fieldnames
    require_columns(header, REQUIRED_COLUMNS, manifest, "Add them to the header row: participant_id, role, wave, file")
    attributes = [c for c in header if c not in REQUIRED_COLUMNS]
    interviews: list[Interview] = []
    seen: dict[tuple[str, int], int] = {}
    for row in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not any(values.values()):
            continue
        pid, role, wave_text, file = (values.get(c, "") for c in REQUIRED_COLUMNS)
        for col in REQUIRED_COLUMNS:
            if not values.get(col):
                raise PipelineError(
                    f"the '{col}' cell is empty", "Fill it in or delete the row", file=manifest, line=line
                )
        if not ID_PATTERN.match(pid):
            raise PipelineError(
                f"participant_id '{pid}' may hold only letters, digits, '.', '_' and '-'",
                "Rename the participant (for example CM3 or P-014)",
                file=manifest,
                line=line,
            )
        if role not in roles:
            raise PipelineError(
                f"role '{role}' is not one of the declared roles ({', '.join(roles)})",
                "Correct the role, or declare it under roles: in corpus.yaml",
                file=manifest,
                line=line,
            )
        if not re.fullmatch(r"[1-9][0-9]*", wave_text):
            raise PipelineError(
                f"wave '{wave_text}' is not a whole number from 1 up",
                "Write the wave as 1, 2, 3",
                file=manifest,
                line=line,
            )
        wave = int(wave_text)
        key = (pid, wave)
        if key in seen:
            raise PipelineError(
                f"participant {pid} has a second row for wave {wave} (the first is on line {seen[key]})",
                "Keep one row per participant and wave",
                file=manifest,
                line=line,
            )
        seen[key] = line
        target = manifest.parent / file
        if not target.is_file():
            raise PipelineError(
                f"the transcript '{file}' listed here does not exist",
                "Check the path (relative to the corpus folder) or add the file",
                file=manifest,
                line=line,
            )
        interviews.append(
            Interview(
                interview_id=interview_id(pid, wave),
                participant_id=pid,
                role=role,
                wave=wave,
                file=file,
                line=line,
                attributes={a: values.get(a, "") for a in attributes},
            )
        )
    if not interviews:
        raise PipelineError(
            "manifest.csv lists no interviews", "Add one row per interview below the header", file=manifest
        )
    return interviews, attributes


def unlisted_files(corpus: Corpus) -> list[str]:
    """Files in the corpus folder that no manifest row names (they will not be analysed)."""
    names = [it.file for it in corpus.interviews]
    # the codebook and the claims a corpus.yaml names may live in the corpus folder
    names += [corpus.settings[key] for key in ("codebook", "findings") if key in corpus.settings]
    # paths as written first; a file not found that way is compared by its real path (a symbolic link, "..")
    written = {os.path.normpath(corpus.root / name) for name in names}
    real: set[Path] = set()
    out = []
    for p in sorted(corpus.root.rglob("*")):
        rel = p.relative_to(corpus.root)
        if not p.is_file() or any(part.startswith((".", "_")) for part in rel.parts):
            continue
        if rel.name in CORPUS_FILES or rel.name.lower().startswith("readme"):
            continue
        if os.path.normpath(p) in written:
            continue
        real = real or {(corpus.root / name).resolve() for name in names}
        if p.resolve() not in real:
            out.append(str(rel))
    return out
