"""Where the graph lives: in memory, in an on-disk Oxigraph store, or in a remote SPARQL 1.1 server.

Every store answers the same questions with the same kinds of values, so the
result renderers and the views need not know which one they talk to::

    store = open_store("oxigraph:out/store")          # or "memory", "virtuoso+https://host", a kg.toml name
    store.replace(graph)                              # `kg build --store` gives it a Document: its Turtle
    result = store.select("SELECT ?c WHERE { ?c a gpu:ChipDesigner } ORDER BY ?c")
    graph = store.graph()                             # an rdflib Graph, for views and export

Locations (the text ``--store`` takes, or ``location`` in ``kg.toml``):

- ``memory``: an rdflib Graph built from the facts (the default);
- ``oxigraph:PATH``: an embedded Oxigraph (RocksDB) store on disk. A load writes a
  new version beside the live one and switches ``PATH/store.json`` to it with one
  rename, so a reader never sees half a graph and a failed load changes nothing;
- ``oxigraph+http://HOST:PORT``: an Oxigraph server (``/query``, ``/update``, ``/store``);
- ``virtuoso+http://HOST:PORT``: Virtuoso (``/sparql``; updates and loads through
  ``/sparql-auth`` and ``/sparql-graph-crud-auth`` with digest authentication);
- ``sparql+https://HOST/PATH``: any SPARQL 1.1 query endpoint (read only, unless
  ``kg.toml`` names its ``update`` and ``graph_store`` endpoints).

The remote servers are in kg.store.remote, imported only when a command names one.

Parameter values are never pasted into query text as the user typed them. In
memory they are rdflib ``initBindings``; elsewhere each value becomes one RDF
term serialised by pyoxigraph (which refuses an IRI with ``>`` or a space in
it) and replaces the variable's tokens, the way SPARQL's SEP-0007
substitution does; each term is checked to be one token, so no value can
change the shape of a query.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.term import Node

from ..base.errors import UsageError, os_errors, os_reason
from ..base.ontology import GPU, GRAPH_IRI, PREFIXES
from ..base.progress import QUIET, Progress
from .core import (keep_least, raw_from_rdflib, raw_term, MEMORY, Document, LoadFailed, Prepared, StoreError, Store, NAMED_MARK, OX_FORMATS, checked_iri, from_oxigraph, ntriples, prepare, rdflib_graph, sparql_term, substitute, term_bindings)
from ..base.names import NAME_PREDICATES, forget, index_keys, name_keys
from .result import Result



# --- errors ---------------------------------------------------------------------------------












# --- terms ----------------------------------------------------------------------------------














# --- queries, prepared once -------------------------------------------------------------------












# --- loading ---------------------------------------------------------------------------------









# --- the interface ------------------------------------------------------------------------------






# --- Oxigraph, in memory or on disk -------------------------------------------------------------


class OxigraphStore(Store):
    """What the in-memory and the on-disk store share: Oxigraph answers every query.

    One engine for both, so memory and disk give the same answers by construction.
    """

    def _open(self) -> ox.Store:
        raise NotImplementedError

    def _default_graph(self) -> ox.NamedNode | None:
        """The graph queries read as their default graph (None: the store's default graph)."""
        return ox.NamedNode(str(self.graph_iri))

    def _failure(self, err: Exception) -> StoreError:
        """What a failure of Oxigraph while reading means (RocksDB reports damage as RuntimeError)."""
        return StoreError(f"{self.name}: {err}")

    @contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except (OSError, RuntimeError) as err:
            raise self._failure(err) from None

    def _run(self, prepared: Prepared, bindings: Mapping[str, Node] | None):
        # pyoxigraph's own `substitutions` only takes variables the query projects; a saved
        # query's parameters rarely are, so values go in as terms, as for a remote server.
        text = substitute(prepared.text, term_bindings(bindings))
        options: dict[str, Any] = {"prefixes": {p: str(ns) for p, ns in PREFIXES.items()}}
        default = self._default_graph()
        if default is not None:
            options["default_graph"] = default
        store = self._open()
        try:
            return store.query(text, **options)
        except SyntaxError as err:
            raise UsageError(f"{self.name}: cannot read the query ({err})") from None
        except (OSError, RuntimeError) as err:
            raise self._failure(err) from None

    def rows(self, query: Any, bindings: Mapping[str, Node] | None = None) -> tuple[tuple[str, ...], Iterator[tuple]]:
        """A SELECT's columns, and its rows as Oxigraph finds them (for writing them as they come)."""
        prepared = prepare(query)
        if prepared.form != "select":
            raise UsageError(f"select() runs SELECT queries, not {prepared.form.upper()}")
        bound = term_bindings(bindings)
        solutions = self._run(prepared, bound)
        given = [v.value for v in solutions.variables]
        # Columns in the order the query projects them, so every store writes the same table;
        # a substituted variable is no longer in the query, and its value is the bound term.
        columns = prepared.variables or tuple(given)
        order = [given.index(v) if v in given else v for v in columns]

        def read() -> Iterator[tuple]:
            with self._reading():  # the rows are read as they are written: damage can show late
                for solution in solutions:
                    yield tuple(bound.get(i) if isinstance(i, str) else from_oxigraph(solution[i]) for i in order)

        return columns, read()

    def raw_rows(self, query: Any, bindings: Mapping[str, Node] | None = None) -> tuple[tuple[str, ...], Iterator[tuple]]:
        """``rows``, each term in the plain form a worker sends (kg.store.core.raw_term): no rdflib term is made
        where the query runs; the process that reads the answer makes each distinct one once."""
        prepared = prepare(query)
        if prepared.form != "select":
            raise UsageError(f"select() runs SELECT queries, not {prepared.form.upper()}")
        bound = {name: raw_from_rdflib(term) for name, term in term_bindings(bindings).items()}
        solutions = self._run(prepared, term_bindings(bindings))
        given = [v.value for v in solutions.variables]
        columns = prepared.variables or tuple(given)
        order = [given.index(v) if v in given else v for v in columns]

        def read() -> Iterator[tuple]:
            with self._reading():
                for solution in solutions:
                    yield tuple(bound.get(i) if isinstance(i, str) else raw_term(solution[i]) for i in order)

        return columns, read()

    def select(self, query: Any, bindings: Mapping[str, Node] | None = None) -> Result:
        columns, rows = self.rows(query, bindings)
        return Result(columns, tuple(rows))

    def ask(self, query: Any, bindings: Mapping[str, Node] | None = None) -> bool:
        prepared = prepare(query)
        if prepared.form != "ask":
            raise UsageError(f"ask() runs ASK queries, not {prepared.form.upper()}")
        return bool(self._run(prepared, bindings))

    def construct(self, query: Any, bindings: Mapping[str, Node] | None = None) -> Graph:
        prepared = prepare(query)
        if prepared.form not in ("construct", "describe"):
            raise UsageError(f"construct() runs CONSTRUCT and DESCRIBE queries, not {prepared.form.upper()}")
        return rdflib_graph(self._run(prepared, bindings))

    def serialized(self, query: Any, format: str) -> bytes | None:
        """The answer as Oxigraph writes it in ``format`` (a SPARQL results format, or Turtle or N-Triples for a
        graph), in one step in the engine: what a SPARQL endpoint sends. Decimals come in the engine's
        canonical form (``189000000``, not the build's ``189000000.0``: the same xsd:decimal)."""
        graph_form = getattr(query, "form", "") in ("construct", "describe")  # "xml" is RDF/XML for a graph
        wanted = OX_FORMATS.get(format) if graph_form else _OX_RESULTS.get(format)
        if wanted is None:
            return None
        answer = self._run(prepare(query), None)
        with self._reading():
            return answer.serialize(format=wanted)

    _label_index: dict[str, dict[str, str]] | None = None

    def index_labels(self) -> None:
        """Every label in a dictionary, read once: for a long-running process (kg serve's graph in memory,
        shared by its workers), where a label is then a lookup in that dictionary."""
        index: dict[str, dict[str, str]] = {}
        label = ox.NamedNode(str(RDFS.label))
        with self._reading():
            for quad in self._open().quads_for_pattern(None, label, None, self._default_graph() or ox.DefaultGraph()):
                if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal):
                    keep_least(index.setdefault(quad.subject.value, {}), quad.object.language or "", quad.object.value)
        self._label_index = index

    def labels(self, iris: Collection[str]) -> dict[str, dict[str, str]]:
        """Each IRI's labels read from Oxigraph's index of subjects: one lookup per IRI, no query to plan."""
        if self._label_index is not None:
            return {iri: self._label_index[iri] for iri in iris if iri in self._label_index}
        store = self._open()
        graph = self._default_graph() or ox.DefaultGraph()
        label = ox.NamedNode(str(RDFS.label))
        found: dict[str, dict[str, str]] = {}
        with self._reading():
            for iri in iris:
                by_lang: dict[str, str] = {}
                for quad in store.quads_for_pattern(ox.NamedNode(iri), label, None, graph):
                    if isinstance(quad.object, ox.Literal):
                        keep_least(by_lang, quad.object.language or "", quad.object.value)
                if by_lang:
                    found[iri] = by_lang
        return found

    def triples(self) -> Iterator[ox.Quad]:
        """The stored graph's triples (as quads), read straight from Oxigraph."""
        return self._open().quads_for_pattern(None, None, None, self._default_graph() or ox.DefaultGraph())

    def graph(self) -> Graph:
        triples = self.triples()
        with self._reading():
            return rdflib_graph(triples)

    def subjects(self) -> dict[str, list[tuple[str, str]]]:
        """The graph as kg.base.terms strings by subject (a FactGraph's form): what an export reads, without rdflib."""
        from ..base.terms import from_oxigraph

        found: dict[str, list[tuple[str, str]]] = {}
        with self._reading():
            for quad in self.triples():
                found.setdefault(from_oxigraph(quad.subject), []).append(
                    (quad.predicate.value, from_oxigraph(quad.object)))
        return found

    def count(self) -> int:
        options = {"default_graph": self._default_graph()} if self._default_graph() is not None else {}
        store = self._open()
        with self._reading():
            solutions = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **options)
            return int(next(iter(solutions))[0].value)


