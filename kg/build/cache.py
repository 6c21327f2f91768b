"""Builds that redo only what changed: every fact file compiled once, kept beside the output.

``kg.build.pipeline.built(facts, cache_dir=out / ".kg-cache")`` gives the Turtle that
``serialize(load_graph(facts))`` gives, byte for byte, but after one file of a
big fact folder changes it reads that file and little else.

Each fact file is compiled on its own into a *unit*: the Turtle of the subjects
its records make (one block per subject, see ``export.turtle_blocks``) and what
other files may depend on, the *definitions* of its ids (kind, names, types and,
for a source, its stored text). A unit depends on its own bytes and on the
definitions of the ids it refers to: its labels quote their names, the reference
checks their kinds, the shapes their types, the quote check the sources' texts.
So a rebuild

1. reads and hashes every fact file; files whose bytes are new are compiled;
2. finds the ids whose definitions changed (and sources whose text changed), and
   compiles again every other file that refers to one of them;
3. checks what spans files on the units of all files: duplicate ids and keys,
   references, quotes, and the shapes on every subject it compiled (``kg.build.shacl``,
   with the types of all ids; a shape reading more of another file's node is
   refused as ``Incomplete``);
4. joins the blocks of every unit, the periods and the ontology.

At the first problem, or anything the quick path cannot vouch for, the build
starts again from scratch with ``load_facts`` and ``check``, whose messages are
the only ones the user sees: the quick path proves a build right or gives way,
it never reports.

The cache is JSON and raw Turtle, no pickle: it is data, never code. Each file
carries its checksum in the index, the index names the version of the code and
ontology that wrote it, and files are renamed into place once written; a cache
that is unreadable, inconsistent or from other code is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .graph import (
    IRI_PREFIX, KGR_TEXT, FactGraph, RecordBuilder, T, kgr, names_of, ontology_subjects, period_pairs,
    period_term, periods_of, record_term,
)
from ..base.errors import InputError, KgError, Problem
from .export import check_turtle_blocks, turtle_blocks, turtle_from_blocks
from ..base.files import _alive, remove_quietly, replace_unsynced
from ..facts.read import (
    SCHEMA, TREES, Record, _check_quotes, _check_references, _merge, _read_file, event_identity, figure_family,
    shown, source_text_path,
)
from . import lastbuild
from .lastbuild import Built, Folder, ReadTurtle, relative
from ..base.ontology import vocabulary
from ..base.progress import QUIET, Progress
from ..facts.reconcile import Reconciled, reconcile
from .shacl import Data, Incomplete, Unsupported, compiled_shapes
from ..base.values import parse_period
from ..facts.yamltree import read_yaml



@dataclass
class Unit:
    """One fact file, compiled: the Turtle of its subjects and what other files may depend on."""

    path: str                    # relative to the fact folder, with '/'
    digest: str                  # sha256 of its bytes
    records: int
    triples: int
    ids: list[str]               # the ids it defines, and for each:
    kinds: list[str]             #   its kind,
    names: list[dict[str, str]]  #   its names (a source's title),
    types: list[list[str]]       #   its rdf:types
    texts: dict[str, str]        # source id -> path of its stored text
    facts: list[str]             # "kind\tkey" of each record without an id
    imports: list[str]           # ids its records refer to
    periods: list[str]           # period codes its records use
    blocks: list[bytes]          # the Turtle of each subject, in subject order
    more: list[str] = field(default_factory=list)  # subjects besides its records' own (references)
    events: list[str] = field(default_factory=list)  # each dated listing event's identity (event_key)
    _subjects: list[str] | None = field(default=None, repr=False, compare=False)

    def subjects(self) -> list[str]:
        """Its subjects in order (a record makes one subject, and a reference per source when several)."""
        if self._subjects is None:
            self._subjects = self._made()
        return self._subjects

    def _made(self) -> list[str]:
        made = [KGR_TEXT + key for key in self.ids]
        for fact in self.facts:
            kind, key = fact.split("\t", 1)
            made.append(KGR_TEXT + IRI_PREFIX.get(kind, "") + key)
        return sorted(made + self.more)

    def definitions(self) -> dict[str, tuple]:
        """What files referring to its ids depend on: kind, names, types, stored text."""
        return {key: (kind, names, types, self.texts.get(key))
                for key, kind, names, types in zip(self.ids, self.kinds, self.names, self.types)}


class _Redo(Exception):
    """The quick path cannot prove this build right: build from scratch."""


def quick(folder: Folder, cached: _Cached, progress: Progress = QUIET) -> Work | None:
    """The build of ``folder`` from the cached units, compiling only the files that changed and those
    that depend on them; None when it cannot vouch for the result (the full build then says why)."""
    by_name = {relative(path, folder.root): path for path in folder.paths}
    try:
        return _quick_path(folder.root, by_name, folder.contents, folder.files, cached, progress)
    except (_Redo, Incomplete, Unsupported):
        return None


def ontology_blocks_disjoint(subjects, used_periods) -> dict:
    """The ontology's subjects and the periods', which no fact may describe too."""
    more: dict = {}
    for extra in (ontology_subjects(), used_periods):
        if not extra.keys().isdisjoint(subjects):  # pragma: no cover - ids and the ontology's IRIs differ
            raise KgError(f"the ontology describes {sorted(extra.keys() & subjects)[0]}, which the facts also describe")
        more.update(extra)
    return more


@dataclass
class Work:
    """A finished build and what the cache keeps of it."""

    built: Built
    units: dict[str, Unit]
    fresh: set[str]              # units compiled by this build
    texts: dict[str, str]        # source id -> sha256 of its stored text
    cacheable: bool = True       # files can be compiled alone next time


def families_across_files(units) -> bool:
    """Whether statements that may be reconciled with each other (one figure family) stand in several
    files: best values then span files, which the quick path, compiling a file alone, cannot see."""
    home: dict[str, str] = {}
    for unit in units:
        for fact in unit.facts:
            kind, key = fact.split("\t", 1)
            if kind == "figures" and home.setdefault(figure_family(key), unit.path) != unit.path:
                return True
    return False


# --- one file --------------------------------------------------------------------------------

def compile_file(name: str, digest: str, records: list[Record], names: dict[str, dict[str, str]],
             reconciled: dict[str, Reconciled]) -> tuple[Unit, dict[str, tuple[tuple[str, str], ...]]]:
    """A file's unit, and its subjects' pairs (for the shapes)."""
    builder = RecordBuilder(names, reconciled)
    made: dict[str, list[tuple[str, str]]] = {}
    more: list[str] = []
    imports: set[str] = set()
    periods: dict[str, None] = {}
    for record in records:
        for i, (subject, pairs) in enumerate(builder.build(record)):
            made.setdefault(subject, []).extend(pairs)
            if i:
                more.append(subject)
        imports.update(_refs(record))
        periods.update(dict.fromkeys(period.code for period in periods_of(record)))
    subjects = FactGraph(made).subjects
    with_id = [record for record in records if "id" in record.values]
    unit = Unit(
        path=name, digest=digest, records=len(records), triples=sum(len(pairs) for pairs in subjects.values()),
        ids=[r.key for r in with_id], kinds=[r.kind for r in with_id], names=[names[r.key] for r in with_id],
        types=[sorted(o for p, o in subjects[record_term(r)] if p == T.type) for r in with_id],
        texts={r.key: r["text"] for r in with_id if r.kind == "sources" and "text" in r.values},
        facts=[f"{r.kind}\t{r.key}" for r in records if "id" not in r.values],
        imports=sorted(imports), periods=list(periods), blocks=[block for _, block in turtle_blocks(subjects)],
        more=more, events=[key for key in map(event_key, records) if key is not None],
    )
    check_turtle_blocks(unit.blocks, unit.triples)  # read back once, here: the build's Turtle joins these blocks
    return unit, subjects


_REF_FIELDS = {kind: [name for name, spec in fields.items() if spec.refs] for kind, fields in SCHEMA.items()}


def event_key(record: Record) -> str | None:
    """What makes a dated listing event the same event in any file, whatever its id (kg.facts.read merges them)."""
    if record.kind != "listing_events" or ("date" not in record.values and "period" not in record.values):
        return None
    return "\t".join(event_identity(record))


def _refs(record: Record) -> list[str]:
    values = record.values
    return [ref for name in _REF_FIELDS[record.kind] if name in values for ref, _ in values[name]]


def periods(units) -> dict[str, list[tuple[str, str]]]:
    codes = sorted({code for unit in units for code in unit.periods})
    return {period_term(period): period_pairs(period) for period in map(parse_period, codes)}


def join(units: dict[str, Unit], periods: dict[str, list[tuple[str, str]]], files: int,
          compiled: int | None = None) -> Built:
    """The build's Turtle from the blocks of every unit (each read back when compiled), the ontology and the periods."""
    blocks = [pair for unit in units.values() for pair in zip(unit.subjects(), unit.blocks)]
    period_graph = FactGraph(periods)
    period_blocks = turtle_blocks(period_graph.subjects)
    check_turtle_blocks([block for _, block in period_blocks], len(period_graph))
    blocks += _ontology_blocks() + period_blocks
    triples = sum(unit.triples for unit in units.values()) + len(period_graph) + _ontology_triples()
    return Built(ReadTurtle(turtle_from_blocks(blocks)), triples, sum(unit.records for unit in units.values()),
                 files, files if compiled is None else compiled)


