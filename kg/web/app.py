"""``kg serve``: a local, read-only web app and SPARQL endpoint over the graph.

Pages for people (the saved queries as forms, results as sortable tables with
downloads, one page per entity with every statement's source, the network
views, a SPARQL editor) and two interfaces for programs: a SPARQL 1.1 Protocol
endpoint at ``/sparql`` (https://www.w3.org/TR/sparql11-protocol/) and the
saved queries as a web API at ``/api/queries/NAME``, in grlc's style
(https://github.com/CLARIAH/grlc).

Every query, saved, typed in the editor or sent to ``/sparql``, goes through
:mod:`kg.query.catalog`, the one guarded path: read-only, no SERVICE or LOAD, a
time limit and a memory cap, parameters bound as RDF terms. It runs in a worker
process of a pool (kg.query.workers) forked from one process that holds the graph:
no lock around the engine, a bounded queue, and a query past its limits killed.
Whole answers are kept by store version, query and parameters, and served a page
at a time. Pages put text in only through
Jinja's autoescaping, and every response carries a Content-Security-Policy that
allows the app's own scripts and styles and no request to another host.

Starlette (https://www.starlette.io/) answers the requests and uvicorn serves
them; both are the optional extra ``gpu-kg[serve]``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import errno
import json
import os
import re
import socket
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..query import catalog as queries_lib
from ..base.formats import LANGS, VIEW_NAMES
from ..base.ontology import GRAPH_IRI, PREFIXES, new_graph
from ..base.errors import InputError, KgError, UsageError
from ..build.export import serialize
from ..base.ontology import GPU, KGR
from ..query.results import Result, encode, joined, short_name
from ..query.workers import Busy, Limits, Pool, QueryTimeout, QueryTooLarge
from ..query.resolve import id_keys, normal_name, resolver_for
from ..store.core import Store
from ..store.oxigraph import MemoryStore
from ..query.tables import amount_text
from . import browse

try:  # the optional extra: the rest of gpu-kg works without it
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles
except ImportError:  # pragma: no cover - reported by check_installed
    Starlette = None  # type: ignore[assignment,misc]

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8711
WEB = Path(__file__).parent
VEGA = WEB.parent / "show" / "vendor" / "vega"   # Vega, Vega-Lite and the interpreter the charts carry
PREFIX_TEXT = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
# The app's own pages: its scripts and styles, requests to itself only, never framed.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]
COMPLETIONS = 20  # names offered at most for one prefix
MAX_QUERY_BYTES = 1_000_000

# What a results format is called in a URL, the media type it is served as, and the file suffix.
RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A graph (CONSTRUCT, DESCRIBE): Turtle unless asked; SPARQLWrapper asks for RDF/XML by default.
GRAPH_TYPES = {"turtle": "text/turtle", "nt": "application/n-triples", "xml": "application/rdf+xml",
               "jsonld": "application/ld+json"}
# Other names clients use for the same formats (SPARQLWrapper sends ``format=json``, Jena ``results=...``).
_ALIASES = {"srj": "json", "application/json": "json", "application/sparql-results+json": "json",
            "srx": "xml", "application/xml": "xml", "text/xml": "xml", "application/sparql-results+xml": "xml",
            "text/csv": "csv", "text/tab-separated-values": "tsv", "ttl": "turtle", "text/turtle": "turtle",
            "n3": "turtle", "text/n3": "turtle", "ntriples": "nt", "n-triples": "nt", "application/n-triples": "nt",
            "text/plain": "nt", "rdf": "xml", "rdfxml": "xml", "application/rdf+xml": "xml", "json-ld": "jsonld",
            "application/ld+json": "jsonld"}
_GPU = str(GPU)
_DATES = {XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth}
_WEB_URL = re.compile(r"^https?://", re.IGNORECASE)
_UNIT_SUFFIXES = {"cny": "CNY", "hkd": "HKD", "usd": "USD", "pct": "%"}


def check_installed() -> None:
    """A clear message, not an ImportError, when the ``serve`` extra is missing."""
    if Starlette is None:
        raise UsageError("kg serve needs the web framework: pip install 'gpu-kg[serve]'")


# --- the graph and what the pages ask of it ---------------------------------------------------


@dataclass
class Entity:
    """One named thing, as the completion box offers it."""

    iri: str
    key: str                  # what a parameter is given: the id, or gpu:Term for the ontology's
    en: str = ""
    zh: str = ""
    types: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()   # normalised: labels, other names, notations, ids

    def as_json(self) -> dict[str, str]:
        return {"value": self.key, "iri": self.iri, "en": self.en, "zh": self.zh}


_NAMES = """
PREFIX gpu: <https://w3id.org/gpu-kg/ontology#>
SELECT ?entity ?type ?name WHERE {
  ?entity a ?type .
  FILTER(isIRI(?entity) && STRSTARTS(STR(?type), STR(gpu:)))
  OPTIONAL { ?entity rdfs:label|skos:altLabel|skos:prefLabel|gpu:legalName|skos:notation ?name }
}"""
_SUBCLASSES = "SELECT ?class WHERE { ?class rdfs:subClassOf* ?_of_iri }"
_RESOLVE = "SELECT ?entity WHERE { BIND(?_entity_iri AS ?entity) }"
_OUT = "SELECT ?p ?o WHERE { ?_entity_iri ?p ?o } ORDER BY ?p ?o"
_IN = "SELECT ?s ?p WHERE { ?s ?p ?_entity_iri } ORDER BY ?s ?p"
_AROUND = "SELECT ?s ?p ?o WHERE { ?s ?link ?_entity_iri . ?s ?p ?o } ORDER BY ?s ?p ?o"
_SOURCES = """
PREFIX gpu: <https://w3id.org/gpu-kg/ontology#>
SELECT DISTINCT ?source ?p ?o WHERE {
  { ?_entity_iri gpu:source ?source } UNION { ?s ?link ?_entity_iri . ?s gpu:source ?source }
  ?source ?p ?o
} ORDER BY ?source ?p ?o"""
_ALL_LABELS = "SELECT ?x ?label WHERE { ?x rdfs:label ?label }"


def _prepare(store: Store) -> dict[str, Any]:
    """In the zygote, before any worker: the graph loaded (a store in memory builds it on first use) and its
    index of names, so that every worker shares them; an on-disk store is only checked (workers open it)."""
    store.forked()
    triples = store.count()
    if isinstance(store, MemoryStore):  # a graph in memory never changes while served: its labels, once
        store.index_names()
        store.index_labels()
        resolver_for(store.naming_graph())  # the completion box's index of names, shared by every worker
    else:
        store.close()  # an on-disk store is opened afresh by each worker, never inherited
    return {"triples": triples, "version": store.version}


def default_workers() -> int:
    """Queries that run at once: four per core, at least eight, so that a small query finds a worker while
    heavy ones run (they give way to it: kg.query.workers.NICE_AFTER). An idle worker costs little: it
    shares the graph with the process it was forked from."""
    return max(8, 4 * (os.cpu_count() or 1))


class ResultCache:
    """Whole answers by (store version, query, parameters, language), least recently used out first, within a
    number of cells: the next page and a repeated query cost a lookup."""

    def __init__(self, max_cells: int = 4_000_000, max_entries: int = 512):
        self.max_cells, self.max_entries = max_cells, max_entries
        self._items: OrderedDict[tuple, Result] = OrderedDict()
        self._cells = 0

    @staticmethod
    def _size(result: Result) -> int:
        return max(1, len(result.rows) * max(1, len(result.variables)))

    def get(self, key: tuple) -> Result | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: tuple, result: Result) -> None:
        size = self._size(result)
        if size > self.max_cells:
            return
        if key in self._items:
            self._cells -= self._size(self._items.pop(key))
        self._items[key] = result
        self._cells += size
        while self._cells > self.max_cells or len(self._items) > self.max_entries:
            _, old = self._items.popitem(last=False)
            self._cells -= self._size(old)

    def clear(self) -> None:
        self._items.clear()
        self._cells = 0


VERSION_CHECK = 0.5  # seconds between looks at which version an on-disk store holds


class Site:
    """The store, the catalog, the workers that query it, and what the pages keep between requests."""

    def __init__(self, source: Graph | Store, *, catalog_dir: str | Path | None = None,
                 timeout: float | None = queries_lib.DEFAULT_TIMEOUT,
                 memory_mb: int | None = queries_lib.DEFAULT_MEMORY_MB, workers: int | None = None,
                 queue: int | None = None, facts_dir: str | Path | None = None, as_of: dt.date | None = None):
        """``source`` is the graph or store. Nothing is loaded here: ``start`` forks the process that loads
        it and forks the workers; ``load`` waits for it (in the background while the server listens).
        ``facts_dir``: the facts the graph was built from, for the news desk's page of changes;
        ``as_of``: the day the graph is known as of, said on every page."""
        self.store: Store = source if isinstance(source, Store) else MemoryStore(source)
        self.facts_dir = Path(facts_dir) if facts_dir is not None else None
        self.as_of = as_of
        self._changes: dict[dt.date, list] = {}
        self.catalog_dir = catalog_dir
        self.timeout = timeout or None
        self.memory_mb = memory_mb or None
        size = workers or default_workers()
        self.pool = Pool(self.store, size=size, queue=queue if queue is not None else 16 * size,
                         memory_mb=self.memory_mb, prepare=_prepare)
        self._started = False
        self._start_lock = threading.Lock()
        self.load_error: KgError | None = None
        self.triples = 0
        self.version = ""
        self._version_checked = 0.0
        self._catalog: dict[str, queries_lib.Query] | None = None
        self._catalog_error: KgError | None = None
        self._catalog_lock = threading.Lock()
        self.cache = ResultCache()
        # Pages already written, by (answer, format, offset, limit, bom): a repeated request is sent as it was.
        self.written: OrderedDict[tuple, tuple[Result, bytes]] = OrderedDict()
        # What a result page made of an answer (its facets, its drawing), by answer, filters, view and page.
        self.browsed: OrderedDict[tuple, tuple[Result, dict[str, Any]]] = OrderedDict()
        self._parsed: dict[str, queries_lib.Query] = {}
        self._entities: list[Entity] | None = None
        self._labels: dict[str, dict[str, str]] | None = None
        self._subclasses: dict[str, frozenset[str]] = {}
        self._network = None
        self._views: dict[str, bytes] = {}
        # Pages built once (the names, the views) are built by one thread at a time; queries are not locked.
        self._lock = threading.RLock()

    def changes(self, since: dt.date | None) -> list:
        """What each source published after ``since`` (every dated source when None) changed, up to
        the day the graph is known as of; worked out once a day asked."""
        from ..facts.changes import changes
        from ..facts.read import read_entries

        day = since or dt.date.min
        with self._lock:
            if day not in self._changes:
                found = changes(read_entries(self.facts_dir), day)
                self._changes[day] = [c for c in found if self.as_of is None or c.published <= self.as_of]
            return self._changes[day]

    def start(self) -> None:
        """Fork the process that holds the graph (once): call it before the server has threads."""
        with self._start_lock:
            if not self._started:
                self.pool.start()
                self._started = True

    def close(self) -> None:
        """Stop every worker: queries in flight end at once."""
        self.pool.close()

    @property
    def catalog(self) -> dict[str, queries_lib.Query]:
        with self._catalog_lock:
            if self._catalog is None and self._catalog_error is None:
                try:
                    self._catalog = queries_lib.load_catalog(self.catalog_dir, headers_only=True)
                except KgError as err:
                    self._catalog_error = err
        if self._catalog is None:
            raise Unavailable("the saved queries could not be read; the server's log says why", self._catalog_error)
        return self._catalog

    def load(self) -> None:
        """Read the catalog and wait for the graph; a failure is kept, told to every request, and ends `kg serve`."""
        try:
            self.catalog  # noqa: B018 - read now, not at the first request
            if self._catalog_error is not None:
                raise self._catalog_error
            self.start()
            info = self.pool.wait_ready()
            self.triples, self.version = info.get("triples", 0), info.get("version", "")
            from ..show import views  # noqa: F401 - imported now rather than at the first page that lists the views
        except KgError as err:
            self.load_error = err

    def graph(self) -> Graph:
        """The whole graph as rdflib's, for the views and charts (read in this process, once)."""
        return self.store.graph()

    # -- running: every query through kg.query.catalog, in a worker --

    def saved(self, name: str) -> queries_lib.Query:
        if name not in self.catalog:
            raise NotFound(f"no saved query called '{name}'")
        with self._lock:
            if name not in self._parsed:
                self._parsed[name] = queries_lib.parsed(self.catalog[name])
            return self._parsed[name]

    def lists_of(self, query: queries_lib.Query) -> tuple[tuple[str, str, bool], ...]:
        """The listing columns of ``query`` (GROUP_CONCATs): a saved query's are read with it; a client's query
        is read only in a worker, within the time limit, and its lists are not looked for."""
        return query.lists if query.checked else ()

    def parsed_saved(self, name: str) -> queries_lib.Query | None:
        """A saved query already parsed, else None (parsing may take a while: not on the event loop)."""
        return self._parsed.get(name)

    def inline(self, text: str) -> queries_lib.Query:
        """One of the app's own queries, parsed once and kept."""
        with self._lock:
            if text not in self._parsed:
                self._parsed[text] = queries_lib.parse_query(text, name="query", source=queries_lib.INLINE)
            return self._parsed[text]

    def limits(self, query: queries_lib.Query) -> Limits:
        return Limits(timeout=self.timeout, memory_mb=self.memory_mb, what=queries_lib.describe_query(query),
                      hint="(the server's time limit); narrow it down",
                      memory_hint="(the server's memory limit for a query); narrow it down")

    def check_version(self) -> str:
        """The version of the store now; when a load has replaced it, workers open the new one and no answer
        of the old one is served again (an on-disk store; a graph in memory does not change)."""
        now = time.monotonic()
        if now - self._version_checked >= VERSION_CHECK:
            self._version_checked = now
            try:
                version = self.store.version
            except KgError:
                version = self.version
            if version != self.version:
                self.version = version
                self.pool.renew()
                self.cache.clear()
                self.written.clear()
                self.browsed.clear()
        return self.version

    async def query(self, query: queries_lib.Query, values: Mapping[str, str] | None = None, *,
                    lang: str | None = None, labels: bool = True) -> Result:
        """The whole answer (cached), from a worker of the pool."""
        self.start()  # `kg serve` started it before it had threads; an app made by a program, at its first query
        version = self.check_version()
        values = dict(values or {})
        key = (version, query.name if query.source != queries_lib.INLINE else "", query.text,
               tuple(sorted(values.items())), lang, labels)
        found = self.cache.get(key)
        if found is not None:
            return found
        args = (query, values, lang, False, False, None, 0, labels)
        chunks, answered = await self.pool.run(queries_lib.answer_here, args, self.limits(query))
        result = joined(queries_lib.decoded(iter(chunks)))
        if answered == version:
            self.cache.put(key, result)
        return result

    async def job(self, function: Callable[..., Any], args: tuple, what: str) -> list[Any]:
        """Any other work of a worker (the SPARQL endpoint's), within the same limits."""
        self.start()
        self.check_version()
        items, _ = await self.pool.run(function, args, dataclasses.replace(self.limits(_NO_QUERY), what=what))
        return items

    def keep_browsed(self, key: tuple, result: Result, browsed: dict[str, Any], most: int = 64) -> None:
        """Keep what a result page made of an answer (kg.web.browse), beside the answer (see keep_written)."""
        self.browsed[key] = (result, browsed)
        while len(self.browsed) > most:
            self.browsed.popitem(last=False)

    def keep_written(self, key: tuple, result: Result, body: bytes, most: int = 256) -> None:
        """Keep a page's bytes with the answer they were written from (the answer's id is the key: kept
        alongside it, so that no other answer can take its id while the bytes are kept)."""
        if len(body) > 1_000_000:
            return
        self.written[key] = (result, body)
        while len(self.written) > most:
            self.written.popitem(last=False)

    def run(self, query: queries_lib.Query, values: Mapping[str, str] | None = None, *,
            lang: str | None = None, labels: bool = True) -> Result:
        """``query`` from a thread: through the pool when the server runs, else in a worker forked for it."""
        if self.pool.loop is not None and self.pool.loop.is_running():
            return asyncio.run_coroutine_threadsafe(self.query(query, values, lang=lang, labels=labels),
                                                    self.pool.loop).result()
        return queries_lib.run(self.store, query, values, lang=lang, timeout=self.timeout, labels=labels,
                               memory_mb=self.memory_mb)

    def work(self, function: Callable[..., Iterator[Any]], args: tuple, what: str) -> list[Any]:
        """``job`` from a thread: in the pool's worker when the server runs, else in this process."""
        if self.pool.loop is not None and self.pool.loop.is_running():
            return asyncio.run_coroutine_threadsafe(self.job(function, args, what), self.pool.loop).result()
        return list(function(self.store, *args))

    def ask(self, text: str, values: Mapping[str, str] | None = None) -> Result:
        """One of the app's own queries (names, an entity's statements): through the same run, unlabelled."""
        return self.run(self.inline(text), values, labels=False)

    # -- names, for the completion box --

    def entities(self) -> list[Entity]:
        with self._lock:
            return self._entity_list()

    def _entity_list(self) -> list[Entity]:
        if self._entities is None:
            found: dict[str, dict[str, Any]] = {}
            for entity, kind, name in self.ask(_NAMES).rows:
                entry = found.setdefault(str(entity), {"types": set(), "names": set(), "en": "", "zh": ""})
                entry["types"].add(str(kind))
                if isinstance(name, Literal):
                    entry["names"].add(normal_name(str(name)))
            for iri, names in self._label_index().items():
                entry = found.get(iri)
                if entry is not None:
                    entry["en"], entry["zh"] = names.get("en", ""), names.get("zh", "")
            self._entities = sorted(
                (Entity(iri, _key(iri), entry["en"], entry["zh"], frozenset(entry["types"]),
                        frozenset(entry["names"] | id_keys(iri)))
                 for iri, entry in found.items() if entry["en"] or entry["zh"]),
                key=lambda e: (e.en or e.zh).casefold())
        return self._entities

    def labels(self) -> dict[str, dict[str, str]]:
        """Every node's rdfs:label by language ("" for none), the first of each, read once."""
        with self._lock:
            return self._label_index()

    def _label_index(self) -> dict[str, dict[str, str]]:
        if self._labels is None:
            index: dict[str, dict[str, str]] = {}
            for node, label in sorted(self.ask(_ALL_LABELS).rows, key=lambda row: (str(row[0]), str(row[1]))):
                if isinstance(label, Literal):
                    index.setdefault(str(node), {}).setdefault(label.language or "", str(label))
            self._labels = index
        return self._labels

    def subclasses(self, kind: str) -> frozenset[str]:
        with self._lock:
            return self._subclasses_of(kind)

    def _subclasses_of(self, kind: str) -> frozenset[str]:
        if kind not in self._subclasses:
            rows = self.ask(_SUBCLASSES, {"of": kind}).rows
            self._subclasses[kind] = frozenset(str(row[0]) for row in rows) | {kind}
        return self._subclasses[kind]

    def complete(self, text: str, kind: str | None = None, limit: int = COMPLETIONS) -> list[Entity]:
        """What a name being typed may be, as the command line finds and suggests names
        (kg.query.resolve): what it names first, then names that start with it, then names that contain it."""
        (found,) = self.work(complete_job, (text, kind, limit * 2), "the completion")
        shown = {entity.iri: entity for entity in self.entities()}  # those with a label to show
        return [shown[iri] for iri in found if iri in shown][:limit]

    # -- the network views --

    def charts(self, lang: str) -> dict[str, bytes]:
        """The ready-made charts of ``make demo`` (kg.show.charts) as pages, and their index under "": drawn once."""
        from ..show import charts as charts_lib

        key = f"charts/{lang}"
        if key not in self._views:
            with self._lock:
                drawn = charts_lib.named_charts(self.graph())
            pages = {chart.name: charts_lib.render_html(chart, lang=lang) for chart in drawn}
            pages[""] = charts_lib.render_index([(f"/charts/{chart.name}?lang={lang}", chart) for chart in drawn],
                                                lang=lang)
            self._views[key] = pages  # type: ignore[assignment]
        return self._views[key]  # type: ignore[return-value]

    def view(self, name: str, lang: str) -> bytes:
        from ..show import views as views_lib  # networkx and the view code, for the views pages only

        if name not in VIEW_NAMES:
            raise NotFound(f"no view called '{name}'")
        key = f"{name}/{lang}"
        if key not in self._views:
            with self._lock:
                if self._network is None:
                    self._network = views_lib.project(self.graph())
                network = self._network
            self._views[key] = views_lib.render(views_lib.named_view(network, name), "html", lang=lang)
        return self._views[key]


