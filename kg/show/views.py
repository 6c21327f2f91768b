"""Graph -> networkx projection -> one self-contained HTML page (or GraphML / GEXF).

The projection (:func:`project`) turns the RDF graph into a ``networkx.MultiDiGraph``
whose nodes are the entities and the facts worth drawing (funding rounds, listing
events, milestones, statements) and whose edges are the relations between them.
Supply relations become edges from supplier to client with the supplier's role as
label; what the article says of the companies as a group (client
``kgr:domestic-gpu-companies``) is kept apart as ``level="group"``. Figures, sources
and quotes are not drawn: they are the key facts and the source sentence of the
node they are about, shown in its tooltip.

A view (:class:`View`) is a part of the projection: a named one (:data:`VIEW_NAMES`),
the neighbourhood of one entity (:func:`ego_view`) or the triples of a query
(:func:`query_view`). :func:`render` writes it as HTML through pyvis, with the
vis-network script pyvis ships inlined, or as GraphML / GEXF for Gephi and Cytoscape.

The page asks nothing of the network: no CDN, no ``lib/`` folder (pyvis's
``write_html`` copies one into the working directory; we only ever render its
template to a string), and a Content-Security-Policy that forbids every fetch and
every script but our own two. Text from the facts reaches the page only as JSON in
``<script type="application/json">`` blocks (``<`` ``>`` ``&`` escaped) and is put on
screen with ``textContent`` or as DOM elements, never as HTML. The same graph gives
the same bytes: nodes and edges sorted, a fixed layout seed, no dates, ids derived
from IRIs.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from rdflib import RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL

from ..base.ontology import PREFIXES
from ..query.resolve import resolver_for
from ..base.errors import UsageError
from ..base.formats import LANGS, VIEW_FORMATS, VIEW_NAMES, pick_format
from ..build.export import check_xml
from ..base.files import write_atomically
from ..base.ontology import GPU, KGR, ontology_graph

_DERIVED_FROM = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")

FORMATS = VIEW_FORMATS
MAX_NODES = 1500          # above this the page draws the best-connected nodes and says how many it left out
LAYOUT_SEED = 20251219    # vis-network's layout.randomSeed: the same picture on every load
TOOLTIP_FACTS = 60        # key facts listed in a tooltip (in two columns past ten) before "and N more"
TOOLTIP_QUOTES = 3

TEMPLATES = Path(__file__).parent / "templates"

# --- classes: how each is drawn ---------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How nodes of one class look: the legend entry."""

    key: str          # the class's local name, or "Other"
    color: str
    shape: str        # a vis-network shape whose label sits outside, so size can vary
    base: float       # size of a node with no edges
    fact: bool = False


# Most specific first: a node takes the first style one of its classes falls under.
STYLES = (
    Style("CompanyGroup", "#0b2e6b", "hexagon", 18),
    Style("ChipDesigner", "#1f66c1", "dot", 12),
    Style("Foundry", "#e8740c", "square", 12),
    Style("PackagingTestHouse", "#a0522d", "square", 12),
    Style("InvestmentFirm", "#228b3b", "diamond", 12),
    Style("StockExchange", "#6a3d9a", "triangle", 12),
    Style("ListingBoard", "#9a6fc4", "triangle", 11),
    Style("ResearchFirm", "#6f6f6f", "triangleDown", 10),
    Style("DataProvider", "#9a9a9a", "triangleDown", 10),
    Style("Organization", "#4f7391", "dot", 10),
    Style("ProductLine", "#d62728", "star", 13),
    Style("ProductGeneration", "#f28e8e", "star", 10),
    Style("Product", "#c2549d", "star", 10),
    Style("BusinessSegment", "#139fb0", "square", 9),
    Style("Location", "#8c6d31", "triangleDown", 9),
    Style("Sector", "#9c9e1f", "triangleDown", 9),
    Style("FundingRound", "#7ccf7c", "diamond", 8, fact=True),
    Style("ListingEvent", "#c9a7e6", "dot", 8, fact=True),
    Style("Milestone", "#ffb457", "dot", 7, fact=True),
    Style("Statement", "#c9c98a", "dot", 6, fact=True),
    Style("SupplyRelation", "#f5c48a", "dot", 6, fact=True),
    Style("Figure", "#8fd4e0", "dot", 6, fact=True),
    Style("Source", "#bdbdbd", "square", 7),
    Style("Period", "#d9d9d9", "dot", 6),
    Style("Concept", "#e6e6e6", "dot", 6),
    Style("Other", "#9e9e9e", "dot", 8),
)
STYLE = {style.key: style for style in STYLES}
# What the whole-graph projection draws; the rest is tooltip material.
DRAWN = frozenset(s.key for s in STYLES[:STYLES.index(STYLE["Statement"]) + 1])

# Relations: the predicate's CURIE, or SUPPLY for a supply relation drawn as an edge.
SUPPLY = "gpu:SupplyRelation"
EDGE_COLORS = {
    SUPPLY: "#e8740c", "gpu:investor": "#228b3b", "gpu:fundedCompany": "#228b3b",
    "gpu:listingCompany": "#6a3d9a", "gpu:venue": "#6a3d9a", "gpu:partOf": "#6a3d9a",
    "gpu:member": "#0b2e6b", "gpu:designedBy": "#1f66c1", "gpu:productLine": "#d62728",
    "gpu:milestoneOf": "#a08c6a",
}
GROUP_EDGE_COLOR = "#e8740c"  # the supply colour, dashed: the same relation, said of the group
EDGE_COLOR = "#8a9bb0"

# Headline metrics lead a tooltip's figures; the rest follow by name.
_METRIC_ORDER = ("revenue", "revenue-cagr", "revenue-share", "gross-margin", "net-loss", "adjusted-net-loss",
                 "net-loss-rate", "cumulative-net-loss", "rd-expense", "rd-expense-ratio", "shipments",
                 "cumulative-deliveries", "customers", "first-day-gain", "first-day-market-cap")

# Metric names short enough to draw under a node.
_SHORT_METRIC = {"first-day-gain": {"en": "day one", "zh": "首日涨幅"},
                 "first-day-market-cap": {"en": "market cap", "zh": "首日市值"}}

# Predicates that never become edges or tooltip lines: they are shown another way.
_NOT_FACTS = frozenset({
    RDF.type, RDFS.label, SKOS.altLabel, GPU.quote, GPU.source, GPU.citedSource, GPU.note, GPU.unit,
    GPU.text, GPU.title, GPU.locator, GPU.rank, GPU.rankReason, _DERIVED_FROM,
})
_NOT_EDGES = frozenset({RDF.type, GPU.source, GPU.citedSource, GPU.publisher, _DERIVED_FROM,
                        GPU.roundingOf, GPU.agreesWith, GPU.conflictsWith})


