"""One error tree for the library; the CLI turns it into messages and exit codes."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'net-loss'?)`` for the one choice closest to a mistyped word, or nothing."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


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

    def __reduce__(self):  # as it was made, so that it crosses from a worker process whole
        return type(self), (self.problems,)


class NotConforming(InputError):
    """The built graph breaks the SHACL shapes."""


class UsageError(KgError):
    """A command was called wrongly: an unknown format, a missing file, a bad option value."""


class ExportError(KgError):
    """An output would not read back (ill-formed XML, say): it is refused, not written."""

    exit_code = 1


class FileError(KgError):
    """A file or folder could not be read or written: no permission, no space, a path
    through a file, a read error. The message names the path; exit status 2."""


# What the operating system's refusal means, in words that say what to do.
_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder, not a file",
    errno.EEXIST: "it already exists",
    errno.ENOENT: "no such file or folder",
    errno.ENOTEMPTY: "the folder is not empty",
    errno.EIO: "an input/output error (a failing disk or a network file system?)",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "too many symbolic links (a loop?)",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files on the system",
    errno.EFBIG: "the file is too large",
    errno.EBUSY: "the file or folder is busy",
    errno.ETXTBSY: "the file is busy",
    errno.EXDEV: "it is on another device",
}


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return relative if not relative.startswith("..") else str(path)


def os_reason(err: OSError) -> str:
    """What an OSError means, without Python's ``[Errno 13]`` decoration."""
    return _REASONS.get(err.errno) or err.strerror or str(err) or type(err).__name__


def file_error(err: OSError, doing: str, path: str | os.PathLike[str] | None = None) -> FileError:
    """The tool's error for an operating-system failure while ``doing`` ("write", "read")
    something to ``path`` (else the path the error names)."""
    where = path if path is not None else (err.filename or "")
    named = f" {shown_path(where)}" if where != "" else ""
    other = f" (and {shown_path(err.filename2)})" if getattr(err, "filename2", None) else ""
    return FileError(f"cannot {doing}{named}{other}: {os_reason(err)}")


@contextmanager
def os_errors(doing: str, path: str | os.PathLike[str] | None = None) -> Iterator[None]:
    """Turn any OSError inside the block into a FileError naming ``path``: the one
    place where the operating system's failures become the tool's messages."""
    try:
        yield
    except FileError:
        raise
    except OSError as err:
        raise file_error(err, doing, path) from None


def path_problem(err: OSError, path: Path | str, doing: str = "read") -> Problem:
    """An OSError about an input file, as one located problem (for InputError)."""
    return Problem(SourceLocation(shown_path(path)), f"cannot {doing} this file: {os_reason(err)}")
