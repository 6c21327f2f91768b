"""Amounts, dates and periods as analysts write them, read exactly.

``1.89亿元`` is 189000000 yuan, ``5.2万片`` is 52000 chips, ``68.8%`` is 68.8
percent. Arithmetic is decimal throughout: a float would not survive export.

This is the one reader of written numbers, dates and periods: the fact loader, the
text extractor and query parameters all call it, so a value means the same wherever
it is written. What it decides:

- Full-width forms (``２０１９``, ``１．８９亿``, ``５０％``), which Chinese input methods
  type, mean what the person means: they are read as their ASCII twins (Unicode NFKC
  of the full-width block only; NFKC at large would turn ``10²`` into ``102``).
  Digits of other scripts (``٢٠١٩``), superscripts and circled digits are refused.
- A comma only separates thousands, in groups of three (``1,890万``); ``1,89亿`` is
  refused rather than read as 189亿 or 1.89亿.
- No exponents (``1e8``), no ``+`` sign, no negative amounts; at most 18 digits
  before the point and 12 after, and no amount of 10^18 or more.
- Years run from 1000 to 9999 (``0000`` is no year).
- Traditional characters mean what their simplified twins mean (``13.42億元`` is ``13.42亿元``), and
  numbers written in Chinese numerals are numbers (``六千三百亿``, ``廿八点八亿``, ``百分之四``,
  ``四成`` = 40%), precise to the last unit written (``六千三百亿`` to 百亿).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from .hanzi import simplified

MULTIPLIERS = {
    "十": 10, "百": 100, "千": 1_000, "万": 10_000, "十万": 100_000, "百万": 1_000_000,
    "千万": 10_000_000, "亿": 100_000_000, "十亿": 10**9, "百亿": 10**10, "千亿": 10**11, "万亿": 10**12,
    # The traditional script of Hong Kong and Taiwan; 兆 is 10^12 there, as 萬億.
    "萬": 10_000, "十萬": 100_000, "百萬": 1_000_000, "千萬": 10_000_000, "億": 100_000_000, "十億": 10**9,
    "百億": 10**10, "千億": 10**11, "萬億": 10**12, "兆": 10**12,
    "thousand": 1_000, "million": 1_000_000, "mn": 1_000_000, "billion": 10**9, "bn": 10**9, "trillion": 10**12,
}


class ValueProblem(ValueError):
    """A value that cannot be read; the message says what to write instead."""


MAX_DIGITS = 18     # before the point: no figure comes near a quintillion
MAX_DECIMALS = 12   # after it
MIN_YEAR = 1000
_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")
_ASCII_DIGITS = frozenset("0123456789")


def normalize(text: str) -> str:
    """``text`` with full-width forms read as ASCII (``２０１９年`` -> ``2019年``); ValueProblem
    for a digit of another script, which nobody here means as a plain digit."""
    if _FULL_WIDTH.search(text):
        text = _FULL_WIDTH.sub(lambda m: unicodedata.normalize("NFKC", m[0]), text)
    if text.isascii():
        return text
    for char in text:
        if char not in _ASCII_DIGITS and unicodedata.category(char) in ("Nd", "No"):
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            raise ValueProblem(f"'{text}' has the digit-like character '{char}' ({name}); write the digits 0-9")
    return text


_NUMBER_TEXT = re.compile(r"[0-9][0-9,]*(?:\.[0-9]+)?")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?")
_EXPONENT = re.compile(r"[0-9.]\s*[eE]\s*[+-]?[0-9]")


def parse_number(text: str, *, signed: bool = False, whole: bool = False, within: str | None = None) -> Decimal:
    """One number as written (``189000000``, ``1,890``, ``1.89``, full-width too): exact,
    bounded, with commas only between groups of three. ``within`` is the whole text the
    number came from, for messages."""
    shown = _brief(within if within is not None else text)
    raw = normalize(text.strip())
    sign = ""
    if raw[:1] in ("+", "-", "\u2212"):
        if not signed:
            what = "negative; amounts are non-negative" if raw[0] != "+" else "signed; write the number without +"
            raise ValueProblem(f"'{shown}' is {what}")
        sign, raw = ("-" if raw[0] != "+" else ""), raw[1:].lstrip()
    if _EXPONENT.search(raw):
        raise ValueProblem(f"'{shown}' has an exponent; write the number out, e.g. 100000000")
    if not _NUMBER_TEXT.fullmatch(raw):
        if whole:
            raise ValueProblem(f"'{shown}' is not a whole number")
        raise ValueProblem(f"'{shown}' is not a decimal number such as 2.8 or 280000000")
    if "," in raw and not _GROUPED.fullmatch(raw):
        hint = f" ({raw.replace(',', '.')} if the comma is a decimal point)" if raw.count(",") == 1 else ""
        raise ValueProblem(f"'{shown}': a comma separates thousands, in groups of three (1,890 or 1,890,000); "
                           f"write a decimal point as a full stop{hint}")
    whole_part, _, fraction = raw.replace(",", "").partition(".")
    if len(whole_part.lstrip("0")) > MAX_DIGITS:
        raise ValueProblem(f"'{shown}' has {len(whole_part.lstrip('0'))} digits before the point; "
                           f"a figure has at most {MAX_DIGITS}")
    if len(fraction) > MAX_DECIMALS:
        raise ValueProblem(f"'{shown}' has {len(fraction)} digits after the point; at most {MAX_DECIMALS} are read")
    number = Decimal(sign + raw.replace(",", ""))
    if whole and number != number.to_integral_value():
        raise ValueProblem(f"'{shown}' is not a whole number")
    return number


def _brief(text: str) -> str:
    """A long text shortened for a message (a number of thousands of digits, say)."""
    return text if len(text) <= 60 else f"{text[:30]}…{text[-10:]}"


def _year(text: str, shown: str) -> int:
    year = int(text)
    if year < MIN_YEAR:
        what = f"'{shown}' is" if shown == text else f"'{shown}': {text} is"
        raise ValueProblem(f"{what} not a year a fact can be about; write a year from {MIN_YEAR} to 9999")
    return year


@dataclass(frozen=True)
class Unit:
    notation: str      # "CNY", "percent", "chip", ...; "money" for a metric that takes any currency
    symbol: str        # "元", "%", "片", ...
    is_count: bool     # counts are whole numbers (xsd:integer)

    @property
    def is_money(self) -> bool:
        return self.notation in CURRENCIES or self.notation == "money"


# Currencies and the ways sources write them, before or after the number. Nothing
# is ever converted: an amount keeps the currency it was written in.
CURRENCIES = {"CNY": Unit("CNY", "元", False), "HKD": Unit("HKD", "港元", False), "USD": Unit("USD", "美元", False),
              "TWD": Unit("TWD", "新台币", False), "EUR": Unit("EUR", "欧元", False),
              "SGD": Unit("SGD", "新加坡元", False)}
MONEY = Unit("money", "", False)
_CURRENCY_WORDS = {
    "元": "CNY", "人民币": "CNY", "元人民币": "CNY", "人民币元": "CNY", "RMB": "CNY", "CNY": "CNY", "¥": "CNY",
    "港元": "HKD", "港币": "HKD", "港幣": "HKD", "HK$": "HKD", "HKD": "HKD",
    "美元": "USD", "US$": "USD", "USD": "USD",
    "YUAN": "CNY", "YUAN RENMINBI": "CNY", "HONG KONG DOLLARS": "HKD", "HK DOLLARS": "HKD", "US DOLLARS": "USD",
    "新台币": "TWD", "新台幣": "TWD", "台币": "TWD", "台幣": "TWD", "NT$": "TWD", "TWD": "TWD",
    "欧元": "EUR", "歐元": "EUR", "€": "EUR", "EUR": "EUR",
    "新加坡元": "SGD", "新元": "SGD", "S$": "SGD", "SGD": "SGD",
    "人民幣": "CNY", "元人民幣": "CNY", "美金": "USD",
}
# Cue words, longest first so that 超过 is not read as 超.
LOWER_BOUND_CUES = ("more than", "超过", "超過", "突破", "over", "超", "逾", ">")
UPPER_BOUND_CUES = ("最高可达", "最高可達", "up to", "at most", "less than", "不超过", "不超過", "最高", "最多", "不到", "不足", "<")
APPROXIMATION_CUES = {
    "approximately": "about", "approx.": "about", "around": "about", "about": "about", "大约": "about", "约合": "about", "约": "about",
    "大約": "about", "約合": "about", "約": "about",
    "~": "about", "nearly": "nearly", "almost": "nearly", "接近": "nearly", "将近": "nearly", "將近": "nearly", "近": "nearly",
}
FORECAST_CUES = ("预计", "预期", "expected", "forecast")

_NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"  # checked by parse_number
# A number in Chinese numerals (simplified forms): 六千三百, 廿八点八, 四十三, 一六五, 二点八.
CHINESE_NUMERAL = "[零〇○一二两三四五六七八九十百千廿卅]+(?:点[零〇○一二三四五六七八九]+)?"
# 百分之四 is 4%, 千分之五 0.5%, 万分之三点六 0.036%: a percentage written as a fraction.
_FRACTIONS = {"百分之": Decimal(1), "千分之": Decimal("0.1"), "万分之": Decimal("0.01")}
_AMOUNT = re.compile(
    r"^(?P<prefix>HK\$|US\$|NT\$|S\$|RMB|CNY|HKD|USD|TWD|EUR|SGD|人民币|人民幣|新台币|新台幣|¥|€)?\s*(?P<fraction>百分之|千分之|万分之)?"
    r"(?P<number>" + _NUMBER + "|" + CHINESE_NUMERAL + r")\s*"
    r"(?P<multiplier>万亿|千亿|百亿|十亿|千万|百万|十万|亿|万|千|百|十|兆|thousand|million|billion|trillion|mn|bn)?\s*"
    r"(?P<tenths>成)?(?P<symbol>[^0-9]*)$",
    re.IGNORECASE,
)
_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "廿": 20, "卅": 30}


def chinese_number(text: str) -> tuple[Decimal, Decimal]:
    """A number in Chinese numerals and the precision it is written to: 六千三百 is (6300, 100),
    四十三 (43, 1), 廿八点八 (28.8, 0.1), 一六五 (165, 1: digits one by one, as in 百分之一六五).
    六千三 is 6300, as people say it (the last digit takes the unit below the one before it)."""
    raw = simplified(normalize(text.strip()))
    whole, point, fraction = raw.partition("点")
    if (not whole or any(c not in _CN_DIGITS and c not in _CN_UNITS for c in whole)
            or any(c not in _CN_DIGITS for c in fraction) or (point and not fraction)):
        raise ValueProblem(f"cannot read '{text}' as a number in Chinese numerals")
    if not any(c in _CN_UNITS for c in whole):            # 一六五, 二〇二五: digit by digit
        value, step = Decimal("".join(str(_CN_DIGITS[c]) for c in whole)), Decimal(1)
    else:
        total, digit, step, last_unit, after_zero = 0, None, 1, None, False
        for c in whole:
            if c in _CN_DIGITS:
                if digit is not None:
                    raise ValueProblem(f"cannot read '{text}' as a number in Chinese numerals")
                digit, after_zero = _CN_DIGITS[c], after_zero or c in "零〇○"
                if _CN_DIGITS[c] == 0:
                    digit = None
            else:
                unit = _CN_UNITS[c]
                if last_unit is not None and unit >= last_unit and c not in "廿卅":
                    raise ValueProblem(f"cannot read '{text}' as a number in Chinese numerals")
                total += unit if c in "廿卅" else (1 if digit is None else digit) * unit
                step, last_unit, digit = (10 if c in "廿卅" else unit), (10 if c in "廿卅" else unit), None
        if digit is not None:
            below = last_unit // 10 if last_unit and not after_zero and last_unit >= 100 else 1
            total, step = total + digit * below, below
        value = Decimal(total)
    if fraction:
        value += Decimal("0." + "".join(str(_CN_DIGITS[c]) for c in fraction))
        step = Decimal(1).scaleb(-len(fraction))
    return value, Decimal(step)


def _read_number(text: str, within: str) -> tuple[Decimal, Decimal]:
    """A number in digits or in Chinese numerals, and the step of its last written digit."""
    if text[:1].isdigit():
        number = parse_number(text, within=within)
        return number, Decimal(1).scaleb(number.as_tuple().exponent)
    return chinese_number(text)


@dataclass(frozen=True)
class Amount:
    value: Decimal | int
    unit: Unit
    stated: str                 # as written, kept for provenance
    step: Decimal = Decimal(1)  # the precision it was written to: 16亿 -> 100000000, 16.01亿 -> 1000000
    approximation: str | None = None  # "about" (约) or "nearly" (近) when the text says so
    bound: str = "exact"        # a conversion's own bound ("over $40 billion" of an about-305-billion amount)

    @property
    def currency(self) -> str | None:
        return self.unit.notation if self.unit.notation in CURRENCIES else None


def canonical_decimal(value: Decimal) -> str:
    """The canonical xsd:decimal text: ``189000000.0``, ``68.8``, never ``1.89E+8``.

    XSD 1.0 (3.2.3.2) wants a digit on each side of the point; Turtle then writes the
    bare decimal and parsers read back the very same lexical form.
    """
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def _strip_cue(raw: str, cues) -> tuple[str | None, str]:
    lowered = raw.lower()
    for cue in cues:
        if lowered.startswith(cue):
            return cue, raw[len(cue):].strip()
    return None, raw


# 1兆2227.88億元 (Taiwan) and 1万亿2227.88亿元: one amount written in two multipliers, 万亿 and 亿.
_COMPOUND = re.compile(r"^(?P<prefix>[^0-9]*?)(?P<high>[0-9]+)\s*(?:万亿|兆)\s*(?P<low>" + _NUMBER + r")\s*亿(?P<rest>[^0-9]*)$")


def _in_one_multiplier(raw: str) -> str:
    """A compound amount in 亿 alone, to the same last digit: 1兆2227.88亿元 is 12227.88亿元."""
    match = _COMPOUND.match(raw)
    if not match:
        return raw
    low = parse_number(match["low"], within=raw)
    if low >= 10_000:
        raise ValueProblem(f"'{raw}': the 亿 part of a compound amount is below 10000 (10000亿 is 1万亿)")
    return f"{match['prefix']}{int(match['high']) * 10_000 + low}亿{match['rest']}"


def bound_cue(text: str) -> str:
    """The bound an amount's own words give it: "at-least" (超, over), "at-most" (不到, up to) or "exact"."""
    raw = simplified(normalize(text.strip()))
    if _strip_cue(raw, UPPER_BOUND_CUES)[0]:
        return "at-most"
    approximation, rest = _strip_cue(raw, APPROXIMATION_CUES)
    return "at-least" if _strip_cue(rest, LOWER_BOUND_CUES)[0] else "exact"


