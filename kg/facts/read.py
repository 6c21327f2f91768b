"""Fact files: YAML in, checked records out, every value traced to its file and line.

A fact file is a mapping from a kind (``organizations``, ``figures``, ...) to a
list of records. ``SCHEMA`` says which keys each kind takes; docs/facts-format.md
explains them to analysts. All problems are collected and raised together.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..base.errors import InputError, Problem, SourceLocation, did_you_mean, os_reason
from .folder import fact_files, paused_gc, read_fact_files, shown  # noqa: F401 - also the reader's own names
from ..base.ontology import GPU, Vocabulary, vocabulary
from ..base.progress import QUIET, Progress
from ..base.values import CURRENCIES, MONEY, Amount, Date, Unit, ValueProblem, bound_cue, parse_amount, parse_date, parse_period
from .yamltree import Mapping, Node, Scalar, Sequence, read_yaml
from .records import ENTITY_KINDS, Facts, FigureValue, Provenance, Record, event_identity, figure_family, figure_group, forecaster  # noqa: F401 - also the reader's own names
from .reconcile import reconcile
from .asof import known_by, known_sources

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Entities several sources describe: each source's entry adds what it says to one entity.
MERGED_KINDS = frozenset(ENTITY_KINDS)


class FieldProblem(Exception):
    def __init__(self, location: SourceLocation, message: str, field: str | None = None):
        super().__init__(message)
        self.location = location
        self.message = message
        self.field = field


# --- field readers -------------------------------------------------------------
# Each takes the YAML node (and the vocabulary) and returns a plain Python value.

Reader = Callable[[Node, Vocabulary], Any]


def _scalar(node: Node) -> Scalar:
    if isinstance(node, Scalar) and not node.null:
        return node
    found = "nothing" if isinstance(node, Scalar) else ("a list" if isinstance(node, Sequence) else "a mapping")
    raise FieldProblem(node.loc, f"expected a single value, found {found}")


def _list(node: Node) -> list[Node]:
    if isinstance(node, Sequence):
        return node.items
    if isinstance(node, Scalar) and not node.null:
        return [node]  # a lone value where a list is allowed
    found = "nothing" if isinstance(node, Scalar) else "a mapping"
    raise FieldProblem(node.loc, f"expected a list such as [a, b], found {found}")


def read_text(node: Node, _: Vocabulary) -> str:
    # The most called reader: the common case (a plain value) skips _scalar's call.
    text = node.text.strip() if node.__class__ is Scalar and not node.null else _scalar(node).text.strip()
    if not text:
        raise FieldProblem(node.loc, "is empty")
    return text


def read_id(node: Node, vocab: Vocabulary) -> str:
    text = read_text(node, vocab)
    if not ID_PATTERN.match(text):
        raise FieldProblem(node.loc, f"'{text}' is not a valid id; use lower-case letters, digits and hyphens, e.g. moore-threads")
    return text


def read_texts(node: Node, vocab: Vocabulary) -> tuple[str, ...]:
    return tuple(read_text(item, vocab) for item in _list(node))


def read_refs(node: Node, vocab: Vocabulary) -> tuple[tuple[str, SourceLocation], ...]:
    return tuple((read_text(item, vocab), item.loc) for item in _list(node))


def read_ref(node: Node, vocab: Vocabulary) -> tuple[tuple[str, SourceLocation], ...]:
    return ((read_text(node, vocab), node.loc),)


def _localized(node: Node, vocab: Vocabulary, *, need: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(node, Mapping):
        raise FieldProblem(node.loc, "expected a mapping of languages, e.g. {zh: 天数智芯, en: Iluvatar CoreX}")
    out: dict[str, str] = {}
    for lang, value in node.items.items():
        if lang not in ("zh", "en"):
            raise FieldProblem(node.key_locs[lang], f"unknown language '{lang}'; use zh and en")
        out[lang] = read_text(value, vocab)
    missing = [lang for lang in need if lang not in out]
    if missing:
        raise FieldProblem(node.loc, f"missing the {' and '.join(missing)} text")
    if not out:
        raise FieldProblem(node.loc, "give at least one of zh and en")
    return out


def read_names(node: Node, vocab: Vocabulary) -> dict[str, str]:
    return _localized(node, vocab, need=("zh", "en"))


def read_some_names(node: Node, vocab: Vocabulary) -> dict[str, str]:
    return _localized(node, vocab, need=())


def read_aliases(node: Node, vocab: Vocabulary) -> dict[str, tuple[str, ...]]:
    if not isinstance(node, Mapping):
        raise FieldProblem(node.loc, "expected a mapping of languages to lists, e.g. {zh: [华虹], en: [Hua Hong]}")
    out = {}
    for lang, value in node.items.items():
        if lang not in ("zh", "en"):
            raise FieldProblem(node.key_locs[lang], f"unknown language '{lang}'; use zh and en")
        out[lang] = read_texts(value, vocab)
        items = value.items if isinstance(value, Sequence) else ()
        for item, text in zip(items, out[lang]):
            if _CORPORATE_TAIL.fullmatch(text):
                raise FieldProblem(item.loc, f"'{text}' is the end of a name that a comma split in two; quote the whole "
                                   "name in a list: [\"Shanghai Iluvatar CoreX Semiconductor Co., Ltd.\"]")
    return out


# What is left of "… Co., Ltd." when YAML's flow list splits it at its comma.
_CORPORATE_TAIL = re.compile(r"(?i)(ltd|limited|inc|llc|corp|co|plc|s\.a|ag|gmbh)\.?")


def read_url(node: Node, vocab: Vocabulary) -> str:
    text = read_text(node, vocab)
    if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", text):
        raise FieldProblem(node.loc, f"'{text}' is not an http(s) URL")
    return text


def read_language(node: Node, vocab: Vocabulary) -> str:
    text = read_text(node, vocab)
    if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*", text):
        raise FieldProblem(node.loc, f"'{text}' is not a language tag such as zh or en")
    return text


def _value(reader: Callable[[str], Any]) -> Reader:
    def read(node: Node, vocab: Vocabulary) -> Any:
        try:
            return reader(read_text(node, vocab))
        except ValueProblem as problem:
            raise FieldProblem(node.loc, str(problem)) from None

    return read


read_date = _value(parse_date)
read_period = _value(parse_period)


def read_months(node: Node, vocab: Vocabulary) -> int:
    """A whole number of months (a lock-up's length): 6, never 6.5 or 0."""
    text = read_text(node, vocab)
    if not text.isdigit() or not 0 < int(text) <= 120:
        raise FieldProblem(node.loc, f"'{text}' is not a whole number of months from 1 to 120")
    return int(text)


def read_raw(node: Node, _: Vocabulary) -> Node:
    """Keep the node: the record's finisher reads it once it knows the rest."""
    return node


def _codes(concept_class, what: str, *, many: bool) -> Reader:
    concept = GPU[concept_class]  # looked up once: GPU.x goes through a slow __getattr__

    def read(node: Node, vocab: Vocabulary) -> Any:
        known = vocab.codes(concept)
        items = _list(node) if many else [node]
        codes = []
        for item in items:
            code = read_text(item, vocab)
            if code not in known:
                raise FieldProblem(item.loc, f"unknown {what} '{code}'{did_you_mean(code, known)}; known: {', '.join(sorted(known))}")
            codes.append(code)
        return tuple(codes) if many else codes[0]

    return read


def read_roles(node: Node, vocab: Vocabulary) -> tuple[str, ...]:
    roles = []
    for item in _list(node):
        role = read_text(item, vocab)
        if role not in vocab.organization_roles:
            known = vocab.organization_roles
            raise FieldProblem(item.loc, f"unknown role '{role}'{did_you_mean(role, known)}; known: {', '.join(sorted(known))}")
        roles.append(role)
    return tuple(roles)


def read_choice(*choices: str) -> Reader:
    def read(node: Node, vocab: Vocabulary) -> str:
        text = read_text(node, vocab)
        if text not in choices:
            raise FieldProblem(node.loc, f"'{text}' is not one of {', '.join(choices)}{did_you_mean(text, choices)}")
        return text

    return read


# --- the schema ------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    reader: Reader
    required: bool = False
    refs: tuple[str, ...] = ()  # kinds a reference may point to


def _provenance() -> dict[str, Field]:
    return {
        "source": Field(read_ref, True, ("sources",)),
        "quote": Field(read_texts),
        "locator": Field(read_text),
        "cites": Field(read_refs, refs=("sources",)),
        "note": Field(read_text),
        "rank": Field(read_choice("preferred", "normal", "deprecated")),
        "rank_reason": Field(read_text),
    }


PROVENANCE_KEYS = ("source", "quote", "locator", "cites", "note", "rank", "rank_reason")


_NAMED = {"id": Field(read_id, True), "name": Field(read_names, True), "aliases": Field(read_aliases)}

SCHEMA: dict[str, dict[str, Field]] = {
    "sources": {
        "id": Field(read_id, True),
        "kind": Field(read_choice("article", "filing", "statistic", "data", "report", "website"), True),
        "title": Field(read_names, True),
        "publisher": Field(read_ref, refs=("organizations",)),
        "author": Field(read_texts),
        "published": Field(read_date),
        "published_after": Field(read_date),
        "url": Field(read_url),
        "language": Field(read_language),
        "text": Field(read_text),
        "note": Field(read_text),
    },
    "organizations": {
        **_NAMED,
        "roles": Field(read_roles, True),
        "legal_name": Field(read_some_names),
        "founded": Field(read_date),
        "headquarters": Field(read_ref, refs=("places",)),
        "in_sectors": Field(read_refs, refs=("sectors",)),
        "serves_sectors": Field(read_refs, refs=("sectors",)),
        "management_from": Field(read_refs, refs=("organizations",)),
        "process_node": Field(read_text),
        "software_ecosystem": Field(_codes("EcosystemStance", "software-ecosystem stance", many=True)),
        "part_of": Field(read_ref, refs=("organizations",)),
        "parent": Field(read_ref, refs=("organizations",)),
        "spun_off_from": Field(read_refs, refs=("organizations",)),
        **_provenance(),
    },
    "groups": {
        **_NAMED,
        "members": Field(read_refs, refs=("organizations",)),
        "former_members": Field(read_refs, refs=("organizations",)),
        "in_sectors": Field(read_refs, refs=("sectors",)),
        "serves_sectors": Field(read_refs, refs=("sectors",)),
        "process_node": Field(read_text),
        "benchmarked_against": Field(read_refs, refs=("products",)),
        "software_ecosystem": Field(_codes("EcosystemStance", "software-ecosystem stance", many=True)),
        **_provenance(),
    },
    "places": {**_NAMED, "within": Field(read_ref, refs=("places",)), **_provenance()},
    "indices": {**_NAMED, "venue": Field(read_ref, refs=("organizations",)), **_provenance()},
    "people": {**_NAMED, **_provenance()},
    "sectors": {**_NAMED, **_provenance()},
    "products": {
        **_NAMED,
        "type": Field(read_choice("line", "generation", "product"), True),
        "designer": Field(read_ref, True, ("organizations",)),
        "line": Field(read_ref, refs=("products",)),
        "workload": Field(_codes("Workload", "workload", many=True)),
        "process_node": Field(read_text),
        "benchmarked_against": Field(read_refs, refs=("products",)),
        **_provenance(),
    },
    "segments": {
        **_NAMED,
        "company": Field(read_ref, True, ("organizations",)),
        "product_line": Field(read_ref, refs=("products",)),
        "started": Field(read_date),
        **_provenance(),
    },
    "milestones": {
        "of": Field(read_ref, True, ("organizations", "groups", "products")),
        "type": Field(_codes("MilestoneType", "milestone type", many=False), True),
        "date": Field(read_date),
        "period": Field(read_period),
        "stated_date": Field(read_texts),
        **_provenance(),
    },
    "positions": {
        "person": Field(read_ref, True, ("people",)),
        "organization": Field(read_ref, True, ("organizations",)),
        "role": Field(_codes("PositionRole", "position role", many=False), True),
        "title": Field(read_some_names),
        "former": Field(read_choice("true", "false")),
        **_provenance(),
    },
    "securities": {
        "id": Field(read_id, True),
        "company": Field(read_ref, True, ("organizations",)),
        "ticker": Field(read_text, True),
        "venue": Field(read_ref, refs=("organizations",)),
        **_provenance(),
    },
    "supply_chain": {
        "client": Field(read_ref, True, ("organizations", "groups")),
        "supplier": Field(read_ref, True, ("organizations",)),
        "role": Field(_codes("SupplierRole", "supplier role", many=False), True),
        **_provenance(),
    },
    "funding_rounds": {
        "id": Field(read_id, True),
        "company": Field(read_ref, True, ("organizations",)),
        "round": Field(read_text),
        "date": Field(read_date, True),
        "stated_date": Field(read_texts),
        "amount": Field(read_raw),
        "pre_money": Field(read_raw),
        "post_money": Field(read_raw),
        "investors": Field(read_refs, refs=("organizations",)),
        **_provenance(),
    },
    "listing_events": {
        "id": Field(read_id, True),
        "company": Field(read_ref, True, ("organizations",)),
        "venue": Field(read_ref, refs=("organizations",)),
        "type": Field(_codes("ListingEventType", "listing event type", many=False), True),
        "date": Field(read_date),
        "period": Field(read_period),
        "stated_date": Field(read_texts),
        "security": Field(read_ref, refs=("securities",)),
        "sponsors": Field(read_refs, refs=("organizations",)),
        "tutors": Field(read_refs, refs=("organizations",)),
        "cornerstone_investors": Field(read_refs, refs=("organizations",)),
        "auditors": Field(read_refs, refs=("organizations",)),
        "legal_advisers": Field(read_refs, refs=("organizations",)),
        "financial_advisers": Field(read_refs, refs=("organizations",)),
        "confidential": Field(read_choice("true", "false")),
        "date_bound": Field(read_choice("at-most", "at-least")),
        "place": Field(read_ref, refs=("places",)),
        "counterparty": Field(read_ref, refs=("organizations", "indices", "people")),
        **_provenance(),
    },
    "figures": {
        "of": Field(read_ref, True, ("organizations", "groups", "products", "segments", "sectors", "indices", "places")),
        "metric": Field(_codes("Metric", "metric", many=False), True),
        "segment": Field(read_ref, refs=("segments",)),
        "event": Field(read_ref, refs=("listing_events",)),
        "holder": Field(read_ref, refs=("organizations", "people")),
        "market": Field(read_ref, refs=("sectors", "organizations", "places", "indices")),
        "security": Field(read_ref, refs=("securities",)),
        "compared_with": Field(read_ref, refs=("organizations", "groups")),
        "customer": Field(read_ref, refs=("organizations",)),
        "measure": Field(_codes("Metric", "metric", many=False)),
        "project": Field(read_id),
        "fee": Field(_codes("FeeKind", "fee", many=False)),
        "attributable": Field(read_choice("true")),
        "accounts": Field(read_choice("parent-company")),
        "session": Field(read_choice("morning", "afternoon")),
        "lock_up_months": Field(read_months),
        "basis": Field(_codes("PriceBasis", "basis", many=False)),
        "tranche": Field(_codes("Tranche", "tranche", many=False)),
        "stage": Field(_codes("OfferingStage", "offering stage", many=False)),
        "period": Field(read_period),
        "reference_period": Field(read_period),
        "value": Field(read_raw),
        "at_least": Field(read_raw),
        "at_most": Field(read_raw),
        "between": Field(read_raw),
        "values": Field(read_raw),
        "currency": Field(read_choice(*CURRENCIES)),
        "converted": Field(read_raw),
        "approximation": Field(_codes("Approximation", "approximation", many=False)),
        "circumstance": Field(_codes("Circumstance", "circumstance", many=False)),
        "said_by": Field(read_ref, refs=("people", "organizations")),
        **_provenance(),
    },
    "stakes": {
        "company": Field(read_ref, True, ("organizations",)),
        "holder": Field(read_ref, True, ("organizations", "people")),
        **_provenance(),
    },
    "statements": {
        "id": Field(read_id, True),
        "about": Field(read_refs, True, ENTITY_KINDS),
        "kind": Field(_codes("StatementKind", "statement kind", many=False), True),
        "text": Field(read_names, True),
        "said_by": Field(read_ref, refs=("people", "organizations")),
        **_provenance(),
    },
}


REQUIRED = {kind: [key for key, spec in fields.items() if spec.required] for kind, fields in SCHEMA.items()}


def read_facts(root: str | Path = "facts", *, progress: Progress = QUIET,
               contents: dict[Path, bytes] | None = None, as_of: dt.date | None = None) -> Facts:
    """Read every ``*.yaml`` under ``root``; raise InputError listing every problem.

    ``contents`` holds the bytes of files already read (by path under ``root``),
    so that what is checked is what the caller hashed. ``as_of``: only what sources
    published by that day say (kg.facts.asof).
    """
    entries = read_entries(root, progress=progress, contents=contents)
    return entries.facts(None if as_of is None else known_sources(entries.records, as_of))


@dataclass
class Entries:
    """Every entry of a fact folder as read, one source's statement each, before several sources'
    entries are merged: the facts of any set of sources can be made from them (kg.facts.asof)."""

    root: Path
    records: list[Record]
    problems: list[Problem]
    broken_ids: dict[str, str]
    all_read: bool

    def facts(self, sources: Collection[str] | None = None) -> Facts:
        """The checked facts of ``sources`` (every source when None); raises InputError."""
        problems, notices, warnings = list(self.problems), [], []
        records = self.records
        if sources is not None and not problems:
            records = known_by(records, sources)
        with paused_gc():
            records = _merge(records, problems, notices, warnings)
            if self.all_read:  # a file we could not read may define the ids others refer to
                _check_references(records, problems, dict(self.broken_ids))
            _check_cycles(records, problems)
            _check_quotes(records, self.root, problems)
        if problems:
            raise InputError(problems)
        return Facts(tuple(sorted(records, key=lambda r: (r.kind, r.key))), self.root, tuple(sorted(notices)),
                     read_warnings=tuple(sorted(warnings)))


def read_entries(root: str | Path = "facts", *, progress: Progress = QUIET,
                 contents: dict[Path, bytes] | None = None) -> Entries:
    """Read and check each entry of every ``*.yaml`` under ``root`` on its own."""
    root = Path(root)
    vocab = vocabulary()
    problems: list[Problem] = []
    records: list[Record] = []
    broken_ids: dict[str, str] = {}  # ids of entries with problems of their own: not "unknown" elsewhere
    all_read = True
    paths = fact_files(root)
    contents = contents or read_fact_files(paths)
    progress.stage("reading facts", sum(len(contents[p]) for p in paths))
    with paused_gc():
        for path in paths:
            data = contents[path]
            try:
                tree = read_yaml(path, shown(path), data)
            except InputError as err:
                problems.extend(err.problems)
                all_read = False
                continue
            finally:
                progress.advance(len(data))
            records.extend(_read_file(tree, vocab, problems, broken_ids))
        progress.done()
    return Entries(root, records, problems, broken_ids, all_read)


def load_facts(root: str | Path = "facts", *, progress: Progress = QUIET,
               contents: dict[Path, bytes] | None = None, as_of: dt.date | None = None) -> Facts:
    """Read and check a fact folder, then reconcile its statements: facts ready to build.

    ``as_of``: only what sources published by that day say (kg.facts.asof)."""
    facts = read_facts(root, progress=progress, contents=contents, as_of=as_of)
    return replace(facts, reconciliation=reconcile(facts.records))


def _read_file(tree: Node, vocab: Vocabulary, problems: list[Problem], broken_ids: dict[str, str]) -> list[Record]:
    if not isinstance(tree, Mapping):
        problems.append(Problem(tree.loc, f"a fact file is a mapping of kinds to lists, e.g. `figures:`; kinds: {', '.join(SCHEMA)}"))
        return []
    records = []
    for kind, entries in tree.items.items():
        if kind not in SCHEMA:
            problems.append(Problem(tree.key_locs[kind], f"unknown kind '{kind}'{did_you_mean(kind, SCHEMA)}; kinds: {', '.join(SCHEMA)}"))
            continue
        if not isinstance(entries, Sequence):
            problems.append(Problem(entries.loc, f"'{kind}' must be a list of entries, each starting with '- '"))
            continue
        for entry in entries.items:
            records.extend(_read_record(kind, entry, vocab, problems, broken_ids))
    return records


def _read_record(
    kind: str, entry: Node, vocab: Vocabulary, problems: list[Problem], broken_ids: dict[str, str]
) -> list[Record]:
    if not isinstance(entry, Mapping):
        problems.append(Problem(entry.loc, f"each entry of '{kind}' must be a mapping of keys to values"))
        return []
    schema = SCHEMA[kind]
    values: dict[str, Any] = {}
    locations: dict[str, SourceLocation] = {}
    ok = True
    for key, node in entry.items.items():
        if key == "cites" and kind in ENTITY_KINDS:
            problems.append(Problem(entry.key_locs[key], f"{kind}.cites: a cited source supports a statement or a figure, "
                                    "not a whole entity; give the claim as a statement (or figure) with its `cites`"))
            ok = False
            continue
        if key not in schema:
            problems.append(Problem(entry.key_locs[key], f"{kind}: unknown key '{key}'{did_you_mean(key, schema)}"))
            ok = False
            continue
        try:
            values[key] = schema[key].reader(node, vocab)
            locations[key] = node.loc
        except FieldProblem as problem:
            problems.append(Problem(problem.location, f"{kind}.{key}: {problem.message}"))
            ok = False
    # An entity's required keys are checked once every source's entry is merged.
    for key in REQUIRED[kind] if kind not in MERGED_KINDS else ("id", "source"):
        if key not in entry.items:
            problems.append(Problem(entry.loc, f"{kind}: missing required key '{key}'"))
            ok = False
    if ok and "rank" in values and values["rank"] != "normal" and "rank_reason" not in values:
        problems.append(Problem(locations["rank"], f"{kind}.rank: a {values['rank']} rank needs a `rank_reason` saying why"))
        ok = False
    if ok and "rank_reason" in values and values.get("rank", "normal") == "normal":
        problems.append(Problem(locations["rank_reason"], f"{kind}.rank_reason: gives a reason for a rank, but the entry has no `rank: preferred` or `rank: deprecated`"))
        ok = False
    try:
        if ok:
            finish = _finish_plain if kind in MERGED_KINDS else FINISHERS.get(kind, _finish_plain)
            return finish(kind, values, locations, entry, vocab)
    except FieldProblem as problem:
        where = f"{kind}.{problem.field}" if problem.field else kind
        problems.append(Problem(problem.location, f"{where}: {problem.message}"))
    if "id" in values:
        broken_ids[values["id"]] = kind
    return []


def _finish_plain(kind, values, locations, entry, vocab) -> list[Record]:
    key = values.get("id") or _natural_key(kind, values)
    return [Record(kind, key, values, entry.loc, locations)]


def _natural_key(kind: str, values: dict[str, Any]) -> str:
    """Id-less facts are named by what they state, so the same fact twice is caught.

    A figure is a statement of one source: its key ends with the source, and
    ``figure_group`` strips it to name what several sources may state.
    """
    ref = lambda name: values[name][0][0]  # noqa: E731
    if kind == "milestones":
        when = values["date"].lexical if "date" in values else values["period"].slug
        return f"{ref('of')}/{values['type']}/{when}"
    if kind == "supply_chain":
        return f"{ref('client')}/{ref('supplier')}/{values['role']}"
    if kind == "positions":
        return f"{ref('person')}/{ref('organization')}/{values['role']}"
    if kind == "stakes":
        return f"{ref('holder')}/{ref('company')}"
    key = f"{ref('of')}/{values['metric']}/{values['period'].slug}"
    for name in ("segment", "holder", "market", "security", "compared_with", "customer"):
        if name in values:
            key += f"/{ref(name)}"
    for name in ("measure", "project", "fee"):  # the growth of shipments is not the growth of output
        if name in values:
            key += f"/{values[name]}"
    if "attributable" in values:  # 归母: the parent's shareholders' part, another measure than the whole
        key += "/attributable"
    if "accounts" in values:  # 母公司报表: the parent company's own books, not the group's
        key += f"/{values['accounts']}"
    if "session" in values:  # 早盘成交额: the morning's turnover is not the day's
        key += f"/{values['session']}"
    if "lock_up_months" in values:  # the shares locked for six months are not those locked for twelve
        key += f"/{values['lock_up_months']}-months"
    # A tranche, a stage, a basis or a circumstance makes another measure: a forecast is never
    # compared with the final figure, a price at the open never with one at the close.
    for name in ("tranche", "stage", "basis"):
        if name in values:
            key += f"/{values[name]}"
    if values.get("circumstance"):
        key += f"/{values['circumstance']}"
        by = forecaster(values)  # one by the entity itself (or by no one named) is the entity's own
        if by is not None and by != ref("of"):
            key += f"/{by}"
    return f"{key}/{ref('source')}"


def _finish_dated(kind, values, locations, entry, vocab) -> list[Record]:
    if "date" in values and "period" in values:
        raise FieldProblem(locations["period"], "give a date or a period, not both", "period")
    if "date" not in values and "period" not in values and kind != "listing_events":
        raise FieldProblem(entry.loc, "needs a date (2025-12-19, 2025-08, 2025) or a period (2026Q1, unspecified)")
    return _finish_plain(kind, values, locations, entry, vocab)


def _finish_round(kind, values, locations, entry, vocab) -> list[Record]:
    for name in ("amount", "pre_money", "post_money"):
        if name in values:
            values[name] = _amount(values[name], CURRENCIES["CNY"], name)
    return _finish_plain(kind, values, locations, entry, vocab)


def _amount(node: Node, unit: Unit, field: str, bound: str = "exact") -> Amount:
    try:
        return parse_amount(_scalar(node).text, unit, bound=bound)
    except FieldProblem as problem:
        raise FieldProblem(problem.location, problem.message, field) from None
    except ValueProblem as problem:
        raise FieldProblem(node.loc, str(problem), field) from None


# Metrics that are the change of another (named in `measure`), and the pairs that have a metric of their own.
_MEASURED = frozenset({"growth", "decline", "cagr", "relative-size"})
_PROFIT_METRICS = frozenset({"net-profit", "net-loss", "net-profit-after-non-recurring", "net-loss-after-non-recurring",
                             "adjusted-net-profit", "adjusted-net-loss", "cumulative-net-loss", "net-profit-growth"})
_OWN_METRIC = {("growth", "revenue"): "revenue-growth", ("growth", "net-profit"): "net-profit-growth",
               ("cagr", "revenue"): "revenue-cagr"}

_BOUNDS = {"value": "exact", "at_least": "at-least", "at_most": "at-most"}
_VALUE_KEYS = ("value", "at_least", "at_most", "between", "values")


def _finish_figure(kind, values, locations, entry, vocab) -> list[Record]:
    metric = values["metric"]
    unit = vocab.metric_units[metric]
    if "currency" in values:
        if not unit.is_money:
            raise FieldProblem(locations["currency"], f"'{metric}' is measured in {unit.notation}, not money", "currency")
        unit = CURRENCIES[values["currency"]]
    if metric in vocab.basis_metrics and "basis" not in values:
        raise FieldProblem(entry.loc, f"a {metric} figure needs `basis`: open, close, intraday-high, or not-stated when the source does not say")
    if "basis" in values and metric not in vocab.basis_metrics | vocab.optional_basis_metrics:
        raise FieldProblem(locations["basis"], f"only listing-day prices, gains and market values have a basis; {metric} has none", "basis")
    if metric in _MEASURED and "measure" not in values:
        raise FieldProblem(entry.loc, f"a {metric} figure needs `measure`: the metric it is the change of (shipments, listings, market-cap)")
    if "measure" in values:
        if metric not in _MEASURED and metric != "market-share":
            raise FieldProblem(locations["measure"], f"only growth, decline, cagr, relative-size and market-share take a measure; {metric} is one already", "measure")
        own = _OWN_METRIC.get((metric, values["measure"]))
        if own:
            raise FieldProblem(locations["measure"], f"write metric: {own} (the {values['measure']} {metric} has a metric of its own)", "measure")
    if "attributable" in values and metric not in _PROFIT_METRICS:
        raise FieldProblem(locations["attributable"], f"only a profit or loss is attributable to the parent's shareholders; {metric} is not one", "attributable")
    if (metric == "relative-size") != ("compared_with" in values):
        where = locations.get("compared_with", entry.loc)
        raise FieldProblem(where, "a relative-size figure, and only one, names what it is `compared_with` (an organisation or group)")
    if (metric == "customer-revenue-share") != ("customer" in values):
        where = locations.get("customer", entry.loc)
        raise FieldProblem(where, "a customer-revenue-share figure, and only one, names its `customer` (an organisation)")
    if (metric == "locked-up-share") != ("lock_up_months" in values):
        where = locations.get("lock_up_months", entry.loc)
        raise FieldProblem(where, "a locked-up-share figure, and only one, gives the lock-up's length in `lock_up_months`")
    if (metric == "fee-rate") != ("fee" in values):
        raise FieldProblem(locations.get("fee", entry.loc), "a fee-rate figure, and only one, says which `fee` it gives (brokerage, sfc-transaction-levy, ...)")
    if "project" in values and metric != "proceeds-allocated":
        raise FieldProblem(locations["project"], "only proceeds-allocated names a use-of-proceeds project", "project")
    if metric == "proceeds-allocated" and "project" not in values:
        raise FieldProblem(entry.loc, "a proceeds-allocated figure needs `project`: a short id for the project the amount is for")
    given = [name for name in _VALUE_KEYS if name in values]
    if len(given) != 1:
        where = locations[given[1]] if len(given) > 1 else entry.loc
        what = " and ".join(given) if given else "none of them"
        raise FieldProblem(where, f"give exactly one of value, at_least, at_most, between or values (found {what}); a value is exact, a lower bound, an upper bound or a range")
    how = given[0]
    if "converted" in values:
        if how == "values":
            raise FieldProblem(locations["converted"], "a conversion belongs to one amount; give the figure with `value`", "converted")
        node = values["converted"]
        items = node.items if isinstance(node, Sequence) else [node]
        values["converted"] = tuple(_converted(item, unit, locations["converted"], _BOUNDS.get(how, "exact")) for item in items)
    approximation = values.get("approximation")
    circumstance = values.get("circumstance")

    def stated(amounts: list[Amount], qualifier: str, at: str) -> FigureValue:
        cues = {a.approximation for a in amounts if a.approximation}
        if approximation and cues and cues != {approximation}:
            raise FieldProblem(locations["approximation"], f"says {approximation}, but the value says {'/'.join(sorted(cues))}", "approximation")
        found = approximation or (cues.pop() if cues else None)
        if qualifier == "range":
            return FigureValue("range", low=amounts[0], high=amounts[1], approximation=found, circumstance=circumstance)
        return FigureValue(qualifier, amounts[0], approximation=found, circumstance=circumstance)

    if how == "values":
        if "period" in values:
            raise FieldProblem(locations["period"], "`values` already names the periods; drop `period`", "period")
        mapping = values.pop("values")
        if not isinstance(mapping, Mapping) or not mapping.items:
            raise FieldProblem(mapping.loc, "maps periods to amounts, e.g. {2022: 1.89亿元, 2023: 2.89亿元}", "values")
        records = []
        for period_text, node in mapping.items.items():
            period_loc = mapping.key_locs[period_text]
            try:
                period = parse_period(period_text)
            except ValueProblem as problem:
                raise FieldProblem(period_loc, str(problem), "values") from None
            figure = stated([_amount(node, unit, "values")], "exact", "values")
            one = dict(values, period=period, figure=figure)
            one_locations = dict(locations, period=period_loc, value=node.loc)
            records.append(Record(kind, _natural_key(kind, one), one, period_loc, one_locations))
        return records
    if "period" not in values:
        raise FieldProblem(entry.loc, "missing required key 'period' (or give `values` by period)")
    node = values.pop(how)
    if how == "between":
        if not isinstance(node, Sequence) or len(node.items) != 2:
            raise FieldProblem(node.loc, "takes two amounts, low and high: [53%, 61%]", how)
        low, high = (_amount(item, unit, how) for item in node.items)
        if low.unit != high.unit:
            raise FieldProblem(node.loc, f"low and high are in different units ({low.unit.notation}, {high.unit.notation})", how)
        if low.value > high.value:
            raise FieldProblem(node.loc, f"is [low, high], but {low.stated} is above {high.stated}", how)
        values["figure"] = stated([low, high], "range", how)
    else:
        values["figure"] = stated([_amount(node, unit, how, _BOUNDS[how])], _BOUNDS[how], how)
    if "converted" in values:
        figure = values["figure"]
        own = (figure.value or figure.low).unit
        units = [amount.unit for amount in values["converted"]]
        if own in units:
            raise FieldProblem(locations["converted"], f"converts into {own.notation}, the figure's own currency; "
                               "give the other currency", "converted")
        if len(set(units)) != len(units):
            raise FieldProblem(locations["converted"], "converts twice into one currency; give each currency once", "converted")
    return _finish_plain(kind, values, locations, entry, vocab)


def _converted(node: Node, unit: Unit, where: SourceLocation, bound: str) -> Amount:
    """The source's own conversion of a money amount into another currency: the same statement, never a
    second (that it is another currency is checked once the figure's own is read)."""
    if not unit.is_money:
        raise FieldProblem(where, "only an amount of money is converted into another currency", "converted")
    own = bound_cue(_scalar(node).text) if bound == "exact" else bound
    if own == bound:
        return _amount(node, MONEY, "converted", bound)
    # An exact or approximate amount the source converts loosely: 约3050亿元 (over US$40 billion).
    return replace(_amount(node, MONEY, "converted", own), bound=own)


def _check_product(values: dict[str, Any], locations: dict[str, SourceLocation], where: SourceLocation) -> None:
    """A generation belongs to a line, a single product may (checked once its sources are merged)."""
    if values["type"] == "generation" and "line" not in values:
        raise FieldProblem(where, "a generation needs `line`: the id of its product line")
    if values["type"] == "line" and "line" in values:
        raise FieldProblem(locations["line"], "a product line belongs to no other line", "line")


FINISHERS = {
    "milestones": _finish_dated,
    "listing_events": _finish_dated,
    "funding_rounds": _finish_round,
    "figures": _finish_figure,
}


# --- checks across files --------------------------------------------------------------

# Facts a second source may confirm with an entry of its own (the same id or the same key).
_CONFIRMED_KINDS = ("milestones", "supply_chain", "positions", "securities", "statements", "funding_rounds", "stakes")


def _merge(records: list[Record], problems: list[Problem], notices: list[Problem],
           warnings: list[Problem] | None = None) -> list[Record]:
    """One record per thing stated, with every source that states it.

    Several sources may describe one entity (same id), one relation or milestone
    (same key) or one listing event (same company, venue, type and date, whatever
    its id); a thing given twice by the same source is a duplicate. Other ids and
    figure statements (whose key names their source) are unique.
    """
    records = _distinct_figures(_merge_events(records, problems, notices, warnings))
    groups: dict[tuple[str, str], list[Record]] = {}
    for record in records:
        scope = "id" if "id" in record.values else record.kind
        groups.setdefault((scope, record.key), []).append(record)
    merged = []
    for (scope, key), same in groups.items():
        first = same[0]
        mergeable = first.kind in MERGED_KINDS or first.kind in _CONFIRMED_KINDS
        kept = [first]
        for record in same[1:]:
            what = f"id '{key}'" if scope == "id" else f"{record.kind} entry '{key}'"
            if record.kind != first.kind or not mergeable:
                problems.append(Problem(record.location, f"duplicate {what}; first given at {first.location}"))
                continue
            twin = next((k for k in kept if k.ref("source") == record.ref("source")), None)
            if twin is not None:
                problems.append(Problem(record.location, f"duplicate {what} from source '{record.ref('source')}'; first given at {twin.location}"))
                continue
            kept.append(record)
        merged.append(kept[0] if len(kept) == 1 else _merged(kept, problems))
    for record in merged:
        if record.kind in MERGED_KINDS:
            _check_entity(record, problems)
    return merged


def _distinct_figures(records: list[Record]) -> list[Record]:
    """One source may give a figure twice, as different numbers (近80亿元 and 79.996亿元):
    both are statements, told apart by a suffix in the order of their text. The same
    number twice stays a duplicate."""
    by_key: dict[str, list[Record]] = {}
    for record in records:
        if record.kind == "figures":
            by_key.setdefault(record.key, []).append(record)
    renamed: dict[int, str] = {}
    for key, same in by_key.items():
        texts = sorted({_stated(r) for r in same})
        if len(texts) > 1:
            for record in same:
                rank = texts.index(_stated(record))
                if rank:
                    renamed[id(record)] = f"{key}-{rank + 1}"
    if not renamed:
        return records
    return [Record(r.kind, renamed[id(r)], r.values, r.location, r.value_locations, r.merged) if id(r) in renamed else r
            for r in records]


def _stated(record: Record) -> str:
    figure = record["figure"]
    return figure.value.stated if figure.value else f"{figure.low.stated}/{figure.high.stated}"


def _merged(entries: list[Record], problems: list[Problem], key: str | None = None) -> Record:
    """Entries of several sources about one thing, as one record.

    Lists (aliases, sectors, roles...) are joined; a single value (a founding date,
    a designer) must be the same in every entry that is not ranked deprecated.
    """
    entries = sorted(entries, key=lambda r: r.location)
    values: dict[str, Any] = {}
    locations: dict[str, SourceLocation] = {}
    given_by: dict[str, Record] = {}
    for entry in entries:
        if entry.rank == "deprecated":
            continue
        for name, value in entry.values.items():
            if name in PROVENANCE_KEYS or name == "id":
                continue
            if name not in values:
                values[name], locations[name], given_by[name] = value, entry.value_locations.get(name, entry.location), entry
                continue
            joined = _join_values(values[name], value)
            if joined is None:
                problems.append(Problem(
                    entry.value_locations.get(name, entry.location),
                    f"{entry.kind}.{name}: {_shown_value(value)} differs from {_shown_value(values[name])} given at "
                    f"{locations[name]} by source '{given_by[name].ref('source')}'; keep one, or rank the wrong one "
                    f"`rank: deprecated` with a `rank_reason`",
                ))
                continue
            values[name] = joined
    first = entries[0]
    key = key or first.key
    values["source"] = first.values["source"]
    if "id" in first.values:
        values["id"] = key
    return Record(first.kind, key, values, first.location, {**first.value_locations, **locations},
                  tuple(p for entry in entries for p in entry.provenance))


def _join_values(old: Any, new: Any) -> Any:
    """Two sources' values of one field joined, or None when they disagree."""
    if isinstance(old, tuple):  # a list: references (id, location), codes or texts
        seen = {_bare(item) for item in old}
        return old + tuple(item for item in new if _bare(item) not in seen)
    if isinstance(old, dict):   # names and aliases by language
        out = dict(old)
        for lang, text in new.items():
            if isinstance(text, tuple):
                out[lang] = _join_values(out.get(lang, ()), text)
            elif out.setdefault(lang, text) != text:
                return None
        return out
    if isinstance(old, Date) and isinstance(new, Date):  # 2020 and 2020-10: the more precise, if it lies within
        shorter, longer = sorted((old, new), key=lambda d: len(d.lexical))
        return longer if longer.lexical.startswith(shorter.lexical) else None
    return old if old == new else None


def _bare(item: Any) -> Any:
    return item[0] if isinstance(item, tuple) else item


def _shown_value(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(_bare(item)) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{lang}: {text}" for lang, text in value.items())
    return f"'{getattr(value, 'lexical', value)}'"


def _check_entity(record: Record, problems: list[Problem]) -> None:
    """What an entity needs once every source's entry about it is in."""
    missing = [key for key in REQUIRED[record.kind] if key not in record.values]
    for key in missing:
        problems.append(Problem(record.location, f"{record.kind}: '{record.key}' has no '{key}' in any entry"))
    if missing:
        return
    if record.kind == "products":
        try:
            _check_product(record.values, record.value_locations, record.location)
        except FieldProblem as problem:
            where = f"{record.kind}.{problem.field}" if problem.field else record.kind
            problems.append(Problem(problem.location, f"{where}: {problem.message}"))


def _merge_events(records: list[Record], problems: list[Problem], notices: list[Problem],
                  warnings: list[Problem] | None = None) -> list[Record]:
    """Listing events stated by several sources become one event, under the smallest of their ids;
    one source's same event under two ids stays two, with a warning."""
    events: dict[tuple[str, ...], list[Record]] = {}
    undated: list[Record] = []
    for record in records:
        if record.kind == "listing_events":
            if "date" in record.values or "period" in record.values:
                events.setdefault(event_identity(record), []).append(record)
            else:
                undated.append(record)
    # An entry without a date confirms the event of its id that has one (a source that says
    # only that the listing happened); its company and type must be the event's, and its venue, when
    # it names one, the event's or the exchange the event's board belongs to (a source that says only
    # "Shanghai" of a STAR Market listing).
    by_id = {r.key: identity for identity, same in events.items() for r in same}
    exchange_of = {r.key: r.ref("part_of") for r in records if r.kind == "organizations" and r.ref("part_of")}
    for record in undated:
        identity = by_id.get(record.key)
        venue = record.ref("venue")
        if identity is None:
            problems.append(Problem(record.location, (
                f"listing_events: '{record.key}' needs a date or a period; without one it can only confirm an "
                f"event of the same id that has a date")))
        elif ((identity[0], identity[2]) != (record.ref("company") or "", record["type"])
              or venue not in (None, identity[1], exchange_of.get(identity[1]))):
            problems.append(Problem(record.location, (
                f"listing_events: '{record.key}' has no date, so it confirms the event of that id, but its company, "
                f"venue or type differ from it")))
        else:
            if venue is not None and venue != identity[1]:  # the exchange: the event's board says more
                record = Record(record.kind, record.key, {k: v for k, v in record.values.items() if k != "venue"},
                                record.location, record.value_locations, record.merged)
            events[identity].append(record)
    renamed: dict[str, str] = {}
    out = [r for r in records if r.kind != "listing_events"]
    for same in events.values():
        if len(same) == 1:
            out.append(same[0])
            continue
        same.sort(key=lambda r: r.location)
        canonical = min(r.key for r in same)
        first = next(r for r in same if r.key == canonical)
        kept = [first]
        for record in same:
            if record is first:
                continue
            twin = next((k for k in kept if k.ref("source") == record.ref("source")), None)
            if twin is not None:
                out.append(record)  # a duplicate: the id and key checks say so, and so does this under two ids
                if record.key != twin.key and warnings is not None:
                    warnings.append(Problem(record.location, (
                        f"listing_events: '{record.key}' and '{twin.key}' ({twin.location}) are the same event, "
                        f"both from source '{record.ref('source')}': same company, venue, type and date; keep one")))
                continue
            kept.append(record)
            if record.key != canonical:
                renamed[record.key] = canonical
                notices.append(Problem(record.location, (
                    f"listing_events: '{record.key}' is the same event as '{canonical}' ({first.location}): same "
                    f"company, venue, type and date; source '{record.ref('source')}' is added to it")))
        out.append(_merged(kept, problems, canonical) if len(kept) > 1 else first)
    if renamed:
        out = [_renamed(record, renamed) for record in out]
    return out


def _renamed(record: Record, renamed: dict[str, str]) -> Record:
    """References to an event id merged into another point to the one kept."""
    ref = record.values.get("event")
    if not ref or ref[0][0] not in renamed:
        return record
    values = dict(record.values, event=((renamed[ref[0][0]], ref[0][1]),))
    return Record(record.kind, record.key, values, record.location, record.value_locations, record.merged)


def _check_references(records: list[Record], problems: list[Problem], broken_ids: dict[str, str],
                      kinds: dict[str, str] | None = None) -> None:
    """References of ``records`` to ids among them, or among ``kinds`` (id -> kind) when given."""
    if kinds is None:
        kinds = broken_ids | {r.key: r.kind for r in records if "id" in r.values}
    for record in records:
        schema = SCHEMA[record.kind]
        for name, value in record.values.items():
            spec = schema.get(name)
            if spec is None or not spec.refs:
                continue
            for ref, loc in value:
                if ref not in kinds:
                    candidates = [k for k, kind in kinds.items() if kind in spec.refs]
                    problems.append(Problem(loc, f"{record.kind}.{name}: unknown id '{ref}'{did_you_mean(ref, candidates)}"))
                elif kinds[ref] not in spec.refs:
                    problems.append(Problem(
                        loc, f"{record.kind}.{name}: '{ref}' is in {kinds[ref]}, but {name} takes {' or '.join(spec.refs)}"
                    ))


def _check_quotes(records: list[Record], root: Path, problems: list[Problem],
                  texts: dict[str, str | None] | None = None) -> None:
    """Words are quoted only from a source whose text we keep, and word for word.

    A fact from such a source quotes its sentence; a fact from a source whose
    text is not stored says where it stands in a ``locator`` in our own words
    and quotes nothing. ``texts`` maps every source id to its stored text (None
    without one); it is read from the sources among ``records`` when not given.
    """
    if texts is None:
        texts = _source_texts(records, root, problems)
    for record in records:
        for said in record.provenance:
            if said.source not in texts:
                continue  # an unknown source: the reference check says so
            text = texts[said.source]
            where = said.quote_location or said.location
            if text is not None:
                if not said.quotes:
                    problems.append(Problem(said.location, f"{record.kind}: missing 'quote': the sentence of '{said.source}' this comes from"))
                for quote in said.quotes:
                    if quote not in text:
                        problems.append(Problem(where, f"{record.kind}.quote: not found word for word in source '{said.source}': {quote[:40]}…"))
            elif said.quotes:
                problems.append(Problem(where, (
                    f"{record.kind}.quote: the text of '{said.source}' is not stored, so nothing can be quoted from it; "
                    f"say where the fact stands in a `locator`, in your own words")))
            elif said.locator is None:
                problems.append(Problem(said.location, (
                    f"{record.kind}: missing 'locator': where in '{said.source}' this stands, in your own words "
                    f"(e.g. \"offering paragraph, price range\")")))


def source_text_path(root: Path, relative: str, resolved_root: Path | None = None) -> Path | None:
    """Where a source's stored text is: inside the fact folder, or None. A ``text:``
    that leaves the folder (``../``, an absolute path, a symbolic link out) would let a
    fact file probe any local file through the quote check. ``resolved_root`` is
    ``root.resolve()``, when the caller has it (it costs a system call a level)."""
    path = root / relative
    try:
        inside = path.resolve().is_relative_to(resolved_root or root.resolve())
    except (OSError, RuntimeError):  # a symbolic-link loop
        return None
    return path if inside and not Path(relative).is_absolute() else None


def _source_texts(records: list[Record], root: Path, problems: list[Problem]) -> dict[str, str | None]:
    texts: dict[str, str | None] = {}
    resolved = None
    for source in (r for r in records if r.kind == "sources"):
        relative = source.get("text")
        if relative is None:
            texts[source.key] = None
            continue
        try:
            resolved = resolved or root.resolve()
        except (OSError, RuntimeError):
            resolved = None
        path = source_text_path(root, relative, resolved)
        if path is None:
            problems.append(Problem(source.value_locations["text"], f"sources.text: '{relative}' is outside the "
                                    f"fact folder {shown(root)}; keep stored texts in it, e.g. texts/article.txt"))
            continue
        try:
            texts[source.key] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            reason = os_reason(err) if isinstance(err, OSError) else "it is not UTF-8"
            problems.append(Problem(source.value_locations["text"], f"sources.text: cannot read {shown(path)}: {reason}"))
    return texts


# References that make a tree: a place within a place. (A company ``part_of`` another
# would belong here too, but the build cache's quick path would then redo every build
# that touches organizations: it keeps no edges to follow.)
TREES = (("places", "within", "within"),)


def _check_cycles(records: list[Record], problems: list[Problem]) -> None:
    """No place is within itself, directly or round a cycle."""
    for kind, name, words in TREES:
        parent = {r.key: r for r in records if r.kind == kind and name in r.values}
        reported: set[str] = set()
        for start in sorted(parent):
            path: list[str] = []
            node = start
            while node in parent and node not in path and node not in reported:
                path.append(node)
                node = parent[node].ref(name)
            if node in path:  # round a cycle: report it once, where it closes
                cycle = path[path.index(node):]
                reported.update(cycle)
                what = "itself" if len(cycle) == 1 else f"a cycle: {' -> '.join([*cycle, node])}"
                problems.append(Problem(parent[cycle[-1]].value_locations[name],
                                        f"{kind}.{name}: '{cycle[-1]}' is {words} {what}"))
