"""What a result page offers beside its rows: filters, facets, a choice of columns, and the result drawn as a
chart, a timeline or a graph where its columns allow.

All of it works on the whole answer the server keeps (kg.web.app's cache), never on one page of it, and is
asked for in the URL the way Datasette asks (https://docs.datasette.io/en/stable/json_api.html#column-filter-arguments):
``company__exact=VALUE`` keeps the rows whose ``company`` is that value (an IRI, a literal's text or an
entity's label), ``company__contains=TEXT`` those where it contains the text (either case), ``_col=company``
(repeated) the columns to show, ``_view=chart`` the way to show them. The same words narrow a download and
``/api/queries/NAME``, so what a page shows is what its CSV holds.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from rdflib import XSD, Literal, URIRef
from rdflib.term import Node

from ..base.errors import UsageError, did_you_mean
from ..base.ontology import PREFIXES
from ..query.results import Result, is_identity_column, short_name
from ..query.tables import amount_text

COLUMN_PARAM = "_col"
VIEW_PARAM = "_view"
# The suffix after ``__``, and how a page says it. ``has`` is for a column that lists items (a GROUP_CONCAT such
# as ``sources``): the rows whose list holds the item (Datasette's ``arraycontains``).
FILTERS = {"exact": "is", "contains": "contains", "has": "has"}
VIEWS = ("table", "chart", "timeline", "graph")
# Columns worth a facet whenever a result has them (the entity, metric, period, source, basis), and
# their usual companions; any other column gets one when it has few distinct values.
FACET_NAMES = ("entity", "company", "organization", "investor", "designer", "metric", "period", "fiscal_period",
               "source", "basis", "kind", "type", "unit", "currency", "sector", "stage", "status", "round",
               "exchange", "board", "product", "fab", "foundry", "place", "city", "role", "relation", "publisher")
MOST_FACETS = 6          # facets shown at most
FACET_VALUES = 10        # values shown in a facet at most
FEW_VALUES = 20          # a column of at most this many distinct values gets a facet
MOST_DRAWN = 2000        # rows drawn in a chart or timeline at most
MOST_NODES = 400         # entities drawn in a graph at most
_DATES = {XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth}
_PREFIX_TEXT = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def is_browse_param(name: str) -> bool:
    """Whether a URL parameter is one of this module's (not a parameter of the query)."""
    return name in (COLUMN_PARAM, VIEW_PARAM) or any(name.endswith("__" + suffix) for suffix in FILTERS)


@dataclass(frozen=True)
class Narrowing:
    """Which rows and columns of a result to show."""

    filters: tuple[tuple[str, str, str], ...] = ()    # (column, "exact" or "contains", value)
    columns: tuple[str, ...] = ()                      # the columns to show, in order; () for all

    def __bool__(self) -> bool:
        return bool(self.filters or self.columns)

    def params(self) -> list[tuple[str, str]]:
        return [(f"{column}__{how}", value) for column, how, value in self.filters] + \
            [(COLUMN_PARAM, column) for column in self.columns]


def narrowing(params: Iterable[tuple[str, str]]) -> Narrowing:
    """The filters and the choice of columns a request's parameters ask for (blank ones ignored)."""
    filters: list[tuple[str, str, str]] = []
    columns: list[str] = []
    for name, value in params:
        if name == COLUMN_PARAM:
            columns.extend(part.strip() for part in value.split(",") if part.strip())
            continue
        column, _, how = name.rpartition("__")
        if column and how in FILTERS and value.strip():
            filters.append((column, how, value.strip()))
    return Narrowing(tuple(filters), tuple(dict.fromkeys(columns)))


def _check_column(name: str, variables: Sequence[str], what: str) -> int:
    if name not in variables:
        raise UsageError(f"{what}: no column '{name}'{did_you_mean(name, variables)}; "
                         f"the columns are {', '.join(variables)}")
    return variables.index(name)


def texts_of(result: Result, term: Node | None) -> tuple[str, ...]:
    """What a filter compares a value with: its text (an IRI, a literal) and its label when it has one."""
    if term is None:
        return ()
    label = result.labels.get(term)
    return (str(term),) if label is None else (str(term), str(label))


def items_of(term: Node | None, separator: str) -> list[str]:
    """The items of a listing cell (``article cnfol-biren-offering``), in order."""
    return [item for item in str(term).split(separator) if item] if term is not None else []


