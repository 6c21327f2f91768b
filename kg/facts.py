"""Fact files: YAML in, checked records out, every value traced to its file and line.

A fact file is a mapping from a kind (``organizations``, ``figures``, ...) to a
list of records. ``SCHEMA`` says which keys each kind takes; docs/facts-format.md
explains them to analysts. All problems are collected and raised together.
"""

from __future__ import annotations

import difflib
import gc
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, Problem, SourceLocation, UsageError
from .ontology import GPU, Vocabulary, vocabulary
from .progress import QUIET, Progress
from .values import Amount, Unit, ValueProblem, parse_amount, parse_date, parse_period
from .yamltree import Mapping, Node, Scalar, Sequence, read_yaml

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ENTITY_KINDS = ("organizations", "groups", "places", "sectors", "products", "segments")


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


_TICKER = re.compile(r"^(?:\d{4,6}\.(?:HK|SH|SZ|BJ)|[A-Z]{1,5})$")


def read_tickers(node: Node, vocab: Vocabulary) -> tuple[str, ...]:
    tickers = []
    for item in _list(node):
        text = read_text(item, vocab)
        if not _TICKER.match(text):
            raise FieldProblem(item.loc, f"'{text}' is not a ticker; write the code and market as the exchange does, e.g. 06082.HK or 688795.SH")
        tickers.append(text)
    return tuple(tickers)


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
    return out


def read_year(node: Node, vocab: Vocabulary) -> str:
    text = read_text(node, vocab)
    if not re.fullmatch(r"\d{4}", text):
        raise FieldProblem(node.loc, f"'{text}' is not a year; write e.g. 2019")
    return text


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
                raise FieldProblem(item.loc, f"unknown {what} '{code}'{_did_you_mean(code, known)}; known: {', '.join(sorted(known))}")
            codes.append(code)
        return tuple(codes) if many else codes[0]

    return read


def read_roles(node: Node, vocab: Vocabulary) -> tuple[str, ...]:
    roles = []
    for item in _list(node):
        role = read_text(item, vocab)
        if role not in vocab.organization_roles:
            known = vocab.organization_roles
            raise FieldProblem(item.loc, f"unknown role '{role}'{_did_you_mean(role, known)}; known: {', '.join(sorted(known))}")
        roles.append(role)
    return tuple(roles)


def read_choice(*choices: str) -> Reader:
    def read(node: Node, vocab: Vocabulary) -> str:
        text = read_text(node, vocab)
        if text not in choices:
            raise FieldProblem(node.loc, f"'{text}' is not one of {', '.join(choices)}{_did_you_mean(text, choices)}")
        return text

    return read


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


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
        "cites": Field(read_refs, refs=("sources",)),
        "note": Field(read_text),
    }


_NAMED = {"id": Field(read_id, True), "name": Field(read_names, True), "aliases": Field(read_aliases)}

