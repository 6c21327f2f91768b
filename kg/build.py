"""Facts -> RDF graph. Pure: the same facts give the same triples, whatever their order.

IRIs are minted from fact ids (``kgr:iluvatar``) or, for id-less facts, from
what they state (``kgr:figure/iluvatar/revenue/2024``); there are no blank nodes.

Each record makes the triples of one subject, its own IRI, and nothing else
(periods are made once, from every period the records use), so a record can be
built alone given the names of the ids it refers to. The builder writes terms as
plain strings (``kg.terms``): rdflib's term and graph objects cost more than the
rest of the build together at a million triples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from functools import cache, lru_cache

from rdflib import DCTERMS, OWL, RDF, RDFS, SKOS, XSD, Graph, Literal, Namespace, URIRef

from .facts import Facts, FigureValue, Record
from .ontology import GPU, KGR, ontology_graph, vocabulary
from .terms import from_rdflib, literal, to_rdflib
from .values import Amount, Date, Period, canonical_decimal

PREFIXES = {
    "gpu": Namespace(str(GPU)),
    "kgr": KGR,
    "rdf": RDF._NS,
    "rdfs": RDFS._NS,
    "owl": OWL._NS,
    "xsd": XSD._NS,
    "skos": SKOS._NS,
    "dcterms": DCTERMS._NS,
    "prov": Namespace("http://www.w3.org/ns/prov#"),
    "schema": Namespace("https://schema.org/"),
    "org": Namespace("http://www.w3.org/ns/org#"),
    "time": Namespace("http://www.w3.org/2006/time#"),
}

XML_NS = Namespace("http://www.w3.org/XML/1998/namespace")
# The graph's own name: TriG and SPARQL stores hold it as this named graph.
GRAPH_IRI = URIRef("https://w3id.org/gpu-kg/graph")

# Facts without an id are named by kind and key: kgr:figure/iluvatar/revenue/2024.
IRI_PREFIX = {"milestones": "milestone/", "supply_chain": "supply/", "figures": "figure/"}
_PRODUCT_CLASS = {"line": GPU.ProductLine, "generation": GPU.ProductGeneration, "product": GPU.Product}


def new_graph() -> Graph:
    """An empty graph with exactly our prefixes bound (rdflib would otherwise add its own)."""
    graph = Graph(identifier=GRAPH_IRI, bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.bind("xml", XML_NS)  # RDF/XML writes xml:lang through it
    return graph


def record_iri(record: Record) -> URIRef:
    return KGR[IRI_PREFIX.get(record.kind, "") + record.key]


def period_iri(period: Period) -> URIRef:
    return KGR["period/" + period.slug]


# The fact key each predicate is written under, so a SHACL failure points at its line.
FIELD_OF = {
    GPU.designedBy: "designer", GPU.productLine: "line", GPU.workload: "workload",
    GPU.benchmarkedAgainst: "benchmarked_against", GPU.softwareEcosystem: "software_ecosystem",
    GPU.headquarteredIn: "headquarters", GPU.locatedIn: "within", GPU.inSector: "in_sectors",
    GPU.servesSector: "serves_sectors", GPU.managementFrom: "management_from", GPU.member: "members",
    GPU.partOf: "part_of", GPU.segmentOf: "company", GPU.segmentProductLine: "product_line",
    GPU.source: "source", GPU.citedSource: "cites", GPU.publisher: "publisher", GPU.client: "client",
    GPU.supplier: "supplier", GPU.supplierRole: "role", GPU.fundedCompany: "company",
    GPU.investor: "investors", GPU.listingCompany: "company", GPU.venue: "venue", GPU.eventType: "type",
    GPU.milestoneOf: "of", GPU.milestoneType: "type", GPU.figureOf: "of", GPU.metric: "metric",
    GPU.period: "period", GPU.referencePeriod: "reference_period", GPU.segment: "segment",
    GPU.listingEvent: "event", GPU.statementAbout: "about", GPU.statementKind: "kind",
    GPU.foundedIn: "founded", GPU.legalName: "legal_name", GPU.processNode: "process_node",
    GPU.roundName: "round", GPU.preMoneyValuation: "pre_money", GPU.postMoneyValuation: "post_money",
    GPU.date: "date", GPU.statedDate: "stated_date", GPU.value: "value", GPU.minValue: "between",
    GPU.maxValue: "between", GPU.quote: "quote", GPU.note: "note", GPU.text: "text", GPU.url: "url",
    GPU.language: "language", RDFS.label: "name", SKOS.altLabel: "aliases",
}


def origins(facts: Facts) -> dict[URIRef, Record]:
    """The fact each node of the built graph comes from (a period: the first fact using it)."""
    where: dict[URIRef, Record] = {}
    for record in facts.records:
        where.setdefault(record_iri(record), record)
        for name in ("period", "reference_period"):
            if name in record.values:
                where.setdefault(period_iri(record[name]), record)
    return where



def in_english(amount: Amount) -> str:
    """An amount for an English label: ``CNY 540,000,000``, ``68.8%``, ``16,800 chips``."""
    value = amount.value
    number = f"{value:,}" if isinstance(value, int) else format(value.normalize(), ",f")
    unit = amount.unit.notation
    if unit == "CNY":
        return f"CNY {number}"
    if unit == "percent":
        return f"{number}%"
    if unit == "times":
        return f"{number}x"
    return f"{number} {unit}{'' if value == 1 else 's'}"

class FactGraph:
    """A built graph, subject by subject, in the string terms of ``kg.terms``.

    Much lighter than an rdflib Graph: the shape checks read it subject by
    subject, the exports sort and write it, and ``to_rdflib`` gives the Graph
    that queries and views work on.
    """

    def __init__(self, subjects: Mapping[str, Sequence[tuple[str, str]]], *, unique: bool = False):
        # A subject's pairs without repeats, in the order they were made (``unique``: they have none).
        self.subjects: dict[str, tuple[tuple[str, str], ...]] = (
            dict(subjects) if unique else {subject: tuple(dict.fromkeys(pairs)) for subject, pairs in subjects.items()}
        )
        self._length = sum(len(pairs) for pairs in self.subjects.values())

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        for subject, pairs in self.subjects.items():
            for predicate, obj in pairs:
                yield subject, predicate, obj

    @classmethod
    def from_rdflib(cls, graph: Graph) -> FactGraph:
        subjects: dict[str, list[tuple[str, str]]] = {}
        for s, p, o in graph:
            subjects.setdefault(from_rdflib(s), []).append((from_rdflib(p), from_rdflib(o)))
        return cls(subjects)

    def to_rdflib(self) -> Graph:
        graph = new_graph()
        graph.addN((to_rdflib(s), to_rdflib(p), to_rdflib(o), graph) for s, p, o in self)
        return graph


def build_graph(facts: Facts, *, with_ontology: bool = True) -> Graph:
    """The instance graph of ``facts``, with the ontology merged in unless told otherwise."""
    return fact_graph(facts, with_ontology=with_ontology).to_rdflib()


def fact_graph(facts: Facts, *, with_ontology: bool = True) -> FactGraph:
    """``build_graph`` without rdflib: the form the checks and exports work on."""
    return FactGraph(graph_subjects(facts.records, names_of(facts.records), with_ontology=with_ontology))


def graph_subjects(records: Iterable[Record], names: Mapping[str, dict[str, str]], *,
                   with_ontology: bool = True) -> dict[str, list[tuple[str, str]]]:
    builder = RecordBuilder(names)
    subjects: dict[str, list[tuple[str, str]]] = {}
    if with_ontology:
        for subject, pairs in ontology_subjects().items():
            subjects[subject] = list(pairs)
    periods: dict[str, Period] = {}
    for record in records:
        subject, pairs = builder.build(record)
        subjects.setdefault(subject, []).extend(pairs)
        for period in periods_of(record):
            periods.setdefault(period.code, period)
    for period in periods.values():
        subjects[period_term(period)] = period_pairs(period)
    return subjects


def names_of(records: Iterable[Record]) -> dict[str, dict[str, str]]:
    """What labels are made of: the names (or a source's title) of every record with an id."""
    return {r.key: r.get("name") or r.get("title") for r in records if "id" in r.values}


def periods_of(record: Record) -> list[Period]:
    return [record.values[name] for name in ("period", "reference_period") if name in record.values]


@cache
def ontology_subjects() -> dict[str, tuple[tuple[str, str], ...]]:
    subjects: dict[str, list[tuple[str, str]]] = {}
    for s, p, o in ontology_graph():
        subjects.setdefault(from_rdflib(s), []).append((from_rdflib(p), from_rdflib(o)))
    return {subject: tuple(pairs) for subject, pairs in subjects.items()}


def number(value: Decimal | int) -> Literal:
    """Counts are xsd:integer, everything else an exact xsd:decimal."""
    return to_rdflib(_number(value))


def date_literal(date: Date) -> Literal:
    return to_rdflib(_date(date))


def _number(value: Decimal | int) -> str:
    if isinstance(value, int):
        return literal(str(value), datatype=_XSD_INTEGER)
    return literal(canonical_decimal(value), datatype=_XSD_DECIMAL)


def _date(date: Date) -> str:
    return literal(date.lexical, datatype=XSD_NS + date.xsd_type)


class _Terms:
    """The IRIs the builder writes, as strings, looked up once (``GPU.x`` is slow)."""

    def __init__(self) -> None:
        for name in GPU.__annotations__:
            setattr(self, name, str(GPU[name]))
        self.type, self.label, self.alt_label = str(RDF.type), str(RDFS.label), str(SKOS.altLabel)
        self.notation = str(SKOS.notation)
        self.dcterms_type = str(DCTERMS.type)


T = _Terms()
XSD_NS = str(XSD)
_XSD_INTEGER, _XSD_DECIMAL = XSD_NS + "integer", XSD_NS + "decimal"
KGR_TEXT = str(KGR)
_PRODUCT_TERMS = {kind: str(cls) for kind, cls in _PRODUCT_CLASS.items()}
_QUALIFIERS = {"exact": T.Exact, "at-least": T.AtLeast, "range": T.Range}


@lru_cache(maxsize=None)
def kgr(key: str) -> str:
    """The IRI of an id, as a string term; ids repeat, so each is made once."""
    return KGR_TEXT + key


def record_term(record: Record) -> str:
    return KGR_TEXT + IRI_PREFIX.get(record.kind, "") + record.key


@lru_cache(maxsize=None)
def period_term(period: Period) -> str:
    return KGR_TEXT + "period/" + period.slug


def period_pairs(period: Period) -> list[tuple[str, str]]:
    pairs = [(T.type, getattr(T, period.kind)), (T.label, literal(period.label_en, "en")),
             (T.label, literal(period.label_zh, "zh"))]
    if period.start is not None:
        pairs.append((T.startDate, literal(period.start.isoformat(), datatype=XSD_NS + "date")))
        pairs.append((T.endDate, literal(period.end.isoformat(), datatype=XSD_NS + "date")))
    return pairs


@cache
def _codes() -> dict[str, dict[str, str]]:
    """Concept class local name -> notation -> the concept's IRI."""
    vocab = vocabulary()
    return {str(cls).split("#")[-1]: {code: str(iri) for code, iri in codes.items()} for cls, codes in vocab.concepts.items()}


@cache
def _concept_labels() -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = {}
    for concept, label in ontology_graph().subject_objects(RDFS.label):
        if isinstance(label, Literal) and label.language:
            labels.setdefault(str(concept), {}).setdefault(label.language, str(label))
    return labels


class RecordBuilder:
    """Turns one record into its subject and (predicate, object) pairs.

    Labels of facts name the entities they are about, so the builder needs the
    names of every id a record refers to (``names``), not only the record.
    """

    def __init__(self, names: Mapping[str, dict[str, str]]):
        self.names = names
        self.vocab = vocabulary()
        self.codes = _codes()
        self.concept_labels = _concept_labels()
        self.roles = {role: str(cls) for role, cls in self.vocab.organization_roles.items()}
        self.pairs: list[tuple[str, str]] = []
        self._adders: dict[str, Callable[[Record], None]] = {}

    def build(self, record: Record) -> tuple[str, list[tuple[str, str]]]:
        self.pairs = []
        adder = self._adders.get(record.kind)
        if adder is None:
            adder = self._adders[record.kind] = getattr(self, "add_" + record.kind)
        adder(record)
        if record.kind != "sources":
            self.add_provenance(record)
        return record_term(record), self.pairs

    def add(self, predicate: str, obj: str) -> None:
        self.pairs.append((predicate, obj))

    def refs(self, predicate: str, record: Record, name: str) -> None:
        for ref, _ in record.values.get(name, ()):
            self.pairs.append((predicate, kgr(ref)))

    def code(self, concept_class: str, code: str) -> str:
        return self.codes[concept_class][code]

    # --- shared parts ---------------------------------------------------------------

    def add_names(self, record: Record) -> None:
        for lang, text in record["name"].items():
            self.add(T.label, literal(text, lang))
        for lang, texts in record.get("aliases", {}).items():
            for text in texts:
                self.add(T.alt_label, literal(text, lang))

    def add_labels(self, en: str, zh: str) -> None:
        self.add(T.label, literal(en, "en"))
        self.add(T.label, literal(zh, "zh"))

    def add_provenance(self, record: Record) -> None:
        self.add(T.source, kgr(record.ref("source")))
        self.refs(T.citedSource, record, "cites")
        for quote in record.get("quote", ()):
            self.add(T.quote, literal(quote, "zh"))
        if "note" in record.values:
            self.add(T.note, literal(record["note"], "en"))

    def add_common(self, record: Record) -> None:
        for predicate, name in ((T.inSector, "in_sectors"), (T.servesSector, "serves_sectors"),
                                (T.benchmarkedAgainst, "benchmarked_against")):
            self.refs(predicate, record, name)
        if "process_node" in record.values:
            self.add(T.processNode, literal(record["process_node"]))
        for stance in record.get("software_ecosystem", ()):
            self.add(T.softwareEcosystem, self.code("EcosystemStance", stance))

    def use_period(self, predicate: str, period: Period) -> None:
        self.add(predicate, period_term(period))

    def add_when(self, record: Record) -> None:
        if "date" in record.values:
            self.add(T.date, _date(record["date"]))
        if "period" in record.values:
            self.use_period(T.period, record["period"])
        if "stated_date" in record.values:
            self.add(T.statedDate, literal(record["stated_date"], "zh"))

    def when_text(self, record: Record, lang: str) -> str:
        if "date" in record.values:
            return record["date"].lexical
        period = record["period"]
        return period.label_en if lang == "en" else period.label_zh

    def name(self, ref: str, lang: str) -> str:
        return self.names[ref][lang]

    def concept_label(self, concept: str, lang: str) -> str:
        return self.concept_labels.get(concept, {}).get(lang) or concept.split("#")[-1]

    # --- one method per kind ---------------------------------------------------------

    def add_sources(self, r: Record) -> None:
        self.add(T.type, T.Source)
        for lang, text in r["title"].items():
            self.add(T.label, literal(text, lang))
            self.add(T.title, literal(text, lang))
        self.add(T.dcterms_type, literal(r["kind"]))
        if "publisher" in r.values:
            self.add(T.publisher, kgr(r.ref("publisher")))
        if "url" in r.values:
            self.add(T.url, literal(r["url"], datatype=XSD_NS + "anyURI"))
        if "language" in r.values:
            self.add(T.language, literal(r["language"], datatype=XSD_NS + "language"))
        if "note" in r.values:
            self.add(T.note, literal(r["note"], "en"))

    def add_organizations(self, r: Record) -> None:
        for role in r["roles"]:
            self.add(T.type, self.roles[role])
        self.add_names(r)
        for lang, text in r.get("legal_name", {}).items():
            self.add(T.legalName, literal(text, lang))
        for ticker in r.get("tickers", ()):
            self.add(T.notation, literal(ticker))
        if "founded" in r.values:
            self.add(T.foundedIn, literal(r["founded"], datatype=XSD_NS + "gYear"))
        if "headquarters" in r.values:
            self.add(T.headquarteredIn, kgr(r.ref("headquarters")))
        if "part_of" in r.values:
            self.add(T.partOf, kgr(r.ref("part_of")))
        self.refs(T.managementFrom, r, "management_from")
        self.add_common(r)

    def add_groups(self, r: Record) -> None:
        self.add(T.type, T.CompanyGroup)
        self.add_names(r)
        self.refs(T.member, r, "members")
        self.add_common(r)

    def add_places(self, r: Record) -> None:
        self.add(T.type, T.Location)
        self.add_names(r)
        if "within" in r.values:
            self.add(T.locatedIn, kgr(r.ref("within")))

    def add_sectors(self, r: Record) -> None:
        self.add(T.type, T.Sector)
        self.add_names(r)

    def add_products(self, r: Record) -> None:
        self.add(T.type, _PRODUCT_TERMS[r["type"]])
        self.add_names(r)
        self.add(T.designedBy, kgr(r.ref("designer")))
        if "line" in r.values:
            self.add(T.productLine, kgr(r.ref("line")))
        if "workload" in r.values:
            self.add(T.workload, self.code("Workload", r["workload"]))
        self.add_common(r)

    def add_segments(self, r: Record) -> None:
        self.add(T.type, T.BusinessSegment)
        self.add_names(r)
        self.add(T.segmentOf, kgr(r.ref("company")))
        if "product_line" in r.values:
            self.add(T.segmentProductLine, kgr(r.ref("product_line")))

    def add_milestones(self, r: Record) -> None:
        kind = self.code("MilestoneType", r["type"])
        self.add(T.type, T.Milestone)
        self.add(T.milestoneOf, kgr(r.ref("of")))
        self.add(T.milestoneType, kind)
        self.add_when(r)
        of = r.ref("of")
        self.add_labels(
            f"{self.name(of, 'en')}: {self.concept_label(kind, 'en')} ({self.when_text(r, 'en')})",
            f"{self.name(of, 'zh')}:{self.concept_label(kind, 'zh')}({self.when_text(r, 'zh')})",
        )

    def add_supply_chain(self, r: Record) -> None:
        role = self.code("SupplierRole", r["role"])
        client, supplier = r.ref("client"), r.ref("supplier")
        self.add(T.type, T.SupplyRelation)
        self.add(T.client, kgr(client))
        self.add(T.supplier, kgr(supplier))
        self.add(T.supplierRole, role)
        self.add_labels(
            f"{self.name(supplier, 'en')} → {self.name(client, 'en')} ({self.concept_label(role, 'en')})",
            f"{self.name(supplier, 'zh')} → {self.name(client, 'zh')}({self.concept_label(role, 'zh')})",
        )

    def add_funding_rounds(self, r: Record) -> None:
        company = r.ref("company")
        self.add(T.type, T.FundingRound)
        self.add(T.fundedCompany, kgr(company))
        self.add(T.date, _date(r["date"]))
        if "stated_date" in r.values:
            self.add(T.statedDate, literal(r["stated_date"], "zh"))
        if "round" in r.values:
            self.add(T.roundName, literal(r["round"]))
        for name, predicate in (("pre_money", T.preMoneyValuation), ("post_money", T.postMoneyValuation)):
            if name in r.values:
                amount: Amount = r[name]
                self.add(predicate, _number(amount.value))
                self.add(T.unit, T.CNY)
        self.refs(T.investor, r, "investors")
        round_en = f"{r['round']} round" if "round" in r.values else "funding round"
        round_zh = f"{r['round']}轮融资" if "round" in r.values else "融资"
        self.add_labels(
            f"{self.name(company, 'en')} {round_en} ({r['date'].lexical})",
            f"{self.name(company, 'zh')}{round_zh}({r['date'].lexical})",
        )

    def add_listing_events(self, r: Record) -> None:
        kind = self.code("ListingEventType", r["type"])
        company = r.ref("company")
        self.add(T.type, T.ListingEvent)
        self.add(T.listingCompany, kgr(company))
        self.add(T.eventType, kind)
        if "venue" in r.values:
            self.add(T.venue, kgr(r.ref("venue")))
        self.add_when(r)
        venue = r.ref("venue")
        at_en = f" on {self.name(venue, 'en')}" if venue else ""
        at_zh = f"于{self.name(venue, 'zh')}" if venue else ""
        self.add_labels(
            f"{self.name(company, 'en')}: {self.concept_label(kind, 'en')}{at_en} ({self.when_text(r, 'en')})",
            f"{self.name(company, 'zh')}{at_zh}{self.concept_label(kind, 'zh')}({self.when_text(r, 'zh')})",
        )

    def add_figures(self, r: Record) -> None:
        metric = self.code("Metric", r["metric"])
        unit_notation = self.vocab.metric_units[r["metric"]].notation
        stated: FigureValue = r["figure"]
        of = r.ref("of")
        self.add(T.type, T.Figure)
        self.add(T.figureOf, kgr(of))
        self.add(T.metric, metric)
        self.add(T.unit, self.code("Unit", unit_notation))
        self.use_period(T.period, r["period"])
        if "reference_period" in r.values:
            self.use_period(T.referencePeriod, r["reference_period"])
        for name, predicate in (("segment", T.segment), ("event", T.listingEvent)):
            if name in r.values:
                self.add(predicate, kgr(r.ref(name)))
        self.add(T.qualifier, _QUALIFIERS[stated.qualifier])
        if stated.value is not None:
            self.add(T.value, _number(stated.value.value))
            self.add(T.statedValue, literal(stated.value.stated, "zh"))
            shown_en = ("over " if stated.qualifier == "at-least" else "") + in_english(stated.value)
            shown_zh = ("超" if stated.qualifier == "at-least" else "") + stated.value.stated
        else:
            self.add(T.minValue, _number(stated.low.value))
            self.add(T.maxValue, _number(stated.high.value))
            self.add(T.statedValue, literal(f"{stated.low.stated}—{stated.high.stated}", "zh"))
            shown_en = f"{in_english(stated.low)}–{in_english(stated.high)}"
            shown_zh = f"{stated.low.stated}–{stated.high.stated}"
        subject_en, subject_zh = self.name(of, "en"), self.name(of, "zh")
        if "segment" in r.values:
            segment = r.ref("segment")
            subject_en += f" {self.name(segment, 'en')}"
            subject_zh += self.name(segment, "zh")
        period = r["period"]
        if "reference_period" in r.values:  # "60%" means nothing without "of FY2024"
            shown_en += f" of {r['reference_period'].label_en}"
            shown_zh = f"{r['reference_period'].label_zh}的{shown_zh}"
        self.add_labels(
            f"{subject_en} {self.concept_label(metric, 'en')} {period.label_en}: {shown_en}",
            f"{subject_zh}{period.label_zh}{self.concept_label(metric, 'zh')}:{shown_zh}",
        )

    def add_statements(self, r: Record) -> None:
        self.add(T.type, T.Statement)
        self.refs(T.statementAbout, r, "about")
        self.add(T.statementKind, self.code("StatementKind", r["kind"]))
        for lang, text in r["text"].items():
            self.add(T.text, literal(text, lang))
            self.add(T.label, literal(text, lang))
