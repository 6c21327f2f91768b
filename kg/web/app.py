"""``kg serve``: a local, read-only web app and SPARQL endpoint over the graph.

Pages for people (the saved queries as forms, results as sortable tables with
downloads, one page per entity with every statement's source, the network
views, a SPARQL editor) and two interfaces for programs: a SPARQL 1.1 Protocol
endpoint at ``/sparql`` (https://www.w3.org/TR/sparql11-protocol/) and the
saved queries as a web API at ``/api/queries/NAME``, in grlc's style
(https://github.com/CLARIAH/grlc).

Every query, saved, typed in the editor or sent to ``/sparql``, goes through
:func:`kg.query.catalog.run`, the one guarded path: read-only, no SERVICE or LOAD, a
time limit, parameters bound as RDF terms. Pages put text in only through
Jinja's autoescaping, and every response carries a Content-Security-Policy that
allows the app's own scripts and styles and no request to another host.

Starlette (https://www.starlette.io/) answers the requests and uvicorn serves
them; both are the optional extra ``gpu-kg[serve]``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..query import catalog as queries_lib
from ..base.formats import LANGS, VIEW_NAMES
from ..base.ontology import GRAPH_IRI, PREFIXES, new_graph
from ..base.errors import InputError, KgError, UsageError
from ..build.export import serialize
from ..base.ontology import GPU, KGR
from ..query.results import Result, encode, short_name
from ..query.resolve import id_keys, normal_name, resolver_for
from ..store.core import Store
from ..store.oxigraph import MemoryStore
from ..query.tables import amount_text

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


class Site:
    """The graph (or store), the catalog, and what the pages keep between requests."""

    def __init__(self, source: Graph | Store | Callable[[], Graph | Store], *, catalog_dir: str | Path | None = None,
                 timeout: float | None = queries_lib.DEFAULT_TIMEOUT):
        """``source`` is the graph or store, or a function that builds it: then :meth:`load` builds it
        (in the background while the server starts listening) and requests wait for it."""
        self._source: Graph | Store | None = None
        self._loader: Callable[[], Graph | Store] | None = None
        self._loaded = threading.Event()
        self.load_error: KgError | None = None
        if callable(source) and not isinstance(source, (Graph, Store)):
            self._loader = source
        else:
            self._source = source
            self._loaded.set()
        self.catalog_dir = catalog_dir
        self.timeout = timeout
        self._catalog: dict[str, queries_lib.Query] | None = None
        self._catalog_ready = threading.Event()
        if self._loader is None:
            self._load_catalog()
        self._parsed: dict[str, queries_lib.Query] = {}
        self._entities: list[Entity] | None = None
        self._labels: dict[str, dict[str, str]] | None = None
        self._subclasses: dict[str, frozenset[str]] = {}
        self._network = None
        self._views: dict[str, bytes] = {}
        # One request at a time parses SPARQL (pyparsing is not thread-safe) and reads rdflib's graph.
        self._lock = threading.RLock()

    def _load_catalog(self) -> None:
        try:
            self._catalog = queries_lib.load_catalog(self.catalog_dir, headers_only=True)
        finally:
            self._catalog_ready.set()

    @property
    def catalog(self) -> dict[str, queries_lib.Query]:
        self._catalog_ready.wait()
        if self._catalog is None:
            raise Unavailable(f"the saved queries could not be read: {self.load_error}")
        return self._catalog

    def load(self) -> None:
        """Read the catalog and build the graph with the function given; a failure is kept, and told
        to every request."""
        try:
            if self._catalog is None:
                self._load_catalog()
            if self._loader is not None and self._source is None:
                source = self._loader()
                if isinstance(source, Store):
                    source.count()  # a store in memory builds the graph on first use: now, not at a request
                    if isinstance(source, MemoryStore):  # and the index of names the parameters are found by
                        source.index_names()
                self._source = source
            from ..show import views  # noqa: F401 - imported now rather than at the first page that lists the views
        except KgError as err:
            self.load_error = err
        finally:
            self._catalog_ready.set()
            self._loaded.set()

    @property
    def source(self) -> Graph | Store:
        self._loaded.wait()
        if self.load_error is not None:
            raise Unavailable(f"the graph could not be loaded: {self.load_error}")
        assert self._source is not None
        return self._source

    # -- running, always through kg.query.catalog.run --

    def saved(self, name: str) -> queries_lib.Query:
        if name not in self.catalog:
            raise NotFound(f"no saved query called '{name}'")
        with self._lock:
            if name not in self._parsed:
                self._parsed[name] = queries_lib.parsed(self.catalog[name])
            return self._parsed[name]

    def inline(self, text: str, *, keep: bool = True, decorators: bool = True) -> queries_lib.Query:
        """Parse SPARQL text; the app's own queries are kept parsed, a client's are not.

        ``decorators=False`` for the SPARQL endpoint: a client's ``#+`` lines are comments.
        """
        with self._lock:
            if keep and text in self._parsed:
                return self._parsed[text]
            query = queries_lib.parse_query(text, name="query", source=queries_lib.INLINE, decorators=decorators)
            if keep:
                self._parsed[text] = query
            return query

    def run(self, query: queries_lib.Query, values: Mapping[str, str] | None = None, *,
            lang: str | None = None, labels: bool = True) -> Result:
        with self._lock:
            return queries_lib.run(self.source, query, values, lang=lang, timeout=self.timeout, labels=labels)

    def ask(self, text: str, values: Mapping[str, str] | None = None) -> Result:
        """One of the app's own queries (names, an entity's statements): through the same run, unlabelled."""
        return self.run(self.inline(text), values, labels=False)

    def graph(self) -> Graph:
        return self.source.graph() if isinstance(self.source, Store) else self.source

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
        with self._lock:
            source = self.source
            resolver = resolver_for(source.naming_graph() if isinstance(source, Store) else source)
            found = resolver.complete(text, URIRef(kind) if kind else None, limit=limit * 2)
        shown = {entity.iri: entity for entity in self.entities()}  # those with a label to show
        return [shown[str(node)] for node in found if str(node) in shown][:limit]

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


def _key(iri: str) -> str:
    if iri.startswith(str(KGR)):
        return iri[len(str(KGR)):]
    if iri.startswith(str(GPU)):
        return "gpu:" + iri[len(str(GPU)):]
    return iri


class NotFound(KgError):
    """No such page, query or entity."""


class Unavailable(KgError):
    """The graph could not be loaded."""


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
        elif media in ("*/*", "application/*", "text/*") and q > best_q and best is None:
            best, best_q = next(iter(offered)), q * 0.5
    return best or next(iter(offered))


def answer(site: Site, text: str, *, accept: str = "", requested: str | None = None) -> tuple[bytes, str]:
    """A query sent to /sparql answered in the negotiated format: (body, media type)."""
    query = site.inline(text, keep=False, decorators=False)
    if query.form == "update":
        raise Refused("this endpoint is read-only: SPARQL UPDATE is refused")
    graph_form = query.form in ("construct", "describe")
    chosen = negotiate(accept, requested, graph=graph_form)
    result = site.run(query, labels=False)  # a SPARQL client gets the query's own variables, nothing added
    if graph_form:
        out = new_graph()
        for triple in result.rows:
            out.add(tuple(triple))
        media = GRAPH_TYPES[chosen]
        return serialize(out, chosen), media + "; charset=utf-8"
    return encode(result, chosen), _media(chosen)


def _media(name: str) -> str:
    media = RESULT_TYPES[name]
    return media if name == "xlsx" else media + "; charset=utf-8"


class Refused(KgError):
    """What the endpoint does not do: updates."""


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


def create_app(site: Site, *, allowed_hosts: list[str] | None = None):
    """The Starlette application over ``site``."""
    check_installed()
    env = _environment()

    def page(template: str, status_code: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(env.get_template(template).render(**context), status_code=status_code)

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
        try:
            result = site.run(query, given, lang=lang)
        except (UsageError, InputError) as err:
            return page("query.html", 400, error=str(err), **context)
        except queries_lib.QueryTimeout as err:
            return page("query.html", 503, error=str(err), **context)
        shown = urlencode(sorted(given.items()))
        asked = {**given, **({"lang": lang} if lang and query.param("lang") is None else {})}
        downloads = [(fmt, f"/api/queries/{name}?" + urlencode(sorted({**asked, "format": fmt}.items())),
                      f"{name}.{fmt}") for fmt in ("csv", "json", "xlsx")]
        shown_lang = lang or given.get("lang") or (query.param("lang").default if query.param("lang") else None)
        headings = queries_lib.headings(shown_lang, site.catalog_dir)
        return page("query.html", table=table(result, headings), downloads=downloads, shown=shown, **context)

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

    def api_query(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            query = site.saved(name)
        except NotFound as err:
            return PlainTextResponse(str(err) + "\n", status_code=404)
        requested = request.query_params.get("format")
        lang = _lang(query, request.query_params)
        values = {k: v for k, v in request.query_params.items()
                  if k not in ("format", "bom") and not (k == "lang" and query.param("lang") is None)}
        try:
            chosen = negotiate(request.headers.get("accept", ""), requested, graph=False)
            result = site.run(query, values, lang=lang)
        except (UsageError, InputError) as err:
            return PlainTextResponse(str(err) + "\n", status_code=400)
        except queries_lib.QueryTimeout as err:
            return PlainTextResponse(str(err) + "\n", status_code=503)
        try:  # an answer too big for a workbook says so (kg.query.excel), as kg query does
            body = encode(result, chosen, bom=chosen == "csv" and request.query_params.get("bom") == "1")
        except UsageError as err:
            return PlainTextResponse(str(err) + "\n", status_code=400)
        headers = {}
        if requested:
            headers["content-disposition"] = f'attachment; filename="{name}.{chosen}"'
        return Response(body, media_type=_media(chosen), headers=headers)

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
            return page("entity.html", **entity_page(site, text))
        except NotFound as err:
            return error_page(err, 404)

    def views_page(request: Request) -> Response:
        return page("views.html", views=_view_links())

    def view(request: Request) -> Response:
        lang = request.query_params.get("lang", "en")
        if lang not in LANGS:
            lang = "en"
        try:
            data = site.view(request.path_params["name"], lang)
        except NotFound as err:
            return error_page(err, 404)
        return _own_policy(data)

    def chart(request: Request) -> Response:
        lang = request.query_params.get("lang", "en")
        lang = lang if lang in LANGS else "en"
        pages = site.charts(lang)
        name = request.path_params.get("name", "")
        if name not in pages:
            return error_page(NotFound(f"no chart called '{name}'"), 404)
        return _own_policy(pages[name])

    def editor(request: Request) -> Response:
        example = ("PREFIX gpu: <https://w3id.org/gpu-kg/ontology#>\n"
                   "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n\n"
                   "SELECT ?company ?name WHERE {\n  ?company a gpu:ChipDesigner ; rdfs:label ?name .\n"
                   "  FILTER(LANG(?name) = \"en\")\n} ORDER BY ?name\n")
        response = page("editor.html", example=example)
        # YASGUI's table and editor set inline styles as they lay out; styles only, never scripts.
        response.headers["content-security-policy"] = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        return response

    async def sparql(request: Request) -> Response:
        params = dict(request.query_params)
        text = params.get("query")
        if request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            raw = await request.body()
            if len(raw) > MAX_QUERY_BYTES:
                return PlainTextResponse(f"a query is at most {MAX_QUERY_BYTES:,} bytes\n", status_code=413)
            body = raw.decode("utf-8", errors="replace")
            if content_type == "application/sparql-query":
                text = body
            elif content_type == "application/x-www-form-urlencoded":
                form = dict(parse_qsl(body, keep_blank_values=True))
                params.update(form)
                text = form.get("query", text)
                if "update" in form:
                    return PlainTextResponse("this endpoint is read-only: SPARQL UPDATE is refused\n", status_code=403)
            elif content_type == "application/sparql-update":
                return PlainTextResponse("this endpoint is read-only: SPARQL UPDATE is refused\n", status_code=403)
            else:
                return PlainTextResponse("send the query as application/sparql-query or as a form field "
                                         "(application/x-www-form-urlencoded)\n", status_code=415)
        if "update" in params and text is None:
            return PlainTextResponse("this endpoint is read-only: SPARQL UPDATE is refused\n", status_code=403)
        if text is None:
            if "text/html" in request.headers.get("accept", ""):
                return RedirectResponse("/editor", status_code=303)
            return PlainTextResponse("give a SPARQL query in the `query` parameter (SPARQL 1.1 Protocol); "
                                     "/editor is an editor for people\n", status_code=400)
        # One graph, the one a remote store names (so `kg query --store sparql+http://.../sparql` can ask it).
        if params.get("default-graph-uri", str(GRAPH_IRI)) != str(GRAPH_IRI) or params.get("named-graph-uri"):
            return PlainTextResponse(f"this endpoint has one graph, <{GRAPH_IRI}>; other default-graph-uri and "
                                     "named-graph-uri values are not supported\n", status_code=400)
        requested = params.get("format") or params.get("output") or params.get("results")
        try:
            body, media = await run_in_threadpool(answer, site, text, accept=request.headers.get("accept", ""),
                                                  requested=requested)
        except Refused as err:
            return PlainTextResponse(str(err) + "\n", status_code=403)
        except InputError as err:
            return PlainTextResponse("\n".join(str(p) for p in err.problems) + "\n", status_code=400)
        except UsageError as err:
            status = 403 if "SERVICE" in str(err) or "LOAD" in str(err) or "FROM" in str(err) else 400
            return PlainTextResponse(str(err) + "\n", status_code=status)
        except queries_lib.QueryTimeout as err:
            return PlainTextResponse(str(err) + "\n", status_code=503)
        return Response(body, media_type=media, headers={"vary": "accept"})

    async def not_found(request: Request, exc) -> Response:
        return error_page(Exception(f"nothing at {request.url.path}"), 404)

    async def failed(request: Request, exc: KgError) -> Response:
        status = 503 if isinstance(exc, Unavailable) else 500
        if request.url.path.startswith(("/api/", "/sparql")):
            return PlainTextResponse(str(exc) + "\n", status_code=status)
        return error_page(exc, status)

    routes = [
        Route("/", index),
        Route("/queries/{name}", query_page),
        Route("/api/queries", api_list),
        Route("/api/queries/{name}", api_query),
        Route("/api/complete", complete),
        Route("/entity", entity),
        Route("/views", views_page),
        Route("/views/{name}", view),
        Route("/charts", chart),
        Route("/charts/{name}", chart),
        Route("/editor", editor),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=WEB / "static"), name="static"),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOOPBACK_NAMES)]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={404: not_found, KgError: failed})
    return _Headers(app)  # outermost, so that even an error page carries the headers


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


def serve(site: Site, *, host: str = LOOPBACK, port: int = DEFAULT_PORT,
          started: Callable[[str], None] | None = None) -> None:
    """Serve ``site`` until interrupted; ``started`` is told the address once it listens."""
    check_installed()
    import uvicorn

    loopback = host in LOOPBACK_NAMES
    app = create_app(site, allowed_hosts=LOOPBACK_NAMES if loopback else ["*"])
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off",
                            server_header=False)
    server = uvicorn.Server(config)

    def load() -> None:
        site.load()
        if site.load_error is not None:
            server.should_exit = True  # nothing to serve: stop, and report why below

    shown = f"[{host}]" if ":" in host else host
    original = server.startup

    async def startup(sockets=None):
        await original(sockets=sockets)
        if server.started:
            # Built once the socket listens, so that building does not slow the start down.
            threading.Thread(target=load, name="kg-serve-load", daemon=True).start()
            if started is not None:
                started(f"http://{shown}:{port}/")

    server.startup = startup  # type: ignore[method-assign]
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn raises the Ctrl-C again once it has shut down: a normal stop
        pass
    if site.load_error is not None:
        raise site.load_error