def parse_amount(text: str, expected: Unit, *, bound: str = "exact") -> Amount:
    """Read an amount for a metric whose unit is ``expected``; the symbol is optional.

    ``bound`` is how the fact gives it: "exact" (``value:``), "at-least" or "at-most";
    a cue word in the text (超, 最高) must agree with it. 约 / 近 (about, nearly) are
    kept as the amount's approximation. A money amount names its currency (元, 港元,
    HK$, US$ ...) unless ``expected`` is itself a currency.
    """
    raw = simplified(normalize(text.strip()))
    for cue in FORECAST_CUES:
        if raw.lower().startswith(cue):
            raise ValueProblem(f"'{text}' is a forecast; write the amount without '{cue}' and add `circumstance: forecast`")
    upper, after_upper = _strip_cue(raw, UPPER_BOUND_CUES)
    approximation_cue, rest = _strip_cue(after_upper, APPROXIMATION_CUES)
    lower, rest = _strip_cue(rest, LOWER_BOUND_CUES)
    if upper and bound != "at-most":
        key = "at_most" if bound == "exact" else bound.replace("-", "_")
        raise ValueProblem(f"'{text}' is an upper bound ('{upper}'); write it as `at_most: {after_upper}`"
                           + ("" if bound == "exact" else f" instead of `{key}:`"))
    if lower and bound != "at-least":
        if bound == "exact":
            without = raw.replace(lower, "", 1).strip()
            raise ValueProblem(f"'{text}' is a lower bound; write it as `at_least: {without}` instead of `value:`")
        raise ValueProblem(f"'{text}' is a lower bound ('{lower}'), but this is an upper bound")
    if rest.startswith(("-", "\u2212")):
        raise ValueProblem(f"'{text}' is negative; amounts are non-negative (a loss is a positive amount of net-loss)")
    if rest.startswith("+"):
        raise ValueProblem(f"'{text}' is signed; write the amount without +")
    if _EXPONENT.search(rest):
        raise ValueProblem(f"'{text}' has an exponent; write the number out (100000000, or 1亿)")
    match = _AMOUNT.match(_in_one_multiplier(rest))
    if not match:
        raise ValueProblem(f"cannot read '{_brief(text)}' as an amount; write a number with an optional 万/亿 and unit, e.g. 1.89亿元")
    unit = _unit_of(text, match["prefix"], match["symbol"].strip(), expected)
    multiplier = (match["multiplier"] or "").lower()
    if multiplier and unit.notation in ("percent", "times"):
        raise ValueProblem(f"'{text}': a {unit.notation} value takes no 万/亿 multiplier")
    factor = _FRACTIONS.get(match["fraction"] or "", Decimal(10) if match["tenths"] else Decimal(1))
    if (match["fraction"] or match["tenths"]) and unit.notation != "percent":
        raise ValueProblem(f"'{text}' is a percentage; it does not fit a figure measured in {unit.notation}")
    number, step = _read_number(match["number"], text)
    scale = MULTIPLIERS.get(multiplier, 1)
    value = number * scale * factor
    if value >= 10**MAX_DIGITS:
        raise ValueProblem(f"'{text}' is {value:,f}; no figure is that large (at most {MAX_DIGITS} digits)")
    step = step * scale * factor
    approximation = APPROXIMATION_CUES[approximation_cue] if approximation_cue else None
    if unit.is_count:
        if value != value.to_integral_value():
            raise ValueProblem(f"'{text}' is {canonical_decimal(value)}, not a whole number of {unit.notation}s")
        return Amount(int(value), unit, text.strip(), step, approximation)
    return Amount(Decimal(canonical_decimal(value)), unit, text.strip(), step, approximation)


