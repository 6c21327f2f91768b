"""Facts -> RDF graph. Pure: the same facts give the same triples, whatever their order.

IRIs are minted from fact ids (``kgr:iluvatar``) or, for id-less facts, from
what they state (``kgr:figure/iluvatar/revenue/2024``); there are no blank nodes.

Each record makes the triples of one subject, its own IRI, and nothing else
(periods are made once, from every period the records use), so a record can be
built alone given the names of the ids it refers to. The builder writes terms as
plain strings (``kg.base.terms``): rdflib's term and graph objects cost more than the
rest of the build together at a million triples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from functools import cache, lru_cache

from rdflib import DCTERMS, RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef

from ..facts.read import Facts, FigureValue, Provenance, Record
from ..base.ontology import GPU, KGR, new_graph, ontology_graph, vocabulary
from ..facts.reconcile import Reconciled, reconcile
from ..base.terms import from_rdflib, literal, to_rdflib
from ..base.values import (
    APPROXIMATION_CUES, LOWER_BOUND_CUES, UPPER_BOUND_CUES, Amount, Date, Period, canonical_decimal,
)

# Facts without an id are named by kind and key: kgr:figure/iluvatar/revenue/2024.
IRI_PREFIX = {"milestones": "milestone/", "supply_chain": "supply/", "figures": "figure/", "positions": "position/",
              "stakes": "stake/"}
_PRODUCT_CLASS = {"line": GPU.ProductLine, "generation": GPU.ProductGeneration, "product": GPU.Product}


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
    GPU.rank: "rank", GPU.rankReason: "rank_reason", GPU.basis: "basis", GPU.approximation: "approximation",
    GPU.circumstance: "circumstance", GPU.saidBy: "said_by", GPU.holder: "holder", GPU.market: "market",
    GPU.sponsor: "sponsors", GPU.cornerstoneInvestor: "cornerstone_investors", GPU.security: "security",
    GPU.securityOf: "company", GPU.listedOn: "venue", GPU.ticker: "ticker", GPU.person: "person",
    GPU.organization: "organization", GPU.positionRole: "role", GPU.positionTitle: "title", GPU.former: "former",
    GPU.locator: "locator", GPU.published: "published", GPU.publishedAfter: "published_after", GPU.author: "author",
    GPU.tranche: "tranche", GPU.offeringStage: "stage", GPU.convertedValue: "converted", GPU.convertedUnit: "converted",
    GPU.convertedStated: "converted", GPU.eventPlace: "place", GPU.counterparty: "counterparty",
    GPU.parentOrganization: "parent", GPU.segmentStarted: "started", GPU.indexVenue: "venue",
    GPU.stakeCompany: "company", GPU.stakeHolder: "holder", GPU.confirmedBy: "source",
    GPU.figureSecurity: "security", GPU.measure: "measure", GPU.project: "project", GPU.auditor: "auditors",
    GPU.legalAdviser: "legal_advisers", GPU.financialAdviser: "financial_advisers", GPU.confidential: "confidential",
    GPU.amountRaised: "amount", GPU.spunOffFrom: "spun_off_from", GPU.convertedApproximation: "converted",
    GPU.dateBound: "date_bound", GPU.attributableToParent: "attributable",
    GPU.formerMember: "former_members", GPU.comparedWith: "compared_with", GPU.fee: "fee",
    GPU.customer: "customer", GPU.tutor: "tutors", GPU.tradingSession: "session",
    GPU.convertedBound: "converted", GPU.lockUpMonths: "lock_up_months",
    GPU.startApproximation: "period", GPU.conversion: "converted",
    GPU.parentCompanyAccounts: "accounts",
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
    """An amount for an English label: ``CNY 540,000,000``, ``HKD 17.0``, ``68.8%``, ``16,800 chips``."""
    value = amount.value
    number = f"{value:,}" if isinstance(value, int) else format(value.normalize(), ",f")
    unit = amount.unit
    if unit.is_money:
        return f"{unit.notation} {number}"
    if unit.notation == "percent":
        return f"{number}%"
    if unit.notation == "times":
        return f"{number}x"
    return f"{number} {unit.notation}{'' if value == 1 else 's'}"


_BOUND_WORDS = {"at-least": ("over ", "超"), "at-most": ("at most ", "最高")}
_APPROXIMATE_WORDS = {"about": ("about ", "约"), "nearly": ("nearly ", "近"), "rounded": ("", "")}
_CIRCUMSTANCE_WORDS = {"forecast": (" (forecast)", "(预计)"), "hypothetical": (" (hypothetical)", "(假设)"),
                       "planned": (" (planned)", "(计划)")}


def shown_value(figure: FigureValue, lang: str) -> str:
    """A figure's value for a label, never more exact than it is: "at most about HKD 4,850,000,000 (forecast)"."""
    i = 0 if lang == "en" else 1
    if figure.qualifier == "range":
        text = (f"{in_english(figure.low)}–{in_english(figure.high)}" if lang == "en"
                else f"{figure.low.stated}–{figure.high.stated}")
    elif lang == "en":
        text = in_english(figure.value)
    else:
        text = _without_cues(figure.value.stated)
    approximate = _APPROXIMATE_WORDS.get(figure.approximation or "", ("", ""))[i]
    if figure.approximation == "rounded" and lang == "en":
        text += " (rounded)"
    text = approximate + text
    text = _BOUND_WORDS.get(figure.qualifier, ("", ""))[i] + text
    return text + _CIRCUMSTANCE_WORDS.get(figure.circumstance or "", ("", ""))[i]


