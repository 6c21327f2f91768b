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
import functools
import json
import re
import shutil
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..base.config import Config, build_cache_dir, load_config
from ..base.errors import KgError, UsageError, os_errors, os_reason
from ..base.ontology import GPU, GRAPH_IRI, PREFIXES, new_graph
from ..base.progress import QUIET, Progress
from ..query.resolve import NAME_PREDICATES, TICKER_PREDICATES, forget_resolver, index_keys, name_keys
from ..query.results import Result, turtle_term
from ..base.values import canonical_decimal

MEMORY = "memory"
# The predicates that name things: all a parameter resolver needs to find "iluvatar" or "天数智芯".
NAMING_PREDICATES = (RDF.type, *NAME_PREDICATES, *TICKER_PREDICATES, RDFS.subClassOf)


# --- errors ---------------------------------------------------------------------------------


class StoreError(KgError):
    """A store could not do what was asked; the message names the store, never its credentials."""


class StoreUnavailable(StoreError):
    """The server could not be reached, or kept failing (5xx) after the retries."""


class StoreTimeout(StoreError):
    """The server did not answer within the time limit."""


class TruncatedResult(StoreError):
    """The server returned only part of an answer (Virtuoso's ResultSetMaxRows, or its time limit)."""


class LoadFailed(StoreError):
    """A load did not complete; the graph the store held before is still the live one."""


