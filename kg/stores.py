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

A remote server keeps the graph in the named graph ``https://w3id.org/gpu-kg/graph``
and every query names it as the default graph (Virtuoso's default graph is
otherwise the union of all its graphs). A load goes into a staging graph with
the Graph Store Protocol, is counted, and replaces the live graph in one SPARQL
Update (``MOVE``), so readers see the old graph or the new one, never a mix.

Parameter values are never pasted into query text as the user typed them. In
memory they are rdflib ``initBindings``; elsewhere each value becomes one RDF
term serialised by pyoxigraph (which refuses an IRI with ``>`` or a space in
it) and replaces the variable's tokens, the way SPARQL's SEP-0007
substitution does; each term is checked to be one token, so no value can
change the shape of a query.
"""

from __future__ import annotations

import fcntl
import http.client
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, RDFS, SKOS, XSD, BNode, Graph, Literal, URIRef, Variable
from rdflib.term import Node

from .build import GRAPH_IRI, PREFIXES, new_graph
from .config import Config, build_cache_dir, load_config
from .errors import KgError, UsageError, os_errors, os_reason
from .export import make_folder, turtle_to_ntriples, write_atomically
from .ontology import GPU
from .progress import QUIET, Progress
from .resolve import NAME_PREDICATES, TICKER_PREDICATES, index_keys, name_keys
from .results import Result, turtle_term
from .values import canonical_decimal

MEMORY = "memory"
DEFAULT_PASSWORD_ENV = "KG_STORE_PASSWORD"
DEFAULT_USER_ENV = "KG_STORE_USER"
DEFAULT_TIMEOUT = 60.0   # seconds to wait for a server's answer
DEFAULT_RETRIES = 3      # extra attempts after a connection error or a 5xx answer
DEFAULT_CHUNK = 50_000   # triples per Graph Store Protocol request during a load
BACKOFF = 0.5            # seconds before the first retry; doubled for each next one
USER_AGENT = "gpu-kg"

# The endpoints each known kind of server answers on, relative to its base URL.
SERVERS: dict[str, dict[str, str]] = {
    "oxigraph": {"query": "/query", "update": "/update", "graph_store": "/store"},
    "virtuoso": {"query": "/sparql", "update": "/sparql-auth", "graph_store": "/sparql-graph-crud-auth"},
    "sparql": {},
}
# The predicates that name things: all a parameter resolver needs to find "iluvatar" or "天数智芯".
NAMING_PREDICATES = (RDF.type, *NAME_PREDICATES, *TICKER_PREDICATES, RDFS.subClassOf)

_SPARQL_JSON = "application/sparql-results+json"
_N_TRIPLES = "application/n-triples"


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
        return _literal(term.value, term.language, term.datatype.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise StoreError(f"the store returned an RDF-star triple term ({term}), which gpu-kg does not use")


def _from_json(cell: Mapping[str, str]) -> Node:
    """One value of the SPARQL 1.1 JSON results format (Virtuoso also writes 1.0's 'typed-literal')."""
    kind = cell.get("type")
    value = cell.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):
        return _literal(value, cell.get("xml:lang"), cell.get("datatype"))
    raise StoreError(f"the server returned a value of unknown type {kind!r}")


def _to_rdflib(triples: Iterable[ox.Triple | ox.Quad]) -> Graph:
    """Oxigraph's triples (or a graph's quads) as an rdflib Graph with every prefix bound."""
    built = new_graph()
    for triple in triples:
        built.add((from_oxigraph(triple.subject), from_oxigraph(triple.predicate), from_oxigraph(triple.object)))
    return built


def _literal(value: str, language: str | None, datatype: str | None) -> Literal:
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
    ``kg.queries``), so running it needs no SPARQL parser in Python; rdflib's
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


def ntriples(graph: Graph | Document) -> tuple[bytes, int]:
    """What a load sends: the graph as N-Triples, one triple a line, and how many triples that is."""
    if isinstance(graph, Document):
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


