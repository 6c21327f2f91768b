"""What each newer source changed: the facts it added, the best values it moved, the conflicts
and confirmations it brought, source by source in publication order (``kg changes --since``).

A news desk reads the graph as it grew: the facts known just before a source and just
after it are built from the same entries (kg.facts.asof), and their reconciliations
compared group by group.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace

from .asof import publication_days
from .read import Entries
from .reconcile import group_of, reconcile
from .records import ENTITY_KINDS as _ENTITY_KINDS, Facts, Record


@dataclass(frozen=True)
class BestChange:
    """A figure whose best value a source set or moved."""

    figure: str                 # what it is about: entity, metric, period (and basis, segment ...)
    before: tuple[str, ...]     # the best values as stated before the source (none for a new figure)
    after: tuple[str, ...]


@dataclass(frozen=True)
class SourceChanges:
    source: str
    title: str
    published: dt.date | None
    added: dict[str, int]                                  # entries of the source, by kind
    best: tuple[BestChange, ...] = ()                      # best values set or moved
    conflicts: tuple[str, ...] = ()                        # conflicts its statements brought, and whether a rank settles them
    confirmations: tuple[str, ...] = ()                    # other sources' figures it states again
    entities: tuple[str, ...] = field(default=())          # entities it is the first to name


def changes(entries: Entries, since: dt.date, lang: str = "en") -> list[SourceChanges]:
    """Each source published after ``since``, oldest first, with what it changed."""
    days = publication_days(entries.records)
    titles = {r.key: r["title"].get(lang) or next(iter(r["title"].values())) for r in entries.records
              if r.kind == "sources"}
    dated = sorted((day, source) for source, day in days.items() if day != dt.date.min)
    undated = {source for source, day in days.items() if day == dt.date.min}
    known = undated | {source for day, source in dated if day <= since}
    before = _reconciled(entries.facts(known))
    out = []
    for day, source in dated:
        if day <= since:
            continue
        known = known | {source}
        after = _reconciled(entries.facts(known))
        out.append(_compare(source, titles.get(source, source), day, before, after, entries.records, lang))
        before = after
    return out


def _reconciled(facts: Facts) -> Facts:
    return replace(facts, reconciliation=reconcile(facts.records))


def _best(facts: Facts) -> dict[tuple, tuple[tuple[str, ...], Record]]:
    statements = facts.reconciliation.statements if facts.reconciliation else {}
    best: dict[tuple, list[Record]] = {}
    for record in facts.of_kind("figures"):
        if statements.get(record.key) is None or statements[record.key].best:
            best.setdefault(group_of(record), []).append(record)
    return {group: (tuple(sorted(_stated(r) for r in records)), records[0]) for group, records in best.items()}


def _compare(source: str, title: str, day: dt.date, before: Facts, after: Facts, entries: list[Record],
             lang: str) -> SourceChanges:
    own = [r for r in entries if r.ref("source") == source and r.kind != "sources"]
    names = _names(after, lang)
    old, new = _best(before), _best(after)
    moved = []
    for group, (values, record) in sorted(new.items(), key=lambda item: _about(item[1][1], names)):
        previous = old.get(group, ((), None))[0]
        if values != previous:
            moved.append(BestChange(_about(record, names), previous, values))
    statements = after.reconciliation.statements
    mine = {r.key for r in after.of_kind("figures") if r.ref("source") == source}
    conflicts, confirmations = [], []
    by_key = {r.key: r for r in after.of_kind("figures")}
    for key in sorted(mine):
        reconciled = statements[key]
        record = by_key[key]
        for other in reconciled.conflicts_with:
            if by_key[other].ref("source") == source:
                continue
            settled = " (settled by a rank)" if record.rank != by_key[other].rank else ""
            conflicts.append(f"{_about(record, names)}: {_stated(record)} against {_stated(by_key[other])} "
                             f"from {by_key[other].ref('source')}{settled}")
        for other in reconciled.agrees_with + reconciled.rounding_of:
            if by_key[other].ref("source") == source:
                continue
            confirmations.append(f"{_about(record, names)}: {_stated(record)} agrees with {_stated(by_key[other])} "
                                 f"from {by_key[other].ref('source')}")
    seen_before = {r.key for r in before.records if r.kind in _ENTITY_KINDS}
    first = sorted(names.get(r.key, r.key) for r in after.records
                   if r.kind in _ENTITY_KINDS and r.key not in seen_before)
    return SourceChanges(source, title, day, dict(sorted(Counter(r.kind for r in own).items())), tuple(moved),
                         tuple(sorted(set(conflicts))), tuple(sorted(set(confirmations))), tuple(first))


def _names(facts: Facts, lang: str) -> dict[str, str]:
    return {r.key: r["name"].get(lang) or next(iter(r["name"].values()))
            for r in facts.records if "name" in r.values and isinstance(r["name"], dict) and r["name"]}


def _stated(record: Record) -> str:
    figure = record["figure"]
    return figure.value.stated if figure.value is not None else f"{figure.low.stated}–{figure.high.stated}"


def _about(record: Record, names: dict[str, str]) -> str:
    parts = [names.get(record.ref("of"), record.ref("of")), record["metric"], record["period"].code]
    for name in ("segment", "holder", "market", "security", "compared_with", "customer"):
        if record.ref(name):
            parts.append(names.get(record.ref(name), record.ref(name)))
    for name in ("measure", "project", "fee", "accounts", "session", "lock_up_months", "tranche", "stage", "basis", "circumstance"):
        if record.get(name):
            parts.append(record[name])
    if record.get("attributable"):
        parts.append("attributable")
    if record.get("circumstance") == "forecast" and record.ref("said_by"):
        parts.append(f"by {names.get(record.ref('said_by'), record.ref('said_by'))}")
    return " ".join(parts)


def as_text(found: list[SourceChanges]) -> str:
    """How ``kg changes`` prints: a block per source, newest last."""
    lines = []
    for c in found:
        added = ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in c.added.items())
        lines.append(f"{c.published}  {c.source}  {c.title}")
        lines.append(f"  added: {added or 'nothing'}")
        if c.entities:
            lines.append(f"  first to name: {', '.join(c.entities)}")
        if c.best:
            lines.append(f"  best values set or moved ({len(c.best)}):")
            lines += [f"    {b.figure}: {' / '.join(b.before) or '-'} -> {' / '.join(b.after)}" for b in c.best]
        for title, items in (("conflicts", c.conflicts), ("confirms", c.confirmations)):
            if items:
                lines.append(f"  {title} ({len(items)}):")
                lines += [f"    {item}" for item in items]
    return "\n".join(lines) + ("\n" if lines else "no source published after that day\n")


def as_json(found: list[SourceChanges]) -> str:
    import json
    from dataclasses import asdict

    return json.dumps([asdict(c) for c in found], ensure_ascii=False, indent=2, default=str) + "\n"