# --- terms ----------------------------------------------------------------------------------


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term; an IRI pyoxigraph finds malformed is a UsageError."""
    try:
        if isinstance(term, URIRef):
            return ox.NamedNode(str(term))
        if isinstance(term, BNode):
            return ox.BlankNode(str(term))
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype is not None:
                return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
            return ox.Literal(str(term))
    except ValueError as err:
        raise UsageError(f"{str(term)!r} is not a valid RDF term ({err})") from None
    raise UsageError(f"{term!r} is not an RDF term")


_XSD_STRING = str(XSD.string)
_XSD_DECIMAL = str(XSD.decimal)
_LANG_STRING = str(RDF.langString)


def from_oxigraph(term: Any) -> Node | None:
    """A pyoxigraph term as an rdflib term (plain strings without a datatype, as rdflib writes them)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        return rdflib_literal(term.value, term.language, term.datatype.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise StoreError(f"the store returned an RDF-star triple term ({term}), which gpu-kg does not use")


def rdflib_graph(triples: Iterable[ox.Triple | ox.Quad]) -> Graph:
    """Oxigraph's triples (or a graph's quads) as an rdflib Graph with every prefix bound."""
    built = new_graph()
    for triple in triples:
        built.add((from_oxigraph(triple.subject), from_oxigraph(triple.predicate), from_oxigraph(triple.object)))
    return built


def rdflib_literal(value: str, language: str | None, datatype: str | None) -> Literal:
    """A literal as rdflib writes it: plain strings without a datatype, decimals in the build's form.

    Oxigraph and Virtuoso keep decimals as numbers and write ``189000000`` for the
    ``189000000.0`` the build stored (both are the same xsd:decimal); the build's
    canonical form makes every store write the same CSV.
    """
    if language:
        return Literal(value, lang=language)
    if not datatype or datatype in (_XSD_STRING, _LANG_STRING):
        return Literal(value)
    if datatype == _XSD_DECIMAL:
        try:
            value = canonical_decimal(Decimal(value))
        except InvalidOperation:
            pass  # an ill-typed literal is passed on as it is
    return Literal(value, datatype=URIRef(datatype))


def sparql_term(term: Node) -> str:
    """The one piece of SPARQL text a bound value may become: pyoxigraph's N-Triples form of the term.

    Checked again token by token: an IRI is one IRI token, a literal one string
    token with at most a language tag or a datatype IRI, so whatever the value,
    it cannot close a brace or start a clause.
    """
    if isinstance(term, BNode):
        raise UsageError("a blank node cannot be a parameter value")
    text = str(to_oxigraph(term))
    shape = [t.kind if t.kind != "punct" else t.text for t in tokens(text)]
    if shape not in (["iri"], ["string"], ["string", "lang"], ["string", "^", "^", "iri"]):
        raise UsageError(f"{str(term)!r} cannot be written as one SPARQL term")  # pragma: no cover - pyoxigraph escapes
    return text


# --- queries, prepared once -------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A query's text with what a store needs of it: its form and its columns.

    A saved query's form and columns come from the catalog's cache (see
    ``kg.query.catalog``), so running it needs no SPARQL parser in Python; rdflib's
    reading of the text (``algebra``) is made only for what asks for it (the
    template of a CONSTRUCT sent to a remote server).
    """

    text: str
    form: str                      # select | ask | construct | describe
    variables: tuple[str, ...] = ()

    @property
    def algebra(self) -> Any:
        return _rdflib_query(self.text).algebra


_FORMS = {"SelectQuery": "select", "AskQuery": "ask", "ConstructQuery": "construct", "DescribeQuery": "describe"}


def _rdflib_query(text: str) -> Any:
    """rdflib's reading of a query (imported here: the parser alone takes a third of a second to load)."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        return translateQuery(parseQuery(text), None, PREFIXES)
    except ParseBaseException as err:
        raise UsageError(f"cannot read the query: line {err.lineno}, column {err.col}: {err.msg}") from None
    except Exception as err:  # noqa: BLE001 - rdflib raises bare Exceptions for semantic errors
        raise UsageError(f"cannot read the query: {err}") from None


def prepare(query: Any) -> Prepared:
    """``query`` as SPARQL text, or a saved query (anything with ``.text``, ``.form`` and ``.projected``)."""
    if isinstance(query, Prepared):
        return query
    text = getattr(query, "text", query)
    if not isinstance(text, str):
        raise UsageError(f"{query!r} is not a SPARQL query")
    form = getattr(query, "form", None)
    if form:
        if form not in ("select", "ask", "construct", "describe"):
            raise UsageError("a store answers SELECT, ASK, CONSTRUCT and DESCRIBE queries; updates go through kg build")
        return Prepared(text=text, form=form, variables=tuple(getattr(query, "projected", ())))
    parsed = _rdflib_query(text)
    form = _FORMS.get(getattr(parsed.algebra, "name", ""))
    if form is None:
        raise UsageError("a store answers SELECT, ASK, CONSTRUCT and DESCRIBE queries; updates go through kg build")
    variables = tuple(str(v) for v in parsed.algebra["PV"]) if form == "select" else ()
    return Prepared(text=text, form=form, variables=variables)


def _graph_rows(graph: Graph) -> Result:
    """A CONSTRUCT's graph as rows of subject, predicate, object, sorted so the output is stable."""
    triples = sorted(graph, key=lambda t: tuple(turtle_term(term) for term in t))
    return Result(("subject", "predicate", "object"), tuple(tuple(t) for t in triples))


# --- loading ---------------------------------------------------------------------------------

_OX_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}


@dataclass(frozen=True)
class Document:
    """Triples already written out (what ``kg build`` has just written), loaded as they are.

    A million triples go from the build into Oxigraph in seconds this way; made
    into an rdflib Graph first, they would take over a minute.
    """

    data: bytes
    format: str    # "turtle", or "nt" (N-Triples, one triple a line)
    triples: int
    # The index of names of these triples (N-Triples), when a build kept it; and where to keep
    # it once a store has made it (kg.build.lastbuild), so that the next command need not.
    names: bytes | None = field(default=None, compare=False, repr=False)
    keep_names: Callable[[bytes], None] | None = field(default=None, compare=False, repr=False)


def ntriples(graph: Graph | Document) -> tuple[bytes, int]:
    """What a load sends: the graph as N-Triples, one triple a line, and how many triples that is."""
    if isinstance(graph, Document):
        from ..build.export import turtle_to_ntriples

        return (turtle_to_ntriples(graph.data) if graph.format == "turtle" else graph.data), graph.triples
    data = ox.serialize((ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph),
                        format=ox.RdfFormat.N_TRIPLES)
    return data, len(graph)


