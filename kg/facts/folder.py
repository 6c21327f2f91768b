"""A fact folder on disk: the files it holds and their bytes, read before anything is parsed.

Kept apart from the fact reader (kg.facts.read) so that a command that finds its last
build unchanged (kg.build.lastbuild) never imports the YAML reader or the checks.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..base.errors import InputError, Problem, SourceLocation, UsageError, path_problem


def read_bytes(path: Path, shown_as: str) -> bytes:
    """A fact file's bytes; InputError naming it when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputError([path_problem(err, shown_as)]) from None


def fact_files(root: Path) -> list[Path]:
    """Every ``*.yaml``/``*.yml`` under ``root``, sorted; InputError for one that cannot
    be a fact file (a symbolic link to nothing, a folder that cannot be listed)."""
    if not root.is_dir():
        raise UsageError(f"no fact folder at {root}")
    paths: list[Path] = []
    problems: list[Problem] = []
    seen: set[str] = set()

    def refused(err: OSError) -> None:
        problems.append(path_problem(err, shown(Path(err.filename or root)), "list"))

    for folder, subfolders, names in os.walk(root, onerror=refused, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a symbolic link back up the tree
            subfolders.clear()
            continue
        seen.add(real)
        subfolders.sort()
        for name in names:
            path = Path(folder) / name
            if path.suffix not in (".yaml", ".yml"):
                continue
            if path.is_file():
                paths.append(path)
            elif path.is_symlink():
                problems.append(Problem(SourceLocation(shown(path)),
                                        f"a symbolic link to {os.readlink(path)}, which does not exist"))
    if problems:
        raise InputError(problems)
    return sorted(paths)


def read_fact_files(paths: list[Path]) -> dict[Path, bytes]:
    """The bytes of every fact file; InputError naming each one that cannot be read."""
    contents: dict[Path, bytes] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            contents[path] = read_bytes(path, shown(path))
        except InputError as err:
            problems.extend(err.problems)
    if problems:
        raise InputError(problems)
    return contents


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a while.

    Reading facts makes millions of small objects and no garbage cycles; the
    collector, triggered by every few hundred allocations, kept walking all of
    them and took more time than the YAML parser.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