class MemoryStore(OxigraphStore):
    """An Oxigraph store in memory: filled from the facts on first use, or from a given rdflib Graph.

    A given Graph stays the library's graph (``graph()`` returns it, and an update
    allowed on it changes it too); queries run on Oxigraph all the same.
    """

    name = MEMORY

    def __init__(self, graph: Graph | None = None, *, load: Callable[[], Graph | Document] | None = None):
        self._given = graph
        self._load = load
        self._store: ox.Store | None = None
        self._indexed = False  # the index of names, in its own named graph, built on first use
        self._keep_names: Callable[[bytes], None] | None = None

    def _default_graph(self) -> ox.NamedNode | None:
        return None  # an allowed update writes where queries read

    def _open(self) -> ox.Store:
        if self._store is None:
            source = self._given if self._given is not None else (self._load() if self._load else None)
            store = ox.Store()
            if isinstance(source, Graph):
                self._given = source
                data, total = ntriples(source)
                source = Document(data, "nt", total)
            if source is not None:
                store.bulk_load(source.data, format=OX_FORMATS[source.format])
                if source.names:
                    store.bulk_load(source.names, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(NAME_INDEX)))
                    self._indexed = True
                self._keep_names = source.keep_names
            self._store = store
        return self._store

    def graph(self) -> Graph:
        if self._given is None:
            self._given = rdflib_graph(self._open().quads_for_pattern(None, None, None, ox.DefaultGraph()))
        return self._given

    def replace(self, graph: Graph | Document, *, progress: Progress = QUIET) -> int:
        self._naming = None
        self._store = None
        self._indexed = False
        if isinstance(graph, Graph):
            self._given, self._load = graph, None
        else:
            self._given, self._load = None, lambda: graph
        return len(self._open())

    def ready(self) -> None:
        self._open()

    def update(self, text: str, bindings: Mapping[str, Node] | None = None) -> tuple[int, int]:
        """Run a SPARQL Update on the graph in memory; how many triples it added and removed."""
        added, removed = self.changes(text, bindings)
        self.apply(added, removed)
        return self.count_of(added), self.count_of(removed)

    def changes(self, text: str, bindings: Mapping[str, Node] | None = None) -> tuple[bytes, bytes]:
        """What a SPARQL Update would add and remove, as N-Quads; the store itself is left as it was
        only in that the caller is a worker whose copy of the graph goes with it (see ``apply``)."""
        store = self._open()
        before = set(store)
        try:
            store.update(substitute(text, term_bindings(bindings)), prefixes={p: str(ns) for p, ns in PREFIXES.items()})
        except SyntaxError as err:
            raise UsageError(f"cannot read the update ({err})") from None
        except OSError as err:
            raise StoreError(f"the update failed ({err})") from None
        after = set(store)
        added = sorted(after - before, key=str)
        removed = sorted(before - after, key=str)
        for quad in added:  # back as it was: apply() makes the change, here or in the process that asked
            store.remove(quad)
        store.extend(removed)
        return (ox.serialize(added, format=ox.RdfFormat.N_QUADS) or b""), (ox.serialize(removed, format=ox.RdfFormat.N_QUADS) or b"")

    @staticmethod
    def count_of(quads: bytes) -> int:
        return quads.count(b"\n")

    def apply(self, added: bytes, removed: bytes) -> None:
        """Make the changes ``changes`` found: in Oxigraph, the index of names, and the library's Graph."""
        if not (added or removed):
            return
        store = self._open()
        plus = list(ox.parse(added, format=ox.RdfFormat.N_QUADS)) if added else []
        minus = list(ox.parse(removed, format=ox.RdfFormat.N_QUADS)) if removed else []
        if self._indexed:  # the names may change: index them again when next asked
            store.remove_graph(ox.NamedNode(str(NAME_INDEX)))
            self._indexed = False
        self._label_index = None
        for quad in minus:
            store.remove(quad)
        store.extend(plus)
        if self._naming is not None:
            forget(self._naming)
        self._naming = None
        if self._given is not None:  # the library's Graph follows
            forget(self._given)
            for quad in minus:
                self._given.remove((from_oxigraph(quad.subject), from_oxigraph(quad.predicate), from_oxigraph(quad.object)))
            for quad in plus:
                self._given.add((from_oxigraph(quad.subject), from_oxigraph(quad.predicate), from_oxigraph(quad.object)))

    def naming_graph(self, names: Collection[str] = (), iris: Collection[str] = ()) -> Graph:
        """A given Graph names itself; a graph loaded from a build is indexed by name on first use,
        as the on-disk store is when it is loaded, so that a name is looked up, not every name read."""
        if self._given is not None:
            return self._given
        if not (names or iris):
            return super().naming_graph()
        return _indexed_naming_graph(self.index_names(), names, iris, data=None, index=str(NAME_INDEX))

    def index_names(self) -> ox.Store:
        """Index the names of a graph loaded from a build, once (kept with the build for the next command)."""
        store = self._open()
        if not self._indexed and self._given is None:
            index = list(_name_index(store, None))
            store.extend(index)
            self._indexed = True
            if self._keep_names is not None:
                self._keep_names(ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in index),
                                              format=ox.RdfFormat.N_TRIPLES))
        return store