def line_chunks(data: bytes, lines: int) -> Iterator[tuple[bytes, int]]:
    """``data`` cut after every ``lines`` lines: N-Triples in loads of a bounded size."""
    start = 0
    while start < len(data):
        end, count = start, 0
        while count < lines and end < len(data):
            end = (data.find(b"\n", end) + 1) or len(data)
            count += 1
        yield data[start:end], count
        start = end


# --- the interface ------------------------------------------------------------------------------


class Store:
    """Where the graph lives. Subclasses answer queries; all return rdflib terms."""

    name = "store"
    graph_iri: URIRef = GRAPH_IRI

    def replace(self, graph: Graph | Document, *, progress: Progress = QUIET) -> int:
        """Make ``graph`` (an rdflib Graph, or a Document) the stored graph, all at once; return its number of triples."""
        raise NotImplementedError

    def answer(self, query: Any, bindings: Mapping[str, Node] | None = None) -> Result:
        """Any read query as a Result: rows for SELECT, a boolean for ASK, triples as rows otherwise."""
        prepared = prepare(query)
        if prepared.form == "select":
            return self.select(prepared, bindings)
        if prepared.form == "ask":
            return Result(boolean=self.ask(prepared, bindings))
        return _graph_rows(self.construct(prepared, bindings))

    def select(self, query: Any, bindings: Mapping[str, Node] | None = None) -> Result:
        raise NotImplementedError

    def ask(self, query: Any, bindings: Mapping[str, Node] | None = None) -> bool:
        raise NotImplementedError

    def construct(self, query: Any, bindings: Mapping[str, Node] | None = None) -> Graph:
        """The graph a CONSTRUCT (or DESCRIBE) query builds."""
        raise NotImplementedError

    def graph(self) -> Graph:
        """The stored graph as an rdflib Graph (every prefix bound), for views and export."""
        raise NotImplementedError

    _naming: Graph | None = None

    def naming_graph(self, names: Collection[str] = (), iris: Collection[str] = ()) -> Graph:
        """Only the triples that name and type things: enough to resolve a parameter like 'iluvatar'.

        Fetched once per store object; a load through it forgets it. A store that
        keeps an index of names (on disk) gives, for ``names`` and ``iris``, only
        the naming triples of the entities these may name, and the class tree.
        """
        if self._naming is None:
            self._naming = self._naming_triples()
        return self._naming

    def _naming_triples(self) -> Graph:
        return self.construct(Prepared(
            "CONSTRUCT { ?s ?p ?o } WHERE { VALUES ?p { "
            + " ".join(f"<{p}>" for p in NAMING_PREDICATES) + " } ?s ?p ?o }", "construct"))

    def count(self) -> int:
        """How many triples the stored graph holds."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of files and connections."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def term_bindings(bindings: Mapping[str, Node] | None) -> dict[str, Node]:
    return {str(name).lstrip("?$"): term for name, term in (bindings or {}).items()}


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
                store.bulk_load(source.data, format=_OX_FORMATS[source.format])
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

    def update(self, text: str, bindings: Mapping[str, Node] | None = None) -> tuple[int, int]:
        """Run a SPARQL Update on the graph in memory; how many triples it added and removed."""
        store = self._open()
        if self._indexed:  # the names may change: index them again when next asked
            store.remove_graph(ox.NamedNode(str(NAME_INDEX)))
            self._indexed = False
        before = set(store)
        try:
            store.update(substitute(text, term_bindings(bindings)), prefixes={p: str(ns) for p, ns in PREFIXES.items()})
        except SyntaxError as err:
            raise UsageError(f"cannot read the update ({err})") from None
        except OSError as err:
            raise StoreError(f"the update failed ({err})") from None
        after = set(store)
        added, removed = after - before, before - after
        if self._naming is not None:
            forget_resolver(self._naming)
        self._naming = None
        if self._given is not None:
            forget_resolver(self._given)
        if self._given is not None:  # the library's Graph follows
            for quad in removed:
                self._given.remove((from_oxigraph(quad.subject), from_oxigraph(quad.predicate), from_oxigraph(quad.object)))
            for quad in added:
                self._given.add((from_oxigraph(quad.subject), from_oxigraph(quad.predicate), from_oxigraph(quad.object)))
        return len(added), len(removed)

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


MANIFEST = "store.json"
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
            store.bulk_load(document.data, format=_OX_FORMATS[document.format], to_graph=name)
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
    named = ox.NamedNode(_NAMED)
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
                        f"{{ VALUES ?k {{ {keys} }} ?s <{_NAMED}> ?k }} }}")
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
_NAMED = "urn:x-kg:named"


# --- SPARQL text: tokens, substitution, CONSTRUCT as SELECT --------------------------------------

# The SPARQL 1.1 terminals that matter here (https://www.w3.org/TR/sparql11-query/#sparqlGrammar):
# anything that can hide a '?', a '{' or a keyword (comments, strings, IRIs, prefixed names).
_TOKEN = r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<word>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7]*)?:(?:[\w\-\u00B7:%.]|\\.)*|_:[\w.\-]+|[A-Za-z_\u00C0-\uFFFF][\w\-\u00B7]*)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<number>[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<punct>.)
"""


