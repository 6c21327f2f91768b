"""Facts -> RDF graph. Pure: the same facts give the same triples, whatever their order.

IRIs are minted from fact ids (``kgr:iluvatar``) or, for id-less facts, from
what they state (``kgr:figure/iluvatar/revenue/2024``); there are no blank nodes.
"""

from __future__ import annotations

from decimal import Decimal

from rdflib import DCTERMS, OWL, RDF, RDFS, SKOS, XSD, Graph, Literal, Namespace, URIRef

from .facts import Facts, FigureValue, Record
from .ontology import GPU, KGR, ontology_graph, vocabulary
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

_IRI_PREFIX = {"milestones": "milestone/", "supply_chain": "supply/", "figures": "figure/"}
_PRODUCT_CLASS = {"line": GPU.ProductLine, "generation": GPU.ProductGeneration, "product": GPU.Product}


def new_graph() -> Graph:
    """An empty graph with exactly our prefixes bound (rdflib would otherwise add its own)."""
    graph = Graph(identifier=GRAPH_IRI, bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.bind("xml", XML_NS)  # RDF/XML writes xml:lang through it
    return graph


def record_iri(record: Record) -> URIRef:
    return KGR[_IRI_PREFIX.get(record.kind, "") + record.key]


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


def build_graph(facts: Facts, *, with_ontology: bool = True) -> Graph:
    """The instance graph of ``facts``, with the ontology merged in unless told otherwise."""
    graph = new_graph()
    if with_ontology:
        for triple in ontology_graph():
            graph.add(triple)
    _Builder(facts, graph).run()
    return graph


def _lang(text: str, lang: str) -> Literal:
    return Literal(text, lang=lang)


def number(value: Decimal | int) -> Literal:
    """Counts are xsd:integer, everything else an exact xsd:decimal."""
    if isinstance(value, int):
        return Literal(str(value), datatype=XSD.integer)
    return Literal(canonical_decimal(value), datatype=XSD.decimal)


def date_literal(date: Date) -> Literal:
    return Literal(date.lexical, datatype=XSD[date.xsd_type])


class _Builder:
    def __init__(self, facts: Facts, graph: Graph):
        self.facts = facts
        self.graph = graph
        self.vocab = vocabulary()
        self.periods: dict[str, Period] = {}
        self.names = {r.key: r.get("name") or r.get("title") for r in facts.records if "id" in r.values}

    def add(self, subject: URIRef, predicate: URIRef, obj) -> None:
        self.graph.add((subject, predicate, obj))

    def refs(self, subject: URIRef, predicate: URIRef, record: Record, name: str) -> None:
        for ref in record.refs(name):
            self.add(subject, predicate, KGR[ref])

    def code(self, concept_class: URIRef, code: str) -> URIRef:
        return self.vocab.codes(concept_class)[code]

    def run(self) -> None:
        for record in self.facts.records:
            subject = record_iri(record)
            getattr(self, "add_" + record.kind)(subject, record)
            if record.kind != "sources":
                self.add_provenance(subject, record)
        for period in self.periods.values():
            self.add_period(period)

    # --- shared parts ---------------------------------------------------------------

    def add_names(self, subject: URIRef, record: Record) -> None:
        for lang, text in record["name"].items():
            self.add(subject, RDFS.label, _lang(text, lang))
        for lang, texts in record.get("aliases", {}).items():
            for text in texts:
                self.add(subject, SKOS.altLabel, _lang(text, lang))

    def add_labels(self, subject: URIRef, en: str, zh: str) -> None:
        self.add(subject, RDFS.label, _lang(en, "en"))
        self.add(subject, RDFS.label, _lang(zh, "zh"))

    def add_provenance(self, subject: URIRef, record: Record) -> None:
        self.add(subject, GPU.source, KGR[record.ref("source")])
        self.refs(subject, GPU.citedSource, record, "cites")
        for quote in record.get("quote", ()):
            self.add(subject, GPU.quote, _lang(quote, "zh"))
        if "note" in record.values:
            self.add(subject, GPU.note, _lang(record["note"], "en"))

    def add_common(self, subject: URIRef, record: Record) -> None:
        for predicate, name in ((GPU.inSector, "in_sectors"), (GPU.servesSector, "serves_sectors"),
                                (GPU.benchmarkedAgainst, "benchmarked_against")):
            self.refs(subject, predicate, record, name)
        if "process_node" in record.values:
            self.add(subject, GPU.processNode, Literal(record["process_node"]))
        for stance in record.get("software_ecosystem", ()):
            self.add(subject, GPU.softwareEcosystem, self.code(GPU.EcosystemStance, stance))

    def use_period(self, subject: URIRef, predicate: URIRef, period: Period) -> None:
        self.periods.setdefault(period.code, period)
        self.add(subject, predicate, period_iri(period))

    def add_when(self, subject: URIRef, record: Record) -> None:
        if "date" in record.values:
            self.add(subject, GPU.date, date_literal(record["date"]))
        if "period" in record.values:
            self.use_period(subject, GPU.period, record["period"])
        if "stated_date" in record.values:
            self.add(subject, GPU.statedDate, _lang(record["stated_date"], "zh"))

    def when_text(self, record: Record, lang: str) -> str:
        if "date" in record.values:
            return record["date"].lexical
        period = record["period"]
        return period.label_en if lang == "en" else period.label_zh

    def name(self, ref: str, lang: str) -> str:
        return self.names[ref][lang]

    def concept_label(self, concept: URIRef, lang: str) -> str:
        for label in ontology_graph().objects(concept, RDFS.label):
            if label.language == lang:
                return str(label)
        return concept.split("#")[-1]

    # --- one method per kind ---------------------------------------------------------

    def add_sources(self, s: URIRef, r: Record) -> None:
        self.add(s, RDF.type, GPU.Source)
        for lang, text in r["title"].items():
            self.add(s, RDFS.label, _lang(text, lang))
            self.add(s, GPU.title, _lang(text, lang))
        self.add(s, DCTERMS.type, Literal(r["kind"]))
        if "publisher" in r.values:
            self.add(s, GPU.publisher, KGR[r.ref("publisher")])
        if "url" in r.values:
            self.add(s, GPU.url, Literal(r["url"], datatype=XSD.anyURI))
        if "language" in r.values:
            self.add(s, GPU.language, Literal(r["language"], datatype=XSD.language))
        if "note" in r.values:
            self.add(s, GPU.note, _lang(r["note"], "en"))

    def add_organizations(self, s: URIRef, r: Record) -> None:
        for role in r["roles"]:
            self.add(s, RDF.type, self.vocab.organization_roles[role])
        self.add_names(s, r)
        for lang, text in r.get("legal_name", {}).items():
            self.add(s, GPU.legalName, _lang(text, lang))
        if "founded" in r.values:
            self.add(s, GPU.foundedIn, Literal(r["founded"], datatype=XSD.gYear))
        if "headquarters" in r.values:
            self.add(s, GPU.headquarteredIn, KGR[r.ref("headquarters")])
        if "part_of" in r.values:
            self.add(s, GPU.partOf, KGR[r.ref("part_of")])
        self.refs(s, GPU.managementFrom, r, "management_from")
        self.add_common(s, r)

    def add_groups(self, s: URIRef, r: Record) -> None:
        self.add(s, RDF.type, GPU.CompanyGroup)
        self.add_names(s, r)
        self.refs(s, GPU.member, r, "members")
        self.add_common(s, r)

    def add_places(self, s: URIRef, r: Record) -> None:
        self.add(s, RDF.type, GPU.Location)
        self.add_names(s, r)
        if "within" in r.values:
            self.add(s, GPU.locatedIn, KGR[r.ref("within")])

    def add_sectors(self, s: URIRef, r: Record) -> None:
        self.add(s, RDF.type, GPU.Sector)
        self.add_names(s, r)

    def add_products(self, s: URIRef, r: Record) -> None:
        self.add(s, RDF.type, _PRODUCT_CLASS[r["type"]])
        self.add_names(s, r)
        self.add(s, GPU.designedBy, KGR[r.ref("designer")])
        if "line" in r.values:
            self.add(s, GPU.productLine, KGR[r.ref("line")])
        if "workload" in r.values:
            self.add(s, GPU.workload, self.code(GPU.Workload, r["workload"]))
        self.add_common(s, r)

    def add_segments(self, s: URIRef, r: Record) -> None:
        self.add(s, RDF.type, GPU.BusinessSegment)
        self.add_names(s, r)
        self.add(s, GPU.segmentOf, KGR[r.ref("company")])
        if "product_line" in r.values:
            self.add(s, GPU.segmentProductLine, KGR[r.ref("product_line")])

    def add_milestones(self, s: URIRef, r: Record) -> None:
        kind = self.code(GPU.MilestoneType, r["type"])
        self.add(s, RDF.type, GPU.Milestone)
        self.add(s, GPU.milestoneOf, KGR[r.ref("of")])
        self.add(s, GPU.milestoneType, kind)
        self.add_when(s, r)
        of = r.ref("of")
        self.add_labels(
            s,
            f"{self.name(of, 'en')}: {self.concept_label(kind, 'en')} ({self.when_text(r, 'en')})",
            f"{self.name(of, 'zh')}:{self.concept_label(kind, 'zh')}({self.when_text(r, 'zh')})",
        )

    def add_supply_chain(self, s: URIRef, r: Record) -> None:
        role = self.code(GPU.SupplierRole, r["role"])
        client, supplier = r.ref("client"), r.ref("supplier")
        self.add(s, RDF.type, GPU.SupplyRelation)
        self.add(s, GPU.client, KGR[client])
        self.add(s, GPU.supplier, KGR[supplier])
        self.add(s, GPU.supplierRole, role)
        self.add_labels(
            s,
            f"{self.name(supplier, 'en')} → {self.name(client, 'en')} ({self.concept_label(role, 'en')})",
            f"{self.name(supplier, 'zh')} → {self.name(client, 'zh')}({self.concept_label(role, 'zh')})",
        )

    def add_funding_rounds(self, s: URIRef, r: Record) -> None:
        company = r.ref("company")
        self.add(s, RDF.type, GPU.FundingRound)
        self.add(s, GPU.fundedCompany, KGR[company])
        self.add(s, GPU.date, date_literal(r["date"]))
        if "stated_date" in r.values:
            self.add(s, GPU.statedDate, _lang(r["stated_date"], "zh"))
        if "round" in r.values:
            self.add(s, GPU.roundName, Literal(r["round"]))
        for name, predicate in (("pre_money", GPU.preMoneyValuation), ("post_money", GPU.postMoneyValuation)):
            if name in r.values:
                amount: Amount = r[name]
                self.add(s, predicate, number(amount.value))
                self.add(s, GPU.unit, GPU.CNY)
        self.refs(s, GPU.investor, r, "investors")
        round_en = f"{r['round']} round" if "round" in r.values else "funding round"
        round_zh = f"{r['round']}轮融资" if "round" in r.values else "融资"
        self.add_labels(
            s,
            f"{self.name(company, 'en')} {round_en} ({r['date'].lexical})",
            f"{self.name(company, 'zh')}{round_zh}({r['date'].lexical})",
        )

    def add_listing_events(self, s: URIRef, r: Record) -> None:
        kind = self.code(GPU.ListingEventType, r["type"])
        company = r.ref("company")
        self.add(s, RDF.type, GPU.ListingEvent)
        self.add(s, GPU.listingCompany, KGR[company])
        self.add(s, GPU.eventType, kind)
        if "venue" in r.values:
            self.add(s, GPU.venue, KGR[r.ref("venue")])
        self.add_when(s, r)
        venue = r.ref("venue")
        at_en = f" on {self.name(venue, 'en')}" if venue else ""
        at_zh = f"({self.name(venue, 'zh')})" if venue else ""
        self.add_labels(
            s,
            f"{self.name(company, 'en')}: {self.concept_label(kind, 'en')}{at_en} ({self.when_text(r, 'en')})",
            f"{self.name(company, 'zh')}:{self.concept_label(kind, 'zh')}{at_zh}({self.when_text(r, 'zh')})",
        )

    def add_figures(self, s: URIRef, r: Record) -> None:
        metric = self.code(GPU.Metric, r["metric"])
        unit_notation = self.vocab.metric_units[r["metric"]].notation
        stated: FigureValue = r["figure"]
        of = r.ref("of")
        self.add(s, RDF.type, GPU.Figure)
        self.add(s, GPU.figureOf, KGR[of])
        self.add(s, GPU.metric, metric)
        self.add(s, GPU.unit, self.code(GPU.Unit, unit_notation))
        self.use_period(s, GPU.period, r["period"])
        if "reference_period" in r.values:
            self.use_period(s, GPU.referencePeriod, r["reference_period"])
        for name, predicate in (("segment", GPU.segment), ("event", GPU.listingEvent)):
            if name in r.values:
                self.add(s, predicate, KGR[r.ref(name)])
        qualifier = {"exact": GPU.Exact, "at-least": GPU.AtLeast, "range": GPU.Range}[stated.qualifier]
        self.add(s, GPU.qualifier, qualifier)
        if stated.value is not None:
            self.add(s, GPU.value, number(stated.value.value))
            self.add(s, GPU.statedValue, _lang(stated.value.stated, "zh"))
            shown_en = ("over " if stated.qualifier == "at-least" else "") + stated.value.stated
            shown_zh = ("超" if stated.qualifier == "at-least" else "") + stated.value.stated
        else:
            self.add(s, GPU.minValue, number(stated.low.value))
            self.add(s, GPU.maxValue, number(stated.high.value))
            self.add(s, GPU.statedValue, _lang(f"{stated.low.stated}—{stated.high.stated}", "zh"))
            shown_en = shown_zh = f"{stated.low.stated}–{stated.high.stated}"
        subject_en, subject_zh = self.name(of, "en"), self.name(of, "zh")
        if "segment" in r.values:
            segment = r.ref("segment")
            subject_en += f" {self.name(segment, 'en')}"
            subject_zh += self.name(segment, "zh")
        period = r["period"]
        self.add_labels(
            s,
            f"{subject_en} {self.concept_label(metric, 'en')} {period.label_en}: {shown_en}",
            f"{subject_zh}{period.label_zh}{self.concept_label(metric, 'zh')}:{shown_zh}",
        )

    def add_statements(self, s: URIRef, r: Record) -> None:
        self.add(s, RDF.type, GPU.Statement)
        self.refs(s, GPU.statementAbout, r, "about")
        self.add(s, GPU.statementKind, self.code(GPU.StatementKind, r["kind"]))
        for lang, text in r["text"].items():
            self.add(s, GPU.text, _lang(text, lang))
            self.add(s, RDFS.label, _lang(text, lang))

    def add_period(self, period: Period) -> None:
        s = period_iri(period)
        self.add(s, RDF.type, getattr(GPU, period.kind))
        self.add_labels(s, period.label_en, period.label_zh)
        if period.start is not None:
            self.add(s, GPU.startDate, Literal(period.start.isoformat(), datatype=XSD.date))
            self.add(s, GPU.endDate, Literal(period.end.isoformat(), datatype=XSD.date))
