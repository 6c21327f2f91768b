"""The last checked build of a fact folder, reused while not a byte of the folder or the code changed.

``kg query``, ``kg view`` and ``kg serve`` read their graph from here in
milliseconds; only when something changed do they import the fact reader, the
checks and the build (kg.build.cache). What is kept is the Turtle a build wrote after
reading back every part of it, with its counts, warnings and notes.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..base.errors import Problem, SourceLocation
from ..base.files import remove_quietly, replace_unsynced
from ..facts.folder import fact_files, paused_gc, read_fact_files

FORMAT = 3  # of what a build keeps; 3: every unit's Turtle is read back when it is compiled


class ReadTurtle(bytes):
    """Turtle that has been read back already, part by part as it was written.

    A build joins the blocks of many files (``kg.build.cache``); each file's blocks are
    read back by Oxigraph's parser when they are written (``check_turtle_blocks``),
    so the whole, a header and complete statements, reads back too, and
    ``check_rdf("turtle")`` need not read it all again after a change to one file.
    """

    __slots__ = ()


@dataclass(frozen=True)
class Built:
    """A built and checked graph, as Turtle, and what it took."""

    turtle: bytes
    triples: int
    records: int
    files: int
    compiled: int   # files read and compiled this time; the others came from the cache
    warnings: tuple[Problem, ...] = ()   # conflicts no rank settles (kg.facts.reconcile)
    notices: tuple[Problem, ...] = ()    # what the reader merged (kg.facts.read)


@dataclass(frozen=True)
class Folder:
    """A fact folder as read for a build: its files, their bytes and digests, and the key of the whole."""

    root: Path
    paths: list[Path]
    contents: dict[Path, bytes]
    files: dict[str, str]        # name under the folder -> sha256
    whole: str | None            # what the whole build depends on (None: a file could not be read)


def read_folder(facts_dir: str | Path) -> Folder:
    root = Path(facts_dir)
    paths = fact_files(root)
    contents = read_fact_files(paths)
    files = {relative(path, root): hashlib.sha256(data).hexdigest() for path, data in contents.items()}
    return Folder(root, paths, contents, files, whole_key(root, files))


def reused(facts_dir: str | Path, cache_dir: str | Path) -> tuple[Folder, Built | None]:
    """The folder as read, and its last build when nothing it depends on changed since."""
    with paused_gc():
        folder = read_folder(facts_dir)
        return folder, (load_whole(Path(cache_dir), folder.whole) if folder.whole is not None else None)


def relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def whole_key(root: Path, files: dict[str, str]) -> str | None:
    """What a whole build depends on: every file under the fact folder (stored texts too) and the code.

    None when a file cannot be read: the build then reads as usual and says which.
    """
    digest = hashlib.sha256(code_version().encode())
    try:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = relative(path, root)
            known = files.get(name) or hashlib.sha256(path.read_bytes()).hexdigest()
            digest.update(f"{name}\0{known}\n".encode("utf-8", "surrogateescape"))
    except OSError:
        return None
    return digest.hexdigest()


@cache
def code_version() -> str:
    """What a cache depends on besides the facts: this code, the ontology and shapes, the libraries."""
    from importlib.metadata import version

    import pyoxigraph
    import rdflib

    from ..base.ontology import ontology_dir

    digest = hashlib.sha256(f"{FORMAT} {sys.version} {pyoxigraph.__version__} {rdflib.__version__} "
                            f"{version('PyYAML')}".encode())
    package = Path(__file__).parent.parent
    for path in sorted(package.rglob("*.py")) + sorted(ontology_dir().glob("*.ttl")):
        name = path.relative_to(package).as_posix() if path.is_relative_to(package) else path.name
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def load_whole(directory: Path, key: str) -> Built | None:
    """The last build's Turtle, if it was built from exactly this folder by exactly this code."""
    try:
        meta = json.loads((directory / "whole.json").read_bytes())
        if meta.get("key") != key:
            return None
        turtle = (directory / "whole.ttl").read_bytes()
        if zlib.crc32(turtle) != meta["crc"]:
            return None
        # What a build wrote after reading back every part of it, unchanged since.
        return Built(ReadTurtle(turtle), meta["triples"], meta["records"], meta["files"], 0,
                     problems_of(meta["warnings"]), problems_of(meta["notices"]))
    except Exception:  # missing, unreadable, edited by hand: build as usual
        return None


def save_whole(directory: Path, key: str, built: Built) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)  # a build that keeps no units still keeps this
        replace_unsynced(directory / "whole.ttl", built.turtle)
        meta = {"key": key, "crc": zlib.crc32(built.turtle), "triples": built.triples,
                "records": built.records, "files": built.files,
                "warnings": [list(p.location) + [p.message] for p in built.warnings],
                "notices": [list(p.location) + [p.message] for p in built.notices]}
        replace_unsynced(directory / "whole.json", json.dumps(meta).encode("utf-8"))
    except OSError:
        remove_quietly(directory / "whole.json")


def load_names(directory: Path, key: str) -> bytes | None:
    """The index of names a store made of the last build (N-Triples), if it was made of this one."""
    try:
        meta = json.loads((directory / "names.json").read_bytes())
        data = (directory / "names.nt").read_bytes()
        if meta.get("key") != key or zlib.crc32(data) != meta["crc"]:
            return None
        return data
    except Exception:  # missing, unreadable, edited by hand: the store indexes the names again
        return None


def save_names(directory: Path, key: str, data: bytes) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        replace_unsynced(directory / "names.nt", data)
        replace_unsynced(directory / "names.json", json.dumps({"key": key, "crc": zlib.crc32(data)}).encode("utf-8"))
    except OSError:
        remove_quietly(directory / "names.json")


def problems_of(rows: list[list]) -> tuple[Problem, ...]:
    return tuple(Problem(SourceLocation(path, line, col), message) for path, line, col, message in rows)
