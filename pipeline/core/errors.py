"""The project's error type: what is wrong, where, and what to do about it."""

from __future__ import annotations

from pathlib import Path


class PipelineError(Exception):
    """A known problem with the user's input or configuration.

    The CLI prints it as one line, ``ERROR: <file>:<line>: <problem>. <fix>.``,
    and exits with status 2. ``line`` may be a line number, a row number or a
    short locator such as ``"paragraph 12"``.
    """

    def __init__(self, problem: str, fix: str = "", file: str | Path | None = None, line=None):
        self.problem = problem.rstrip(".")
        self.fix = fix.rstrip(".")
        self.file = str(file) if file is not None else None
        self.line = line
        super().__init__(self.message())

    def message(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line is not None else "") + ": "
        text = f"{where}{self.problem}."
        if self.fix:
            text += f" {self.fix}."
        return text

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message()


class PipelineErrors(PipelineError):
    """Several known problems found in one pass (a batch of transcripts): the CLI prints one ERROR line each."""

    def __init__(self, errors: list[PipelineError]):
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.problem, first.fix, first.file, first.line)


def raise_all(problems: list[PipelineError]) -> None:
    """Raise the problems found in one pass, if any: one as itself, several together (one ERROR line each)."""
    flat = [e for p in problems for e in getattr(p, "errors", [p])]
    if len(flat) == 1:
        raise flat[0]
    if flat:
        raise PipelineErrors(flat)
