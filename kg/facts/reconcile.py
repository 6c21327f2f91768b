"""Reconciling what several sources say of one figure: agree, round, or conflict.

Every figure is one source's statement; statements about the same thing (entity,
metric, period, segment, basis...) form a group. Each statement admits an
interval of true values: a number as written covers half a step of its last
digit either way (16亿 covers 15.5亿 to 16.5亿, 16.01亿 covers 16.005亿 to
16.015亿), "about" a whole step, "nearly" up to a step below, a lower or upper
bound everything past it, a range its two ends. Two statements whose intervals
meet can both be true; one whose interval holds the other's more precise number
is a rounding of it. Two numbers written to the same digit that differ in it
(14.74亿 and 14.75亿, 22家 and 23家) are not: their intervals only touch.

The best statement of a group (Wikidata's truthy statement) is one of the
preferred ones if any, else of the normal ones: not a rounding of, nor a bound or
approximation met by, another candidate, and of those the most precisely written
(the first by key among equals). It names every source whose statement agrees
with it, so a sum over best values counts each figure once, whoever states it.
Deprecated statements are never best. Two statements that cannot both be true and
are not ranked apart are a conflict, reported as a warning (an error with
``--strict``); both stay best until a rank settles it. A figure whose every
statement is deprecated is a warning too: no best-value query would show it.

What a group is: the same entity, metric, period, segment, holder, market,
tranche, stage, basis and circumstance (a forecast is never compared with the
final figure, a price at the open never with one at the close), and for a
forecast its forecaster (a broker's estimate is not the company's guidance).
Two statements that both leave their basis unstated may be at different prices
of the day (one source's 468.8% at the open, another's 425% at the close): when
they cannot both be true they are not a conflict but unknown measures, both
shown, neither warned of. A cumulative
figure "as of" a day (截至2025年6月30日) and one over a span that ends that day
(2022年至2025年上半年) are one group: the same total, written two ways.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ..base.errors import Problem
from .records import FigureValue, Record, figure_group, forecaster

SAME, MORE_PRECISE, LESS_PRECISE, CONSISTENT, CONFLICT = "same", "more precise", "less precise", "consistent", "conflict"
OTHER_CURRENCY = "other currency"  # amounts in two currencies: nothing is converted, so they are not compared
_APART = (CONFLICT, OTHER_CURRENCY)  # statements that are never one value
_RANK_ORDER = {"preferred": 0, "normal": 1, "deprecated": 2}


def interval(figure: FigureValue) -> tuple[Decimal | None, Decimal | None]:
    """The true values a statement admits; None for an open end."""
    if figure.qualifier == "range":
        return Decimal(figure.low.value), Decimal(figure.high.value)
    amount = figure.value
    value, step = Decimal(amount.value), _step(figure)
    approximation = figure.approximation
    below = step if approximation == "about" else (step if approximation == "nearly" else step / 2)
    above = step if approximation == "about" else (Decimal(0) if approximation == "nearly" else step / 2)
    if figure.qualifier == "at-least":
        return value - (below if approximation else 0), None
    if figure.qualifier == "at-most":
        return None, value + (above if approximation else 0)
    return value - below, value + above


def _step(figure: FigureValue) -> Decimal:
    """A digit of the last written place; for "about" and "nearly", of the last written digit that is not a
    zero (约120 is about 120 to the ten, 近120% may be 118%), as a person reads a round number."""
    step = Decimal(figure.value.step)
    if figure.approximation in ("about", "nearly"):
        places = Decimal(figure.value.value) / step
        while places != 0 and places % 10 == 0:
            places /= 10
            step *= 10
    return step


def _is_point(figure: FigureValue) -> bool:
    return figure.qualifier == "exact"


def _precision(figure: FigureValue) -> Decimal | None:
    """How finely a point value is written (None for bounds and ranges)."""
    if not _is_point(figure):
        return None
    step = _step(figure)
    return step * 2 if figure.approximation in ("about", "nearly") else step


def _written_exactly(figure: FigureValue) -> bool:
    """A point written to its last digit: not "about" or "nearly", whose intervals are wider than a digit."""
    return figure.approximation not in ("about", "nearly")


def _contains(outer: tuple[Decimal | None, Decimal | None], value: Decimal) -> bool:
    low, high = outer
    return (low is None or low <= value) and (high is None or value <= high)


def _meet(a: tuple[Decimal | None, Decimal | None], b: tuple[Decimal | None, Decimal | None]) -> bool:
    low = max((x for x in (a[0], b[0]) if x is not None), default=None)
    high = min((x for x in (a[1], b[1]) if x is not None), default=None)
    return low is None or high is None or low <= high


def compare(new: FigureValue, old: FigureValue) -> str:
    """What ``new`` is to ``old``: same, more precise, less precise, consistent or conflict."""
    if new.unit != old.unit:
        return OTHER_CURRENCY  # nothing is converted: 约42亿元 and US$585.8 million are not compared
    if new.circumstance != old.circumstance:
        return CONSISTENT if _meet(interval(new), interval(old)) else CONFLICT
    new_range, old_range = interval(new), interval(old)
    if not _meet(new_range, old_range):
        return CONFLICT
    new_step, old_step = _precision(new), _precision(old)
    if new_step is not None and old_step is not None:
        if new.value.value == old.value.value and new_step == old_step:
            # 5.7亿 and 5.7亿 that the source calls rounded are one number written to one digit
            return SAME if _written_exactly(new) == _written_exactly(old) else CONSISTENT
        if new_step == old_step and _written_exactly(new) and _written_exactly(old):
            return CONFLICT  # 14.74亿 and 14.75亿, 22家 and 23家: their intervals touch, but they differ at the last digit
        if new_step < old_step and _contains(old_range, Decimal(new.value.value)):
            return MORE_PRECISE
        if old_step < new_step and _contains(new_range, Decimal(old.value.value)):
            return LESS_PRECISE
        return CONSISTENT
    if new_step is not None and _contains(old_range, Decimal(new.value.value)):
        return MORE_PRECISE   # a number that meets a bound or a range says more
    if old_step is not None and _contains(new_range, Decimal(old.value.value)):
        return LESS_PRECISE
    return CONSISTENT


@dataclass
class Reconciled:
    """What the build records of one statement: whether it is best, and how it relates to the others."""

    best: bool = True
    rounding_of: list[str] = field(default_factory=list)   # keys of more precise statements it rounds
    agrees_with: list[str] = field(default_factory=list)
    conflicts_with: list[str] = field(default_factory=list)
    confirmed_by: list[str] = field(default_factory=list)  # of a best statement: the sources of those agreeing with it


@dataclass(frozen=True)
class Reconciliation:
    statements: dict[str, Reconciled]     # figure key -> its reconciliation
    warnings: tuple[Problem, ...]         # unranked conflicts


def group_of(record: Record) -> tuple:
    """What a figure statement is about, whoever states it (see the module's docstring)."""
    values = record.values
    period = values["period"]
    when = ("to", period.end) if period.kind in ("PeriodSpan", "PointInTime") else (period.code,)
    refs = tuple(record.ref(name) for name in ("of", "segment", "holder", "market", "security", "compared_with", "customer"))
    # `attributable` is left out: news writes 净利润 for 归母净利润, so a profit whose source does not say
    # which is compared with the attributable one, and a difference stays a conflict to settle.
    kinds = ("measure", "project", "fee", "accounts", "session", "lock_up_months", "tranche", "stage", "basis", "circumstance")
    # Whose forecast it is belongs to what it is: an analyst's estimate never conflicts with the company's
    # guidance (a forecast of no one named is the entity's own).
    return (values["metric"], *refs, *(values.get(name) for name in kinds), forecaster(values), when)


def _groups(figures: Iterable[Record]) -> list[list[Record]]:
    """Statements by group; a span and an "as of" day that ends it join only when both are stated."""
    by_group: dict[tuple, list[Record]] = {}
    for record in figures:
        by_group.setdefault(group_of(record), []).append(record)
    groups = []
    for key, members in by_group.items():
        if key[-1][0] != "to":
            groups.append(members)
            continue
        # Spans with different starts are different totals: split them again, and let an "as of" day
        # join the one span that ends on it.
        spans: dict[str, list[Record]] = {}
        days: list[Record] = []
        for record in members:
            period = record["period"]
            (days if period.kind == "PointInTime" else spans.setdefault(period.code, [])).append(record)
        if len(spans) == 1:
            groups.append(next(iter(spans.values())) + days)
        else:
            groups.extend(spans.values())
            if days:
                groups.append(days)
    return groups


def reconcile(records: Iterable[Record]) -> Reconciliation:
    """Group the figure statements, pick the best of each group, find roundings and conflicts."""
    groups = _groups(record for record in records if record.kind == "figures")
    out: dict[str, Reconciled] = {}
    warnings: list[Problem] = []
    for group in groups:
        group.sort(key=lambda r: r.key)
        for record in group:
            out[record.key] = Reconciled(best=record.rank != "deprecated")
        if len(group) > 1:
            _reconcile_group(group, out, warnings)
        if all(record.rank == "deprecated" for record in group):
            warnings.append(_all_deprecated(group))
    return Reconciliation(out, tuple(sorted(warnings)))


def _reconcile_group(group: list[Record], out: dict[str, Reconciled], warnings: list[Problem]) -> None:
    relation: dict[tuple[str, str], str] = {}
    for i, a in enumerate(group):
        for b in group[i + 1:]:
            found = compare(a["figure"], b["figure"])
            relation[a.key, b.key] = found
            relation[b.key, a.key] = {MORE_PRECISE: LESS_PRECISE, LESS_PRECISE: MORE_PRECISE}.get(found, found)
            if found == OTHER_CURRENCY or (found == CONFLICT and a.get("basis") == b.get("basis") == "not-stated"):
                continue  # another currency, or perhaps two prices of the day: both stay, as different measures would
            if found == CONFLICT:
                out[a.key].conflicts_with.append(b.key)
                out[b.key].conflicts_with.append(a.key)
                if a.rank == b.rank and a.rank != "deprecated":
                    warnings.append(_conflict(a, b))
            elif found == MORE_PRECISE:
                out[b.key].rounding_of.append(a.key)
            elif found == LESS_PRECISE:
                out[a.key].rounding_of.append(b.key)
            else:
                out[a.key].agrees_with.append(b.key)
                out[b.key].agrees_with.append(a.key)
    top = min(_RANK_ORDER[r.rank] for r in group)
    candidates = [r for r in group if _RANK_ORDER[r.rank] == top and r.rank != "deprecated"]
    candidates = [r for r in candidates if not any(
        relation[r.key, other.key] == LESS_PRECISE for other in candidates if other is not r)]
    # Of statements that agree, one is best and names the others' sources; conflicting ones all stay
    # best (the warning asks for a rank), so nothing is hidden and nothing is counted twice.
    best: list[Record] = []
    for record in sorted(candidates, key=_sharpness):
        if all(relation[record.key, kept.key] in _APART for kept in best):
            best.append(record)
    for record in group:
        out[record.key].best = record in best
    for kept in best:
        others = [r for r in group if r is not kept and r.rank != "deprecated" and relation[kept.key, r.key] not in _APART]
        out[kept.key].confirmed_by = sorted({r.ref("source") for r in others} - {kept.ref("source")})


def _sharpness(record: Record) -> tuple:
    """Most precisely written first: a point before a range before a bound, a finer step first, then by key."""
    figure = record["figure"]
    precision = _precision(figure)
    if precision is not None:
        return (0, precision, record.key)
    if figure.qualifier == "range":
        return (1, Decimal(figure.high.value) - Decimal(figure.low.value), record.key)
    return (2, Decimal(0), record.key)


def _conflict(a: Record, b: Record) -> Problem:
    first, second = sorted((a, b), key=lambda r: r.location)
    return Problem(second.location, (
        f"figures: {second['figure'].value.stated if second['figure'].value else _range(second)} from source "
        f"'{second.ref('source')}' conflicts with {_shown(first)} from source '{first.ref('source')}' "
        f"({first.location}) for {figure_group(second.key)}; rank one `preferred` or `deprecated` with a `rank_reason`"
    ))


def _range(record: Record) -> str:
    figure = record["figure"]
    return f"{figure.low.stated}–{figure.high.stated}"


def _shown(record: Record) -> str:
    figure = record["figure"]
    return figure.value.stated if figure.value else _range(record)


def _all_deprecated(group: list[Record]) -> Problem:
    """A figure none of whose statements is best: every best-value query leaves it out."""
    first, *others = sorted(group, key=lambda r: r.location)
    where, what = first.value_locations.get("rank", first.location), figure_group(first.key)
    if not others:
        return Problem(where, (
            f"figures: {_shown(first)} from source '{first.ref('source')}' is the only statement of {what}, and it is "
            f"deprecated, so no best-value query shows this figure; rank it `normal`, or remove the figure"))
    return Problem(where, (
        f"figures: every statement of {what} is deprecated (this one, {_shown(first)} from source "
        f"'{first.ref('source')}', and those at {', '.join(str(r.location) for r in others)}), so no best-value "
        f"query shows this figure; rank one `normal`, or remove them"))