_NO_QUERY = queries_lib.Query(name="query", text="", form="select", source=queries_lib.INLINE)


def _key(iri: str) -> str:
    if iri.startswith(str(KGR)):
        return iri[len(str(KGR)):]
    if iri.startswith(str(GPU)):
        return "gpu:" + iri[len(str(GPU)):]
    return iri


class NotFound(KgError):
    """No such page, query or entity."""


class Unavailable(KgError):
    """The graph or the catalog could not be loaded; ``reason`` (for the server's log, not the page) says why."""

    def __init__(self, message: str, reason: BaseException | None = None):
        super().__init__(message)
        self.reason = reason


# --- what the pages show --------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    sort: str = ""
    href: str = ""
    exact: str = ""
    numeric: bool = False
    nowrap: bool = False   # dates and other short codes are not broken over lines


@dataclass(frozen=True)
class Table:
    columns: tuple[tuple[str, str, bool], ...]   # (name, unit, numeric)
    rows: tuple[tuple[Cell, ...], ...]
    boolean: bool | None = None


def entity_href(iri: str) -> str:
    return "/entity?" + urlencode({"iri": iri})


def cell(term: Node | None, label: Node | None = None, unit: str = "") -> Cell:
    """How one value shows in a table: an entity by its label and linked to its page, amounts grouped
    and followed by their unit."""
    if term is None:
        return Cell("")
    if isinstance(term, URIRef):
        shown = str(label) if label is not None else short_name(term, PREFIX_TEXT)
        return Cell(shown, sort=shown, href=entity_href(str(term)), exact=str(term))
    if isinstance(term, BNode):
        return Cell(f"_:{term}")
    amount = amount_text(term)
    if amount is not None:
        try:
            sort = str(Decimal(str(term)))
        except InvalidOperation:
            sort = str(term)
        return Cell(f"{amount} {unit}" if unit else amount, sort=sort, exact=str(term), numeric=True)
    text = str(term)
    return Cell(text, sort=text, nowrap=isinstance(term, Literal) and term.datatype in _DATES)


