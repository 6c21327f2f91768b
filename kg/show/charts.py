"""Charts and timelines: query results -> Vega-Lite specs -> one self-contained page, SVG or PNG.

The figures, listing steps, milestones and funding rounds come from SPARQL (the files
in ``queries/charts/``, run through :func:`kg.query.catalog.run` like every other query),
as IRIs plus values; this module labels the IRIs, orders periods by their dates and
kind (never by label), and builds Vega-Lite specs that keep apart what must not be
compared: full years from half years (separate panels, each in time order), one
currency from another (separate rows, each with its own axis: an amount in HKD is
never on a CNY axis, nor summed with one). A lower bound, an upper bound, a range, an
approximation or a forecast is never drawn as an exact value: it gets its own hollow
mark (a triangle pointing the way the value may go, a bar from low to high), stays off
the lines that join exact values, and says what it is in the tooltip with its source.

A page (:func:`render_html`) carries vega, vega-lite and vega-interpreter (vendored in
``kg/vendor/vega``; versions and licences in ``VERSIONS``) and both language versions
of its spec, and fetches nothing: Vega's expressions run through the interpreter (no
``eval``), so the Content-Security-Policy allows only our four scripts by hash. SVG and
PNG come from vl-convert, which renders the same spec without a browser. The same
facts give the same bytes: rows and keys sorted, no dates of writing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from rdflib import RDFS, XSD, Graph, Literal, URIRef

from ..query import catalog as queries_lib
from ..base.errors import UsageError
from ..base.files import write_atomically
from ..base.formats import CHART_FORMATS, CHART_MARKS, CHART_NAMES, LANGS, pick_format
from ..base.ontology import GPU, ontology_graph
from ..query.results import Result
from .fonts import cjk_font_folders, need_cjk_font
from .views import _json_block, _sha256

FORMATS = CHART_FORMATS
MARKS = CHART_MARKS
VENDOR = Path(__file__).parent / "vendor" / "vega"
TEMPLATES = Path(__file__).parent / "templates"
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier; never fetched
# vl-convert renders with its own bundled Vega-Lite; the newest 6.x it has.
VL_CONVERT_VERSION = "6.4"

# --- the vocabulary the charts read, as local names of gpu: terms ----------------------------

# Periods: the order panels come in, and their titles. A period's own order is its dates.
PERIOD_KINDS = ("FiscalYear", "HalfYear", "Quarter", "PeriodSpan", "PointInTime")
PANEL_TITLES = {
    "FiscalYear": ("Full years", "全年"), "HalfYear": ("Half years", "半年度"), "Quarter": ("Quarters", "季度"),
    "PeriodSpan": ("Spans of years", "跨期"), "PointInTime": ("At a date", "时点"),
}
MONEY = {"CNY": ("CNY million", "亿元"), "HKD": ("HKD million", "亿港元"), "USD": ("USD million", "亿美元")}
MONEY_SCALE = {"en": Decimal(10) ** 6, "zh": Decimal(10) ** 8}

# How a value that is not exact is drawn and named: (kind, shape, English, Chinese).
EXACT = "exact"
VALUE_KINDS = {
    "exact": ("circle", "exact", "确数"),
    "lower-bound": ("triangle-up", "lower bound (at least)", "下限(至少)"),
    "upper-bound": ("triangle-down", "upper bound (at most)", "上限(至多)"),
    "range": ("stroke", "range", "区间"),
    "approximate": ("diamond", "approximate", "约数"),
    "forecast": ("square", "forecast, plan or hypothesis", "预测、计划或假设"),
}
APPROXIMATIONS = {"About": ("about", "约"), "Nearly": ("nearly", "近"), "Rounded": ("rounded", "约")}
CIRCUMSTANCES = {"Forecast": ("forecast", "预测"), "Hypothetical": ("hypothetical", "假设"), "Planned": ("planned", "计划")}
BASES = {"AtOpen": ("at the open", "开盘"), "AtClose": ("at the close", "收盘"),
         "IntradayHigh": ("intraday high", "盘中最高"), "BasisNotStated": ("basis not stated", "未说明口径")}
NO_BASIS = "BasisNotStated"

INCOME_METRICS = ("Revenue", "NetLoss", "RDExpense")
OPERATING_METRICS = ("Shipments", "CumulativeDeliveries", "Customers", "Deployments")
LISTING_METRICS = ("FirstDayGain", "FirstDayMarketCap")
METRIC_COLORS = {"Revenue": "#1f66c1", "NetLoss": "#d62728", "RDExpense": "#e8740c", "AdjustedNetLoss": "#9467bd"}
PALETTE = ("#1f66c1", "#d62728", "#e8740c", "#228b3b", "#6a3d9a", "#8c564b", "#139fb0", "#c2549d", "#7f7f7f")


def _local(iri) -> str:
    return re.split(r"[#/]", str(iri))[-1] if iri is not None else ""


# --- labels --------------------------------------------------------------------------------


class Labels:
    """English and Chinese names of IRIs, from the graph and then the ontology; the id when neither has one."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._found: dict[tuple[str, str], str] = {}

    def __call__(self, iri, lang: str) -> str:
        if iri is None:
            return ""
        key = (str(iri), lang)
        if key not in self._found:
            term = URIRef(str(iri))
            labels = [o for g in (self.graph, ontology_graph()) for o in g.objects(term, RDFS.label)
                      if isinstance(o, Literal)]
            other = "zh" if lang == "en" else "en"
            ranked = sorted(labels, key=lambda o: (o.language != lang, o.language != other, str(o)))
            self._found[key] = str(ranked[0]) if ranked else _local(iri)
        return self._found[key]

    def both(self, iri) -> dict[str, str]:
        return {lang: self(iri, lang) for lang in LANGS}


# --- what the queries give -------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a statement comes from: the source, and its words or our pointer into it."""

    iri: str
    title: dict[str, str] = field(compare=False)
    published: str = ""
    url: str = ""
    quote: str = ""
    locator: str = ""

    def text(self, lang: str) -> str:
        parts = [self.title[lang]]
        if self.published:
            parts.append(self.published)
        if self.quote:
            parts.append(f"“{_clip(self.quote)}”")
        elif self.locator:
            parts.append(self.locator)
        if self.url:
            parts.append(self.url)
        return " · ".join(parts)


@dataclass(frozen=True)
class Period:
    """A period node: its kind (a gpu: class) and dates order it; the label only names it."""

    iri: str
    kind: str
    start: str
    end: str
    label: dict[str, str] = field(compare=False)

    @property
    def order(self) -> tuple[str, str, int]:
        return (self.start, self.end, PERIOD_KINDS.index(self.kind))


@dataclass(frozen=True)
class Figure:
    """One figure as a chart needs it: IRIs as local names, values as Decimals, labels in both languages."""

    fact: str
    of: str
    of_label: dict[str, str]
    metric: str
    metric_label: dict[str, str]
    period: Period
    unit: str
    unit_label: dict[str, str]
    qualifier: str
    value: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    approximation: str = ""
    circumstance: str = ""
    basis: str = ""
    event: str = ""
    stated: str = ""
    sources: tuple[Source, ...] = ()
    also: tuple[str, ...] = ()   # other statements of the same value by other sources, drawn as this one

    @property
    def key(self) -> tuple:
        """What the figure is of: two statements with one key and different values disagree."""
        return (self.of, self.metric, self.period.iri, self.unit, self.basis, self.event)

    @property
    def reading(self) -> tuple:
        """The key and how the value reads: statements with one reading say the same thing."""
        return (*self.key, self.qualifier, self.value, self.low, self.high, self.approximation, self.circumstance)

    @property
    def value_kind(self) -> str:
        """How the value reads: exact, a bound, a range, approximate or not (yet) real."""
        if self.circumstance:
            return "forecast"
        if self.qualifier == "AtLeast":
            return "lower-bound"
        if self.qualifier == "AtMost":
            return "upper-bound"
        if self.qualifier == "Range" or (self.value is None and self.low is not None):
            return "range"
        if self.approximation:
            return "approximate"
        return EXACT