@cache
def _ontology_blocks() -> list[tuple[str, bytes]]:
    blocks = turtle_blocks(ontology_subjects())
    check_turtle_blocks([block for _, block in blocks], _ontology_triples())
    return blocks


@cache
def _ontology_triples() -> int:
    return sum(len(pairs) for pairs in ontology_subjects().values())


def read_texts(root: Path, units) -> tuple[dict[str, str], dict[str, str | None]]:
    """Every source's stored text: (sha256 by source id, the text or None by source id).

    Raises _Redo when a text cannot be read: the full check says why.
    """
    digests: dict[str, str] = {}
    texts: dict[str, str | None] = {}
    try:
        inside = root.resolve()
    except (OSError, RuntimeError):
        raise _Redo from None
    for unit in units:
        for key, kind in zip(unit.ids, unit.kinds):
            if kind != "sources":
                continue
            relative = unit.texts.get(key)
            if relative is None:
                texts[key] = None
                continue
            path = source_text_path(root, relative, inside)
            if path is None:
                raise _Redo  # the full check says why
            try:
                data = path.read_bytes()
                texts[key] = data.decode("utf-8")
            except (OSError, UnicodeDecodeError):
                raise _Redo from None
            digests[key] = hashlib.sha256(data).hexdigest()
    return digests, texts


