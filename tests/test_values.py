"""Amounts, dates and periods are read exactly as analysts write them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kg.base.values import Unit, ValueProblem, parse_amount, parse_date, parse_period

CNY = Unit("CNY", "元", False)
PERCENT = Unit("percent", "%", False)
TIMES = Unit("times", "倍", False)
CHIP = Unit("chip", "片", True)


@pytest.mark.parametrize(
    ("written", "unit", "value"),
    [
        ("1.89亿元", CNY, Decimal("189000000")),
        ("5.40亿元", CNY, Decimal("540000000")),
        ("49.9万元", CNY, Decimal("499000")),
        ("3055亿", CNY, Decimal("305500000000")),
        ("209.15亿元", CNY, Decimal("20915000000")),
        ("189000000", CNY, Decimal("189000000")),
        ("68.8%", PERCENT, Decimal("68.8")),
        ("692.95%", PERCENT, Decimal("692.95")),
        ("60", PERCENT, Decimal("60")),
        ("675倍", TIMES, Decimal("675")),
        ("5.2万片", CHIP, 52000),
        ("16800片", CHIP, 16800),
    ],
)
def test_amounts_are_read_exactly(written, unit, value):
    amount = parse_amount(written, unit)
    assert amount.value == value
    assert type(amount.value) is type(value)
    assert amount.stated == written


@pytest.mark.parametrize(
    ("written", "unit", "message"),
    [
        ("超5.2万片", CHIP, "'超5.2万片' is a lower bound; write it as `at_least: 5.2万片` instead of `value:`"),
        ("-5亿元", CNY, "'-5亿元' is negative; amounts are non-negative (a loss is a positive amount of net-loss)"),
        ("1.89亿美元", CNY, "unit '美元' in '1.89亿美元' does not fit this metric, which is measured in '元' (CNY)"),
        ("22家", CHIP, "unit '家' in '22家' does not fit this metric, which is measured in '片' (chip)"),
        ("5.23456万片", CHIP, "'5.23456万片' is 52345.6, not a whole number of chips"),
        ("3万%", PERCENT, "'3万%': a percent value takes no 万/亿 multiplier"),
        ("five", CNY, "cannot read 'five' as an amount; write a number with an optional 万/亿 and unit, e.g. 1.89亿元"),
    ],
)
def test_unreadable_amounts_say_what_to_write(written, unit, message):
    with pytest.raises(ValueProblem) as err:
        parse_amount(written, unit)
    assert str(err.value) == message


def test_dates_keep_their_precision():
    assert (parse_date("2025").xsd_type, parse_date("2025-08").xsd_type, parse_date("2025-12-19").xsd_type) == (
        "gYear", "gYearMonth", "date",
    )
    with pytest.raises(ValueProblem, match="'2025-02-30' is not a date that exists"):
        parse_date("2025-02-30")
    with pytest.raises(ValueProblem, match="has no month 13"):
        parse_date("2025-13")


@pytest.mark.parametrize(
    ("code", "kind", "start", "end", "en", "zh"),
    [
        ("2024", "FiscalYear", "2024-01-01", "2024-12-31", "FY2024", "2024年"),
        ("2025H1", "HalfYear", "2025-01-01", "2025-06-30", "H1 2025", "2025年上半年"),
        ("2026Q1", "Quarter", "2026-01-01", "2026-03-31", "Q1 2026", "2026年第一季度"),
        ("2024Q4", "Quarter", "2024-10-01", "2024-12-31", "Q4 2024", "2024年第四季度"),
        ("2025-06-30", "PointInTime", "2025-06-30", "2025-06-30", "2025-06-30", "2025年6月30日"),
        ("2022/2024", "PeriodSpan", "2022-01-01", "2024-12-31", "FY2022 to FY2024", "2022年至2024年"),
        ("2022/2025H1", "PeriodSpan", "2022-01-01", "2025-06-30", "FY2022 to H1 2025", "2022年至2025年上半年"),
    ],
)
def test_periods(code, kind, start, end, en, zh):
    period = parse_period(code)
    assert (period.kind, period.start, period.end, period.label_en, period.label_zh) == (
        kind, dt.date.fromisoformat(start), dt.date.fromisoformat(end), en, zh,
    )


def test_unspecified_period_has_no_dates():
    period = parse_period("unspecified")
    assert (period.kind, period.start, period.end) == ("UnspecifiedPeriod", None, None)


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueProblem, match="'2024/2022' ends before it starts"):
        parse_period("2024/2022")
    with pytest.raises(ValueProblem, match="cannot read '2024H3' as a period"):
        parse_period("2024H3")


@pytest.mark.parametrize(
    ("written", "unit", "value", "step"),
    [
        ("13.42億元", CNY, Decimal("1342000000"), Decimal("1000000")),      # traditional 億 is 亿
        ("約15%", PERCENT, Decimal("15"), Decimal("1")),
        ("六千三百億元", CNY, Decimal("630000000000"), Decimal("10000000000")),   # precise to 百亿, as written
        ("廿八點八億元", CNY, Decimal("2880000000"), Decimal("10000000")),
        ("二點八兆元", CNY, Decimal("2800000000000"), Decimal("100000000000")),
        ("四十三倍", TIMES, Decimal("43"), Decimal("1")),
        ("百分之四", PERCENT, Decimal("4"), Decimal("1")),
        ("百分之一六五", PERCENT, Decimal("165"), Decimal("1")),
        ("万分之三点六", PERCENT, Decimal("0.036"), Decimal("0.001")),
        ("四成", PERCENT, Decimal("40"), Decimal("10")),
        ("近九成", PERCENT, Decimal("90"), Decimal("10")),
        ("五千万元", CNY, Decimal("50000000"), Decimal("10000000")),
    ],
)
def test_traditional_characters_and_chinese_numerals_are_read_exactly(written, unit, value, step):
    amount = parse_amount(written, unit)
    assert (amount.value, amount.step) == (value, step)
    assert amount.stated == written


def test_a_percentage_in_words_fits_only_a_percent_figure():
    with pytest.raises(ValueProblem) as err:
        parse_amount("四成", CNY)
    assert str(err.value) == "'四成' is a percentage; it does not fit a figure measured in CNY"