@dataclass(frozen=True)
class Event:
    """A dated row of a timeline: a listing step, a milestone or a funding round."""

    fact: str
    kind: str                # ListingEvent, Milestone, FundingRound
    type: str                # HearingPassed, Launched, ... ; a round's name
    type_label: dict[str, str]
    subject: dict[str, str]  # company, or product
    company: dict[str, str]
    line: dict[str, str]
    start: str               # first day the date covers
    end: str                 # last day: the same as start for a day
    precision: str           # day, month, year, period
    stated: str = ""
    venue: dict[str, str] = field(default_factory=dict)
    valuation: Decimal | None = None
    valuation_basis: str = ""
    unit: str = ""
    sources: tuple[Source, ...] = ()

    @property
    def tentative(self) -> bool:
        """Expected or planned, not (yet) happened."""
        return self.type in ("ExpectedListing", "ScheduledListing", "PlannedMassProduction", "PlannedLaunch")


def chart_query(name: str) -> queries_lib.Query:
    """A query of ``queries/charts/`` (packaged beside the saved queries)."""
    return queries_lib.load_query(queries_lib.catalog_dir() / "charts" / f"{name}.rq")


def _decimal(term) -> Decimal | None:
    if term is None:
        return None
    try:
        return Decimal(str(term))
    except (InvalidOperation, ValueError):
        return None


def read_sources(graph, labels: Labels) -> dict[str, tuple[Source, ...]]:
    """Every charted statement's sources, by statement IRI."""
    result = queries_lib.run(_store(graph), chart_query("sources"), labels=False)
    found: dict[str, list[Source]] = {}
    for row in result.records():
        found.setdefault(str(row["fact"]), []).append(Source(
            iri=str(row["source"]), title=labels.both(row["source"]), published=str(row.get("published", "")),
            url=str(row.get("url", "")), quote=str(row.get("quote", "")), locator=str(row.get("locator", ""))))
    return {fact: tuple(sources) for fact, sources in found.items()}


def read_figures(graph, *, company: str | None = None, labels: Labels | None = None,
                 sources: Mapping[str, tuple[Source, ...]] | None = None) -> list[Figure]:
    """The figures about dated periods (best statements where ranked), ordered by IRI."""
    labels = labels or Labels(_rdflib(graph))
    sources = sources if sources is not None else read_sources(graph, labels)
    values = {"company": company} if company else None
    result = queries_lib.run(_store(graph), chart_query("figures"), values, labels=False)
    figures = []
    for row in result.records():
        fact = str(row["fact"])
        period = Period(str(row["period"]), _local(row["period_kind"]), str(row["start"]), str(row["end"]),
                        labels.both(row["period"]))
        figures.append(Figure(
            fact=fact, of=_local(row["of"]), of_label=labels.both(row["of"]), metric=_local(row["metric"]),
            metric_label=labels.both(row["metric"]), period=period, unit=_local(row.get("unit")),
            unit_label=labels.both(row.get("unit")), qualifier=_local(row.get("qualifier")) or "Exact",
            value=_decimal(row.get("value")), low=_decimal(row.get("low")), high=_decimal(row.get("high")),
            approximation=_local(row.get("approximation")), circumstance=_local(row.get("circumstance")),
            basis=_local(row.get("basis")), event=str(row.get("event", "")), stated=str(row.get("stated", "")),
            sources=sources.get(fact, ())))
    return merge_statements(figures)


def merge_statements(figures: Sequence[Figure]) -> list[Figure]:
    """One figure per value said: statements of one value by several sources become one, with every source.

    The best statements of a group are all those that agree most precisely, so two
    sources giving one value are two best statements; a chart draws the value once.
    Statements that disagree stay apart, and each says so.
    """
    by_reading: dict[tuple, list[Figure]] = {}
    for figure in sorted(figures, key=lambda f: f.fact):
        by_reading.setdefault(figure.reading, []).append(figure)
    merged = []
    for same in by_reading.values():
        first = same[0]
        sources = tuple(dict.fromkeys(s for f in same for s in f.sources))
        merged.append(replace(first, sources=sources, also=tuple(f.fact for f in same[1:])))
    return sorted(merged, key=lambda f: f.fact)


def disagreements(figures: Sequence[Figure]) -> set[tuple]:
    """The keys of figures that several statements give different values for."""
    readings: dict[tuple, set[tuple]] = {}
    for figure in figures:
        readings.setdefault(figure.key, set()).add(figure.reading)
    return {key for key, found in readings.items() if len(found) > 1}


def _date_span(term) -> tuple[str, str, str]:
    """(first day, last day, precision) of a date as the graph keeps it: a year, a month or a day."""
    text = str(term)
    datatype = getattr(term, "datatype", None)
    if datatype == XSD.gYear or re.fullmatch(r"\d{4}", text):
        return f"{text}-01-01", f"{text}-12-31", "year"
    if datatype == XSD.gYearMonth or re.fullmatch(r"\d{4}-\d{2}", text):
        year, month = int(text[:4]), int(text[5:7])
        days = (31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31,
                30, 31)[month - 1]
        return f"{text}-01", f"{text}-{days:02d}", "month"
    return text[:10], text[:10], "day"


def read_events(graph, *, labels: Labels | None = None,
                sources: Mapping[str, tuple[Source, ...]] | None = None) -> list[Event]:
    """Listing steps, milestones and funding rounds that have a date, in date order."""
    labels = labels or Labels(_rdflib(graph))
    sources = sources if sources is not None else read_sources(graph, labels)
    events = []
    for row in queries_lib.run(_store(graph), chart_query("events"), labels=False).records():
        if "date" in row:
            start, end, precision = _date_span(row["date"])
        else:
            start, end, precision = str(row["start"]), str(row["end"]), "period"
        kind = _local(row["kind"])
        type_term = row.get("type")
        if kind == "FundingRound":
            name = str(type_term) if type_term is not None else ""
            type_label = {"en": f"round {name}" if name else "funding round",
                          "zh": f"{name}轮融资" if name else "融资"}
        else:
            type_label = labels.both(type_term)
        fact = str(row["fact"])
        events.append(Event(
            fact=fact, kind=kind, type=_local(type_term) if isinstance(type_term, URIRef) else str(type_term or ""),
            type_label=type_label, subject=labels.both(row["subject"]), company=labels.both(row["company"]),
            line=labels.both(row["line"]) if "line" in row else {}, start=start, end=end, precision=precision,
            stated=str(row.get("stated_date", "")), venue=labels.both(row["venue"]) if "venue" in row else {},
            valuation=_decimal(row.get("valuation")), valuation_basis=_local(row.get("valuation_basis")),
            unit=_local(row.get("unit")), sources=sources.get(fact, ())))
    return sorted(events, key=lambda e: (e.start, e.end, e.fact))