def _unit_of(text: str, prefix: str | None, symbol: str, expected: Unit) -> Unit:
    """The unit an amount is in: the currency it names, or the metric's own unit."""
    if expected.is_money:
        symbol = symbol.removesuffix("/股").removesuffix("每股").strip()  # a price per share
    prefix = (prefix or "").upper() if prefix and prefix[0].isascii() else prefix
    named = [_CURRENCY_WORDS[word] for word in (prefix, symbol.upper() if symbol.isascii() else symbol)
             if word and word in _CURRENCY_WORDS]
    if prefix and symbol and len(set(named)) != 1:
        raise ValueProblem(f"'{text}' names its currency twice ('{prefix}' and '{symbol}'); write one, e.g. 5.58亿港元")
    if expected.is_money:
        if named:
            currency = CURRENCIES[named[0]]
            if expected.notation != "money" and currency != expected:
                raise ValueProblem(
                    f"unit '{symbol or prefix}' in '{text}' does not fit this metric, which is measured in '{expected.symbol}' ({expected.notation})"
                )
            return currency
        if symbol:
            raise ValueProblem(f"unknown currency '{symbol}' in '{text}'; write 元 (CNY), 港元 (HKD) or 美元 (USD)")
        if expected.notation == "money":
            raise ValueProblem(f"'{text}' does not say its currency; write 元, 港元 or 美元 (e.g. {text.strip()}元), or give `currency:`")
        return expected
    if prefix or (symbol and symbol != expected.symbol):
        raise ValueProblem(
            f"unit '{symbol or prefix}' in '{text}' does not fit this metric, which is measured in '{expected.symbol}' ({expected.notation})"
        )
    return expected