@functools.cache
def _token_pattern() -> re.Pattern[str]:
    """Compiled when first needed (about 15 ms): a query with no values to bind never needs it."""
    return re.compile(_TOKEN, re.VERBOSE | re.DOTALL)


@dataclass
class _Token:
    kind: str
    text: str

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def tokens(text: str) -> list[_Token]:
    """``text`` split into SPARQL tokens; joining their texts gives ``text`` back."""
    return [_Token(m.lastgroup or "punct", m.group()) for m in _token_pattern().finditer(text)]


_CLAUSE_END = {"HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES", "GROUP"}


def substitute(text: str, bindings: Mapping[str, Node]) -> str:
    """``text`` with each bound variable replaced by its RDF term (SEP-0007 substitution).

    Where a bare variable stands for a column (``SELECT ?x``), it becomes
    ``(TERM AS ?x)``; in GROUP BY and ORDER BY, ``(TERM)``. A bound variable
    that a query assigns (``AS ?x``) or lists in VALUES cannot be substituted.
    """
    if not bindings:
        return text
    text = _bound_parameters_are_bound(text, bindings)
    terms = {name: sparql_term(term) for name, term in bindings.items()}
    out: list[str] = []
    depth = 0             # parentheses
    mode = ""             # projection | modifier | values
    mode_depth = 0
    previous = ""         # the last keyword or punctuation seen
    for token in tokens(text):
        keyword = token.keyword
        if token.kind == "punct":
            if token.text == "(":
                depth += 1
            elif token.text == ")":
                depth -= 1
            elif token.text in "{}" and depth == mode_depth:
                mode = ""
        elif keyword == "SELECT":
            mode, mode_depth = "projection", depth
        elif keyword in ("WHERE", "FROM") and mode == "projection" and depth == mode_depth:
            mode = ""
        elif keyword == "BY" and previous in ("GROUP", "ORDER"):
            mode, mode_depth = "modifier", depth
        elif keyword in _CLAUSE_END and mode == "modifier" and depth == mode_depth:
            mode = ""
        elif keyword == "VALUES":
            mode, mode_depth = "values", depth
        if token.kind == "var" and token.text[1:] in terms:
            name = token.text[1:]
            if previous == "AS":
                raise UsageError(f"?{name} is a parameter, so the query cannot assign it with AS")
            if mode == "values":
                raise UsageError(f"?{name} is a parameter, so the query cannot list it in VALUES")
            if mode == "projection" and depth == mode_depth:
                out.append(f"({terms[name]} AS ?{name})")
            elif mode == "modifier" and depth == mode_depth:
                out.append(f"({terms[name]})")
            else:
                out.append(terms[name])
        else:
            out.append(token.text)
        if token.kind in ("word", "punct"):
            previous = keyword or token.text
    return "".join(out)