def _store(graph):
    """A store to run the chart queries on: ``graph`` itself, or an rdflib Graph loaded into Oxigraph."""
    from ..store.core import Store
    from ..store.oxigraph import MemoryStore

    return graph if isinstance(graph, Store) else MemoryStore(graph)


def _rdflib(graph) -> Graph:
    """The rdflib Graph of ``graph`` (a store's, for labels and names)."""
    return graph if isinstance(graph, Graph) else graph.graph()


# --- how values read --------------------------------------------------------------------------


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def plain_text(value: Decimal) -> str:
    """A number as a reader reads it: thousands grouped, every decimal it has (``282,252``, ``0.499``)."""
    return f"{value.normalize():,f}"


def bar_label(value: Decimal | None) -> str:
    """The short number over a bar, in its axis unit: grouped, at most two decimals (the tooltip has every one)."""
    if value is None:
        return ""
    rounded = value.quantize(Decimal("0.01")).normalize() if value % 1 else value
    return plain_text(rounded) if rounded or not value else plain_text(value)


def axis_unit(unit: str, unit_label: Mapping[str, str], lang: str) -> str:
    """The axis title's unit: 亿元 or CNY million for money, the unit's name otherwise."""
    if unit in MONEY:
        return MONEY[unit][0 if lang == "en" else 1]
    if unit.lower() == "percent":
        return "%"
    return unit_label.get(lang, unit)


def scaled(value: Decimal | None, unit: str, lang: str) -> Decimal | None:
    """A value in its axis unit: money in millions (English) or 亿 (Chinese), the rest as it is."""
    if value is None:
        return None
    return value / MONEY_SCALE[lang] if unit in MONEY else value


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def shown_value(figure: Figure, lang: str) -> str:
    """The value as a reader should read it: ``≥ 3,000 亿元``, ``约 12 CNY million``, ``3–5``, never bare if not exact."""
    unit = axis_unit(figure.unit, figure.unit_label, lang)
    sep = "" if lang == "zh" or unit == "%" else " "

    def one(value: Decimal) -> str:
        number = scaled(value, figure.unit, lang)
        return f"{plain_text(number.quantize(Decimal('0.0001')).normalize()) if number % 1 else plain_text(number)}"

    if figure.value is None and figure.low is not None and figure.high is not None:
        text = f"{one(figure.low)}–{one(figure.high)}{sep}{unit}"
    elif figure.value is None:
        text = figure.stated
    else:
        text = f"{one(figure.value)}{sep}{unit}"
    if figure.qualifier == "AtLeast":
        text = ("至少" if lang == "zh" else "≥ ") + text
    elif figure.qualifier == "AtMost":
        text = ("至多" if lang == "zh" else "≤ ") + text
    if figure.approximation in APPROXIMATIONS:
        word = APPROXIMATIONS[figure.approximation][0 if lang == "en" else 1]
        text = f"{word}{'' if lang == 'zh' else ' '}{text}"
    if figure.circumstance in CIRCUMSTANCES:
        word = CIRCUMSTANCES[figure.circumstance][0 if lang == "en" else 1]
        text += f"({word})" if lang == "zh" else f" ({word})"
    return text


def basis_label(basis: str, lang: str) -> str:
    return BASES.get(basis or NO_BASIS, (basis, basis))[0 if lang == "en" else 1]


def _kind_label(kind: str, lang: str) -> str:
    return VALUE_KINDS[kind][1 if lang == "en" else 2]


def _sources_text(sources: Sequence[Source], lang: str) -> str:
    return " | ".join(source.text(lang) for source in sources) or ("(no source)" if lang == "en" else "(无来源)")


T = {  # words of the charts, by language
    "metric": ("metric", "指标"), "period": ("period", "时期"), "value": ("value", "数值"),
    "reads": ("reads as", "性质"), "stated": ("as stated", "原文数值"), "source": ("source", "来源"),
    "company": ("company", "企业"), "basis": ("basis", "口径"), "date": ("date", "日期"),
    "step": ("step", "事项"), "venue": ("venue", "交易所/板块"), "product": ("product", "产品"),
    "valuation": ("valuation", "估值"), "what": ("what", "事项"), "value_kind": ("value", "数值性质"),
    "listing": ("listing", "上市"),
}


def word(key: str, lang: str) -> str:
    return T[key][0 if lang == "en" else 1]


# --- charts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A chart to write: names, words for the page, and one Vega-Lite spec per language."""

    name: str
    title: dict[str, str]
    about: dict[str, str]
    specs: dict[str, dict]
    notes: dict[str, tuple[str, ...]] = field(default_factory=lambda: {"en": (), "zh": ()})
    count: int = 0           # rows drawn

    def rows(self) -> list[dict]:
        """The rows the English spec draws (the page's data), for tests and checks."""
        return self.specs["en"]["datasets"]["rows"]


def _base_spec(rows: list[dict], lang: str) -> dict:
    font = "PingFang SC, Noto Sans CJK SC, Microsoft YaHei, sans-serif" if lang == "zh" else "Helvetica, Arial, sans-serif"
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "datasets": {"rows": rows},
        "data": {"name": "rows"},
        "config": {"font": font, "view": {"stroke": "#dddddd"}, "axis": {"labelLimit": 220},
                   "legend": {"orient": "bottom", "columns": 3, "labelLimit": 320},
                   "title": {"anchor": "start", "fontSize": 13}},
        "background": "white",
        "padding": 12,
    }


def _value_kind_scale(kinds: Iterable[str], lang: str) -> dict:
    kinds = [k for k in VALUE_KINDS if k in set(kinds)]
    return {"domain": [_kind_label(k, lang) for k in kinds], "range": [VALUE_KINDS[k][0] for k in kinds]}


def _figure_row(figure: Figure, lang: str, order: int, *, panel: str, colour: str) -> dict:
    kind = figure.value_kind
    exact = kind == EXACT
    return {
        "fact": figure.fact, "panel": panel, "order": order,
        "company": figure.of_label[lang], "metric": figure.metric_label[lang], "metric_key": figure.metric,
        "period": figure.period.label[lang], "period_key": _local(figure.period.iri),
        "start": figure.period.start, "end": figure.period.end,
        "y": _number(scaled(figure.value, figure.unit, lang)),
        "y_low": _number(scaled(figure.low, figure.unit, lang)),
        "y_high": _number(scaled(figure.high, figure.unit, lang)),
        "value": str(figure.value) if figure.value is not None else None,
        "low": str(figure.low) if figure.low is not None else None,
        "high": str(figure.high) if figure.high is not None else None,
        "unit": figure.unit, "exact": exact, "value_kind": _kind_label(kind, lang), "kind_key": kind,
        "shown": shown_value(figure, lang), "stated": figure.stated, "colour": colour,
        "label": bar_label(scaled(figure.value, figure.unit, lang)) if figure.value is not None else
        f"{bar_label(scaled(figure.low, figure.unit, lang))}–{bar_label(scaled(figure.high, figure.unit, lang))}"
        if figure.low is not None and figure.high is not None else "",
        "basis": basis_label(figure.basis, lang) if figure.event else "",
        "source": _sources_text(figure.sources, lang),
    }


def _tooltip(lang: str, fields: Sequence[tuple[str, str]]) -> list[dict]:
    return [{"field": f, "type": "nominal", "title": word(key, lang)} for key, f in fields]