@dataclass(frozen=True)
class ViewSpec:
    """A named view: the classes and relations it keeps (None: all of them)."""

    title_en: str
    title_zh: str
    about_en: str
    about_zh: str
    classes: frozenset[str] | None = None
    relations: frozenset[str] | None = None
    quiet: frozenset[str] = frozenset()   # classes drawn without a label: their words are in the tooltip
    linked_only: bool = False             # a page leaves out nodes with no edge (exports keep them)


_DESIGNERS_AND_PRODUCTS = {"ChipDesigner", "ProductLine", "ProductGeneration", "Product"}
NAMED_VIEWS = {
    "supply-chain": ViewSpec(
        "Supply chain", "供应链",
        "Chip designers, their products, foundries and packaging-and-test partners; dashed edges are what "
        "the article says of the domestic GPU companies as a group.",
        "芯片设计企业及其产品、晶圆代工厂与封测企业;虚线为文章对国产GPU企业整体的表述。",
        frozenset(_DESIGNERS_AND_PRODUCTS | {"CompanyGroup", "Foundry", "PackagingTestHouse"}),
        frozenset({SUPPLY, "gpu:designedBy", "gpu:productLine", "gpu:member"}),
    ),
    "capital": ViewSpec(
        "Capital: funding and listings", "资本:融资与上市",
        "Investors, funding rounds with their valuations, and listings with exchange, dates and first-day figures.",
        "投资方、融资轮次及估值,上市事件及交易所、日期与首日数据。",
        frozenset({"ChipDesigner", "InvestmentFirm", "Organization", "FundingRound", "ListingEvent", "StockExchange",
                   "ListingBoard"}),
        frozenset({"gpu:investor", "gpu:cornerstoneInvestor", "gpu:fundedCompany", "gpu:listingCompany", "gpu:venue",
                   "gpu:partOf"}),
    ),
    "products": ViewSpec(
        "Products and milestones", "产品与里程碑",
        "Companies, product lines, generations and their milestones.",
        "企业、产品系列、产品代际及其里程碑。",
        frozenset(_DESIGNERS_AND_PRODUCTS | {"Milestone"}),
        frozenset({"gpu:designedBy", "gpu:productLine", "gpu:milestoneOf"}),
    ),
    "all": ViewSpec(
        "The whole graph", "全图",
        "Every entity with a relation to draw, and every funding round, listing event, milestone and statement "
        "(statements unlabelled: hover one to read it).",
        "全部有关系可画的实体,以及全部融资、上市事件、里程碑与陈述(陈述不标文字,悬停可读)。",
        quiet=frozenset({"Statement"}), linked_only=True,
    ),
}


@dataclass(frozen=True)
class View:
    """A network to draw, with its titles; ``network`` is a part of the projection."""

    name: str
    title_en: str
    title_zh: str
    network: nx.MultiDiGraph = field(compare=False)
    about_en: str = ""
    about_zh: str = ""
    quiet: frozenset[str] = frozenset()   # classes drawn without a label (see ViewSpec)
    linked_only: bool = False             # see ViewSpec

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def about(self, lang: str) -> str:
        return self.about_zh if lang == "zh" else self.about_en


# --- names and labels -------------------------------------------------------------------


@cache
def _prefixes() -> tuple[tuple[str, str], ...]:
    # Longest namespace first, so kgr: wins over a shorter one that prefixes it.
    return tuple(sorted(((str(ns), p) for p, ns in PREFIXES.items()), key=lambda item: -len(item[0])))


@lru_cache(maxsize=1 << 16)
def curie(term: URIRef | BNode) -> str:
    """``kgr:iluvatar`` for an IRI under a known prefix, ``<iri>`` otherwise: the node ids."""
    if isinstance(term, BNode):
        return f"_:{term}"
    text = str(term)
    for namespace, prefix in _prefixes():
        if text.startswith(namespace) and len(text) > len(namespace):
            return f"{prefix}:{text[len(namespace):]}"
    return f"<{text}>"


def _texts(graph: Graph, subject, predicate) -> list[Literal]:
    return sorted((o for o in graph.objects(subject, predicate) if isinstance(o, Literal)), key=str)


def _in_lang(literals: list[Literal], lang: str) -> str | None:
    for literal in literals:
        if literal.language == lang:
            return str(literal)
    return None


def _name(graph: Graph, term, lang: str, labels: list[Literal] | None = None) -> str:
    """The label of ``term`` in ``lang``; the other language, a plain label or its id otherwise."""
    labels = labels or _texts(graph, term, RDFS.label) or _texts(ontology_graph(), term, RDFS.label)
    other = "zh" if lang == "en" else "en"
    found = _in_lang(labels, lang) or _in_lang(labels, other) or next((str(x) for x in labels), None)
    if found:
        return found
    if isinstance(term, URIRef):
        local = re.split(r"[#/]", str(term))[-1]
        return local or curie(term)
    return str(term)


@cache
def _superclasses() -> dict[URIRef, frozenset[URIRef]]:
    onto = ontology_graph()
    result: dict[URIRef, frozenset[URIRef]] = {}
    for cls in set(onto.subjects(RDF.type, OWL.Class)) | set(onto.subjects(RDFS.subClassOf, None)):
        if isinstance(cls, URIRef):
            result[cls] = frozenset(c for c in onto.transitive_objects(cls, RDFS.subClassOf) if isinstance(c, URIRef))
    return result


@lru_cache(maxsize=None)
def _style_rank(cls: URIRef) -> int:
    """The position in STYLES of the first style ``cls`` falls under (len(STYLES) - 1: "Other")."""
    keys = {curie(c).removeprefix("gpu:") for c in _superclasses().get(cls, {cls})}
    return next((i for i, style in enumerate(STYLES) if style.key in keys), len(STYLES) - 1)


def _style_for(types) -> Style:
    return STYLES[min((_style_rank(cls) for cls in types if isinstance(cls, URIRef)), default=len(STYLES) - 1)]


def class_label(key: str, lang: str) -> str:
    """The legend text of a class: its label in the ontology."""
    if key == "Other":
        return "other" if lang == "en" else "其他"
    return _name(ontology_graph(), GPU[key], lang)


# --- values in tooltips and labels ------------------------------------------------------