def _bindings(bindings: Mapping[str, Node] | None) -> dict[str, Node]:
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
        text = substitute(prepared.text, _bindings(bindings))
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
        bound = _bindings(bindings)
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
        return _to_rdflib(self._run(prepared, bindings))

    def triples(self) -> Iterator[ox.Quad]:
        """The stored graph's triples (as quads), read straight from Oxigraph."""
        return self._open().quads_for_pattern(None, None, None, self._default_graph() or ox.DefaultGraph())

    def graph(self) -> Graph:
        triples = self.triples()
        with self._reading():
            return _to_rdflib(triples)

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
            self._store = store
        return self._store

    def graph(self) -> Graph:
        if self._given is None:
            self._given = _to_rdflib(self._open().quads_for_pattern(None, None, None, ox.DefaultGraph()))
        return self._given

    def replace(self, graph: Graph | Document, *, progress: Progress = QUIET) -> int:
        self._naming = None
        self._store = None
        if isinstance(graph, Graph):
            self._given, self._load = graph, None
        else:
            self._given, self._load = None, lambda: graph
        return len(self._open())

    def update(self, text: str, bindings: Mapping[str, Node] | None = None) -> tuple[int, int]:
        """Run a SPARQL Update on the graph in memory; how many triples it added and removed."""
        store = self._open()
        before = set(store)
        try:
            store.update(substitute(text, _bindings(bindings)), prefixes={p: str(ns) for p, ns in PREFIXES.items()})
        except SyntaxError as err:
            raise UsageError(f"cannot read the update ({err})") from None
        except OSError as err:
            raise StoreError(f"the update failed ({err})") from None
        after = set(store)
        added, removed = after - before, before - after
        self._naming = None
        if self._given is not None:  # the library's Graph follows
            for quad in removed:
                self._given.remove((from_oxigraph(quad.subject), from_oxigraph(quad.predicate), from_oxigraph(quad.object)))
            for quad in added:
                self._given.add((from_oxigraph(quad.subject), from_oxigraph(quad.predicate), from_oxigraph(quad.object)))
        return len(added), len(removed)

    def naming_graph(self, names: Collection[str] = (), iris: Collection[str] = ()) -> Graph:
        if self._given is not None:
            return self._given
        return super().naming_graph(names, iris)


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
        store = self._open()
        keys = " ".join(sparql_term(Literal(key)) for key in sorted(set().union(*map(name_keys, names))))
        found = store.query(f"SELECT DISTINCT ?s WHERE {{ GRAPH <{_iri(manifest['names'])}> "
                            f"{{ VALUES ?k {{ {keys} }} ?s <{_NAMED}> ?k }} }}")
        nodes = sorted({solution[0].value for solution in found} | {_iri(iri) for iri in iris})
        predicates = " ".join(f"<{p}>" for p in (RDF.type, *NAME_PREDICATES))
        subjects = " ".join(f"<{node}>" for node in nodes)
        # Both VALUES first, so that Oxigraph looks each pair up rather than reading every name.
        text = f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
            {{ GRAPH <{_iri(self.graph_iri)}> {{ VALUES ?s {{ {subjects} }} VALUES ?p {{ {predicates} }} ?s ?p ?o }} }}
            UNION {{ GRAPH <{_iri(self.graph_iri)}> {{ VALUES ?c {{ {subjects} }} ?s <{GPU.securityOf}> ?c ; ?p ?o
                                                      VALUES ?p {{ <{GPU.securityOf}> <{GPU.ticker}> }} }} }}
            UNION {{ GRAPH <{_iri(self.graph_iri)}> {{ ?s <{RDFS.subClassOf}> ?o BIND(<{RDFS.subClassOf}> AS ?p) }} }}
        }}"""
        return _to_rdflib(store.query(text))

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


def _name_index(store: ox.Store, graph: ox.NamedNode) -> Iterator[ox.Quad]:
    """Every typed entity of ``graph`` under each key of each text that names it (``kg.resolve.index_keys``).

    ``kg query --store`` finds the entity a parameter names by looking its text
    up here, instead of reading every name in the graph into memory: seconds at
    a million triples. The index is a superset: the resolver in ``kg.queries``
    still decides, on the naming triples of the entities found.
    """
    def pairs(predicate: URIRef) -> ox.QuerySolutions:
        return store.query(f"SELECT ?s ?o WHERE {{ GRAPH <{graph.value}> {{ ?s <{predicate}> ?o FILTER(isIRI(?s)) }} }}")

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


NAME_INDEX = URIRef(f"{GRAPH_IRI}/names")  # a named graph beside the graph in an on-disk store
_NAMED = "urn:x-kg:named"


# --- remote servers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteSettings:
    """How to reach a SPARQL 1.1 server. Holds the name of the password's variable, never the password."""

    query: str
    update: str | None = None
    graph_store: str | None = None
    server: str = "sparql"                     # oxigraph | virtuoso | sparql
    graph: str = str(GRAPH_IRI)
    user: str | None = None
    password_env: str = DEFAULT_PASSWORD_ENV
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    chunk: int = DEFAULT_CHUNK
    ca_file: str | None = None
    allow_http_credentials: bool = False
    label: str = ""                            # how messages name the store (no credentials in it)


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


