"""Amounts, dates and periods as analysts write them, read exactly.

``1.89亿元`` is 189000000 yuan, ``5.2万片`` is 52000 chips, ``68.8%`` is 68.8
percent. Arithmetic is decimal throughout: a float would not survive export.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MULTIPLIERS = {
    "十": 10, "百": 100, "千": 1_000, "万": 10_000, "十万": 100_000, "百万": 1_000_000,
    "千万": 10_000_000, "亿": 100_000_000, "十亿": 10**9, "百亿": 10**10, "千亿": 10**11, "万亿": 10**12,
}
_AMOUNT = re.compile(
    r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<multiplier>万亿|千亿|百亿|十亿|千万|百万|十万|亿|万|千|百|十)?\s*(?P<symbol>\D*)$"
)
_LOWER_BOUND_WORDS = ("超过", "超", "突破", "逾", "over", ">")


class ValueProblem(ValueError):
    """A value that cannot be read; the message says what to write instead."""


@dataclass(frozen=True)
class Unit:
    notation: str      # "CNY", "percent", "chip", ...
    symbol: str        # "元", "%", "片", ...
    is_count: bool     # counts are whole numbers (xsd:integer)


@dataclass(frozen=True)
class Amount:
    value: Decimal | int
    unit: Unit
    stated: str        # as written, kept for provenance


def canonical_decimal(value: Decimal) -> str:
    """The canonical xsd:decimal text: ``189000000.0``, ``68.8``, never ``1.89E+8``.

    XSD 1.0 (3.2.3.2) wants a digit on each side of the point; Turtle then writes the
    bare decimal and parsers read back the very same lexical form.
    """
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def parse_amount(text: str, expected: Unit) -> Amount:
    """Read an amount for a metric whose unit is ``expected``; the symbol is optional."""
    raw = text.strip()
    for word in _LOWER_BOUND_WORDS:
        if raw.lower().startswith(word):
            raise ValueProblem(
                f"'{text}' is a lower bound; write it as `at_least: {raw[len(word):].strip()}` instead of `value:`"
            )
    if raw.startswith("-"):
        raise ValueProblem(f"'{text}' is negative; amounts are non-negative (a loss is a positive amount of net-loss)")
    match = _AMOUNT.match(raw.replace(",", ""))
    if not match:
        raise ValueProblem(f"cannot read '{text}' as an amount; write a number with an optional 万/亿 and unit, e.g. 1.89亿元")
    symbol = match["symbol"].strip()
    if symbol in ("人民币", "元人民币", "CNY", "RMB"):
        symbol = "元"
    if symbol and symbol != expected.symbol:
        raise ValueProblem(
            f"unit '{symbol}' in '{text}' does not fit this metric, which is measured in '{expected.symbol}' ({expected.notation})"
        )
    multiplier = match["multiplier"]
    if multiplier and expected.notation in ("percent", "times"):
        raise ValueProblem(f"'{text}': a {expected.notation} value takes no 万/亿 multiplier")
    try:
        value = Decimal(match["number"]) * MULTIPLIERS.get(multiplier or "", 1)
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise ValueProblem(f"cannot read '{text}' as a number") from None
    if expected.is_count:
        if value != value.to_integral_value():
            raise ValueProblem(f"'{text}' is {canonical_decimal(value)}, not a whole number of {expected.notation}s")
        return Amount(int(value), expected, raw)
    return Amount(Decimal(canonical_decimal(value)), expected, raw)


# --- dates --------------------------------------------------------------------

@dataclass(frozen=True)
class Date:
    """A date as precise as the source: ``2025``, ``2025-08`` or ``2025-12-19``."""

    lexical: str
    xsd_type: str      # "gYear", "gYearMonth" or "date"


def parse_date(text: str) -> Date:
    raw = text.strip()
    if re.fullmatch(r"\d{4}", raw):
        return Date(raw, "gYear")
    if m := re.fullmatch(r"(\d{4})-(\d{2})", raw):
        if not 1 <= int(m[2]) <= 12:
            raise ValueProblem(f"'{text}' has no month {m[2]}")
        return Date(raw, "gYearMonth")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            dt.date.fromisoformat(raw)
        except ValueError:
            raise ValueProblem(f"'{text}' is not a date that exists") from None
        return Date(raw, "date")
    raise ValueProblem(f"cannot read '{text}' as a date; write 2025, 2025-08 or 2025-12-19")


# --- periods ------------------------------------------------------------------

_CN_QUARTER = {1: "一", 2: "二", 3: "三", 4: "四"}


@dataclass(frozen=True)
class Period:
    """The period a figure refers to; ``code`` names it in facts and in its IRI."""

    code: str
    kind: str          # ontology class: FiscalYear, HalfYear, Quarter, PeriodSpan, PointInTime, UnspecifiedPeriod
    start: dt.date | None
    end: dt.date | None
    label_en: str
    label_zh: str

    @property
    def slug(self) -> str:
        return self.code.replace("/", "-")


def parse_period(text: str) -> Period:
    """``2024``, ``2025H1``, ``2026Q1``, ``2025-06-30``, ``2022/2024`` or ``unspecified``."""
    raw = text.strip()
    if raw == "unspecified":
        return Period(raw, "UnspecifiedPeriod", None, None, "unspecified period", "未注明时期")
    if "/" in raw:
        first_text, _, last_text = raw.partition("/")
        first, last = _simple_period(first_text), _simple_period(last_text)
        if first.kind == "PointInTime" or last.kind == "PointInTime":
            raise ValueProblem(f"'{text}': a span joins years, halves or quarters, not single dates")
        if last.end < first.start or last.start <= first.start:
            raise ValueProblem(f"'{text}' ends before it starts; write the earlier period first")
        return Period(
            raw, "PeriodSpan", first.start, last.end,
            f"{first.label_en} to {last.label_en}", f"{first.label_zh}至{last.label_zh}",
        )
    return _simple_period(raw)


def _simple_period(raw: str) -> Period:
    if re.fullmatch(r"\d{4}", raw):
        year = int(raw)
        return Period(raw, "FiscalYear", dt.date(year, 1, 1), dt.date(year, 12, 31), f"FY{year}", f"{year}年")
    if m := re.fullmatch(r"(\d{4})H([12])", raw):
        year, half = int(m[1]), int(m[2])
        start = dt.date(year, 1 if half == 1 else 7, 1)
        end = dt.date(year, 6, 30) if half == 1 else dt.date(year, 12, 31)
        return Period(raw, "HalfYear", start, end, f"H{half} {year}", f"{year}年{'上' if half == 1 else '下'}半年")
    if m := re.fullmatch(r"(\d{4})Q([1-4])", raw):
        year, quarter = int(m[1]), int(m[2])
        first_month = 3 * quarter - 2
        last_month = first_month + 2
        start = dt.date(year, first_month, 1)
        end = dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
        return Period(raw, "Quarter", start, end, f"Q{quarter} {year}", f"{year}年第{_CN_QUARTER[quarter]}季度")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise ValueProblem(f"'{raw}' is not a date that exists") from None
        return Period(raw, "PointInTime", day, day, raw, f"{day.year}年{day.month}月{day.day}日")
    raise ValueProblem(
        f"cannot read '{raw}' as a period; write 2024, 2025H1, 2026Q1, 2025-06-30, 2022/2024 or unspecified"
    )