def narrowed(result: Result, asked: Narrowing, lists: Mapping[str, str] | None = None) -> Result:
    """``result`` with only the rows every filter keeps and the columns asked for (labels kept). ``lists``
    names the columns that list items, with their separator (kg.query.catalog.Query.lists)."""
    lists = lists or {}
    if result.is_boolean or not asked:
        return result
    variables = list(result.variables)
    tests = [(_check_column(column, variables, f"{column}__{how}"), how, value.casefold())
             for column, how, value in asked.filters]

    def kept(row: tuple) -> bool:
        for index, how, wanted in tests:
            texts = [text.casefold() for text in texts_of(result, row[index])]
            if how == "exact" and wanted not in texts:
                return False
            if how == "contains" and not any(wanted in text for text in texts):
                return False
            if how == "has" and wanted not in [item.casefold() for item in
                                               items_of(row[index], lists.get(result.variables[index], " "))]:
                return False
        return True

    rows = tuple(row for row in result.rows if kept(row)) if tests else result.rows
    if asked.columns:
        picked = [_check_column(column, variables, COLUMN_PARAM) for column in asked.columns]
        return Result(tuple(variables[i] for i in picked), tuple(tuple(row[i] for i in picked) for row in rows),
                      None, result.labels)
    return dataclasses.replace(result, rows=rows)


# --- facets --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetValue:
    text: str        # as the page shows it: a label, a short name, the literal's text
    value: str       # what the filter is given: the IRI or the literal's text
    count: int
    href: str        # the page with this value's filter added (or, when it is on, taken off)
    selected: bool


@dataclass(frozen=True)
class Facet:
    column: str
    heading: str
    distinct: int
    values: tuple[FacetValue, ...]


def shown_text(result: Result, term: Node | None) -> str:
    """A value as a facet or a drawing names it: an entity by its label, else its short name; a literal's text."""
    if term is None:
        return ""
    label = result.labels.get(term)
    if label is not None:
        return str(label)
    if isinstance(term, URIRef):
        return short_name(term, _PREFIX_TEXT)
    return str(term)


def facets(result: Result, asked: Narrowing, url: str, params: Sequence[tuple[str, str]],
           headings: Mapping[str, str] | None = None, lists: Mapping[str, str] | None = None) -> list[Facet]:
    """Counts of the values of the columns worth a facet, most frequent first, each linked to the page with
    its filter on (Datasette's facets). ``result`` is the answer before the column choice, with the filters on.
    A column that lists items (``lists``: column -> separator) counts each item, and filters by ``has``."""
    if result.is_boolean or not result.rows:
        return []
    lists = lists or {}
    selected = {(column, value) for column, how, value in asked.filters if how in ("exact", "has")}
    found: list[tuple[int, Facet]] = []
    for index, name in enumerate(result.variables):
        if name in lists:
            counts = Counter(Literal(item) for row in result.rows for item in dict.fromkeys(items_of(row[index], lists[name])))
        else:
            counts = Counter(term for row in result.rows if (term := row[index]) is not None)
        if not counts or is_identity_column(name):
            continue
        on = any(column == name for column, _ in selected)
        preferred = name in FACET_NAMES or name.rsplit("_", 1)[-1] in FACET_NAMES
        numeric = all(amount_text(term) is not None for term in counts)
        few = 1 < len(counts) <= FEW_VALUES and len(counts) < len(result.rows)
        if not (on or (preferred and not numeric and len(counts) < len(result.rows)) or (few and not numeric)):
            continue
        values = []
        # The most frequent (ties in the order the rows first give them), then by count and name.
        top = counts.most_common(FACET_VALUES) if len(counts) > 4 * FACET_VALUES else list(counts.items())
        for term, count in sorted(top, key=lambda item: (-item[1], shown_text(result, item[0])))[:FACET_VALUES]:
            value = str(term)
            is_on = (name, value) in selected
            key = f"{name}__{'has' if name in lists else 'exact'}"
            others = [(k, v) for k, v in params if k != "offset" and not (k == key and v == value)]
            href = _link(url, others if is_on else [*others, (key, value)])
            values.append(FacetValue(shown_text(result, term), value, count, href, is_on))
        rank = 0 if on else 1 if preferred else 2
        found.append((rank, Facet(name, (headings or {}).get(name, name), len(counts), tuple(values))))
    found.sort(key=lambda pair: pair[0])  # stable: the query's column order within a rank
    return [facet for _, facet in found[:MOST_FACETS]]


def _link(url: str, params: Sequence[tuple[str, str]]) -> str:
    return url + "?" + urlencode(params) if params else url


def without(params: Sequence[tuple[str, str]], name: str, value: str | None = None) -> list[tuple[str, str]]:
    """``params`` without ``name`` (only its ``value``, when given) and without the page's offset."""
    return [(k, v) for k, v in params if k != "offset" and not (k == name and (value is None or v == value))]


# --- the result as a chart, a timeline, a graph ----------------------------------------------------------