_FIGURE_TIP = (("company", "company"), ("metric", "metric"), ("period", "period"), ("value", "shown"),
               ("reads", "value_kind"), ("stated", "stated"), ("source", "source"))


def _series_panel(rows: list[dict], panel: str, title: str, y_title: str, mark: str, lang: str,
                  metrics: list[tuple[str, str]], kinds: set[str], legend: bool) -> dict:
    """One panel: the periods of one kind in one unit, in time order."""
    order = sorted({(r["order"], r["period"]) for r in rows if r["panel"] == panel})
    x = {"field": "period", "type": "ordinal", "sort": [label for _, label in order], "title": None,
         "axis": {"labelAngle": 0}}
    colour = {"field": "series", "type": "nominal", "title": word("metric", lang),
              "scale": {"domain": [m for m, _ in metrics], "range": [c for _, c in metrics]},
              "legend": {} if legend else None}
    shape = {"field": "value_kind", "type": "nominal", "title": word("value_kind", lang),
             "scale": _value_kind_scale(kinds, lang),
             "legend": {} if legend else None}
    y = {"field": "y", "type": "quantitative", "title": y_title, "axis": {"grid": True}}
    tooltip = _tooltip(lang, _FIGURE_TIP)
    layers: list[dict] = []
    if mark == "bar":
        offset = {"field": "series", "sort": [m for m, _ in metrics], "scale": {"paddingInner": 0.12}}
        layers.append({"mark": {"type": "bar", "strokeWidth": 1.5, "stroke": "#333333"},
                       "encoding": {"x": x, "xOffset": offset,
                                    "y": y, "color": colour, "tooltip": tooltip,
                                    "fillOpacity": {"condition": {"test": "datum.exact", "value": 1}, "value": 0.25},
                                    "strokeDash": {"condition": {"test": "datum.exact", "value": [1, 0]},
                                                   "value": [4, 3]},
                                    "strokeOpacity": {"condition": {"test": "datum.exact", "value": 0}, "value": 1}}})
        # A rule on top of every bar and its number above: a bar a thousand times smaller than the
        # rest (Biren's 0.5 million yuan of FY2022 revenue) is still seen, and read.
        layers.append({"mark": {"type": "tick", "thickness": 2},
                       "encoding": {"x": x, "xOffset": offset, "y": y, "color": colour, "tooltip": tooltip}})
        layers.append({"mark": {"type": "text", "baseline": "bottom", "dy": -3, "fontSize": 9, "color": "#333333"},
                       "encoding": {"x": x, "xOffset": offset, "y": y, "text": {"field": "label"}}})
        layers.append({"transform": [{"filter": "!datum.exact"}],
                       "mark": {"type": "point", "filled": True, "size": 90, "yOffset": -18},
                       "encoding": {"x": x, "xOffset": offset, "y": y, "shape": shape, "color": colour,
                                    "tooltip": tooltip}})
    else:
        # Lines join exact values only: a bound or an estimate is a mark of its own, not a step of a trend.
        layers.append({"transform": [{"filter": "datum.exact"}],
                       "mark": {"type": "line", "strokeWidth": 2},
                       "encoding": {"x": x, "y": y, "color": colour, "detail": {"field": "series"}}})
        # Exact values are filled; the rest are outlines, in white, so they read as "not this exact number".
        layers.append({"mark": {"type": "point", "size": 110, "strokeWidth": 2, "filled": True},
                       "encoding": {"x": x, "y": y, "color": colour, "stroke": colour, "shape": shape,
                                    "fillOpacity": {"condition": {"test": "datum.exact", "value": 1}, "value": 0.12},
                                    "tooltip": tooltip}})
    if any(r["y_low"] is not None for r in rows if r["panel"] == panel):
        layers.append({"transform": [{"filter": "datum.y_low != null"}],
                       "mark": {"type": "rule", "strokeWidth": 2},
                       "encoding": {"x": x, "y": dict(y, field="y_low"), "y2": {"field": "y_high"},
                                    "color": colour, "tooltip": tooltip}})
    return {"title": title, "width": {"step": 56 if mark == "line" else 30 * max(len(metrics), 1) + 16},
            "height": 260, "transform": [{"filter": {"field": "panel", "equal": panel}}], "layer": layers}


def series_chart(figures: Sequence[Figure], *, name: str, title: Mapping[str, str], about: Mapping[str, str],
                 mark: str = "line", metrics: Sequence[str] | None = None) -> Chart:
    """Figures over periods: a row of panels per unit (currencies apart), a panel per kind of period."""
    if mark not in MARKS:
        raise UsageError(f"unknown mark '{mark}'; choose one of {', '.join(MARKS)}")
    chosen = [f for f in figures if (metrics is None or f.metric in metrics)
              and (f.value is not None or f.low is not None)]
    if not chosen:
        raise UsageError(f"nothing to chart for '{name}': no figure with a value about a dated period")
    metric_order = list(metrics or sorted({f.metric for f in chosen}))
    metric_order = [m for m in metric_order if any(f.metric == m for f in chosen)]
    # A series is one line: a metric of one company on one listing-day basis. Lines never join companies or bases.
    companies = sorted({f.of for f in chosen})
    bases_of = {}
    for f in chosen:
        bases_of.setdefault((f.of, f.metric), set()).add(f.basis)

    def series(f: Figure) -> tuple:
        return (metric_order.index(f.metric), companies.index(f.of), f.basis)

    keys = sorted({series(f) for f in chosen})
    colours = {k: (METRIC_COLORS.get(metric_order[k[0]], PALETTE[i % len(PALETTE)]) if len(companies) == 1
                   and len(keys) == len(metric_order) else PALETTE[i % len(PALETTE)]) for i, k in enumerate(keys)}

    def series_label(f: Figure, lang: str) -> str:
        parts = [f.metric_label[lang]]
        if len(companies) > 1:
            parts.insert(0, f.of_label[lang])
        if len(bases_of[f.of, f.metric]) > 1:
            parts.append(basis_label(f.basis, lang))
        return " · ".join(parts)

    units = sorted({f.unit for f in chosen}, key=lambda u: (u not in MONEY, u))
    periods = sorted({f.period for f in chosen}, key=lambda p: (p.order, p.iri))
    order = {p.iri: i for i, p in enumerate(periods)}
    specs, notes = {}, {}
    for lang in LANGS:
        rows = []
        for f in sorted(chosen, key=lambda f: (units.index(f.unit), PERIOD_KINDS.index(f.period.kind),
                                               order[f.period.iri], series(f), f.fact)):
            panel = f"{f.unit}|{f.period.kind}"
            row = _figure_row(f, lang, order[f.period.iri], panel=panel, colour=colours[series(f)])
            row["series"] = series_label(f, lang)
            rows.append(row)
        metric_labels = []
        for k in keys:
            label = next(series_label(f, lang) for f in chosen if series(f) == k)
            metric_labels.append((label, colours[k]))
        kinds = {f.value_kind for f in chosen}
        unit_rows = []
        for i, unit in enumerate(units):
            kinds_here = [k for k in PERIOD_KINDS if any(f.unit == unit and f.period.kind == k for f in chosen)]
            unit_label = next(f.unit_label for f in chosen if f.unit == unit)
            y_title = axis_unit(unit, unit_label, lang)
            panels = [_series_panel(rows, f"{unit}|{k}", PANEL_TITLES[k][0 if lang == "en" else 1], y_title, mark,
                                    lang, metric_labels, kinds, legend=True)
                      for k in kinds_here]
            unit_rows.append({"hconcat": panels, "resolve": {"scale": {"y": "shared"}}} if len(panels) > 1 else panels[0])
        spec = _base_spec(rows, lang)
        body = {"vconcat": unit_rows, "resolve": {"scale": {"y": "independent"}}} if len(unit_rows) > 1 else unit_rows[0]
        spec.update(body)
        spec["resolve"] = dict(spec.get("resolve", {}), legend={"color": "shared", "shape": "shared"})
        specs[lang] = spec
        notes[lang] = _series_notes(chosen, units, lang)
    return Chart(name, dict(title), dict(about), specs, notes, count=len(chosen))


