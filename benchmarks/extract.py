"""How well ``kg extract`` reads the figures of an article, measured against fact tables.

Not a test: run it by hand; it writes benchmarks/EXTRACT.md.

    .venv/bin/python benchmarks/extract.py            # the follow-up sources and our test texts
    .venv/bin/python benchmarks/extract.py --facts facts --out benchmarks/EXTRACT.md

Texts: ../shared/sources/*.md (when that folder exists) and tests/fixtures/texts/*.md. Each has a
``Published:`` date, a "Text (rewritten)" section (the input) and a numbered table of facts (the
answers). The rows whose value is a number are the figures to find.

Per text:
- recall: table figures found with the right value, unit and qualifier (cue words: about, nearly,
  over, at most, range, forecast, hypothetical);
- precision: candidates that are a table figure, of all candidates (a figure the text repeats is
  counted as an extra, and listed);
- of the found figures, how many have the right entity, metric and period;
- wrong values: a candidate whose number, as written, is a table figure's but whose value differs.
Every miss is listed with the reason.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import kg  # noqa: E402
from kg.author import extract as extract_lib  # noqa: E402
from kg.base.files import write_atomically  # noqa: E402
from kg.author.extract import Candidate  # noqa: E402
from kg.query.resolve import Resolver, short  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# ../shared/sources beside the repository (or beside the folder of worktrees it is checked out in)
SHARED = next((p / "shared" / "sources" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared" / "sources").is_dir()),
              ROOT.parent / "shared" / "sources")
OWN = ROOT / "tests" / "fixtures" / "texts"

# How the tables name metrics, and the metric ids kg extract proposes (longest phrase first).
METRICS = sorted([
    ("expected gross proceeds", "gross-proceeds"), ("gross ipo proceeds", "gross-proceeds"),
    ("ipo proceeds", "gross-proceeds"), ("net ipo proceeds", "net-proceeds"),
    ("shares offered", "shares-offered"), ("new shares issued", "new-shares-issued"),
    ("total shares after", "total-shares"), ("offer price", "offer-price"),
    ("number of cornerstone investors", "cornerstone-investors"),
    ("cornerstone subscriptions", "cornerstone-subscription"), ("cumulative net loss", "cumulative-net-loss"),
    ("net loss", "net-loss"), ("revenue cagr", "revenue-cagr"), ("revenue", "revenue"),
    ("gross margin", "gross-margin"),
    ("r&d expense as a share of total operating expenses", "rd-expense-share-of-opex"),
    ("r&d expense, cumulative", "rd-expense"), ("opening gain", "first-day-gain"),
    ("closing gain", "first-day-gain"), ("intraday high price", "first-day-price"),
    ("closing price", "first-day-price"), ("market capitalisation at the close", "first-day-market-cap"),
    ("online subscribers", "online-subscribers"), ("valid shares subscribed", "shares-subscribed"),
    ("oversubscription", "oversubscription"), ("allotment", "allotment-rate"), ("paper gain", "paper-gain-per-lot"),
    ("shareholding", "shareholding"), ("holds", "shareholding"), ("days from ipo acceptance", "days-to-approval"),
    ("cumulative deliveries", "cumulative-deliveries"), ("customers", "customers"),
    ("first-day gain", "first-day-gain"), ("first-day market capitalisation", "first-day-market-cap"),
    ("r&d expense as a share of revenue", "rd-expense-ratio"), ("r&d expense", "rd-expense"),
    ("net loss rate", "net-loss-rate"), ("r&d staff share", "rd-staff-share"), ("granted patents", "granted-patents"),
    ("pending patents", "pending-patents"), ("adjusted net loss", "adjusted-net-loss"),
], key=lambda pair: -len(pair[0]))
UNITS = {"CNY": "CNY", "HKD": "HKD", "USD": "USD", "%": "percent", "times": "times", "shares": "share",
         "accounts": "account", "days": "day", "chips": "chip"}
COUNTS = {None, "organization", "customer", "item", "person", "deployment", "investor", "project", "patent"}
MULT = {"亿": 10**8, "万": 10**4, "million": 10**6, "billion": 10**9}


@dataclass
class Row:
    number: str
    entity: str
    metric_text: str
    period_text: str
    value_text: str
    qualifier_text: str
    low: Decimal
    high: Decimal | None
    unit: str | None
    digits: str            # the first number as the table writes it: 2.4769
    tags: frozenset[str]
    period: str | None


def read_answers(path: Path) -> tuple[dt.date, str, list[Row]]:
    source = path.read_text(encoding="utf-8")
    published = dt.date.fromisoformat(re.search(r"Published:\s*(\d{4}-\d\d-\d\d)", source)[1])
    text = source.split("## Text (rewritten)", 1)[1].split("## Facts", 1)[0].strip("\n")
    rows: list[Row] = []
    previous_period: str | None = None
    for line in source.split("## Facts", 1)[1].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 7 or not cells[0].isdigit():
            continue
        number, entity, metric, period_text, value, qualifier = cells[:6]
        period = _period(period_text, previous_period, published)
        previous_period = period
        parsed = _value(value)
        if parsed is None:
            continue
        low, high, unit, digits = parsed
        rows.append(Row(number, entity, metric, period_text, value, qualifier, low, high, unit, digits,
                        _tags(qualifier, metric, high is not None), period))
    return published, text, rows


def _value(text: str) -> tuple[Decimal, Decimal | None, str | None, str] | None:
    plain = re.sub(r"\([^)]*\)", " ", text).strip()
    if not re.match(r"\d", plain) or re.fullmatch(r"\d{4}-\d\d(?:-\d\d)?", plain) or re.search(r"\.[A-Z]{2}\b", plain):
        return None
    m = re.match(r"(?P<a>[\d.,]+)\s*(?P<am>亿|万|million|billion)?\s*(?P<ap>%)?\s*(?:(?:–|-|to)\s*(?P<b>[\d.,]+)\s*"
                 r"(?P<bm>亿|万|million|billion)?\s*%?)?\s*(?P<unit>CNY|HKD|USD|times|shares|accounts|days|chips)?", plain)
    if not m:
        return None
    def amount(digits: str, mult: str | None) -> Decimal:
        return Decimal(digits.replace(",", "")) * MULT.get(mult or "", 1)
    unit = "percent" if "%" in plain else UNITS.get(m["unit"] or "")
    low = amount(m["a"], m["am"] or m["bm"])
    high = amount(m["b"], m["bm"]) if m["b"] else None
    return low, high, unit, m["a"].replace(",", "")


def _tags(qualifier: str, metric: str, is_range: bool) -> frozenset[str]:
    q = qualifier.lower()
    tags = set()
    if is_range or q.startswith("range"):
        tags.add("range")
    if "about" in q:
        tags.add("about")
    if "nearly" in q:
        tags.add("nearly")
    if q.startswith("over") or "at least" in q:
        tags.add("at-least")
    if "at most" in q:
        tags.add("at-most")
    if "hypothetical" in q:
        tags.add("hypothetical")
    if metric.lower().startswith("expected"):
        tags.add("forecast")
    return frozenset(tags)


def _period(text: str, previous: str | None, published: dt.date) -> str | None:
    if text.strip() == "same":
        return previous
    if "今日" in text or "publication day" in text:
        return published.isoformat()
    if text.startswith("each of"):
        return "each of " + text.removeprefix("each of ").strip()
    m = re.search(r"\d{4}(?:H[12]|Q[1-4])?/\d{4}(?:H[12]|Q[1-4])?|\d{4}-\d\d-\d\d|\d{4}(?:H[12]|Q[1-4])|\b\d{4}\b", text)
    return m[0] if m else None


def candidate_tags(c: Candidate) -> frozenset[str]:
    tags = {c.qualifier} - {"exact"}
    tags |= {t for t in (c.approximation, c.circumstance) if t}
    return frozenset(tags)


def values_of(c: Candidate) -> tuple[Decimal, Decimal | None]:
    if c.value is not None:
        return Decimal(c.value), None
    return Decimal(c.low), Decimal(c.high)


def same_value(c: Candidate, row: Row) -> bool:
    low, high = values_of(c)
    return low == row.low and high == row.high


def unit_fits(c: Candidate, row: Row) -> bool:
    return c.unit == row.unit or (row.unit is None and c.unit in COUNTS)


def digits_of(c: Candidate) -> str:
    return re.search(r"[\d.,]+", c.stated[0])[0].replace(",", "")


def entity_right(c: Candidate, row: Row, resolver: Resolver) -> bool:
    """The table's entity is the candidate's; for a stake, the table names the holder (the facts
    record the company held as ``of`` and the holder as ``holder``)."""
    wanted = re.sub(r"\([^)]*\)", "", row.entity).strip()
    given = c.holder if c.metric == "shareholding" else c.entity
    found = resolver.matches(wanted, resolver.entities())
    if len(found) == 1:
        return given == short(found[0]) and (c.metric == "shareholding" or c.entity_known)
    return given == wanted


def metric_of(row: Row) -> str | None:
    text = row.metric_text.lower()
    return next((metric for phrase, metric in METRICS if phrase in text), None)


@dataclass
class Report:
    name: str
    language: str
    rows: list[Row]
    candidates: list[Candidate]
    found: dict[str, Candidate]
    misses: list[str]
    extras: list[str]
    wrong_values: list[str]
    statuses: dict[str, int] | None
    source: str | None
    entity_ok: int
    metric_ok: int
    period_ok: int
    detail: list[str]


def measure(path: Path, facts: kg.Facts, graph) -> Report:
    published, text, rows = read_answers(path)
    result = extract_lib.extract(text, facts=facts, graph=graph, published=published, path=path.name)
    candidates = list(result.candidates)
    resolver = Resolver(graph)
    used: set[int] = set()
    found: dict[str, Candidate] = {}
    misses: list[str] = []
    for row in rows:
        fits = [i for i, c in enumerate(candidates) if i not in used and same_value(c, row) and unit_fits(c, row)]
        exact = [i for i in fits if candidate_tags(candidates[i]) == row.tags]
        if exact:
            used.add(exact[0])
            found[row.number] = candidates[exact[0]]
            continue
        if fits:
            c = candidates[fits[0]]
            used.add(fits[0])
            misses.append(f"#{row.number} {row.value_text}: found as '{c.text}' with qualifier "
                          f"{sorted(candidate_tags(c)) or ['exact']}, the table says {sorted(row.tags) or ['exact']} "
                          f"({row.qualifier_text})")
            continue
        same = [c for c in candidates if same_value(c, row)]
        if same:
            misses.append(f"#{row.number} {row.value_text}: found as '{same[0].text}' in unit {same[0].unit}, "
                          f"the table says {row.unit}")
        elif row.digits in text:
            misses.append(f"#{row.number} {row.value_text}: the number is in the text but was not read as a figure")
        else:
            misses.append(f"#{row.number} {row.value_text}: the text does not write the number as the table does")
    extras = []
    for i, c in enumerate(candidates):
        if i in used:
            continue
        repeat = next((r for r in rows if same_value(c, r)), None)
        same_place = any((c.start, c.end) == (candidates[j].start, candidates[j].end) for j in used)
        why = ("the same figure for another period (均, each period)" if same_place else
               f"repeats the value of #{repeat.number}" if repeat else "not a figure of the table")
        extras.append(f"'{c.text}' (line {c.line}): {why}")
    wrong = []
    for c in candidates:
        for row in rows:
            if digits_of(c) == row.digits and unit_fits(c, row) and not same_value(c, row) and \
                    not any(same_value(c, r) for r in rows):
                wrong.append(f"'{c.text}' read as {c.value or (c.low, c.high)}; #{row.number} is {row.low}")
    entity_ok = metric_ok = period_ok = 0
    detail = []
    for number, c in found.items():
        row = next(r for r in rows if r.number == number)
        problems = []
        if entity_right(c, row, resolver):
            entity_ok += 1
        else:
            problems.append(f"entity {c.entity or 'none'} (table: {row.entity})")
        wanted_metric = metric_of(row)
        if c.metric == wanted_metric:
            metric_ok += 1
        else:
            problems.append(f"metric {c.metric or 'none'} (table: {row.metric_text} = {wanted_metric})")
        siblings = {x.period for x in candidates if (x.start, x.end) == (c.start, c.end)}
        each = row.period and row.period.startswith("each of ")
        if c.period == row.period or (each and siblings == set(re.findall(r"\d{4}(?:H[12])?", row.period))):
            period_ok += 1
        else:
            problems.append(f"period {c.period or 'none'}"
                            + (f" from {c.period_how}" if c.period_how else "")
                            + f" (table: {row.period_text})")
        if problems:
            detail.append(f"#{number} {c.text}: " + "; ".join(problems))
    language = extract_lib.guess_language(text)
    # The facts may already hold this article (a source with its URL): then say what extract says of it.
    url = path.read_text(encoding="utf-8").splitlines()[0].strip()
    source = next((r.key for r in facts.of_kind("sources") if r.get("url") == url), None)
    statuses = None
    if source:
        again = extract_lib.extract(text, facts=facts, graph=graph, source=source, path=path.name)
        statuses = {}
        for c in again.candidates:
            statuses[c.status] = statuses.get(c.status, 0) + 1
    return Report(path.name, language, rows, candidates, found, misses, extras, wrong, statuses, source, entity_ok,
                  metric_ok, period_ok, detail)


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def render(reports: list[Report], facts_dir: Path) -> str:
    out = ["# kg extract against fact tables", "",
           "Written by `benchmarks/extract.py` (run it by hand). Inputs: the \"Text (rewritten)\" of each file; "
           "answers: the rows of its fact table whose value is a number. Recall counts a figure found with the "
           "right value, unit and qualifier; entity, metric and period are counted over the figures found. "
           f"Graph for names and comparison: `{facts_dir}`. Targets: recall >= 95% on every text, entity right "
           ">= 90% of found figures, no wrong value. The rules of `kg extract` were written while reading the "
           "follow-up sources and three of the test texts; only `zh-rd-and-patents.md` was written afterwards and "
           "measured as it came (tests/fixtures/texts/README.md).", "",
           "| text | lang | figures | found | recall | candidates | precision | entity right | metric right | "
           "period right | wrong values |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in reports:
        n, f = len(r.rows), len(r.found)
        out.append(f"| {r.name} | {r.language} | {n} | {f} | {percent(f, n)} | {len(r.candidates)} | "
                   f"{percent(f, len(r.candidates))} | {r.entity_ok}/{f} ({percent(r.entity_ok, f)}) | "
                   f"{r.metric_ok}/{f} ({percent(r.metric_ok, f)}) | {r.period_ok}/{f} ({percent(r.period_ok, f)}) | "
                   f"{len(r.wrong_values)} |")
    for r in reports:
        out += ["", f"## {r.name}", ""]
        out.append("Figures not found: " + ("none." if not r.misses else ""))
        out += [f"- {m}" for m in r.misses]
        out.append("")
        out.append("Candidates that are not a table figure: " + ("none." if not r.extras else ""))
        out += [f"- {e}" for e in r.extras]
        out.append("")
        out.append("Wrong values: " + ("none." if not r.wrong_values else ""))
        out += [f"- {w}" for w in r.wrong_values]
        out.append("")
        out.append("Found figures with a wrong entity, metric or period: " + ("none." if not r.detail else ""))
        out += [f"- {d}" for d in r.detail]
        if r.statuses is not None:
            counts = ", ".join(f"{n} {status}" for status, n in sorted(r.statuses.items(), key=lambda x: (-x[1], x[0])))
            out += ["", f"With `--source {r.source}` (the facts hold this article): {counts}."]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--facts", type=Path, default=ROOT / "facts")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "EXTRACT.md")
    args = parser.parse_args()
    paths = sorted(SHARED.glob("*.md")) if SHARED.is_dir() else []
    paths = [p for p in paths if p.name != "README.md"] + sorted(p for p in OWN.glob("*.md") if p.name != "README.md")
    if not paths:
        sys.exit("no texts: ../shared/sources/ is not here and tests/fixtures/texts/ is empty")
    facts = kg.load_facts(args.facts)
    graph = kg.check_facts(facts)
    reports = [measure(path, facts, graph) for path in paths]
    text = render(reports, args.facts.resolve().relative_to(ROOT) if args.facts.resolve().is_relative_to(ROOT) else args.facts)
    write_atomically(args.out, text.encode("utf-8"))
    print(text)


if __name__ == "__main__":
    main()