SCHEMA: dict[str, dict[str, Field]] = {
    "sources": {
        "id": Field(read_id, True),
        "kind": Field(read_choice("article", "filing", "statistic", "data", "report", "website"), True),
        "title": Field(read_names, True),
        "publisher": Field(read_ref, refs=("organizations",)),
        "url": Field(read_url),
        "language": Field(read_language),
        "text": Field(read_text),
        "note": Field(read_text),
    },
    "organizations": {
        **_NAMED,
        "roles": Field(read_roles, True),
        "legal_name": Field(read_some_names),
        "tickers": Field(read_tickers),
        "founded": Field(read_year),
        "headquarters": Field(read_ref, refs=("places",)),
        "in_sectors": Field(read_refs, refs=("sectors",)),
        "serves_sectors": Field(read_refs, refs=("sectors",)),
        "management_from": Field(read_refs, refs=("organizations",)),
        "process_node": Field(read_text),
        "software_ecosystem": Field(_codes("EcosystemStance", "software-ecosystem stance", many=True)),
        "part_of": Field(read_ref, refs=("organizations",)),
        **_provenance(),
    },
    "groups": {
        **_NAMED,
        "members": Field(read_refs, True, ("organizations",)),
        "in_sectors": Field(read_refs, refs=("sectors",)),
        "serves_sectors": Field(read_refs, refs=("sectors",)),
        "process_node": Field(read_text),
        "benchmarked_against": Field(read_refs, refs=("products",)),
        "software_ecosystem": Field(_codes("EcosystemStance", "software-ecosystem stance", many=True)),
        **_provenance(),
    },
    "places": {**_NAMED, "within": Field(read_ref, refs=("places",)), **_provenance()},
    "sectors": {**_NAMED, **_provenance()},
    "products": {
        **_NAMED,
        "type": Field(read_choice("line", "generation", "product"), True),
        "designer": Field(read_ref, True, ("organizations",)),
        "line": Field(read_ref, refs=("products",)),
        "workload": Field(_codes("Workload", "workload", many=False)),
        "process_node": Field(read_text),
        "benchmarked_against": Field(read_refs, refs=("products",)),
        **_provenance(),
    },
    "segments": {
        **_NAMED,
        "company": Field(read_ref, True, ("organizations",)),
        "product_line": Field(read_ref, refs=("products",)),
        **_provenance(),
    },
    "milestones": {
        "of": Field(read_ref, True, ("organizations", "groups", "products")),
        "type": Field(_codes("MilestoneType", "milestone type", many=False), True),
        "date": Field(read_date),
        "period": Field(read_period),
        "stated_date": Field(read_text),
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
        "stated_date": Field(read_text),
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
        "stated_date": Field(read_text),
        **_provenance(),
    },
    "figures": {
        "of": Field(read_ref, True, ("organizations", "groups", "products", "segments")),
        "metric": Field(_codes("Metric", "metric", many=False), True),
        "segment": Field(read_ref, refs=("segments",)),
        "event": Field(read_ref, refs=("listing_events",)),
        "period": Field(read_period),
        "reference_period": Field(read_period),
        "value": Field(read_raw),
        "at_least": Field(read_raw),
        "between": Field(read_raw),
        "values": Field(read_raw),
        **_provenance(),
    },
    "statements": {
        "id": Field(read_id, True),
        "about": Field(read_refs, True, ENTITY_KINDS),
        "kind": Field(_codes("StatementKind", "statement kind", many=False), True),
        "text": Field(read_names, True),
        **_provenance(),
    },
}


REQUIRED = {kind: [key for key, spec in fields.items() if spec.required] for kind, fields in SCHEMA.items()}


# --- records -----------------------------------------------------------------------

@dataclass(frozen=True)
class Record:
    """One checked fact: its kind, its key (the id, or a key made of what it states), its values."""

    kind: str
    key: str
    values: dict[str, Any]
    location: SourceLocation
    value_locations: dict[str, SourceLocation] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def ref(self, name: str) -> str | None:
        """The id a single-reference field points to."""
        refs = self.values.get(name)
        return refs[0][0] if refs else None

    def refs(self, name: str) -> list[str]:
        return [ref for ref, _ in self.values.get(name, ())]


@dataclass(frozen=True)
class Facts:
    """Every record of a fact folder, in a stable order, and where the folder is."""

    records: tuple[Record, ...]
    root: Path

    def of_kind(self, kind: str) -> list[Record]:
        return [r for r in self.records if r.kind == kind]

    def locations(self) -> dict[tuple[str, str], SourceLocation]:
        return {(r.kind, r.key): r.location for r in self.records}


@dataclass(frozen=True)
class FigureValue:
    """What a figure states: an exact value, a lower bound, or a range."""

    qualifier: str              # "exact", "at-least" or "range"
    value: Amount | None = None
    low: Amount | None = None
    high: Amount | None = None


def fact_files(root: Path) -> list[Path]:
    if not root.is_dir():
        raise UsageError(f"no fact folder at {root}")
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a while.

    Reading facts makes millions of small objects and no garbage cycles; the
    collector, triggered by every few hundred allocations, kept walking all of
    them and took more time than the YAML parser.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_facts(root: str | Path = "facts", *, progress: Progress = QUIET,
               contents: dict[Path, bytes] | None = None) -> Facts:
    """Read every ``*.yaml`` under ``root``; raise InputError listing every problem.

    ``contents`` holds the bytes of files already read (by path under ``root``),
    so that what is checked is what the caller hashed.
    """
    root = Path(root)
    vocab = vocabulary()
    problems: list[Problem] = []
    records: list[Record] = []
    broken_ids: dict[str, str] = {}  # ids of entries with problems of their own: not "unknown" elsewhere
    all_read = True
    paths = fact_files(root)
    contents = contents or {}
    progress.stage("reading facts", sum(len(contents[p]) if p in contents else p.stat().st_size for p in paths))
    with paused_gc():
        for path in paths:
            data = contents[path] if path in contents else path.read_bytes()
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
        records = _check_keys(records, problems)
        if all_read:  # a file we could not read may define the ids others refer to
            _check_references(records, problems, broken_ids)
        _check_quotes(records, root, problems)
        if problems:
            raise InputError(problems)
        return Facts(tuple(sorted(records, key=lambda r: (r.kind, r.key))), root)