def _series_notes(figures: Sequence[Figure], units: Sequence[str], lang: str) -> tuple[str, ...]:
    notes = []
    disputed = len(disagreements(figures))
    if disputed:
        notes.append(f"{disputed} figure(s) are given different values by different sources: each value is drawn, "
                     "with its source." if lang == "en" else f"{disputed}项数据各来源说法不一:每个数值都画出,并注明来源。")
    if lang == "en":
        notes.append("Full years and half years are drawn in separate panels, each in time order; "
                     "lines join exact values only.")
        if any(f.value_kind != EXACT for f in figures):
            notes.append("Hollow marks are not exact values: a triangle up is a lower bound (at least), down an "
                         "upper bound; a diamond is approximate; a square a forecast or plan; a bar a range.")
        if len([u for u in units if u in MONEY]) > 1:
            notes.append("Each currency has its own row and axis; amounts in different currencies are never added.")
    else:
        notes.append("全年与半年度数据分开绘制,各按时间排序;折线只连接确数。")
        if any(f.value_kind != EXACT for f in figures):
            notes.append("空心标记不是确数:向上三角为下限(至少),向下三角为上限;菱形为约数;方形为预测或计划;竖线为区间。")
        if len([u for u in units if u in MONEY]) > 1:
            notes.append("不同币种各占一行、各用一条坐标轴,从不相加。")
    return tuple(notes)


def income_statement(figures: Sequence[Figure], company: str, *, mark: str = "line") -> Chart:
    """Revenue, net loss and R&D expense of one company, period by period."""
    own = [f for f in figures if f.of == company and f.metric in INCOME_METRICS]
    if not own:
        raise UsageError(f"no revenue, net loss or R&D figures about '{company}'")
    name_of = own[0].of_label
    return series_chart(
        own, name=f"income-{company}", mark=mark, metrics=INCOME_METRICS,
        title={"en": f"{name_of['en']}: revenue, net loss and R&D", "zh": f"{name_of['zh']}:营业收入、净亏损与研发投入"},
        about={"en": "Company-level figures by fiscal year and half year, in the currency stated.",
               "zh": "公司层面数据,按财年与半年度,以原币种列示。"})


def operations(figures: Sequence[Figure], company: str, *, mark: str = "line") -> Chart:
    """Shipments, deliveries, customers and deployments of one company, each unit on its own axis."""
    own = [f for f in figures if f.of == company and f.metric in OPERATING_METRICS]
    if not own:
        raise UsageError(f"no shipment, delivery, customer or deployment figures about '{company}'")
    name_of = own[0].of_label
    return series_chart(
        own, name=f"operations-{company}", mark=mark, metrics=OPERATING_METRICS,
        title={"en": f"{name_of['en']}: shipments and customers", "zh": f"{name_of['zh']}:出货量与客户"},
        about={"en": "Operating figures by period; each unit (chips, customers, deployments) on its own axis.",
               "zh": "经营数据,按时期;不同单位(片、家、次)各用一条坐标轴。"})


def listing_day_chart(figures: Sequence[Figure]) -> Chart:
    """First-day gains and market capitalisations of the listings, each with its basis."""
    chosen = [f for f in figures if f.metric in LISTING_METRICS and f.event and f.value is not None]
    if not chosen:
        raise UsageError("no first-day figures to chart")
    panels_of = sorted({(f.metric, f.unit) for f in chosen},
                       key=lambda mu: (LISTING_METRICS.index(mu[0]), mu[1] not in MONEY, mu[1]))
    # One bar per listing and basis: the same day's gain at the open and at the close are two bars, side by side.
    basis_order = list(BASES)

    def bar(f: Figure) -> tuple:
        return (f.period.order, f.event, basis_order.index(f.basis or NO_BASIS) if (f.basis or NO_BASIS) in BASES
                else len(BASES), f.basis)

    bars = sorted({bar(f) for f in chosen})
    specs, notes = {}, {}
    bases = {f.basis or NO_BASIS for f in chosen}
    for lang in LANGS:
        rows = []
        labels = {bar(f): f"{f.of_label[lang]} · {f.period.label[lang]} · {basis_label(f.basis, lang)}" for f in chosen}
        for f in sorted(chosen, key=lambda f: (panels_of.index((f.metric, f.unit)), bars.index(bar(f)), f.fact)):
            row = _figure_row(f, lang, 0, panel=f"{f.metric}|{f.unit}", colour="")
            row["listing"] = labels[bar(f)]
            row["basis"] = basis_label(f.basis, lang)
            rows.append(row)
        domain = [basis_label(b, lang) for b in list(BASES) if b in bases]
        basis_colours = {"AtOpen": "#1f66c1", "AtClose": "#228b3b", "IntradayHigh": "#e8740c", NO_BASIS: "#9a9a9a"}
        kinds = {f.value_kind for f in chosen}
        panels = []
        for metric, unit in panels_of:
            here = [f for f in chosen if f.metric == metric and f.unit == unit]
            metric_label = here[0].metric_label[lang]
            y_title = f"{metric_label} ({axis_unit(unit, here[0].unit_label, lang)})" if lang == "en" else \
                f"{metric_label}({axis_unit(unit, here[0].unit_label, lang)})"
            order = [labels[b] for b in bars if any(bar(f) == b for f in here)]
            x = {"field": "listing", "type": "nominal", "sort": order, "title": word("listing", lang),
                 "axis": {"labelAngle": 0, "labelLimit": 280, "labelExpr": "split(datum.label, ' · ')"}}
            y = {"field": "y", "type": "quantitative", "title": y_title}
            colour = {"field": "basis", "type": "nominal", "title": word("basis", lang),
                      "scale": {"domain": domain, "range": [basis_colours[b] for b in BASES if b in bases]}}
            tip = _tooltip(lang, (("company", "company"), ("metric", "metric"), ("date", "period"),
                                  ("value", "shown"), ("basis", "basis"), ("reads", "value_kind"),
                                  ("stated", "stated"), ("source", "source")))
            layers = [
                {"mark": {"type": "bar", "width": {"band": 0.6}, "strokeWidth": 1.5, "stroke": "#333333"},
                 "encoding": {"x": x, "y": y, "color": colour,
                              "strokeOpacity": {"condition": {"test": "datum.exact", "value": 0}, "value": 1},
                              "fillOpacity": {"condition": {"test": "datum.exact", "value": 1}, "value": 0.25},
                              "strokeDash": {"condition": {"test": "datum.exact", "value": [1, 0]}, "value": [4, 3]},
                              "tooltip": tip}},
                {"transform": [{"filter": "!datum.exact"}],
                 "mark": {"type": "point", "filled": True, "size": 110, "color": "#333333", "yOffset": -9},
                 "encoding": {"x": x, "y": y, "shape": {"field": "value_kind", "type": "nominal",
                                                        "title": word("value_kind", lang),
                                                        "scale": _value_kind_scale(kinds, lang)},
                              "tooltip": tip}},
                {"mark": {"type": "text", "dy": -18, "fontSize": 11},
                 "encoding": {"x": x, "y": y, "text": {"field": "shown"}}},
            ]
            panels.append({"title": metric_label, "width": {"step": 120}, "height": 260,
                           "transform": [{"filter": {"field": "panel", "equal": f"{metric}|{unit}"}}],
                           "layer": layers})
        spec = _base_spec(rows, lang)
        spec.update({"hconcat": panels, "resolve": {"scale": {"y": "independent"}, "legend": {"color": "shared"}}})
        specs[lang] = spec
        notes[lang] = _basis_notes(bases, lang)
    return Chart("listing-day", {"en": "Listing day: first-day gain and market capitalisation",
                                 "zh": "上市首日:首日涨幅与市值"},
                 {"en": "Each listing's first-day figures with their basis (at the open, at the close, or not "
                        "stated); a hollow bar with a triangle is a lower bound.",
                  "zh": "各上市首日数据及其口径(开盘、收盘或未说明);空心柱加三角为下限。"},
                 specs, notes, count=len(chosen))