# --- the quick path ----------------------------------------------------------------------------

def _quick_path(root: Path, by_name: dict[str, Path], contents: dict[Path, bytes], files: dict[str, str],
           cached: _Cached, progress: Progress) -> Work:
    old = cached.units
    changed = {name for name, digest in files.items() if name not in old or old[name].digest != digest}
    removed = set(old) - set(files)
    vocab = vocabulary()
    records_of: dict[str, list[Record]] = {}

    def read(name: str) -> list[Record]:
        problems: list[Problem] = []
        path = by_name[name]
        try:
            tree = read_yaml(path, shown(path), contents[path])
        except InputError:
            raise _Redo from None
        warnings: list[Problem] = []
        records = _merge(_read_file(tree, vocab, problems, {}), problems, [], warnings)
        if problems or warnings or any(record.merged for record in records):
            raise _Redo  # a problem, a warning, or facts of several sources: the full build says what
        records_of[name] = records
        return records

    progress.stage("reading changed facts", len(changed))
    for name in sorted(changed):
        read(name)
        progress.advance()
    progress.done()
    if any(r.kind == kind and name in r.values for records in records_of.values() for r in records
           for kind, name, _ in TREES):
        raise _Redo  # a changed `within` may close a cycle through unchanged files: the full check looks

    units = {name: unit for name, unit in old.items() if name in files and name not in changed}

    # Ids and keys are unique across files; the kinds and names of every id.
    kinds: dict[str, str] = {}
    names: dict[str, dict[str, str]] = {}
    facts: set[str] = set()
    count = 0
    for unit in units.values():
        kinds.update(zip(unit.ids, unit.kinds))
        names.update(zip(unit.ids, unit.names))
        facts.update(unit.facts)
        count += len(unit.ids) + len(unit.facts)
    for records in records_of.values():
        with_id = [r for r in records if "id" in r.values]
        kinds.update((r.key, r.kind) for r in with_id)
        names.update(names_of(with_id))
        facts.update(f"{r.kind}\t{r.key}" for r in records if "id" not in r.values)
        count += len(records)
    if len(kinds) + len(facts) != count:
        raise _Redo  # a duplicate id or fact: the full check says where
    events = [key for unit in units.values() for key in unit.events]
    events += [key for records in records_of.values() for key in map(event_key, records) if key is not None]
    if len(events) != len(set(events)):
        raise _Redo  # one listing event in two files: the full build merges it, or warns of it

    # Compile the changed files, then every file that refers to an id whose definition changed;
    # their references are checked first (a label needs the name of what it refers to).
    subjects: dict[str, tuple[tuple[str, str], ...]] = {}

    def compile_checked(name: str, records: list[Record]) -> None:
        problems: list[Problem] = []
        _check_references(records, problems, {}, kinds)
        if problems:
            raise _Redo
        reconciled = reconcile(records)
        if reconciled.warnings:
            raise _Redo
        units[name], made = compile_file(name, files[name], records, names, reconciled.statements)
        subjects.update(made)

    for name in sorted(changed):
        compile_checked(name, records_of[name])
    before = {key: d for name in changed | removed if name in old for key, d in old[name].definitions().items()}
    after = {key: d for name in changed for key, d in units[name].definitions().items()}
    digests, texts = read_texts(root, units.values())
    touched = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    touched |= {key for key in digests.keys() | cached.texts.keys() if digests.get(key) != cached.texts.get(key)}
    stale = sorted(name for name, unit in units.items() if name not in changed and not touched.isdisjoint(unit.imports))
    for name in stale:
        compile_checked(name, read(name))

    # The quotes and the shapes of what was compiled.
    compiled = [record for records in records_of.values() for record in records]
    problems: list[Problem] = []
    _check_quotes(compiled, root, problems, texts)
    if problems:
        raise _Redo
    if families_across_files(units.values()):
        raise _Redo  # statements of one figure in several files: best values span files
    used = periods(units.values())
    types = {}
    for unit in units.values():
        types.update(zip(map(kgr, unit.ids), unit.types))
    data = Data({**ontology_subjects(), **used, **subjects}, types)
    if compiled_shapes().failing(data, [*subjects, *used]):
        raise _Redo
    return Work(join(units, used, len(files), len(records_of)), units, set(records_of), digests)