# --- on disk ------------------------------------------------------------------------------------


_OX_RESULTS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
               "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
MANIFEST = "store.json"
_INHERITED: list[ox.Store] = []  # stores a forked worker inherited open (DiskStore.forked)
_VERSION = re.compile(r"^v-(\d+)$")


class DiskStore(OxigraphStore):
    """An embedded Oxigraph store in a folder, kept between commands.

    The folder holds versions (``v-1``, ``v-2``, ...), each a complete
    Oxigraph store, and ``store.json`` naming the live one. A load builds the
    next version with Oxigraph's bulk loader, counts it, and switches
    ``store.json`` to it with one atomic rename; then versions older than the
    previous one are deleted. Readers open the live version read-only, so any
    number of ``kg query`` and ``kg view`` can run while a ``kg build`` loads.
    (Replacing the graph inside one store would take a SPARQL ``MOVE``, which
    Oxigraph runs as one large transaction: minutes for a million triples.)
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.name = f"oxigraph:{path}"
        self._store: ox.Store | None = None
        self._version: str | None = None

    # reading

    def _manifest(self) -> dict[str, Any] | None:
        """``store.json``, checked to be one a load wrote; None when there is none."""
        path = self.path / MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StoreError(f"{self.name}: cannot read {MANIFEST}: {os_reason(err)}") from None
        except ValueError as err:
            raise StoreError(f"{self.name}: {MANIFEST} is damaged ({err}); delete the folder and "
                             f"load it again with `kg build --store {self.name}`") from None
        problem = _manifest_problem(manifest)
        if problem:
            raise StoreError(f"{self.name}: {MANIFEST} is not a store manifest gpu-kg wrote ({problem}); "
                             "give a new folder for the store")
        return manifest

    def _failure(self, err: Exception) -> StoreError:
        return StoreError(f"{self.name}: cannot read the store in {self.path / (self._version or '')} "
                          f"({err}); load it again with `kg build --store {self.name}`")

    def _open(self) -> ox.Store:
        if self._store is not None:
            return self._store
        for _ in range(3):  # a load may delete an old version between reading the manifest and opening it
            manifest = self._manifest()
            if manifest is None or "current" not in manifest:
                raise UsageError(f"there is no graph in {self.path} yet; fill it with "
                                 f"`kg build --store {self.name}`")
            version = manifest["current"]
            try:
                self._store = ox.Store.read_only(str(self.path / version))
                self._version = version
                return self._store
            except (OSError, RuntimeError) as err:
                problem = err
        raise StoreError(f"{self.name}: cannot open the store in {self.path / version} ({problem}); "
                         f"load it again with `kg build --store {self.name}`")

    def _default_graph(self) -> ox.NamedNode:
        return ox.NamedNode(str(self.graph_iri))

    @property
    def version(self) -> str:
        """The live version ``store.json`` names now (``v-3``): a load switches it."""
        manifest = self._manifest() or {}
        return str(manifest.get("current", ""))

    @property
    def opened_version(self) -> str:
        return self._version or ""

    def forked(self) -> None:
        """A worker opens the store afresh: RocksDB's handle, with its threads and locks, must not cross a
        fork. The inherited one is kept, never dropped (closing it here would touch threads that are gone)."""
        if self._store is not None:
            _INHERITED.append(self._store)
        self._store = None
        self._version = None

    def warm(self) -> None:
        self._open()

    def naming_graph(self, names: Collection[str] = (), iris: Collection[str] = ()) -> Graph:
        with self._reading():
            return self._naming_graph(names, iris)

    def _naming_graph(self, names: Collection[str], iris: Collection[str]) -> Graph:
        manifest = self._manifest() or {}
        if not (names or iris) or "names" not in manifest:  # a store loaded before there was an index
            return super().naming_graph()
        return _indexed_naming_graph(self._open(), names, iris, data=str(self.graph_iri), index=manifest["names"])

    def close(self) -> None:
        self._store = None  # pyoxigraph closes the store when the last reference goes

    # writing

    def replace(self, graph: Graph | Document, *, progress: Progress = QUIET) -> int:
        """Load ``graph`` as a new version and switch to it.

        Only versions this store recorded in ``store.json`` as its own are ever
        deleted: a version is recorded before it is written, so even what a killed
        load left is known, and a folder the user made (``v-1/`` of their own) is not.
        """
        self._naming = None
        if not isinstance(graph, Document):
            data, total = ntriples(graph)
            graph = Document(data, "nt", total)
        total = graph.triples
        with os_errors("load the store in", self.path):
            self._check_folder()
            from ..base.files import make_folder

            make_folder(self.path)
            with open(self.path / ".lock", "w") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    raise StoreError(f"{self.name}: another load is running into this store") from None
                return self._replace_locked(graph, total, progress)

    def _replace_locked(self, graph: Document, total: int, progress: Progress) -> int:
        manifest = self._manifest() or {"format": 1}
        live = manifest.get("current")
        # Stores loaded before versions were recorded knew only their live version as theirs.
        own = list(manifest.get("versions", [live] if live else []))
        present = {int(m[1]) for p in self.path.iterdir() if (m := _VERSION.match(p.name))}
        version = f"v-{max(present | {int(v[2:]) for v in own}, default=0) + 1}"
        self._write_manifest({**manifest, "versions": [*own, version]})  # ours before it exists
        target = self.path / version
        try:
            written = self._write(target, graph, progress)
            if written != total:
                raise LoadFailed(f"{self.name}: the new version holds {written} triples, not {total}; "
                                 "the previous graph is still the live one")
            switched = {"format": 1, "current": version, "graph": str(self.graph_iri), "triples": written,
                        "names": str(NAME_INDEX), "versions": [*own, version]}
            self._write_manifest(switched)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)  # recorded as ours; a later load forgets it
            raise
        self.close()
        # Keep the previous live version: a reader that opened it just before the switch can
        # finish. Older ones of ours go, and so does what a killed load of ours left half written.
        kept = [v for v in (live, version) if v]
        for old in own:
            if old not in kept:
                shutil.rmtree(self.path / old, ignore_errors=True)
        self._write_manifest({**switched, "versions": kept})
        return written

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        from ..base.files import write_atomically

        write_atomically(self.path / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode())

    def _check_folder(self) -> None:
        """Refuse a folder that is not ours: a load deletes old versions in it."""
        if self.path.exists() and not self.path.is_dir():
            raise UsageError(f"{self.path} is a file; give a folder for the store")
        if self.path.is_dir() and not (self.path / MANIFEST).exists():
            foreign = [p.name for p in self.path.iterdir() if p.name != ".lock"]
            if foreign:
                raise UsageError(f"{self.path} holds files that are not a store gpu-kg loaded "
                                 f"({', '.join(sorted(foreign)[:3])}); give a new or empty folder for the store")

    def _write(self, target: Path, document: Document, progress: Progress) -> int:
        if target.exists():  # pragma: no cover - the number is above every folder there
            raise StoreError(f"{self.name}: {target} exists already")
        progress.stage(f"loading into {self.name}", document.triples)
        store = None
        try:
            store = ox.Store(str(target))
            name = ox.NamedNode(str(self.graph_iri))
            store.bulk_load(document.data, format=OX_FORMATS[document.format], to_graph=name)
            progress.advance(document.triples)
            written = len(store)
            store.bulk_extend(_name_index(store, name))
            store.flush()
        except (OSError, RuntimeError, SyntaxError) as err:
            reason = os_reason(err) if isinstance(err, OSError) else str(err)
            raise LoadFailed(f"{self.name}: the load failed ({reason}); the previous graph is still the live one") from None
        finally:
            store = None  # pyoxigraph closes the store with its last reference
            progress.done()
        return written


def _manifest_problem(manifest: Any) -> str | None:
    """What is wrong with the shape of a parsed ``store.json``, or None."""
    if not isinstance(manifest, dict):
        return f"a JSON {type(manifest).__name__}, not an object"
    if manifest.get("format") != 1:
        return "no format 1"
    versions = manifest.get("versions", [])
    if not isinstance(versions, list) or not all(isinstance(v, str) and _VERSION.match(v) for v in versions):
        return "'versions' is not a list of version names such as v-3"
    if "current" in manifest and not (isinstance(manifest["current"], str) and _VERSION.match(manifest["current"])):
        return "'current' names no version"
    for key in ("graph", "names"):
        if key in manifest and not isinstance(manifest[key], str):
            return f"'{key}' is not an IRI"
    if "triples" in manifest and not isinstance(manifest["triples"], int):
        return "'triples' is not a number"
    return None


def _in(graph: str | None, pattern: str) -> str:
    """``pattern`` in the named graph ``graph``, or in the store's default graph (None)."""
    return f"GRAPH <{checked_iri(graph)}> {{ {pattern} }}" if graph is not None else f"{{ {pattern} }}"