def table(result: Result, headings: Mapping[str, str] | None = None) -> Table:
    """The result as the page shows it; ``headings`` name the columns in the reader's language."""
    if result.is_boolean:
        return Table((), (), result.boolean)
    names = result.variables
    numeric = [bool(cells := [r[i] for r in result.rows if r[i] is not None])
               and all(amount_text(c) is not None for c in cells) for i in range(len(names))]
    flags = result.labelled_columns()
    units = [_unit_column(name, names) if numeric[i] else None for i, name in enumerate(names)]
    columns = tuple(((headings or {}).get(name, name), "" if units[i] is not None else _unit_of(name), numeric[i])
                    for i, name in enumerate(names))
    rows = []
    for row in result.rows:
        rows.append(tuple(
            cell(term, result.labels.get(term) if flags[i] else None,
                 _unit_text(row[units[i]]) if units[i] is not None else "")
            for i, term in enumerate(row)))
    return Table(columns, tuple(rows))


def _unit_of(column: str) -> str:
    """``%`` for ``first_day_gain_pct``, ``CNY`` for ``..._cny``: a unit the column's name gives."""
    return _UNIT_SUFFIXES.get(column.rsplit("_", 1)[-1], "") if "_" in column else ""


def _unit_column(name: str, names: tuple[str, ...]) -> int | None:
    """The column that holds the unit or currency of the amounts in ``name``: ``market_cap_currency``
    for ``first_day_market_cap``, ``unit`` for ``value``; None if there is none."""
    if name.endswith("_pct"):
        return None
    general = None
    for index, other in enumerate(names):
        stem, _, kind = other.rpartition("_")
        if other in ("unit", "currency"):
            general = index
        elif kind in ("unit", "currency") and stem and name.endswith(stem):
            return index
    return general