class _Http:
    """Requests with a time limit, bounded retries with backoff, TLS verification, and credentials.

    Retried: connection errors and 5xx answers (a load sends each chunk with PUT
    or POST of a set of triples, which can be sent twice without harm). Not
    retried: a timeout (the server may still be working) and 4xx answers.
    """

    def __init__(self, settings: RemoteSettings, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.label = settings.label or _safe(settings.query)
        self.sleep = sleep
        self.user = settings.user or os.environ.get(DEFAULT_USER_ENV) or None
        password = os.environ.get(settings.password_env) or None
        self.has_password = password is not None
        context = ssl.create_default_context(cafile=settings.ca_file)  # verifies certificates and host names
        handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=context)]
        if self.user and password is not None:
            for url in (settings.query, settings.update, settings.graph_store):
                if url:
                    _check_credentials_safe(url, settings, self.label)
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {u for u in (settings.query, settings.update, settings.graph_store) if u}:
                manager.add_password(None, url, self.user, password)
            # Both schemes answer a 401 challenge; neither sends anything before one.
            handlers += [urllib.request.HTTPDigestAuthHandler(manager), urllib.request.HTTPBasicAuthHandler(manager)]
        self.opener = urllib.request.build_opener(*handlers)
        del password

    def request(self, method: str, url: str, *, data: bytes | None = None, params: Mapping[str, str] | None = None,
                headers: Mapping[str, str] | None = None) -> _Answer:
        full = url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params) if params else url
        attempts = 1 + max(0, self.settings.retries)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            request = urllib.request.Request(full, data=data, method=method,
                                             headers={"User-Agent": USER_AGENT, **(headers or {})})
            try:
                with self.opener.open(request, timeout=self.settings.timeout) as response:
                    return _Answer(response.status, _lower(response.headers), response.read())
            except urllib.error.HTTPError as err:
                body = err.read() if err.fp is not None else b""
                if err.code >= 500 and not last:
                    self._wait(attempt)
                    continue
                return _Answer(err.code, _lower(err.headers), body)
            except (TimeoutError, socket.timeout):
                raise StoreTimeout(f"{self.label} did not answer within {self.settings.timeout:g} seconds "
                                   f"({method} {_safe(url)}); raise `timeout` in kg.toml if it is just slow") from None
            except urllib.error.URLError as err:
                if isinstance(err.reason, (TimeoutError, socket.timeout)):
                    raise StoreTimeout(f"{self.label} did not answer within {self.settings.timeout:g} "
                                       f"seconds ({method} {_safe(url)})") from None
                if isinstance(err.reason, ssl.SSLError):
                    raise StoreUnavailable(f"{self.label}: TLS failed ({err.reason.reason or err.reason}); "
                                           "the certificate is checked: give `ca_file` in kg.toml for a private CA") from None
                if last:
                    raise StoreUnavailable(f"cannot reach {self.label} ({_reason(err.reason)}) "
                                           f"after {attempts} attempt{'s' if attempts > 1 else ''}") from None
                self._wait(attempt)
            except (ConnectionError, http.client.HTTPException) as err:
                if last:
                    raise StoreUnavailable(f"cannot reach {self.label} ({_reason(err)}) "
                                           f"after {attempts} attempt{'s' if attempts > 1 else ''}") from None
                self._wait(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int) -> None:
        self.sleep(min(BACKOFF * 2 ** attempt, 10.0))


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in (headers.items() if headers is not None else [])}