def _plain_number(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def money(amount: Decimal, lang: str) -> str:
    """An amount of yuan as a reader says it: ``CNY 12bn`` / ``120亿元``."""
    if lang == "zh":
        for size, word in ((Decimal(10) ** 8, "亿元"), (Decimal(10) ** 4, "万元")):
            if abs(amount) >= size:
                return f"{_plain_number(amount / size)}{word}"
        return f"{_plain_number(amount)}元"
    for size, word in ((Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "m")):
        if abs(amount) >= size:
            return f"CNY {_plain_number(amount / size)}{word}"
    return f"CNY {_plain_number(amount)}"


def _decimal(literal) -> Decimal | None:
    try:
        return Decimal(str(literal))
    except (InvalidOperation, ValueError):
        return None


def _figure_value(graph: Graph, figure, lang: str) -> str:
    """The value of a figure, short: ``+468.8%``, ``CNY 305.5bn``, ``≥ 290``."""
    value = _decimal(graph.value(figure, GPU.value))
    unit = graph.value(figure, GPU.unit)
    if value is None:
        stated = _texts(graph, figure, GPU.statedValue)
        return str(stated[0]) if stated else ""
    unit_code = _notation(graph, unit)
    if unit == GPU.CNY:
        shown = money(value, lang)
    elif unit_code == "percent":
        shown = f"{_plain_number(value)}%"
    else:
        symbol = _in_lang(_texts(graph, unit, GPU.symbol) or _texts(ontology_graph(), unit, GPU.symbol), "zh")
        shown = f"{_plain_number(value)}{symbol or ''}" if lang == "zh" else f"{_plain_number(value)}"
    if graph.value(figure, GPU.qualifier) == GPU.AtLeast:
        shown = ("超" if lang == "zh" else "≥ ") + shown
    return shown


def _literal_text(graph: Graph, predicate, literal: Literal, lang: str) -> str:
    if predicate in (GPU.preMoneyValuation, GPU.postMoneyValuation):
        amount = _decimal(literal)
        if amount is not None:
            return money(amount, lang)
    return str(literal)


# --- the projection -------------------------------------------------------------------


class _Describer:
    """Node and edge attributes of one RDF graph, for the projection and for query views."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._names: dict = {}
        self._styles: dict = {}
        self._props: dict = {}
        self.figures_of: dict = {}
        for figure in graph.subjects(RDF.type, GPU.Figure):
            host = (graph.value(figure, GPU.listingEvent) or graph.value(figure, GPU.segment)
                    or graph.value(figure, GPU.figureOf))
            if host is not None:
                self.figures_of.setdefault(host, []).append(figure)

    def props(self, node) -> dict:
        """Every predicate of ``node`` with its objects in a stable order: one walk of the store per node."""
        if node not in self._props:
            found: dict = {}
            for predicate, obj in self.graph.predicate_objects(node):
                found.setdefault(predicate, []).append(obj)
            self._props[node] = {p: sorted(objs, key=lambda o: (type(o).__name__, str(o), getattr(o, "language", "") or ""))
                                 for p, objs in found.items()}
        return self._props[node]

    def one(self, node, predicate):
        objects = self.props(node).get(predicate)
        return objects[0] if objects else None

    def literals(self, node, predicate) -> list[str]:
        return [str(o) for o in self.props(node).get(predicate, ()) if isinstance(o, Literal)]

    def evidence(self, node, predicate) -> list[str]:
        """Literals of ``node`` and of its references (one per source, when several sources give it)."""
        found = self.literals(node, predicate)
        for reference in self.props(node).get(_DERIVED_FROM, ()):
            found += self.literals(reference, predicate)
        return found

    def types(self, node) -> set:
        return set(self.props(node).get(RDF.type, ()))

    def style(self, node, extra_types: set = frozenset()) -> Style:
        if extra_types:
            return _style_for(self.types(node) | set(extra_types))
        if node not in self._styles:
            self._styles[node] = _style_for(self.types(node))
        return self._styles[node]

    def name(self, term, lang: str) -> str:
        """``_name`` remembered: predicates, vocabulary terms and sources recur on every node."""
        key = (term, lang)
        if key not in self._names:
            labels = [o for o in self.props(term).get(RDFS.label, ()) if isinstance(o, Literal)]
            self._names[key] = _name(self.graph, term, lang, labels)
        return self._names[key]

    def period_end(self, figure) -> str:
        """When a figure's period ends, as an ISO date ("" when undated: sorts first, never "latest")."""
        period = self.graph.value(figure, GPU.period)
        end = self.graph.value(period, GPU.endDate) if period is not None else None
        return str(end) if end is not None else ""

    def figures(self, node) -> list:
        """The figures a node's tooltip lists: the headline metrics first, then by name and period."""
        def order(figure):
            metric = self.graph.value(figure, GPU.metric)
            notation = _notation(self.graph, metric) or ""
            rank = _METRIC_ORDER.index(notation) if notation in _METRIC_ORDER else len(_METRIC_ORDER)
            return rank, self.name(metric, "en").casefold(), self.period_end(figure), str(figure)
        return sorted(self.figures_of.get(node, ()), key=order)

    def fact_lines(self, node, lang: str, extra: list[tuple[URIRef, object]] = ()) -> list[str]:
        """The key facts of ``node`` in ``lang``: its literal and vocabulary values, then its figures."""
        lines: list[tuple[str, str, str]] = []
        by_predicate: dict = {}
        pairs = [(p, o) for p, objs in self.props(node).items() for o in objs] + list(extra)
        for predicate, obj in pairs:
            if predicate in _NOT_FACTS:
                continue
            if isinstance(obj, Literal):
                by_predicate.setdefault(predicate, []).append(obj)
            elif self._is_vocabulary(obj):
                by_predicate.setdefault(predicate, []).append(obj)
        for predicate, objects in by_predicate.items():
            literals = [o for o in objects if isinstance(o, Literal)]
            terms = [o for o in objects if not isinstance(o, Literal)]
            tagged = [o for o in literals if o.language]
            if tagged:  # one language: the view's if there, else what there is
                chosen = [o for o in tagged if o.language == lang] or tagged
                literals = [o for o in literals if not o.language] + chosen
            values = sorted({_literal_text(self.graph, predicate, o, lang) for o in literals})
            values += sorted({self.name(t, lang) for t in terms})
            prop = self.name(predicate, lang)
            lines.append((prop, curie(predicate), ", ".join(values)))
        out = [f"{prop}: {value}" for prop, _, value in sorted(lines)]
        own_name = self.name(node, lang)
        for figure in self.figures(node):
            text = self.name(figure, lang)
            for subject in (self.name(self.graph.value(figure, GPU.figureOf), lang), own_name):
                if text.startswith(subject) and len(text) > len(subject):  # the tooltip already names it
                    text = text[len(subject):].lstrip(" ")
            out.append(text)
        return out

    def _is_vocabulary(self, term) -> bool:
        """Closed-vocabulary terms and periods are values in a tooltip, not nodes."""
        return self.style(term).key in ("Concept", "Period")

    def short_label(self, node, style: Style, lang: str) -> str:
        """The text drawn under a node: its name, or for a fact what it says in a few words."""
        g = self.graph
        zh = lang == "zh"
        when = str(self.one(node, GPU.date) or "")
        if not when and self.one(node, GPU.period) is not None:
            when = self.name(self.one(node, GPU.period), lang)
        if style.key == "FundingRound":
            round_name = self.one(node, GPU.roundName)
            head = (f"{round_name}轮" if zh else f"{round_name} round") if round_name else ("融资" if zh else "funding round")
            lines = [head, when]
            for predicate, word_en, word_zh in ((GPU.preMoneyValuation, "pre-money", "投前估值"),
                                                (GPU.postMoneyValuation, "post-money", "投后估值")):
                amount = _decimal(self.one(node, predicate))
                if amount is not None:
                    lines.append(f"{word_zh}{money(amount, lang)}" if zh else f"{word_en} {money(amount, lang)}")
            return "\n".join(x for x in lines if x)
        if style.key in ("ListingEvent", "Milestone"):
            kind = self.one(node, GPU.eventType if style.key == "ListingEvent" else GPU.milestoneType)
            lines = [self.name(kind, lang) if kind is not None else self.name(node, lang), when]
            # Drawn: the first-day gain, every basis on one line; the other figures are in the tooltip,
            # so a listing's label stays three lines and never covers its neighbours'.
            gains = []
            for figure in self.figures(node):
                if _notation(g, g.value(figure, GPU.metric)) != "first-day-gain":
                    continue
                value = _figure_value(g, figure, lang)
                gains.append(value if value.startswith("-") else "+" + value)
            if gains:
                words = _SHORT_METRIC["first-day-gain"][lang]
                lines.append(f"{words}{' / '.join(gains)}" if zh else f"{words} {' / '.join(gains)}")
            return "\n".join(x for x in lines if x)
        name = self.name(node, lang)
        if style.key == "Statement":
            return _shorten(name, 16 if zh else 32)
        return name

    def attributes(self, node, *, extra: list = (), extra_types: set = frozenset()) -> dict:
        style = self.style(node, extra_types)
        aliases = sorted(set(self.literals(node, SKOS.altLabel)))
        quotes = self.evidence(node, GPU.quote)
        notes = self.evidence(node, GPU.note) + [f"({where})" for where in self.evidence(node, GPU.locator)]
        attrs = {
            "iri": str(node),
            "cls": style.key,
            "name_en": self.name(node, "en"),
            "name_zh": self.name(node, "zh"),
            "label_en": self.short_label(node, style, "en"),
            "label_zh": self.short_label(node, style, "zh"),
            "aliases": "; ".join(aliases),
            "facts_en": "\n".join(self.fact_lines(node, "en", extra)),
            "facts_zh": "\n".join(self.fact_lines(node, "zh", extra)),
            "quotes": "\n".join(quotes),
            "note": "\n".join(notes),
            "source_en": self.sources(node, "en"),
            "source_zh": self.sources(node, "zh"),
        }
        attrs.update(self.latest_figures(node))
        return attrs

    def sources(self, node, lang: str) -> str:
        names = [self.name(s, lang) for s in self.props(node).get(GPU.source, ())]
        cited = [self.name(s, lang) for s in self.props(node).get(GPU.citedSource, ())]
        for reference in self.props(node).get(_DERIVED_FROM, ()):
            cited += [self.name(s, lang) for s in self.props(reference).get(GPU.citedSource, ())]
        text = "; ".join(names)
        if cited:
            text += (" (引用:" if lang == "zh" else " (citing ") + "; ".join(cited) + ")"
        return text

    def latest_figures(self, node) -> dict[str, float]:
        """``figure_<metric>``: the value of the latest figure of each metric, for sizing and for Gephi."""
        latest: dict[str, tuple[str, float]] = {}
        for figure in self.figures(node):
            value = _decimal(self.graph.value(figure, GPU.value))
            notation = _notation(self.graph, self.graph.value(figure, GPU.metric))
            if value is None or notation is None:
                continue
            when = self.period_end(figure)
            key = f"figure_{notation}"
            if key not in latest or when >= latest[key][0]:
                latest[key] = (when, float(value))
        return {key: value for key, (_, value) in sorted(latest.items())}

    def supply_edges(self, nodes: set) -> list[tuple[str, str, str, dict]]:
        g = self.graph
        edges = []
        for fact in g.subjects(RDF.type, GPU.SupplyRelation):
            client, supplier, role = g.value(fact, GPU.client), g.value(fact, GPU.supplier), g.value(fact, GPU.supplierRole)
            if client not in nodes or supplier not in nodes:
                continue
            group = GPU.CompanyGroup in self.types(client)
            role_en, role_zh = (self.name(role, lang) if role is not None else "" for lang in LANGS)
            edges.append((curie(supplier), curie(client), curie(fact), {
                "relation": SUPPLY,
                "level": "group" if group else "company",
                "label_en": role_en + (" (group)" if group else ""),
                "label_zh": role_zh + ("(整体)" if group else ""),
                "fact": curie(fact),
                "quotes": "\n".join(str(q) for q in _texts(g, fact, GPU.quote)),
                "note": "\n".join(str(n) for n in _texts(g, fact, GPU.note)),
                "source_en": self.sources(fact, "en"),
                "source_zh": self.sources(fact, "zh"),
            }))
        return edges


def _notation(graph: Graph, term) -> str | None:
    if term is None:
        return None
    found = graph.value(term, SKOS.notation) or ontology_graph().value(term, SKOS.notation)
    return str(found) if found is not None else None


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _edge_attrs(graph: Graph, predicate: URIRef) -> dict:
    relation = curie(predicate)
    return {
        "relation": relation, "level": "", "fact": "", "quotes": "", "note": "", "source_en": "", "source_zh": "",
        "label_en": _name(graph, predicate, "en"), "label_zh": _name(graph, predicate, "zh"),
    }


def _assemble(nodes: dict[str, dict], edges: list[tuple[str, str, str, dict]]) -> nx.MultiDiGraph:
    """A MultiDiGraph with nodes and edges inserted in sorted order, so every export is stable."""
    network = nx.MultiDiGraph()
    for node_id in sorted(nodes):
        network.add_node(node_id, **dict(sorted(nodes[node_id].items())))
    for source, target, key, attrs in sorted(edges, key=lambda e: (e[0], e[1], e[2])):
        if not network.has_edge(source, target, key):
            network.add_edge(source, target, key=key, **dict(sorted(attrs.items())))
    return network


def project(graph: Graph) -> nx.MultiDiGraph:
    """The graph as a network of entities and facts, labelled in English and Chinese.

    Nodes are keyed by CURIE (``kgr:iluvatar``) and carry ``cls`` (the class they are
    drawn as), ``name_en``/``name_zh``, ``label_en``/``label_zh`` (the short text drawn),
    ``aliases``, ``facts_en``/``facts_zh`` (key facts, one a line), ``quotes`` (source
    sentences), ``source_en``/``source_zh`` and ``figure_<metric>`` values. Edges are
    keyed by relation CURIE and carry ``relation`` and ``label_en``/``label_zh``; supply
    relations are edges supplier -> client keyed by the fact, with ``level`` ``company``
    or ``group``.
    """
    describer = _Describer(graph)
    drawn = {}
    for subject in set(graph.subjects(RDF.type, None)):
        if isinstance(subject, URIRef) and str(subject).startswith(str(KGR)):
            style = describer.style(subject)
            if style.key in DRAWN:
                drawn[subject] = style
    nodes = {curie(s): describer.attributes(s) for s in drawn}
    edges = []
    relations: dict = {}
    for subject in drawn:
        for predicate, obj in ((p, o) for p, objs in describer.props(subject).items() for o in objs):
            if obj in drawn and predicate not in _NOT_EDGES:
                if predicate not in relations:
                    relations[predicate] = _edge_attrs(graph, predicate)
                edges.append((curie(subject), curie(obj), curie(predicate), relations[predicate]))
    edges += describer.supply_edges(set(drawn))
    return _assemble(nodes, edges)


# --- views ----------------------------------------------------------------------------


def named_view(network: nx.MultiDiGraph, name: str) -> View:
    """One of :data:`VIEW_NAMES`, cut from the projection; nodes left without an edge are dropped."""
    if name not in NAMED_VIEWS:
        raise UsageError(f"unknown view '{name}'; choose one of {', '.join(VIEW_NAMES)}{_did_you_mean(name, VIEW_NAMES)}")
    spec = NAMED_VIEWS[name]
    if spec.classes is None:
        part = network
    else:
        keep_nodes = {n for n, cls in network.nodes(data="cls") if cls in spec.classes}
        keep_edges = [(u, v, k) for u, v, k, rel in network.edges(keys=True, data="relation")
                      if rel in spec.relations and u in keep_nodes and v in keep_nodes]
        linked = {n for u, v, _ in keep_edges for n in (u, v)}
        part = _resorted(network, linked, keep_edges)
    return View(name, spec.title_en, spec.title_zh, part, spec.about_en, spec.about_zh, spec.quiet, spec.linked_only)


def _resorted(network: nx.MultiDiGraph, nodes, edges) -> nx.MultiDiGraph:
    node_data = {n: network.nodes[n] for n in nodes}
    edge_data = [(u, v, k, network.edges[u, v, k]) for u, v, k in edges]
    return _assemble(node_data, edge_data)


def _names_of(data: dict) -> list[str]:
    names = [data.get("name_en", ""), data.get("name_zh", "")]
    names += [a for a in data.get("aliases", "").split("; ") if a]
    return [n for n in names if n]


def find_node(network: nx.MultiDiGraph, text: str, graph: Graph | None = None) -> str:
    """The node ``text`` names, found as every name is (kg.query.resolve): its id, IRI, a name in
    either language, an alias, a short name (``摩尔``, ``中芯``), and with ``graph`` a legal name or ticker.

    Without ``graph`` the names are those the network's nodes carry.
    """
    nodes = {URIRef(data["iri"]): node for node, data in network.nodes(data=True) if data.get("iri")}
    resolver = resolver_for(graph if graph is not None else _naming_graph(network))
    found = resolver.matches(text, set(nodes)) if text.strip() else []
    if len(found) == 1:
        return nodes[found[0]]
    if len(found) > 1:
        raise UsageError(f"'{text}' names {len(found)} nodes ({', '.join(nodes[n] for n in found)}); give one of these ids")
    elsewhere = resolver.matches(text) if text.strip() else []
    if len(elsewhere) == 1 and graph is not None:
        what = resolver.entity(elsewhere[0])
        kind = f" ({what.kinds[0]})" if what.kinds else ""
        raise UsageError(f"'{text}' is {resolver.label(elsewhere[0])}{kind}, which the network views do not draw "
                         "(figures, metrics and periods are in the tooltips of what they are about)")
    close = [nodes[n].removeprefix("kgr:") for n in resolver.closest(text, set(nodes))]
    hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
    raise UsageError(f"no entity named '{text}'{hint}")


def _naming_graph(network: nx.MultiDiGraph) -> Graph:
    """The names the network's nodes carry, as triples a resolver reads (kept while the network lives)."""
    kept = network.graph.get("_names")
    if kept is None or kept[0] != network.number_of_nodes():
        names = Graph()
        for _, data in network.nodes(data=True):
            if not data.get("iri"):
                continue
            iri = URIRef(data["iri"])
            names.add((iri, RDF.type, URIRef(str(GPU) + (data.get("cls") or "Thing"))))
            for lang in LANGS:
                if data.get(f"name_{lang}"):
                    names.add((iri, RDFS.label, Literal(data[f"name_{lang}"], lang=lang)))
            for alias in (a for a in data.get("aliases", "").split("; ") if a):
                names.add((iri, SKOS.altLabel, Literal(alias)))
        kept = (network.number_of_nodes(), names)
        network.graph["_names"] = kept
    return kept[1]


def _did_you_mean(text: str, choices) -> str:
    close = difflib.get_close_matches(text, list(choices), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def ego_view(network: nx.MultiDiGraph, focus: str, depth: int = 1, graph: Graph | None = None) -> View:
    """The nodes within ``depth`` edges of ``focus`` (either direction), and the edges between them;
    ``graph``, the one the network was drawn from, names the focus as the command line finds names."""
    if depth < 0:
        raise UsageError(f"--depth must be 0 or more, not {depth}")
    center = find_node(network, focus, graph)
    near = nx.single_source_shortest_path_length(network.to_undirected(as_view=True), center, cutoff=depth)
    edges = [(u, v, k) for u, v, k in network.edges(keys=True) if u in near and v in near]
    data = network.nodes[center]
    part = _resorted(network, near, edges)
    part.graph["focus"] = center
    slug = "focus-" + re.sub(r"[^A-Za-z0-9._-]+", "-", center.removeprefix("kgr:")).strip("-")
    return View(
        slug,
        f"Around {data['name_en']} (depth {depth})",
        f"{data['name_zh']}周边({depth}层)",
        part,
        f"Everything within {depth} edge{'s' if depth != 1 else ''} of {data['name_en']}.",
        f"与{data['name_zh']}相距{depth}步以内的节点。",
    )


def query_view(graph: Graph, result: Any, *, name: str = "query") -> View:
    """The triples a CONSTRUCT query built, or the rows of a ``SELECT ?s ?p ?o``, as a network.

    ``result`` is what ``kg.query.catalog.run`` answered (the one guarded way to run a
    query: read-only, no SERVICE unless allowed, time-limited), or query text,
    which is run that way. Nodes are
    described from ``graph`` (names, class, key facts); a literal object becomes
    a key fact of its subject, ``rdf:type`` gives the class, anything else is an edge.
    """
    if isinstance(result, str):  # query text: run it the one guarded way
        from ..query import catalog as queries

        result = queries.run(graph, queries.parse_query(result, name=name), labels=False)
    if result.is_boolean:
        raise UsageError("a view needs a CONSTRUCT or a SELECT ?s ?p ?o query, not ASK")
    names = list(result.variables)
    if names == ["subject", "predicate", "object"]:
        columns = (0, 1, 2)
    elif {"s", "p", "o"} <= set(names):
        columns = (names.index("s"), names.index("p"), names.index("o"))
    else:
        raise UsageError(f"a SELECT view needs the variables ?s ?p ?o; this one selects "
                         f"{' '.join('?' + n for n in names)}")
    triples = [(row[columns[0]], row[columns[1]], row[columns[2]]) for row in result.rows
               if all(row[i] is not None for i in columns)]
    extra_types: dict = {}
    extra_facts: dict = {}
    node_terms: set = set()
    edge_triples = []
    for s, p, o in triples:
        if isinstance(s, Literal) or not isinstance(p, URIRef):
            continue
        node_terms.add(s)
        if p == RDF.type:
            extra_types.setdefault(s, set()).add(o)
        elif isinstance(o, Literal):
            if (s, p, o) not in graph:
                extra_facts.setdefault(s, []).append((p, o))
        else:
            node_terms.add(o)
            edge_triples.append((s, p, o))
    describer = _Describer(graph)
    nodes = {}
    for term in node_terms:
        nodes[curie(term)] = describer.attributes(
            term, extra=extra_facts.get(term, []), extra_types=extra_types.get(term, set()))
    edges = [(curie(s), curie(o), curie(p), _edge_attrs(graph, p)) for s, p, o in edge_triples]
    return View(name, f"Query: {name}", f"查询:{name}", _assemble(nodes, edges),
                f"{len(triples)} result triples.", f"查询结果共{len(triples)}条三元组。")


def check_request(*, name=None, focus=None, query_file=None) -> None:
    """Exactly one of a view name, a focus entity or a query file; checked before any work is done."""
    if sum(x is not None for x in (name, focus, query_file)) != 1:
        raise UsageError(f"give one of a view name ({', '.join(VIEW_NAMES)}), --focus ENTITY or --query FILE")


def select_view(graph: Graph, *, name: str | None = None, focus: str | None = None, depth: int = 1,
                query_file: str | Path | None = None) -> View:
    """The view the command line asks for: exactly one of a name, a focus entity or a query file."""
    check_request(name=name, focus=focus, query_file=query_file)
    if query_file is not None:
        from ..query import catalog as queries

        found = queries.load_query(query_file)
        return query_view(graph, queries.run(graph, found, labels=False), name=Path(query_file).stem)
    network = project(graph)
    if focus is not None:
        return ego_view(network, focus, depth, graph)
    return named_view(network, name)


# --- limiting what the browser has to lay out -------------------------------------------


def drawable(view: View) -> nx.MultiDiGraph:
    """What a page of ``view`` may draw: its network, without the nodes that have no edge when the
    view says so (an outlet that only published a source is tooltip material, not a dot on its own)."""
    if not view.linked_only:
        return view.network
    linked = {n for u, v, _ in view.network.edges(keys=True) for n in (u, v)}
    if len(linked) == view.network.number_of_nodes():
        return view.network
    part = _resorted(view.network, linked, list(view.network.edges(keys=True)))
    part.graph.update(view.network.graph)
    return part


def limit(network: nx.MultiDiGraph, max_nodes: int = MAX_NODES) -> tuple[nx.MultiDiGraph, int]:
    """The network a page draws: at most ``max_nodes`` nodes, the best connected; and how many were left out.

    A focus node is always kept. Ties are broken by id, so the cut is stable.
    """
    total = network.number_of_nodes()
    if total <= max_nodes:
        return network, 0
    focus = network.graph.get("focus")
    ranked = sorted(network.nodes, key=lambda n: (n != focus, -network.degree(n), n))
    keep = set(ranked[:max_nodes])
    edges = [(u, v, k) for u, v, k in network.edges(keys=True) if u in keep and v in keep]
    part = _resorted(network, keep, edges)
    part.graph.update(network.graph)
    return part, total - max_nodes


# --- rendering ------------------------------------------------------------------------


def format_for(name: str | None, path: str | Path | None) -> str:
    """The view format asked for, or the one the file's suffix implies (html by default)."""
    return pick_format(name, path, FORMATS, "html", noun="view format")


def render(view: View, format: str = "html", *, lang: str = "en", size_by: str = "degree",
           max_nodes: int = MAX_NODES) -> bytes:
    """The view as bytes in ``format`` (html, graphml, gexf or png); the same view always gives the same bytes
    (a PNG is a picture of the page in Chromium: the same on one machine, not byte for byte across fonts)."""
    if lang not in LANGS:
        raise UsageError(f"unknown language '{lang}'; choose one of {', '.join(LANGS)}")
    format = format_for(format, None)
    if format == "html":
        return render_html(view, lang=lang, size_by=size_by, max_nodes=max_nodes)
    if format == "png":  # the page itself, once its layout has settled (vis-network draws on a canvas)
        from .fonts import need_cjk_font
        from .snapshot import page_png

        if lang == "zh":
            need_cjk_font()  # Chromium would draw a box for every Chinese label

        return page_png(render_html(view, lang=lang, size_by=size_by, max_nodes=max_nodes),
                        ready="window.kgView && window.kgView.ready && window.kgView.showWhole()", selector=".kg-body")
    return _render_exchange(view.network, format, lang)


def _exchange_copy(network: nx.MultiDiGraph, lang: str, *, gexf: bool) -> nx.MultiDiGraph:
    """A copy with unique edge ids and a ``label``, which Gephi and Cytoscape show."""
    copy = nx.MultiDiGraph()
    for node, data in network.nodes(data=True):
        attrs = dict(data)
        attrs["label"] = data.get(f"name_{lang}", node)
        if gexf:
            style = STYLE.get(data.get("cls", "Other"), STYLE["Other"])
            r, g, b = (int(style.color[i:i + 2], 16) for i in (1, 3, 5))
            attrs["viz"] = {"color": {"r": r, "g": g, "b": b, "a": 1.0},
                            "size": _size(style, network.degree(node))}
        copy.add_node(node, **attrs)
    for index, (u, v, _, data) in enumerate(network.edges(keys=True, data=True)):
        attrs = dict(data)
        attrs["label"] = data.get(f"label_{lang}", data.get("relation", ""))
        attrs["id"] = f"e{index}"
        copy.add_edge(u, v, key=f"e{index}", **attrs)
    return copy


def _render_exchange(network: nx.MultiDiGraph, format: str, lang: str) -> bytes:
    if format == "graphml":
        text = "\n".join(nx.generate_graphml(_exchange_copy(network, lang, gexf=False), named_key_ids=True,
                                             edge_id_from_attribute="id"))
    else:
        text = "\n".join(nx.generate_gexf(_exchange_copy(network, lang, gexf=True)))
        # networkx stamps today's date on <meta>; a view must not change from one day to the next.
        text = re.sub(r' lastmodifieddate="[^"]*"', "", text, count=1)
    data = (text + "\n").encode("utf-8")
    check_xml(data, "GraphML" if format == "graphml" else "GEXF")  # a control character in a name breaks XML
    return data


def _size(style: Style, degree: int) -> float:
    return round(style.base + 4.0 * math.sqrt(degree), 2)


def _sizes(network: nx.MultiDiGraph, size_by: str) -> dict[str, float]:
    if size_by == "degree":
        return {n: _size(STYLE[network.nodes[n]["cls"]], network.degree(n)) for n in network}
    key = "figure_" + size_by
    values = {n: d[key] for n, d in network.nodes(data=True) if isinstance(d.get(key), (int, float))}
    if not values:
        known = sorted({k.removeprefix("figure_") for _, d in network.nodes(data=True) for k in d
                        if k.startswith("figure_")})
        raise UsageError(f"no node in this view has a '{size_by}' figure; size by 'degree'"
                         + (f" or one of: {', '.join(known)}" if known else ""))
    top = max(abs(v) for v in values.values()) or 1.0
    sizes = {}
    for n in network:
        base = STYLE[network.nodes[n]["cls"]].base
        sizes[n] = round(base + 40.0 * math.sqrt(abs(values[n]) / top), 2) if n in values else round(base * 0.8, 2)
    return sizes


def _vis_node(node: str, data: dict, size: float, lang: str, *, quiet: bool = False) -> dict:
    style = STYLE.get(data["cls"], STYLE["Other"])
    if quiet:  # drawn without words; the tooltip has them
        data = {**data, "label_en": "", "label_zh": ""}
    return {
        "id": node,
        "label": data[f"label_{lang}"],
        "shape": style.shape,
        "size": size,
        "color": {"background": style.color, "border": _darker(style.color),
                  "highlight": {"background": style.color, "border": "#111111"},
                  "hover": {"background": style.color, "border": "#111111"}},
        "font": {"size": 10 if style.key == "Statement" else 11 if style.fact else 14, "color": "#1d2733",
                 "strokeWidth": 3, "strokeColor": "#ffffff"},
        "borderWidth": 1.5,
        "kg": {key: data.get(key, "") for key in (
            "cls", "iri", "name_en", "name_zh", "label_en", "label_zh", "aliases", "facts_en", "facts_zh",
            "quotes", "note", "source_en", "source_zh")},
    }


def _darker(color: str) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(c * 0.7) for c in (r, g, b)))


