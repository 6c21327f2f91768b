"""The one reader of written numbers, dates and periods, under property-based tests.

Whatever is written, the reader either reads exactly what a person means or raises
ValueProblem with a message: never a different number, never another exception.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kg.base.values import (
    CURRENCIES, MAX_DECIMALS, MAX_DIGITS, MULTIPLIERS, Unit, ValueProblem, normalize, parse_amount, parse_date,
    parse_day, parse_number, parse_period,
)

BASE = Path(__file__).parent / "fixtures" / "base"
NO_DEADLINE = settings(deadline=None)  # a shared machine's pauses are not the reader's
CNY = CURRENCIES["CNY"]
CHIP = Unit("chip", "片", True)
PERCENT = Unit("percent", "%", False)
FULL_WIDTH = str.maketrans("0123456789.,%-+H Q/", "０１２３４５６７８９．，％－＋Ｈ\u3000Ｑ／")


def grouped(n: int) -> str:
    return f"{n:,}"


def full_width(text: str) -> str:
    return text.translate(FULL_WIDTH)


NUMBERS = st.integers(min_value=0, max_value=10**MAX_DIGITS - 1)
FRACTIONS = st.text(alphabet="0123456789", min_size=1, max_size=MAX_DECIMALS)


@NO_DEADLINE
@given(NUMBERS, st.booleans(), st.booleans())
def test_whole_numbers_read_exactly_with_or_without_thousands_separators(n, with_commas, wide):
    text = grouped(n) if with_commas else str(n)
    if wide:
        text = full_width(text)
    assert parse_number(text) == n
    assert parse_number(text, whole=True) == n


@NO_DEADLINE
@given(NUMBERS, FRACTIONS, st.booleans())
def test_decimals_read_exactly(n, fraction, with_commas):
    text = f"{grouped(n) if with_commas else n}.{fraction}"
    assert parse_number(text) == Decimal(f"{n}.{fraction}")


@NO_DEADLINE
@given(st.text(alphabet="0123456789", min_size=2, max_size=14), st.lists(st.integers(1, 13), min_size=1, max_size=4))
@example("189", [1])  # 1,89: the reported misread
def test_a_comma_is_read_only_between_groups_of_three(digits, positions):
    """Commas anywhere: read as thousands separators only when the groups are of three."""
    cuts = sorted({p for p in positions if 0 < p < len(digits)})
    if not cuts:
        return
    pieces = [digits[i:j] for i, j in zip([0, *cuts], [*cuts, len(digits)])]
    text = ",".join(pieces)
    well_grouped = 1 <= len(pieces[0]) <= 3 and all(len(piece) == 3 for piece in pieces[1:])
    if well_grouped:
        assert parse_number(text) == int(digits)
    else:
        with pytest.raises(ValueProblem, match="a comma separates thousands, in groups of three"):
            parse_number(text)


@NO_DEADLINE
@given(st.integers(0, 999), st.sampled_from(["万", "亿", "万亿", "百万"]), st.text(alphabet="0123456789", min_size=1, max_size=2))
def test_an_amount_with_a_decimal_comma_is_refused_not_multiplied(whole, multiplier, fraction):
    text = f"{whole},{fraction}{multiplier}元"
    with pytest.raises(ValueProblem, match="a comma separates thousands"):
        parse_amount(text, CNY)


@NO_DEADLINE
@given(st.integers(0, 10**6 - 1), st.sampled_from(sorted(m for m in MULTIPLIERS if not m.isascii())), st.booleans())
def test_amounts_with_multipliers_read_exactly(n, multiplier, wide):
    text = f"{grouped(n)}{multiplier}元"
    amount = parse_amount(full_width(text) if wide else text, CNY)
    assert amount.value == n * MULTIPLIERS[multiplier]
    assert amount.stated == (full_width(text) if wide else text), "the text as written is kept"


@NO_DEADLINE
@given(st.integers(1, 10**9), st.integers(-30, 30), st.sampled_from(["e", "E"]), st.sampled_from(["", "+", "-"]))
def test_exponents_are_refused(mantissa, exponent, e, sign):
    text = f"{mantissa}{e}{sign}{abs(exponent)}"
    for read in (lambda: parse_number(text), lambda: parse_amount(text + "元", CNY),
                 lambda: parse_amount(text, PERCENT)):
        with pytest.raises(ValueProblem, match="has an exponent"):
            read()


@NO_DEADLINE
@given(st.integers(MAX_DIGITS + 1, 5000))
def test_huge_numbers_are_refused_with_a_short_message(length):
    text = "9" * length
    for read in (lambda: parse_number(text), lambda: parse_amount(text + "片", CHIP)):
        with pytest.raises(ValueProblem) as caught:
            read()
        assert f"has {length} digits before the point; a figure has at most {MAX_DIGITS}" in str(caught.value)
        assert len(str(caught.value)) < 200


@NO_DEADLINE
@given(st.integers(1, 10**6), st.sampled_from(["万亿", "千亿"]))
def test_an_amount_of_a_quintillion_or_more_is_refused(n, multiplier):
    text = f"{n * 10**6}{multiplier}元"
    if n * 10**6 * MULTIPLIERS[multiplier] < 10**MAX_DIGITS:
        assert parse_amount(text, CNY).value == n * 10**6 * MULTIPLIERS[multiplier]
    else:
        with pytest.raises(ValueProblem, match="no figure is that large"):
            parse_amount(text, CNY)


def test_too_many_decimals_are_refused():
    with pytest.raises(ValueProblem, match=f"has {MAX_DECIMALS + 1} digits after the point"):
        parse_number("1." + "1" * (MAX_DECIMALS + 1))


@NO_DEADLINE
@given(st.integers(0, 10**9), st.sampled_from(["+", "-", "\u2212", "－"]))
def test_signs(n, sign):
    with pytest.raises(ValueProblem, match="is negative|is signed"):
        parse_amount(f"{sign}{n}元", CNY)
    with pytest.raises(ValueProblem, match="is negative|is signed"):
        parse_number(f"{sign}{n}")
    assert parse_number(f"{sign}{n}", signed=True) == (n if sign == "+" else -n)


OTHER_DIGITS = [chr(c) for c in range(0x80, 0x1FBFA)
                if unicodedata.category(chr(c)) in ("Nd", "No") and not 0xFF10 <= c <= 0xFF19]


@NO_DEADLINE
@given(st.sampled_from(OTHER_DIGITS), st.integers(0, 3))
def test_digits_of_other_scripts_are_refused_everywhere(digit, at):
    """Arabic-Indic, Devanagari, superscript and circled digits: refused, never read as another number."""
    year = list("2019")
    year[at] = digit
    text = "".join(year)
    for read in (parse_number, parse_date, parse_period, parse_day, lambda t: parse_amount(t + "元", CNY)):
        with pytest.raises(ValueProblem, match="digit-like character|not a date written"):
            read(text)


@NO_DEADLINE
@given(st.integers(1000, 9998), st.sampled_from(["", "H1", "H2", "Q1", "Q2", "Q3", "Q4"]),
       st.integers(1000, 9998))
def test_full_width_periods_and_dates_are_the_same_periods(year, part, later):
    code = f"{year}{part}"
    assert parse_period(full_width(code)) == parse_period(code)
    span = f"{min(year, later)}/{max(year, later) + 1}"
    assert parse_period(full_width(span)).code == span
    assert parse_date(full_width(str(year))).lexical == str(year)


@NO_DEADLINE
@given(st.integers(0, 999))
def test_years_before_1000_are_refused(year):
    text = f"{year:04d}"
    for read in (parse_period, parse_date, lambda t: parse_day(t + "-01-01"), lambda t: parse_period(t + "H1")):
        with pytest.raises(ValueProblem, match="not a year a fact can be about"):
            read(text)


PIECES = st.sampled_from(list("0123456789０１９.,，．eE+-−万亿元%％ HQ/\u3000٢²①超约\x00\U0001F680") + ["US$", "港元", "HK$"])
WRITTEN = st.lists(PIECES, max_size=20).map("".join) | st.text(max_size=30)


@NO_DEADLINE
@given(WRITTEN)
def test_any_text_is_read_or_refused_with_a_message(text):
    for read in (parse_number, parse_date, parse_period, parse_day, lambda t: parse_amount(t, CNY),
                 lambda t: parse_amount(t, CHIP), lambda t: parse_amount(t, PERCENT),
                 lambda t: parse_number(t, signed=True, whole=True)):
        try:
            read(text)
        except ValueProblem as problem:
            assert str(problem)


@NO_DEADLINE
@given(WRITTEN)
def test_what_is_read_is_what_the_ascii_text_says(text):
    """Normalising changes only full-width forms: the reading of a text is the reading of
    its ASCII twin, so no two spellings of one figure are two different figures."""
    try:
        twin = normalize(text)
    except ValueProblem:
        return
    for read in (parse_number, lambda t: parse_amount(t, CNY).value, lambda t: parse_period(t).code):
        try:
            first = read(text)
        except ValueProblem:
            with pytest.raises(ValueProblem):
                read(twin)
            continue
        assert read(twin) == first


def test_a_full_width_period_in_a_fact_is_the_same_period(tmp_path, monkeypatch):
    """``２０２２`` once made a second period (and an ill-typed gYear): now it is 2022, so two
    figures for it from one source meet, and their conflict is seen."""
    import shutil

    from click.testing import CliRunner

    from kg.cli import main

    shutil.copytree(BASE, tmp_path / "facts")
    (tmp_path / "facts" / "figures.yaml").write_text(
        "figures:\n"
        "  - {of: iluvatar, metric: revenue, period: 2022, value: 1.89亿元, source: article,"
        " quote: 天数智芯2022年收入1.89亿元。}\n"
        "  - {of: iluvatar, metric: revenue, period: ２０２２, value: ２．８９亿元, source: article,"
        " quote: 天数智芯2022年收入1.89亿元。}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--facts", "facts", "--out", "out"])
    assert "２．８９亿元 from source 'article' conflicts with 1.89亿元" in result.stderr
    assert "for iluvatar/revenue/2022;" in result.stderr
    turtle = (tmp_path / "out" / "gpu-kg.ttl").read_text(encoding="utf-8")
    assert "２０２２" not in turtle
    assert turtle.count("gpu:period kgr:period\\/2022 ;") == 2, "both statements are about one period"
    assert "gpu:conflictsWith" in turtle
    assert 'gpu:statedValue "２．８９亿元"' in turtle, "the statement keeps the text as written"