def column_kinds(result: Result) -> list[str]:
    """Each column's kind, from its values in the rows a drawing shows (the first MOST_DRAWN): ``iri``,
    ``number``, ``date``, ``text`` (``empty`` when it has none)."""
    kinds = []
    for index in range(len(result.variables)):
        terms = [term for row in result.rows[:MOST_DRAWN] if (term := row[index]) is not None]
        if not terms:
            kinds.append("empty")
        elif all(isinstance(term, URIRef) for term in terms):
            kinds.append("iri")
        elif all(amount_text(term) is not None for term in terms):
            kinds.append("number")
        elif all(isinstance(term, Literal) and term.datatype in _DATES for term in terms):
            kinds.append("date")
        else:
            kinds.append("text")
    return kinds


def views_of(result: Result) -> tuple[str, ...]:
    """The ways ``result`` can be shown: always a table; a chart with a number and something to name it by;
    a timeline with a date; a graph with two columns of entities."""
    if result.is_boolean or not result.rows:
        return ("table",)
    kinds = column_kinds(result)
    found = ["table"]
    if "number" in kinds and any(kind in ("iri", "text", "date") for kind in kinds):
        found.append("chart")
    if "date" in kinds and any(kind in ("iri", "text") for kind in kinds):
        found.append("timeline")
    if sum(kind == "iri" and not is_identity_column(name) for kind, name in zip(kinds, result.variables)) >= 2:
        found.append("graph")  # a fact's own id is no entity to draw
    return tuple(found)


def _number(term: Node) -> float | None:
    try:
        return float(Decimal(str(term)))
    except (InvalidOperation, ValueError):
        return None


def _href(term: Node | None) -> str:
    return "/entity?" + urlencode({"iri": str(term)}) if isinstance(term, URIRef) else ""


def drawing(result: Result, view: str, *, title: str, headings: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What the page's script draws for ``view``: a Vega-Lite spec (chart, timeline) or nodes and edges (graph)."""
    if view not in views_of(result) or view == "table":
        raise UsageError(f"this result cannot be shown as a {view}; it can be shown as "
                         f"{', '.join(views_of(result))}")
    headings = headings or {}
    kinds = column_kinds(result)
    names = result.variables
    heading = [headings.get(name, name) for name in names]
    if view == "graph":
        return _graph(result, kinds, heading)
    rows = result.rows[:MOST_DRAWN]
    # What names a bar or a point: an entity first, else text, else a date; never a fact's own id.
    naming = sorted((i for i, kind in enumerate(kinds) if kind in ("iri", "text", "date")
                     and not is_identity_column(names[i])), key=lambda i: ("iri", "text", "date").index(kinds[i]))
    if view == "chart":
        value = kinds.index("number")
        category = naming[0]
        others = [i for i in naming if i != category]
        # A second name splits the bars (a company's bar in each period) when it has few values.
        group = next((i for i in others if 1 < len({row[i] for row in rows}) <= 12), None)
        records = [{"x": shown_text(result, row[category]), "y": _number(row[value]),
                    "group": shown_text(result, row[group]) if group is not None else "",
                    "href": _href(row[category])} for row in rows if row[value] is not None]
        encoding: dict[str, Any] = {
            "x": {"field": "x", "type": "nominal", "sort": None, "title": heading[category],
                  "axis": {"labelAngle": -40, "labelLimit": 180}},
            "y": {"field": "y", "type": "quantitative", "title": heading[value], "axis": {"format": ",~r"}},
            "tooltip": [{"field": "x", "title": heading[category]},
                        {"field": "y", "title": heading[value], "format": ","}],
        }
        if group is not None:
            encoding["xOffset"] = {"field": "group", "type": "nominal"}
            encoding["color"] = {"field": "group", "type": "nominal", "title": heading[group]}
            encoding["tooltip"].insert(1, {"field": "group", "title": heading[group]})
        drawn = {"kind": "chart", "rows": len(records), "spec": _spec(title, records, {"type": "bar"}, encoding)}
        units = sorted({shown_text(result, row[i]) for i, name in enumerate(names)
                        if name in ("unit", "currency") or name.endswith(("_unit", "_currency"))
                        for row in rows if row[i] is not None})
        if len(units) > 1:  # one axis for yuan and percent compares nothing
            drawn["note"] = (f"These values are in {len(units)} units ({', '.join(units[:5])}"
                             f"{', ...' if len(units) > 5 else ''}): keep one (under unit) to compare like with like.")
        return drawn
    when = kinds.index("date")
    what = next(i for i in naming if kinds[i] != "date")
    others = [i for i in naming if kinds[i] != "date" and i != what]
    group = next((i for i in others if 1 < len({row[i] for row in rows}) <= 12), None)
    records = [{"when": str(row[when]), "what": shown_text(result, row[what]),
                "group": shown_text(result, row[group]) if group is not None else "",
                "href": _href(row[what])} for row in rows if row[when] is not None]
    encoding = {
        "x": {"field": "when", "type": "temporal", "title": heading[when]},
        "y": {"field": "what", "type": "nominal", "sort": None, "title": heading[what], "axis": {"labelLimit": 220}},
        "tooltip": [{"field": "what", "title": heading[what]}, {"field": "when", "type": "nominal", "title": heading[when]}],
    }
    if group is not None:
        encoding["color"] = {"field": "group", "type": "nominal", "title": heading[group]}
        encoding["tooltip"].append({"field": "group", "title": heading[group]})
    return {"kind": "timeline", "rows": len(records),
            "spec": _spec(title, records, {"type": "point", "filled": True, "size": 90}, encoding)}


def _spec(title: str, records: list[dict[str, Any]], mark: dict[str, Any], encoding: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "title": title, "width": "container",
            "height": 360, "autosize": {"type": "fit-x", "contains": "padding"}, "data": {"values": records},
            "mark": {**mark, "tooltip": True, "cursor": "pointer"}, "encoding": encoding,
            "config": {"font": "system-ui, -apple-system, 'Noto Sans CJK SC', sans-serif"}}


def _graph(result: Result, kinds: list[str], heading: list[str]) -> dict[str, Any]:
    """Each entity a node; each row links the entity of its first entity column to those of the others."""
    entities = [i for i, kind in enumerate(kinds) if kind == "iri" and not is_identity_column(result.variables[i])]
    first, rest = entities[0], entities[1:]
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str, str], dict[str, str]] = {}

    def node(term: Node, column: int) -> str | None:
        key = str(term)
        if key not in nodes:
            if len(nodes) >= MOST_NODES:
                return None
            nodes[key] = {"id": key, "label": shown_text(result, term), "title": key, "group": heading[column],
                          "href": _href(term), "degree": 0}
        return key

    for row in result.rows:
        if row[first] is None or (source := node(row[first], first)) is None:
            continue
        for column in rest:
            if row[column] is None or (target := node(row[column], column)) is None or target == source:
                continue
            key = (source, target, heading[column])
            if key not in edges:
                edges[key] = {"from": source, "to": target, "label": heading[column]}
                nodes[source]["degree"] += 1
                nodes[target]["degree"] += 1
    return {"kind": "graph", "rows": len(result.rows), "nodes": list(nodes.values()), "edges": list(edges.values())}