def _bound_parameters_are_bound(text: str, bindings: Mapping[str, Node]) -> str:
    """``BOUND(?x)`` of a variable about to be replaced by a term is simply ``true``.

    Optional parameters are tested with ``!BOUND(?__p) || ...`` (the one idiom every
    engine reads alike); ``BOUND(<iri>)`` would not parse once the term is in.
    """
    parts = tokens(text)
    out: list[str] = []
    i = 0
    while i < len(parts):
        significant = [j for j in range(i, min(i + 8, len(parts))) if parts[j].kind not in ("space", "comment")]
        if (
            len(significant) >= 4
            and parts[significant[0]].keyword == "BOUND"
            and parts[significant[1]].text == "("
            and parts[significant[2]].kind == "var"
            and parts[significant[2]].text[1:] in bindings
            and parts[significant[3]].text == ")"
        ):
            out.append("true")
            i = significant[3] + 1
            continue
        out.append(parts[i].text)
        i += 1
    return "".join(out)


def checked_iri(text: str) -> str:
    """An IRI checked by pyoxigraph before it goes between < and > in a query."""
    try:
        return ox.NamedNode(text).value
    except ValueError as err:
        raise UsageError(f"{text!r} is not a valid IRI ({err})") from None


# --- choosing a store ----------------------------------------------------------------------------


def built_document(facts_dir: str | Path) -> Document:
    """The checked graph of a fact folder as Turtle, rebuilt only where its files changed.

    The build keeps what each fact file gave in the user's cache folder (one per
    fact folder), so a command run again on the same facts reads them from there:
    the same checks, the same bytes, in milliseconds.
    """
    from ..build.lastbuild import reused

    cache_dir = build_cache_dir(facts_dir)
    folder, built = reused(facts_dir, cache_dir)
    if built is None:  # something changed: only now the reader, the checks and the build are imported
        from ..build.cache import build_turtle

        built = build_turtle(facts_dir, cache_dir=cache_dir, folder=folder)
    from ..build.lastbuild import load_names, save_names

    key = folder.whole
    return Document(built.turtle, "turtle", built.triples,
                    names=load_names(cache_dir, key) if key else None,
                    keep_names=(lambda data: save_names(cache_dir, key, data)) if key else None)


def open_store(spec: str | None = None, *, config: Config | None = None, facts_dir: str | Path = "facts",
               graph: Graph | None = None) -> Store:
    """The store ``spec`` names: ``memory``, a location, or a ``[stores.NAME]`` of kg.toml.

    Without ``spec``, kg.toml's ``store`` (else memory). The memory store is
    ``graph`` if given, else the graph of ``facts_dir``, built when first used.
    """
    if config is None:
        config = load_config()
    spec = (spec or config.store or MEMORY).strip()
    table: dict[str, Any] = {}
    folder = Path(".")
    label = ""
    if spec in config.stores:
        table = config.stores[spec]
        folder = config.folder
        label = spec
        spec = table.get("location", "")
    if spec == MEMORY:
        if graph is not None:
            return MemoryStore(graph)
        return MemoryStore(load=lambda: built_document(facts_dir))
    if spec.startswith("oxigraph:") and not spec.startswith("oxigraph+"):
        path = Path(spec[len("oxigraph:"):]).expanduser()
        if not str(path) or str(path) == ".":
            raise UsageError("give the store's folder: oxigraph:PATH, e.g. oxigraph:out/store")
        store = DiskStore(path if path.is_absolute() else folder / path)
        if "graph" in table:
            store.graph_iri = URIRef(checked_iri(table["graph"]))
        return store
    if "://" in spec or (not spec and "query" in table):
        from .remote import LOCATION, RemoteStore, remote_settings

        if LOCATION.match(spec) or not spec:
            return RemoteStore(remote_settings(spec, table, label=label))
    names = ", ".join(sorted(config.stores)) or "none in kg.toml"
    raise UsageError(f"unknown store '{spec}': give memory, oxigraph:PATH, oxigraph+http://HOST:PORT, "
                     f"virtuoso+http://HOST:PORT, sparql+https://HOST/PATH, or a store named in kg.toml ({names})")
