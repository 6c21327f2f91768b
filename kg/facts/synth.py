"""Synthetic fact folders in the format of ``facts/``, for measuring the pipeline at scale.

``write_synthetic("big", companies=13_000)`` writes a folder that ``kg validate``
accepts: chip designers with their products, milestones, suppliers, funding
rounds, listings, figures by period and statements, about 86 triples per
company. Each company's facts quote sentences of an industry report whose text
is stored beside them (one report per ten companies), so the quotes are checked
word for word; funding rounds come from a database source without a stored
text, so they quote nothing and a locator says where they are found.

The output depends on the seed alone: company ``i`` draws from its own random
generator, so a folder of N companies holds the first N companies of any larger
one, and the same call always writes the same bytes. Kinds go in one file each,
except figures, which are split into files of at most ``FIGURES_PER_FILE``
entries so that a change to one leaves the others untouched.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..base.errors import UsageError, os_errors
from ..base.files import make_folder

FIGURES_PER_FILE = 400
COMPANIES_PER_REPORT = 10

# Syllables of company names: (characters, pinyin). Names are drawn from every
# pair and triple of them, so ids are unique up to MAX_COMPANIES.
_SYLLABLES = (
    ("天", "tian"), ("数", "shu"), ("智", "zhi"), ("芯", "xin"), ("睿", "rui"), ("华", "hua"), ("海", "hai"),
    ("云", "yun"), ("昆", "kun"), ("登", "deng"), ("思", "si"), ("源", "yuan"), ("景", "jing"), ("龙", "long"),
    ("星", "xing"), ("恒", "heng"), ("博", "bo"), ("宇", "yu"), ("光", "guang"), ("明", "ming"), ("飞", "fei"),
    ("腾", "teng"), ("辰", "chen"), ("泰", "tai"), ("鸿", "hong"), ("瀚", "han"), ("微", "wei"), ("讯", "xun"),
    ("达", "da"), ("创", "chuang"), ("极", "ji"), ("凌", "ling"), ("峰", "feng"), ("嘉", "jia"), ("朗", "lang"),
    ("卓", "zhuo"), ("越", "yue"), ("启", "qi"), ("澜", "lan"), ("磐", "pan"),
)
_COMPANY_SUFFIXES = (("科技", "Technology", "tech"), ("半导体", "Semiconductor", "semi"),
                     ("微电子", "Microelectronics", "micro"), ("智能", "Intelligence", "ai"))
_NAMES = len(_SYLLABLES) ** 2 + len(_SYLLABLES) ** 3
MAX_COMPANIES = _NAMES * len(_COMPANY_SUFFIXES)

_CITIES = (
    ("shanghai", "上海", "Shanghai"), ("beijing", "北京", "Beijing"), ("shenzhen", "深圳", "Shenzhen"),
    ("hangzhou", "杭州", "Hangzhou"), ("nanjing", "南京", "Nanjing"), ("suzhou", "苏州", "Suzhou"),
    ("hefei", "合肥", "Hefei"), ("wuhan", "武汉", "Wuhan"), ("chengdu", "成都", "Chengdu"),
    ("xian", "西安", "Xi'an"), ("guangzhou", "广州", "Guangzhou"), ("changsha", "长沙", "Changsha"),
)
_SECTORS = (
    ("internet", "互联网", "Internet"), ("finance", "金融", "Finance"), ("government", "政务", "Government"),
    ("healthcare", "医疗", "Healthcare"), ("transportation", "交通", "Transportation"),
    ("telecom", "通信", "Telecommunications"), ("energy", "能源", "Energy"), ("education", "教育", "Education"),
)
_EXCHANGES = (
    ("hkex", "stock-exchange", "香港交易所", "Hong Kong Exchanges and Clearing", None),
    ("sse", "stock-exchange", "上海证券交易所", "Shanghai Stock Exchange", None),
    ("star-market", "listing-board", "科创板", "STAR Market", "sse"),
)
_LINE_WORDS = (("曜", "Yao"), ("擎", "Qing"), ("翼", "Yi"), ("峦", "Luan"), ("霄", "Xiao"), ("垣", "Yuan"),
               ("骁", "Xiao"), ("穹", "Qiong"))
_STANCES = ("cuda-compatible", "self-developed-software-stack", "fully-in-house")
_STANCE_ZH = {"cuda-compatible": "兼容CUDA生态", "self-developed-software-stack": "自研软件栈",
              "fully-in-house": "全栈自主研发"}
_WORKLOAD_ZH = {"training": "训练", "inference": "推理"}
_ROUNDS = ("A", "B", "C", "C+", "D", "Pre-IPO")

FUNDING_DATABASE = "funding-database"


@dataclass
class _Folder:
    """What the generator has written so far, kind by kind."""

    entries: dict[str, list[str]] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    report_sentences: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, entry: str) -> None:
        self.entries.setdefault(kind, []).append(entry)


@dataclass(frozen=True)
class Summary:
    """What ``write_synthetic`` wrote."""

    companies: int
    files: int
    entries: int


def write_synthetic(out_dir: str | Path, companies: int, *, seed: int = 0) -> Summary:
    """Write a fact folder of ``companies`` synthetic chip designers to ``out_dir``.

    The folder must not exist or be empty; it appears complete or not at all.
    """
    if companies < 1 or companies > MAX_COMPANIES:
        raise UsageError(f"--companies must be between 1 and {MAX_COMPANIES}, not {companies}")
    out = Path(out_dir)
    with os_errors("write", out):
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise UsageError(f"{out} already exists and is not an empty folder; choose a new one")
    files = synthesize(companies, seed=seed)
    with os_errors("write", out):
        _write_folder(out, files)
    entries = sum(text.count("\n  - ") for name, text in files.items() if name.endswith(".yaml"))
    return Summary(companies, len(files), entries)


def _write_folder(out: Path, files: dict[str, str]) -> None:
    make_folder(out.parent)
    staging = out.parent / f".{out.name}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)  # what an earlier run of this process id left
    staging.mkdir()
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def synthesize(companies: int, *, seed: int = 0) -> dict[str, str]:
    """The files of a synthetic fact folder: relative path -> text, in a stable order."""
    folder = _Folder()
    pools = _Pools(companies, seed)
    pools.write(folder)
    for number in range(companies):
        _Company(number, seed, pools).write(folder)
    return _render(folder)


# --- names ------------------------------------------------------------------------

def _pick_name(index: int, scramble: int) -> tuple[str, str, str]:
    """The ``index``-th of all syllable pairs and triples, visited in a scrambled order."""
    count = len(_SYLLABLES)
    step = 7919  # a prime not dividing ``_NAMES``: ``index -> index * step`` is a bijection
    slot = (index * step + scramble) % _NAMES
    if slot < count**2:
        parts = (slot // count, slot % count)
    else:
        slot -= count**2
        parts = (slot // count**2, slot // count % count, slot % count)
    zh = "".join(_SYLLABLES[p][0] for p in parts)
    pinyin = "".join(_SYLLABLES[p][1] for p in parts)
    return zh, pinyin.capitalize(), pinyin


class _Names:
    """Unique names: the same pinyin for different characters gets a number."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def unique(self, slug: str) -> str:
        candidate, number = slug, 2
        while candidate in self.used:
            candidate, number = f"{slug}-{number}", number + 1
        self.used.add(candidate)
        return candidate