# --- dates --------------------------------------------------------------------

@dataclass(frozen=True)
class Date:
    """A date as precise as the source: ``2025``, ``2025-08`` or ``2025-12-19``."""

    lexical: str
    xsd_type: str      # "gYear", "gYearMonth" or "date"


def parse_date(text: str) -> Date:
    """``2025``, ``2025-08`` or ``2025-12-19`` (full-width digits read as ASCII)."""
    raw = normalize(text.strip())
    if re.fullmatch(r"[0-9]{4}", raw):
        _year(raw, text)
        return Date(raw, "gYear")
    if m := re.fullmatch(r"([0-9]{4})-([0-9]{2})", raw):
        _year(m[1], text)
        if not 1 <= int(m[2]) <= 12:
            raise ValueProblem(f"'{text}' has no month {m[2]}")
        return Date(raw, "gYearMonth")
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        _year(raw[:4], text)
        try:
            dt.date.fromisoformat(raw)
        except ValueError:
            raise ValueProblem(f"'{text}' is not a date that exists") from None
        return Date(raw, "date")
    raise ValueProblem(f"cannot read '{text}' as a date; write 2025, 2025-08 or 2025-12-19")


def parse_day(text: str) -> dt.date:
    """A day written ``YYYY-MM-DD`` (a query's date parameter), by the same rules."""
    raw = normalize(text.strip())
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        raise ValueProblem(f"'{text}' is not a date written YYYY-MM-DD")
    _year(raw[:4], text)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueProblem(f"'{text}' is not a date that exists") from None


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
    start_approximation: str | None = None  # "about" when the source gives the start loosely (mid-August)

    @property
    def slug(self) -> str:
        return self.code.replace("/", "-").replace("~", "about-")