def _without_cues(stated: str) -> str:
    """The stated number without the cue words the label adds back in their place."""
    text = stated
    for cues in (UPPER_BOUND_CUES, tuple(APPROXIMATION_CUES), LOWER_BOUND_CUES):
        for cue in cues:
            if text.lower().startswith(cue):
                text = text[len(cue):].strip()
                break
    return text


def _lang_of(text: str) -> str:
    return "en" if text.isascii() and any(c.isalpha() for c in text) else "zh"


class FactGraph:
    """A built graph, subject by subject, in the string terms of ``kg.base.terms``.

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
    return FactGraph(graph_subjects(facts.records, names_of(facts.records), (facts.reconciliation or reconcile(facts.records)).statements,
                                    with_ontology=with_ontology))


def graph_subjects(records: Iterable[Record], names: Mapping[str, dict[str, str]],
                   reconciled: Mapping[str, Reconciled] | None = None, *,
                   with_ontology: bool = True) -> dict[str, list[tuple[str, str]]]:
    builder = RecordBuilder(names, reconciled)
    subjects: dict[str, list[tuple[str, str]]] = {}
    if with_ontology:
        for subject, pairs in ontology_subjects().items():
            subjects[subject] = list(pairs)
    periods: dict[str, Period] = {}
    for record in records:
        for subject, pairs in builder.build(record):
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
        self.dcterms_type = str(DCTERMS.type)


T = _Terms()
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
XSD_NS = str(XSD)
_XSD_INTEGER, _XSD_DECIMAL = XSD_NS + "integer", XSD_NS + "decimal"
KGR_TEXT = str(KGR)
_PRODUCT_TERMS = {kind: str(cls) for kind, cls in _PRODUCT_CLASS.items()}
_QUALIFIERS = {"exact": T.Exact, "at-least": T.AtLeast, "at-most": T.AtMost, "range": T.Range}


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
    if period.start_approximation:  # "since mid-August": the first day is a reading, never exact
        pairs.append((T.startApproximation, _codes()["Approximation"][period.start_approximation]))
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

    def __init__(self, names: Mapping[str, dict[str, str]], reconciled: Mapping[str, Reconciled] | None = None):
        self.names = names
        self.reconciled = reconciled or {}
        self.vocab = vocabulary()
        self.codes = _codes()
        self.concept_labels = _concept_labels()
        self.roles = {role: str(cls) for role, cls in self.vocab.organization_roles.items()}
        self.pairs: list[tuple[str, str]] = []
        self._adders: dict[str, Callable[[Record], None]] = {}

    def build(self, record: Record) -> list[tuple[str, list[tuple[str, str]]]]:
        """The record's subject and its pairs, then those of its references (one per source when several)."""
        self.pairs = []
        self.parts: list[tuple[str, list[tuple[str, str]]]] = []  # nodes of the record's own (a conversion)
        adder = self._adders.get(record.kind)
        if adder is None:
            adder = self._adders[record.kind] = getattr(self, "add_" + record.kind)
        adder(record)
        subject = record_term(record)
        if record.kind == "sources":
            return [(subject, self.pairs)]
        if not record.merged:
            self.add_provenance(record.provenance[0], record.kind == "figures")
            return [(subject, self.pairs), *self.parts]
        made = [(subject, self.pairs), *self.parts]
        for said in record.merged:
            self.add(T.source, kgr(said.source))
        for said in record.merged:
            reference = f"{subject}/ref/{said.source}"
            self.add(PROV_DERIVED, reference)
            self.pairs = [(T.type, T.Reference)]
            self.add_provenance(said, True)
            made.append((reference, self.pairs))
            self.pairs = made[0][1]
        return made

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

    def add_provenance(self, said: Provenance, ranked: bool) -> None:
        """Who says it and where; the rank always on a statement of its own source (a figure, a reference)."""
        self.add(T.source, kgr(said.source))
        for cited in said.cites:
            self.add(T.citedSource, kgr(cited))
        for quote in said.quotes:
            self.add(T.quote, literal(quote, "zh"))
        if said.locator is not None:
            self.add(T.locator, literal(said.locator, "en"))
        if said.note is not None:
            self.add(T.note, literal(said.note, "en"))
        if ranked or said.rank != "normal":
            self.add(T.rank, self.code("Rank", said.rank))
        if said.rank_reason is not None:
            self.add(T.rankReason, literal(said.rank_reason, "en"))

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
        for stated in record.get("stated_date", ()):
            self.add(T.statedDate, literal(stated, _lang_of(stated)))

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
        if "published" in r.values:
            self.add(T.published, _date(r["published"]))
        if "published_after" in r.values:
            self.add(T.publishedAfter, _date(r["published_after"]))
        for author in r.get("author", ()):
            self.add(T.author, literal(author))
        if "note" in r.values:
            self.add(T.note, literal(r["note"], "en"))

    def add_organizations(self, r: Record) -> None:
        for role in r["roles"]:
            self.add(T.type, self.roles[role])
        self.add_names(r)
        for lang, text in r.get("legal_name", {}).items():
            self.add(T.legalName, literal(text, lang))
        if "founded" in r.values:
            self.add(T.foundedIn, _date(r["founded"]))
        if "headquarters" in r.values:
            self.add(T.headquarteredIn, kgr(r.ref("headquarters")))
        if "part_of" in r.values:
            self.add(T.partOf, kgr(r.ref("part_of")))
        if "parent" in r.values:
            self.add(T.parentOrganization, kgr(r.ref("parent")))
        self.refs(T.spunOffFrom, r, "spun_off_from")
        self.refs(T.managementFrom, r, "management_from")
        self.add_common(r)

    def add_groups(self, r: Record) -> None:
        self.add(T.type, T.CompanyGroup)
        self.add_names(r)
        self.refs(T.member, r, "members")
        self.refs(T.formerMember, r, "former_members")
        self.add_common(r)

    def add_places(self, r: Record) -> None:
        self.add(T.type, T.Location)
        self.add_names(r)
        if "within" in r.values:
            self.add(T.locatedIn, kgr(r.ref("within")))

    def add_indices(self, r: Record) -> None:
        self.add(T.type, T.MarketIndex)
        self.add_names(r)
        if "venue" in r.values:
            self.add(T.indexVenue, kgr(r.ref("venue")))

    def add_stakes(self, r: Record) -> None:
        company, holder = r.ref("company"), r.ref("holder")
        self.add(T.type, T.Stake)
        self.add(T.stakeCompany, kgr(company))
        self.add(T.stakeHolder, kgr(holder))
        self.add_labels(f"{self.name(holder, 'en')} holds shares of {self.name(company, 'en')}",
                        f"{self.name(holder, 'zh')}持有{self.name(company, 'zh')}股份")

    def add_people(self, r: Record) -> None:
        self.add(T.type, T.Person)
        self.add_names(r)

    def add_positions(self, r: Record) -> None:
        role = self.code("PositionRole", r["role"])
        person, organization = r.ref("person"), r.ref("organization")
        self.add(T.type, T.Position)
        self.add(T.person, kgr(person))
        self.add(T.organization, kgr(organization))
        self.add(T.positionRole, role)
        for lang, text in r.get("title", {}).items():
            self.add(T.positionTitle, literal(text, lang))
        former = r.get("former") == "true"
        if "former" in r.values:
            self.add(T.former, literal(r["former"], datatype=XSD_NS + "boolean"))
        title = r.get("title", {})
        self.add_labels(
            f"{self.name(person, 'en')}: {'former ' if former else ''}{title.get('en') or self.concept_label(role, 'en')}"
            f" of {self.name(organization, 'en')}",
            f"{self.name(person, 'zh')}:{'曾任' if former else ''}{self.name(organization, 'zh')}"
            f"{title.get('zh') or self.concept_label(role, 'zh')}",
        )

    def add_securities(self, r: Record) -> None:
        company = r.ref("company")
        self.add(T.type, T.Security)
        self.add(T.securityOf, kgr(company))
        self.add(T.ticker, literal(r["ticker"]))
        if "venue" in r.values:
            self.add(T.listedOn, kgr(r.ref("venue")))
        self.add_labels(f"{self.name(company, 'en')} ({r['ticker']})", f"{self.name(company, 'zh')}({r['ticker']})")

    def add_sectors(self, r: Record) -> None:
        self.add(T.type, T.Sector)
        self.add_names(r)

    def add_products(self, r: Record) -> None:
        self.add(T.type, _PRODUCT_TERMS[r["type"]])
        self.add_names(r)
        self.add(T.designedBy, kgr(r.ref("designer")))
        if "line" in r.values:
            self.add(T.productLine, kgr(r.ref("line")))
        for workload in r.get("workload", ()):
            self.add(T.workload, self.code("Workload", workload))
        self.add_common(r)

    def add_segments(self, r: Record) -> None:
        self.add(T.type, T.BusinessSegment)
        self.add_names(r)
        self.add(T.segmentOf, kgr(r.ref("company")))
        if "product_line" in r.values:
            self.add(T.segmentProductLine, kgr(r.ref("product_line")))
        if "started" in r.values:
            self.add(T.segmentStarted, _date(r["started"]))

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
        for stated in r.get("stated_date", ()):
            self.add(T.statedDate, literal(stated, _lang_of(stated)))
        if "round" in r.values:
            self.add(T.roundName, literal(r["round"]))
        for name, predicate in (("amount", T.amountRaised), ("pre_money", T.preMoneyValuation),
                                ("post_money", T.postMoneyValuation)):
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
        if "security" in r.values:
            self.add(T.security, kgr(r.ref("security")))
        self.refs(T.sponsor, r, "sponsors")
        self.refs(T.tutor, r, "tutors")
        self.refs(T.cornerstoneInvestor, r, "cornerstone_investors")
        self.refs(T.auditor, r, "auditors")
        self.refs(T.legalAdviser, r, "legal_advisers")
        self.refs(T.financialAdviser, r, "financial_advisers")
        if "date_bound" in r.values:  # "by early 2027": the date is a latest, not the day it happens
            self.add(T.dateBound, _QUALIFIERS[r["date_bound"]])
        if "confidential" in r.values:
            self.add(T.confidential, literal(r["confidential"], datatype=XSD_NS + "boolean"))
        if "place" in r.values:
            self.add(T.eventPlace, kgr(r.ref("place")))
        if "counterparty" in r.values:
            self.add(T.counterparty, kgr(r.ref("counterparty")))
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
        stated: FigureValue = r["figure"]
        of = r.ref("of")
        self.add(T.type, T.Figure)
        self.add(T.figureOf, kgr(of))
        self.add(T.metric, metric)
        self.add(T.unit, self.code("Unit", stated.unit.notation))
        self.use_period(T.period, r["period"])
        if "reference_period" in r.values:
            self.use_period(T.referencePeriod, r["reference_period"])
        for name, predicate in (("segment", T.segment), ("event", T.listingEvent), ("holder", T.holder),
                                ("market", T.market), ("security", T.figureSecurity),
                                ("compared_with", T.comparedWith), ("customer", T.customer),
                                ("said_by", T.saidBy)):
            if name in r.values:
                self.add(predicate, kgr(r.ref(name)))
        if "measure" in r.values:
            self.add(T.measure, self.code("Metric", r["measure"]))
        if "project" in r.values:
            self.add(T.project, literal(r["project"]))
        if "fee" in r.values:
            self.add(T.fee, self.code("FeeKind", r["fee"]))
        if "attributable" in r.values:
            self.add(T.attributableToParent, literal("true", datatype=XSD_NS + "boolean"))
        if "accounts" in r.values:
            self.add(T.parentCompanyAccounts, literal("true", datatype=XSD_NS + "boolean"))
        if "session" in r.values:
            self.add(T.tradingSession, literal(r["session"]))
        if "lock_up_months" in r.values:
            self.add(T.lockUpMonths, literal(str(r["lock_up_months"]), datatype=XSD_NS + "integer"))
        # A point value given loosely is never typed exact: raw SPARQL reads gpu:Approximate.
        approximate = stated.qualifier == "exact" and stated.approximation is not None
        self.add(T.qualifier, T.Approximate if approximate else _QUALIFIERS[stated.qualifier])
        for name, predicate, concept in (("tranche", T.tranche, "Tranche"), ("stage", T.offeringStage, "OfferingStage")):
            if name in r.values:
                self.add(predicate, self.code(concept, r[name]))
        # Each of the source's own conversions is a node of the figure's (US$1.13 billion and S$1.47 billion
        # beside CNY 8 billion), so a value never loses its currency.
        for converted in r.get("converted", ()):
            node = f"{record_term(r)}/converted/{converted.unit.notation}"
            self.add(T.conversion, node)
            pairs = [(T.type, T.Conversion), (T.convertedValue, _number(converted.value)),
                     (T.convertedUnit, self.code("Unit", converted.unit.notation)),
                     (T.convertedStated, literal(converted.stated, _lang_of(converted.stated)))]
            if converted.approximation:  # "approx. RMB 74 billion" is never read as an exact conversion
                pairs.append((T.convertedApproximation, self.code("Approximation", converted.approximation)))
            if converted.bound != "exact":  # "over $40 billion": a bound of its own, never the amount
                pairs.append((T.convertedBound, _QUALIFIERS[converted.bound]))
            self.parts.append((node, pairs))
        for name, predicate, concept in (("approximation", T.approximation, "Approximation"),
                                         ("circumstance", T.circumstance, "Circumstance")):
            if getattr(stated, name):
                self.add(predicate, self.code(concept, getattr(stated, name)))
        if "basis" in r.values:
            self.add(T.basis, self.code("PriceBasis", r["basis"]))
        if stated.value is not None:
            self.add(T.value, _number(stated.value.value))
            self.add(T.statedValue, literal(stated.value.stated, _lang_of(stated.value.stated)))
        else:
            self.add(T.minValue, _number(stated.low.value))
            self.add(T.maxValue, _number(stated.high.value))
            self.add(T.statedValue, literal(f"{stated.low.stated}—{stated.high.stated}", _lang_of(stated.low.stated)))
        shown_en, shown_zh = shown_value(stated, "en"), shown_value(stated, "zh")
        reconciled = self.reconciled.get(r.key)
        if reconciled is None or reconciled.best:
            self.add(T.type, T.BestRank)
        if reconciled is not None:
            for predicate, keys in ((T.roundingOf, reconciled.rounding_of), (T.agreesWith, reconciled.agrees_with),
                                    (T.conflictsWith, reconciled.conflicts_with)):
                for key in keys:
                    self.add(predicate, KGR_TEXT + "figure/" + key)
            for source in reconciled.confirmed_by:
                self.add(T.confirmedBy, kgr(source))
        subject_en, subject_zh = self.name(of, "en"), self.name(of, "zh")
        for name in ("segment", "market"):
            if name in r.values:
                subject_en += f" {self.name(r.ref(name), 'en')}"
                subject_zh += self.name(r.ref(name), "zh")
        if "security" in r.values:  # a security has a ticker, not a name: its id says which
            subject_en += f" ({r.ref('security')})"
            subject_zh += f"({r.ref('security')})"
        if "compared_with" in r.values:
            subject_en += f" against {self.name(r.ref('compared_with'), 'en')}"
            subject_zh += f"相对{self.name(r.ref('compared_with'), 'zh')}"
        if "measure" in r.values:
            measure = self.code("Metric", r["measure"])
            subject_en += f" {self.concept_label(measure, 'en')}"
            subject_zh += self.concept_label(measure, "zh")
        if "fee" in r.values:
            fee = self.code("FeeKind", r["fee"])
            subject_en += f" {self.concept_label(fee, 'en')}"
            subject_zh += self.concept_label(fee, "zh")
        if "project" in r.values:
            subject_en += f" ({r['project']})"
            subject_zh += f"({r['project']})"
        if "attributable" in r.values:
            subject_en += " attributable to the parent"
            subject_zh += "归母"
        if "accounts" in r.values:
            subject_en += " (parent company's own accounts)"
            subject_zh += "(母公司报表)"
        if "session" in r.values:
            subject_en += f" ({r['session']} session)"
            subject_zh += {"morning": "(早盘)", "afternoon": "(午盘)"}[r["session"]]
        if "customer" in r.values:
            subject_en += f" from {self.name(r.ref('customer'), 'en')}"
            subject_zh += f"(来自{self.name(r.ref('customer'), 'zh')})"
        if "holder" in r.values:
            holder = r.ref("holder")
            subject_en = f"{self.name(holder, 'en')} in {subject_en}"
            subject_zh = f"{self.name(holder, 'zh')}对{subject_zh}"
        period = r["period"]
        if "reference_period" in r.values:  # "60%" means nothing without "of FY2024"
            shown_en += f" of {r['reference_period'].label_en}"
            shown_zh = f"{r['reference_period'].label_zh}的{shown_zh}"
        basis_en = basis_zh = ""
        if "basis" in r.values:
            basis = self.code("PriceBasis", r["basis"])
            basis_en = f" ({self.concept_label(basis, 'en')})"
            basis_zh = f"({self.concept_label(basis, 'zh')})"
        self.add_labels(
            f"{subject_en} {self.concept_label(metric, 'en')} {period.label_en}{basis_en}: {shown_en}",
            f"{subject_zh}{period.label_zh}{self.concept_label(metric, 'zh')}{basis_zh}:{shown_zh}",
        )

    def add_statements(self, r: Record) -> None:
        self.add(T.type, T.Statement)
        self.refs(T.statementAbout, r, "about")
        if "said_by" in r.values:
            self.add(T.saidBy, kgr(r.ref("said_by")))
        self.add(T.statementKind, self.code("StatementKind", r["kind"]))
        for lang, text in r["text"].items():
            self.add(T.text, literal(text, lang))
            self.add(T.label, literal(text, lang))
