"""The facts as known on a day: only what sources published by then say.

An analyst reading the news asks what was known on a date, and how each new
source changed it. Every entry of a fact file is one source's statement, so the
facts known on ``day`` are the entries whose source was published on or before
it, read before several sources' entries are merged and reconciled: best values
are those of that day. An entity a known entry refers to is kept even if only a
later source describes it (its name is needed to say what the known entry is
about). A source published at a month's or a year's precision is known from the
end of that month or year; one whose day is known only to be after another
(``published_after``) from the day after; a source without a publication date (a
filing cited by an article) is taken as known at any date.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection, Iterable

from ..base.errors import SourceLocation
from ..base.values import Date
from .records import ENTITY_KINDS, Record


def known_from(published: Date | None) -> dt.date:
    """The first day on which a source published at ``published`` is surely out."""
    if published is None:
        return dt.date.min
    parts = [int(part) for part in published.lexical.split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    if len(parts) == 2:
        return dt.date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
    return dt.date(parts[0], 12, 31)


def publication_days(records: Iterable[Record]) -> dict[str, dt.date]:
    """Each source's id and the day it is known from."""
    days = {}
    for record in records:
        if record.kind == "sources":
            after = record.get("published_after")
            days[record.key] = (known_from(record.get("published")) if after is None or "published" in record.values
                                else known_from(after) + dt.timedelta(days=1))
    return days


def known_sources(records: list[Record], day: dt.date) -> set[str]:
    """The sources known by ``day``."""
    return {source for source, known in publication_days(records).items() if known <= day}


def known_by(records: list[Record], sources: Collection[str]) -> list[Record]:
    """The entries (not yet merged) that ``sources`` give, with the entities they refer to."""
    sources = set(sources)

    def known(record: Record) -> bool:
        if record.kind == "sources":
            return record.key in sources
        source = record.ref("source")
        return source is None or source in sources

    kept = [record for record in records if known(record)]
    known_ids = {record.key for record in kept if "id" in record.values}
    # What known entries refer to, and what that refers to in turn (an entity's headquarters ...).
    needed = {record.key for record in kept if record.kind in ENTITY_KINDS} | _referenced(kept)
    while True:
        wider = needed | _referenced(r for r in records if "id" in r.values and r.key in needed)
        if wider == needed:
            break
        needed = wider

    def referent(record: Record) -> bool:
        """An entity is kept whole, every entry of its id, for its names and kind; another referent
        (a listing event, a source) only when no known entry gives it."""
        if record.kind in ENTITY_KINDS:
            return record.key in needed
        return record.key in needed and record.key not in known_ids

    return kept + [r for r in records if not known(r) and "id" in r.values and referent(r)]


def _referenced(records: Iterable[Record]) -> set[str]:
    refs: set[str] = set()
    for record in records:
        for value in record.values.values():
            if isinstance(value, tuple) and value and isinstance(value[0], tuple) and len(value[0]) == 2 \
                    and isinstance(value[0][1], SourceLocation):
                refs.update(ref for ref, _ in value)
    return refs