def _reason(reason: Any) -> str:
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return text


def _safe(url: str) -> str:
    """A URL as messages show it: no user info, no query string."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return urllib.parse.urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def _is_loopback(host: str | None) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _check_credentials_safe(url: str, settings: RemoteSettings, label: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "http" and not _is_loopback(parts.hostname) and not settings.allow_http_credentials:
        raise UsageError(f"{label}: credentials would cross the network unencrypted to {_safe(url)}; "
                         "use https, or set allow_http_credentials = true in kg.toml")


class RemoteStore(Store):
    """A SPARQL 1.1 server: Protocol for queries and updates, Graph Store Protocol for loads."""

    def __init__(self, settings: RemoteSettings, *, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.http = _Http(settings, sleep=sleep)
        self.name = self.http.label
        self.graph_iri = URIRef(settings.graph)
        self.max_rows: int | None = None  # the server's row cap, once it has shown one

    # reading

    def _post_query(self, text: str, accept: str, *, dataset: bool = True) -> _Answer:
        """POST a query; ``dataset``: make the graph the default graph (else the query names graphs itself)."""
        form = {"query": text, "default-graph-uri": self.settings.graph} if dataset else {"query": text}
        data = urllib.parse.urlencode(form).encode()
        answer = self.http.request("POST", self.settings.query, data=data, headers={
            "Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
        self._check(answer, "the query", self.settings.query)
        return answer

    def _check(self, answer: _Answer, what: str, url: str) -> None:
        if 200 <= answer.status < 300:
            return
        if answer.status == 401:
            if self.http.user and self.http.has_password:
                raise StoreError(f"{self.name} refused the credentials of user '{self.http.user}' for {what}")
            raise StoreError(f"{self.name} asks for credentials for {what}: give `user` in kg.toml (or "
                             f"{DEFAULT_USER_ENV}) and the password in ${self.settings.password_env}")
        if answer.status == 403:
            raise StoreError(f"{self.name} does not allow {what} for user '{self.http.user}'"
                             + ("; Virtuoso needs GRANT SPARQL_UPDATE for loads" if self.settings.server == "virtuoso" else ""))
        if answer.status == 404:
            raise StoreError(f"{self.name} has no endpoint at {_safe(url)} (404)")
        message = _first_lines(answer.body)
        if answer.status >= 500:
            raise StoreUnavailable(f"{self.name} failed on {what} ({answer.status}): {message}")
        raise StoreError(f"{self.name} rejected {what} ({answer.status}): {message}")

    def _rows(self, text: str, *, dataset: bool = True, page: bool = False) -> tuple[list[str], list[dict[str, Node]]]:
        """The variables and rows of a SELECT; an answer the server cut short is an error.

        ``page``: the query asks for at most the server's row limit (LIMIT), so a
        row-limit header on it means nothing; the caller counts what it got.
        """
        answer = self._post_query(text, _SPARQL_JSON, dataset=dataset)
        document = self._json(answer)
        variables = list(document.get("head", {}).get("vars", []))
        rows = [{name: _from_json(cell) for name, cell in binding.items()}
                for binding in document.get("results", {}).get("bindings", [])]
        if not page:
            self._check_complete(answer, len(rows))
        return variables, rows

    def _check_complete(self, answer: _Answer, count: int) -> None:
        """Virtuoso answers 200 with part of the rows, and says so only in its headers."""
        cap = answer.headers.get("x-sparql-maxrows", "").strip()
        if cap.isdigit():
            self.max_rows = int(cap)
        # Virtuoso also sends the header when the answer has exactly as many rows as its limit.
        if cap and (not cap.isdigit() or count >= int(cap)):
            raise TruncatedResult(
                f"{self.name} returned only the first {cap} rows of the answer (its row limit, "
                "X-SPARQL-MaxRows): raise ResultSetMaxRows in the [SPARQL] section of virtuoso.ini, "
                "or narrow the query with LIMIT and OFFSET")
        state = answer.headers.get("x-sql-state")
        if state is not None:
            raise TruncatedResult(f"{self.name} returned a partial answer (X-SQL-State {state}: "
                                  f"{answer.headers.get('x-sql-message', 'its time limit ran out')})")

    def _json(self, answer: _Answer) -> dict[str, Any]:
        kind = answer.headers.get("content-type", "").split(";")[0].strip()
        try:
            return json.loads(answer.body)
        except ValueError:
            raise StoreError(f"{self.name} answered with {kind or 'something'} instead of SPARQL JSON results: "
                             f"{_first_lines(answer.body)}") from None

    def select(self, query: Any, bindings: Mapping[str, Node] | None = None) -> Result:
        prepared = prepare(query)
        if prepared.form != "select":
            raise UsageError(f"select() runs SELECT queries, not {prepared.form.upper()}")
        bound = _bindings(bindings)
        _, rows = self._rows(_with_prefixes(substitute(prepared.text, bound)))
        # A substituted variable is no longer in the query; its value is the bound term.
        table = tuple(tuple(row.get(v, bound.get(v)) for v in prepared.variables) for row in rows)
        return Result(prepared.variables, table)

    def ask(self, query: Any, bindings: Mapping[str, Node] | None = None) -> bool:
        prepared = prepare(query)
        if prepared.form != "ask":
            raise UsageError(f"ask() runs ASK queries, not {prepared.form.upper()}")
        answer = self._post_query(_with_prefixes(substitute(prepared.text, _bindings(bindings))), _SPARQL_JSON)
        document = self._json(answer)
        if not isinstance(document.get("boolean"), bool):
            raise StoreError(f"{self.name} gave no yes-or-no answer to an ASK query")
        return document["boolean"]

    def construct(self, query: Any, bindings: Mapping[str, Node] | None = None) -> Graph:
        """CONSTRUCT runs as a SELECT of its WHERE clause and fills the template here.

        Virtuoso cuts a CONSTRUCT at its row limit without any sign; a SELECT's
        cut shows in a header, so the answer is complete or an error.
        """
        prepared = prepare(query)
        bound = _bindings(bindings)
        if prepared.form == "describe":  # what DESCRIBE returns is up to each server
            answer = self._post_query(_with_prefixes(substitute(prepared.text, bound)), _N_TRIPLES)
            return self._parse_triples(answer.body)
        if prepared.form != "construct":
            raise UsageError(f"construct() runs CONSTRUCT and DESCRIBE queries, not {prepared.form.upper()}")
        # CompValue.get returns the key itself when it is missing; CONSTRUCT WHERE { ... } has no template.
        template = (prepared.algebra["template"] if "template" in prepared.algebra else None) \
            or prepared.algebra.p.p.triples
        _, rows = self._rows(_with_prefixes(construct_as_select(substitute(prepared.text, bound))))
        built = new_graph()
        for row in rows:
            fresh: dict[BNode, BNode] = {}
            for pattern in template:
                triple = [_fill(term, row, bound, fresh) for term in pattern]
                s, p, o = triple
                if s is None or p is None or o is None or isinstance(s, Literal) or not isinstance(p, URIRef):
                    continue
                built.add((s, p, o))
        return built

    def _parse_triples(self, body: bytes) -> Graph:
        try:
            built = _to_rdflib(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as err:
            raise StoreError(f"{self.name} sent N-Triples that do not parse ({err})") from None
        return built

    def count(self, graph: str | None = None) -> int:
        target = graph or self.settings.graph
        _, rows = self._rows(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{_iri(target)}> {{ ?s ?p ?o }} }}",
                             dataset=False)
        return int(rows[0]["n"]) if rows else 0

    def graph(self) -> Graph:
        return self._triples("?s ?p ?o")

    def _naming_triples(self) -> Graph:
        values = " ".join(f"<{p}>" for p in NAMING_PREDICATES)
        return self._triples(f"VALUES ?p {{ {values} }} ?s ?p ?o")

    def _triples(self, pattern: str) -> Graph:
        """Every triple matching ``pattern``, in pages if the server caps answers; counted to be sure."""
        where = f"WHERE {{ GRAPH <{_iri(self.settings.graph)}> {{ {pattern} }} }}"
        _, counted = self._rows(f"SELECT (COUNT(*) AS ?n) {where}", dataset=False)
        expected = int(counted[0]["n"]) if counted else 0
        built = new_graph()
        select = f"SELECT ?s ?p ?o {where}"
        try:
            _, rows = self._rows(select, dataset=False)
            pages = [rows]
        except TruncatedResult:
            # Page without ORDER BY: Virtuoso refuses to sort past its row limit (SR353). The
            # count below shows whether the pages covered the graph.
            size = self.max_rows or 10_000
            pages = (self._rows(f"{select} LIMIT {size} OFFSET {offset}", dataset=False, page=True)[1]
                     for offset in range(0, expected, size))
        for rows in pages:
            for row in rows:
                built.add((row["s"], row["p"], row["o"]))
        if len(built) != expected:
            raise TruncatedResult(f"{self.name} holds {expected} triples of the graph but returned {len(built)}; "
                                  "raise the server's row limit (Virtuoso: ResultSetMaxRows) or read it another way")
        return built

    # writing

    def replace(self, graph: Graph | Document, *, progress: Progress = QUIET) -> int:
        """Load into a staging graph, count it, and swap it in with one MOVE; else leave the live graph alone."""
        if not (self.settings.update and self.settings.graph_store):
            raise UsageError(f"{self.name} is read-only here: a load needs its `update` and `graph_store` "
                             "endpoints (set them in kg.toml, or use an oxigraph+ or virtuoso+ location)")
        self._naming = None
        staging = f"{self.settings.graph}/staging-{uuid.uuid4().hex[:12]}"
        data, total = ntriples(graph)
        try:
            sent = self._load(staging, data, total, progress)
            held = self.count(staging)
            if held != total or sent != total:
                raise LoadFailed(f"{self.name}: the staging graph holds {held} triples, not {total}; "
                                 "the live graph is unchanged")
            self.update(f"MOVE GRAPH <{_iri(staging)}> TO GRAPH <{_iri(self.settings.graph)}>")
        except BaseException as err:
            self._drop_quietly(staging)
            if isinstance(err, (LoadFailed, UsageError)) or not isinstance(err, KgError):
                raise
            raise LoadFailed(f"{err}; the load stopped and the live graph is unchanged") from None
        return total

    def _load(self, staging: str, data: bytes, total: int, progress: Progress) -> int:
        sent = 0
        progress.stage(f"loading into {self.name}", total)
        try:
            for chunk, lines in line_chunks(data, max(1, self.settings.chunk)):
                self.put_triples(staging, chunk, replace=sent == 0)
                sent += lines
                progress.advance(lines)
            if sent == 0:  # an empty graph still replaces the staging graph
                self.put_triples(staging, b"", replace=True)
        finally:
            progress.done()
        return sent

    def put_triples(self, graph: str, data: bytes, *, replace: bool) -> None:
        """Graph Store Protocol: PUT replaces the named graph, POST adds to it."""
        answer = self.http.request("PUT" if replace else "POST", self.settings.graph_store, data=data,
                                   params={"graph": graph}, headers={"Content-Type": _N_TRIPLES})
        self._check(answer, "the load (Graph Store Protocol)", self.settings.graph_store)

    def update(self, text: str) -> None:
        """One SPARQL Update request: the server runs it as one transaction."""
        if not self.settings.update:
            raise UsageError(f"{self.name} has no update endpoint; set `update` in kg.toml")
        answer = self.http.request("POST", self.settings.update, data=text.encode("utf-8"), headers={
            "Content-Type": "application/sparql-update", "Accept": f"{_SPARQL_JSON}, */*;q=0.1"})
        self._check(answer, "the update", self.settings.update)

    def _drop_quietly(self, graph: str) -> None:
        try:
            self.update(f"DROP SILENT GRAPH <{_iri(graph)}>")
        except KgError:
            pass  # the staging graph is left behind; its name says what it is


def _fill(term: Node, row: Mapping[str, Node], bound: Mapping[str, Node], fresh: dict[BNode, BNode]) -> Node | None:
    if isinstance(term, Variable):
        return row.get(str(term), bound.get(str(term)))
    if isinstance(term, BNode):
        return fresh.setdefault(term, BNode())
    return term


def _first_lines(body: bytes, limit: int = 300) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    text = re.sub(r"<[^>]{0,200}>", " ", text) if text.lstrip().startswith("<") else text  # an HTML error page
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "") or "(no message)"


def _iri(text: str) -> str:
    """An IRI checked by pyoxigraph before it goes between < and > in a query."""
    try:
        return ox.NamedNode(text).value
    except ValueError as err:
        raise UsageError(f"{text!r} is not a valid IRI ({err})") from None


# --- SPARQL text: tokens, substitution, CONSTRUCT as SELECT --------------------------------------

# The SPARQL 1.1 terminals that matter here (https://www.w3.org/TR/sparql11-query/#sparqlGrammar):
# anything that can hide a '?', a '{' or a keyword (comments, strings, IRIs, prefixed names).
_TOKEN = re.compile(r"""
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
""", re.VERBOSE | re.DOTALL)


@dataclass
class _Token:
    kind: str
    text: str

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def tokens(text: str) -> list[_Token]:
    """``text`` split into SPARQL tokens; joining their texts gives ``text`` back."""
    return [_Token(m.lastgroup or "punct", m.group()) for m in _TOKEN.finditer(text)]


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


def construct_as_select(text: str) -> str:
    """A CONSTRUCT query's WHERE clause as ``SELECT *`` (the template is filled by the caller)."""
    parts = tokens(text)
    significant = [i for i, t in enumerate(parts) if t.kind not in ("space", "comment")]
    for position, index in enumerate(significant):
        if parts[index].keyword != "CONSTRUCT":
            continue
        following = significant[position + 1] if position + 1 < len(significant) else None
        if following is not None and parts[following].text == "{":
            depth = 0
            for end in significant[position + 1:]:
                if parts[end].text == "{":
                    depth += 1
                elif parts[end].text == "}":
                    depth -= 1
                    if depth == 0:
                        break
            head = "SELECT *"
            if any(parts[i].keyword == "GROUP" for i in significant):  # SELECT * is not allowed with GROUP BY
                names = sorted({t.text for t in parts[following:end] if t.kind == "var"})
                head = "SELECT " + " ".join(names) if names else head
            return "".join(t.text for t in parts[:index]) + head + "".join(t.text for t in parts[end + 1:])
        return "".join(t.text for t in parts[:index]) + "SELECT *" + "".join(t.text for t in parts[index + 1:])
    raise UsageError("not a CONSTRUCT query")


