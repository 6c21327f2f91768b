"""From an article to candidate facts: every figure, read exactly, with what the text says around it.

``find_figures`` reads a plain text (Chinese or English) and returns one ``Candidate`` per figure:
the number as written, its value (decimal arithmetic through kg.base.values), unit or currency, the cue
words that qualify it (约, 超, 近, 最高, 预计 ...), the sentence, and, where the text allows, the
entity, the metric and the period it is about. ``extract`` adds how each compares with the graph.
Nothing here writes facts: the analyst edits what ``to_yaml`` writes before it enters facts/.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from pathlib import Path

from rdflib import Graph, URIRef

from ..base.errors import InputError, Problem, SourceLocation, UsageError
from ..facts import reconcile
from ..facts.read import Facts, FigureValue, Record
from ..base.ontology import GPU, KGR
from ..query.resolve import Resolver, short
from ..base.values import APPROXIMATION_CUES, Unit, ValueProblem, canonical_decimal, normalize, parse_amount

# --- units ----------------------------------------------------------------------------------------

# symbol as written -> (unit notation, is a count)
_UNITS = {
    "元人民币": ("CNY", False), "人民币": ("CNY", False), "元": ("CNY", False), "RMB": ("CNY", False),
    "CNY": ("CNY", False), "¥": ("CNY", False), "yuan": ("CNY", False),
    "港元": ("HKD", False), "港币": ("HKD", False), "HK$": ("HKD", False), "HKD": ("HKD", False),
    "美元": ("USD", False), "US$": ("USD", False), "USD": ("USD", False), "$": ("USD", False),
    "%": ("percent", False), "per cent": ("percent", False), "percent": ("percent", False),
    "倍": ("times", False), "times": ("times", False),
    "片": ("chip", True), "chips": ("chip", True), "家": ("organization", True), "customers": ("customer", True),
    "次": ("deployment", True), "个": ("item", True), "项": ("item", True), "股": ("share", True),
    "shares": ("share", True), "户": ("account", True), "accounts": ("account", True), "天": ("day", True),
    "days": ("day", True), "人": ("person", True), "名": ("person", True), "investors": ("organization", True),
    "employees": ("person", True), "patents": ("item", True), "projects": ("item", True),
    "GPUs": ("chip", True), "GPU": ("chip", True),
}
_PER_SHARE = ("/股", "每股", "per share", "a share")
_ZH_MULT = "万亿|千亿|百亿|十亿|千万|百万|十万|亿|万|千"
_ZH_UNITS = "元人民币|人民币|港元|港币|美元|元|%|％|倍|片|家|次|个|项|股|户|天|人|名"
_EN_UNITS = "per cent|percent|times|shares|yuan|accounts|customers|chips|GPUs|days|investors|employees|patents|projects"
_CURRENCY_PREFIX = r"HK\$|US\$|RMB|CNY|HKD|USD|¥|\$"
# Digits, commas and points as typed, full-width too (１．８９亿, 1，890万): kg.base.values reads them as
# ASCII. Digits of other scripts are not numbers here (_OTHER_DIGITS says so).
_D = "[0-9０-９]"
_NUMBER = rf"{_D}{{1,3}}(?:[,，]{_D}{{3}})+(?:[.．]{_D}+)?|{_D}+(?:[.．]{_D}+)?"
_OTHER_DIGITS = re.compile(r"(?:(?![0-9０-９])\d)+(?:[.,٫٬．，](?:(?![0-9０-９])\d)+)*")
_AMOUNT = re.compile(
    rf"(?P<pre>(?:{_CURRENCY_PREFIX})\s?)?(?P<num>{_NUMBER})"
    rf"(?P<mult>{_ZH_MULT}|\s?(?:trillion|billion|million|thousand)\b|(?:bn|mn)\b)?"
    rf"(?P<unit>{_ZH_UNITS}|\s(?:(?:new|retail|online|valid|winning|domestic|overseas)\s)?(?:{_EN_UNITS})\b|\s?%)?(?P<per>/股|\s(?:per|a) share\b|\seach\b)?"
)
_RANGE_JOIN = re.compile(r"^\s*(?:至|到|~|～|-|–|—|to|and)\s*$")

# --- cues -----------------------------------------------------------------------------------------

# cue as written -> (qualifier, approximation, circumstance); longest cues are tried first.
_CUES = {
    "约": (None, "about", None), "大约": (None, "about", None), "约为": (None, "about", None),
    "左右": (None, "about", None), "近": (None, "nearly", None), "接近": (None, "nearly", None),
    "将近": (None, "nearly", None), "超过": ("at-least", None, None), "超": ("at-least", None, None),
    "逾": ("at-least", None, None), "突破": ("at-least", None, None), "至少": ("at-least", None, None),
    "以上": ("at-least", None, None), "多": ("at-least", None, None), "余": ("at-least", None, None),
    "最高可达": ("at-most", None, None), "最高": ("at-most", None, None), "最多": ("at-most", None, None),
    "不到": ("at-most", None, None), "不足": ("at-most", None, None), "低于": ("at-most", None, None),
    "预计": (None, None, "forecast"), "预期": (None, None, "forecast"),
    "about": (None, "about", None), "around": (None, "about", None), "approximately": (None, "about", None),
    "roughly": (None, "about", None), "some": (None, "about", None), "nearly": (None, "nearly", None),
    "almost": (None, "nearly", None), "close to": (None, "nearly", None), "more than": ("at-least", None, None),
    "over": ("at-least", None, None), "at least": ("at-least", None, None), "in excess of": ("at-least", None, None),
    "up to": ("at-most", None, None), "at most": ("at-most", None, None), "less than": ("at-most", None, None),
    "under": ("at-most", None, None), "expected": (None, None, "forecast"), "expects": (None, None, "forecast"),
    "forecast": (None, None, "forecast"), "estimated": (None, "about", None), "plans to": (None, None, "planned"),
}
_BEFORE_CUES = sorted((c for c in _CUES if c not in ("左右", "以上", "多", "余")), key=len, reverse=True)
_AFTER_CUES = ("左右", "以上", "多", "余")
_HYPOTHETICAL = re.compile(r"假如|假设|如果|若按|若以|倘若|按.{0,12}(?:来算|计算)|\bif\b|\bwere\b.{0,20}\bat\b", re.I)
_CLAUSE_CHARS = frozenset("，,；;。！!？?：:\n（）()")


def _ends_clause(text: str, i: int) -> bool:
    """Whether ``text[i]`` ends a clause: Chinese and English punctuation, or the space after a full stop."""
    c = text[i]
    if c in _CLAUSE_CHARS:
        return not (c == "," and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit())
    return c == " " and i >= 2 and text[i - 1] == "." and (text[i - 2].isalnum() or text[i - 2] == "%")

# --- metrics: keyword -> metric id; the keyword nearest before the figure in its clause wins ----

_METRIC_WORDS: tuple[tuple[str, str], ...] = (
    ("经调整净亏损", "adjusted-net-loss"), ("净亏损率", "net-loss-rate"), ("累计亏损", "cumulative-net-loss"),
    ("净亏损", "net-loss"), ("亏损", "net-loss"), ("复合年增长率", "revenue-cagr"), ("研发人员", "rd-staff-share"),
    ("研发开支", "rd-expense"), ("研发投入", "rd-expense"), ("研发费用", "rd-expense"), ("毛利率", "gross-margin"),
    ("收入占比", "revenue-share"), ("占比", "share"), ("比重", "share"), ("营收", "revenue"), ("营业收入", "revenue"),
    ("收入", "revenue"), ("出货量", "shipments"), ("累计交付", "cumulative-deliveries"), ("客户", "customers"),
    ("部署", "deployments"), ("项目数", "projects"), ("授权专利", "granted-patents"), ("在审", "pending-patents"),
    ("发售价", "offer-price"), ("发行价", "offer-price"), ("发售的股份", "shares-offered"),
    ("新发行", "new-shares-issued"), ("总股本", "total-shares"), ("募资总额", "gross-proceeds"),
    ("募集资金总额", "gross-proceeds"), ("募资净额", "net-proceeds"), ("募资额", "gross-proceeds"),
    ("基石投资者", "cornerstone-investors"), ("合计金额", "cornerstone-subscription"), ("认购金额", "cornerstone-subscription"),
    ("募资", "gross-proceeds"),
    ("网上申购", "online-subscribers"), ("申购股数", "shares-subscribed"), ("倍数", "oversubscription"),
    ("中签率", "allotment-rate"), ("持股", "shareholding"), ("首日涨幅", "first-day-gain"), ("涨幅", "first-day-gain"),
    ("大涨", "first-day-gain"), ("高开", "first-day-gain"), ("收盘", "first-day-price"), ("冲到", "first-day-price"),
    ("市值", "first-day-market-cap"), ("估值", "valuation"), ("账面盈利", "paper-gain-per-lot"), ("仅用了", "days-to-approval"),
    ("经营开支", "rd-expense-share-of-opex"),
    ("subscribed", "shares-subscribed"), ("accounts", "online-subscribers"), ("subscri", "oversubscription"),
    ("申购", "oversubscription"), ("oversubscri", "oversubscription"), ("after fees", "net-proceeds"), ("扣掉发行费用", "net-proceeds"), ("holds", "shareholding"),
    ("opened", "first-day-gain"), ("higher", "first-day-gain"), ("up", "first-day-gain"), ("closed at", "first-day-price"),
    ("as high as", "first-day-price"), ("compound annual growth rate", "revenue-cagr"), ("cagr", "revenue-cagr"), ("delivered", "cumulative-deliveries"),
    ("subscribe", "cornerstone-subscription"), ("adjusted net loss", "adjusted-net-loss"), ("net loss", "net-loss"), ("net losses", "net-loss"),
    ("cumulative loss", "cumulative-net-loss"), ("revenue", "revenue"), ("sales", "revenue"),
    ("r&d", "rd-expense"), ("gross margin", "gross-margin"), ("shipments", "shipments"), ("customers", "customers"),
    ("offer price", "offer-price"), ("priced at", "offer-price"), ("shares", "shares-offered"),
    ("gross proceeds", "gross-proceeds"), ("raise", "gross-proceeds"), ("raised", "gross-proceeds"),
    ("raising", "gross-proceeds"), ("net proceeds", "net-proceeds"),
    ("cornerstone investors", "cornerstone-investors"), ("cornerstone", "cornerstone-subscription"),
    ("new shares", "new-shares-issued"), ("market capitalisation", "first-day-market-cap"), ("market capitalization", "first-day-market-cap"),
    ("market value", "first-day-market-cap"), ("oversubscribed", "oversubscription"),
    ("allotment rate", "allotment-rate"), ("stake", "shareholding"), ("valuation", "valuation"),
    ("jumped", "first-day-gain"), ("rose", "first-day-gain"), ("soared", "first-day-gain"),
)
_CUMULATIVE = ("累计", "三年半", "报告期内", "cumulative", "in total", "combined")

# --- periods ----------------------------------------------------------------------------------------

_ZH_NUMERAL = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAYS_EN = {d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
_MONTHS_EN = {m: i + 1 for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                               "august", "september", "october", "november", "december"))}
_YEAR = r"(?:19|20)\d\d"
_HALF = rf"(?P<y>{_YEAR})年?(?P<h>上半年|下半年|H1|H2)"
_SPAN = re.compile(
    rf"(?P<a>{_YEAR})年?(?P<ah>上半年)?\s*(?:至|到|—|–|-|~)\s*(?P<b>{_YEAR})年?(?P<bh>上半年|下半年|第?[一二三四1-4]季度)?(?:间|期间)?"
    rf"|from (?P<ea>{_YEAR}) (?:to|through) (?:the first half of )?(?P<eb>{_YEAR})"
)
_PERIOD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(rf"(?P<y>{_YEAR})年(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})日")),
    ("date", re.compile(rf"(?P<y>{_YEAR})-(?P<m>\d\d)-(?P<d>\d\d)")),
    ("date-en", re.compile(rf"(?P<mn>{'|'.join(_MONTHS_EN)})\s+(?P<d>\d{{1,2}}),?\s+(?P<y>{_YEAR})", re.I)),
    ("half", re.compile(_HALF)),
    ("half-en", re.compile(rf"(?:the )?(?P<h>first|second) half of (?P<y>{_YEAR})|\b(?P<h2>H[12]) (?P<y2>{_YEAR})", re.I)),
    ("quarter", re.compile(rf"(?P<y>{_YEAR})年?第?(?P<q>[一二三四1-4])季度|(?P<y2>{_YEAR})Q(?P<q2>[1-4])")),
    ("month-day", re.compile(r"(?<!\d)(?P<m>\d{1,2})月(?P<d>\d{1,2})日")),
    ("month-day-en", re.compile(rf"\b(?:on )?(?P<mn>{'|'.join(_MONTHS_EN)})\s+(?P<d>\d{{1,2}})\b(?!,?\s+{_YEAR})", re.I)),
    ("year", re.compile(rf"(?P<y>{_YEAR})年(?:全年|度)?|\b(?:FY|fiscal |in |for |of )(?P<y2>{_YEAR})\b|(?<![\d-])(?P<y3>{_YEAR})(?=[,，、 ]|$)")),
    ("relative", re.compile(r"今日|今天|昨日|昨天|前日|前天|上周(?P<w>[一二三四五六日天])|本周(?P<w2>[一二三四五六日天])"
                            r"|\btoday\b|\byesterday\b|\blast (?P<we>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)),
    ("same-day", re.compile(r"当天|当日|同日|首日|that day|the same day|first day", re.I)),
)


@dataclass(frozen=True)
class Mention:
    """A period mentioned in the text, where it stands."""

    start: int
    end: int
    codes: tuple[str, ...]   # one period, or several for a span given as a list (2022年至2024年)
    span: str | None = None  # the span's own code: 2022/2024
    how: str = ""


@dataclass(frozen=True)
class Candidate:
    """One figure found in a text, and what the text and the graph say about it."""

    text: str                      # as written, with the cue words right before it
    start: int                     # character offsets of the number in the text
    end: int
    line: int
    value: str | None              # normalised decimal; None for a range
    low: str | None
    high: str | None
    unit: str | None               # CNY, HKD, USD, percent, times, share, chip, ...
    per_share: bool
    qualifier: str                 # exact, at-least, at-most, range
    approximation: str | None      # about, nearly
    circumstance: str | None       # forecast, hypothetical, planned
    cue: str                       # the cue words as written
    sentence: str
    stated: tuple[str, ...] = ()   # the amount as the facts format reads it: (value,) or (low, high)
    entity: str | None = None      # an id, or the name as written when the graph does not know it
    entity_known: bool = False
    segment: str | None = None     # the business segment (an id) when the text names one
    holder: str | None = None      # who holds a stake (shareholding): an id, or the name as written
    basis: str | None = None       # a listing-day figure's basis: open, close, intraday-high
    metric: str | None = None
    period: str | None = None
    period_how: str = ""           # how the period was read
    status: str = "new"
    existing: tuple[tuple[str, str], ...] = ()   # (value as the graph has it, its source) behind the status

    def json(self) -> dict[str, object]:
        out = asdict(self)
        out["existing"] = [{"value": v, "source": s} for v, s in self.existing]
        return out


# --- reading numbers ------------------------------------------------------------------------------

def _is_excluded(text: str, match: re.Match[str]) -> str | None:
    """Why a number is not a figure (a year, a date, a code, list numbering), or None."""
    start, end = match.span("num")
    before, after = text[max(0, start - 1):start], text[end:end + 3]
    number = match["num"]
    if match["pre"] is None and before and re.match(r"[A-Za-z_]", before):
        return "part of a name or code"       # A100, Gen1
    if re.match(r"[年月日号时点]", after) or _in_date(text, start, end):
        return "a date"
    if re.match(r"\.[A-Z]{2}\b", after):
        return "a ticker"
    if not match["unit"] and not match["mult"] and re.search(
            rf"(?:{'|'.join(_MONTHS_EN)})\s+$", text[max(0, start - 12):start], re.I):
        return "a date"
    if not match["unit"] and not match["mult"] and not match["pre"]:
        if re.match(r"[A-Za-z]", after[:1]) or re.match(r"\s?(?:nm|GB|TB)\b", after):
            return "part of a name or code"
        if re.fullmatch(_YEAR, number):
            return "a year"
        line_start = text.rfind("\n", 0, start) + 1
        if re.fullmatch(r"\s*\(?", text[line_start:start]) and re.match(r"[.、)）]", after[:1]):
            return "list numbering"
        if re.match(r"\s?(?:至|到|-|–|—)\s?\d", after) and re.fullmatch(_YEAR, number):
            return "a year"
        if re.match(r"\s*(?:月|日)", after):
            return "a date"
    return None


_DATE_LIKE = re.compile(r"\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?|\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{1,2}[:：]\d{2}(?:[:：]\d{2})?")


def _in_date(text: str, start: int, end: int) -> bool:
    """Whether the number at ``start:end`` is part of a date or a time: 2025-12-05, 12/5, 03:01."""
    left, right = start, end
    while left > 0 and re.match(r"[\d\-/:：.]", text[left - 1]):
        left -= 1
    while right < len(text) and re.match(r"[\d\-/:：.]", text[right]):
        right += 1
    run = text[left:right].rstrip(".-/:：")
    return run != text[start:end] and bool(_DATE_LIKE.fullmatch(run))


def _amount_value(number: str, mult: str | None, unit: str | None, is_count: bool) -> Decimal | int:
    """The exact value of ``number`` times its multiplier, read by kg.base.values as the loader reads amounts."""
    digits = normalize(number).replace(",", "")
    mult = (mult or "").strip()
    notation = unit or "number"
    counted = (is_count or (unit is None and "." not in digits and not mult)) and notation not in ("percent", "times")
    try:
        return parse_amount(digits + mult, Unit(notation, "", counted)).value
    except ValueProblem:   # a count that is not whole (0.5家): keep the decimal; the analyst decides
        return parse_amount(digits + mult, Unit(notation, "", False)).value


def _unit_of(match: re.Match[str]) -> tuple[str | None, bool, bool]:
    symbol = (match["unit"] or "").strip().replace("％", "%")
    pre = (match["pre"] or "").strip()
    per_share = bool(match["per"])
    notation, count = None, False
    if symbol in _UNITS:
        notation, count = _UNITS[symbol]
    if pre in _UNITS:                       # HK$5.58 billion: the prefix is the currency
        notation, count = _UNITS[pre]
    return notation, count, per_share


def guess_language(text: str) -> str:
    """zh when a tenth of the letters are Chinese characters, else en."""
    cjk = len(_CJK_CHAR.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "zh" if cjk * 10 >= cjk + latin and cjk else "en"


_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")


_CUE_GAP = re.compile(r"(?:\s|[为达到了已至是]|\b(?:was|were|is|are|of|at|reached|to|by)\b)*", re.I)


def _cues(text: str, start: int, end: int, clause_start: int,
          lang: str) -> tuple[str, str | None, str | None, str | None, int]:
    """The cue words of a number: (as written, qualifier, approximation, circumstance, where its text starts).

    A bound or an approximation (超过, 约, 最高可达, more than, about) is read only right before the
    number, or with 为/达/was/of between them, so that "over the period" further back is not read
    as "over"; 以上 and 左右 come right after it. A forecast (预计, expected) holds for the clause.
    """
    window = text[clause_start:start]
    lowered = window.lower()
    spans: list[tuple[int, int, str]] = []
    for cue in _BEFORE_CUES:
        for m in re.finditer(re.escape(cue) if not cue.isascii() else rf"\b{re.escape(cue)}\b", lowered):
            if not any(a < m.end() and m.start() < b for a, b, _ in spans):
                spans.append((m.start(), m.end(), cue))
    qualifier = approximation = circumstance = None
    found: list[str] = []
    position = len(window)
    for a, b, cue in sorted(spans, reverse=True):   # from the number backwards, while the cues are adjacent
        if not _CUE_GAP.fullmatch(window[b:position]):
            break
        q, x, c = _CUES[cue]
        qualifier, approximation, circumstance = qualifier or q, approximation or x, circumstance or c
        found.append(cue)
        position = a
    for a, b, cue in spans:
        if _CUES[cue][2] and cue not in found:
            circumstance = circumstance or _CUES[cue][2]
            found.insert(0, cue)
    for cue in _AFTER_CUES if lang == "zh" else ():
        if text.startswith(cue, end):
            q, x, _ = _CUES[cue]
            qualifier, approximation = qualifier or q, approximation or x
            found.append(cue)
    adjacent = window[position:].strip()
    written = " ".join(part for part in (adjacent, *(c for c in found if c not in adjacent.lower())) if part)
    return written, qualifier, approximation, circumstance, clause_start + position


def find_figures(text: str, *, lang: str | None = None, path: str = "<text>") -> list[Candidate]:
    """Every figure of ``text``, with its value, unit and cue words; no entity, metric or period yet.

    ``lang`` (zh or en; guessed when not given) decides whether the Chinese cues after a number
    (以上, 左右, 多, 余) are read. A number that cannot be read as the fact reader reads numbers
    (digits of another script, more digits than any figure has) is an InputError naming its
    place in ``path``, with every other such number.
    """
    lang = lang or guess_language(text)
    problems = [_problem(text, path, m.start(), (
        f"'{m[0]}' is written in digits of another script ({unicodedata.name(m[0][0])}); "
        f"write it with the digits 0-9")) for m in _OTHER_DIGITS.finditer(text)]
    raw: list[tuple[re.Match[str], str | None, bool, bool]] = []
    for match in _AMOUNT.finditer(text):
        if _is_excluded(text, match):
            continue
        unit, count, per_share = _unit_of(match)
        raw.append((match, unit, count, per_share))
    # Ranges: 17.00至19.60港元, 53%—61%, RMB1.2 billion to RMB1.5 billion.
    merged: list[tuple[re.Match[str], re.Match[str] | None, str | None, bool, bool]] = []
    i = 0
    while i < len(raw):
        match, unit, count, per_share = raw[i]
        if i + 1 < len(raw):
            nxt, unit2, count2, per2 = raw[i + 1]
            between = text[match.end():nxt.start()]
            if (_RANGE_JOIN.match(between) and (unit is None or unit == unit2)
                    and not (between.strip() == "and" and not re.search(r"between\s*$", text[max(0, match.start() - 12):match.start()]))
                    and not re.search(r"[、，,]", between)):
                unit = unit2 or unit
                merged.append((match, nxt, unit, count2 or count, per2 or per_share))
                i += 2
                continue
        merged.append((match, None, unit, count, per_share))
        i += 1
    out = []
    lines = _LineCounter(text)
    for first, last, unit, count, per_share in merged:
        clause_start = _clause_start(text, first.start("num"))
        end = (last or first).end()
        cue, qualifier, approximation, circumstance, text_start = _cues(text, first.start(), end, clause_start, lang)
        sentence, s_start = _sentence(text, first.start())
        if circumstance is None and _HYPOTHETICAL.search(text[s_start:first.start()]):
            circumstance = "hypothetical"
        mult_last = (last or first)["mult"]
        try:
            if last is not None:
                low = _amount_value(first["num"], first["mult"] or mult_last, unit, count)
                high = _amount_value(last["num"], mult_last, unit, count)
                value_text, low_text, high_text = None, _decimal_text(low), _decimal_text(high)
                qualifier = "range"
            else:
                value = _amount_value(first["num"], first["mult"], unit, count)
                value_text, low_text, high_text = _decimal_text(value), None, None
        except ValueProblem as problem:
            problems.append(_problem(text, path, first.start("num"), str(problem)))
            continue
        written = text[text_start:end].strip()
        if lang == "zh" and any(text.startswith(c, end) for c in _AFTER_CUES):
            written += next(c for c in _AFTER_CUES if text.startswith(c, end))
        if last is not None:
            low_stated = text[first.start():first.end()]
            if not first["mult"] and not first["unit"]:  # 17.00至19.60港元: the unit is written once
                low_stated += (last["mult"] or "") + (last["unit"] or "") + (last["per"] or "")
            stated: tuple[str, ...] = (low_stated.strip(), text[last.start():last.end()].strip())
        else:
            stated = (text[first.start():first.end()].strip(),)
        out.append(Candidate(
            stated=stated, text=written, start=first.start(), end=end, line=lines(first.start()),
            value=value_text, low=low_text, high=high_text, unit=unit, per_share=per_share,
            qualifier=qualifier or "exact", approximation=approximation, circumstance=circumstance, cue=cue,
            sentence=sentence,
        ))
    if problems:
        raise InputError(problems)
    return out


class _LineCounter:
    """The line of each position, asked in order: the text is counted once, not once a figure."""

    def __init__(self, text: str):
        self.text, self.position, self.line = text, 0, 1

    def __call__(self, position: int) -> int:
        self.line += self.text.count("\n", self.position, position)
        self.position = position
        return self.line


def _problem(text: str, path: str, position: int, message: str) -> Problem:
    line = text.count("\n", 0, position) + 1
    return Problem(SourceLocation(path, line, position - (text.rfind("\n", 0, position) + 1) + 1), message)


def _decimal_text(value: Decimal | int) -> str:
    return str(value) if isinstance(value, int) else canonical_decimal(value)


def _clause_start(text: str, position: int) -> int:
    """Where the clause holding ``position`` begins: after the last comma, stop or list mark, or the previous figure."""
    stops = _clause_stops(text)
    at = bisect.bisect_left(stops, position)
    start = max(stops[at - 1] + 1 if at else 0, position - REACH, 0)
    # a cue before an earlier figure of the same clause is not this figure's: 从7800片增长至16800片
    starts, ends = _figure_spans(text)
    at = bisect.bisect_right(ends, position)
    if at and starts[at - 1] >= start:
        start = ends[at - 1]
        # RMB8 billion in gross proceeds and RMB7.6 billion after fees: "in gross proceeds" is the first's
        joined = list(re.finditer(r"\s(?:and|while|but)\s", text[start:position]))
        if joined:
            start += joined[-1].end()
    return start


def _clause_end(text: str, position: int, limit: int) -> int:
    """Where the clause holding ``position`` ends (its stop), or ``limit``."""
    stops = _clause_stops(text)
    at = bisect.bisect_left(stops, position)
    return min(stops[at], limit) if at < len(stops) else limit


# Where clauses end and figures stand, found once a text (each figure asks for its own).
@functools.lru_cache(maxsize=4)
def _clause_stops(text: str) -> list[int]:
    return [i for i, c in enumerate(text) if (c in _CLAUSE_CHARS or c == " ") and _ends_clause(text, i)]


@functools.lru_cache(maxsize=4)
def _figure_spans(text: str) -> tuple[list[int], list[int]]:
    spans = [m.span() for m in _AMOUNT.finditer(text) if not _is_excluded(text, m)]
    return [start for start, _ in spans], [end for _, end in spans]


# How far from a figure its sentence, clause and paragraph reach, at most: a text without stops
# (hostile, or a table pasted as one line) would otherwise make every figure read all of it.
REACH = 2000


def _paragraph_start(text: str, position: int) -> int:
    """Where the paragraph holding ``position`` begins (within REACH of it)."""
    floor = max(0, position - REACH)
    found = text.rfind("\n", floor, position)
    return found + 1 if found >= 0 else floor


_SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n|(?<=[.!?])\s+(?=[A-Z\"“])")


def _sentence(text: str, position: int) -> tuple[str, int]:
    """The sentence holding ``position``, and where it starts."""
    ends, sentence_ends = _sentence_ends(text)
    i = bisect.bisect_right(ends, position)  # the first sentence end past ``position``
    start = max(ends[i - 1] if i else 0, position - REACH)
    end = min(sentence_ends[i] if i < len(ends) else len(text), position + REACH)
    return text[start:end].strip(), start


@functools.lru_cache(maxsize=4)
def _sentence_ends(text: str) -> tuple[list[int], list[int]]:
    """Every sentence end of ``text``, found once (a text is asked for the sentence of each of its
    figures): where the next sentence starts, and where this one ends (a line end or the blanks
    between sentences are not part of it)."""
    matches = list(_SENTENCE_END.finditer(text))
    return [m.end() for m in matches], [m.start() if text[m.start():m.end()].strip() == "" else m.end() for m in matches]


# --- periods ----------------------------------------------------------------------------------------

def find_periods(text: str, published: dt.date | None) -> list[Mention]:
    """Every period the text names, spans expanded to their years (and a closing half)."""
    mentions: list[Mention] = []
    starts: list[int] = []   # the spans taken, sorted; they never overlap
    ends: list[int] = []

    def free(a: int, b: int) -> bool:
        at = bisect.bisect_right(starts, a)  # the span starting at or before a, and the one after it
        return not ((at and ends[at - 1] > a) or (at < len(starts) and starts[at] < b))

    def take(a: int, b: int) -> None:
        at = bisect.bisect_right(starts, a)
        starts.insert(at, a)
        ends.insert(at, b)

    for m in _SPAN.finditer(text):
        a, b = int(m["a"] or m["ea"]), int(m["b"] or m["eb"])
        if b <= a and not m["bh"]:
            continue
        codes = [str(y) for y in range(a, b + 1)]
        end_code = str(b)
        tail = m["bh"] or ""
        if m["ah"]:
            codes[0] = f"{a}H1"
        if "上半年" in tail or (m["eb"] and "first half" in m.group(0)):
            codes[-1] = end_code = f"{b}H1"
        elif "下半年" in tail:
            codes[-1] = end_code = f"{b}H2"
        elif "季度" in tail:
            codes[-1] = end_code = f"{b}Q{_ZH_NUMERAL[tail.strip('第季度')]}"
        mentions.append(Mention(m.start(), m.end(), tuple(codes), f"{codes[0] if m['ah'] else a}/{end_code}",
                                f"span {m.group(0)}"))
        take(*m.span())
    for kind, pattern in _PERIOD_PATTERNS:
        for m in pattern.finditer(text):
            if not free(*m.span()):
                continue
            code = _period_code(kind, m, published)
            if code is None:
                continue
            mentions.append(Mention(m.start(), m.end(), (code,) if code else (), None, f"{kind} {m.group(0)}"))
            take(*m.span())
    return sorted(mentions, key=lambda x: x.start)


def _period_code(kind: str, m: re.Match[str], published: dt.date | None) -> str | None:
    g = m.groupdict()
    if kind == "date":
        return _day(int(g["y"]), int(g["m"]), int(g["d"]))
    if kind == "date-en":
        return _day(int(g["y"]), _MONTHS_EN[g["mn"].lower()], int(g["d"]))
    if kind == "half":
        return f"{g['y']}H{1 if g['h'] in ('上半年', 'H1') else 2}"
    if kind == "half-en":
        if g["y2"]:
            return f"{g['y2']}{g['h2'].upper()}"
        return f"{g['y']}H{1 if g['h'].lower() == 'first' else 2}"
    if kind == "quarter":
        return f"{g['y'] or g['y2']}Q{_ZH_NUMERAL[g['q'] or g['q2']]}"
    if kind in ("month-day", "month-day-en"):
        if published is None:
            return ""
        month = int(g["m"]) if kind == "month-day" else _MONTHS_EN[g["mn"].lower()]
        year = published.year if (month, int(g["d"])) <= (published.month, published.day) else published.year - 1
        return _day(year, month, int(g["d"]))
    if kind == "year":
        return g["y"] or g["y2"] or g["y3"]
    if kind == "relative":
        if published is None:
            return ""
        word = m.group(0).lower()
        if word in ("今日", "今天", "today"):
            return published.isoformat()
        if word in ("昨日", "昨天", "yesterday"):
            return (published - dt.timedelta(days=1)).isoformat()
        if word in ("前日", "前天"):
            return (published - dt.timedelta(days=2)).isoformat()
        if g["w"] or g["we"]:
            weekday = _WEEKDAYS_ZH[g["w"]] if g["w"] else _WEEKDAYS_EN[g["we"].lower()]
            monday = published - dt.timedelta(days=published.weekday())
            return (monday - dt.timedelta(days=7 - weekday)).isoformat()
        if g["w2"]:
            monday = published - dt.timedelta(days=published.weekday())
            return (monday + dt.timedelta(days=_WEEKDAYS_ZH[g["w2"]])).isoformat()
    if kind == "same-day":
        return "same-day"
    return None


def _day(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


# --- proposing entity, metric and period ------------------------------------------------------------

_LIST_WORDS = re.compile(r"分别|respectively", re.I)


@dataclass(frozen=True)
class _Place:
    """Where a figure stands: its sentence, clause and paragraph."""

    sentence: str
    sentence_start: int
    clause_start: int
    paragraph_start: int

    @property
    def sentence_end(self) -> int:
        return self.sentence_start + len(self.sentence)


@dataclass
class _Reading:
    """What the text has named so far, and how to resolve names in it."""

    text: str
    resolver: Resolver | None
    entities: set[URIRef]
    mentions: list[tuple[int, int, tuple[URIRef, ...]]]
    periods: list[Mention]
    main: tuple[str, bool] | None
    last_span: Mention | None = None     # 2022年至2025年上半年: a span a later 分别 or 均 refers to
    last_date: str | None = None         # 12月5日: the day a later 当天 or listing-day figure refers to
    _read: int = 0                       # how many periods advance() has passed (they do not overlap)

    def advance(self, position: int) -> None:
        """Past every period that ends by ``position``: figures come in order, so each period is passed once."""
        while self._read < len(self.periods) and self.periods[self._read].end <= position:
            mention = self.periods[self._read]
            if mention.span and len(mention.codes) > 1:
                self.last_span = mention
            if mention.codes and re.fullmatch(r"\d{4}-\d\d-\d\d", mention.codes[0]):
                self.last_date = mention.codes[0]
            self._read += 1

    def __post_init__(self) -> None:
        self.period_starts = [m.start for m in self.periods]
        self.mention_starts = [start for start, _, _ in self.mentions]

    def near(self, start: int, end: int) -> _Reading:
        """This reading with only the periods and names that start from ``start`` to before ``end`` (a
        figure's paragraph and sentence, all its rules look at): each figure reads a few, not the text's all."""
        def cut(starts: list[int]) -> slice:
            return slice(bisect.bisect_left(starts, start), bisect.bisect_left(starts, end))

        return replace(self, periods=self.periods[cut(self.period_starts)],
                       mentions=self.mentions[cut(self.mention_starts)], _read=0)

    def resolve(self, name: str) -> tuple[str, bool]:
        """An id when the graph knows the name, else the name as written."""
        found = self.resolver.matches(name, self.entities) if self.resolver else []
        return (short(found[0]), True) if len(found) == 1 else (name, False)


def propose(text: str, candidates: list[Candidate], resolver: Resolver | None,
            published: dt.date | None) -> list[Candidate]:
    """Fill in the entity, metric, period (and holder, segment, basis) each figure is about, where the text says."""
    entities = _entity_nodes(resolver) if resolver else set()
    mentions = resolver.mentions(text, entities) if resolver else []
    reading = _Reading(text, resolver, entities, mentions, find_periods(text, published), _main_subject(mentions))
    heads = _lists(text, candidates)
    members: dict[int, list[int]] = {}
    for index, head in enumerate(heads):
        members.setdefault(head, []).append(index)
    out: list[Candidate] = []
    for index, candidate in enumerate(candidates):
        sentence, s_start = _sentence(text, candidate.start)
        place = _Place(sentence, s_start, _clause_start(text, candidate.start), _paragraph_start(text, candidate.start))
        reading.advance(candidate.start)
        near = reading.near(min(place.paragraph_start, s_start), max(place.sentence_end, candidate.end) + 6)
        metric = _metric(text, place.clause_start, candidate, s_start, out[-1] if out else None)
        entity, in_sentence = _entity(near, candidate, place)
        siblings = members[heads[index]]
        listed_name, period, how = _list_item(near, candidates, siblings, index, place)
        if period is None:
            period, how = _nearest_period(near.periods, candidate, place.clause_start, s_start, place.sentence_end,
                                          near.last_date, text)
        period, how = _period_of_kind(near, candidate, place, metric, period, how)
        if metric == "share":
            metric = _share_of_what(text[s_start:candidate.start])
        holder = None
        if metric == "shareholding":
            holder = _stake_holder(near, candidate, place, listed_name)
            if holder is not None and (entity == holder or not in_sentence or _is_holder_kind(resolver, entity)):
                entity = reading.main   # the company held: named in the sentence, or the one the article is about
        elif listed_name is not None:
            entity = listed_name
        segment = None
        if entity and entity[1] and resolver is not None:
            company = resolver.graph.value(KGR[entity[0]], GPU.segmentOf)
            if company is not None:   # 训练系列产品的毛利率: a figure of the company, for that segment
                segment, entity = entity[0], (short(company), True)
        basis = _basis(text, place.clause_start, candidate, metric)
        if basis == "not-stated" and out and out[-1].start >= s_start and out[-1].basis not in (None, "not-stated"):
            basis = out[-1].basis   # 当天以600.50元/股收盘，涨幅为425.46%: the same close
        proposed = replace(candidate, entity=entity[0] if entity else None, entity_known=bool(entity and entity[1]),
                           segment=segment, holder=holder[0] if holder else None, basis=basis,
                           unit=_metric_unit(candidate.unit, metric), metric=metric, period=period or None,
                           period_how=how)
        out.extend(_each_period(near, proposed, place))
    return out


def _entity(reading: _Reading, candidate: Candidate, place: _Place) -> tuple[tuple[str, bool] | None, bool]:
    """The nearest name before the figure in its sentence, else the paragraph's first name (its topic),
    else the company the text is about; and whether the sentence named it. Members of a list
    (富国基金、...等) and holders of stakes are not what a figure is about."""
    text = reading.text
    for window_start in (place.sentence_start, place.paragraph_start):
        named = [(short(nodes[0]), True) for start, end, nodes in reading.mentions
                 if window_start <= start < candidate.start and len(nodes) == 1
                 and not _is_holder_kind(reading.resolver, (short(nodes[0]), True))
                 and not (text[end:end + 1] in ("、", "等") or text[start - 1:start] == "、")]
        if named:
            return (named[-1], True) if window_start == place.sentence_start else (named[0], False)
    return reading.main, False


def _list_item(reading: _Reading, candidates: Sequence[Candidate], siblings: list[int], index: int,
               place: _Place) -> tuple[tuple[str, bool] | None, str | None, str]:
    """For a figure of a 分别 / respectively list: the name and the period it is aligned with."""
    if len(siblings) < 2 or not _LIST_WORDS.search(place.sentence):
        return None, None, ""
    position, count = siblings.index(index), len(siblings)
    names = _listed_names(reading.text, candidates[siblings[0]].start, place.sentence_start, count)
    name = reading.resolve(names[position]) if names else None
    in_sentence = [m for m in reading.periods if place.sentence_start <= m.start < place.sentence_end]
    spans = [m for m in in_sentence if len(m.codes) == count]
    single = [m for m in in_sentence if len(m.codes) == 1 and m.codes[0] and m.codes[0] != "same-day"]
    if spans:
        return name, spans[0].codes[position], f"{position + 1} of {count} (分别) over {_said(spans[0])}"
    if len(single) == count and not names:
        return name, single[position].codes[0], f"{position + 1} of {count} (respectively)"
    span = reading.last_span
    if span is not None and len(span.codes) == count:
        return name, span.codes[position], f"{position + 1} of {count} (分别) over the earlier {_said(span)}"
    return name, None, ""


def _said(mention: Mention) -> str:
    """The words a period was read from: 2022年至2024年."""
    return mention.how.split(" ", 1)[1]


def _period_of_kind(reading: _Reading, candidate: Candidate, place: _Place, metric: str | None,
                    period: str | None, how: str) -> tuple[str | None, str]:
    """What the metric says of the period: a cumulative figure covers a span, a growth rate the years
    listed before it, a listing-day figure the day named before it."""
    text, span = reading.text, reading.last_span
    if metric and (metric.startswith("cumulative") or any(w in text[place.sentence_start:candidate.start] for w in _CUMULATIVE)):
        if span is not None and (period is None or how.startswith("year")):
            return span.span, f"cumulative over {_said(span)}"
        if span is None and how.startswith("year") and not any(
                place.clause_start <= m.start < candidate.start for m in reading.periods):
            return None, "cumulative: the text does not say over which period"
    if metric and metric.endswith("-cagr"):
        years = [m.codes[0] for m in reading.periods if place.sentence_start <= m.start < candidate.start
                 and len(m.codes) == 1 and re.fullmatch(r"\d{4}", m.codes[0] or "")]
        if len(years) >= 2:
            return f"{years[0]}/{years[-1]}", "a growth rate over the years listed before it"
    if period == "same-day" or (period is None and metric and metric.startswith("first-day") and reading.last_date):
        return reading.last_date, "same day as the last date before it"
    return period, how


def _share_of_what(before: str) -> str | None:
    """占比 / 比重: a share of what, the sentence says."""
    if "研发" in before and "经营开支" in before:
        return "rd-expense-share-of-opex"
    if "研发" in before:
        return "rd-expense-ratio"
    if "收入" in before:
        return "revenue-share"
    return "market-share" if "市场" in before else None


def _stake_holder(reading: _Reading, candidate: Candidate, place: _Place,
                  listed_name: tuple[str, bool] | None) -> tuple[str, bool] | None:
    """Who holds a stake: the name a list aligns with it, 实际控制人为张建中, or the person or investor
    named before it in the sentence (Founder Zhang Jianzhong holds 36.36%)."""
    if listed_name is not None:
        return listed_name
    if named := _holder(reading.text, place.clause_start, place.sentence_start):
        return reading.resolve(named)
    holders = [(short(nodes[0]), True) for start, _, nodes in reading.mentions
               if place.sentence_start <= start < candidate.start and len(nodes) == 1
               and _is_holder_kind(reading.resolver, (short(nodes[0]), True))]
    return holders[-1] if holders else None


def _each_period(reading: _Reading, proposed: Candidate, place: _Place) -> list[Candidate]:
    """在每一期...的占比均超过73%: one figure for each period of the span the text is about."""
    each = re.search(r"均|每一期|each (?:period|year)", reading.text[place.clause_start:proposed.start])
    span = reading.last_span
    if not each or span is None or proposed.period not in (None, span.span):
        return [proposed]
    return [replace(proposed, period=code, period_how=f"{each[0]}: each period of {_said(span)}") for code in span.codes]


_BASES = (("高开", "open"), ("开盘", "open"), ("opened", "open"), ("收盘", "close"), ("closed", "close"),
           ("at the close", "close"), ("一度", "intraday-high"), ("盘中", "intraday-high"), ("冲到", "intraday-high"),
           ("intraday", "intraday-high"), ("as high as", "intraday-high"), ("high of", "intraday-high"),
           ("during the session", "intraday-high"))


def _basis(text: str, clause_start: int, candidate: Candidate, metric: str | None) -> str | None:
    """When in the listing day a first-day figure was taken: at the open, the close, the intraday high."""
    if not metric or not metric.startswith("first-day"):
        return None
    clause_end = _clause_end(text, candidate.end, min(len(text), candidate.end + REACH))
    before, after = text[clause_start:candidate.start].lower(), text[candidate.end:clause_end].lower()
    # the word nearest the figure: 一度冲到688元/股 (before it), 以600.50元/股收盘 (after it)
    found = sorted([(len(before) - before.rfind(word), basis) for word, basis in _BASES if word in before]
                   + [(after.find(word) + 1, basis) for word, basis in _BASES if word in after])
    return found[0][1] if found else "not-stated"


def _metric_unit(unit: str | None, metric: str | None) -> str | None:
    """家 counts customers or investors: the metric says which."""
    if unit in _COUNT_UNITS and metric:
        expected = _metric_units().get(metric)
        if expected is not None and expected.is_count:
            return expected.notation
    return unit


_COUNT_UNITS = {"organization", "customer", "item", "person", "deployment", None}


def _metric_units() -> dict[str, Unit]:
    from ..base.ontology import vocabulary
    return vocabulary().metric_units


def _is_holder_kind(resolver: Resolver | None, entity: tuple[str, bool] | None) -> bool:
    """A person or an investor holds stakes; the company held is something else."""
    if resolver is None or entity is None or not entity[1]:
        return entity is not None and not entity[1]
    types = resolver.types.get(KGR[entity[0]], set())
    return bool(types & {GPU.Person, GPU.InvestmentFirm})


def _entity_nodes(resolver: Resolver) -> set[URIRef]:
    """What figures can be about: named things with an id of their own (not sources, places or sectors)."""
    nodes = set()
    for node, types in resolver.types.items():
        if not node.startswith(str(KGR)) or "/" in node[len(str(KGR)):]:
            continue
        if any(str(t).endswith(("Source", "Place", "Location", "Sector", "Country", "City", "District", "Article", "Filing",
                                "Statistic", "Dataset", "Report", "Website", "StockExchange", "ListingBoard", "NewsOutlet",
                                "Security", "Regulator"))
               for t in types):
            continue
        nodes.add(node)
    return nodes


def _main_subject(mentions: list[tuple[int, int, tuple[URIRef, ...]]]) -> tuple[str, bool] | None:
    counts: dict[URIRef, int] = {}
    for _, _, nodes in mentions:
        if len(nodes) == 1:
            counts[nodes[0]] = counts.get(nodes[0], 0) + 1
    if not counts:
        return None
    best = max(sorted(counts), key=lambda n: counts[n])
    return short(best), True


def _fits(metric: str, unit: str | None) -> bool:
    """Whether a figure in ``unit`` can be an amount of ``metric`` (a share count is no gain in percent)."""
    expected = _metric_units().get(metric)
    if expected is None or unit is None:
        return True
    if expected.is_money or unit in ("CNY", "HKD", "USD"):
        return expected.is_money and unit in ("CNY", "HKD", "USD")
    if expected.notation in ("percent", "times") or unit in ("percent", "times"):
        return expected.notation == unit
    return expected.is_count and (unit in _COUNT_UNITS or unit == expected.notation)


def _metric_before(window: str, unit: str | None = None) -> str | None:
    best: tuple[int, int, str] | None = None
    window = window.lower()
    for word, metric in _METRIC_WORDS:
        if not _fits(metric, unit):
            continue
        at = _word_at(window, word)
        if at >= 0 and (best is None or (at + len(word), len(word)) > (best[0], best[1])):
            best = (at + len(word), len(word), metric)
    return best[2] if best else None


def _metric_after(window: str, unit: str | None = None) -> str | None:
    window = window.lower()
    found = [(at, -len(word), metric) for word, metric in _METRIC_WORDS
             if _fits(metric, unit) and (at := _word_first(window, word)) >= 0]
    return min(found)[2] if found else None


def _word_at(window: str, word: str) -> int:
    """Where ``word`` last stands in ``window`` (a Latin word whole, not inside another), or -1."""
    if not word.isascii():
        return window.rfind(word)
    found = [m.start() for m in re.finditer(_word_pattern(word), window)]
    return found[-1] if found else -1


_WORD_STEMS = {"subscri", "oversubscri"}   # subscribed, subscription, oversubscribed


def _word_pattern(word: str) -> str:
    return rf"(?<![a-z]){re.escape(word)}" + ("" if word in _WORD_STEMS else r"(?![a-z])")


def _word_first(window: str, word: str) -> int:
    if not word.isascii():
        return window.find(word)
    m = re.search(_word_pattern(word), window)
    return m.start() if m else -1


def _metric(text: str, clause_start: int, candidate: Candidate, s_start: int,
            previous: Candidate | None) -> str | None:
    """The metric word nearest before the figure in its clause, or after it in the clause, or the one
    of the figure before it in the sentence (2022年为100%，...到2025年上半年已降到31.9%), or the
    nearest before it in the sentence."""
    clause_end = _clause_end(text, candidate.end, min(len(text), candidate.end + REACH))
    unit = candidate.unit
    own = _metric_after(text[candidate.start:candidate.end], unit)   # 290 customers, 247.69 million shares
    after = re.split(r"\s(?:and|but|while)\s|而|并|但", text[candidate.end:clause_end])[0]
    price = None
    if candidate.per_share and candidate.unit in ("CNY", "HKD", "USD"):   # a price a share
        price = "offer-price" if re.search(r"offer|发售|发行|招股", text[s_start:clause_end], re.I) else "share-price"
    return (_metric_before(text[clause_start:candidate.start], unit)
            or own
            or _metric_after(after, unit)
            or price
            or (previous.metric if previous is not None and previous.start >= s_start and previous.unit == candidate.unit
                else None)
            or _metric_before(text[s_start:candidate.start], unit))


_LIST_GLUE = re.compile(r"[\s、,，]*(?:和|及|与|以及|and)?[\s、,，]*(?:(?:HK|US)\$|RMB)?\s*")


def _lists(text: str, candidates: Sequence[Candidate]) -> list[int]:
    """For each figure, the index of the first figure of its list (A、B、C / A, B and C)."""
    heads: list[int] = []
    for index, candidate in enumerate(candidates):
        if index and candidate.unit == candidates[index - 1].unit and \
                _LIST_GLUE.fullmatch(text[candidates[index - 1].end:candidate.start]):
            heads.append(heads[-1])
        else:
            heads.append(index)
    return heads


def _listed_names(text: str, first_start: int, s_start: int, count: int) -> list[str]:
    """The names a 分别 list is about: 国盛资本、红杉资本、...等股东的持股比例分别为 -> the names, if as many."""
    before = text[s_start:first_start]
    at = before.rfind("分别")
    if at < 0:
        return []
    head = re.split(r"[，,；;：:]", before[:at])[-1]
    head = re.sub(r"^(?:此外|另外|其中|同时)", "", head)
    items = head.split("、")
    if len(items) != count:
        return []
    items[-1] = re.split(r"等|的", items[-1])[0]
    if any(not item or re.search(r"\d", item) for item in items):
        return []
    return [item.strip() for item in items]


def _holder(text: str, clause_start: int, s_start: int) -> str | None:
    """Who holds a stake: 实际控制人为张建中,通过...持股36.36% -> 张建中."""
    found = re.findall(r"(?:为|是)([\u4e00-\u9fff]{2,4})(?=[，,])", text[s_start:clause_start])
    return found[-1] if found else None


def _nearest_period(periods: list[Mention], candidate: Candidate, clause_start: int, s_start: int, s_end: int,
                    last_date: str | None, text: str = "") -> tuple[str | None, str]:
    # RMB337 million in 2024: a period right after the figure is its own
    right_after = [m for m in periods if candidate.end <= m.start <= candidate.end + 5 and m.codes
                   and re.fullmatch(r"\s*(?:in|for|as of|at)?\s*", text[candidate.end:m.start] if text else "x")]
    if right_after and right_after[0].codes[0]:
        m = right_after[0]
        return (m.span or m.codes[-1]), m.how
    before = [m for m in periods if clause_start <= m.start < candidate.start and m.codes]
    if before:
        m = before[-1]
        return (m.span or m.codes[-1]), m.how
    in_sentence = [m for m in periods if s_start <= m.start < candidate.start and m.codes]
    if in_sentence:
        m = in_sentence[-1]
        return (m.span or m.codes[-1]), m.how
    clause_end = _clause_end(text, candidate.end, s_end) if text else candidate.end
    after = [m for m in periods if candidate.end <= m.start < clause_end and m.codes and len(m.codes) == 1]
    if after:
        return after[0].codes[0], after[0].how
    return None, ""


# --- comparing with the facts ---------------------------------------------------------------------

def candidate_value(candidate: Candidate) -> FigureValue | None:
    """The candidate as the loader would read it for its metric, or None when it cannot be (no metric,
    or a unit that does not fit the metric)."""
    unit = _metric_units().get(candidate.metric or "")
    if unit is None:
        return None
    try:
        amounts = [parse_amount(_amount_text(candidate, stated, unit), unit,
                                bound=candidate.qualifier if candidate.qualifier != "range" else "exact")
                   for stated in candidate.stated]
    except ValueProblem:
        return None
    if candidate.qualifier == "range":
        return FigureValue("range", low=amounts[0], high=amounts[-1], circumstance=candidate.circumstance)
    amount = replace(amounts[0], approximation=candidate.approximation)
    return FigureValue(candidate.qualifier, amount, approximation=candidate.approximation,
                       circumstance=candidate.circumstance)


def _amount_text(candidate: Candidate, stated: str, unit: Unit) -> str:
    """The amount as a fact file writes it for ``unit``: money keeps its currency, a count only its number."""
    match = _AMOUNT.match(stated)
    if unit.is_money or not match:
        return stated
    number = match["num"] + (match["mult"] or "").strip()
    if unit.notation in ("percent", "times"):
        return number + unit.symbol          # 4,126.49 times -> 4,126.49倍
    return stated if (match["unit"] or "").strip() == unit.symbol else number


def compare(new: FigureValue, old: FigureValue) -> str:
    """How a new figure stands to a recorded one; the one place the comparison is decided (kg.facts.reconcile)."""
    return reconcile.compare(new, old)


def _group_of(record: Record) -> tuple[str | None, ...]:
    return (record.ref("of"), record["metric"], record["period"].code if record.get("period") else None,
            record.ref("segment"), record.get("basis"), record.ref("holder"))


def _group(candidate: Candidate) -> tuple[str | None, ...]:
    return (candidate.entity if candidate.entity_known else None, candidate.metric, candidate.period,
            candidate.segment, candidate.basis, candidate.holder)


def status(candidate: Candidate, figures: Sequence[Record], source: str | None) -> Candidate:
    """The candidate with its status against the recorded figures: new, same, more precise, less
    precise, conflict, or already recorded from this source (with what is recorded and where from)."""
    new = candidate_value(candidate)
    if new is None or not candidate.entity_known:
        return candidate
    key = _group(candidate)
    group = [r for r in figures if _group_of(r) == key]
    if candidate.period is None:
        # The text gives no period: the figure may still be one this source gave, under the period
        # the analyst chose for it.
        group = [r for r in figures if _group_of(r)[:2] == key[:2] and _group_of(r)[3:] == key[3:]
                 and source in _sources(r) and _same_numbers(new, r["figure"])]
    if not group:
        return replace(candidate, status="new")
    answers = [(r, compare(new, r["figure"])) for r in group]
    existing = tuple((_stated(r), ", ".join(_sources(r))) for r, _ in answers)
    ours = [answer for r, answer in answers if source in _sources(r)]
    if "same" in ours or any(_same_numbers(new, r["figure"]) for r, _ in answers if source in _sources(r)):
        return replace(candidate, status="already recorded from this source", existing=existing)
    found = [answer for r, answer in answers if source not in _sources(r)] or ours
    for answer in ("conflict", "same", "more precise", "less precise", "consistent"):
        if answer in found:
            return replace(candidate, status=answer, existing=existing)
    return replace(candidate, existing=existing)  # pragma: no cover - compare answers one of the above


def _same_numbers(a: FigureValue, b: FigureValue) -> bool:
    """The same numbers, bounds and cues, whatever their precision says."""
    def numbers(f: FigureValue) -> tuple:
        return tuple(x.value if x is not None else None for x in (f.value, f.low, f.high))
    return (numbers(a), a.qualifier, a.unit) == (numbers(b), b.qualifier, b.unit)


def _sources(record: Record) -> list[str]:
    return sorted({p.source for p in record.provenance})


def _stated(record: Record) -> str:
    figure = record["figure"]
    return figure.value.stated if figure.value else f"{figure.low.stated}–{figure.high.stated}"


# --- the whole step -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Extraction:
    """What ``kg extract`` found in one text."""

    path: str
    source: str | None
    published: dt.date | None
    candidates: tuple[Candidate, ...]
    source_text_stored: bool = False
    lang: str = "zh"


def extract(text: str, *, facts: Facts | None = None, graph: Graph | None = None, source: str | None = None,
            published: dt.date | None = None, path: str = "<text>", lang: str | None = None) -> Extraction:
    """Every figure of ``text``, proposed as a fact and compared with the graph of ``facts``.

    ``source`` names the source the candidates will cite (its publication date, when the facts
    give one, dates 今日 and 上周五); without ``facts`` the figures are read but not compared.
    """
    if facts is not None and graph is None:
        from ..build.pipeline import checked_graph
        graph = checked_graph(facts).to_rdflib()
    stored = False
    if source:
        if facts is None:
            raise UsageError("--source needs the facts the source is in")
        record = next((r for r in facts.of_kind("sources") if r.key == source), None)
        if record is None:
            known = ", ".join(sorted(r.key for r in facts.of_kind("sources")))
            raise UsageError(f"no source '{source}' in {facts.root}; add it to sources first (known: {known})")
        stored = bool(record.get("text"))
        day = record.get("published")
        if published is None and day is not None and day.xsd_type == "date":
            published = dt.date.fromisoformat(day.lexical)
    resolver = Resolver(graph) if graph is not None else None
    candidates = propose(text, find_figures(text, lang=lang, path=path), resolver, published)
    if facts is not None:
        figures = facts.of_kind("figures")
        candidates = [status(c, figures, source) for c in candidates]
    return Extraction(path, source, published, tuple(candidates), stored, lang or guess_language(text))


def read_text_file(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no file {path}") from None
    except UnicodeDecodeError as err:
        raise UsageError(f"{path}: not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot read ({err.strerror})") from None


# --- writing ---------------------------------------------------------------------------------------

def to_json(extraction: Extraction) -> str:
    return json.dumps([c.json() for c in extraction.candidates], ensure_ascii=False, indent=1) + "\n"


_UNIT_SYMBOL = {"CNY": "元", "HKD": "港元", "USD": "美元", "percent": "%", "times": "倍", "chip": "片",
                "organization": "家", "customer": "家", "deployment": "次", "item": "个", "share": "股",
                "account": "户", "day": "天", "person": "人"}


def _yaml_scalar(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _fact_amount(c: Candidate, stated: str, lang: str, *, with_cue: bool = True) -> str:
    """An amount as a fact file writes it: 约28.99亿港元, about HK$2.899 billion, 5.2万 for a count of chips."""
    unit = _metric_units().get(c.metric or "")
    text = _amount_text(c, stated, unit) if unit is not None else stated
    if not (with_cue and c.approximation):
        return text
    written = [cue for cue in APPROXIMATION_CUES if cue in c.cue.lower() and APPROXIMATION_CUES[cue] == c.approximation]
    cue = max(written, key=len) if written else ("约" if c.approximation == "about" else "近") if lang == "zh" else c.approximation
    return f"{cue}{text}" if not cue.isascii() else f"{cue} {text}"


def to_yaml(extraction: Extraction) -> str:
    """Candidate figure entries in the facts format (docs/facts-format.md), each with its evidence in comments.

    What the text does not say is written ``~`` with a TODO: the entries validate once the
    analyst has filled those in (and removed what is not a fact).
    """
    lines = [f"# Candidate figures from {extraction.path}" + (f" (source {extraction.source})" if extraction.source else ""),
             "# Check each entry against its sentence, fill in what is marked TODO, delete what is not a fact",
             "# (and what is already recorded), then move the entries into facts/ and run `kg validate`.",
             "# Format: docs/facts-format.md",
             "figures:"]
    for c in extraction.candidates:
        lines.append("")
        lines.append(f"  # {c.text}  (line {c.line}; {c.status}"
                     + (": " + "; ".join(f"{v} from {s}" for v, s in c.existing) if c.existing else "") + ")")
        lines.append(f"  # sentence: {c.sentence}")
        evidence = [f"value {c.value}" if c.value is not None else f"range {c.low} to {c.high}",
                    f"unit {c.unit or 'none'}" + (" per share" if c.per_share else "")]
        evidence += [f"cue {c.cue}"] if c.cue else []
        evidence += [word for word in (c.approximation, c.circumstance) if word]
        evidence += [f"period from {c.period_how}"] if c.period_how else []
        lines.append(f"  # read: {'; '.join(evidence)}")
        lines.append("  - of: " + _ref(c.entity, c.entity_known, "the company, group, product or segment"))
        if c.holder:
            lines.append("    holder: " + _ref(c.holder, _is_id(c.holder), "who holds the stake"))
        lines.append(f"    metric: {c.metric}" if c.metric else "    metric: ~  # TODO: the metric")
        if c.basis:
            lines.append(f"    basis: {c.basis}" + ("  # TODO: open, close or intraday-high if the text says"
                                                     if c.basis == "not-stated" else ""))
        if c.segment:
            lines.append(f"    segment: {c.segment}")
        lines.append(f"    period: {_yaml_scalar(c.period)}" if c.period
                     else "    period: ~  # TODO: the period, or unspecified with a note")
        if c.qualifier == "range":
            low, high = (_fact_amount(c, s, extraction.lang, with_cue=False) for s in (c.stated[0], c.stated[-1]))
            lines.append(f"    between: [{_yaml_scalar(low)}, {_yaml_scalar(high)}]")
        else:
            key = {"at-least": "at_least", "at-most": "at_most"}.get(c.qualifier, "value")
            lines.append(f"    {key}: {_yaml_scalar(_fact_amount(c, c.stated[0], extraction.lang))}")
        if c.circumstance:
            lines.append(f"    circumstance: {c.circumstance}")
        lines.append(f"    source: {extraction.source}" if extraction.source
                     else "    source: ~  # TODO: the source id (kg extract --source ID)")
        if extraction.source_text_stored:
            lines.append(f"    quote: {_yaml_scalar(c.sentence)}")
        else:
            lines.append("    locator: ~  # TODO: where in the source, in our words (e.g. financials paragraph, H1 2025 net loss)")
    return "\n".join(lines) + "\n"


def _is_id(text: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", text))


def _ref(text: str | None, known: bool, what: str) -> str:
    if text and known:
        return text
    if text:
        return f"~  # TODO: '{text}' is not in the facts yet; add it, then give its id"
    return f"~  # TODO: {what}"


def render(extraction: Extraction, fmt: str) -> str:
    if fmt == "json":
        return to_json(extraction)
    if fmt == "yaml":
        return to_yaml(extraction)
    raise UsageError(f"unknown format '{fmt}'; use yaml or json")


def parse_published(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"'{text}' is not a date written YYYY-MM-DD") from None


__all__ = ["Candidate", "Extraction", "candidate_value", "compare", "extract", "find_figures", "find_periods",
           "propose", "render", "status", "to_json", "to_yaml"]
