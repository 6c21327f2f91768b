"""From an article to candidate facts: every figure, read exactly, with what the text says around it.

``find_figures`` reads a plain text (Chinese in either script, or English) and returns one ``Candidate``
per figure: the number as written, its value (decimal arithmetic through kg.base.values, Chinese numerals
too), unit or currency, the cue words that qualify it (约, 超, 近, 最高, 没有…达到, 预计, 拟 ...), the
sentence, and, where the text allows, the entity, the metric and the period it is about. ``extract`` adds
how each compares with the graph. Nothing here writes facts: the analyst edits what ``to_yaml`` writes
before it enters facts/.

The text is read through a view of it with simplified characters, ASCII for full-width forms and digits
for years written in Chinese numerals, one character for one, so that every offset found in the view is an
offset into the text as written: candidates quote the source's own characters. Each figure looks only at
its own clause, sentence and paragraph, found through indexes built once, so reading stays linear in the
length of the text.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from functools import cache
from pathlib import Path

from rdflib import RDF, Graph, URIRef

from ..base.errors import InputError, Problem, SourceLocation, UsageError
from ..base.hanzi import simplified
from ..base.ontology import GPU, KGR
from ..base.values import (APPROXIMATION_CUES, CHINESE_NUMERAL, CURRENCIES, Unit, ValueProblem, canonical_decimal,
                           chinese_number, parse_amount)
from ..facts import reconcile
from ..facts.read import Facts, FigureValue, Record
from ..query.resolve import Resolver, short

# --- units ----------------------------------------------------------------------------------------

# symbol as written (simplified) -> (unit notation, is a count)
_UNITS = {
    "元人民币": ("CNY", False), "人民币元": ("CNY", False), "人民币": ("CNY", False), "元": ("CNY", False),
    "RMB": ("CNY", False), "CNY": ("CNY", False), "¥": ("CNY", False), "yuan": ("CNY", False),
    "港元": ("HKD", False), "港币": ("HKD", False), "HK$": ("HKD", False), "HKD": ("HKD", False),
    "美元": ("USD", False), "US$": ("USD", False), "USD": ("USD", False), "$": ("USD", False),
    "新台币": ("TWD", False), "台币": ("TWD", False), "NT$": ("TWD", False), "TWD": ("TWD", False),
    "%": ("percent", False), "per cent": ("percent", False), "percent": ("percent", False),
    "倍": ("times", False), "times": ("times", False), "x": ("times", False),
    "片": ("chip", True), "chips": ("chip", True), "家": ("organization", True), "间": ("organization", True),
    "customers": ("customer", True), "次": ("deployment", True), "个": ("item", True), "项": ("item", True),
    "款": ("product", True), "股": ("share", True), "shares": ("share", True), "户": ("account", True),
    "accounts": ("account", True), "天": ("day", True), "days": ("day", True), "人": ("person", True),
    "名": ("person", True), "investors": ("organization", True), "employees": ("person", True),
    "patents": ("item", True), "projects": ("item", True), "GPUs": ("chip", True), "GPU": ("chip", True),
    "点": ("point", False), "points": ("point", False),
}
_MONEY = frozenset(("CNY", "HKD", "USD", "TWD"))
_ZH_MULT = "万亿|千亿|百亿|十亿|千万|百万|十万|亿|万|千|兆"
_ZH_UNITS = "元人民币|人民币元|人民币|港元|港币|美元|新台币|台币|元|%|倍|片|家|间|次|个|项|款|股|户|天|人|名|点"
_EN_UNITS = ("per cent|percent|times|shares|yuan|accounts|customers|chips|GPUs|days|investors|employees|patents|"
             "projects|points")
_CURRENCY_PREFIX = r"HK\$|US\$|NT\$|RMB|CNY|HKD|USD|TWD|新台币|台币|人民币|港币|¥|\$"
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_AMOUNT = re.compile(
    rf"(?P<pre>(?:{_CURRENCY_PREFIX})\s?)?"
    rf"(?:(?P<frac>百分之|千分之|万分之)(?P<fnum>{_NUMBER}|{CHINESE_NUMERAL})|(?P<num>{_NUMBER})|(?P<cnum>{CHINESE_NUMERAL}))"
    rf"(?P<mult>\s?(?:{_ZH_MULT})|\s?(?:trillion|billion|million|thousand)\b|(?:bn|mn)\b)?(?P<tenths>成(?![立为本功员交长熟果都绩效])"
    rf")?(?P<unit>\s?(?:{_ZH_UNITS})|\s(?:(?:new|retail|online|valid|winning|domestic|overseas)\s)?(?:{_EN_UNITS})\b|\s?%|x(?!\w|\.\d))?"
    r"(?P<per>/股|每股|\s(?:per|a) share\b|\seach\b)?"
)
# English multiples: sixfold, five-fold, quintupled, doubling
_FOLD_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
               "twenty": 20, "hundred": 100}
_UPLED = {"doubl": 2, "tripl": 3, "quadrupl": 4, "quintupl": 5, "sextupl": 6}
_MULTIPLE = re.compile(rf"\b(?P<fold>{'|'.join(_FOLD_WORDS)}|\d+)[- ]?fold\b"
                       rf"|\b(?P<upled>{'|'.join(_UPLED)})(?:ed|ing|es|e)\b", re.I)
# 突破万亿元, 破万亿: a multiplier with no number after a cue is one of it
_BARE_MULTIPLIER = re.compile(r"(?<=[破过超逾近])(?P<mult>万亿|亿)(?P<unit>元人民币|人民币|港元|港币|美元|元)?"
                              r"(?P<pre>)(?P<per>)(?P<frac>)(?P<tenths>)")
_RANGE_JOIN = re.compile(r"^\s*(?:至|到|~|～|-|–|—|to|and)\s*$")
_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")

# --- cues -----------------------------------------------------------------------------------------

# cue as written (simplified) -> (qualifier, approximation, circumstance); longest cues are tried first.
_CUES = {
    "约": (None, "about", None), "大约": (None, "about", None), "约为": (None, "about", None), "约合": (None, "about", None),
    "左右": (None, "about", None), "近": (None, "nearly", None), "接近": (None, "nearly", None),
    "将近": (None, "nearly", None), "超过": ("at-least", None, None), "超": ("at-least", None, None),
    "逾": ("at-least", None, None), "突破": ("at-least", None, None), "至少": ("at-least", None, None),
    "冲破": ("at-least", None, None), "冲过": ("at-least", None, None), "过": ("at-least", None, None),
    "破": ("at-least", None, None), "升穿": ("at-least", None, None), "上破": ("at-least", None, None),
    "以上": ("at-least", None, None), "多": ("at-least", None, None), "余": ("at-least", None, None),
    "最高可达": ("at-most", None, None), "最高": ("at-most", None, None), "最多": ("at-most", None, None),
    "不到": ("at-most", None, None), "不足": ("at-most", None, None), "低于": ("at-most", None, None),
    "少于": ("at-most", None, None), "不超过": ("at-most", None, None), "未超过": ("at-most", None, None),
    "未达到": ("at-most", None, None), "未达": ("at-most", None, None), "未满": ("at-most", None, None),
    "达到": (None, None, None), "高达": (None, None, None), "多达": (None, None, None),
    "预计": (None, None, "forecast"), "预期": (None, None, "forecast"), "预测": (None, None, "forecast"),
    "拟": (None, None, "planned"), "计划": (None, None, "planned"), "打算": (None, None, "planned"),
    "about": (None, "about", None), "around": (None, "about", None), "approximately": (None, "about", None),
    "roughly": (None, "about", None), "some": (None, "about", None), "nearly": (None, "nearly", None),
    "almost": (None, "nearly", None), "close to": (None, "nearly", None), "near": (None, "nearly", None),
    "more than": ("at-least", None, None), "over": ("at-least", None, None), "at least": ("at-least", None, None),
    "in excess of": ("at-least", None, None), "above": ("at-least", None, None),
    "up to": ("at-most", None, None), "at most": ("at-most", None, None), "less than": ("at-most", None, None),
    "fewer than": ("at-most", None, None), "no more than": ("at-most", None, None), "under": ("at-most", None, None),
    "reach": (None, None, None), "reaches": (None, None, None), "reached": (None, None, None),
    "exceed": ("at-least", None, None), "exceeds": ("at-least", None, None), "exceeded": ("at-least", None, None),
    "expected": (None, None, "forecast"), "expects": (None, None, "forecast"), "forecast": (None, None, "forecast"),
    "estimated": (None, "about", None), "plans to": (None, None, "planned"), "planned": (None, None, "planned"),
    "aims to": (None, None, "planned"), "seeks to": (None, None, "planned"), "intends to": (None, None, "planned"),
}
_BEFORE_CUES = sorted((c for c in _CUES if c not in ("左右", "以上", "多", "余")), key=len, reverse=True)
_AFTER_CUES = ("左右", "以上", "多", "余")
# A cue that says the figure was reached or passed: under a negation it bounds the figure from above
# (没有一家达到1%, no rival reaches 1%: each is under 1%).
_REACHED = frozenset(("达到", "达", "超过", "超", "突破", "过", "破", "高达", "reach", "reaches", "reached", "exceed",
                      "exceeds", "exceeded", "more than", "over", "above", "at least"))
_NEGATION = re.compile(r"没有|没|未曾|未|从未|并未|无一|无人|不曾|\b(?:no|not|none|never|nobody|neither|nor)\b|n't", re.I)
_GROWS_TO = re.compile(r"\s*(?:再|将|并|进一步|and|then)?\s*(?:升穿|增至|增长至|达到|升至|突破|上破|超过|reaching|rising to|to)\s*",
                       re.I)
_HYPOTHETICAL = re.compile(r"假如|假设|如果|若按|若以|倘若|潜在|\bpotential\b|\bif\b|\bwere\b.{0,20}\bat\b", re.I)
_PLAN_SENTENCE = re.compile(r"预案|(?:重组|交易|合并|吸并|发行|收购|融资|分拆)方案|原先的安排|原计划|\bthe plan\b|\bproposal\b", re.I)
_FORECAST_PARAGRAPH = re.compile(r"业绩预告|业绩预测|预告|\bguidance\b", re.I)
_CLAUSE_CHARS = frozenset("，,；;。！!？?：:\n（）()")
_WINDOW = 160     # how far back a figure looks for its cue, metric or name within its clause


def _ends_clause(text: str, i: int) -> bool:
    """Whether ``text[i]`` ends a clause: Chinese and English punctuation, or the space after a full stop."""
    c = text[i]
    if c in _CLAUSE_CHARS:
        return not (c == "," and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit())
    return c == " " and i >= 2 and text[i - 1] == "." and (text[i - 2].isalnum() or text[i - 2] == "%")

# --- metrics: keyword -> metric id; the keyword nearest the figure in its clause wins ----------------
#
# Some words name what a figure is about without a metric of the vocabulary (净利润, 换手率, 市销率): they
# are kept so that a farther word does not win, and the vocabulary then leaves the figure without a metric.
# A few are kinds the text decides with more than one word: "gain" (a rise in percent), "price" (a share
# price), "market-value", "growth" and "share" (占比 of what).

_METRIC_WORDS: tuple[tuple[str, str], ...] = (
    ("经调整净亏损", "adjusted-net-loss"), ("净亏损率", "net-loss-rate"), ("累计亏损", "cumulative-net-loss"),
    ("净亏损", "net-loss"), ("亏损", "net-loss"), ("复合年增长率", "revenue-cagr"), ("复合增长率", "revenue-cagr"), ("年复合增速", "revenue-cagr"), ("研发人员", "rd-staff-share"),
    ("研发开支", "rd-expense"), ("研发投入", "rd-expense"), ("研发费用", "rd-expense"), ("毛利率", "gross-margin"),
    ("收入占比", "revenue-share"), ("占比", "share"), ("比重", "share"), ("营收", "revenue"), ("营业收入", "revenue"),
    ("收入", "revenue"), ("出货量", "shipments"), ("累计交付", "cumulative-deliveries"), ("客户", "customers"),
    ("部署", "deployments"), ("项目数", "projects"), ("授权专利", "granted-patents"), ("在审", "pending-patents"),
    ("发售价", "offer-price"), ("发行价", "offer-price"), ("招股价", "offer-price"), ("定价", "offer-price"),
    ("发售的股份", "shares-offered"), ("发行的股份", "new-shares-issued"),
    ("新发行", "new-shares-issued"), ("总股本", "total-shares"), ("募资总额", "gross-proceeds"),
    ("募集资金总额", "gross-proceeds"), ("募资净额", "net-proceeds"), ("募资额", "gross-proceeds"),
    ("募集资金", "gross-proceeds"), ("集资", "gross-proceeds"),
    ("基石投资者", "cornerstone-investors"), ("合计金额", "cornerstone-subscription"), ("认购金额", "cornerstone-subscription"),
    ("募资", "gross-proceeds"), ("网上申购", "online-subscribers"), ("申购户数", "online-subscribers"),
    ("申购股数", "shares-subscribed"), ("倍数", "oversubscription"), ("超额认购", "oversubscription"),
    ("中签率", "allotment-rate"), ("持股", "shareholding"), ("首日涨幅", "gain"), ("涨幅", "gain"),
    ("大涨", "gain"), ("上升", "gain"), ("上扬", "gain"), ("高开", "gain"), ("高出", "gain"), ("涨", "gain"), ("大升", "gain"), ("飙升", "gain"),
    ("收盘", "price"), ("收报", "price"), ("收于", "price"), ("开盘价", "price"), ("收盘价", "price"), ("开盘", "price"),
    ("最高价", "price"), ("冲到", "price"), ("股价", "price"), ("报", "price"),
    ("市值", "market-value"), ("估值", "valuation"), ("账面盈利", "paper-gain-per-lot"), ("浮盈", "paper-gain-per-lot"),
    ("仅用了", "days-to-approval"), ("经营开支", "rd-expense-share-of-opex"),
    ("扣除非经常性损益后的净利润", "adjusted-net-profit"), ("扣非净利润", "adjusted-net-profit"),
    ("扣非后净利润", "adjusted-net-profit"), ("扣非归母净利润", "adjusted-net-profit"), ("净利润", "net-profit"), ("净利", "net-profit"), ("换手率", "turnover-rate"), ("成交额", "trading-value"),
    ("市销率", "price-to-sales"), ("市盈率", "price-to-earnings"), ("换股价格", "swap-price"), ("换股比例", "exchange-ratio"),
    ("市场份额", "market-share"), ("市占率", "market-share"), ("市场占有率", "market-share"),
    ("年增", "growth"), ("同比增长", "growth"), ("按年增长", "growth"), ("增长", "growth"), ("增加", "growth"),
    ("贡献", "revenue-relative-to-period"),
    ("began trading", "gain"), ("started trading", "gain"), ("above", "gain"),
    ("subscribed", "shares-subscribed"), ("accounts", "online-subscribers"), ("subscri", "oversubscription"),
    ("申购", "oversubscription"), ("oversubscri", "oversubscription"), ("after fees", "net-proceeds"),
    ("扣掉发行费用", "net-proceeds"), ("holds", "shareholding"),
    ("opened", "gain"), ("higher", "gain"), ("up", "gain"), ("closed at", "price"), ("finished at", "price"),
    ("ended at", "price"), ("trading at", "price"), ("opened at", "price"), ("opening price", "price"),
    ("closing price", "price"), ("intraday high", "price"),
    ("as high as", "price"), ("compound annual growth rate", "revenue-cagr"), ("cagr", "revenue-cagr"),
    ("delivered", "cumulative-deliveries"), ("subscribe", "cornerstone-subscription"),
    ("adjusted net loss", "adjusted-net-loss"), ("net loss", "net-loss"), ("net losses", "net-loss"),
    ("cumulative loss", "cumulative-net-loss"), ("revenue", "revenue"), ("sales", "revenue"),
    ("net profit", "net-profit"), ("net income", "net-profit"), ("price-to-sales", "price-to-sales"),
    ("price-to-earnings", "price-to-earnings"), ("turnover", "turnover"),
    ("r&d", "rd-expense"), ("gross margin", "gross-margin"), ("shipments", "shipments"), ("customers", "customers"),
    ("offer price", "offer-price"), ("priced at", "offer-price"), ("ipo price", "offer-price"),
    ("issue price", "offer-price"), ("lottery rate", "allotment-rate"), ("winning rate", "allotment-rate"),
    ("有效申购", "shares-subscribed"), ("超购", "oversubscription"), ("认购倍数", "oversubscription"), ("shares", "shares-offered"),
    ("gross proceeds", "gross-proceeds"), ("raise", "gross-proceeds"), ("raised", "gross-proceeds"),
    ("raising", "gross-proceeds"), ("ipo of", "gross-proceeds"), ("net proceeds", "net-proceeds"),
    ("cornerstone investors", "cornerstone-investors"), ("cornerstone", "cornerstone-subscription"),
    ("new shares", "new-shares-issued"), ("market capitalisation", "market-value"),
    ("market capitalization", "market-value"), ("market cap", "market-value"),
    ("market value", "market-value"), ("oversubscribed", "oversubscription"), ("market share", "market-share"),
    ("allotment rate", "allotment-rate"), ("stake", "shareholding"), ("valuation", "valuation"),
    ("跌幅", "fall"), ("下跌", "fall"), ("跌", "fall"), ("fell", "fall"), ("dropped", "fall"), ("slumped", "fall"),
    ("tumbled", "fall"), ("lost", "fall"),
    ("jumped", "gain"), ("rose", "gain"), ("soared", "gain"), ("climb", "gain"), ("climbed", "gain"),
    ("surged", "gain"), ("surge", "gain"), ("leapt", "gain"), ("gained", "gain"), ("added", "gain"),
    ("year on year", "growth"), ("growth", "growth"), ("grew", "growth"),
    # an offering's own words: its tranches, lots, subscription rules and clawback
    ("最终发行", "shares-offered"), ("发行", "shares-offered"), ("发售股份", "shares-offered"), ("发售", "shares-offered"),
    ("获配", "allotment-share"), ("配售份额", "allotment-share"), ("配售比例", "allotment-share"),
    ("回拨", "clawback-shares"), ("转到网上", "clawback-shares"), ("转至网上", "clawback-shares"),
    ("转到网下", "clawback-shares"), ("转至网下", "clawback-shares"),
    ("每手", "lot-size"), ("每签", "lot-size"), ("每个中签号", "lot-size"), ("一手", "lot-size"),
    ("lot of", "lot-size"), ("board lot", "lot-size"),
    ("缴款", "payment-per-lot"), ("入场费", "payment-per-lot"), ("entry fee", "payment-per-lot"),
    ("申购上限", "subscription-cap"), ("顶格", "subscription-cap"), ("最多可申购", "subscription-cap"),
    ("沪市市值", "holding-requirement"), ("深市市值", "holding-requirement"), ("持有市值", "holding-requirement"),
    ("询价", "bidding-institutions"), ("配售对象", "placement-accounts"), ("参与申购", "online-subscribers"),
    ("申购户", "online-subscribers"), ("有效申购股数", "shares-subscribed"),
    ("潜在收益", "paper-gain-per-lot"), ("paper gain", "paper-gain-per-lot"), ("中一签", "paper-gain-per-lot"),
)
# What kinds of amount the words without a metric of their own fit.
_KIND_UNITS = {"gain": ("percent",), "fall": ("percent",), "price": tuple(_MONEY), "market-value": tuple(_MONEY), "growth": ("percent", "times"),
               "share": ("percent",), "net-profit": tuple(_MONEY), "turnover-rate": ("percent",),
               "turnover": tuple(_MONEY), "valuation": tuple(_MONEY), "swap-price": tuple(_MONEY),
               "price-to-sales": (None,), "price-to-earnings": (None,), "swap-ratio": (None,)}
_CUMULATIVE = ("累计", "合计", "三年半", "报告期内", "cumulative", "in total", "combined")
_FIRST_DAY = re.compile(r"首日|上市首日|首个交易日|挂牌首日|上市当天|上市当日|开市首日|上市第一天|首秀|\bdebut|"
                        r"\bfirst (?:trading )?day\b|\bfirst day of trading\b|\bbegan trading\b|\bstarted trading\b|"
                        r"\blisting day\b", re.I)
# A sentence that says a company listed that day: 8日在香港交易所挂牌, 登陆科创板, listed on Thursday (not
# 上市公司, 上市前, 科创板上市网上发行: words about listing in general).
_LISTED = re.compile(r"挂牌|登陆|正式上市|上市首日|首日上市|(?<!申请)(?<!计划)(?<!拟)(?<!将)(?<!筹划)(?:在|于)\S{1,12}上市(?!申请|辅导|前|后|网上|网下|公司|计划|时)|"
                     r"\blisted (?:on|in)\b|\bthat listed\b|\bdebut|\bbegan trading\b|\bfirst day of trading\b", re.I)
_THRESHOLD = re.compile(r"^\s*(?:的)?\s*(?:门槛|标准|红线|threshold|trigger)", re.I)
_SIZE_BAND = re.compile(r"\bIPOs? of\s*between\s*$", re.I)
_TIME_OF_DAY = re.compile(r"\d{1,2}\s?[点时]\s?\d{1,2}\s?分|\d{1,2}[:：]\d\d|\d{1,2}\.\d\d\s?[ap]\.?m\b", re.I)

# --- periods ----------------------------------------------------------------------------------------

_ZH_NUMERAL = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAYS_EN = {d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
_MONTHS_EN = {m: i + 1 for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                               "august", "september", "october", "november", "december"))}
_MONTH_WORD = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
               r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?")
_YEAR = r"(?:19|20)\d\d"
_QUARTER = r"第?[一二三四1-4]季度?|前[三3]季度?|Q[1-4]"
_HALF_ZH = r"上半年|下半年"
_SPAN = re.compile(
    rf"(?P<a>{_YEAR})年?(?P<ah>上半年)?\s*(?:至|到|—|–|-|~)\s*(?P<b>{_YEAR})年?(?P<bh>{_HALF_ZH}|{_QUARTER})?"
    rf"(?:(?:及|和|以及|与|、)(?P<c>{_YEAR})年?(?P<ch>{_HALF_ZH}|{_QUARTER}))?(?:间|期间)?"
    rf"|from (?P<ea>{_YEAR}) (?:to|through) (?:the first half of )?(?P<eb>{_YEAR})"
    rf"|过去(?P<n>[1-9一二三四五])年(?:加上|加|和|及|以及)?\s*(?P<y>{_YEAR})年?前(?:[三3])季度?"
)
_PERIOD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(rf"(?P<y>{_YEAR})年(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})日")),
    ("date-cn", re.compile(rf"(?P<y>{_YEAR})年(?P<m>[一二三四五六七八九十]{{1,3}})月(?P<d>[一二三四五六七八九十]{{1,3}})日")),
    ("date", re.compile(rf"(?P<y>{_YEAR})-(?P<m>\d\d)-(?P<d>\d\d)")),
    ("date-en", re.compile(rf"(?P<mn>{_MONTH_WORD})\s+(?P<d>\d{{1,2}}),?\s+(?P<y>{_YEAR})", re.I)),
    ("year-end", re.compile(rf"(?P<y>{_YEAR})年(?:底|末|年底|年末)|\bend of (?P<y2>{_YEAR})\b|(?P<rel>去年|今年|前年)(?:年)?(?:底|末)",
                            re.I)),
    ("month-end", re.compile(rf"(?:(?P<y>{_YEAR})年|(?P<rel>去年|今年|前年))?(?<!\d)(?P<m>\d{{1,2}})月(?:底|末)"
                             rf"|\bend of (?P<mn>{_MONTH_WORD})(?:,? (?P<y2>{_YEAR}))?", re.I)),
    ("half", re.compile(rf"(?P<y>{_YEAR})年?(?P<h>上半年|下半年|H1|H2)|(?<![\d年])(?P<h3>上半年|下半年)")),
    ("half-en", re.compile(rf"(?:the )?(?P<h>first|second) half of (?P<y>{_YEAR})|\b(?P<h2>H[12]) (?P<y2>{_YEAR})", re.I)),
    ("nine-months", re.compile(rf"(?P<y>{_YEAR})?年?(?:前[三3]季度?|前9个月|前九个月)"
                               rf"|\b(?:the )?first (?:three quarters|nine months)(?: of (?P<y2>{_YEAR}))?"
                               rf"|\bQ1\s?[-–]\s?Q3(?: (?P<y3>{_YEAR}))?", re.I)),
    ("quarter", re.compile(rf"(?P<y>{_YEAR})年?第?(?P<q>[一二三四1-4])季度?|(?P<y2>{_YEAR})\s?Q(?P<q2>[1-4])"
                           rf"|\bQ(?P<q3>[1-4]) (?P<y3>{_YEAR})|(?<![\d年])第(?P<q4>[一二三四1-4])季度?"
                           rf"|\b(?:the )?(?P<q5>first|second|third|fourth) quarter(?: of (?P<y5>{_YEAR}))?", re.I)),
    ("month-day", re.compile(r"(?<!\d)(?P<m>\d{1,2})月(?P<d>\d{1,2})日")),
    ("month-day-en", re.compile(rf"\b(?:on )?(?P<mn>{_MONTH_WORD})\s+(?P<d>\d{{1,2}})\b(?!,?\s+{_YEAR})", re.I)),
    ("month-day-dash", re.compile(r"(?<![\d.\-/])(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d\-/]|\.\d)")),
    ("year", re.compile(rf"(?P<y>{_YEAR})(?:年(?:全年|度)?|全年)|\b(?:FY|fiscal |in |for |of )(?P<y2>{_YEAR})\b"
                        rf"|(?<![\d-])(?P<y3>{_YEAR})(?=[,，、 ]|$)")),
    ("relative", re.compile(r"今日|今天|今早|今晨|今晚|昨日|昨天|前日|前天|上周(?P<w>[一二三四五六日天])|下周(?P<w4>[一二三四五六日天])"
                            r"|本周(?P<w2>[一二三四五六日天])|(?<![上本下])(?:周|星期|礼拜)(?P<w3>[一二三四五六日天])"
                            r"|\btoday\b|\byesterday\b|\bnow\b|\bcurrently\b|目前|现时"
                            r"|\blast (?P<we>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
                            r"|\b(?:on )?(?P<we2>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)),
    ("relative-year", re.compile(r"今年|去年|前年|明年|\bthis year\b|\blast year\b|\bnext year\b", re.I)),
    ("that-quarter", re.compile(r"该季度?|当季|同季|本季度?|\b(?:that|the same) quarter\b", re.I)),
    ("day", re.compile(r"(?<![\d月年日])(?P<d>\d{1,2})日")),
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
    unit: str | None               # CNY, HKD, USD, TWD, percent, times, share, chip, ...
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
    basis: str | None = None       # a listing-day figure's basis: open, close, intraday-high, not-stated
    metric: str | None = None      # a metric of the vocabulary, or None
    period: str | None = None
    period_how: str = ""           # how the period was read
    status: str = "new"
    existing: tuple[tuple[str, str], ...] = ()   # (value as the graph has it, its source) behind the status
    currency_from: str | None = None   # how a currency the amount does not write was read ("the text's currency")
    market: str | None = None      # a market share's market, as written
    conversion_of: str | None = None   # the amount this one converts, as the source wrote both (US$11bn beside HK$85.5bn)
    recorded: tuple[str, ...] = ()     # the recorded statements (fact keys) it matches

    def json(self) -> dict[str, object]:
        out = asdict(self)
        out["existing"] = [{"value": v, "source": s} for v, s in self.existing]
        out["recorded"] = list(self.recorded)
        return out


# --- the text as read ---------------------------------------------------------------------------------

_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")
_CN_YEAR = re.compile("[〇○零一二三四五六七八九]{4}(?=年)")
_CN_DIGIT = str.maketrans("〇○零一二三四五六七八九", "00012345678" + "9")


def reading_view(text: str) -> str:
    """``text`` as the extractor matches it, one character for one: simplified characters, ASCII for
    full-width forms (２０２５, ％, ＡＩ), digits for a year in Chinese numerals (二○二五年 -> 2025年)."""
    view = simplified(text)
    if _FULL_WIDTH.search(view):
        view = _FULL_WIDTH.sub(lambda m: _one(unicodedata.normalize("NFKC", m[0]), m[0]), view)
    if _CN_YEAR.search(view):
        view = _CN_YEAR.sub(lambda m: m[0].translate(_CN_DIGIT), view)
    return view


def _one(folded: str, original: str) -> str:
    return folded if len(folded) == 1 else original


class _Index:
    """Where clauses, sentences and paragraphs of a text end, for lookups by bisection."""

    def __init__(self, view: str):
        self.view = view
        self.breaks = [i for i, c in enumerate(view) if (c in _CLAUSE_CHARS or c == " ") and _ends_clause(view, i)]
        self.newlines = [i for i, c in enumerate(view) if c == "\n"]

    def clause_start(self, position: int) -> int:
        at = bisect.bisect_left(self.breaks, position)
        return self.breaks[at - 1] + 1 if at else 0

    def clause_end(self, position: int) -> int:
        at = bisect.bisect_left(self.breaks, position)
        return self.breaks[at] if at < len(self.breaks) else len(self.view)

    def paragraph_start(self, position: int) -> int:
        at = bisect.bisect_left(self.newlines, position)
        return self.newlines[at - 1] + 1 if at else 0


# --- reading numbers ------------------------------------------------------------------------------

_TICKER_WORDS = re.compile(r"(?:代码|代号|股票代码|证券代码|stock code|ticker|code)\s*[“\"'「:：]?\s*$", re.I)
_INDEX_NAME = re.compile(r"(?:STAR|CSI|SSE|SZSE|Nasdaq|FTSE|MSCI|S&P|Hang Seng|科创|沪深|上证|中证|深证|恒生|创业板)\s?$", re.I)
_EPITHET = re.compile(r"\s?(?:小龙|小虎|强|大金刚|少年)")
_MINUTES = re.compile(r"\s?(?:分钟|分(?!之|别|析|红|配|拆|钟|行))")


def _is_excluded(text: str, match: re.Match[str]) -> str | None:
    """Why a number is not a figure (a year, a date, a time, a code, a citation, a rank ...), or None."""
    start, end = _number_span(match)
    before, after = text[max(0, start - 1):start], text[end:end + 3]
    plain = not (match["unit"] or match["mult"] or match["pre"] or match["frac"] or match["tenths"])
    if match["cnum"] is not None:
        return _chinese_excluded(text, match, start, end)
    number = match["num"] or match["fnum"] or ""
    if before == "第" or text[max(0, start - 2):start] == "第 ":
        return "an ordinal (第5号, 第1分钟, 第4季)"
    if match["pre"] is None and before and re.match(r"[A-Za-z_]", before):
        return "part of a name or code"       # A100, Gen1, HK9903
    if re.match(r"\s?[年月日号季]", after) or _in_date(text, start, end):
        return "a date"
    if re.match(r"\s?[时点]\s?\d", text[end:end + 5]) or (
            re.match(r"\s?[时点]", after) and Decimal(number.replace(",", "")) <= 24):
        return "a time of day"
    if re.match(r"\s?[时点]", after) and re.search(r"(?:上午|下午|早上|晚上|凌晨|中午|晚间)\s?$", text[max(0, start - 4):start]):
        return "a time of day"
    if re.search(r"[点时]\s?$", text[max(0, start - 2):start]) and _MINUTES.match(text, end):
        return "a time of day"
    if re.match(r"\s?(?:a\.m\.|p\.m\.|am\b|pm\b)", text[end:end + 6], re.I):
        return "a time of day"
    if _MINUTES.match(text, end) and not match["unit"]:
        return "a length of time (minutes)"
    if re.match(r"\s?字", after):
        return "the length of the text"
    if re.match(r"\.[A-Z]{2}\b", after):
        return "a ticker"
    if re.match(r"\s*\]", text[end:end + 3]) and re.search(r"\[\s*$", text[max(0, start - 3):start]):
        return "a citation marker"
    if re.match(r"\s?[:：]\s?\d", text[end:end + 3]) or re.search(r"\d\s?[:：]\s?$", text[max(0, start - 3):start]):
        return "a ratio"
    if not plain:
        return None
    if re.search(r"[A-Z]{2,}:\s?$", text[max(0, start - 8):start]) or _TICKER_WORDS.search(text[max(0, start - 12):start]):
        return "a ticker"
    if re.fullmatch(r"\d{4,6}", number) and (number.startswith("0") or (
            re.search(r"[（(]\s*$", text[max(0, start - 2):start]) and re.match(r"\s*[)）]", text[end:end + 2]))):
        return "a ticker"
    if _INDEX_NAME.search(text[max(0, start - 10):start]) or re.match(r"\s?(?:Index|指数)", text[end:end + 7]):
        return "part of an index's name"
    if _EPITHET.match(text, end):
        return "part of a name (4小龙, 50强)"
    if re.search(rf"\b{_MONTH_WORD}\s+$", text[max(0, start - 12):start], re.I):
        return "a date"
    if re.match(r"[A-Za-z]", after[:1]) or re.match(r"\s?(?:nm|GB|TB)\b", after):
        return "part of a name or code"
    if re.fullmatch(_YEAR, number):
        return "a year"
    if _month_day_dash(text, start, end):
        return "a date"
    line_start = text.rfind("\n", max(0, start - 8), start) + 1 if "\n" in text[max(0, start - 8):start] else None
    if (line_start is not None or start <= 4) and re.fullmatch(r"\s*\(?", text[line_start or 0:start]) \
            and re.match(r"[.、)）]", after[:1]):
        return "list numbering"
    if not text[end:].strip():
        return "cut off: the text ends right after it, before its unit"
    return None


def _chinese_excluded(text: str, match: re.Match[str], start: int, end: int) -> str | None:
    """Chinese numerals are figures only with a unit that makes them one: 六千三百亿, 四十三倍, 百分之四, 九成."""
    written = match["cnum"]
    if text[max(0, start - 1):start] == "第":
        return "an ordinal"
    if re.match(r"\s?[年月日号]", text[end:end + 2]):
        return "a date"
    if match["tenths"]:
        return None
    if match["mult"]:   # 六千三百亿; a lone 千亿 only after a cue (过千亿), not as a word (千亿市值)
        return None if len(written) >= 2 or re.search(r"[过破超逾近约达到]$", text[max(0, start - 1):start]) \
            else "a word, not a figure"
    unit = (match["unit"] or "").strip()
    if not unit or unit in ("点", "人", "名", "天"):
        return "a word, not a figure"
    if len(written) < 2 and unit != "倍":
        return "a word, not a figure (一家, 两个)"
    return None


def _number_span(match: re.Match[str]) -> tuple[int, int]:
    for name in ("num", "cnum", "fnum"):
        if match[name] is not None:
            start = match.start("frac") if name == "fnum" else match.start(name)
            return start, match.end(name)
    return match.span()  # pragma: no cover - the pattern always has a number


_DATE_LIKE = re.compile(r"\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?|\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{1,2}[:：]\d{2}(?:[:：]\d{2})?")


def _in_date(text: str, start: int, end: int) -> bool:
    """Whether the number at ``start:end`` is part of a date or a time: 2025-12-05, 12/5, 03:01."""
    left, right = start, end
    while left > 0 and start - left < 12 and re.match(r"[\d\-/:：.]", text[left - 1]):
        left -= 1
    while right < len(text) and right - end < 12 and re.match(r"[\d\-/:：.]", text[right]):
        right += 1
    run = text[left:right].rstrip(".-/:：")
    return run != text[start:end] and bool(_DATE_LIKE.fullmatch(run))


def _month_day_dash(text: str, start: int, end: int) -> bool:
    """12-10 or 01-22 with no unit: a month and a day (a page's date line), never a range 12 to 10."""
    pair = re.compile(r"(?<![\d.\-/])(\d{1,2})-(\d{1,2})(?![\d\-/%]|\.\d|\s?(?:[万亿元%倍家股个]|times|percent))")
    for m in pair.finditer(text, max(0, start - 3), min(len(text), end + 3)):
        if m.start() <= start and end <= m.end():
            month, day = int(m[1]), int(m[2])
            padded = m[1].startswith("0") or m[2].startswith("0")
            return 1 <= month <= 12 and 1 <= day <= 31 and (padded or month > day)
    return False


def _amount_value(match: re.Match[str], number: str, mult: str | None, unit: str | None, is_count: bool) -> Decimal | int:
    """The exact value of ``number`` times its multiplier, read by kg.base.values as the loader reads amounts."""
    digits = number.replace(",", "")
    mult = (mult or "").strip()
    fraction = match["frac"] or ""
    tenths = match["tenths"] or ""
    if fraction or tenths:
        return parse_amount(fraction + digits + mult + tenths, Unit("percent", "", False)).value
    notation = unit or "number"
    counted = (is_count or (unit is None and "." not in digits and "点" not in digits and not mult)) \
        and notation not in ("percent", "times")
    try:
        return parse_amount(digits + mult, Unit(notation, "", counted)).value
    except ValueProblem:   # a count that is not whole (0.5家): keep the decimal; the analyst decides
        return parse_amount(digits + mult, Unit(notation, "", False)).value


def _unit_of(match: re.Match[str]) -> tuple[str | None, bool, bool]:
    symbol = (match["unit"] or "").strip()
    pre = (match["pre"] or "").strip()
    per_share = bool(match["per"])
    notation, count = None, False
    if match["frac"] or match["tenths"]:
        return "percent", False, per_share
    if symbol in _UNITS:
        notation, count = _UNITS[symbol]
    if pre in _UNITS:                       # HK$5.58 billion, 新台币97亿元: the prefix is the currency
        notation, count = _UNITS[pre]
    return notation, count, per_share


def guess_language(text: str) -> str:
    """zh when a tenth of the letters are Chinese characters, else en."""
    cjk = len(_CJK_CHAR.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "zh" if cjk * 10 >= cjk + latin and cjk else "en"


_CUE_GAP = re.compile(r"(?:\s|[为达到了已至是约占]|\b(?:was|were|is|are|of|at|reached|to|by|stood at|stands at)\b)*", re.I)


def _cues(view: str, start: int, end: int, clause_start: int, sentence_start: int, paragraph_start: int,
          lang: str) -> tuple[str, str | None, str | None, str | None, int]:
    """The cue words of a number: (as written, qualifier, approximation, circumstance, where its text starts).

    A bound or an approximation (超过, 约, 最高可达, more than, about) is read only right before the
    number, or with 为/达/was/of between them, so that "over the period" further back is not read
    as "over"; 以上 and 左右 come right after it. A word of reaching (达到, 超过, reaches) under a
    negation earlier in the clause (没有…达到1%) is an upper bound. A forecast (预计, expected) or a plan
    (拟, plans to) holds for the clause, a plan's document (预案) for the sentence, a results forecast
    (业绩预告) for the rest of its paragraph.
    """
    window_start = max(clause_start, start - _WINDOW)
    window = view[window_start:start]
    lowered = window.lower()
    spans: list[tuple[int, int, str]] = []
    for cue in _BEFORE_CUES:
        if cue not in lowered:
            continue
        for m in re.finditer(re.escape(cue) if not cue.isascii() else rf"\b{re.escape(cue)}\b", lowered):
            if cue == "拟" and m.start() > 0 and lowered[m.start() - 1] in "模虚":
                continue
            if cue == "计划" and lowered.startswith(("发售", "发行"), m.end()):
                continue     # 本次计划发售的股份: the offering's own size, as its prospectus gives it
            if not any(a < m.end() and m.start() < b for a, b, _ in spans):
                spans.append((m.start(), m.end(), cue))
    qualifier = approximation = circumstance = None
    found: list[str] = []
    reached: int | None = None
    position = shown = len(window)
    for a, b, cue in sorted(spans, reverse=True):   # from the number backwards, while the cues are adjacent
        if not _CUE_GAP.fullmatch(window[b:position]):
            break
        q, x, c = _CUES[cue]
        qualifier, approximation, circumstance = qualifier or q, approximation or x, circumstance or c
        if cue in _REACHED and reached is None:
            reached = a
        if q or x or c:
            found.append(cue)
            shown = a
        position = a
    if reached is not None and qualifier != "at-most" and _NEGATION.search(window[:position]):
        qualifier, shown = "at-most", min(shown, reached)
        found.append(window[reached:].split()[0] if window[reached:].split() else "")
    position = shown
    baseline = bool(re.search(r"(?:由|从|\bfrom)\s*\S{0,12}$", view[max(sentence_start, start - 14):start]))
    for a, b, cue in spans:
        if _CUES[cue][2] and cue not in found and not (baseline and _CUES[cue][2] == "forecast"):
            circumstance = circumstance or _CUES[cue][2]
            found.insert(0, cue)
    if circumstance is None and not baseline and _GROWS_TO.fullmatch(view[clause_start:start]):
        # 预计规模会由2024年底的35万亿元再大幅增长，升穿40万亿元: a clause that only carries the forecast on
        # is the forecast's (not the figure it grows from)
        earlier = view[max(sentence_start, clause_start - _WINDOW):clause_start]
        if re.search(r"预计|预期|预测|\bexpect(?:s|ed)?\b|\bforecasts?\b", earlier, re.I):
            circumstance = "forecast"
    for cue in _AFTER_CUES if lang == "zh" else ():
        if view.startswith(cue, end):
            q, x, _ = _CUES[cue]
            qualifier, approximation = qualifier or q, approximation or x
            found.append(cue)
    if circumstance is None and _PLAN_SENTENCE.search(view[max(sentence_start, start - 2 * _WINDOW):start]):
        circumstance = "planned"
    if circumstance is None and _FORECAST_PARAGRAPH.search(view[max(paragraph_start, start - 4 * _WINDOW):start]):
        circumstance = "forecast"
    adjacent = window[position:].strip()
    written = " ".join(part for part in (adjacent, *(c for c in found if c not in adjacent.lower())) if part)
    return written, qualifier, approximation, circumstance, window_start + position


@dataclass(frozen=True)
class _Raw:
    """A number the text writes, before ranges are joined: where, its unit, and how it is read."""

    start: int          # where its text starts (a currency before it included)
    end: int
    num_start: int
    value: Decimal | int
    unit: str | None
    count: bool
    per_share: bool
    stated: str
    mult: str
    match: re.Match[str] | None


def _raw_numbers(text: str, view: str, path: str, problems: list[Problem]) -> list[_Raw]:
    raw: list[_Raw] = []
    for match in _AMOUNT.finditer(view):
        if _is_excluded(view, match):
            continue
        unit, count, per_share = _unit_of(match)
        number = match["num"] or match["cnum"] or match["fnum"]
        num_start, _ = _number_span(match)
        try:
            value = _amount_value(match, number, match["mult"], unit, count)
        except ValueProblem as problem:
            if not _OTHER_DIGITS.search(view, num_start, match.end()):  # those are named once, below
                problems.append(_problem(text, path, num_start, str(problem)))
            continue
        raw.append(_Raw(match.start(), match.end(), num_start, value, unit, count, per_share,
                        text[match.start():match.end()].strip(), (match["mult"] or "").strip(), match))
    for match in _BARE_MULTIPLIER.finditer(view):
        unit, count, _ = _unit_of(match)
        raw.append(_Raw(match.start(), match.end(), match.start(), parse_amount("1" + match["mult"], Unit(unit or "number", "", False)).value,
                        unit, count, False, text[match.start():match.end()].strip(), match["mult"], None))
    for match in _MULTIPLE.finditer(view):
        word = (match["fold"] or match["upled"]).lower()
        value = int(word) if word.isdigit() else _FOLD_WORDS.get(word) or _UPLED[word]
        raw.append(_Raw(match.start(), match.end(), match.start(), Decimal(value), "times", False, False,
                        text[match.start():match.end()], "", None))
    raw.sort(key=lambda r: r.start)
    return raw


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
    view = reading_view(text)
    index = _Index(view)
    raw = _raw_numbers(text, view, path, problems)
    if problems:
        raise InputError(sorted(problems))
    # Ranges: 17.00至19.60港元, 53%—61%, RMB1.2 billion to RMB1.5 billion, 人民币60亿元到70亿元.
    merged: list[tuple[int, _Raw, _Raw | None]] = []
    i = 0
    while i < len(raw):
        first = raw[i]
        if i + 1 < len(raw):
            nxt = raw[i + 1]
            between = view[first.end:nxt.start]
            if (_RANGE_JOIN.match(between) and (first.unit is None or first.unit == nxt.unit)
                    and not (between.strip() == "and" and not re.search(r"between\s*$", view[max(0, first.start - 12):first.start]))
                    and not re.search(r"[、，,]", between) and first.match is not None and nxt.match is not None):
                merged.append((i, first, nxt))
                i += 2
                continue
        merged.append((i, first, None))
        i += 1
    sentences = _Sentences(text)
    out = []
    for at, first, last in merged:
        clause_start = max(index.clause_start(first.num_start), raw[at - 1].end if at else 0)
        end = (last or first).end
        sentence, s_start = sentences.at(first.start)
        paragraph_start = index.paragraph_start(first.start)
        cue, qualifier, approximation, circumstance, text_start = _cues(
            view, first.start, end, clause_start, s_start, paragraph_start, lang)
        if circumstance is None and _hypothetical(view[max(s_start, first.start - 2 * _WINDOW):first.start]):
            circumstance = "hypothetical"
        unit = (last.unit if last is not None else None) or first.unit
        count = first.count or (last.count if last is not None else False)
        per_share = first.per_share or (last is not None and last.per_share)
        if last is not None:
            low = first.value if first.mult or first.unit or first.match is None else _amount_value(
                first.match, first.match["num"] or first.match["cnum"] or first.match["fnum"], last.mult, unit, count)
            value_text, low_text, high_text = None, _decimal_text(low), _decimal_text(last.value)
            qualifier = "range"
            low_stated = first.stated
            if not first.mult and not (first.match and first.match["unit"]):  # 17.00至19.60港元: the unit is written once
                m = last.match
                low_stated += last.mult + ((m["unit"] or "").strip() if m else "") + ((m["per"] or "") if m else "")
            stated: tuple[str, ...] = (low_stated.strip(), last.stated)
        else:
            value_text, low_text, high_text = _decimal_text(first.value), None, None
            stated = (first.stated,)
        written = text[text_start:end].strip()
        if lang == "zh":
            after = next((c for c in _AFTER_CUES if view.startswith(c, end)), None)
            if after:
                written += text[end:end + len(after)]
        out.append(Candidate(
            stated=stated, text=written, start=first.start, end=end, line=bisect.bisect_left(index.newlines, first.start) + 1,
            value=value_text, low=low_text, high=high_text, unit=unit, per_share=per_share,
            qualifier=qualifier or "exact", approximation=approximation, circumstance=circumstance, cue=cue,
            sentence=sentence,
        ))
    return out


_OTHER_DIGITS = re.compile(r"(?:(?![0-9０-９])\d)+(?:[.,٫٬．，](?:(?![0-9０-９])\d)+)*")


def _problem(text: str, path: str, position: int, message: str) -> Problem:
    line = text.count("\n", 0, position) + 1
    return Problem(SourceLocation(path, line, position - (text.rfind("\n", 0, position) + 1) + 1), message)


def _hypothetical(before: str) -> bool:
    """假如按688元/股来算: a figure of a case the text supposes (按…计算 alone is how a figure was computed)."""
    return bool(_HYPOTHETICAL.search(before))


def _decimal_text(value: Decimal | int) -> str:
    return str(value) if isinstance(value, int) else canonical_decimal(value)


_SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n|(?<=[.!?])\s+(?=[A-Z\"“])")


class _Sentences:
    """Where the sentences of a text end, found in one pass, for lookups by bisection.

    Each figure's sentence is looked up here rather than by reading the text again from its start:
    the ends are listed once, so the text's figures take time in proportion to the text, not to its
    length times the number of figures."""

    def __init__(self, text: str):
        self.text = text
        matches = list(_SENTENCE_END.finditer(text))
        self.ends = [m.end() for m in matches]     # never decreasing: finditer goes forward
        # a break of white space (a line break, the space after a full stop) is not part of the sentence
        self.cuts = [m.start() if text[m.start():m.end()].strip() == "" else m.end() for m in matches]

    def at(self, position: int) -> tuple[str, int]:
        """The sentence holding ``position``, and where it starts: up to the first end past ``position``."""
        at = bisect.bisect_right(self.ends, position)
        start = self.ends[at - 1] if at else 0
        if at == len(self.ends):
            return self.text[start:].strip(), start
        return self.text[start:self.cuts[at]].strip(), start


# --- periods ----------------------------------------------------------------------------------------

class _Taken:
    """Spans of the text already read as a period, kept sorted: a later pattern does not read them again."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def free(self, start: int, end: int) -> bool:
        at = bisect.bisect_right(self.starts, start)
        if at and self.ends[at - 1] > start:
            return False
        return not (at < len(self.starts) and self.starts[at] < end)

    def take(self, start: int, end: int) -> None:
        at = bisect.bisect_right(self.starts, start)
        self.starts.insert(at, start)
        self.ends.insert(at, end)


def find_periods(text: str, published: dt.date | None) -> list[Mention]:
    """Every period the text names, spans expanded to their years (and a closing half or quarter).

    A period without its year (第4季, 前三季度, 上半年) takes the year last named before it, or the year of
    publication; a day, weekday or 今日 / 去年 counts from the publication date."""
    view = reading_view(text)
    taken = _Taken()
    found: list[tuple[int, int, str, re.Match[str]]] = []
    for m in _SPAN.finditer(view):
        found.append((m.start(), m.end(), "span", m))
        taken.take(*m.span())
    for kind, pattern in _PERIOD_PATTERNS:
        for m in pattern.finditer(view):
            if taken.free(*m.span()):
                found.append((m.start(), m.end(), kind, m))
                taken.take(*m.span())
    mentions: list[Mention] = []
    year: int | None = None
    quarter: str | None = None
    for start, end, kind, m in sorted(found, key=lambda f: f[0]):
        context = year if year is not None else (published.year if published else None)
        if kind == "that-quarter":   # 该季度: the quarter last named
            if quarter is not None:
                mentions.append(Mention(start, end, (quarter,), None, f"{m.group(0)}: the quarter last named"))
            continue
        if kind == "span":
            mention = _span_mention(m, context)
            if mention is None:
                continue
        else:
            code = _period_code(kind, m, published, context)
            if code is None:
                continue
            if kind == "day" and mentions and mentions[-1].codes and re.fullmatch(r"[(（]\s*", view[mentions[-1].end:start]) \
                    and re.fullmatch(r"\d{4}-\d\d-\d\d", mentions[-1].codes[0] or "") \
                    and int(mentions[-1].codes[0][-2:]) == int(m["d"]):
                code = mentions[-1].codes[0]    # 下周一（5日）: the day the words before it already named
            if kind == "month-day" and code and mentions and mentions[-1].end == start and mentions[-1].codes \
                    and re.fullmatch(r"\d{4}", mentions[-1].codes[0] or ""):
                code = _day(int(mentions[-1].codes[0]), int(m["m"]), int(m["d"]))   # 明年1月8日: that year's day
            mention = Mention(start, end, (code,) if code else (), None, f"{kind} {m.group(0)}")
        mentions.append(mention)
        if mention.codes and re.fullmatch(r"\d{4}Q[1-4]", mention.codes[-1]):
            quarter = mention.codes[-1]
        named = re.match(r"(\d{4})", (mention.span or (mention.codes[-1] if mention.codes else "")))
        if named and kind not in ("relative", "day", "month-day", "month-day-en", "month-day-dash", "same-day") \
                and not _is_base(view, mention):   # 比2024年: a year compared with does not become the text's year
            year = int(named[1])
    return mentions


def _span_mention(m: re.Match[str], context: int | None) -> Mention | None:
    if m["n"]:   # 过去3年加上2025年前3季: 2022 to Q3 2025
        last = int(m["y"])
        first = last - (int(m["n"]) if m["n"].isdigit() else _CN_SMALL[m["n"]])
        codes = tuple(str(y) for y in range(first, last)) + (f"{last}Q1/{last}Q3",)
        return Mention(m.start(), m.end(), codes, f"{first}/{last}Q3", f"span {m.group(0)}")
    a, b = int(m["a"] or m["ea"]), int(m["b"] or m["eb"])
    if b < a or (b == a and not m["bh"]):
        return None
    codes = [str(y) for y in range(a, b + 1)]
    end_code = str(b)
    if m["ah"]:
        codes[0] = f"{a}H1"
    tail = m["bh"] or ""
    if m["eb"] and "first half" in m.group(0):
        tail = "上半年"
    if tail:
        codes[-1] = end_code = _part_of_year(b, tail)
    if m["c"]:
        extra = _part_of_year(int(m["c"]), m["ch"])
        codes.append(extra)
        end_code = extra
    first_code = codes[0] if m["ah"] else str(a)
    return Mention(m.start(), m.end(), tuple(codes), f"{first_code}/{end_code.split('/')[-1]}", f"span {m.group(0)}")


_CN_SMALL = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}


def _part_of_year(year: int, part: str) -> str:
    """2025 and 上半年 -> 2025H1; 第4季度 -> 2025Q4; 前三季度 -> 2025Q1/2025Q3."""
    if "上半年" in part:
        return f"{year}H1"
    if "下半年" in part:
        return f"{year}H2"
    if part.startswith("前"):
        return f"{year}Q1/{year}Q3"
    quarter = part.strip("第季度Q")
    return f"{year}Q{_ZH_NUMERAL[quarter]}"


_MONTH_ABBREVIATIONS = {name[:3]: number for name, number in _MONTHS_EN.items()}
_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4}


def _month(word: str) -> int:
    return _MONTH_ABBREVIATIONS[word.lower().rstrip(".")[:3]]


def _period_code(kind: str, m: re.Match[str], published: dt.date | None, context: int | None) -> str | None:
    """The code of one period mention; "" when the text needs a publication date it was not given."""
    g = m.groupdict()
    if kind == "date":
        return _day(int(g["y"]), int(g["m"]), int(g["d"]))
    if kind == "date-cn":
        return _day(int(g["y"]), int(chinese_number(g["m"])[0]), int(chinese_number(g["d"])[0]))
    if kind == "date-en":
        return _day(int(g["y"]), _month(g["mn"]), int(g["d"]))
    if kind == "year-end":
        if g["rel"]:
            if published is None:
                return ""
            return f"{published.year + {'今年': 0, '去年': -1, '前年': -2}[g['rel']]}-12-31"
        return f"{g['y'] or g['y2']}-12-31"
    if kind == "month-end":   # 今年6月底, end of June 2025: the month's last day
        year = int(g["y"] or g["y2"]) if (g["y"] or g["y2"]) else \
            (published.year + {'今年': 0, '去年': -1, '前年': -2}[g["rel"]] if g["rel"] and published else context)
        month = int(g["m"]) if g["m"] else _month(g["mn"])
        if year is None or not 1 <= month <= 12:
            return None
        return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).isoformat()
    if kind == "half":
        if g["h3"]:
            return f"{context}H{1 if g['h3'] == '上半年' else 2}" if context else ""
        return f"{g['y']}H{1 if g['h'] in ('上半年', 'H1') else 2}"
    if kind == "half-en":
        if g["y2"]:
            return f"{g['y2']}{g['h2'].upper()}"
        return f"{g['y']}H{1 if g['h'].lower() == 'first' else 2}"
    if kind == "nine-months":
        year = g["y"] or g["y2"] or g["y3"] or context
        return f"{year}Q1/{year}Q3" if year else ""
    if kind == "quarter":
        if g["q4"] or g["q5"]:
            year = g["y5"] or context
            quarter = _ZH_NUMERAL[g["q4"]] if g["q4"] else _QUARTER_WORDS[g["q5"].lower()]
            return f"{year}Q{quarter}" if year else ""
        return f"{g['y'] or g['y2'] or g['y3']}Q{_ZH_NUMERAL[g['q'] or g['q2'] or g['q3']]}"
    if kind in ("month-day", "month-day-en", "month-day-dash"):
        if published is None:
            return ""
        month = _month(g["mn"]) if kind == "month-day-en" else int(g["m"])
        day = int(g["d"])
        if kind == "month-day-dash" and not (1 <= month <= 12 and 1 <= day <= 31
                                             and (g["m"].startswith("0") or g["d"].startswith("0") or month > day)):
            return None
        # the year that puts the day nearest the publication: 12月31日 and 1月2日 in a text of 29 December
        # are the coming days, 11月20日 in a text of March the past November
        years = [y for y in (published.year - 1, published.year, published.year + 1) if _day(y, month, day)]
        if not years:
            return None
        year = min(years, key=lambda y: (abs((dt.date.fromisoformat(_day(y, month, day)) - published).days), -y))
        return _day(year, month, day)
    if kind == "year":
        return g["y"] or g["y2"] or g["y3"]
    if kind == "relative-year":
        if published is None:
            return ""
        word = m.group(0).lower()
        return str(published.year + {"今年": 0, "this year": 0, "去年": -1, "last year": -1, "前年": -2,
                                     "明年": 1, "next year": 1}[word])
    if kind == "day":
        if published is None:
            return ""
        day = int(g["d"])
        month_start = published.replace(day=1)
        if day <= published.day:
            return _day(published.year, published.month, day)
        previous = month_start - dt.timedelta(days=1)
        return _day(previous.year, previous.month, day)
    if kind == "relative":
        return _relative_day(m, published)
    if kind == "same-day":
        return "same-day"
    return None


def _relative_day(m: re.Match[str], published: dt.date | None) -> str:
    if published is None:
        return ""
    g = m.groupdict()
    word = m.group(0).lower()
    if word in ("今日", "今天", "今早", "今晨", "今晚", "today", "now", "currently", "目前", "现时"):
        return published.isoformat()
    if word in ("昨日", "昨天", "yesterday"):
        return (published - dt.timedelta(days=1)).isoformat()
    if word in ("前日", "前天"):
        return (published - dt.timedelta(days=2)).isoformat()
    monday = published - dt.timedelta(days=published.weekday())
    if g["w"] or g["we"]:   # 上周五, last Friday: in the week before the publication's
        weekday = _WEEKDAYS_ZH[g["w"]] if g["w"] else _WEEKDAYS_EN[g["we"].lower()]
        return (monday - dt.timedelta(days=7 - weekday)).isoformat()
    if g["w2"]:
        return (monday + dt.timedelta(days=_WEEKDAYS_ZH[g["w2"]])).isoformat()
    if g["w4"]:   # 下周一: in the week after the publication's
        return (monday + dt.timedelta(days=7 + _WEEKDAYS_ZH[g["w4"]])).isoformat()
    # 周三, on Wednesday: the last such day up to the publication day
    weekday = _WEEKDAYS_ZH[g["w3"]] if g["w3"] else _WEEKDAYS_EN[g["we2"].lower()]
    return (published - dt.timedelta(days=(published.weekday() - weekday) % 7)).isoformat()


def _day(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


# --- names ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Name:
    """A name in the text that a figure may be about: an entity of the graph, or a name it does not know."""

    start: int
    end: int
    entity: tuple[str, bool]       # (id, True) or (the name as written, False)
    kind: str = "entity"           # entity, market (港股, an index): no listing-day figure is a market's


_QUOTED = re.compile(r"“[^”\n]{0,80}”|「[^」\n]{0,80}」|『[^』\n]{0,80}』|\"[^\"\n]{0,80}\"|‘[^’\n]{0,80}’")
_APPOSITIVE = re.compile(r",\s+(?:a|an|which|who|whose|also|formerly|known|often|dubbed|nicknamed)\b[^,.;]*"
                         r"|\b(?:also known as|known as|dubbed|nicknamed|formerly)\s+[^,.;]*", re.I)
_EN_NAME = re.compile(r"(?<![\w$])[A-Z][A-Za-z&'’.-]*(?![\d$])(?:\s+(?:(?:of|and|&|de)\s+)?(?:[A-Z][A-Za-z&'’.-]*(?![\d$])|\d{1,3}\b))*")
_EN_COMMON = frozenset("""the a an in on at by for from with its their his her every each most many some together according
    before after while but and or as this that these those it they he she we any no all both chinese china us u.s. u.s
    hong kong beijing shanghai shenzhen singapore taiwan japan asia europe american new york washington reuters
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december jan feb mar apr jun jul aug sep sept oct nov dec ipo ipos ai gpu gpus cpu
    ceo cfo r&d hk hkex cny hkd usd rmb sse nasdaq bloomberg semiconductor shares investors analysts the-
    founder co-founder chairman chairwoman president chief mr mr. ms ms. dr dr. analyst vice
    one two three four five six seven eight nine ten dozens hundreds several""".split())
_ZH_SUFFIX_NAME = re.compile(
    r"(?:(?<=[的、，,。；;：:“”「」（）()\s与和及])|^)(?P<name>[^\W\d_的、]{2,8}?"
    r"(?:有限公司|集团|科技|股份|信息|智能|半导体|电子|资本|证券|基金|银行|医疗|控股|研究院|研究所|交易所|指数|公司))")
_ZH_MARKETS = re.compile(r"(?:(?<=[，,。；;：:\n！？!?])|^)\s*(?:(?:去年|今年|前年|近年|目前|此外|另外|同时|其中|而|因此)\s*)?"
                         r"(?:\d{4}年)?(?P<name>港股|A股|美股|大市|股市|债市|恒指|恒生指数|恒生科技指数|恒生科企指数|点心债)")
_ZH_SUBJECT = re.compile(
    r"(?:(?<=[，,。；;：:\n！？!?])|^)\s*(?:(?:去年|今年|前年|近年|目前|此外|另外|同时|其中|而)\s*)?"
    r"(?P<name>[\u4e00-\u9fff]{2,6}?)"
    r"(?=的|也|为|是|在|于|将|已|与|和|及|今|昨|从|对|向|把|被|让|则|都|均|仍|还|就|自|以|因|由|这|获|拟|计划|打算|"
    r"通过|成立|上市|挂牌|登陆|发行价|营收|收入|净利润|亏损|市值|股价|毛利率|募资|宣布|公布|表示|称|各自|首日|收盘|开盘|"
    r"盘中|收报|每股|涨|跌)")
_ZH_NOT_NAMES = frozenset("""公司 该公司 本公司 这家公司 两家公司 三家公司 上市公司 科技公司 芯片公司 相关公司 母公司 子公司
    合资公司 控股公司 投资公司 证券公司 该股 股价 市场 全年 去年 今年 前年 同期 首日 全天 当天 当日 上市 发行 这次 本次 此次
    此外 另外 其中 同时 不过 但是 因此 所以 随后 目前 截至 根据 按照 换句话说 值得一提 就算 即使 如果 虽然 尽管 由于 过去
    最近 近年 分析师 投资者 散户 机构 他们 我们 它们 对方 双方 两家 三家 各家 前三名 前十名 人工智能 市值 营收 收入 资本
    市场人士 业内 业界 报道 公告 数据 信息 文章 记者 原题 图说 科技 半导体 科技股 新股 大公报 科企 累计 合计 共计 总计 同比
    环比 单季 季度 期内 报告期 回拨 网上 网下 中签 认购 申购 股票 股份 个股 发行价 招股""".split())
_PLURAL = re.compile(r"\b(?:together|combined|between them|the (?:two|three|four|five|six) \w+|three \w+ companies|"
                     r"two \w+ companies)\b|前三名|前十名|三家|两家|几家|各家|这几家|上述|加总|合共", re.I)


def _names(view: str, resolver: Resolver | None, entities: set[URIRef]) -> list[_Name]:
    """Every name a figure may be about, in text order: the graph's entities where the text names one,
    and names it does not know (a capitalised English name, a Chinese name at the head of a clause that
    the text repeats or that ends like a company's, a market or an index). Names in quotation marks
    (nicknames: “中国版辉达”, "China's Nvidia") and in an English appositive are left out."""
    quoted = _Spans([m.span() for m in _QUOTED.finditer(view)])
    aside = _Spans([m.span() for m in _APPOSITIVE.finditer(view)])
    known: list[_Name] = []
    taken = _Spans([])
    unknown: list[_Name] = []
    # 港股 or 恒指 at the head of a clause is the market a figure is about, even where the graph files 港股
    # under an exchange
    for m in _ZH_MARKETS.finditer(view):
        if not quoted.covers(*m.span("name")):
            unknown.append(_Name(m.start("name"), m.end("name"), (m["name"], False), "market"))
            taken.add(m.start("name"), m.end("name"))
    if resolver is not None:
        # every name the graph knows takes its place, a venue's or a place's too (the STAR Market is
        # not a name a figure is about), but only the entities are names of figures
        for start, end, nodes in resolver.mentions(view, _named_nodes(resolver)):
            if taken.overlaps(start, end):
                continue
            if len(nodes) == 1 and nodes[0] in entities and not quoted.covers(start, end) and not aside.covers(start, end):
                known.append(_Name(start, end, (short(nodes[0]), True)))
            taken.add(start, end)

    def add(start: int, end: int, name: str, kind: str = "entity") -> None:
        if taken.overlaps(start, end) or quoted.covers(start, end) or aside.covers(start, end):
            return
        unknown.append(_Name(start, end, (name, False), kind))
        taken.add(start, end)

    # A Chinese name the graph does not know counts only when the text names it again: a name that
    # ends like a company's (海光信息) anywhere, a bare one (智谱) at the head of two clauses; a descriptor
    # such as 硬科技公司 or 招股期间公司 is said once.
    suffixed = [(m.start("name"), m.end("name"), m["name"], "market" if m["name"].endswith("指数") else "entity")
                for m in _ZH_SUFFIX_NAME.finditer(view) if _could_be_a_name(m["name"])]
    heads = [(m.start("name"), m.end("name"), m["name"], "entity") for m in _ZH_SUBJECT.finditer(view)
             if not re.search(r"[年月日季]$", m["name"]) and _could_be_a_name(m["name"])]
    repeated = _counts(view, {name for _, _, name, _ in suffixed}) if suffixed else {}
    as_head: dict[str, int] = {}
    for _, _, name, _ in heads:
        as_head[name] = as_head.get(name, 0) + 1
    for start, end, name, kind in sorted(suffixed + heads):
        if repeated.get(name, 0) >= 2 or as_head.get(name, 0) >= 2:
            add(start, end, name, kind)
    sentence_starts = {m.end() for m in _SENTENCE_END.finditer(view)} | {0}
    for m in _EN_NAME.finditer(view):
        for start, end, name in _english_names(view, m, sentence_starts):
            kind = "market" if re.search(r"\b(?:Index|Indices|Market)$", name) else "entity"
            add(start, end, name, kind)
    return sorted(known + unknown, key=lambda n: n.start)


_GENERIC_HEADS = ("这", "该", "本", "此", "其", "两", "三", "各", "多", "每", "全", "整个", "网上", "网下", "首", "硬", "高",
                  "国产", "国内", "海外", "上市", "招股", "发行", "同期", "期间", "相关", "其他", "部分", "多数")


def _could_be_a_name(name: str) -> bool:
    return name not in _ZH_NOT_NAMES and not name.startswith(_GENERIC_HEADS) and not any(
        w in name for w in ("期间", "以来", "之后", "之前", "当天", "首日", "上市", "发行", "申购", "认购"))


def _named_nodes(resolver: Resolver) -> set[URIRef]:
    """The things of the graph with an id of their own (entities, venues, places, outlets)."""
    return {node for node in resolver.types if node.startswith(str(KGR)) and "/" not in node[len(str(KGR)):]}


def _english_names(view: str, m: re.Match[str], sentence_starts: set[int]) -> list[tuple[int, int, str]]:
    words = list(re.finditer(r"\S+", m[0]))
    for at, word in enumerate(words[:-1]):     # Baidu's Hong Kong shares: the name ends at its possessive
        if word[0].endswith(("'s", "’s")):
            words = words[:at + 1]
            break
    # leading common words (The, Every, Chinese) are not part of the name
    while words and words[0][0].lower().rstrip("'’s.,") in _EN_COMMON:
        words.pop(0)
    while words and words[-1][0].isdigit():
        words.pop()
    if not words or not words[0][0][:1].isupper():
        return []
    start, end = m.start() + words[0].start(), m.start() + words[-1].end()
    name = view[start:end]
    for tail in ("'s", "’s", "'", "’", "."):
        if name.endswith(tail):
            name, end = name[: -len(tail)], end - len(tail)
    if not name or name.lower() in _EN_COMMON or view[end:end + 1] == ":" or re.search(r"-[a-z]", name):
        return []      # US-listed, Hong Kong-listed: words, not names
    single = " " not in name
    if single and (len(name) <= 4 and name.isupper()):
        return []       # AI, IPO, HKEX: abbreviations, not names of a figure's subject
    if single and start in sentence_starts or single and start in {s + 1 for s in sentence_starts}:
        if not (re.search(r"[a-z][A-Z]", name) or view[end:end + 2] in ("'s", "’s")):
            return []   # a capitalised first word of a sentence is a word, unless it looks like a name (MetaX)
    return [(start, end, name)]


def _counts(view: str, names: set[str]) -> dict[str, int]:
    """How often each name occurs in the text, in one pass."""
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    counts: dict[str, int] = {}
    for m in pattern.finditer(view):
        counts[m[0]] = counts.get(m[0], 0) + 1
    return counts


class _Spans:
    """Sorted, non-overlapping spans of the text, looked up by bisection."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(spans):
            if not self.starts or start >= self.ends[-1]:
                self.starts.append(start)
                self.ends.append(end)

    def covers(self, start: int, end: int) -> bool:
        at = bisect.bisect_right(self.starts, start)
        return bool(at) and self.ends[at - 1] >= end

    def overlaps(self, start: int, end: int) -> bool:
        at = bisect.bisect_right(self.starts, start)
        if at and self.ends[at - 1] > start:
            return True
        return at < len(self.starts) and self.starts[at] < end

    def add(self, start: int, end: int) -> None:
        at = bisect.bisect_right(self.starts, start)
        self.starts.insert(at, start)
        self.ends.insert(at, end)


# --- proposing entity, metric and period ------------------------------------------------------------

_LIST_WORDS = re.compile(r"分别|各为|各是|各自为|依次为|依次是|依序为|respectively", re.I)


@dataclass(frozen=True)
class _Place:
    """Where a figure stands: its sentence, clause and paragraph."""

    sentence_start: int
    sentence_end: int
    clause_start: int
    paragraph_start: int


@dataclass
class _Reading:
    """What the text has named so far, and how to resolve names in it."""

    text: str
    view: str
    index: _Index
    resolver: Resolver | None
    entities: set[URIRef]
    names: list[_Name]
    periods: list[Mention]
    main: tuple[str, bool] | None
    sentence_ends: list[int] = field(default_factory=list)
    listing: dict[str | None, set[str]] = field(default_factory=dict)   # entity -> its listing days
    currencies: tuple[str, ...] = ()     # the currencies the text writes, most written first
    last_span: Mention | None = None     # 2022年至2025年上半年: a span a later 分别 or 均 refers to
    last_date: str | None = None         # 12月5日: the day a later 当天 or listing-day figure refers to
    published: dt.date | None = None
    debut: set[str | None] = field(default_factory=set)   # companies whose listing the text reports
    hong_kong: set[tuple[str, bool]] = field(default_factory=set)   # names written with a Hong Kong code
    _next: int = 0

    def __post_init__(self) -> None:
        self.name_starts = [n.start for n in self.names]
        self.period_starts = [m.start for m in self.periods]

    def advance(self, position: int) -> None:
        while self._next < len(self.periods) and self.periods[self._next].start < position:
            mention = self.periods[self._next]
            if mention.end > position:
                break
            if mention.span and len(mention.codes) > 1:
                self.last_span = mention
            if mention.codes and re.fullmatch(r"\d{4}-\d\d-\d\d", mention.codes[0]):
                self.last_date = mention.codes[0]
            self._next += 1

    def sentence(self, position: int) -> tuple[int, int]:
        at = bisect.bisect_right(self.sentence_ends, position)
        start = self.sentence_ends[at - 1] if at else 0
        end = self.sentence_ends[at] if at < len(self.sentence_ends) else len(self.view)
        return start, end

    def names_in(self, start: int, end: int) -> list[_Name]:
        return self.names[bisect.bisect_left(self.name_starts, start):bisect.bisect_left(self.name_starts, end)]

    def periods_in(self, start: int, end: int) -> list[Mention]:
        return self.periods[bisect.bisect_left(self.period_starts, start):bisect.bisect_left(self.period_starts, end)]

    def resolve(self, name: str) -> tuple[str, bool]:
        """An id when the graph knows the name, else the name as written."""
        found = self.resolver.matches(name, self.entities) if self.resolver else []
        return (short(found[0]), True) if len(found) == 1 else (name, False)

    def listing_days(self, entity: tuple[str, bool] | None) -> set[str]:
        days = set(self.listing.get(None, set()))
        if entity is not None:
            days |= self.listing.get(entity[0], set())
        return days


def propose(text: str, candidates: list[Candidate], resolver: Resolver | None,
            published: dt.date | None) -> list[Candidate]:
    """Fill in the entity, metric, period (and holder, segment, basis) each figure is about, where the text says."""
    view = reading_view(text)
    entities = _entity_nodes(resolver) if resolver else set()
    names = _names(view, resolver, entities)
    reading = _Reading(text, view, _Index(view), resolver, entities, names, find_periods(text, published),
                       _main_subject(names), [m.end() for m in _SENTENCE_END.finditer(view)])
    reading.listing = _listing_days(reading)
    reading.published = published
    reading.debut = _reports_a_listing(reading)
    reading.hong_kong = _hong_kong_listed(reading)
    written: dict[str, int] = {}
    for candidate in candidates:
        if candidate.unit in _MONEY:
            written[candidate.unit] = written.get(candidate.unit, 0) + 1
    reading.currencies = tuple(sorted(written, key=lambda unit: (-written[unit], unit)))
    heads = _lists(view, candidates)
    members: dict[int, list[int]] = {}
    for index, head in enumerate(heads):
        members.setdefault(head, []).append(index)
    out: list[Candidate] = []
    kinds: list[str | None] = []
    for index, candidate in enumerate(candidates):
        # A figure reads its own sentence, clause and paragraph, each within a bounded reach of it: a text
        # with no punctuation costs no more per figure than one with it (linear in the text's length).
        s_start, s_end = reading.sentence(candidate.start)
        s_start, s_end = max(s_start, candidate.start - 4 * _WINDOW), min(s_end, candidate.end + 2 * _WINDOW)
        clause_start = max(reading.index.clause_start(candidate.start), candidates[index - 1].end if index else 0,
                           s_start, candidate.start - 2 * _WINDOW)
        if index and clause_start == candidates[index - 1].end:
            # RMB8 billion in gross proceeds and RMB7.6 billion after fees: "in gross proceeds" is the first's
            joined = list(re.finditer(r"\s(?:and|while|but)\s|而|并且", view[clause_start:candidate.start]))
            if joined:
                clause_start += joined[-1].end()
        place = _Place(s_start, s_end, clause_start,
                       max(reading.index.paragraph_start(candidate.start), candidate.start - 16 * _WINDOW))
        reading.advance(candidate.start)
        previous = (out[-1], kinds[-1]) if out and out[-1].start >= s_start else None
        kind = _metric_word(reading, candidate, place, previous)
        entity, in_sentence = _entity(reading, candidate, place)
        siblings = members[heads[index]]
        listed_name, period, how = _list_item(reading, candidates, siblings, index, place)
        if period is None:
            period, how = _nearest_period(reading, candidate, place, candidates[index - 1].end if index else 0)
        if period is None:
            period, how = _document_date(reading, place)
        holder = None
        if kind == "shareholding":
            holder = _stake_holder(reading, candidate, place, listed_name)
            if holder is not None and (entity == holder or not in_sentence or _is_holder_kind(resolver, entity)):
                entity = reading.main   # the company held: named in the sentence, or the one the article is about
        elif listed_name is not None:
            entity = listed_name
        metric, period, how, basis = _metric_and_day(reading, candidate, place, kind, entity, period, how, out)
        period, how = _period_of_kind(reading, candidate, place, metric, period, how)
        if period and reading.published and candidate.circumstance is None \
                and re.fullmatch(r"\d{4}-\d\d-\d\d", period) and period > reading.published.isoformat():
            period = None       # an actual figure is not of a day still to come: 招股期至下周一（5日），计划发行…
        if period and metric in _DAY_METRICS and not re.fullmatch(r"\d{4}-\d\d-\d\d", period):
            period = None   # 2025年A股第二高的发行价: an offering's figure is of a day, not of the year it is ranked in
        if period is None and metric in _DAY_METRICS and not (metric in _OFFERING_METRICS and (
                None in reading.debut or (entity is not None and entity[0] in reading.debut))):
            period, how = _day_of_the_news(reading)
        if _accepted(metric) and period and "/" in period and _accepted(f"cumulative-{metric}") and \
                any(w in view[s_start:candidate.start] for w in _CUMULATIVE):
            metric = f"cumulative-{metric}"    # 合计…亏损28.16亿元 over 2022 to H1 2025
        if metric == "share":
            metric = _share_of_what(view[s_start:candidate.start])
        sign = _SIGN.search(view[max(0, candidate.start - 3):candidate.start])
        if sign and sign[1] in "-−" and metric in _LOSS_OF:
            metric = _LOSS_OF[metric]    # 归母净利润依次为-11.16亿元: a negative profit is a loss, written positive
        segment = None
        if entity and entity[1] and resolver is not None:
            company = resolver.graph.value(KGR[entity[0]], GPU.segmentOf)
            if company is not None:   # 训练系列产品的毛利率: a figure of the company, for that segment
                segment, entity = entity[0], (short(company), True)
        if entity is not None and metric not in ("index-change", "index-level") and \
                any(n.entity == entity and n.kind == "market" for n in reading.names_in(s_start, candidate.start)):
            metric = None     # 港股新上市公司集资2858亿元: a market's figure, not a company's
        unit, currency_from = _metric_unit(reading, candidate, metric, place)
        if unit == "CNY" and metric in _HK_PRICED and entity in reading.hong_kong and \
                not re.search(r"人民币|RMB|CNY|¥", candidate.text, re.I) and \
                not _VENUE_CURRENCY[0][0].search(view[s_start:s_end]):
            unit, currency_from = "HKD", "元 of a Hong Kong listing (its code is written beside its name)"
        if metric in _TRADING_METRICS and reading.published and not (period and re.fullmatch(r"\d{4}-\d\d-\d\d", period)) \
                and _LATEST.search(view[max(s_start, candidate.start - _WINDOW):candidate.start]):
            period, how = reading.published.isoformat(), "the latest quote: the day the text was published"
            basis = "at-time"
        if period is None and metric in _TRADING_METRICS:
            period, how = _day_of_the_news(reading)
        if _accepted(metric) not in _basis_metrics():
            basis = None
        circumstance = _circumstance(reading, candidate, place, period, how)
        if metric in ("market-cap", "first-day-market-cap") and _AT_OFFER_PRICE.search(view[s_start:candidate.start]):
            # 以发行价推算，上市时总市值将超过500亿元: a valuation at the offer price, not a trading day's value
            metric, basis, period, how = "valuation", None, None, "a market value at the offer price"
            if re.search(r"推算|测算|估算|\bwould\b", view[s_start:candidate.start]):
                circumstance = "hypothetical"
        proposed = replace(candidate, entity=entity[0] if entity else None, entity_known=bool(entity and entity[1]),
                           segment=segment, holder=holder[0] if holder else None, basis=basis,
                           unit=unit, currency_from=currency_from, metric=_accepted(metric),
                           period=period or None, period_how=how,
                           market=_market(view, place, candidate) if metric == "market-share" else None,
                           conversion_of=_conversion_of(view, candidate, out[-1] if out else None),
                           circumstance=circumstance)
        kinds.append(kind)
        out.extend(_each_period(reading, proposed, place))
    return out


def _listing_days(reading: _Reading, *, text_only: bool = False) -> dict[str | None, set[str]]:
    """The days the text says a company listed (8日各自在香港交易所挂牌, listed on Thursday), and the
    listing days the graph knows of."""
    days: dict[str | None, set[str]] = {}
    for mention in reading.periods:
        if not mention.codes or not re.fullmatch(r"\d{4}-\d\d-\d\d", mention.codes[0]):
            continue
        s_start, s_end = reading.sentence(mention.start)
        if not _is_listing_date(reading, mention, s_start, s_end):
            continue
        named = [n.entity[0] for n in reading.names_in(s_start, s_end) if n.kind == "entity"]
        for key in named or [None]:
            days.setdefault(key, set()).add(mention.codes[0])
    if reading.resolver is not None and not text_only:
        from ..base.ontology import vocabulary
        graph = reading.resolver.graph
        listed = vocabulary().codes(GPU.ListingEventType).get("listed")
        for event in graph.subjects(RDF.type, GPU.ListingEvent):
            if graph.value(event, GPU.eventType) != listed:
                continue
            company, day = graph.value(event, GPU.listingCompany), graph.value(event, GPU.date)
            if company is not None and day is not None and re.fullmatch(r"\d{4}-\d\d-\d\d", str(day)):
                days.setdefault(short(company), set()).add(str(day))
    return days


# 第一上海证券2025年12月3日的研究报告指出, Morgan Stanley's note says: who speaks, not what the figure is about.
_SPEAKER = re.compile(r"\s*(?:(?:19|20)\d\d年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日)?\s*(?:的|发布的|最新的?)?\s*"
                      r"(?:研究报告|研报|报告|预测模型|预测|分析师|数据|统计)?\s*(?:指出|表示|认为|称|预计|预测|显示)"
                      r"|(?:'s|’s)?\s+(?:analysts?|report|note|research|forecast|model|estimates?)?\s*"
                      r"(?:said|says|noted|notes|estimated|estimates|expects|expected|forecast|forecasts|showed|shows)\b",
                      re.I)


_PRONOUN = re.compile(r"\s*(?:It|Its|The company|The company's|The stock|The shares|该公司|公司|其|它|该股)(?![A-Za-z])")


def _is_listing_date(reading: _Reading, mention: Mention, s_start: int, s_end: int) -> bool:
    """Whether a date is the one a listing word of its sentence goes with: the nearest date before the word,
    else the first after it (招股期由今日至下周一，明年1月8日正式挂牌 lists on the 8th only)."""
    s_start, s_end = max(s_start, mention.start - 2 * _WINDOW), min(s_end, mention.end + 2 * _WINDOW)   # bounded reach
    dates = [m for m in reading.periods_in(s_start, s_end)
             if m.codes and re.fullmatch(r"\d{4}-\d\d-\d\d", m.codes[0] or "")]
    for listed in _LISTED.finditer(reading.view, s_start, s_end):
        before = [m for m in dates if m.start < listed.start()]
        after = [m for m in dates if m.start >= listed.start()]
        if (before and before[-1] is mention) or (not before and after and after[0] is mention):
            return True
    return False


def _entity(reading: _Reading, candidate: Candidate, place: _Place) -> tuple[tuple[str, bool] | None, bool]:
    """The nearest name before the figure in its sentence (one the graph does not know is kept as
    written, never replaced by a known one further back), else the paragraph's first name (its topic),
    else the company the text is about; and whether the sentence named it. Members of a list
    (富国基金、...等) and holders of stakes are not what a figure is about; several companies at once
    (together, 前三名) are no one company."""
    view = reading.view
    if not reading.names_in(place.sentence_start, candidate.start) and \
            _PRONOUN.match(view, place.sentence_start, place.sentence_start + 16) and place.sentence_start > 0:
        # It touched 895 yuan: the company the sentence before was about, its first name
        previous, _ = reading.sentence(place.sentence_start - 1)
        named = [n for n in reading.names_in(max(previous, place.paragraph_start), place.sentence_start)
                 if n.kind == "entity" and not (n.entity[1] and _is_holder_kind(reading.resolver, n.entity))]
        if named:
            return named[0].entity, False
    for window_start in (place.sentence_start, place.paragraph_start):
        named = [n for n in reading.names_in(window_start, candidate.start)
                 if not (n.entity[1] and _is_holder_kind(reading.resolver, n.entity))
                 and not (view[n.end:n.end + 1] in ("、", "等") or view[n.start - 1:n.start] == "、")
                 and not _SPEAKER.match(view, n.end, min(n.end + 40, candidate.start))]
        if window_start == place.sentence_start:
            after = named[-1].end if named else place.sentence_start
            if _PLURAL.search(view[after:candidate.start]) or _PLURAL.match(view, candidate.end,
                                                                            reading.index.clause_end(candidate.end)) \
                    or re.match(r"\s*(?:between them|combined|together)\b", view[candidate.end:candidate.end + 20]):
                return None, True
            if named and not _CJK_CHAR.search(view[named[-1].start:named[-1].end]) and named[-1].start < place.clause_start \
                    and view[named[-1].end:named[-1].end + 2] not in ("'s", "’s"):
                return named[0].entity, True     # English: the sentence's subject, not a name in an earlier clause's object
            if named:
                return named[-1].entity, True
        elif named:
            return named[0].entity, False
    return reading.main, False


def _list_item(reading: _Reading, candidates: Sequence[Candidate], siblings: list[int], index: int,
               place: _Place) -> tuple[tuple[str, bool] | None, str | None, str]:
    """For a figure of a 分别 / 各为 / respectively list: the name and the period it is aligned with."""
    sentence = reading.view[place.sentence_start:place.sentence_end]
    if len(siblings) < 2 or not _LIST_WORDS.search(sentence):
        return None, None, ""
    position, count = siblings.index(index), len(siblings)
    first = candidates[siblings[0]].start
    names = _listed_names(reading, first, place.sentence_start, count)
    name = names[position] if names else None
    in_sentence = [m for m in reading.periods_in(place.sentence_start, place.sentence_end)]
    spans = [m for m in in_sentence if len(m.codes) == count]
    single = [m for m in in_sentence if len(m.codes) == 1 and m.codes[0] and m.codes[0] != "same-day"]
    cut = [m for m in in_sentence if len(m.codes) > count and m.start < first and _cut_off(reading, candidates[siblings[-1]])]
    if spans:
        return name, spans[0].codes[position], f"{position + 1} of {count} (分别) over {_said(spans[0])}"
    if cut:   # 2022年至2024年及2025年上半年…分别为0.46亿元、1.24亿元、4.38 (the text breaks off)
        return name, cut[0].codes[position], f"{position + 1} of {len(cut[0].codes)} (分别, cut off) over {_said(cut[0])}"
    if len(single) == count and not names:
        return name, single[position].codes[0], f"{position + 1} of {count} (respectively)"
    span = reading.last_span
    if span is not None and len(span.codes) == count:
        return name, span.codes[position], f"{position + 1} of {count} (分别) over the earlier {_said(span)}"
    return name, None, ""


def _cut_off(reading: _Reading, last: Candidate) -> bool:
    """Whether the text breaks off inside the list whose last figure is ``last``."""
    rest = reading.view[last.end:]
    return not re.search(r"[。！？!?；;\n]|\.(?!\d)", rest[:40]) and len(rest.strip()) < 40


def _said(mention: Mention) -> str:
    """The words a period was read from: 2022年至2024年."""
    return mention.how.split(" ", 1)[1]


def _listed_names(reading: _Reading, first_start: int, s_start: int, count: int) -> list[tuple[str, bool]]:
    """The names a list is about: 国盛资本、红杉资本…分别为, 摩尔线程与沐曦股份…各为, A and B … respectively."""
    view = reading.view
    named = reading.names_in(s_start, first_start)
    if len(named) >= count:
        run = named[-count:]
        if all(re.fullmatch(r"\s*(?:、|,|，|和|与|及|以及|and|&)?\s*(?:and\s*)?", view[a.end:b.start])
               for a, b in zip(run, run[1:])):
            return [n.entity for n in run]
    before = view[s_start:first_start]
    at = max(before.rfind("分别"), before.rfind("各为"))
    if at < 0:
        return []
    head = re.split(r"[，,；;：:]", before[:at])[-1]
    head = re.sub(r"^(?:此外|另外|其中|同时)", "", head)
    items = re.split(r"、|与|和|及", head)
    if len(items) != count:
        return []
    items[-1] = re.split(r"等|的", items[-1])[0]
    if any(not item or re.search(r"\d", item) for item in items):
        return []
    return [reading.resolve(item.strip()) for item in items]


def _holder(text: str, clause_start: int, s_start: int) -> str | None:
    """Who holds a stake: 实际控制人为张建中,通过...持股36.36% -> 张建中."""
    found = re.findall(r"(?:为|是)([\u4e00-\u9fff]{2,4})(?=[，,])", text[s_start:clause_start])
    return found[-1] if found else None


_BASE = re.compile(r"(?:比|较|相比|相较于?|对比|较之|同比|而)\s*$|\b(?:compared (?:with|to)|versus|vs\.?|up from|down from)\s*$",
                   re.I)
_BASE_HOW = " (the period compared with)"
# 2025年12月3日的研究报告: the day a report came out, not the period of what it says
_REPORT_DATE = re.compile(r"\s*(?:的|发布的)?\s*(?:研究报告|研报|报告|点评)|\s*(?:report|note)\b", re.I)


def _is_base(view: str, mention: Mention) -> bool:
    """比2024年, 而2024年是, compared with 2024: a period a figure is compared with, not the one the sentence is about."""
    return bool(_BASE.search(view[max(0, mention.start - 14):mention.start]))


def _nearest_period(reading: _Reading, candidate: Candidate, place: _Place,
                    last_figure_end: int = 0) -> tuple[str | None, str]:
    view = reading.view
    near = reading.periods_in(place.sentence_start, min(place.sentence_end, candidate.end + 40))
    # RMB337 million in 2024: a period right after the figure is its own
    right_after = [m for m in near if candidate.end <= m.start <= candidate.end + 5 and m.codes
                   and re.fullmatch(r"\s*(?:in|for|as of|at)?\s*", view[candidate.end:m.start])]
    if right_after and right_after[0].codes[0]:
        m = right_after[0]
        return (m.span or m.codes[-1]), m.how
    # 比2024年的11.74亿元增长410.87%: a period compared with is the period of the figure right after it only
    near = [m for m in near if (m.start >= candidate.start or not _is_base(view, m) or m.end > last_figure_end)
            and not _REPORT_DATE.match(view, m.end, m.end + 12)]
    before = [m for m in near if place.clause_start <= m.start < candidate.start and m.codes]
    if before:
        m = before[-1]
        return (m.span or m.codes[-1]), m.how + (_BASE_HOW if _is_base(view, m) else "")
    in_sentence = [m for m in near if m.start < candidate.start and m.codes]
    if in_sentence:
        m = in_sentence[-1]
        return (m.span or m.codes[-1]), m.how + (_BASE_HOW if _is_base(view, m) else "")
    clause_end = reading.index.clause_end(candidate.end)
    after = [m for m in near if candidate.end <= m.start < clause_end and m.codes and len(m.codes) == 1]
    if after:
        return after[0].codes[0], after[0].how
    return None, ""


_ACCORDING = re.compile(r"(?:按照|根据|依照|依据|按)(?P<doc>重组预案|预案|方案|公告|协议|招股书|招股说明书|草案)")


def _document_date(reading: _Reading, place: _Place) -> tuple[str | None, str]:
    """按照预案，…: a sentence that follows a document the text dated earlier (双方于2025年6月9日披露了
    《重组预案》) is of that document's date."""
    view = reading.view
    m = _ACCORDING.search(view, place.sentence_start, min(place.sentence_end, place.sentence_start + 12))
    if m is None and place.sentence_start > place.paragraph_start:
        # 按照预案，…。吸收合并方的换股价格定为…: the next sentence of the paragraph goes on with the document's terms
        previous, _ = reading.sentence(place.sentence_start - 1)
        if previous >= place.paragraph_start:
            m = _ACCORDING.search(view, previous, min(place.sentence_start, previous + 12))
    if m is None:
        return None, ""
    at = view.rfind(m["doc"], max(0, m.start() - 4 * _WINDOW), m.start())
    if at < 0:
        return None, ""
    start, end = reading.sentence(at)
    dates = [x for x in reading.periods_in(start, end) if x.codes and re.fullmatch(r"\d{4}-\d\d-\d\d", x.codes[0])]
    if not dates:
        return None, ""
    return dates[-1].codes[0], f"the date of the {m['doc']} it follows ({_said(dates[-1])})"


def _period_of_kind(reading: _Reading, candidate: Candidate, place: _Place, metric: str | None,
                    period: str | None, how: str) -> tuple[str | None, str]:
    """What the metric says of the period: a cumulative figure covers a span, a growth rate the years
    listed before it."""
    view, span = reading.view, reading.last_span
    before = view[place.sentence_start:candidate.start]
    if metric and metric not in _TRADING_METRICS and (metric.startswith("cumulative") or any(w in before for w in _CUMULATIVE)):
        if span is not None and (period is None or how.startswith("year")):
            return span.span, f"cumulative over {_said(span)}"
        if span is None and how.startswith("year") and not any(
                place.clause_start <= m.start < candidate.start for m in reading.periods_in(place.sentence_start, candidate.start)):
            return None, "cumulative: the text does not say over which period"
    if metric and metric.endswith("-cagr"):
        years = [m.codes[0] for m in reading.periods_in(place.sentence_start, candidate.start)
                 if len(m.codes) == 1 and re.fullmatch(r"\d{4}", m.codes[0] or "")]
        if len(years) >= 2:
            return f"{years[0]}/{years[-1]}", "a growth rate over the years listed before it"
    if period == "same-day":
        return reading.last_date, "same day as the last date before it"
    return period, how


# What an offering or a trading day measures: a figure of the day the news is about, not of a fiscal period.
_DAY_METRICS = frozenset(("offer-price", "allotment-rate", "allotment-share", "clawback-shares", "online-subscribers",
                          "oversubscription", "shares-offered", "shares-subscribed", "bidding-institutions",
                          "placement-accounts", "cornerstone-investors", "cornerstone-subscription", "gross-proceeds",
                          "turnover-rate", "trading-value"))


# A later day's trading figure the text does not date is of the day the news is about.
_TRADING_METRICS = frozenset(("price-multiple-of-offer", "share-price", "price-rise", "price-fall", "market-cap", "index-change", "index-level"))
_LATEST = re.compile(r"最新|现报|\blatest\b|\bat (?:the )?time of writing\b|\bas of writing\b", re.I)
# Amounts a Hong Kong outlet writes in 元 and means in Hong Kong dollars when the company trades there.
_HK_PRICED = frozenset(("offer-price", "share-price", "first-day-price", "payment-per-lot", "gross-proceeds",
                        "net-proceeds", "market-cap", "first-day-market-cap", "paper-gain-per-lot"))
_HK_CODE = re.compile(r"\s?[（(]\s*(?:HK\s?)?\d{4,5}(?:\.HK)?\s*[)）]", re.I)


def _hong_kong_listed(reading: _Reading) -> set[tuple[str, bool]]:
    """The names the text writes with a Hong Kong stock code right after them: 百度（9888）, 天数智芯（9903）."""
    found = set()
    for m in _HK_CODE.finditer(reading.view):
        before = reading.names_in(max(0, m.start() - 40), m.start())
        if before and before[-1].end == m.start():
            found.add(before[-1].entity)
            continue
        words = re.search(r"[\w&·'’. -]{1,24}$", reading.view[max(0, m.start() - 24):m.start()])
        for at in range(len(words[0]) - 1) if words else ():     # the longest name the graph knows wins
            name = words[0][at:].strip()
            entity = reading.resolve(name) if len(name) >= 2 else (name, False)
            if entity[1]:
                found.add(entity)
                break
    return found


# An offering's figures: in a text that reports the listing that followed, they are of the offering before it.
_OFFERING_METRICS = _DAY_METRICS - {"turnover-rate", "trading-value"}


def _reports_a_listing(reading: _Reading) -> set[str | None]:
    """The companies that had listed by the day the text was published, as it says (挂牌 on the 8th, listed
    on Friday; not 明年1月8日正式挂牌, still to come) or as the graph knows; None for a listing whose
    sentence names no company."""
    return {key for key, days in _listing_days(reading).items()
            if reading.published is None or any(dt.date.fromisoformat(day) <= reading.published for day in days)}


def _day_of_the_news(reading: _Reading) -> tuple[str | None, str]:
    """An offering's or a trading day's figure the text does not date is of the last day it named (11月24日
    公布的中签率), else of the day it was published; never of a day after publication (招股期至下周一)."""
    if reading.last_date and not (reading.published and reading.last_date > reading.published.isoformat()):
        return reading.last_date, "the last day the text names before it"
    if reading.published:
        return reading.published.isoformat(), "the day the text was published"
    return None, ""


_AT_OFFER_PRICE = re.compile(r"(?:以|按|按照)(?:发行价|发售价|招股价)|\bat the (?:offer|issue|IPO) price\b|"
                             r"\binitial market capitali[sz]ation\b", re.I)
_ESTIMATES = re.compile(r"(?:预测|预估|估算|盈利预测|预期)(?:模型|数据|结果|值)?\s*(?:显示|指出|认为|称|为)"
                        r"|\b(?:forecasts?|estimates?|projections?|models?)\s+(?:show|shows|see|sees|put|puts|suggest)",
                        re.I)
_FORECAST_WORDS = ("预计", "预期", "预测", "expected", "expects", "forecast")


def _circumstance(reading: _Reading, candidate: Candidate, place: _Place, period: str | None, how: str) -> str | None:
    """What the sentence and the period say of a figure's circumstance, beyond the cue words before it: a
    broker's estimates (预测模型显示，…分别为) are forecasts; the figure a forecast is compared with
    (比2024年的11.74亿元) and a quarter or a day already reported are actual, though a results forecast
    stands earlier in the paragraph."""
    circumstance = candidate.circumstance
    own_cue = any(word in candidate.text.lower() for word in _FORECAST_WORDS)
    if circumstance is None and how.startswith("the date of the") and re.search(r"预案|方案|草案", how):
        return "planned"    # the terms of a plan the text dated earlier
    if circumstance is None and _ESTIMATES.search(reading.view[place.sentence_start:candidate.start]):
        return "forecast"
    if circumstance == "forecast" and not own_cue:
        if how.endswith(_BASE_HOW):
            return None
        if period and not re.fullmatch(r"\d{4}", period) and "/" not in period and candidate.value is not None \
                and re.search(r"已|already|\breported\b", reading.view[place.sentence_start:candidate.start], re.I):
            return None    # 第三季度已经显现：该季度营收17.3亿元: a quarter already reported, beside a year's forecast
    return circumstance


def _share_of_what(before: str) -> str | None:
    """占比 / 比重: a share of what, the sentence says."""
    if "研发人员" in before:
        return "rd-staff-share"
    if "研发" in before and "经营开支" in before:
        return "rd-expense-share-of-opex"
    if "研发" in before:
        return "rd-expense-ratio"
    if "收入" in before:
        return "revenue-share"
    return "market-share" if "市场" in before else None


def _market(view: str, place: _Place, candidate: Candidate) -> str | None:
    """The market of a market share: 在中国AI芯片市场的份额, a 20% share of China's GPU market."""
    before = view[place.sentence_start:candidate.start]
    zh = re.findall(r"([\u4e00-\u9fffA-Za-z]{2,12}市场)", before)
    if zh:
        return re.split(r"在|于|占|的", zh[-1])[-1]
    after = view[candidate.end:place.sentence_end]
    en = re.search(r"\b(?:of|in) (?:the )?((?:[\w'’-]+ ){0,5}market)\b", after + " " + before, re.I)
    return en[1] if en else None


def _conversion_of(view: str, candidate: Candidate, previous: Candidate | None) -> str | None:
    """144.6港元（约新台币585.8元）, HK$9.3 billion ($1.19 billion): an amount in brackets, in another
    currency, right after another is the source's own conversion of it."""
    if previous is None or candidate.unit not in _MONEY or previous.unit not in _MONEY or previous.unit == candidate.unit:
        return None
    if re.fullmatch(r"\s*[（(]\s*(?:约|约合|合|折合|about|approximately|or)?\s*", view[previous.end:candidate.start]):
        return previous.stated[0]
    return None


def _stake_holder(reading: _Reading, candidate: Candidate, place: _Place,
                  listed_name: tuple[str, bool] | None) -> tuple[str, bool] | None:
    """Who holds a stake: the name a list aligns with it, 实际控制人为张建中, or the person or investor
    named before it in the sentence (Founder Zhang Jianzhong holds 36.36%)."""
    if listed_name is not None:
        return listed_name
    if named := _holder(reading.view, place.clause_start, place.sentence_start):
        return reading.resolve(named)
    holders = [n.entity for n in reading.names_in(place.sentence_start, candidate.start)
               if n.entity[1] and _is_holder_kind(reading.resolver, n.entity)]
    return holders[-1] if holders else None


def _each_period(reading: _Reading, proposed: Candidate, place: _Place) -> list[Candidate]:
    """在每一期...的占比均超过73%: one figure for each period of the span the text is about."""
    each = re.search(r"均|每一期|each (?:period|year)", reading.view[place.clause_start:proposed.start])
    span = reading.last_span
    if not each or span is None or proposed.period not in (None, span.span):
        return [proposed]
    return [replace(proposed, period=code, period_how=f"{each[0]}: each period of {_said(span)}") for code in span.codes]


# --- metrics --------------------------------------------------------------------------------------------

_BASES = (("高开", "open"), ("开盘", "open"), ("开市", "open"), ("开报", "open"), ("opened", "open"),
          ("opening", "open"), ("at the open", "open"), ("began trading", "open"), ("started", "open"),
          ("收盘", "close"), ("收报", "close"), ("收市", "close"), ("收于", "close"), ("全天", "close"),
          ("全日", "close"), ("closed", "close"), ("closing", "close"), ("at the close", "close"),
          ("finished", "close"), ("ended", "close"),
          ("最高价", "intraday-high"), ("一度", "intraday-high"), ("盘中", "intraday-high"), ("冲到", "intraday-high"),
          ("intraday", "intraday-high"), ("as high as", "intraday-high"), ("high of", "intraday-high"),
          ("touched", "intraday-high"), ("peaked", "intraday-high"),
          ("as the article was written", "at-time"), ("at the time of writing", "at-time"), ("截至发稿", "at-time"),
          ("截稿时", "at-time"), ("发稿时", "at-time"),
          ("during the session", "intraday-high"))
_PRICE_BASIS = re.compile(r"收盘价|开盘价|最高价|closing price|opening price|intraday high", re.I)
_VENUE_CURRENCY = ((re.compile(r"科创板|A股|上交所|深交所|沪市|深市|创业板|北交所|STAR Market|Shanghai Stock Exchange", re.I), "CNY"),
                   (re.compile(r"港股|港交所|联交所|香港交易所|HKEX|Hong Kong", re.I), "HKD"),
                   (re.compile(r"纳斯达克|纽交所|Nasdaq|NYSE", re.I), "USD"))


_PRICE_RISE = re.compile(r"(?:股价|股份|shares?|stock)\S{0,12}(?:涨|升|飙)|上市以来\S{0,8}涨|"
                         r"\b(?:rose|risen|rise|rising|surged?|soared?|jumped|climbed|gained)\b|"
                         r"\b(?:doubl|tripl|quadrupl|quintupl|sextupl)ed\b", re.I)
_LOSS_OF = {"net-profit": "net-loss", "adjusted-net-profit": "adjusted-net-loss"}
_SIGN = re.compile(r"(?<![0-9A-Za-z.%)）\-])([+＋\-−])\s?$")   # a sign, not a range's dash (2022-2024, Q1-Q3)
_OFFERING_WORDS = re.compile(r"发行|发售|配售|获配|基石|认购|申购|网上|网下|回拨|\boffer|\bplacement|\btranche", re.I)


def _metric_word(reading: _Reading, candidate: Candidate, place: _Place,
                 previous: tuple[Candidate, str | None] | None) -> str | None:
    """The word nearest the figure that says what it measures, in its clause (before it, in its own text,
    after it), else the one of the figure before it in the sentence (2022年为100%，...降到31.9%), else the
    nearest in the sentence; a kind that only its unit names (户: online subscribers). Rules and
    thresholds (超过触发回拨机制的100倍门槛) and a size band of IPOs measure nothing of a company."""
    view = reading.view
    bare = candidate.unit is None and not re.search(rf"{_ZH_MULT}|illion|bn|mn", "".join(candidate.stated))
    fit = (candidate.unit, bare)
    if _THRESHOLD.match(view[candidate.end:candidate.end + 12]) or \
            _SIZE_BAND.search(view[max(0, candidate.start - 30):candidate.start]):
        return None
    sign = _SIGN.search(view[max(0, candidate.start - 3):candidate.start])
    if sign and candidate.unit == "percent":
        return "gain" if sign[1] in "+＋" else "fall"    # (+82.1%), -4.5%: the sign says which way a price moved
    if candidate.unit == "percent" and re.search(r"占\s*(?:约|了)?\s*$", view[max(0, candidate.start - 4):candidate.start]) \
            and _OFFERING_WORDS.search(view[place.sentence_start:place.sentence_end]):
        return "allotment-share"    # 网上最终发行800万股，占40.00%: the tranche's share of the offering
    if candidate.unit == "times" and (_PRICE_RISE.search(view[max(place.clause_start, candidate.start - 40):candidate.end])):
        return "price-multiple"    # 上市以来股价涨了4.9倍, quintupled on its first day: the price against the offer
    clause_end = reading.index.clause_end(candidate.end)
    before = view[max(place.clause_start, candidate.start - _WINDOW):candidate.start]
    if (previous is not None and previous[1] == "gain" and candidate.unit in _MONEY
            and re.fullmatch(r"\s*(?:up|higher|lower|down)?\s*(?:at|to)\s*", before, re.I)):
        return "price"     # finished 13.2% up at HK$131.50: the price the gain took it to
    own = _metric_after(view[candidate.start:candidate.end], fit)
    after = re.split(r"\s(?:and|but|while)\s|而|并|但", view[candidate.end:min(clause_end, candidate.end + _WINDOW)])[0]
    found = _metric_before(before, fit) or own or _metric_after(after, fit)
    if found is None and previous is not None and previous[0].unit == candidate.unit and previous[1] is not None \
            and previous[0].per_share == candidate.per_share:
        found = previous[1]     # 换股价格定为143.46元/股，被吸收合并方为79.26元/股: the same measure again
    if found is None and candidate.unit in _MONEY and not candidate.per_share and \
            re.search(r"基石|cornerstone", view[place.sentence_start:place.sentence_end], re.I):
        found = "cornerstone-subscription"   # 18名基石投资者…合计投资约15.83亿港元: what the cornerstones put in
    if found is None and candidate.per_share and candidate.unit in _MONEY:
        sentence = view[place.sentence_start:place.sentence_end]
        offering = re.search(r"offer|issue price|发售|发行|招股|募资|集资|募集|\bIPO\b|\brais(?:e|ed|ing)\b", sentence, re.I) \
            and not any(w in sentence.lower() for w, _ in _BASES)
        found = "offer-price" if offering else "price"
    if found is None and previous is not None and previous[0].unit == candidate.unit and previous[1] is not None:
        found = previous[1]
    if found is None:
        found = _metric_before(view[max(place.sentence_start, candidate.start - 2 * _WINDOW):candidate.start], fit)
    return found or _metric_by_unit(candidate.unit)


def _metric_and_day(reading: _Reading, candidate: Candidate, place: _Place, kind: str | None,
                    entity: tuple[str, bool] | None, period: str | None, how: str,
                    out: Sequence[Candidate]) -> tuple[str | None, str | None, str, str | None]:
    """The metric a kind of word makes of a figure, with its period and, for a listing-day figure, its basis.

    A share price, a gain or a market value is a listing-day figure (first-day-...) when the sentence
    says it is (首日, first day of trading) or when its day is a day the company listed (the text's
    8日挂牌, or the graph's listing); on another day it is a dated figure of its own (a later close,
    today's market value), never a first-day one. A gain or a price of a market or an index is never
    a listing-day figure."""
    view = reading.view
    sentence = view[place.sentence_start:place.sentence_end]
    first_day = bool(_FIRST_DAY.search(sentence))
    own_date = period if period and re.fullmatch(r"\d{4}-\d\d-\d\d", period) else None
    company = not any(n.entity == entity and n.kind == "market"
                      for n in reading.names_in(place.sentence_start, candidate.start))
    metric, basis = kind, None
    if kind in ("price", "gain", "market-value", "offer-price", "paper-gain-per-lot"):
        listed, day = _listing_day(reading, entity, own_date, first_day)
        if kind == "offer-price":
            if first_day and day:
                period, how = day, "the listing day the sentence is about"
            return metric, period, how, None
        if kind == "paper-gain-per-lot":
            if day and _PRICE_BASIS.search(sentence) and not own_date:
                period, how = day, "a listing day's price"
            return metric, period, how, None
        if _is_index(reading.resolver, entity):
            metric = {"price": "index-level", "gain": "index-change", "market-value": None}[kind]
        elif listed and company:
            metric = {"price": "first-day-price", "gain": "first-day-gain", "market-value": "first-day-market-cap"}[kind]
            if day and period != day:
                period, how = day, ("the listing day the sentence is about" if first_day else "a day the company listed")
            basis = _basis(reading, place, candidate, out)
            if _TIME_OF_DAY.search(view[place.sentence_start:candidate.start]):
                basis = "at-time"   # 截至10时30分: at a time of day, not the open, close or high
        else:
            metric = {"price": "share-price", "gain": "price-rise", "market-value": "market-cap"}[kind]
    elif kind == "price-multiple":
        listed, day = _listing_day(reading, entity, own_date, first_day)
        metric = "price-multiple-of-offer"
        if first_day and day:
            period, how = day, "the listing day the sentence is about"
        elif not own_date:
            period, how = None, ""     # since the listing: as of the day of the news
    elif kind == "fall":
        listed, _ = _listing_day(reading, entity, own_date, first_day)
        metric = "index-change" if _is_index(reading.resolver, entity) else None if listed and company else "price-fall"
    if basis is None and metric in _basis_metrics():
        # a later day's price or move: at the close, the open, a time of day the sentence gives, or not stated
        basis = "at-time" if _TIME_OF_DAY.search(view[place.sentence_start:reading.index.clause_end(candidate.end)]) else \
            _basis(reading, place, candidate, out)
    if kind == "growth":
        revenue = re.search(r"营收|收入|revenue|sales", view[place.sentence_start:candidate.start], re.I)
        metric = "revenue-growth-multiple" if candidate.unit == "times" and revenue else "revenue-growth"
    return metric, period, how, basis


def _listing_day(reading: _Reading, entity: tuple[str, bool] | None, own_date: str | None,
                 first_day: bool) -> tuple[bool, str | None]:
    """Whether a figure is of a listing day, and which: its own date when the company listed that day
    (or the sentence says it is the first day); else, when the sentence speaks of the first day, the day
    the text or the graph says the company listed (or none known); else the last date the text named,
    when the company listed that day."""
    days = reading.listing_days(entity)
    if own_date:
        return (own_date in days or first_day), own_date
    if first_day:
        named = sorted(reading.listing.get(entity[0], set())) if entity else []
        known = named or sorted(reading.listing.get(None, set()))
        return True, known[-1] if known else reading.last_date
    if reading.last_date and reading.last_date in days:
        return True, reading.last_date
    return False, None


def _basis(reading: _Reading, place: _Place, candidate: Candidate, out: Sequence[Candidate]) -> str:
    """When in the listing day a figure was taken: at the open, the close, the intraday high; the word
    nearest the figure in its clause (一度冲到688元/股 before it, 以600.50元/股收盘 after it), else the
    basis of the figure before it in the sentence (收盘报600.50元/股，全天涨幅…), else not stated."""
    view = reading.view
    clause_end = reading.index.clause_end(candidate.end)
    before = view[place.clause_start:candidate.start].lower()
    after = re.split(r"\d", view[candidate.end:min(clause_end, candidate.end + _WINDOW)].lower())[0]  # up to the next figure
    found = sorted([(len(before) - before.rfind(word), basis) for word, basis in _BASES if word in before]
                   + [(after.find(word) + 1, basis) for word, basis in _BASES if word in after])
    if found:
        return found[0][1]
    since = view[out[-1].end if out and out[-1].end >= place.sentence_start else place.sentence_start:candidate.start].lower()
    if any(word in since for word, basis in _BASES if basis == "at-time"):
        return "at-time"     # …, as the article was written, stood 708.32% higher
    for earlier in reversed(out[-8:]):
        if earlier.start < place.sentence_start:
            break
        if earlier.basis not in (None, "not-stated"):
            return earlier.basis   # 当天以600.50元/股收盘，涨幅为425.46%: the same close
    sentence_before = view[place.sentence_start:candidate.start].lower()
    found = sorted((len(sentence_before) - sentence_before.rfind(word), basis) for word, basis in _BASES
                   if word in sentence_before)
    return found[0][1] if found else "not-stated"


def _metric_unit(reading: _Reading, candidate: Candidate, metric: str | None,
                 place: _Place) -> tuple[str | None, str | None]:
    """The unit the metric says a figure is in: 家 counts customers or investors; 60亿 of proceeds is in
    the currency the text uses, or its exchange's."""
    unit = candidate.unit
    expected = _metric_units().get(metric or "")
    if expected is None:
        return unit, None
    if unit in _COUNT_UNITS and expected.is_count:
        return expected.notation, None
    if unit is None and expected.is_money and re.search(rf"{_ZH_MULT}|illion|bn|mn", "".join(candidate.stated)):
        return _text_currency(reading, place)
    return unit, None


def _text_currency(reading: _Reading, place: _Place) -> tuple[str | None, str | None]:
    """The currency of the exchange the sentence names (拟在科创板募资60亿), else the one the text writes
    most, else that of the exchange the text names."""
    sentence = reading.view[place.sentence_start:place.sentence_end]
    for pattern, currency in _VENUE_CURRENCY:
        if pattern.search(sentence):
            return currency, "the currency of the exchange the sentence names"
    if reading.currencies:
        return reading.currencies[0], "the currency the text writes"
    for pattern, currency in _VENUE_CURRENCY:
        if pattern.search(reading.view):
            return currency, "the currency of the exchange the text names"
    return None, None


_COUNT_UNITS = {"organization", "customer", "item", "person", "deployment", None}


def _metric_units() -> dict[str, Unit]:
    from ..base.ontology import vocabulary
    return vocabulary().metric_units


def _accepted(metric: str | None) -> str | None:
    """The metric if the vocabulary (the ontology, as the validator reads it) has it, else None."""
    return metric if metric in _metric_units() else None


@cache
def _label_words() -> tuple[tuple[str, str], ...]:
    """The metrics' own labels in either language (发行价 is offer-price): a metric the vocabulary gains
    is found by its name without a word list here."""
    from ..base.ontology import ontology_graph, vocabulary
    from rdflib import RDFS
    graph = ontology_graph()
    words = []
    for notation, individual in vocabulary().concepts[GPU.Metric].items():
        if notation in vocabulary().basis_metrics:
            continue    # a listing-day figure is told from a later day's by the text around it (_metric_and_day)
        for label in graph.objects(individual, RDFS.label):
            text = simplified(str(label)).lower()
            if 2 <= len(text) <= 24:
                words.append((text, notation))
    return tuple(sorted(set(words)))


def _metric_by_unit(unit: str | None) -> str | None:
    """The one metric measured in ``unit``, when only one is (户 and accounts: online subscribers)."""
    if unit in _COUNT_UNITS or unit in _MONEY or unit in ("percent", "times"):
        return None
    found = [metric for metric, expected in _metric_units().items() if expected.notation == unit]
    return found[0] if len(found) == 1 else None


def _is_index(resolver: Resolver | None, entity: tuple[str, bool] | None) -> bool:
    """A market index moves by points and percent; its rises are no share's."""
    if resolver is None or entity is None or not entity[1]:
        return False
    return GPU.MarketIndex in resolver.types.get(KGR[entity[0]], set())


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
                                "Security", "Regulator", "ResearchFirm", "DataProvider"))
               for t in types):
            continue
        nodes.add(node)
    return nodes


def _main_subject(names: Sequence[_Name]) -> tuple[str, bool] | None:
    counts: dict[str, int] = {}
    for name in names:
        if name.entity[1]:
            counts[name.entity[0]] = counts.get(name.entity[0], 0) + 1
    if not counts:
        return None
    return max(sorted(counts), key=lambda n: counts[n]), True


def _fits(metric: str, fit: tuple[str | None, bool]) -> bool:
    """Whether a figure in ``unit`` can be an amount of ``metric`` (a share count is no gain in percent,
    a bare 56.4 is no revenue)."""
    unit, bare = fit
    if metric in _KIND_UNITS:
        return unit in _KIND_UNITS[metric] or (unit is None and not bare and any(u in _MONEY for u in _KIND_UNITS[metric]))
    expected = _metric_units().get(metric)
    if expected is None:
        return True
    if unit is None:
        return not (bare and (expected.is_money or expected.notation in ("percent", "times")))
    if expected.is_money or unit in _MONEY:
        return expected.is_money and unit in _MONEY
    if expected.notation in ("percent", "times") or unit in ("percent", "times"):
        return expected.notation == unit
    return expected.is_count and (unit in _COUNT_UNITS or unit == expected.notation)


def _keywords() -> tuple[tuple[str, str], ...]:
    return _METRIC_WORDS + _label_words()


def _metric_before(window: str, fit: tuple[str | None, bool]) -> str | None:
    best: tuple[int, int, str] | None = None
    window = window.lower()
    for word, metric in _keywords():
        if word not in window or not _fits(metric, fit):
            continue
        at = _word_at(window, word)
        if at >= 0 and (best is None or (at + len(word), len(word)) > (best[0], best[1])):
            best = (at + len(word), len(word), metric)
    return best[2] if best else None


def _metric_after(window: str, fit: tuple[str | None, bool]) -> str | None:
    window = window.lower()
    found = [(at, -len(word), metric) for word, metric in _keywords()
             if word in window and _fits(metric, fit) and (at := _word_first(window, word)) >= 0]
    return min(found)[2] if found else None


def _word_at(window: str, word: str) -> int:
    """Where ``word`` last stands in ``window`` (a Latin word whole, not inside another), or -1."""
    if not word.isascii():
        at = window.rfind(word)
        while at >= 0 and _NOT_BEFORE.get(word) and window[at + len(word):at + len(word) + 1] in _NOT_BEFORE[word]:
            at = window.rfind(word, 0, at)   # 报 of 报告 is no quote
        return at
    found = [m.start() for m in re.finditer(_word_pattern(word), window)]
    return found[-1] if found else -1


_NOT_BEFORE = {"报": tuple("告道名表送刊纸社")}   # characters that make a one-character word part of another
_WORD_STEMS = {"subscri", "oversubscri"}   # subscribed, subscription, oversubscribed


def _word_pattern(word: str) -> str:
    return rf"(?<![a-z]){re.escape(word)}" + ("" if word in _WORD_STEMS else r"(?![a-z])")


def _word_first(window: str, word: str) -> int:
    if not word.isascii():
        at = window.find(word)
        while at >= 0 and _NOT_BEFORE.get(word) and window[at + len(word):at + len(word) + 1] in _NOT_BEFORE[word]:
            at = window.find(word, at + 1)
        return at
    m = re.search(_word_pattern(word), window)
    return m.start() if m else -1


_LIST_GLUE = re.compile(r"[\s、,，]*(?:和|及|与|以及|and)?[\s、,，]*(?:(?:HK|US)\$|RMB|人民币)?\s*")


def _lists(view: str, candidates: Sequence[Candidate]) -> list[int]:
    """For each figure, the index of the first figure of its list (A、B、C / A, B and C)."""
    heads: list[int] = []
    for index, candidate in enumerate(candidates):
        if index and candidate.unit == candidates[index - 1].unit and \
                _LIST_GLUE.fullmatch(view[candidates[index - 1].end:candidate.start]):
            heads.append(heads[-1])
        else:
            heads.append(index)
    return heads
# --- comparing with the facts ---------------------------------------------------------------------

def candidate_value(candidate: Candidate) -> FigureValue | None:
    """The candidate as the loader would read it for its metric (without one, in its own unit), or None
    when it cannot be (a unit that does not fit the metric, a currency the vocabulary does not have)."""
    unit = _metric_units().get(candidate.metric or "") if candidate.metric else _own_unit(candidate)
    if unit is None:
        return None
    if unit.is_money and candidate.currency_from and candidate.unit in CURRENCIES:
        unit = CURRENCIES[candidate.unit]     # 60亿 of an A-share IPO: the currency the text implies
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


def _own_unit(candidate: Candidate) -> Unit | None:
    """The unit a figure without a metric is read in: its currency, percent, times or its count."""
    if candidate.unit in CURRENCIES:
        return CURRENCIES[candidate.unit]
    if candidate.unit in ("percent", "times"):
        return Unit(candidate.unit, "%" if candidate.unit == "percent" else "倍", False)
    if candidate.unit is not None and candidate.unit not in _MONEY and candidate.unit != "point":
        return Unit(candidate.unit, "", True)
    return None


def _amount_text(candidate: Candidate, stated: str, unit: Unit) -> str:
    """The amount as a fact file writes it for ``unit``: money keeps its currency, a count only its number."""
    match = _AMOUNT.match(reading_view(stated))
    if unit.is_money or not match or match["frac"] or match["tenths"]:
        return stated                        # 百分之四 and 四成 read as percentages as written
    number = stated[match.start("num" if match["num"] else "cnum"):match.end("mult" if match["mult"] else
                                                                             ("num" if match["num"] else "cnum"))].strip()
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
    precise, conflict, or already recorded from this source (with what is recorded, where from, and
    the recorded statements it matches).

    A candidate with its metric and period is compared with the statements of its group (entity,
    metric, period, segment, basis, holder). One the text leaves incomplete (no metric, no period) is
    compared, through kg.facts.reconcile, with the statements of its entity that agree with what it
    does say, and matches those whose value it states (the same, or rounder, or more precise)."""
    new = candidate_value(candidate)
    if new is None or not candidate.entity_known:
        return candidate
    if candidate.metric is not None and candidate.period is not None:
        key = _group(candidate)
        group = [r for r in figures if _group_of(r) == key]
    else:
        group = [r for r in figures if _agrees(candidate, r) and r["figure"].unit == new.unit
                 and compare(new, r["figure"]) in (reconcile.SAME, reconcile.MORE_PRECISE, reconcile.LESS_PRECISE)]
    if not group:
        return replace(candidate, status="new")
    answers = [(r, compare(new, r["figure"])) for r in group]
    existing = tuple((_stated(r), ", ".join(_sources(r))) for r, _ in answers)
    recorded = tuple(r.key for r, _ in answers)
    ours = [answer for r, answer in answers if source in _sources(r)]
    if "same" in ours or any(_same_numbers(new, r["figure"]) for r, _ in answers if source in _sources(r)):
        return replace(candidate, status="already recorded from this source", existing=existing, recorded=recorded)
    found = [answer for r, answer in answers if source not in _sources(r)] or ours
    for answer in ("conflict", "same", "more precise", "less precise", "consistent", reconcile.OTHER_CURRENCY):
        if answer in found:
            return replace(candidate, status=answer, existing=existing, recorded=recorded)
    return replace(candidate, existing=existing, recorded=recorded)  # pragma: no cover - compare answers one of the above


def _agrees(candidate: Candidate, record: Record) -> bool:
    """The record is of the candidate's entity, and of its metric, period, basis, segment and holder
    wherever the candidate names one."""
    wanted = (candidate.metric, candidate.period, candidate.segment, candidate.basis, candidate.holder)
    have = _group_of(record)
    return have[0] == candidate.entity and all(w is None or w == h for w, h in zip(wanted, have[1:]))


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
        if c.market:
            lines.append(f"    # market: {c.market}")
        if c.basis:
            lines.append(f"    basis: {c.basis}" + ("  # TODO: open, close or intraday-high if the text says"
                                                     if c.basis == "not-stated" else ""))
        elif c.metric in _basis_metrics():
            lines.append("    basis: ~  # TODO: open, close, intraday-high or not-stated (the text gives a time of day)")
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
        if c.currency_from and c.unit:
            lines.append(f"    currency: {c.unit}  # {c.currency_from}")
        if c.circumstance:
            lines.append(f"    circumstance: {c.circumstance}")
        if c.conversion_of:
            lines.append(f"    # the source's own conversion of {c.conversion_of}: one statement with the amount it converts")
        lines.append(f"    source: {extraction.source}" if extraction.source
                     else "    source: ~  # TODO: the source id (kg extract --source ID)")
        if extraction.source_text_stored:
            lines.append(f"    quote: {_yaml_scalar(c.sentence)}")
        else:
            lines.append("    locator: ~  # TODO: where in the source, in our words (e.g. financials paragraph, H1 2025 net loss)")
    return "\n".join(lines) + "\n"


def _basis_metrics() -> frozenset[str]:
    from ..base.ontology import vocabulary
    return vocabulary().basis_metrics


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