def _basis_notes(bases: set[str], lang: str) -> tuple[str, ...]:
    if len(bases) == 1 and NO_BASIS not in bases:
        basis = basis_label(next(iter(bases)), lang)
        return ((f"All figures are {basis}." if lang == "en" else f"全部数据口径:{basis}。"),)
    if lang == "en":
        stated = ", ".join(basis_label(b, lang) for b in BASES if b in bases)
        return (f"Bases: {stated}. Figures on different or unstated bases are not like-for-like; "
                "the bars sit side by side, not as a ranking.",)
    stated = "、".join(basis_label(b, lang) for b in BASES if b in bases)
    return (f"口径:{stated}。口径不同或未说明的数据不可直接比较;并列展示,不作排名。",)


# --- timelines -------------------------------------------------------------------------------

TIMELINES = {
    "listing-race": (("ListingEvent",), {"en": "The listing race", "zh": "上市竞速"},
                     {"en": "Listing tutoring, hearings passed, listings and expected listings, by company.",
                      "zh": "各企业上市辅导、通过聆讯、上市及预计上市。"}),
    "roadmap": (("Milestone",), {"en": "Product roadmap", "zh": "产品路线图"},
                {"en": "Design starts, launches, mass production and plans, by product line.",
                 "zh": "各产品系列的设计启动、发布、量产与计划。"}),
    "funding": (("FundingRound",), {"en": "Funding rounds", "zh": "融资轮次"},
                {"en": "Funding rounds by company, with the valuation and whether it is pre- or post-money.",
                 "zh": "各企业融资轮次及估值(投前或投后)。"}),
}
_PRECISION = {"day": ("day", "日"), "month": ("month: the date says the month only", "月(原文只给到月)"),
              "year": ("year: the date says the year only", "年(原文只给到年)"),
              "period": ("period", "时期")}


def _valuation_text(event: Event, lang: str) -> str:
    if event.valuation is None:
        return ""
    unit = event.unit or "CNY"
    amount = scaled(event.valuation, unit, lang)
    basis = {"preMoneyValuation": ("pre-money", "投前"), "postMoneyValuation": ("post-money", "投后")}.get(
        event.valuation_basis, ("", ""))[0 if lang == "en" else 1]
    text = f"{plain_text(amount)} {axis_unit(unit, {}, lang)}" if lang == "en" else f"{plain_text(amount)}{axis_unit(unit, {}, lang)}"
    return f"{basis} {text}" if lang == "en" else f"{basis}{text}"


def _reach(event: Event) -> tuple[str, str]:
    """The days a timeline mark covers on screen: a band its dates; a dot a little before, and its label after."""
    if event.precision != "day":
        return event.start, event.end
    day = date.fromisoformat(event.start)
    return (day - timedelta(days=12)).isoformat(), (day + timedelta(days=75)).isoformat()


def timeline_chart(events: Sequence[Event], name: str, *, title: Mapping[str, str] | None = None,
                   about: Mapping[str, str] | None = None) -> Chart:
    """Dated rows on a time axis: a dot for a day, a band for a month, year or period; hollow if expected or planned.

    ``name`` is one of TIMELINES (which also gives the kinds of events drawn), or any
    name with ``title`` and ``about`` to draw ``events`` as they are.
    """
    if name in TIMELINES and title is None:
        kinds, title, about = TIMELINES[name]
        chosen = [e for e in events if e.kind in kinds]
    else:
        chosen = list(events)
        title, about = dict(title or {"en": name, "zh": name}), dict(about or {"en": "", "zh": ""})
    if not chosen:
        raise UsageError(f"nothing to draw on the '{name}' timeline")
    types = []
    for e in chosen:
        if e.type not in types:
            types.append(e.type)
    specs, notes = {}, {}
    for lang in LANGS:
        def lane(e: Event) -> str:
            return e.subject[lang] if e.kind == "Milestone" else e.company[lang]

        lanes: list[str] = []
        # Companies in the order they first moved; products grouped by line, each line in that order too.
        groups = {}
        for e in chosen:
            groups.setdefault(e.line.get(lang, "") if e.kind == "Milestone" else "", len(groups))
        for e in sorted(chosen, key=lambda e: groups[e.line.get(lang, "") if e.kind == "Milestone" else ""]):
            if lane(e) not in lanes:
                lanes.append(lane(e))
        rows = []
        taken: dict[str, list[tuple[str, str]]] = {}
        for e in chosen:
            # Steps of one row that would overlap sit one above the other: bands whose dates overlap
            # (launched and mass-produced in 2021), and dots closer than a dot and its date label.
            first, last = _reach(e)
            spans = taken.setdefault(lane(e), [])
            used = {slot for slot, start, end in spans if start <= last and first <= end}
            slot = min(set(range(len(used) + 1)) - used)
            spans.append((slot, first, last))
            what = e.type_label[lang] if e.kind != "Milestone" else f"{e.subject[lang]}: {e.type_label[lang]}" \
                if lang == "en" else f"{e.subject[lang]}:{e.type_label[lang]}"
            when = e.start if e.precision == "day" else (e.stated or f"{e.start} – {e.end}")
            if e.precision in ("month", "year") and not e.stated:
                when = e.start[:7] if e.precision == "month" else e.start[:4]
            rows.append({
                "fact": e.fact, "lane": lane(e), "slot": slot, "what": what, "type": e.type_label[lang], "type_key": e.type,
                "start": e.start, "end": e.end, "precision": _PRECISION[e.precision][0 if lang == "en" else 1],
                "day": e.precision == "day", "tentative": e.tentative, "when": when,
                "venue": e.venue.get(lang, ""), "valuation": _valuation_text(e, lang),
                "source": _sources_text(e.sources, lang),
            })
        type_labels = []
        for t in types:
            label = next(e.type_label[lang] for e in chosen if e.type == t)
            if label not in type_labels:
                type_labels.append(label)
        colour = {"field": "type", "type": "nominal", "title": word("step", lang),
                  "scale": {"domain": type_labels, "range": [PALETTE[i % len(PALETTE)] for i in range(len(type_labels))]}}
        x = {"field": "start", "type": "temporal", "title": word("date", lang), "scale": {"type": "utc"},
             "axis": {"format": "%Y-%m" if lang == "en" else "%Y年%m月", "labelAngle": 0, "grid": True}}
        y = {"field": "lane", "type": "nominal", "sort": lanes, "title": None}
        crowded = max(r["slot"] for r in rows) + 1
        y_offset = {"field": "slot", "type": "ordinal", "scale": {"domain": list(range(crowded))}}
        fields = [("what", "what"), ("date", "when"), ("period", "precision")]
        if any(r["venue"] for r in rows):
            fields.append(("venue", "venue"))
        if any(r["valuation"] for r in rows):
            fields.append(("valuation", "valuation"))
        fields.append(("source", "source"))
        tip = _tooltip(lang, fields)
        layers = [
            {"transform": [{"filter": "!datum.day"}],
             "mark": {"type": "bar", "height": {"band": 0.8}, "cornerRadius": 3, "strokeWidth": 1.5, "stroke": "#555555"},
             "encoding": {"x": x, "x2": {"field": "end"}, "y": y, "yOffset": y_offset, "color": colour,
                          "fillOpacity": {"condition": {"test": "datum.tentative", "value": 0.15}, "value": 0.5},
                          "strokeDash": {"condition": {"test": "datum.tentative", "value": [4, 3]}, "value": [1, 0]},
                          "tooltip": tip}},
            {"transform": [{"filter": "datum.day"}],
             "mark": {"type": "point", "size": 140, "strokeWidth": 2.5, "shape": "circle", "filled": True},
             "encoding": {"x": x, "y": y, "yOffset": y_offset, "color": colour, "stroke": colour,
                          "fillOpacity": {"condition": {"test": "datum.tentative", "value": 0.1}, "value": 1},
                          "tooltip": tip}},
            {"transform": [{"filter": "datum.day"}],
             "mark": {"type": "text", "align": "left", "dx": 10, "fontSize": 10, "color": "#4c5966"},
             "encoding": {"x": x, "y": y, "yOffset": y_offset, "text": {"field": "when"}}},
        ]
        spec = _base_spec(rows, lang)
        spec.update({"width": 760, "height": {"step": 30 if crowded == 1 else 18}, "layer": layers})
        specs[lang] = spec
        notes[lang] = (("A dot is a day; a band is a month, a year or a period the source gives no finer; "
                        "hollow or dashed marks are expected or planned, not (yet) done.",) if lang == "en" else
                       ("圆点为具体日期;色带为原文只给到月、年或时期的日期;空心或虚线为预计或计划,尚未发生。",))
    return Chart(name, dict(title), dict(about), specs, notes, count=len(chosen))