def _vis_edge(index: int, u: str, v: str, data: dict, lang: str) -> dict:
    relation = data["relation"]
    group = data.get("level") == "group"
    color = GROUP_EDGE_COLOR if group else EDGE_COLORS.get(relation, EDGE_COLOR)
    edge = {
        "id": f"e{index}",
        "from": u,
        "to": v,
        "label": data[f"label_{lang}"],
        "arrows": {"to": {"enabled": True, "scaleFactor": 0.45}},
        "color": {"color": color, "highlight": "#111111", "hover": "#111111", "opacity": 0.85},
        "width": 2.5 if relation == SUPPLY else 1.2,
        "dashes": [9, 6] if group else False,
        # Above the line, so a dashed (group-level) edge stays visibly dashed under its label.
        "font": {"size": 10, "color": "#44505c", "strokeWidth": 3, "strokeColor": "#ffffff", "align": "top"},
        "kg": {key: data.get(key, "") for key in (
            "relation", "level", "label_en", "label_zh", "fact", "quotes", "note", "source_en", "source_zh")},
    }
    return edge


def _options(node_count: int) -> dict:
    """vis-network options: a fixed seed; stabilise (fewer iterations for big graphs), then stop."""
    iterations = 1000 if node_count <= 200 else 400 if node_count <= 800 else 200
    return {
        "autoResize": True,
        "layout": {"randomSeed": LAYOUT_SEED, "improvedLayout": node_count <= 150},
        "physics": {
            "enabled": True,
            "solver": "forceAtlas2Based",
            # Overlap avoidance reads well on small graphs but triples the work on big ones.
            "forceAtlas2Based": {"gravitationalConstant": -160, "centralGravity": 0.015, "springLength": 90,
                                 "springConstant": 0.08, "damping": 0.5,
                                 "avoidOverlap": 0.8 if node_count <= 300 else 0.0},
            "maxVelocity": 60,
            "minVelocity": 0.75,
            "stabilization": {"enabled": True, "iterations": iterations, "updateInterval": 25, "fit": True},
        },
        # Edge labels are drawn once zoomed in far enough to read them (10px at scale >= 0.7).
        # Straight edges: each label sits midway along its edge, where the page can tell what it covers.
        "edges": {"smooth": False,
                  "selectionWidth": 2, "scaling": {"label": {"drawThreshold": 7}}},
        "nodes": {"scaling": {"label": {"enabled": False}}},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": node_count > 300,
                        "navigationButtons": False, "keyboard": False, "multiselect": False},
    }


