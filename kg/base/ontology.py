"""The ontology: its namespace (the one place it is defined), the file, and its vocabularies.

Code names terms through ``GPU``, a closed namespace: a typo raises at import
time instead of minting an IRI nobody declared (tests check the list against
``ontology/gpu.ttl``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD, DefinedNamespace

from .values import Unit

ONTOLOGY_IRI = "https://w3id.org/gpu-kg/ontology"
KGR = Namespace("https://w3id.org/gpu-kg/id/")


class GPU(DefinedNamespace):
    """Terms of ``ontology/gpu.ttl``."""

    _NS = Namespace(ONTOLOGY_IRI + "#")
    _fail = True

    # classes
    Sourced: URIRef
    Entity: URIRef
    Party: URIRef
    Organization: URIRef
    ChipDesigner: URIRef
    Foundry: URIRef
    PackagingTestHouse: URIRef
    InvestmentFirm: URIRef
    StockExchange: URIRef
    ListingBoard: URIRef
    ResearchFirm: URIRef
    DataProvider: URIRef
    CompanyGroup: URIRef
    Product: URIRef
    ProductLine: URIRef
    ProductGeneration: URIRef
    BusinessSegment: URIRef
    Location: URIRef
    Sector: URIRef
    Fact: URIRef
    Figure: URIRef
    SupplyRelation: URIRef
    FundingRound: URIRef
    ListingEvent: URIRef
    Milestone: URIRef
    Statement: URIRef
    Source: URIRef
    Period: URIRef
    FiscalYear: URIRef
    HalfYear: URIRef
    Quarter: URIRef
    PeriodSpan: URIRef
    PointInTime: URIRef
    UnspecifiedPeriod: URIRef
    Concept: URIRef
    Metric: URIRef
    Unit: URIRef
    Qualifier: URIRef
    SupplierRole: URIRef
    ListingEventType: URIRef
    MilestoneType: URIRef
    Workload: URIRef
    EcosystemStance: URIRef
    StatementKind: URIRef
    Person: URIRef
    Position: URIRef
    Security: URIRef
    NewsOutlet: URIRef
    SecuritiesFirm: URIRef
    Regulator: URIRef
    Reference: URIRef
    BestRank: URIRef
    PriceBasis: URIRef
    Approximation: URIRef
    Circumstance: URIRef
    Rank: URIRef
    PositionRole: URIRef
    Tranche: URIRef
    OfferingStage: URIRef
    FeeKind: URIRef
    MarketIndex: URIRef
    Stake: URIRef
    # object properties
    designedBy: URIRef
    productLine: URIRef
    workload: URIRef
    benchmarkedAgainst: URIRef
    softwareEcosystem: URIRef
    headquarteredIn: URIRef
    locatedIn: URIRef
    inSector: URIRef
    servesSector: URIRef
    managementFrom: URIRef
    member: URIRef
    partOf: URIRef
    segmentOf: URIRef
    segmentProductLine: URIRef
    source: URIRef
    citedSource: URIRef
    publisher: URIRef
    client: URIRef
    supplier: URIRef
    supplierRole: URIRef
    fundedCompany: URIRef
    investor: URIRef
    listingCompany: URIRef
    venue: URIRef
    eventType: URIRef
    milestoneOf: URIRef
    milestoneType: URIRef
    figureOf: URIRef
    metric: URIRef
    period: URIRef
    referencePeriod: URIRef
    segment: URIRef
    listingEvent: URIRef
    unit: URIRef
    qualifier: URIRef
    statementAbout: URIRef
    statementKind: URIRef
    expectedUnit: URIRef
    rank: URIRef
    basis: URIRef
    approximation: URIRef
    circumstance: URIRef
    saidBy: URIRef
    holder: URIRef
    market: URIRef
    sponsor: URIRef
    cornerstoneInvestor: URIRef
    security: URIRef
    securityOf: URIRef
    listedOn: URIRef
    person: URIRef
    organization: URIRef
    positionRole: URIRef
    roundingOf: URIRef
    agreesWith: URIRef
    conflictsWith: URIRef
    tranche: URIRef
    confirmedBy: URIRef
    offeringStage: URIRef
    convertedUnit: URIRef
    eventPlace: URIRef
    counterparty: URIRef
    parentOrganization: URIRef
    indexVenue: URIRef
    stakeCompany: URIRef
    stakeHolder: URIRef
    # datatype properties
    foundedIn: URIRef
    legalName: URIRef
    processNode: URIRef
    roundName: URIRef
    preMoneyValuation: URIRef
    postMoneyValuation: URIRef
    date: URIRef
    statedDate: URIRef
    value: URIRef
    minValue: URIRef
    maxValue: URIRef
    statedValue: URIRef
    quote: URIRef
    note: URIRef
    text: URIRef
    startDate: URIRef
    endDate: URIRef
    title: URIRef
    url: URIRef
    language: URIRef
    symbol: URIRef
    rankReason: URIRef
    ticker: URIRef
    positionTitle: URIRef
    former: URIRef
    locator: URIRef
    published: URIRef
    author: URIRef
    needsBasis: URIRef
    convertedValue: URIRef
    publishedAfter: URIRef
    convertedStated: URIRef
    segmentStarted: URIRef
    allowsBasis: URIRef
    figureSecurity: URIRef
    measure: URIRef
    project: URIRef
    auditor: URIRef
    legalAdviser: URIRef
    financialAdviser: URIRef
    confidential: URIRef
    amountRaised: URIRef
    spunOffFrom: URIRef
    convertedApproximation: URIRef
    dateBound: URIRef
    attributableToParent: URIRef
    formerMember: URIRef
    comparedWith: URIRef
    customer: URIRef
    tutor: URIRef
    tradingSession: URIRef
    convertedBound: URIRef
    lockUpMonths: URIRef
    fee: URIRef
    startApproximation: URIRef
    conversion: URIRef
    parentCompanyAccounts: URIRef
    Conversion: URIRef
    # individuals used by code
    Exact: URIRef
    AtLeast: URIRef
    Range: URIRef
    AtMost: URIRef
    Approximate: URIRef
    TWD: URIRef
    EUR: URIRef
    CNY: URIRef
    HKD: URIRef
    USD: URIRef
    Money: URIRef
    PreferredRank: URIRef
    NormalRank: URIRef
    DeprecatedRank: URIRef
    About: URIRef
    Nearly: URIRef
    Rounded: URIRef
    Forecast: URIRef
    Hypothetical: URIRef
    AtOpen: URIRef
    AtClose: URIRef
    IntradayHigh: URIRef
    BasisNotStated: URIRef


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

def new_graph() -> Graph:
    """An empty graph with exactly our prefixes bound (rdflib would otherwise add its own)."""
    graph = Graph(identifier=GRAPH_IRI, bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.bind("xml", XML_NS)  # RDF/XML writes xml:lang through it
    return graph


def ontology_dir() -> Path:
    """``ontology/`` beside the package in a checkout, or packaged inside it in a wheel."""
    packaged = Path(__file__).parent.parent / "ontology"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent.parent / "ontology"


@cache
def ontology_graph() -> Graph:
    """The parsed ontology; callers must copy it before changing it."""
    return _parsed(ontology_dir() / "gpu.ttl")


@cache
def shapes_graph() -> Graph:
    return _parsed(ontology_dir() / "shapes.ttl")


def _parsed(path: Path) -> Graph:
    """A Turtle file as an rdflib Graph, read by Oxigraph's parser (rdflib's takes ten times as long).

    Terms are made as rdflib's own parser makes them: a plain string has no
    datatype, a literal keeps its lexical form, blank nodes keep one identity per
    label within the file.
    """
    import pyoxigraph as ox
    from rdflib import BNode, Literal

    string = "http://www.w3.org/2001/XMLSchema#string"
    lang_string = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
    blanks: dict[str, BNode] = {}

    def term(value: object) -> object:
        if isinstance(value, ox.NamedNode):
            return URIRef(value.value)
        if isinstance(value, ox.BlankNode):
            return blanks.setdefault(value.value, BNode())
        if isinstance(value, ox.Literal):
            if value.language:
                return Literal(value.value, lang=value.language)
            datatype = value.datatype.value
            return Literal(value.value) if datatype in (string, lang_string) else Literal(value.value, datatype=URIRef(datatype))
        raise ValueError(f"{path}: unexpected term {value!r}")

    graph = Graph(bind_namespaces="none")
    try:
        triples = [(term(t.subject), term(t.predicate), term(t.object))
                   for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    except SyntaxError as err:
        raise ValueError(f"{path}: {err}") from None
    graph.addN((s, p, o, graph) for s, p, o in triples)
    return graph


def kebab(local_name: str) -> str:
    """``PackagingTestHouse`` -> ``packaging-test-house``: how facts name ontology classes."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", local_name).lower()