# --- a chart of any query's result -------------------------------------------------------------


def result_chart(graph, result: Result, *, name: str, title: str = "", mark: str = "line",
                 labels: Labels | None = None) -> Chart:
    """A chart of a query's result: the figures it names (a column of gpu:Figure IRIs) over their periods,
    or else the listing events, milestones or funding rounds it names on a timeline.

    The figures are read again from the graph with everything that says how they
    read (qualifier, approximation, basis, source), so a saved query needs to return
    only their IRIs; values it returns besides are not what is drawn.
    """
    if result.is_boolean or not result.rows:
        raise UsageError(f"'{name}' gave no rows to chart")
    graph = _store(graph)
    rdf = _rdflib(graph)
    figure_column = next((v for v in result.variables
                          if (terms := [t for t in result.column(v) if t is not None])
                          and all(isinstance(t, URIRef) and (t, None, None) in rdf and
                                  any(True for _ in rdf.triples((t, GPU.metric, None))) for t in terms)), None)
    labels = labels or Labels(rdf)
    heading = title or name
    keyed = _figure_keys(result, rdf) if figure_column is None else None
    if keyed:  # rows of (entity, metric, period) IRIs: the best figures they name
        figures = [f for f in read_figures(graph, labels=labels) if _keys_of(f) & keyed]
        if not figures:
            raise UsageError(f"the figures '{name}' returns have no dated period to chart them over")
        return series_chart(figures, name=name, mark=mark, title={"en": heading, "zh": heading},
                            about={"en": f"The figures of {name}.", "zh": f"{name} 的数据。"})
    if figure_column is None:
        dated = {e.fact: e for e in read_events(graph, labels=labels)}
        event_column = next((v for v in result.variables
                             if (terms := [t for t in result.column(v) if t is not None])
                             and any(str(t) in dated for t in terms)), None)
        if event_column is None:
            raise UsageError(f"'{name}' has nothing to chart: return figures (as ?fact, or as ?entity ?metric "
                             f"?period IRIs, as figures does) or listing events, milestones or funding rounds (as "
                             f"?fact, as listing-race does); its columns: {', '.join(result.variables)}")
        wanted = {str(t) for t in result.column(event_column) if t is not None}
        return timeline_chart([e for e in dated.values() if e.fact in wanted], name,
                              title={"en": heading, "zh": heading}, about={"en": "", "zh": ""})
    wanted = {str(t) for t in result.column(figure_column) if t is not None}
    figures = [f for f in read_figures(graph, labels=labels) if f.fact in wanted]
    if not figures:
        raise UsageError(f"the figures '{name}' returns have no dated period to chart them over")
    return series_chart(figures, name=name, mark=mark, title={"en": heading, "zh": heading},
                        about={"en": f"The figures of {name}.", "zh": f"{name} 的数据。"})


ENTITY_COLUMNS = ("entity", "company", "of")


def _figure_keys(result: Result, rdf: Graph) -> set[tuple] | None:
    """(entity, metric, period, basis) of each row, when a result names figures by those IRIs (as ``figures`` does)."""
    names = set(result.variables)
    entity = next((c for c in ENTITY_COLUMNS if c in names), None)
    if entity is None or not {"metric", "period"} <= names:
        return None
    keys = set()
    for row in result.records():
        terms = [row.get(entity), row.get("metric"), row.get("period")]
        if not all(isinstance(t, URIRef) for t in terms):
            return None
        if (terms[1], RDFS.label, None) not in ontology_graph() and (terms[1], None, None) not in rdf:
            return None
        keys.add((_local(terms[0]), _local(terms[1]), str(terms[2]), _local(row.get("basis")) or "*"))
    return keys


def _keys_of(figure: Figure) -> set[tuple]:
    return {(figure.of, figure.metric, figure.period.iri, figure.basis or "*"),
            (figure.of, figure.metric, figure.period.iri, "*")}


# --- every ready-made chart --------------------------------------------------------------------


def named_charts(graph, *, mark: str = "line") -> list[Chart]:
    """The ready-made charts: each company's income statement, the listing day, and the timelines."""
    graph = _store(graph)  # loaded into Oxigraph once for every query
    labels = Labels(_rdflib(graph))
    sources = read_sources(graph, labels)
    figures = read_figures(graph, labels=labels, sources=sources)
    events = read_events(graph, labels=labels, sources=sources)
    charts = []
    for company in sorted({f.of for f in figures if f.metric in INCOME_METRICS}):
        charts.append(income_statement(figures, company, mark=mark))
    for company in sorted({f.of for f in figures if f.metric in OPERATING_METRICS}):
        charts.append(operations(figures, company, mark=mark))
    if any(f.metric in LISTING_METRICS and f.event for f in figures):
        charts.append(listing_day_chart(figures))
    for name, (kinds, _, _) in TIMELINES.items():
        if any(e.kind in kinds for e in events):
            charts.append(timeline_chart(events, name))
    return charts