def _read_file(tree: Node, vocab: Vocabulary, problems: list[Problem], broken_ids: dict[str, str]) -> list[Record]:
    if not isinstance(tree, Mapping):
        problems.append(Problem(tree.loc, f"a fact file is a mapping of kinds to lists, e.g. `figures:`; kinds: {', '.join(SCHEMA)}"))
        return []
    records = []
    for kind, entries in tree.items.items():
        if kind not in SCHEMA:
            problems.append(Problem(tree.key_locs[kind], f"unknown kind '{kind}'{_did_you_mean(kind, SCHEMA)}; kinds: {', '.join(SCHEMA)}"))
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
        if key not in schema:
            problems.append(Problem(entry.key_locs[key], f"{kind}: unknown key '{key}'{_did_you_mean(key, schema)}"))
            ok = False
            continue
        try:
            values[key] = schema[key].reader(node, vocab)
            locations[key] = node.loc
        except FieldProblem as problem:
            problems.append(Problem(problem.location, f"{kind}.{key}: {problem.message}"))
            ok = False
    for key in REQUIRED[kind]:
        if key not in entry.items:
            problems.append(Problem(entry.loc, f"{kind}: missing required key '{key}'"))
            ok = False
    try:
        if ok:
            return FINISHERS.get(kind, _finish_plain)(kind, values, locations, entry, vocab)
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
    """Id-less facts are named by what they state, so the same fact twice is caught."""
    ref = lambda name: values[name][0][0]  # noqa: E731
    if kind == "milestones":
        when = values["date"].lexical if "date" in values else values["period"].slug
        return f"{ref('of')}/{values['type']}/{when}"
    if kind == "supply_chain":
        return f"{ref('client')}/{ref('supplier')}/{values['role']}"
    key = f"{ref('of')}/{values['metric']}/{values['period'].slug}"
    if "segment" in values:
        key += f"/{ref('segment')}"
    return key


def _finish_dated(kind, values, locations, entry, vocab) -> list[Record]:
    if "date" in values and "period" in values:
        raise FieldProblem(locations["period"], "give a date or a period, not both", "period")
    if "date" not in values and "period" not in values:
        raise FieldProblem(entry.loc, "needs a date (2025-12-19, 2025-08, 2025) or a period (2026Q1, unspecified)")
    return _finish_plain(kind, values, locations, entry, vocab)


def _finish_round(kind, values, locations, entry, vocab) -> list[Record]:
    cny = next(u for u in vocab.units.values() if u.notation == "CNY")
    for name in ("pre_money", "post_money"):
        if name in values:
            values[name] = _amount(values[name], cny, name)
    return _finish_plain(kind, values, locations, entry, vocab)


def _amount(node: Node, unit: Unit, field: str) -> Amount:
    try:
        return parse_amount(_scalar(node).text, unit)
    except FieldProblem as problem:
        raise FieldProblem(problem.location, problem.message, field) from None
    except ValueProblem as problem:
        raise FieldProblem(node.loc, str(problem), field) from None