@cache
def _asset(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


@cache
def vis_network_script() -> str:
    """The vis-network script the views carry, for a page that draws a graph of its own (kg serve's results)."""
    return _vis_js()


def _vis_js() -> str:
    """The vis-network build pyvis ships (the same file its ``in_line`` mode inlines)."""
    script = resources.files("pyvis").joinpath("templates/lib/vis-9.1.2/vis-network.min.js").read_text(encoding="utf-8")
    if "</script" in script.lower():  # would end our <script> element early
        raise AssertionError("vis-network.min.js contains '</script'")
    return script


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _json_block(value) -> Markup:
    """JSON for a ``<script type="application/json">`` block: sorted, with no ``<``, ``>`` or ``&`` left."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return Markup(text)


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, keep_trailing_newline=True)


def _legend(network: nx.MultiDiGraph) -> list[dict]:
    counts: dict[str, int] = {}
    for _, cls in network.nodes(data="cls"):
        counts[cls] = counts.get(cls, 0) + 1
    return [{"key": s.key, "color": s.color, "shape": s.shape, "count": counts[s.key],
             "en": class_label(s.key, "en"), "zh": class_label(s.key, "zh")}
            for s in STYLES if s.key in counts]


def _relations(network: nx.MultiDiGraph) -> list[dict]:
    """The relation filters: one per relation drawn, company- and group-level supply apart."""
    seen: dict[tuple[str, str], dict] = {}
    for _, _, data in network.edges(data=True):
        relation, level = data["relation"], data.get("level", "")
        if (relation, level) in seen:
            seen[relation, level]["count"] += 1
            continue
        group = level == "group"
        if relation == SUPPLY:
            en = class_label("SupplyRelation", "en") + (" (said of the group)" if group else " (company level)")
            zh = class_label("SupplyRelation", "zh") + ("(整体表述)" if group else "(企业层面)")
        else:
            en, zh = data["label_en"], data["label_zh"]
        seen[relation, level] = {
            "key": relation + ("|group" if group else ""), "relation": relation, "level": level,
            "color": GROUP_EDGE_COLOR if group else EDGE_COLORS.get(relation, EDGE_COLOR),
            "dashed": group, "en": en, "zh": zh, "count": 1,
        }
    return [seen[k] for k in sorted(seen, key=lambda k: (k[0] != SUPPLY, k))]


def render_html(view: View, *, lang: str = "en", size_by: str = "degree", max_nodes: int = MAX_NODES) -> bytes:
    """One self-contained page: pyvis's network data and vis-network, our controls, nothing fetched."""
    from pyvis.network import Network  # here, not at the top: it imports IPython, a tenth of a second

    base = drawable(view)
    network, left_out = limit(base, max_nodes)
    sizes = _sizes(network, size_by)

    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line", heading="")
    # Filled directly: add_node/add_edge check for duplicates with list scans (quadratic), and
    # the projection already guarantees unique, sorted ids.
    net.nodes = [_vis_node(n, network.nodes[n], sizes[n], lang, quiet=network.nodes[n]["cls"] in view.quiet)
                 for n in network]
    focus = network.graph.get("focus")
    for node in net.nodes:
        if node["id"] == focus:  # the entity a focus view is about: ringed
            node["borderWidth"] = 5
            node["color"]["border"] = "#111111"
    net.node_ids = [node["id"] for node in net.nodes]
    net.node_map = {node["id"]: node for node in net.nodes}
    net.edges = [_vis_edge(i, u, v, d, lang) for i, (u, v, d) in enumerate(network.edges(data=True))]
    net.options = _options(network.number_of_nodes())
    # Our template, never pyvis's: that one links Bootstrap and a CDN. generate_html renders to a
    # string and writes nothing, unlike write_html, which copies a lib/ folder into the cwd.
    net.templateEnv = _environment()
    net.path = "view.html"

    page = {
        "lang": lang,
        "view": view.name,
        "title": {"en": view.title_en, "zh": view.title_zh},
        "about": {"en": view.about_en, "zh": view.about_zh},
        "total": base.number_of_nodes(),
        "leftOut": left_out,
        "maxNodes": max_nodes,
        "focus": network.graph.get("focus", ""),
        "sizeBy": size_by,
        "tooltipFacts": TOOLTIP_FACTS,
        "tooltipQuotes": TOOLTIP_QUOTES,
        "legend": _legend(network),
        "relations": _relations(network),
    }
    css, app_js, vis_js = _asset("view.css"), _asset("view.js"), _vis_js()
    net.templateEnv.globals.update(
        page=page,
        page_json=_json_block(page),
        nodes_json=_json_block(net.nodes),
        edges_json=_json_block(net.edges),
        options_json=_json_block(json.loads(net.get_network_data()[5])),
        css=Markup(css),
        vis_js=Markup(vis_js),
        app_js=Markup(app_js),
        csp=Markup(f"default-src 'none'; script-src {_sha256(vis_js)} {_sha256(app_js)}; "
                   f"style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"),
    )
    html = net.generate_html(name="view.html")
    return html.encode("utf-8")


# --- every named view at once ---------------------------------------------------------


def counts(view: View, format: str = "html", max_nodes: int = MAX_NODES) -> str:
    """What a written view holds: ``21 nodes, 26 edges``, and how many nodes a page left out."""
    drawn, left_out = limit(drawable(view), max_nodes) if format in ("html", "png") else (view.network, 0)
    text = f"{drawn.number_of_nodes():,} nodes, {drawn.number_of_edges():,} edges"
    return text + (f"; {left_out:,} left out of the page" if left_out else "")


def write_views(graph: Graph, out_dir: str | Path, *, lang: str = "en") -> list[tuple[Path, View | None]]:
    """Write every named view as ``<name>.html`` in ``out_dir``, then an ``index.html`` linking them."""
    out_dir = Path(out_dir)
    network = project(graph)
    written: list[tuple[Path, View | None]] = []
    for name in VIEW_NAMES:
        view = named_view(network, name)
        target = out_dir / f"{name}.html"
        write_atomically(target, render(view, "html", lang=lang))
        written.append((target, view))
    index = out_dir / "index.html"
    # `kg charts` writes beside the views (out/charts next to out/views): the index links its pages when they are there.
    charts_index = out_dir.parent / "charts" / "index.html"
    also = [("../charts/index.html", "Charts and timelines", "图表与时间线")] if charts_index.is_file() else []
    write_atomically(index, render_index([(path.name, view) for path, view in written], lang=lang, also=also))
    return written + [(index, None)]


def render_index(pages: list[tuple[str, View]], *, lang: str = "en",
                 also: list[tuple[str, str, str]] = ()) -> bytes:
    """A page linking the views (file name, view), and other pages (href, English, Chinese title) after them."""
    entries = [{"href": href, "name": view.name, "title_en": view.title_en, "title_zh": view.title_zh,
                "about_en": view.about_en, "about_zh": view.about_zh, "counts": counts(view)}
               for href, view in pages]
    html = _environment().get_template("index.html").render(
        lang=lang, entries=entries, also=also, css=Markup(_asset("view.css")),
        csp=Markup("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"))
    return html.encode("utf-8")