def parse_period(text: str) -> Period:
    """``2024``, ``2025H1``, ``2026Q1``, ``2025-06-30``, ``2022/2024``, ``2025-08-15/2025-12-26`` (``~2025-08-15/...``
    when the source gives the start loosely) or ``unspecified``
    (full-width digits and letters read as ASCII: ``２０２５Ｈ１`` is ``2025H1``)."""
    raw = normalize(text.strip())
    if raw == "unspecified":
        return Period(raw, "UnspecifiedPeriod", None, None, "unspecified period", "未注明时期")
    if "/" in raw:
        first_text, _, last_text = raw.partition("/")
        loose = first_text.startswith("~")  # ~2025-08-15: "mid-August", a start given loosely
        first, last = _simple_period(first_text.removeprefix("~")), _simple_period(last_text)
        if loose and first.kind != "PointInTime":
            raise ValueProblem(f"'{text}': only a day may start a span loosely (~2025-08-15/2025-12-26)")
        # Two days make a span (from mid-August to 26 December); a day beside a year would be ambiguous.
        if (first.kind == "PointInTime") != (last.kind == "PointInTime"):
            raise ValueProblem(f"'{text}': a span joins two years, halves or quarters, or two days, not a day and a year")
        if last.end < first.start or last.start <= first.start:
            raise ValueProblem(f"'{text}' ends before it starts; write the earlier period first")
        about_en, about_zh = ("about ", "约") if loose else ("", "")
        return Period(
            raw, "PeriodSpan", first.start, last.end,
            f"{about_en}{first.label_en} to {last.label_en}", f"{about_zh}{first.label_zh}至{last.label_zh}",
            "about" if loose else None,
        )
    return _simple_period(raw)


