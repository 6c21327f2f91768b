"""How a written name is filed: the keys a name, an id or a ticker is found under.

The build's index of names (kept with each store) and the resolver of names
(kg.query.resolve) file and look up names by these same keys, so a name finds
the same entity in memory, on disk and on the command line.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from rdflib import RDFS, SKOS, Graph

from .hanzi import simplified
from .ontology import GPU, KGR

T = TypeVar("T")


NAME_PREDICATES = (RDFS.label, SKOS.altLabel, SKOS.notation, GPU.legalName)  # what a thing may be named by


TICKER_PREDICATES = (GPU.ticker, GPU.securityOf)  # a company is also named by the tickers of its securities


# The usual parts of a company's name, which a short name leaves out. Stripped from the end
# (suffixes) and the start (places) until none is left or the name would become too short.
_ZH_SUFFIXES = tuple(sorted((
    "股份有限公司", "有限责任公司", "有限公司", "公司", "集团", "控股", "股份", "科技", "技术",
    "半导体", "集成电路", "微电子", "电子", "智芯", "芯片", "国际",
    # what an investment firm's name says it is: 红杉资本, 景林资产, 启明创投 are 红杉, 景林, 启明
    "资本", "资产管理", "资产", "创投", "创业投资", "投资", "基金管理", "基金", "(有限合伙)", "（有限合伙）",
), key=len, reverse=True))


_ZH_PREFIXES = ("上海", "北京", "深圳", "杭州", "广州", "南京", "苏州", "无锡", "成都", "武汉", "西安", "合肥",
                "天津", "重庆", "香港", "中国")


_EN_SUFFIXES = tuple(tuple(part.split()) for part in sorted((
    "co", "company", "ltd", "limited", "inc", "incorporated", "corp", "corporation", "group", "holdings",
    "holding", "technology", "technologies", "tech", "semiconductor", "semiconductors", "integrated circuits",
    "integrated circuit", "microelectronics", "electronics", "plc", "llc", "international",
    "capital", "asset management", "assets", "asset", "ventures", "venture partners", "venture capital", "partners",
    "investment", "investments", "fund", "fund management", "management",
), key=lambda p: -len(p.split())))


_EN_PREFIXES = ("shanghai", "beijing", "shenzhen", "hangzhou", "guangzhou", "nanjing", "suzhou", "china")


_TICKER = re.compile(r"^0*(?P<code>\d{1,6})(?:\.(?P<market>hk|sh|sz|bj|ss))?$")


CJK = re.compile(r"[\u3400-\u9fff]")


def normal_name(text: str) -> str:
    """A name as it is compared: NFKC, in simplified characters (摩爾線程 is 摩尔线程), case folded,
    white space collapsed."""
    return " ".join(simplified(unicodedata.normalize("NFKC", text)).casefold().split())


def core_name(text: str) -> str:
    """``text`` without the usual parts of a company name: 上海天数智芯半导体股份有限公司 -> 天数智芯 -> 天数."""
    name = normal_name(text)
    if CJK.search(name):
        name = re.sub(r"[\s()（）·,，.]", "", name)
        changed = True
        while changed:
            changed = False
            for part in _ZH_SUFFIXES:
                if name.endswith(part) and len(name) - len(part) >= 2 and name[: -len(part)] not in _ZH_PARTS:
                    name, changed = name[: -len(part)], True
                    break
            for part in _ZH_PREFIXES:
                if name.startswith(part) and len(name) - len(part) >= 2 and name[len(part):] not in _ZH_PARTS:
                    name, changed = name[len(part):], True
                    break
        return name
    words = re.sub(r"[^\w\s&-]", " ", name).split()
    changed = True
    while changed:
        changed = False
        for part in _EN_SUFFIXES:
            if len(words) > len(part) and tuple(words[-len(part):]) == part and not _en_part(words[: -len(part)]):
                words, changed = words[: -len(part)], True
                break
        if len(words) > 1 and words[0] in _EN_PREFIXES and not _en_part(words[1:]):
            words, changed = words[1:], True
    return " ".join(words)


# A short name is never a company-name part alone: Shenzhen Capital Group is not "capital".
_ZH_PARTS = frozenset(_ZH_SUFFIXES + _ZH_PREFIXES)


def _en_part(words: list[str]) -> bool:
    return tuple(words) in _EN_SUFFIXES or (len(words) == 1 and words[0] in _EN_PREFIXES)


def ticker_key(text: str) -> str | None:
    """``06082.HK`` and ``6082.hk`` are one ticker; a bare code ``688795`` is one too."""
    match = _TICKER.match(normal_name(text))
    if not match or len(match["code"]) < 3:
        return None
    market = {"ss": "sh"}.get(match["market"] or "", match["market"] or "")
    return f"{match['code']}.{market}" if market else match["code"]


def name_keys(text: str) -> set[str]:
    """Every key a name is filed under: itself, its core, and as a ticker."""
    keys = {normal_name(text)}
    ticker = ticker_key(text)
    if ticker:
        keys |= {ticker, ticker.split(".")[0]}
    elif core := core_name(text):
        keys.add(core)
    return {key for key in keys if key}


def id_keys(node: str) -> set[str]:
    """The ids a user may give for ``node``: its IRI's tail after the ids' or the ontology's namespace."""
    return {normal_name(node[len(namespace):]) for namespace in (str(KGR), str(GPU)) if node.startswith(namespace)}


def index_keys(node: str, names: Iterable[str]) -> set[str]:
    """What the on-disk index files ``node`` under: its ids, their last segment, and each name's keys."""
    keys = id_keys(node)
    keys |= {key.rsplit("/", 1)[-1] for key in keys if "/" in key}  # "2024" names period/2024
    for name in names:
        keys |= name_keys(name)
    return keys


# What is made of a graph's names (a resolver), kept while the graph lives and is not changed.
_KEPT: weakref.WeakKeyDictionary[Graph, tuple[int, Any]] = weakref.WeakKeyDictionary()


def kept_for(graph: Graph, make: Callable[[Graph], T]) -> T:
    """``make(graph)``, made once while ``graph`` lives and keeps its size; a store that changes
    a graph in place calls ``forget``."""
    kept = _KEPT.get(graph)
    if kept is not None and kept[0] == len(graph):
        return kept[1]
    made = make(graph)
    _KEPT[graph] = (len(graph), made)
    return made


def forget(graph: Graph) -> None:
    _KEPT.pop(graph, None)