# --- shared organisations: foundries, packaging houses, investors, exchanges ----------

@dataclass(frozen=True)
class _Org:
    id: str
    zh: str
    en: str


class _Pools:
    def __init__(self, companies: int, seed: int):
        self.seed = seed
        self.names = _Names()
        rng = random.Random(f"pools:{seed}")
        self.scramble = rng.randrange(10**6)
        self.foundries = self._orgs(max(3, companies // 40), "fab", "半导体制造", "Semiconductor Manufacturing", rng)
        self.packagers = self._orgs(max(2, companies // 60), "packaging", "封测", "Packaging and Test", rng)
        self.investors = self._orgs(max(5, companies // 8), "capital", "资本", "Capital", rng)
        self.reports = (companies + COMPANIES_PER_REPORT - 1) // COMPANIES_PER_REPORT

    def _orgs(self, count: int, kind: str, zh_suffix: str, en_suffix: str, rng: random.Random) -> list[_Org]:
        orgs = []
        offset = rng.randrange(10**6)
        for number in range(count):
            zh, en, slug = _pick_name(number + offset, self.scramble + 17)
            orgs.append(_Org(self.names.unique(f"{slug}-{kind}"), zh + zh_suffix, f"{en} {en_suffix}"))
        return orgs

    @staticmethod
    def report_id(number: int) -> str:
        return f"industry-report-{number + 1:05d}"

    @staticmethod
    def report_text(number: int) -> str:
        return f"texts/reports/report-{number + 1:05d}.txt"

    def write(self, folder: _Folder) -> None:
        for number in range(self.reports):
            first, last = number * COMPANIES_PER_REPORT + 1, (number + 1) * COMPANIES_PER_REPORT
            folder.add("sources", _entry(
                ("id", self.report_id(number)), ("kind", "report"),
                ("title", _names(f"国产GPU企业研究报告第{number + 1}期",
                                 f"Domestic GPU companies research report no. {number + 1}")),
                ("language", "zh"), ("text", self.report_text(number)),
                ("note", f"Synthetic: covers companies {first} to {last} of the generated set."),
            ))
        folder.add("sources", _entry(
            ("id", FUNDING_DATABASE), ("kind", "data"),
            ("title", _names("一级市场融资数据库", "Private funding rounds database")),
            ("note", "Synthetic: a database without a stored text; each fact says where it is found."),
        ))
        about = ("source", self.report_id(0))
        pool_quote = self.pool_sentence()
        folder.report_sentences.setdefault(self.report_id(0), []).append(pool_quote)
        for slug, zh, en in _CITIES:
            folder.add("places", _entry(("id", slug), ("name", _names(zh, en)), about, ("quote", pool_quote)))
        for slug, zh, en in _SECTORS:
            folder.add("sectors", _entry(("id", slug), ("name", _names(zh, en)), about, ("quote", pool_quote)))
        for slug, role, zh, en, part_of in _EXCHANGES:
            folder.add("organizations", _entry(
                ("id", slug), ("roles", [role]), ("name", _names(zh, en)), ("part_of", part_of), about,
                ("quote", pool_quote),
            ))
        for orgs, role in ((self.foundries, "foundry"), (self.packagers, "packaging-test-house"),
                           (self.investors, "investment-firm")):
            for org in orgs:
                folder.add("organizations", _entry(
                    ("id", org.id), ("roles", [role]), ("name", _names(org.zh, org.en)), about,
                    ("quote", pool_quote),
                ))

    @staticmethod
    def pool_sentence() -> str:
        return "本报告覆盖国产GPU产业链上的芯片设计、晶圆制造、封装测试与投资机构。"


# --- one company and everything about it --------------------------------------------

class _Company:
    def __init__(self, number: int, seed: int, pools: _Pools):
        self.rng = random.Random(f"company:{seed}:{number}")
        self.pools = pools
        self.number = number
        zh, en, slug = _pick_name(number, pools.scramble)
        # Past the last name, names come round again with another suffix.
        lap, slot = divmod(number, _NAMES)
        suffix_zh, suffix_en, suffix_slug = _COMPANY_SUFFIXES[(slot * 3 + lap) % len(_COMPANY_SUFFIXES)]
        self.id = pools.names.unique(f"{slug}-{suffix_slug}")
        self.zh, self.en = zh + suffix_zh, f"{en} {suffix_en}"
        self.report = pools.report_id(number // COMPANIES_PER_REPORT)
        self.sentences: list[str] = []
        self.figures: list[str] = []

    def say(self, sentence: str) -> tuple[tuple[str, str], tuple[str, str]]:
        """Put ``sentence`` in the report text; return the source keys quoting it."""
        self.sentences.append(sentence)
        return ("source", self.report), ("quote", sentence)

    def write(self, folder: _Folder) -> None:
        rng = self.rng
        self.founded = rng.randrange(2010, 2023)
        city = rng.choice(_CITIES)
        sectors = sorted(rng.sample(_SECTORS, rng.choice((1, 2))))
        stance = rng.choice(_STANCES) if rng.random() < 0.5 else None
        sector_zh = "、".join(s[1] for s in sectors)
        folder.add("organizations", _entry(
            ("id", self.id), ("roles", ["chip-designer"]), ("name", _names(self.zh, self.en)),
            ("legal_name", {"zh": f"{city[1]}{self.zh}股份有限公司"}), ("founded", str(self.founded)),
            ("headquarters", city[0]), ("serves_sectors", [s[0] for s in sectors]),
            ("software_ecosystem", [stance] if stance else None),
            *self.say(f"{self.zh}成立于{self.founded}年，总部位于{city[1]}，客户集中于{sector_zh}等行业"
                      + (f"，{_STANCE_ZH[stance]}。" if stance else "。")),
        ))
        self.write_products(folder)
        self.write_supply(folder)
        self.write_funding(folder)
        self.write_listing(folder)
        self.write_figures(folder)
        self.write_statement(folder)
        folder.report_sentences.setdefault(self.report, []).extend(self.sentences)

    def write_products(self, folder: _Folder) -> None:
        rng = self.rng
        word_zh, word_en = rng.choice(_LINE_WORDS)
        workload = rng.choice(("training", "inference"))
        line = f"{self.id}-{word_en.lower()}"
        line_zh, line_en = f"{self.zh[:2]}{word_zh}", f"{self.en.split()[0]} {word_en}"
        folder.add("products", _entry(
            ("id", line), ("type", "line"), ("name", _names(f"{line_zh}系列", f"{line_en} series")),
            ("designer", self.id), ("workload", workload),
            *self.say(f"{self.zh}推出{line_zh}系列芯片，聚焦{_WORKLOAD_ZH[workload]}场景。"),
        ))
        year = max(self.founded + 2, rng.randrange(2019, 2025))
        launched = f"{year}-{rng.randrange(1, 13):02d}"
        generation = f"{line}-gen1"
        launch = self.say(f"{year}年，{self.zh}发布第一代{line_zh}芯片并实现量产。")
        folder.add("products", _entry(
            ("id", generation), ("type", "generation"), ("line", line),
            ("name", _names(f"{line_zh}一代", f"{line_en} Gen1")), ("designer", self.id),
            ("workload", workload), *launch,
        ))
        folder.add("milestones", _entry(("of", generation), ("type", "launched"), ("date", launched), *launch))
        if rng.random() < 0.4:
            quarter = f"2026Q{rng.randrange(1, 5)}"
            folder.add("milestones", _entry(
                ("of", self.id), ("type", "planned-mass-production"), ("period", quarter),
                ("stated_date", f"2026年第{'一二三四'[int(quarter[-1]) - 1]}季度"),
                *self.say(f"{self.zh}计划于2026年第{'一二三四'[int(quarter[-1]) - 1]}季度量产新一代{line_zh}芯片。"),
            ))

    def write_supply(self, folder: _Folder) -> None:
        rng = self.rng
        foundry = rng.choice(self.pools.foundries)
        folder.add("supply_chain", _entry(
            ("client", self.id), ("supplier", foundry.id), ("role", "manufacturing"),
            *self.say(f"{self.zh}的芯片由{foundry.zh}代工制造。"),
        ))
        if rng.random() < 0.5:
            packager = rng.choice(self.pools.packagers)
            folder.add("supply_chain", _entry(
                ("client", self.id), ("supplier", packager.id), ("role", "packaging-and-test"),
                *self.say(f"{self.zh}的封装与测试由{packager.zh}完成。"),
            ))

    def write_funding(self, folder: _Folder) -> None:
        rng = self.rng
        if rng.random() >= 0.6:
            return
        round_name = rng.choice(_ROUNDS)
        year = rng.randrange(max(self.founded, 2018), 2026)
        date = f"{year}-{rng.randrange(1, 13):02d}"
        investors = sorted({rng.choice(self.pools.investors).id for _ in range(rng.choice((1, 2)))})
        valuation = f"{rng.randrange(5, 400)}亿元" if rng.random() < 0.8 else f"{rng.randrange(3000, 9999)}万元"
        which = "pre_money" if rng.random() < 0.5 else "post_money"
        folder.add("funding_rounds", _entry(
            ("id", f"{self.id}-round-{_slug(round_name)}"), ("company", self.id), ("round", round_name),
            ("date", date), (which, valuation), ("investors", investors), ("source", FUNDING_DATABASE),
            ("locator", f"the database record of the round of {date}"),
            ("note", "Synthetic."),
        ))

    def write_listing(self, folder: _Folder) -> None:
        rng = self.rng
        if rng.random() >= 0.15:
            return
        if rng.random() < 0.5:
            date = f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            event = f"{self.id}-star-listing"
            folder.add("listing_events", _entry(
                ("id", event), ("company", self.id), ("venue", "star-market"), ("type", "listed"), ("date", date),
                *self.say(f"{date[5:7].lstrip('0')}月{date[8:].lstrip('0')}日，{self.zh}登陆科创板。"),
            ))
            gain = f"{rng.randrange(20, 900)}.{rng.randrange(10, 100)}%"
            self.figures.append(_entry(
                ("of", self.id), ("event", event), ("metric", "first-day-gain"), ("basis", "close"), ("period", date),
                ("value", gain), *self.say(f"{self.zh}上市首日收盘涨幅达{gain}。"),
            ))
        else:
            folder.add("listing_events", _entry(
                ("id", f"{self.id}-hkex-hearing"), ("company", self.id), ("venue", "hkex"),
                ("type", "hearing-passed"), ("period", "2025H2"), ("stated_date", "2025年下半年"),
                *self.say(f"2025年下半年，{self.zh}通过港交所上市聆讯。"),
            ))

    def write_figures(self, folder: _Folder) -> None:
        rng = self.rng
        revenue = rng.randrange(50, 9000)  # in millions of yuan
        stated = _yi(revenue)
        self.figures.insert(0, _entry(
            ("of", self.id), ("metric", "revenue"), ("values", {"2024": stated}),
            *self.say(f"2024年，{self.zh}实现营业收入{stated}。"),
        ))
        extra = rng.random()
        if extra < 0.2:
            margin = f"{rng.randrange(15, 80)}.{rng.randrange(0, 10)}%"
            self.figures.append(_entry(
                ("of", self.id), ("metric", "gross-margin"), ("period", "2024"), ("value", margin),
                *self.say(f"{self.zh}2024年毛利率为{margin}。"),
            ))
        elif extra < 0.4:
            customers = rng.randrange(10, 500)
            self.figures.append(_entry(
                ("of", self.id), ("metric", "customers"), ("period", "2025-06-30"), ("at_least", f"{customers}家"),
                *self.say(f"截至2025年6月30日，{self.zh}已服务超{customers}家客户。"),
            ))
        elif extra < 0.5:
            low = rng.randrange(20, 60)
            self.figures.append(_entry(
                ("of", self.id), ("metric", "rd-expense-ratio"), ("period", "2024"),
                ("between", [f"{low}%", f"{low + rng.randrange(1, 20)}%"]),
                *self.say(f"{self.zh}2024年研发投入占收入的比例在{low}%以上。"),
            ))
        folder.figures.extend(self.figures)

    def write_statement(self, folder: _Folder) -> None:
        rng = self.rng
        if rng.random() >= 0.3:
            return
        kind = rng.choice(("strategy", "differentiation", "advantage", "outlook"))
        zh = f"{self.zh}以自主架构切入数据中心市场，{'重点' if kind == 'strategy' else '持续'}拓展行业客户。"
        folder.add("statements", _entry(
            ("id", f"{self.id}-{kind}"), ("about", [self.id]), ("kind", kind),
            ("text", {"zh": zh, "en": f"{self.en} enters the data-centre market with an architecture of its own."}),
            *self.say(zh),
        ))


def _yi(millions: int) -> str:
    """Millions of yuan as an analyst writes them: 1.89亿元 or 5600万元."""
    if millions >= 100:
        return f"{millions / 100:.2f}亿元"
    return f"{millions * 100}万元"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("+", " plus")).strip("-")


# --- YAML, written by hand in the style of the shipped files --------------------------------

_PLAIN = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`][^:#,\[\]{}\n]*(?<!\s)$")
_NOT_PLAIN = re.compile(r"^(true|false|yes|no|on|off|null|~)$", re.IGNORECASE)


def _scalar(text: str) -> str:
    if _PLAIN.match(text) and not _NOT_PLAIN.match(text):
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _names(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def _value(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_scalar(text)}" for key, text in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(text) for text in value) + "]"
    return _scalar(str(value))


def _entry(*pairs: tuple[str, object]) -> str:
    """One list entry; pairs whose value is None are left out."""
    lines = []
    for key, value in pairs:
        if value is None:
            continue
        lines.append(f"{'  - ' if not lines else '    '}{key}: {_value(value)}\n")
    return "".join(lines)


_HEADERS = {
    "sources": "Sources: synthetic research reports (texts under texts/reports) and a funding database.",
    "organizations": "Organisations: exchanges, foundries, packaging houses, investors, then chip designers.",
    "places": "Places where the companies have their headquarters.",
    "sectors": "Sectors the companies serve.",
    "products": "Product lines and their first generations.",
    "milestones": "Launches and planned mass production.",
    "supply_chain": "Who makes and packages whose chips.",
    "funding_rounds": "Funding rounds with a pre- or post-money valuation.",
    "listing_events": "Listings and hearings.",
    "statements": "Strategies and claims in words.",
}


def _render(folder: _Folder) -> dict[str, str]:
    files: dict[str, str] = {}
    for kind, header in _HEADERS.items():
        entries = folder.entries.get(kind)
        if entries:
            files[f"{kind}.yaml"] = _file(f"Synthetic facts. {header}", kind, entries)
    for start in range(0, len(folder.figures), FIGURES_PER_FILE):
        number = start // FIGURES_PER_FILE + 1
        chunk = folder.figures[start : start + FIGURES_PER_FILE]
        files[f"figures/part-{number:04d}.yaml"] = _file("Synthetic facts. Figures by period.", "figures", chunk)
    for source, sentences in sorted(folder.report_sentences.items()):
        number = int(source.rsplit("-", 1)[1]) - 1
        files[_Pools.report_text(number)] = "\n".join(sentences) + "\n"
    return files


def _file(header: str, kind: str, entries: list[str]) -> str:
    return f"# {header}\n# Format: docs/facts-format.md\n{kind}:\n" + "\n".join(entries)


def entries_in(files: dict[str, str]) -> Iterator[str]:
    """Every entry of a synthesized folder, in file order (for tests and benchmarks)."""
    for name, text in files.items():
        if name.endswith(".yaml"):
            yield from text.split("\n  - ")[1:]