def _simple_period(raw: str) -> Period:
    if re.fullmatch(r"[0-9]{4}", raw):
        year = _year(raw, raw)
        return Period(raw, "FiscalYear", dt.date(year, 1, 1), dt.date(year, 12, 31), f"FY{year}", f"{year}年")
    if m := re.fullmatch(r"([0-9]{4})H([12])", raw):
        year, half = _year(m[1], raw), int(m[2])
        start = dt.date(year, 1 if half == 1 else 7, 1)
        end = dt.date(year, 6, 30) if half == 1 else dt.date(year, 12, 31)
        return Period(raw, "HalfYear", start, end, f"H{half} {year}", f"{year}年{'上' if half == 1 else '下'}半年")
    if m := re.fullmatch(r"([0-9]{4})Q([1-4])", raw):
        year, quarter = _year(m[1], raw), int(m[2])
        first_month = 3 * quarter - 2
        last_month = first_month + 2
        start = dt.date(year, first_month, 1)
        end = dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
        return Period(raw, "Quarter", start, end, f"Q{quarter} {year}", f"{year}年第{_CN_QUARTER[quarter]}季度")
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        _year(raw[:4], raw)
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise ValueProblem(f"'{raw}' is not a date that exists") from None
        return Period(raw, "PointInTime", day, day, raw, f"{day.year}年{day.month}月{day.day}日")
    raise ValueProblem(
        f"cannot read '{raw}' as a period; write 2024, 2025H1, 2026Q1, 2025-06-30, 2022/2024 or unspecified"
    )
