"""One error tree for the library; the CLI turns it into messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class SourceLocation(NamedTuple):
    """Where a value was written: a path as the user gave it, 1-based line and column.

    A named tuple rather than a frozen dataclass: every YAML value gets one, and
    at a million triples the dataclass constructor alone took over a second.
    """

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.path
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, at one place."""

    location: SourceLocation
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class KgError(Exception):
    """Anything the user can fix; never a bug in the tool."""

    exit_code = 2


class InputError(KgError):
    """The facts (or another input) are wrong; carries every problem found, sorted by place."""

    exit_code = 1

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class NotConforming(InputError):
    """The built graph breaks the SHACL shapes."""


class UsageError(KgError):
    """A command was called wrongly: an unknown format, a missing file, a bad option value."""