def _name_index(store: ox.Store, graph: ox.NamedNode | None) -> Iterator[ox.Quad]:
    """Every typed entity of ``graph`` (None: the default graph) under each key of each text that
    names it (``kg.query.resolve.index_keys``).

    ``kg query`` finds the entity a parameter names by looking its text up here,
    instead of reading every name in the graph into memory: seconds at a million
    triples. The index is a superset: the resolver in ``kg.query.catalog`` still decides,
    on the naming triples of the entities found.
    """
    where = graph.value if graph is not None else None

    def pairs(predicate: URIRef) -> ox.QuerySolutions:
        return store.query(f"SELECT ?s ?o WHERE {{ {_in(where, f'?s <{predicate}> ?o FILTER(isIRI(?s))')} }}")

    typed = {subject.value for subject, _ in pairs(RDF.type)}
    names: dict[str, set[str]] = {}
    for predicate in NAME_PREDICATES:
        for subject, obj in pairs(predicate):
            names.setdefault(subject.value, set()).add(obj.value)
    companies = {security.value: company.value for security, company in pairs(GPU.securityOf)}
    for security, ticker in pairs(GPU.ticker):   # a company is found by its securities' tickers
        if security.value in companies:
            names.setdefault(companies[security.value], set()).add(ticker.value)
    index = ox.NamedNode(str(NAME_INDEX))
    named = ox.NamedNode(NAMED_MARK)
    for node in sorted(typed):
        keys = index_keys(node, sorted(names.get(node, ())))
        subject = ox.NamedNode(node)
        for key in sorted(keys):
            yield ox.Quad(subject, named, ox.Literal(key), index)