# --- the cache on disk ----------------------------------------------------------------------------

@dataclass
class _Cached:
    units: dict[str, Unit]
    entries: dict[str, dict[str, Any]]   # the index entry of each unit
    texts: dict[str, str]                # source id -> sha256 of its stored text


class Cache:
    """``index.json`` names every unit's two files (``units/<digest>.json`` and ``.ttl``) and their checksums."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.units_dir = directory / "units"

    def load(self) -> _Cached | None:
        try:
            index = json.loads((self.directory / "index.json").read_bytes())
            if index.get("format") != lastbuild.FORMAT or index.get("version") != lastbuild.code_version():
                return None
            entries = index["units"]
            units = {name: self._unit(name, entry) for name, entry in entries.items()}
            texts = index["texts"]
            if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
                return None
            return _Cached(units, entries, texts)
        except Exception:  # unreadable, truncated, edited by hand: build from scratch
            return None

    def _unit(self, name: str, entry: dict[str, Any]) -> Unit:
        meta_bytes = (self.units_dir / f"{entry['digest']}.json").read_bytes()
        turtle = (self.units_dir / f"{entry['digest']}.ttl").read_bytes()
        if zlib.crc32(meta_bytes) != entry["meta_crc"] or zlib.crc32(turtle) != entry["turtle_crc"]:
            raise ValueError(f"checksum of {name}")
        meta = json.loads(meta_bytes)
        if meta["path"] != name or meta["digest"] != entry["digest"]:
            raise ValueError(f"{name} holds another file")
        kind_names, type_table = meta["kind_table"], meta["type_table"]
        blocks, start = [], 0
        for size in meta["sizes"]:
            blocks.append(turtle[start : start + size])
            start += size
        unit = Unit(
            path=name, digest=meta["digest"], records=meta["records"], triples=meta["triples"], ids=meta["ids"],
            kinds=[kind_names[i] for i in meta["kinds"]], names=meta["names"],
            types=[type_table[i] for i in meta["types"]], texts=meta["texts"], facts=meta["facts"],
            imports=meta["imports"], periods=meta["periods"], blocks=blocks, more=meta["more"],
            events=meta["events"],
        )
        if start != len(turtle) or len(blocks) != len(unit.ids) + len(unit.facts) + len(unit.more) or not (
                len(unit.ids) == len(unit.kinds) == len(unit.names) == len(unit.types)):
            raise ValueError(f"{name}: inconsistent unit")
        return unit

    def forget(self) -> None:
        """No quick path next time: the next build starts from scratch."""
        try:
            (self.directory / "index.json").unlink(missing_ok=True)
        except OSError:
            pass

    def save(self, work: Work, cached: _Cached | None) -> None:
        """Write the units compiled, then the index; a failure to write leaves no cache rather than a wrong one.

        A build whose files depend on each other's statements is not kept for the quick path."""
        if not work.cacheable:
            self.forget()
            return
        try:
            self.units_dir.mkdir(parents=True, exist_ok=True)
            entries = {}
            for name, unit in sorted(work.units.items()):
                if cached is not None and name not in work.fresh and name in cached.entries:
                    entries[name] = cached.entries[name]
                    continue
                meta, turtle = _unit_files(unit)
                entries[name] = {"digest": unit.digest, "meta_crc": zlib.crc32(meta), "turtle_crc": zlib.crc32(turtle)}
                replace_unsynced(self.units_dir / f"{unit.digest}.json", meta)
                replace_unsynced(self.units_dir / f"{unit.digest}.ttl", turtle)
            index = {"format": lastbuild.FORMAT, "version": lastbuild.code_version(), "units": entries, "texts": work.texts}
            replace_unsynced(self.directory / "index.json", json.dumps(index, sort_keys=True, indent=1).encode("utf-8"))
            keep = {f"{entry['digest']}.{suffix}" for entry in entries.values() for suffix in ("json", "ttl")}
            for path in self.units_dir.iterdir():
                if path.name not in keep and not _in_progress(path):
                    path.unlink(missing_ok=True)
            for path in self.directory.glob(".*.tmp"):  # what a build killed while saving left
                if not _in_progress(path):
                    path.unlink(missing_ok=True)
        except OSError:
            remove_quietly(self.directory / "index.json")


def _unit_files(unit: Unit) -> tuple[bytes, bytes]:
    kind_names = sorted(set(unit.kinds))
    type_table = sorted({tuple(types) for types in unit.types})
    type_index = {types: i for i, types in enumerate(type_table)}
    meta = json.dumps({
        "path": unit.path, "digest": unit.digest, "records": unit.records, "triples": unit.triples,
        "ids": unit.ids, "kind_table": kind_names, "kinds": [kind_names.index(kind) for kind in unit.kinds],
        "names": unit.names, "type_table": type_table, "types": [type_index[tuple(types)] for types in unit.types],
        "texts": unit.texts, "facts": unit.facts, "imports": unit.imports, "periods": unit.periods,
        "sizes": [len(block) for block in unit.blocks], "more": unit.more, "events": unit.events,
    }, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return meta, b"".join(unit.blocks)


def _in_progress(path: Path) -> bool:
    """A temporary file that a running process (another build, this one) is writing."""
    match = re.fullmatch(r"\..*\.(\d+)\.tmp", path.name)
    return match is not None and _alive(int(match[1]))