assert CHART_NAMES == ("income-statement", "operations", "listing-day", *TIMELINES)
COMPANY_CHARTS = {"income-statement": income_statement, "operations": operations}


def named_chart(graph, name: str, *, company: str | None = None, mark: str = "line") -> Chart:
    """One ready-made chart by name; ``income-statement`` and ``operations`` need a company (id, name or IRI)."""
    if name not in CHART_NAMES:
        raise UsageError(f"unknown chart '{name}'; choose one of {', '.join(CHART_NAMES)}")
    graph = _store(graph)
    labels = Labels(_rdflib(graph))
    sources = read_sources(graph, labels)
    if name in TIMELINES:
        return timeline_chart(read_events(graph, labels=labels, sources=sources), name)
    if name == "listing-day":
        return listing_day_chart(read_figures(graph, labels=labels, sources=sources))
    if company is None:
        raise UsageError(f"the {name} chart needs --company (e.g. --company iluvatar)")
    iri = queries_lib.resolve(_rdflib(graph), company, GPU.Organization)
    figures = read_figures(graph, company=str(iri), labels=labels, sources=sources)
    return COMPANY_CHARTS[name](figures, _local(iri), mark=mark)


# --- pages and images ------------------------------------------------------------------------


@cache
def _vendor(name: str) -> str:
    script = (VENDOR / name).read_text(encoding="utf-8")
    if "</script" in script.lower():  # would end our <script> element early
        raise AssertionError(f"{name} contains '</script'")
    return script


@cache
def _asset(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def vendored_versions() -> dict[str, str]:
    """The vendored libraries and their versions, from kg/vendor/vega/VERSIONS."""
    found = {}
    for line in (VENDOR / "VERSIONS").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.startswith("#") and re.fullmatch(r"\d+\.\d+\.\d+", parts[1]):
            found[parts[0]] = parts[1]
    return found


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, keep_trailing_newline=True)


SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-interpreter.js")


def render_html(chart: Chart, *, lang: str = "en") -> bytes:
    """One self-contained page: both language versions of the spec, the libraries, nothing fetched."""
    _check_lang(lang)
    scripts = [_vendor(name) for name in SCRIPTS] + [_asset("chart.js")]
    versions = vendored_versions()
    page = {"lang": lang, "name": chart.name, "title": chart.title, "about": chart.about,
            "notes": {k: list(v) for k, v in chart.notes.items()}, "count": chart.count}
    csp = ("default-src 'none'; script-src " + " ".join(_sha256(s) for s in scripts)
           + "; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")
    html = _environment().get_template("chart.html").render(
        page=page, page_json=_json_block(page), specs_json=_json_block(chart.specs),
        css=Markup(_asset("chart.css")), scripts=[Markup(s) for s in scripts], csp=Markup(csp),
        generator=f"gpu-kg (vega {versions.get('vega', '?')}, vega-lite {versions.get('vega-lite', '?')})")
    return html.encode("utf-8")


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise UsageError(f"unknown language '{lang}'; choose one of {', '.join(LANGS)}")


def format_for(name: str | None, path: str | Path | None) -> str:
    """The chart format asked for, or the one the file's suffix implies (html by default)."""
    return pick_format(name, path, FORMATS, "html", noun="chart format")


def render_image(spec: Mapping, format: str, *, scale: float = 2.0, chinese: bool = False) -> bytes:
    """The spec as SVG or PNG, rendered by vl-convert (no browser, no network). A PNG whose labels are
    ``chinese`` needs a font with Chinese characters (kg.show.fonts), refused without one."""
    try:
        import vl_convert
    except ImportError:  # pragma: no cover - a dependency; here for a broken install
        raise UsageError("SVG and PNG need vl-convert-python: pip install vl-convert-python") from None
    spec = dict(spec)
    if format == "svg":
        return vl_convert.vegalite_to_svg(spec, vl_version=VL_CONVERT_VERSION).encode("utf-8")
    if format == "png":
        folders = need_cjk_font() if chinese else cjk_font_folders()
        _register_fonts(vl_convert, folders)
        return vl_convert.vegalite_to_png(spec, vl_version=VL_CONVERT_VERSION, scale=scale)
    raise UsageError(f"unknown image format '{format}'; choose svg or png")


@cache
def _register_fonts(vl_convert, folders: tuple[str, ...]) -> None:
    """vl-convert sees only the fonts it is shown: the folders of those with Chinese characters."""
    for folder in folders:
        vl_convert.register_font_directory(folder)


def render(chart: Chart, format: str = "html", *, lang: str = "en") -> bytes:
    """The chart as bytes in ``format`` (html, svg, png, or json: the Vega-Lite spec for any Vega-Lite tool);
    the same facts always give the same bytes."""
    _check_lang(lang)
    format = format_for(format, None)
    if format == "html":
        return render_html(chart, lang=lang)
    if format == "json":
        return spec_json(chart, lang).encode("utf-8")
    return render_image(standalone_spec(chart, lang), format, chinese=lang == "zh")


def standalone_spec(chart: Chart, lang: str = "en") -> dict:
    """The spec with the chart's title and what to know in reading it (the page shows these around
    the chart; a picture or a spec file on its own has to carry them)."""
    spec = dict(chart.specs[lang])
    subtitle = [line for line in (chart.about.get(lang, ""), *chart.notes.get(lang, ())) if line]
    spec["title"] = {"text": chart.title[lang], "anchor": "start", "fontSize": 16, "offset": 14,
                     **({"subtitle": subtitle, "subtitleFontSize": 11, "subtitleColor": "#4c5966"} if subtitle else {})}
    return spec


def write_charts(graph, out_dir: str | Path, *, lang: str = "en", mark: str = "line") -> list[tuple[Path, Chart | None]]:
    """Write every ready-made chart as ``<name>.html`` in ``out_dir``, then an ``index.html`` linking them."""
    _check_lang(lang)
    out_dir = Path(out_dir)
    written: list[tuple[Path, Chart | None]] = []
    for chart in named_charts(graph, mark=mark):
        target = out_dir / f"{chart.name}.html"
        write_atomically(target, render_html(chart, lang=lang))
        written.append((target, chart))
    index = out_dir / "index.html"
    write_atomically(index, render_index([(path.name, chart) for path, chart in written], lang=lang))
    return written + [(index, None)]


def render_index(pages: Sequence[tuple[str, Chart]], *, lang: str = "en") -> bytes:
    """A page linking the charts (file name, chart); as self-contained and stable as they are."""
    entries = [{"href": href, "name": chart.name, "title": chart.title, "about": chart.about, "count": chart.count}
               for href, chart in pages]
    html = _environment().get_template("charts-index.html").render(
        lang=lang, entries=entries, css=Markup(_asset("chart.css")),
        csp=Markup("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"))
    return html.encode("utf-8")


def describe(chart: Chart) -> str:
    """What a written chart holds: ``6 figures`` / ``6 rows``."""
    return f"{chart.count} {'row' if chart.count == 1 else 'rows'}"


def spec_json(chart: Chart, lang: str = "en") -> str:
    """The Vega-Lite spec of ``chart``, titled, as stable JSON (for any Vega-Lite tool)."""
    return json.dumps(standalone_spec(chart, lang), ensure_ascii=False, sort_keys=True, indent=1) + "\n"