def _unit_text(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return term.split("#")[-1].split("/")[-1]  # gpu:CNY -> CNY
    code = re.search(r"\(([A-Z]{3})\)", str(term))  # "yuan (CNY)" -> CNY
    return code.group(1) if code else str(term)


@dataclass
class Statement:
    """A node that points at the entity (a figure, an event, a relation) with all it says."""

    node: Cell
    links: list[str] = field(default_factory=list)
    properties: list[tuple[Cell, Cell]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def entity_page(site: Site, text: str) -> dict[str, Any]:
    """Everything about one entity: its triples, the statements pointing at it, their sources."""
    try:  # the name resolved as any entity parameter is: an id, a name in either language, an IRI
        iri = site.ask(_RESOLVE, {"entity": text}).rows[0][0]
    except UsageError as err:
        raise NotFound(str(err).removeprefix("parameter 'entity': ")) from None
    values = {"entity": str(iri)}
    labels = site.labels()

    def named(term: Node | None) -> Cell:
        shown = cell(term)
        if isinstance(term, URIRef) and str(term) in labels:
            names = labels[str(term)]
            text = names.get("en") or names.get("") or names.get("zh") or shown.text
            return Cell(text, sort=text, href=shown.href, exact=str(term))
        return shown

    own = [(named(p), named(o)) for p, o in site.ask(_OUT, values).rows]
    incoming = site.ask(_IN, values).rows
    around = site.ask(_AROUND, values).rows
    sources: dict[str, dict[str, Any]] = {}
    for source, predicate, value in site.ask(_SOURCES, values).rows:
        entry = sources.setdefault(str(source), {"iri": str(source), "href": entity_href(str(source)),
                                                 "title": "", "url": "", "link": False, "published": "",
                                                 "publisher": ""})
        # Compared as text: the ontology's closed namespace raises on a term this version lacks.
        what = str(predicate)
        if what == _GPU + "url":
            entry["url"] = str(value)
            entry["link"] = bool(_WEB_URL.match(str(value)))  # never a javascript: or data: link
        elif predicate == RDFS.label and (not entry["title"] or getattr(value, "language", None) == "en"):
            entry["title"] = str(value)
        elif what == _GPU + "published":
            entry["published"] = str(value)
        elif what == _GPU + "publisher":
            entry["publisher"] = named(value).text
    for entry in sources.values():
        entry["title"] = entry["title"] or short_name(URIRef(entry["iri"]), PREFIX_TEXT)
    statements: dict[str, Statement] = {}
    for node, predicate in incoming:
        statement = statements.setdefault(str(node), Statement(named(node)))
        statement.links.append(named(predicate).text)
    for node, predicate, value in around:
        statement = statements[str(node)]
        if str(predicate) == _GPU + "source":
            statement.sources.append(str(value))
        statement.properties.append((named(predicate), named(value)))
    names = labels.get(str(iri), {})
    own_sources = [str(o.exact) for p, o in own if p.exact == _GPU + "source"]
    if not own and not statements:
        raise NotFound(f"nothing in the graph is about {short_name(iri, PREFIX_TEXT)}")
    return {
        "iri": str(iri),
        "short": short_name(iri, PREFIX_TEXT),
        "en": names.get("en", ""),
        "zh": names.get("zh", ""),
        "types": [o.text for p, o in own if p.exact == str(RDF.type)],
        "own": own,
        "own_sources": own_sources,
        "statements": sorted(statements.values(), key=lambda s: (s.links, s.node.sort)),
        "sources": sources,
    }


def statement_page(found: Mapping[str, Any], link: str, offset: int, limit: int | None,
                   asked_limit: str | None = None) -> dict[str, Any]:
    """One page of an entity's statements, those that point at it by ``link`` when given, with their count,
    the neighbouring pages and how many point at it by each link (a facet; ``asked_limit`` kept in its links)."""
    statements = found["statements"]
    counts: dict[str, int] = {}
    for statement in statements:
        for name in dict.fromkeys(statement.links):
            counts[name] = counts.get(name, 0) + 1
    chosen = [s for s in statements if link in s.links] if link else statements
    url = "/entity"
    kept = [("iri", found["iri"]), *([("link", link)] if link else [])]
    total = len(chosen)
    end = total if limit is None else min(offset + limit, total)
    links = page_links(url, kept, offset, limit, total)
    by_link = [{"text": name, "count": count, "selected": name == link,
                "href": url + "?" + urlencode([("iri", found["iri"]), *([] if name == link else [("link", name)]),
                                               *([("limit", asked_limit)] if asked_limit else [])])}
               for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    return {"shown_statements": chosen[offset:end], "by_link": by_link if len(counts) > 1 or link else [],
            "statement_page": {"first": min(offset + 1, total), "last": end, "total": total, "all": len(statements),
                               "link": link, **links}}


# --- the SPARQL protocol ----------------------------------------------------------------------


def negotiate(accept: str, requested: str | None, *, graph: bool) -> str:
    """The format to answer in: the one named by ``format``, else the best the Accept header allows."""
    offered = GRAPH_TYPES if graph else {k: v for k, v in RESULT_TYPES.items() if k != "xlsx"}
    if requested:
        # SPARQLWrapper sends a list for some formats (format=application/ld+json,application/x-json+ld).
        names = [_ALIASES.get(part.strip().lower(), part.strip().lower()) for part in requested.split(",")]
        name = next((name for name in names if name in offered), names[0])
        if name in offered:
            return name
        if not graph and name == "xlsx":
            return name
        if graph and name == "json":
            return "jsonld"  # a graph asked for as JSON: JSON-LD
        if graph and name in ("csv", "tsv"):
            return "turtle"  # a client that always asks for a results format gets the graph in Turtle
        raise UsageError(f"unknown format '{requested}'; choose one of {', '.join(offered)}")
    best, best_q = None, 0.0
    for index, part in enumerate(accept.split(",") if accept else []):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        name = _ALIASES.get(media)
        if name in offered and q > best_q:
            best, best_q = name, q
        elif media.endswith("/*") and q * 0.5 > best_q:  # a range: the first format offered within it
            family = media[:-1]
            within = next((n for n, m in offered.items() if m.startswith(family)), None) if family != "*/" else \
                next(iter(offered))
            if within is not None:
                best, best_q = within, q * 0.5
    return best or next(iter(offered))


def complete_job(store: Store, text: str, kind: str | None, limit: int) -> Iterator[list[str]]:
    """The IRIs a name being typed may stand for, found as the command line finds names (kg.query.resolve),
    from the store's naming triples: runs in a worker, which keeps its index of names between requests."""
    resolver = resolver_for(store.naming_graph())
    yield [str(node) for node in resolver.complete(text, URIRef(kind) if kind else None, limit=limit)]


def sparql_job(store: Store, text: str, accept: str, requested: str | None) -> Iterator[tuple[bytes, str]]:
    """A query sent to /sparql, answered in the negotiated format: (body, media type). Runs in a worker, so
    that reading the text, the query and writing the answer all count against the time limit."""
    query = queries_lib.read_plain(text)
    if query.form == "update":
        raise Refused("this endpoint is read-only: SPARQL UPDATE is refused")
    if query.reaches_out:
        raise Refused(f"this endpoint does not fetch data from elsewhere: {', '.join(query.reaches_out)} is refused")
    graph_form = query.form in ("construct", "describe")
    chosen = negotiate(accept, requested, graph=graph_form)
    body = queries_lib.written_here(store, query, chosen)  # a SPARQL client gets the query's own variables
    yield body, (GRAPH_TYPES[chosen] + "; charset=utf-8") if graph_form else _media(chosen)


def _media(name: str) -> str:
    media = RESULT_TYPES[name]
    return media if name == "xlsx" else media + "; charset=utf-8"


class Refused(KgError):
    """What the endpoint does not do: updates, and fetching data from elsewhere."""


# --- the web app -----------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(WEB / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["entity_href"] = entity_href
    return env


class _Headers:
    """Adds the Content-Security-Policy and the other safety headers to every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = {b"content-security-policy": CSP.encode(), b"x-content-type-options": b"nosniff",
                         b"referrer-policy": b"no-referrer", b"x-frame-options": b"DENY",
                         b"cross-origin-resource-policy": b"same-origin"}
                headers += [(name, value) for name, value in extra.items() if name not in names]
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, with_headers)


PAGE_ROWS = 100        # rows on a page of the web app
STATEMENT_ROWS = 50    # statements on a page of an entity
MAX_PAGE_ROWS = 5000   # the most a page may ask for (``limit``)
MAX_HEAD_BYTES = 64 * 1024  # request line and headers: a query longer than this is sent by POST


def page_of(result: Result, offset: int, limit: int | None) -> Result:
    """The rows ``offset`` to ``offset + limit`` of ``result``, with their labels."""
    if result.is_boolean:
        return result
    end = None if limit is None else offset + limit
    return dataclasses.replace(result, rows=result.rows[offset:end])


def paging(params: Mapping[str, str], default: int | None) -> tuple[int, int | None]:
    """``offset`` and ``limit`` of a request: whole numbers, a limit of at most MAX_PAGE_ROWS."""
    def number(name: str, fallback: int | None) -> int | None:
        text = params.get(name)
        if text is None or text == "":
            return fallback
        if not text.isdigit():
            raise UsageError(f"`{name}` is a whole number, not '{text}'")
        return int(text)

    offset = number("offset", 0) or 0
    limit = number("limit", default)
    if limit is not None and limit > MAX_PAGE_ROWS and default is not None:
        raise UsageError(f"`limit` is at most {MAX_PAGE_ROWS:,} rows on a page")
    return offset, limit


def page_links(url: str, params: Mapping[str, str] | Sequence[tuple[str, str]], offset: int, limit: int | None,
               total: int) -> dict[str, str]:
    """The previous and next pages' URLs (absent where there is none)."""
    links: dict[str, str] = {}
    if limit is None or limit <= 0:
        return links
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)

    def at(start: int) -> str:
        return url + "?" + urlencode([*((k, v) for k, v in pairs if k not in ("offset", "limit")),
                                      ("offset", str(start)), ("limit", str(limit))])
    if offset > 0:
        links["prev"] = at(max(offset - limit, 0))
    if offset + limit < total:
        links["next"] = at(offset + limit)
    return links


PAGING_PARAMS = ("offset", "limit")


def result_page(site: Site, query: queries_lib.Query, given: Mapping[str, str], lang: str | None,
                params: Any, url: str, asked: list[tuple[str, str]], headings: Mapping[str, str],
                downloads: Callable[[list[tuple[str, str]]], list[tuple[str, str, str]]]) -> dict[str, Any]:
    """What a result page shows of ``query``'s answer (kg.web.browse): the page of rows asked for, their count
    and the neighbouring pages, facets, the filters on, the columns, the answer drawn, its downloads.
    ``params`` is the request's; ``asked`` the parameters every link of the page keeps."""
    narrowing = browse.narrowing(params.multi_items())
    asked_view = params.get(browse.VIEW_PARAM) or "table"
    offset, limit = paging(params, PAGE_ROWS)
    whole = site.run(query, given, lang=lang)
    lists = {name: separator for name, separator, _ in site.lists_of(query)}
    # What depends on the whole answer (filtered rows, facets, the drawing) is made once for it and kept
    # beside it, so that the next page, like the answer, costs a slice: not a count of 200,000 rows.
    key = (id(whole), narrowing, asked_view, tuple(asked), url, tuple(sorted(lists.items())),
           tuple(sorted(headings.items())), query.title)
    found = site.browsed.get(key)
    if found is not None and found[0] is whole:
        browsed = found[1]
    else:
        rows = browse.narrowed(whole, browse.Narrowing(narrowing.filters), lists)
        result = browse.narrowed(rows, browse.Narrowing((), narrowing.columns))
        views = browse.views_of(result)
        view = asked_view if asked_view in views else "table"  # columns taken away: what is left is a table
        drawn = browse.drawing(result, view, title=query.title or "", headings=headings) if view != "table" else None
        kept = [*asked, *narrowing.params(), *([(browse.VIEW_PARAM, view)] if view != "table" else [])]
        browsed = {"result": result, "kept": kept, "view": view,
                   "chooser": browse.Chooser.of(url, kept, rows, result, narrowing, views, view, headings),
                   "facets": browse.facets(rows, narrowing, url, kept, headings, lists),
                   "drawn": _json_script(drawn) if drawn is not None else None,
                   "drawn_note": (drawn or {}).get("note")}
        site.keep_browsed(key, whole, browsed)
    result = browsed["result"]
    narrowed_params = [(k, v) for k, v in narrowing.params() if k != browse.COLUMN_PARAM] + \
        ([(browse.COLUMN_PARAM, ",".join(narrowing.columns))] if narrowing.columns else [])
    total = len(result.rows)
    links = page_links(url, browsed["kept"], offset, limit, total)
    paged = {"offset": offset, "first": min(offset + 1, total), "last": min(offset + (limit or total), total),
             "total": total, "whole": len(whole.rows), **links}
    return {"table": table(page_of(result, offset, limit), headings), "downloads": downloads(narrowed_params),
            "paged": paged, "chooser": browsed["chooser"], "facets": browsed["facets"], "view": browsed["view"],
            "drawn": browsed["drawn"], "drawn_note": browsed["drawn_note"],
            "filter_columns": result.variables if not result.is_boolean else (), "action": url, "hidden": asked}


def create_app(site: Site, *, allowed_hosts: list[str] | None = None):
    """The Starlette application over ``site``."""
    check_installed()
    env = _environment()

    def page(template: str, status_code: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(env.get_template(template).render(as_of=site.as_of, **context), status_code=status_code)

    def error_page(err: Exception, status: int) -> HTMLResponse:
        return page("error.html", status, message=str(err), status=status)

    def index(request: Request) -> Response:
        by_tag: dict[str, list[queries_lib.Query]] = {}
        for name, query in sorted(site.catalog.items()):
            by_tag.setdefault(query.tags[0] if query.tags else "other", []).append(query)
        return page("index.html", groups=sorted(by_tag.items()), views=_view_links())

    def query_page(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            query = site.saved(name)
        except NotFound as err:
            return error_page(err, 404)
        values = {k: v for k, v in request.query_params.items() if query.param(k) is not None}
        fields = [_field(param, values.get(param.name)) for param in _ordered(query.params)]
        lang = _lang(query, request.query_params)
        if query.param("lang") is None:  # the language of the labels the result layer adds
            fields.append(_LANG_FIELD | {"value": lang or "en"})
        context: dict[str, Any] = {"query": query, "fields": fields}
        given = {k: v for k, v in values.items() if v.strip()}
        shown_lang = lang or given.get("lang") or (query.param("lang").default if query.param("lang") else None)
        headings = queries_lib.headings(shown_lang, site.catalog_dir)
        asked = {**given, **({"lang": lang} if lang and query.param("lang") is None else {})}

        def downloads(narrowed_params: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
            return [(fmt, f"/api/queries/{name}?" + urlencode([*sorted({**asked, "format": fmt}.items()),
                                                                 *narrowed_params]), f"{name}.{fmt}")
                    for fmt in ("csv", "json", "xlsx")]

        try:
            shown = result_page(site, query, given, lang, request.query_params, f"/queries/{name}",
                                sorted(asked.items()), headings, downloads)
        except (UsageError, InputError) as err:
            return page("query.html", 400, error=str(err), **context)
        except (QueryTimeout, QueryTooLarge, Busy) as err:
            return page("query.html", 503, error=str(err), **context)
        return page("query.html", shown=urlencode(sorted(given.items())), **shown, **context)

    def result(request: Request) -> Response:
        """Any SPARQL (the editor's), answered as a saved query's page is: paged, faceted, drawn."""
        text = request.query_params.get("query", "")
        if not text.strip():
            return RedirectResponse("/editor", status_code=303)
        if len(text) > MAX_QUERY_BYTES:
            return error_page(UsageError(f"a query is at most {MAX_QUERY_BYTES:,} bytes"), 413)
        try:  # read as kg query reads inline text: its SPARQL in the worker, within the time limit
            plain = queries_lib.read_plain(text)  # its form and what it reaches, from its tokens
            if plain.form == "update":
                return error_page(Refused("this page is read-only: SPARQL UPDATE is refused"), 403)
            if plain.reaches_out:
                return error_page(Refused("this server does not fetch data from elsewhere: "
                                          f"{', '.join(plain.reaches_out)} is refused"), 403)
            query = dataclasses.replace(queries_lib.parse_query(text, name="query", source=queries_lib.INLINE,
                                                                headers_only=True), title="Your query")
        except InputError as err:
            return error_page(err, 400)
        lang = request.query_params.get("lang") if request.query_params.get("lang") in LANGS else None
        context: dict[str, Any] = {"query": query, "editor": "/editor"}

        def downloads(narrowed_params: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
            return [(fmt, "/sparql?" + urlencode({"query": text, "format": fmt}), f"query.{fmt}")
                    for fmt in ("csv", "json")]

        try:
            shown = result_page(site, query, {}, lang, request.query_params, "/result",
                                [("query", text), *([("lang", lang)] if lang else [])],
                                queries_lib.headings(lang, site.catalog_dir), downloads)
        except (UsageError, InputError) as err:
            return page("result.html", 400, error=str(err), **context)
        except (QueryTimeout, QueryTooLarge, Busy) as err:
            return page("result.html", 503, error=str(err), **context)
        return page("result.html", **shown, **context)

    def api_list(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        listing = [{
            "name": name, "summary": query.title, "description": query.description, "tags": list(query.tags),
            "url": f"{base}/api/queries/{name}",
            "params": [{"name": p.name, "type": p.type, "required": p.required and p.default is None,
                        "default": p.default, "class": str(p.kind) if p.kind else None,
                        "description": p.description, "enum": list(p.choices) or None}
                       for p in _ordered(query.params)],
        } for name, query in sorted(site.catalog.items())]
        return JSONResponse(listing)

    async def api_query(request: Request) -> Response:
        status, body, headers = await answer_api(site, request.path_params["name"], dict(request.query_params),
                                                 request.headers.get("accept", ""),
                                                 str(request.url.replace(query="")))
        return Response(body, status_code=status, headers=headers)

    def complete(request: Request) -> Response:
        kind = request.query_params.get("class") or None
        if kind:
            expanded = queries_lib.expand_name(kind)
            kind = str(expanded) if expanded is not None else None
        found = site.complete(request.query_params.get("q", ""), kind)
        return JSONResponse([entity.as_json() for entity in found])

    def entity(request: Request) -> Response:
        text = request.query_params.get("iri") or request.query_params.get("id") or ""
        if not text.strip():
            return RedirectResponse("/", status_code=303)
        try:
            found = entity_page(site, text)
            offset, limit = paging(request.query_params, STATEMENT_ROWS)
        except NotFound as err:
            return error_page(err, 404)
        except UsageError as err:
            return error_page(err, 400)
        return page("entity.html", **found, **statement_page(found, request.query_params.get("link") or "",
                                                               offset, limit, request.query_params.get("limit")))

    def vis_network(request: Request) -> Response:
        from ..show.views import vis_network_script

        return Response(vis_network_script(), media_type="text/javascript; charset=utf-8",
                        headers={"cache-control": "max-age=3600"})

    def views_page(request: Request) -> Response:
        return page("views.html", views=_view_links())

    def changes_page(request: Request) -> Response:
        """What each source added, moved, confirmed or contradicted, in publication order (kg changes)."""
        if site.facts_dir is None:
            return error_page(NotFound("the changes are worked out from the fact files; this server reads a store"), 404)
        text = request.query_params.get("since", "").strip()
        try:
            since = dt.date.fromisoformat(text) if text else None
        except ValueError:
            return error_page(UsageError(f"since: '{text}' is not a day such as 2025-12-31"), 400)
        found = site.changes(since)
        return page("changes.html", since=text, found=found)

    def view(request: Request) -> Response:
        lang = request.query_params.get("lang", "en")
        if lang not in LANGS:
            lang = "en"
        try:
            data = site.view(request.path_params["name"], lang)
        except NotFound as err:
            return error_page(err, 404)
        return _own_policy(with_way_back(data))

    def chart(request: Request) -> Response:
        lang = request.query_params.get("lang", "en")
        lang = lang if lang in LANGS else "en"
        pages = site.charts(lang)
        name = request.path_params.get("name", "")
        if name not in pages:
            return error_page(NotFound(f"no chart called '{name}'"), 404)
        return _own_policy(with_way_back(pages[name], ("/charts", "charts") if name else None))

    def editor(request: Request) -> Response:
        example = ("PREFIX gpu: <https://w3id.org/gpu-kg/ontology#>\n"
                   "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n\n"
                   "SELECT ?company ?name WHERE {\n  ?company a gpu:ChipDesigner ; rdfs:label ?name .\n"
                   "  FILTER(LANG(?name) = \"en\")\n} ORDER BY ?name\n")
        gallery = {name: {"name": name, "title": query.title or name, "text": query.text}
                   for name, query in sorted(site.catalog.items())}
        response = page("editor.html", example=example, gallery=gallery, gallery_json=_json_script(gallery))
        # YASGUI's table and editor set inline styles as they lay out; styles only, never scripts.
        response.headers["content-security-policy"] = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        return response

    async def sparql(request: Request) -> Response:
        params = dict(request.query_params)
        text = params.get("query")
        if request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in ("application/sparql-query", "application/x-www-form-urlencoded",
                                    "application/sparql-update"):
                return _text("send the query as application/sparql-query or as a form field "
                             "(application/x-www-form-urlencoded)", 415, close=True)
            if content_type == "application/sparql-update":
                return _text("this endpoint is read-only: SPARQL UPDATE is refused", 403, close=True)
            raw = await _body(request, MAX_QUERY_BYTES)
            if raw is None:
                return _text(f"a query is at most {MAX_QUERY_BYTES:,} bytes", 413, close=True)
            body = raw.decode("utf-8", errors="replace")
            if content_type == "application/sparql-query":
                text = body
            else:
                form = dict(parse_qsl(body, keep_blank_values=True))
                params.update(form)
                text = form.get("query", text)
                if "update" in form:
                    return _text("this endpoint is read-only: SPARQL UPDATE is refused", 403)
        if "update" in params and text is None:
            return _text("this endpoint is read-only: SPARQL UPDATE is refused", 403)
        if text is None:
            if "text/html" in request.headers.get("accept", ""):
                return RedirectResponse("/editor", status_code=303)
            return _text("give a SPARQL query in the `query` parameter (SPARQL 1.1 Protocol); "
                         "/editor is an editor for people", 400)
        if len(text) > MAX_QUERY_BYTES:
            return _text(f"a query is at most {MAX_QUERY_BYTES:,} bytes", 413)
        # One graph, the one a remote store names (so `kg query --store sparql+http://.../sparql` can ask it).
        if params.get("default-graph-uri", str(GRAPH_IRI)) != str(GRAPH_IRI) or params.get("named-graph-uri"):
            return _text(f"this endpoint has one graph, <{GRAPH_IRI}>; other default-graph-uri and "
                         "named-graph-uri values are not supported", 400)
        requested = params.get("format") or params.get("output") or params.get("results")
        status, body, headers = await answer_sparql(site, text, request.headers.get("accept", ""), requested)
        return Response(body, status_code=status, headers=headers)

    async def not_found(request: Request, exc) -> Response:
        return error_page(Exception(f"nothing at {request.url.path}"), 404)

    async def failed(request: Request, exc: KgError) -> Response:
        """What went wrong is told to the server's log; a page or a program gets a message naming no file."""
        unavailable = isinstance(exc, Unavailable)
        reason = exc.reason if unavailable and exc.reason is not None else exc
        print(f"kg serve: {request.method} {request.url.path}: {reason}", file=sys.stderr, flush=True)
        status = 503 if unavailable else 500
        shown = Exception(str(exc) if unavailable else "the server could not answer; its log says why")
        if request.url.path.startswith(("/api/", "/sparql")):
            return _text(str(shown), status)
        return error_page(shown, status)

    routes = [
        Route("/", index),
        Route("/queries/{name}", query_page),
        Route("/result", result),
        Route("/api/queries", api_list),
        Route("/api/queries/{name}", api_query),
        Route("/api/complete", complete),
        Route("/entity", entity),
        Route("/views", views_page),
        Route("/changes", changes_page),
        Route("/views/{name}", view),
        Route("/charts", chart),
        Route("/charts/{name}", chart),
        Route("/editor", editor),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/vendor/vis-network.min.js", vis_network),
        Mount("/vendor/vega", StaticFiles(directory=VEGA), name="vega"),
        Mount("/static", StaticFiles(directory=WEB / "static"), name="static"),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOOPBACK_NAMES)]
    hosts = allowed_hosts or LOOPBACK_NAMES
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={404: not_found, KgError: failed})
    return _Headers(_Quick(app, site, hosts))  # outermost, so that even an error page carries the headers


async def answer_sparql(site: Site, text: str, accept: str, requested: str | None) -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers of a SPARQL Protocol answer to ``text``: the query runs in a worker."""
    def plain(message: str, status: int, **extra: str) -> tuple[int, bytes, dict[str, str]]:
        return status, (message.rstrip("\n") + "\n").encode(), {"content-type": "text/plain; charset=utf-8", **extra}

    try:
        ((body, media),) = await site.job(sparql_job, (text, accept, requested), "the query")
    except Refused as err:
        return plain(str(err), 403)
    except InputError as err:
        return plain("\n".join(str(p) for p in err.problems), 400)
    except UsageError as err:
        return plain(str(err), 400)
    except Busy as err:
        return plain(str(err), 503, **{"retry-after": "1"})
    except (QueryTimeout, QueryTooLarge) as err:
        return plain(str(err), 503)
    headers = {"content-type": media, "vary": "accept"}
    if site.version:
        headers["x-kg-store-version"] = site.version
    return 200, body, headers


async def answer_api(site: Site, name: str, params: dict[str, str], accept: str,
                     url: str) -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers of ``/api/queries/NAME``: the page asked for of the whole answer (kept by
    store version, query, parameters and language), with the total and the neighbouring pages in headers."""
    def plain(message: str, status: int, **extra: str) -> tuple[int, bytes, dict[str, str]]:
        return status, (message.rstrip("\n") + "\n").encode(), {"content-type": "text/plain; charset=utf-8", **extra}

    try:  # a saved query is parsed once, off the event loop
        query = site.parsed_saved(name) or await run_in_threadpool(site.saved, name)
    except NotFound as err:
        return plain(str(err), 404)
    requested = params.get("format")
    lang = _lang(query, params)
    values = {k: v for k, v in params.items()
              if k not in ("format", "bom", *PAGING_PARAMS) and not browse.is_browse_param(k)
              and not (k == "lang" and query.param("lang") is None)}
    narrowing = browse.narrowing(params.items())
    try:
        chosen = negotiate(accept, requested, graph=False)
        offset, limit = paging(params, None)
        whole = await site.query(query, values, lang=lang)
        lists = {name: separator for name, separator, _ in query.lists}
        result = browse.narrowed(whole, narrowing, lists)  # the rows and columns a page showed, for its downloads
    except (UsageError, InputError) as err:
        return plain(str(err), 400)
    except Busy as err:
        return plain(str(err), 503, **{"retry-after": "1"})
    except (QueryTimeout, QueryTooLarge) as err:
        return plain(str(err), 503)
    total = len(result.rows)
    headers = {"content-type": _media(chosen), "x-total-count": str(total)}
    if site.version:
        headers["x-kg-store-version"] = site.version
    links = page_links(url, params, offset, limit, total)
    if links:
        headers["link"] = ", ".join(f'<{link}>; rel="{rel}"' for rel, link in links.items())
    if requested:
        headers["content-disposition"] = f'attachment; filename="{name}.{chosen}"'
    bom = chosen == "csv" and params.get("bom") == "1"
    written = (id(whole), narrowing, chosen, offset, limit, bom)
    kept = site.written.get(written)
    if kept is not None and kept[0] is whole:
        return 200, kept[1], headers
    shown = page_of(result, offset, limit)
    try:  # an answer too big for a workbook says so (kg.query.excel), as kg query does
        body = encode(shown, chosen, bom=bom) if len(shown.rows) < 1000 else \
            await run_in_threadpool(encode, shown, chosen, bom=bom)  # a long answer is written off the event loop
    except UsageError as err:
        return plain(str(err), 400)
    site.keep_written(written, whole, body)
    return 200, body, headers


class _Quick:
    """``GET /sparql?query=...`` and ``GET /api/queries/NAME`` answered without the framework's routing and
    request objects, which cost as much as a small query itself; anything else (a POST, a page, a refusal to
    explain) goes on to the app."""

    def __init__(self, app, site: Site, allowed_hosts: list[str]):
        self.app, self.site = app, site
        self.hosts = None if "*" in allowed_hosts else {h.lower() for h in allowed_hosts}

    async def __call__(self, scope, receive, send):
        if self.site.pool.loop is None:  # the pages' own threads send their queries to the pool on this loop
            self.site.pool.loop = asyncio.get_running_loop()
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "GET" or not (
                path == "/sparql" or (path.startswith("/api/queries/") and path.count("/") == 3)):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        given_host = headers.get(b"host", b"").decode("latin-1")
        host = given_host.lower()
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if self.hosts is not None and host not in self.hosts:
            return await self.app(scope, receive, send)  # refused there
        params = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        accept = headers.get(b"accept", b"").decode("latin-1")
        try:
            if path == "/sparql":
                text = params.get("query")
                if text is None or "update" in params or len(text) > MAX_QUERY_BYTES or params.get("named-graph-uri") \
                        or params.get("default-graph-uri", str(GRAPH_IRI)) != str(GRAPH_IRI):
                    return await self.app(scope, receive, send)  # the app says what is wrong
                requested = params.get("format") or params.get("output") or params.get("results")
                status, body, answer_headers = await answer_sparql(self.site, text, accept, requested)
            else:
                url = f"{scope.get('scheme', 'http')}://{given_host}{path}"
                status, body, answer_headers = await answer_api(self.site, path.rsplit("/", 1)[1], params, accept, url)
        except KgError:
            return await self.app(scope, receive, send)  # the app's handler reports it
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer_headers.items()]
                    + [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _text(message: str, status: int, *, busy: bool = False, close: bool = False) -> Response:
    """A plain-text answer for programs; a busy server says when to try again; ``close`` ends the connection
    (a body not read is not waited for)."""
    headers = {"retry-after": "1"} if busy else {}
    if close:
        headers["connection"] = "close"
    return PlainTextResponse(message.rstrip("\n") + "\n", status_code=status, headers=headers)


async def _body(request: Request, most: int) -> bytes | None:
    """The request's body, or None as soon as it is known to be longer than ``most`` bytes: from its
    Content-Length before reading anything, else while it streams in."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > most):
        return None
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > most:
            return None
        parts.append(chunk)
    return b"".join(parts)


def with_way_back(data: bytes, up: tuple[str, str] | None = None) -> bytes:
    """A page of kg.show (a view, a chart) as the app serves it: with links back to the app at the top.
    The same page written by ``kg view`` or ``kg chart`` is a file of its own, with no server to go back to."""
    links = [("/", "gpu-kg")] + ([up] if up else [])
    nav = ('<nav class="kg-back" aria-label="gpu-kg" style="font:14px system-ui,sans-serif;padding:4px 12px">'
           + " · ".join(f'<a href="{href}">{text}</a>' for href, text in links) + "</nav>")
    found = re.search(rb"<body[^>]*>", data)
    if found is None:
        return data
    return data[:found.end()] + b"\n" + nav.encode() + data[found.end():]


def _json_script(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block, with no ``<``, ``>`` or ``&`` to end it early:
    kg.show.views writes its pages' blocks the same way, but importing it loads networkx for every page."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return Markup(text)


def _own_policy(data: bytes) -> Response:
    """A self-contained page of kg.show.views or kg.show.charts with its own policy, which allows its inline
    scripts by their hashes, sent as a header too."""
    found = re.search(rb'http-equiv="Content-Security-Policy" content="([^"]*)"', data)
    headers = {"content-security-policy": found.group(1).decode() if found else CSP}
    return Response(data, media_type="text/html; charset=utf-8", headers=headers)


def _view_links() -> list[dict[str, str]]:
    from ..show.views import NAMED_VIEWS

    return [{"name": name, "title": NAMED_VIEWS[name].title_en, "title_zh": NAMED_VIEWS[name].title_zh,
             "href": f"/views/{name}"} for name in VIEW_NAMES]


_LANG_FIELD = {"name": "lang", "type": "language", "input": "text", "required": False, "any": False, "choices": ("en", "zh"),
               "description": "Language of the labels of entities.", "class": "", "complete": False, "help": ""}


def _lang(query: queries_lib.Query, params: Mapping[str, str]) -> str | None:
    """The language asked for the result's labels, when the query has no ``lang`` parameter of its own."""
    if query.param("lang") is not None:
        return None
    lang = params.get("lang")
    return lang if lang in LANGS else None


def _ordered(params) -> list[queries_lib.Param]:
    return sorted(params, key=lambda p: (p.name == "lang", not p.required, p.name))


def _field(param: queries_lib.Param, given: str | None) -> dict[str, Any]:
    """One form field: its input type, its value (what was given, else the default), its help."""
    value = given if given is not None else (param.default or "")
    if param.type == "iri" and given is None and value:
        value = _key(value)
    kind = {"integer": "number", "decimal": "text", "date": "date"}.get(param.type, "text")
    return {
        "name": param.name, "type": param.type, "input": kind, "value": value,
        "required": param.required and param.default is None,
        "choices": param.choices, "description": param.description,
        "class": _key(str(param.kind)) if param.kind else "", "complete": param.type == "iri",
        "help": queries_lib.describe_type(param),
    }


# --- running the server -----------------------------------------------------------------------


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound before anything starts: a port in use is a message, not a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is in use (another kg serve?); give another with --port, "
                             "or --port 0 for any free one") from None
        raise UsageError(f"cannot listen on {host} port {port}: {err.strerror or err}") from None
    sock.set_inheritable(True)
    return sock


def host_names(host: str, allowed: Collection[str] = ()) -> list[str]:
    """The Host names a request may give: loopback names, and for another address that address, this
    machine's names and those ``--allow-host`` adds (never any name: a rebound DNS name is refused)."""
    names = list(LOOPBACK_NAMES)
    if host not in LOOPBACK_NAMES:
        for name in (host if host not in ("0.0.0.0", "::", "[::]") else "", socket.gethostname(), socket.getfqdn()):
            if name and name not in names:
                names.append(name)
    names += [name for name in allowed if name not in names]
    return names


def _protocol():
    """uvicorn's HTTP protocol (httptools when installed), refusing a request whose line and headers pass
    MAX_HEAD_BYTES before reading more of it (h11 has this limit built in)."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - without httptools, h11's own limit
        return "h11"

    class BoundedHead(HttpToolsProtocol):
        _head = 0
        _in_head = True

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head, self._in_head = 0, True

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def data_received(self, data: bytes) -> None:
            if self._in_head:
                end = data.find(b"\r\n\r\n")
                self._head += len(data) if end < 0 else end + 4  # a body in the same read does not count
                if self._head > MAX_HEAD_BYTES and not self.transport.is_closing():
                    self._refuse()
                    return
            super().data_received(data)

        def _refuse(self) -> None:
            message = f"the request line and headers are at most {MAX_HEAD_BYTES:,} bytes; send a long query by POST\n"
            self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; "
                                 b"charset=utf-8\r\nconnection: close\r\ncontent-length: "
                                 + str(len(message)).encode() + b"\r\n\r\n" + message.encode())
            self.transport.close()

    return BoundedHead


def serve(site: Site, *, host: str = LOOPBACK, port: int = DEFAULT_PORT, allowed_hosts: Collection[str] = (),
          started: Callable[[str], None] | None = None) -> None:
    """Serve ``site`` until interrupted (Ctrl-C or SIGTERM: stopped within a second, queries in flight ended);
    ``started`` is told the address once it listens.

    One process answers HTTP (it keeps the whole answers, so that the next page is a slice of one); the
    queries run in the workers of its pool. (Several such processes on one socket gave no more requests a
    second on two cores, where the workers and the clients share the cores, and each kept answers of its own.)
    """
    check_installed()

    sock = listen(host, port)
    site.start()  # the process that holds the graph, forked while this one has no threads yet
    try:
        _run_front(site, sock, host, allowed_hosts, started)
    finally:
        sock.close()
    if site.load_error is not None:
        raise site.load_error


def _run_front(site: Site, sock: socket.socket, host: str, allowed_hosts: Collection[str],
               started: Callable[[str], None] | None) -> None:
    """uvicorn on the socket, until a signal."""
    import uvicorn

    app = create_app(site, allowed_hosts=host_names(host, allowed_hosts))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False,
                            http=_protocol(), timeout_graceful_shutdown=0.5, timeout_keep_alive=5,
                            proxy_headers=False,  # no proxy in front: X-Forwarded-For is not trusted
                            h11_max_incomplete_event_size=MAX_HEAD_BYTES)

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            site.close()  # queries in flight end now, not at their time limit
            super().handle_exit(sig, frame)

        async def shutdown(self, sockets=None) -> None:
            await super().shutdown(sockets=sockets)
            self._captured_signals.clear()  # a signal asked for a normal stop: exit 0, not die of it again

    server = Server(config)

    def load() -> None:
        site.load()
        if site.load_error is not None:
            server.should_exit = True  # nothing to serve: stop, and report why below

    bound = sock.getsockname()
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    original = server.startup

    async def startup(sockets=None):
        await original(sockets=sockets)
        if server.started:
            # Loaded once the socket listens, so that loading does not slow the start down.
            threading.Thread(target=load, name="kg-serve-load", daemon=True).start()
            if started is not None:
                started(f"http://{shown}:{bound[1]}/")

    server.startup = startup  # type: ignore[method-assign]
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # a second Ctrl-C during the stop
        pass
    finally:
        site.close()
