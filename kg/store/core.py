"""What every store shares: the Store interface and its errors, terms between rdflib and
Oxigraph, a query prepared once, a graph handed over as a Document, and SPARQL text with values
bound as terms (kg.store.oxigraph and kg.store.remote implement it; kg.store.open chooses one).

Parameter values are never pasted into query text as the user typed them. In
memory they are rdflib ``initBindings``; elsewhere each value becomes one RDF
term serialised by pyoxigraph (which refuses an IRI with ``>`` or a space in
it) and replaces the variable's tokens, the way SPARQL's SEP-0007
substitution does; each term is checked to be one token, so no value can
change the shape of a query.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..base.errors import KgError, UsageError
from ..base.names import NAME_PREDICATES, TICKER_PREDICATES
from ..base.ontology import GRAPH_IRI, PREFIXES, new_graph
from ..base.values import canonical_decimal
from ..base.progress import QUIET, Progress
from .result import Result, turtle_term


# The predicates that name things: all a parameter resolver needs to find "iluvatar" or "天数智芯".
MEMORY = "memory"
NAMING_PREDICATES = (RDF.type, *NAME_PREDICATES, *TICKER_PREDICATES, RDFS.subClassOf)


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
_XSD_BOOLEAN = str(XSD.boolean)


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


def raw_term(term: Any) -> Any:
    """A pyoxigraph term in the form a worker sends it (plain values, which pickle in C): an IRI as its
    text, a literal as (value, language, datatype), a blank node as (id,)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        return (term.value, term.language or "", term.datatype.value)
    if isinstance(term, ox.BlankNode):
        return (term.value,)
    raise StoreError(f"the store returned an RDF-star triple term ({term}), which gpu-kg does not use")


def raw_from_rdflib(term: Node | None) -> Any:
    """An rdflib term in the same form (a parameter's value, put where its variable was)."""
    if term is None or isinstance(term, URIRef):
        return None if term is None else str(term)
    if isinstance(term, Literal):
        return (str(term), term.language or "", str(term.datatype) if term.datatype else _XSD_STRING)
    return (str(term),)


class TermDecoder:
    """Raw terms back as rdflib's, each distinct one made once per answer (a company or a unit repeated in
    every row is one object: made once, and written once by every writer that keeps them)."""

    def __init__(self) -> None:
        self._made: dict[Any, Node] = {}

    def term(self, raw: Any) -> Node | None:
        if raw is None:
            return None
        made = self._made.get(raw)
        if made is None:
            if type(raw) is str:
                made = URIRef(raw)
            elif len(raw) == 3:
                made = rdflib_literal(raw[0], raw[1] or None, raw[2])
            else:
                made = BNode(raw[0])
            self._made[raw] = made
        return made

    def row(self, raw: tuple) -> tuple:
        return tuple(self.term(value) for value in raw)


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
            return _ill_typed(value, URIRef(datatype))
    elif not _of_its_type(value, datatype):
        return _ill_typed(value, URIRef(datatype))
    return Literal(value, datatype=URIRef(datatype))


# rdflib reads a literal of a datatype it knows into a Python value as it makes it. One that is
# not of its type costs a logged traceback on standard error ("abc"^^xsd:decimal), or is read
# as false and written so from then on ("yes"^^xsd:boolean). A store's literal is handed on as
# the store holds it: the result layer writes an ill-typed one as its text.
_BOOLEAN_TEXTS = frozenset({"true", "false", "1", "0"})


def _of_its_type(lexical: str, datatype: str) -> bool:
    if datatype == _XSD_BOOLEAN:
        return lexical in _BOOLEAN_TEXTS
    from rdflib.term import _toPythonMapping  # rdflib's own readers: what rdflib would fail on

    convert = _toPythonMapping.get(URIRef(datatype))
    if convert is None:
        return True
    try:
        convert(lexical)
    except Exception:  # whatever the reader raises is what rdflib would log
        return False
    return True


class _IllTypedLiteralNoise(logging.Filter):
    """Drops rdflib's logged traceback for a literal that is not of its datatype."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to convert Literal lexical form to value")


@functools.cache
def quiet_ill_typed_literals() -> None:
    """Keep rdflib quiet about ill-typed literals in a query's text (``"abc"^^xsd:decimal``),
    which it reads as it parses: the query is the user's to write, the literal is passed on
    as written, and a traceback on standard error would read as the tool failing.
    Only these two messages of rdflib's are silenced."""
    logging.getLogger("rdflib.term").addFilter(_IllTypedLiteralNoise())
    warnings.filterwarnings("ignore", message="Parsing weird boolean", category=UserWarning)


def _ill_typed(lexical: str, datatype: URIRef) -> Literal:
    """The literal rdflib makes of an ill-typed lexical form (no value, ``ill_typed``), without its log."""
    literal = str.__new__(Literal, lexical)
    literal._language, literal._datatype, literal._value, literal._ill_typed = None, datatype, None, True
    return literal


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

    quiet_ill_typed_literals()
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


OX_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}


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

    def serialized(self, query: Any, format: str) -> bytes | None:
        """The answer written by the engine itself in ``format``, when it can (None: kg.query.results writes it)."""
        return None

    def labels(self, iris: Collection[str]) -> dict[str, dict[str, str]]:
        """The rdfs:labels of each of ``iris``, by language tag ("" for none); the least of each language.

        One query per block of LABEL_BLOCK IRIs here (a server); Oxigraph reads each
        IRI's labels straight from its index of subjects.
        """
        found: dict[URIRef, dict[str, str]] = {}
        ordered = sorted(iris)
        for start in range(0, len(ordered), LABEL_BLOCK):
            block = " ".join(f"<{iri}>" for iri in ordered[start:start + LABEL_BLOCK])
            text = f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {block} }} ?s <{RDFS.label}> ?l }}"
            for subject, label in self.select(Prepared(text, "select", ("s", "l"))).rows:
                if isinstance(label, Literal):
                    keep_least(found.setdefault(str(subject), {}), label.language or "", str(label))
        return found

    @property
    def version(self) -> str:
        """Which graph the store holds now, as far as it can tell (the version an on-disk load wrote); "" if it
        cannot. A server compares it between requests to see a store replaced underneath."""
        return ""

    @property
    def opened_version(self) -> str:
        """The version this store object has open and answers from ("" if it cannot tell)."""
        return self.version

    def ready(self) -> None:
        """Load what every worker process shares (kg.query.workers), before any is forked."""

    def forked(self) -> None:
        """Called in a new worker process: let go of what must not cross a fork (an open database)."""

    def warm(self) -> None:
        """Called in a new worker process before its first query: open what the queries will read."""

    def close(self) -> None:
        """Let go of files and connections."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


LABEL_BLOCK = 2000  # IRIs per VALUES block of a label lookup on a server


def keep_least(by_lang: dict[str, str], lang: str, text: str) -> None:
    """Keep ``text`` as the label in ``lang`` if it is the least so far (code-point order): a stable choice."""
    if lang not in by_lang or text < by_lang[lang]:
        by_lang[lang] = text


def term_bindings(bindings: Mapping[str, Node] | None) -> dict[str, Node]:
    return {str(name).lstrip("?$"): term for name, term in (bindings or {}).items()}


NAMED_MARK = "urn:x-kg:named"


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