def _finish_figure(kind, values, locations, entry, vocab) -> list[Record]:
    unit = vocab.metric_units[values["metric"]]
    given = [name for name in ("value", "at_least", "between", "values") if name in values]
    if len(given) != 1:
        where = locations[given[1]] if len(given) > 1 else entry.loc
        what = " and ".join(given) if given else "none of them"
        raise FieldProblem(where, f"give exactly one of value, at_least, between or values (found {what}); a value is either exact or a lower bound")
    how = given[0]
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
            one = dict(values, period=period, figure=FigureValue("exact", _amount(node, unit, "values")))
            one_locations = dict(locations, period=period_loc, value=node.loc)
            records.append(Record(kind, _natural_key(kind, one), one, period_loc, one_locations))
        return records
    if "period" not in values:
        raise FieldProblem(entry.loc, "missing required key 'period' (or give `values` by period)")
    node = values.pop(how)
    if how == "value":
        stated = FigureValue("exact", _amount(node, unit, how))
    elif how == "at_least":
        stated = FigureValue("at-least", _amount(node, unit, how))
    else:
        if not isinstance(node, Sequence) or len(node.items) != 2:
            raise FieldProblem(node.loc, "takes two amounts, low and high: [53%, 61%]", how)
        low, high = (_amount(item, unit, how) for item in node.items)
        if low.value > high.value:
            raise FieldProblem(node.loc, f"is [low, high], but {low.stated} is above {high.stated}", how)
        stated = FigureValue("range", low=low, high=high)
    values["figure"] = stated
    return _finish_plain(kind, values, locations, entry, vocab)


def _finish_product(kind, values, locations, entry, vocab) -> list[Record]:
    if values["type"] == "generation" and "line" not in values:
        raise FieldProblem(entry.loc, "a generation needs `line`: the id of its product line")
    if values["type"] != "generation" and "line" in values:
        raise FieldProblem(locations["line"], f"only a generation belongs to a line; this is a {values['type']}", "line")
    return _finish_plain(kind, values, locations, entry, vocab)


FINISHERS = {
    "milestones": _finish_dated,
    "listing_events": _finish_dated,
    "funding_rounds": _finish_round,
    "figures": _finish_figure,
    "products": _finish_product,
}


# --- checks across files --------------------------------------------------------------

def _check_keys(records: list[Record], problems: list[Problem]) -> list[Record]:
    """Ids are unique across all kinds; id-less facts are unique by what they state."""
    first: dict[tuple[str, str], Record] = {}
    unique = []
    for record in records:
        scope = "id" if "id" in record.values else record.kind
        seen = first.get((scope, record.key))
        if seen is None:
            first[(scope, record.key)] = record
            unique.append(record)
            continue
        what = f"id '{record.key}'" if scope == "id" else f"{record.kind} entry '{record.key}'"
        problems.append(Problem(record.location, f"duplicate {what}; first given at {seen.location}"))
    return unique


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
                    problems.append(Problem(loc, f"{record.kind}.{name}: unknown id '{ref}'{_did_you_mean(ref, candidates)}"))
                elif kinds[ref] not in spec.refs:
                    problems.append(Problem(
                        loc, f"{record.kind}.{name}: '{ref}' is in {kinds[ref]}, but {name} takes {' or '.join(spec.refs)}"
                    ))


def _check_quotes(records: list[Record], root: Path, problems: list[Problem],
                  texts: dict[str, str | None] | None = None) -> None:
    """A quote from a source whose text we keep must stand in it word for word.

    ``texts`` maps every source id to its stored text (None without one); it is
    read from the sources among ``records`` when not given.
    """
    if texts is None:
        texts = _source_texts(records, root, problems)
    for record in records:
        if "source" not in record.values:
            continue
        text = texts.get(record.ref("source"))
        quotes = record.get("quote", ())
        if text is not None and not quotes:
            problems.append(Problem(record.location, f"{record.kind}: missing 'quote': the sentence of '{record.ref('source')}' this comes from"))
        if text is None and record.ref("source") in texts and not quotes and "note" not in record.values:
            problems.append(Problem(record.location, f"{record.kind}: give a 'quote' or a 'note' saying where in '{record.ref('source')}' this is"))
        for quote in quotes if text is not None else ():
            if quote not in text:
                problems.append(Problem(
                    record.value_locations["quote"], f"{record.kind}.quote: not found word for word in source '{record.ref('source')}': {quote[:40]}…"
                ))


def _source_texts(records: list[Record], root: Path, problems: list[Problem]) -> dict[str, str | None]:
    texts: dict[str, str | None] = {}
    for source in (r for r in records if r.kind == "sources"):
        relative = source.get("text")
        if relative is None:
            texts[source.key] = None
            continue
        path = root / relative
        try:
            texts[source.key] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            problems.append(Problem(source.value_locations["text"], f"sources.text: cannot read {shown(path)}: {err}"))
    return texts