def _indexed_naming_graph(store: ox.Store, names: Collection[str], iris: Collection[str], *, data: str | None,
                          index: str) -> Graph:
    """The naming triples of the entities ``names`` may name (found in the index graph) and of ``iris``,
    and the class tree: what the resolver needs, read by index, never every name."""
    keys = " ".join(sparql_term(Literal(key)) for key in sorted(set().union(*map(name_keys, names))))
    found = store.query(f"SELECT DISTINCT ?s WHERE {{ GRAPH <{checked_iri(index)}> "
                        f"{{ VALUES ?k {{ {keys} }} ?s <{NAMED_MARK}> ?k }} }}")
    nodes = sorted({solution[0].value for solution in found} | {checked_iri(iri) for iri in iris})
    predicates = " ".join(f"<{p}>" for p in (RDF.type, *NAME_PREDICATES))
    subjects = " ".join(f"<{node}>" for node in nodes)
    # Both VALUES first, so that Oxigraph looks each pair up rather than reading every name.
    named = _in(data, f"VALUES ?s {{ {subjects} }} VALUES ?p {{ {predicates} }} ?s ?p ?o")
    tickers = _in(data, f"VALUES ?c {{ {subjects} }} ?s <{GPU.securityOf}> ?c ; ?p ?o "
                        f"VALUES ?p {{ <{GPU.securityOf}> <{GPU.ticker}> }}")
    classes = _in(data, f"?s <{RDFS.subClassOf}> ?o BIND(<{RDFS.subClassOf}> AS ?p)")
    return rdflib_graph(store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ {named} }} UNION {{ {tickers} }} "
                                  f"UNION {{ {classes} }} }}"))


NAME_INDEX = URIRef(f"{GRAPH_IRI}/names")  # a named graph beside the graph in an on-disk store


# --- SPARQL text: tokens, substitution, CONSTRUCT as SELECT --------------------------------------

















# --- choosing a store ----------------------------------------------------------------------------