def _with_prefixes(text: str) -> str:
    """``text`` with PREFIX lines for the project's prefixes it uses without declaring (rdflib knows them)."""
    parts = tokens(text)
    declared = set()
    used = set()
    significant = [t for t in parts if t.kind not in ("space", "comment")]
    for i, token in enumerate(significant):
        if token.kind == "word" and ":" in token.text and not token.text.startswith("_:"):
            prefix = token.text.split(":", 1)[0]
            if i > 0 and significant[i - 1].keyword == "PREFIX":
                declared.add(prefix)
            else:
                used.add(prefix)
    missing = sorted(p for p in used - declared if p in PREFIXES)
    return "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in missing) + text


# --- choosing a store ----------------------------------------------------------------------------


_REMOTE = re.compile(r"^(?:(?P<server>oxigraph|virtuoso|sparql)\+)?(?P<url>https?://.+)$")


def remote_settings(location: str, table: Mapping[str, Any] | None = None, *, label: str = "") -> RemoteSettings:
    """The settings for ``virtuoso+https://...`` (and friends), with a kg.toml table's overrides."""
    table = dict(table or {})
    match = _REMOTE.match(location.strip()) if location else None
    if location and not match:
        raise UsageError(f"cannot read the store location '{location}'")
    server = (match["server"] if match else None) or "sparql"
    base = match["url"].rstrip("/") if match else ""
    parts = urllib.parse.urlsplit(base or table.get("query", ""))
    if parts.username or parts.password:
        raise UsageError("a store location holds no user name or password: put `user` in kg.toml and the "
                         f"password in an environment variable (${table.get('password_env', DEFAULT_PASSWORD_ENV)})")
    if parts.query or parts.fragment:
        raise UsageError(f"the store location {_safe(base)} has a query string or fragment; give the endpoint alone")
    endpoints = {key: base + path for key, path in SERVERS[server].items()}
    if server == "sparql" and base:
        endpoints["query"] = base
    for key in ("query", "update", "graph_store"):
        if key in table:
            endpoints[key] = table[key]
    if "query" not in endpoints:
        raise UsageError("a remote store needs a query endpoint")
    graph = table.get("graph", str(GRAPH_IRI))
    _iri(graph)
    return RemoteSettings(
        query=endpoints["query"], update=endpoints.get("update"), graph_store=endpoints.get("graph_store"),
        server=server, graph=graph, user=table.get("user"),
        password_env=table.get("password_env", DEFAULT_PASSWORD_ENV),
        timeout=float(table.get("timeout", DEFAULT_TIMEOUT)), retries=int(table.get("retries", DEFAULT_RETRIES)),
        chunk=int(table.get("chunk", DEFAULT_CHUNK)), ca_file=table.get("ca_file"),
        allow_http_credentials=bool(table.get("allow_http_credentials", False)),
        label=f"'{label}' ({server} {_safe(base or endpoints['query'])})" if label
        else f"{server} {_safe(base or endpoints['query'])}",
    )


def built_document(facts_dir: str | Path) -> Document:
    """The checked graph of a fact folder as Turtle, rebuilt only where its files changed.

    The build keeps what each fact file gave in the user's cache folder (one per
    fact folder), so a command run again on the same facts reads them from there:
    the same checks, the same bytes, in milliseconds.
    """
    from .cache import build_turtle  # the package imports this module's users, not the other way round

    built = build_turtle(facts_dir, cache_dir=build_cache_dir(facts_dir))
    return Document(built.turtle, "turtle", built.triples)


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
            store.graph_iri = URIRef(_iri(table["graph"]))
        return store
    if _REMOTE.match(spec) or (not spec and "query" in table):
        return RemoteStore(remote_settings(spec, table, label=label))
    names = ", ".join(sorted(config.stores)) or "none in kg.toml"
    raise UsageError(f"unknown store '{spec}': give memory, oxigraph:PATH, oxigraph+http://HOST:PORT, "
                     f"virtuoso+http://HOST:PORT, sparql+https://HOST/PATH, or a store named in kg.toml ({names})")