COUNT_UNITS = frozenset({"chip", "device", "customer", "deployment", "project", "patent", "share", "account", "investor", "day",
                         "company", "lot", "person", "product", "position", "item"})


@dataclass(frozen=True)
class Vocabulary:
    """The closed word lists facts may use, read from the ontology so they cannot drift."""

    concepts: dict[URIRef, dict[str, URIRef]]  # concept class -> notation -> individual
    metric_units: dict[str, Unit]                # metric notation -> its unit
    units: dict[URIRef, Unit]
    organization_roles: dict[str, URIRef]       # "chip-designer" -> gpu:ChipDesigner
    basis_metrics: frozenset[str]               # metrics whose figures say their listing-day price basis
    optional_basis_metrics: frozenset[str] = frozenset()  # metrics whose figures may say the price they are reckoned at

    def codes(self, concept_class: URIRef) -> dict[str, URIRef]:
        return self.concepts[concept_class]


@cache
def vocabulary() -> Vocabulary:
    graph = ontology_graph()
    concepts: dict[URIRef, dict[str, URIRef]] = {}
    for concept_class in graph.subjects(RDFS.subClassOf, GPU.Concept):
        concepts[concept_class] = {
            str(graph.value(individual, SKOS.notation)): individual
            for individual in graph.subjects(RDF.type, concept_class)
        }
    units = {
        individual: Unit(notation, str(graph.value(individual, GPU.symbol)), notation in COUNT_UNITS)
        for notation, individual in concepts[GPU.Unit].items()
    }
    metric_units = {
        notation: units[graph.value(individual, GPU.expectedUnit)]
        for notation, individual in concepts[GPU.Metric].items()
    }
    roles = {
        kebab(cls.removeprefix(str(GPU))): cls
        for cls in graph.subjects(RDFS.subClassOf, GPU.Organization)
        if (cls, RDF.type, OWL.Class) in graph
    }
    def flagged(flag: URIRef) -> frozenset[str]:
        return frozenset(
            notation for notation, individual in concepts[GPU.Metric].items()
            if graph.value(individual, flag) is not None and graph.value(individual, flag).toPython()
        )

    return Vocabulary(concepts, metric_units, units, roles, flagged(GPU.needsBasis), flagged(GPU.allowsBasis))
