"""Records: what the reader makes of each fact entry, and the facts of a whole folder.

Every later part reads these, never the YAML: a record's kind, its key (the id, or
a key made of what it states), its values with their file:line marks, and each
source's provenance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..base.errors import Problem, SourceLocation
from ..base.values import Amount

if TYPE_CHECKING:
    from .reconcile import Reconciliation

# Kinds of entries that describe an entity (an id several sources may describe).
ENTITY_KINDS = ("organizations", "groups", "places", "sectors", "products", "segments", "people", "indices")


@dataclass(frozen=True)
class Provenance:
    """What one source says for a fact: the source, where in it, and the statement's rank."""

    source: str
    location: SourceLocation            # the entry that says it
    quotes: tuple[str, ...] = ()
    locator: str | None = None          # where in a source whose text is not stored, in our words
    cites: tuple[str, ...] = ()
    note: str | None = None
    rank: str = "normal"                # preferred, normal or deprecated (Wikidata's ranks)
    rank_reason: str | None = None
    quote_location: SourceLocation | None = None


@dataclass(frozen=True)
class Record:
    """One checked fact: its kind, its key (the id, or a key made of what it states), its values.

    A fact several sources give (an entity two articles describe, one event under two
    ids) is one record whose ``merged`` holds each source's provenance.
    """

    kind: str
    key: str
    values: dict[str, Any]
    location: SourceLocation
    value_locations: dict[str, SourceLocation] = field(default_factory=dict)
    merged: tuple[Provenance, ...] = ()

    @cached_property
    def provenance(self) -> tuple[Provenance, ...]:
        if self.merged:
            return self.merged
        if "source" not in self.values:
            return ()
        v = self.values
        return (Provenance(
            v["source"][0][0], self.location, tuple(v.get("quote", ())), v.get("locator"),
            tuple(ref for ref, _ in v.get("cites", ())), v.get("note"), v.get("rank", "normal"),
            v.get("rank_reason"), self.value_locations.get("quote"),
        ),)

    @cached_property
    def rank(self) -> str:
        """The statement's rank: the best its sources give."""
        ranks = {p.rank for p in self.provenance}
        return next((r for r in ("preferred", "normal", "deprecated") if r in ranks), "normal")

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
    notices: tuple[Problem, ...] = ()    # what the reader did that the user should know (events merged)
    read_warnings: tuple[Problem, ...] = ()  # what the reader found allowed but suspect (one event twice)

    # How the statements of several sources about one figure relate (``kg.facts.reconcile``);
    # None until the facts are reconciled (``kg.facts.read.load_facts`` does it).
    reconciliation: Reconciliation | None = field(default=None, compare=False)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """What is allowed but should be looked at: conflicts no rank settles, figures no statement of
        which is best, one source's event under two ids."""
        reconciled = self.reconciliation.warnings if self.reconciliation is not None else ()
        return tuple(sorted(self.read_warnings + reconciled)) if self.read_warnings else reconciled

    def of_kind(self, kind: str) -> list[Record]:
        return [r for r in self.records if r.kind == kind]

    def locations(self) -> dict[tuple[str, str], SourceLocation]:
        return {(r.kind, r.key): r.location for r in self.records}


@dataclass(frozen=True)
class FigureValue:
    """What a figure states: an exact value, a lower or upper bound, or a range.

    ``approximation`` (about, nearly, rounded) and ``circumstance`` (forecast,
    hypothetical, planned) qualify it further: none of them is ever shown as exact.
    """

    qualifier: str              # "exact", "at-least", "at-most" or "range"
    value: Amount | None = None
    low: Amount | None = None
    high: Amount | None = None
    approximation: str | None = None
    circumstance: str | None = None

    @property
    def unit(self):
        return (self.value or self.low).unit


def forecaster(values: dict) -> str | None:
    """Whose forecast a figure is (None when it is not one): its ``said_by``, or the entity itself. A
    broker's estimate and the company's guidance are different measures, for the key and the group alike."""
    if values.get("circumstance") != "forecast":
        return None
    said_by, of = values.get("said_by"), values.get("of")
    return (said_by or of)[0][0] if (said_by or of) else None


def figure_group(key: str) -> str:
    """What a figure is about, whoever says it: its key without the source (and its suffix)."""
    return key.rsplit("/", 1)[0]


def event_identity(record: Record) -> tuple[str, ...]:
    """Two listing events with the same company, venue, type and date are one event."""
    when = record["date"].lexical if "date" in record.values else record["period"].code
    return (record.ref("company") or "", record.ref("venue") or "", record["type"], when)


def figure_family(key: str) -> str:
    """A figure's key without its period and source: statements of one family may be reconciled with each
    other (a span and an "as of" day that ends it are compared), so the quick build keeps a family in one file."""
    parts = key.split("/")
    return "/".join(parts[:2] + parts[3:-1])
