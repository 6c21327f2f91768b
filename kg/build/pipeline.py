"""The build, step by step as the pipeline reads: read -> check -> reconcile -> build -> validate -> cache.

Every command that needs the graph of a fact folder comes through here:

- ``build_turtle(facts_dir, cache_dir=...)``: the checked graph as Turtle. The last build
  is reused when not a byte of the folder or the code changed (kg.build.lastbuild);
  else the files that changed are compiled alone when the cache can vouch for the
  rest (kg.build.cache, the quick path); else the folder is built from scratch.
- ``checked_graph(facts)`` and ``load_graph(facts_dir)``: the same steps in memory,
  for the library and the commands that need the records too.

Only what a step needs is imported when it runs, so a command on unchanged facts
loads neither the fact reader nor the build.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..base.progress import QUIET, Progress
from .lastbuild import Built, Folder, load_whole, read_folder, relative, save_whole

if TYPE_CHECKING:
    from rdflib import Graph

    from ..facts.records import Facts
    from .cache import Work
    from .graph import FactGraph


def build_turtle(facts_dir: str | Path = "facts", *, cache_dir: str | Path | None = None,
                 progress: Progress = QUIET, folder: Folder | None = None, as_of: dt.date | None = None) -> Built:
    """Read, check, reconcile, build and validate the fact folder; its graph as Turtle. Raises InputError.

    With ``cache_dir``, what did not change since the last build is taken from
    there, and the cache is brought up to date. ``folder``: the folder as already
    read, so that what is built is what was hashed. ``as_of``: the graph as known on that day,
    from what sources published by then say (kg.facts.asof); built whole, never cached.
    """
    from ..facts.folder import paused_gc

    with paused_gc():
        if folder is None:
            folder = read_folder(facts_dir)
        if as_of is not None:
            return from_scratch(folder, progress, as_of=as_of).built
        if cache_dir is not None and folder.whole is not None:
            last = load_whole(Path(cache_dir), folder.whole)
            if last is not None:
                return last  # not a byte of the folder, the code or the ontology changed since it was checked
        from .cache import Cache, quick

        cache = Cache(Path(cache_dir)) if cache_dir is not None else None
        cached = cache.load() if cache is not None else None
        work = quick(folder, cached, progress) if cached is not None else None
        if work is None:
            work = from_scratch(folder, progress)
        if cache is not None:
            cache.save(work, cached)
            if folder.whole is not None:
                save_whole(cache.directory, folder.whole, work.built)
        return work.built


def from_scratch(folder: Folder, progress: Progress = QUIET, *, as_of: dt.date | None = None) -> Work:
    """Every step on every file; the only path whose messages the user sees."""
    from ..facts.read import read_facts, shown
    from ..facts.reconcile import reconcile
    from .cache import Work, compile_file, families_across_files, join, ontology_blocks_disjoint, periods, read_texts
    from .graph import FactGraph, names_of, origins
    from .validate import check

    root = folder.root
    facts = read_facts(root, progress=progress, contents=folder.contents, as_of=as_of)  # read, check
    facts = replace(facts, reconciliation=reconcile(facts.records))                # reconcile
    by_name = {relative(path, root): path for path in folder.paths}
    name_of = {shown(path): name for name, path in by_name.items()}
    records_of: dict[str, list] = {name: [] for name in folder.files}
    for record in facts.records:
        records_of[name_of[record.location.path]].append(record)
    names = names_of(facts.records)
    progress.stage("building", len(folder.files))                                 # build
    units, subjects = {}, {}
    for name, records in records_of.items():
        units[name], made = compile_file(name, folder.files[name], records, names, facts.reconciliation.statements)
        subjects.update(made)
        progress.advance()
    progress.done()
    used = periods(units.values())
    subjects.update(ontology_blocks_disjoint(subjects, used))
    check(FactGraph(subjects, unique=True), lambda: origins(facts))                # validate
    texts, _ = read_texts(root, units.values())
    # A fact several sources give, or a figure several statements give, ties files together:
    # such a build is not kept for the quick path, which compiles a file on its own.
    # So does a warning: the quick path would keep it only if it read the file that gives it.
    cacheable = not any(unit.more for unit in units.values()) and not families_across_files(units.values()) \
        and not facts.warnings
    whole = replace(join(units, used, len(folder.files)), warnings=facts.warnings, notices=facts.notices)
    return Work(whole, units, set(units), texts, cacheable)


def checked_graph(facts: Facts) -> FactGraph:
    """Build the graph of read, checked and reconciled ``facts`` and validate it against the shapes."""
    from .graph import fact_graph, origins
    from .validate import check

    graph = fact_graph(facts)
    check(graph, lambda: origins(facts))
    return graph


def load_graph(facts_dir: str | Path = "facts", *, as_of: dt.date | None = None) -> Graph:
    """Read, check, reconcile, build and validate a fact folder: the graph every other command works on
    (``as_of``: as known on that day)."""
    from ..facts.read import load_facts

    return checked_graph(load_facts(facts_dir, as_of=as_of)).to_rdflib()