# --- what the page offers: columns, ways to show, filters on ----------------------------------------------


@dataclass(frozen=True)
class Chooser:
    """The controls above a result: the columns to tick, the ways to show it, the filters that are on (each
    with the link that takes it off), and the parameters a form must carry to keep the rest."""

    columns: tuple[tuple[str, str, bool], ...]        # (variable, heading, shown)
    views: tuple[tuple[str, str, bool], ...]          # (name, href, current)
    filters: tuple[tuple[str, str, str, str], ...]    # (heading, how, value as shown, href without it)
    contains: dict[str, str]                           # column -> the text its filter box holds
    hidden_for_columns: tuple[tuple[str, str], ...]   # what the column form carries besides its boxes
    hidden_for_filters: tuple[tuple[str, str], ...]   # what the filter boxes' form carries besides them

    @classmethod
    def of(cls, url: str, params: Sequence[tuple[str, str]], rows: Result, shown: Result, asked: Narrowing,
           views: Sequence[str], view: str, headings: Mapping[str, str] | None = None) -> Chooser:
        headings = headings or {}
        if rows.is_boolean:
            return cls((), (), (), {}, (), ())
        picked = set(shown.variables)
        columns = tuple((name, headings.get(name, name), name in picked) for name in rows.variables)
        others = [(k, v) for k, v in params if k not in ("offset", VIEW_PARAM)]
        ways = tuple((name, _link(url, others + ([(VIEW_PARAM, name)] if name != "table" else [])), name == view)
                     for name in views)
        labels = {str(term): shown_text(rows, term) for row in rows.rows for term in row if term is not None} \
            if any(how == "exact" for _, how, _ in asked.filters) else {}
        filters = tuple((headings.get(column, column), FILTERS[how], labels.get(value, value),
                         _link(url, without(params, f"{column}__{how}", value)))
                        for column, how, value in asked.filters)
        contains = {column: value for column, how, value in asked.filters if how == "contains"}
        return cls(columns, ways, filters, contains,
                   tuple((k, v) for k, v in params if k not in ("offset", COLUMN_PARAM)),
                   # a hidden column's text filter has no box under a heading: it is carried as it is
                   tuple((k, v) for k, v in params if k != "offset"
                         and not (k.endswith("__contains") and k.removesuffix("__contains") in picked)))
