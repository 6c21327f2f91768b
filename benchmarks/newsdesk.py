"""How ``kg extract`` read each news-desk source at first sight, how it reads it now, and how much of
each source the facts could say.

Not a test: run it by hand; it writes benchmarks/NEWSDESK.md.

    .venv/bin/python benchmarks/newsdesk.py                      # the desk beside this repository
    .venv/bin/python benchmarks/newsdesk.py --desk ../desk --out benchmarks/NEWSDESK.md

A desk folder holds, for each source id:
- ``benchmarks/newsdesk/sources/<id>.md``: ``Published:``, ``Batch:`` and ``Language:`` lines, the
  text rewritten in our own words ("## Text (rewritten)"), the fact table, and what could be recorded of
  each fact ("## Recorded": whole, part or none);
- ``benchmarks/newsdesk/first-sight/<id>.json``: what ``kg extract --format json`` proposed on the text as
  read, before any rule was written for it;
- ``facts/``: the recorded facts, the figures of this source among them (``source: <id>``).

Each recorded figure is matched with at most one candidate (the same number first, then the most
fields that agree; a candidate whose number is written with the same digits but read as another value
is matched too, as a misreading). Per source:
- figures: the figure statements recorded from the source;
- fully right: a candidate with the recorded value (and range), unit or currency, entity, metric,
  period or date, basis, bound, approximation and circumstance; an entity the graph did not know yet
  counts as right when the name the candidate proposes is a name of the recorded entity;
- wrong values: a matched candidate whose number, bound (exact, at least, at most, range),
  approximation (about, nearly) or circumstance (forecast, planned, hypothetical) contradicts the
  recorded statement;
- missed: a recorded figure no candidate has.
"after" runs the extractor of this checkout on the rewritten text, with the facts as they were when
the source's first sight was recorded (the desk's git history; the current facts when there is none),
and scores it the same way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import kg  # noqa: E402
from kg.author import extract as extract_lib  # noqa: E402
from kg.base.files import write_atomically  # noqa: E402
from kg.facts.records import Record  # noqa: E402
from kg.query.resolve import Resolver, short  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCES = Path("benchmarks") / "newsdesk" / "sources"
FIRST_SIGHT = Path("benchmarks") / "newsdesk" / "first-sight"
LAST = 10   # the target is measured over the last ten sources added


def default_desk() -> Path:
    """This checkout when it holds a desk, else a ``desk`` folder beside it (or beside its folder)."""
    for folder in (ROOT, ROOT.parent / "desk", ROOT.parent.parent / "desk"):
        if (folder / SOURCES).is_dir():
            return folder
    return ROOT


# --- reading a source file ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    id: str
    published: dt.date
    batch: str
    language: str
    text: str
    expressed: dict[str, int]    # whole / part / none -> facts
    totals: dict[str, int] | None = None   # the totals the section states, when it states them


def read_source(path: Path) -> Source:
    page = path.read_text(encoding="utf-8")

    def line(name: str) -> str:
        found = re.search(rf"^{name}:\s*(.+)$", page, re.M)
        return found[1].strip() if found else ""

    published = re.match(r"\d{4}-\d\d-\d\d", line("Published"))
    if published is None:
        raise SystemExit(f"{path}: no 'Published: YYYY-MM-DD' line")
    if "## Text (rewritten)" not in page:
        raise SystemExit(f"{path}: no '## Text (rewritten)' section")
    text = page.split("## Text (rewritten)", 1)[1].split("\n## ", 1)[0].strip("\n")
    recorded = page.split("## Recorded", 1)[1] if "## Recorded" in page else ""
    return Source(path.stem, dt.date.fromisoformat(published[0]), line("Batch").split(" ")[0],
                  line("Language"), text, expressed(recorded), stated_totals(recorded))


_ROW = re.compile(r"^\|\s*(?P<ids>[\d,\s–—-]+?)\s*\|\s*(?P<kind>whole|part|none)\s*\|", re.M | re.I)
_ITEM = re.compile(r"^\s*(?P<ids>\d[\d,\s–—-]*?)\s*[.)]\s*(?P<kind>whole|part|none)\b", re.M | re.I)


def expressed(section: str) -> dict[str, int]:
    """How many facts could be recorded whole, in part or not at all: the rows of the "Recorded" table
    or list, a row "9–11" or "16, 18" counting each fact it names."""
    counts = {"whole": 0, "part": 0, "none": 0}
    for match in [*_ROW.finditer(section), *_ITEM.finditer(section)]:
        counts[match["kind"].lower()] += len(_numbers(match["ids"]))
    return counts


def stated_totals(section: str) -> dict[str, int] | None:
    """The totals a "Recorded" section states in words (Totals: 20 facts; 11 whole, 3 part, 6 none)."""
    found = {}
    for kind in ("whole", "part", "none"):
        m = re.search(rf"(?:^|[;,(]\s*|Totals:[^;]*;\s*)(\d+)\s+{kind}\b|\b{kind}\s+(\d+)\b", section, re.I | re.M)
        if m:
            found[kind] = int(m[1] or m[2])
    return found if len(found) == 3 else None


def _numbers(ids: str) -> list[int]:
    out: list[int] = []
    for piece in re.split(r"\s*,\s*", ids.strip()):
        if m := re.fullmatch(r"(\d+)\s*[–—-]\s*(\d+)", piece):
            out += range(int(m[1]), int(m[2]) + 1)
        elif piece.isdigit():
            out.append(int(piece))
    return out


# --- scoring candidates against recorded figures -------------------------------------------------------

_FIELDS = ("value", "unit", "entity", "metric", "period", "basis", "bound", "approximation", "circumstance")
_MEANING = ("value", "bound", "approximation", "circumstance")   # what a wrong value gets wrong


@dataclass
class Match:
    figure: Record
    candidate: dict | None
    wrong: tuple[str, ...] = ()      # the fields that differ

    @property
    def right(self) -> bool:
        return self.candidate is not None and not self.wrong

    @property
    def wrong_value(self) -> bool:
        return self.candidate is not None and any(f in _MEANING for f in self.wrong)


@dataclass
class Score:
    matches: list[Match] = field(default_factory=list)
    candidates: int = 0

    @property
    def figures(self) -> int:
        return len(self.matches)

    @property
    def right(self) -> int:
        return sum(m.right for m in self.matches)

    @property
    def wrong(self) -> int:
        return sum(m.wrong_value for m in self.matches)

    @property
    def missed(self) -> int:
        return sum(m.candidate is None for m in self.matches)


def numbers(candidate: dict) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    def number(text: str | None) -> Decimal | None:
        return Decimal(text) if text is not None else None
    return number(candidate.get("value")), number(candidate.get("low")), number(candidate.get("high"))


def recorded_numbers(figure: Record) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    value = figure["figure"]

    def number(amount) -> Decimal | None:
        return Decimal(amount.value) if amount is not None else None
    return number(value.value), number(value.low), number(value.high)


_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")


def written_digits(stated: Iterable[str]) -> set[Decimal]:
    """The numbers as written, before any 万 or 亿: 4.38 of 4.38亿元."""
    out = set()
    for text in stated:
        for found in _DIGITS.findall(text or ""):
            try:
                out.add(Decimal(found.replace(",", "")))
            except InvalidOperation:
                continue
    return out


def _recorded_stated(figure: Record) -> list[str]:
    value = figure["figure"]
    return [a.stated for a in (value.value, value.low, value.high) if a is not None]


def differences(candidate: dict, figure: Record, resolver: Resolver | None) -> tuple[str, ...]:
    value = figure["figure"]
    wrong = []
    if numbers(candidate) != recorded_numbers(figure):
        wrong.append("value")
    if candidate.get("unit") != value.unit.notation:
        wrong.append("unit")
    if not _same_entity(candidate, figure.ref("of"), resolver):
        wrong.append("entity")
    if candidate.get("metric") != figure["metric"]:
        wrong.append("metric")
    if (candidate.get("period") or "unspecified") != figure["period"].code:
        wrong.append("period")
    if candidate.get("basis") != figure.get("basis"):
        wrong.append("basis")
    if candidate.get("qualifier") != value.qualifier:
        wrong.append("bound")
    if candidate.get("approximation") != value.approximation:
        wrong.append("approximation")
    if candidate.get("circumstance") != value.circumstance:
        wrong.append("circumstance")
    return tuple(wrong)


def _same_entity(candidate: dict, wanted: str | None, resolver: Resolver | None) -> bool:
    """The recorded entity, or a name the graph did not know yet that names it now."""
    given = candidate.get("entity")
    if given is None:
        return wanted is None
    if candidate.get("entity_known"):
        return given == wanted
    found = resolver.matches(given, resolver.entities()) if resolver is not None else []
    return len(found) == 1 and short(found[0]) == wanted


def score(candidates: Sequence[dict], figures: Sequence[Record], resolver: Resolver | None) -> Score:
    """Each recorded figure with the candidate that reads it best (one candidate per figure)."""
    pairs = []
    for f, figure in enumerate(figures):
        wanted = recorded_numbers(figure)
        digits = written_digits(_recorded_stated(figure))
        for c, candidate in enumerate(candidates):
            if numbers(candidate) == wanted:
                kind = 0
            elif written_digits(candidate.get("stated") or ()) & digits and not _value_of_another(candidate, figures):
                kind = 1     # the number as written, read as another value
            else:
                continue
            wrong = differences(candidate, figure, resolver)
            pairs.append((kind, len(wrong), c, f, wrong))
    used_candidates: set[int] = set()
    chosen: dict[int, Match] = {}
    for kind, _, c, f, wrong in sorted(pairs, key=lambda p: p[:4]):
        if c in used_candidates or f in chosen:
            continue
        used_candidates.add(c)
        chosen[f] = Match(figures[f], candidates[c], wrong)
    return Score([chosen.get(f, Match(figure, None)) for f, figure in enumerate(figures)], len(candidates))


def _value_of_another(candidate: dict, figures: Sequence[Record]) -> bool:
    return any(numbers(candidate) == recorded_numbers(other) for other in figures)


# --- the desk ----------------------------------------------------------------------------------------

@dataclass
class Row:
    source: Source
    first: Score
    after: Score
    facts_as_of: str


def figures_of(facts: kg.Facts, source: str) -> list[Record]:
    return [r for r in facts.of_kind("figures") if r.ref("source") == source]


def facts_before(desk: Path, source: str, folder: Path) -> str:
    """The desk's facts as they were when ``source``'s first sight was recorded, written to ``folder``;
    returns the commit, or "" when the desk has no history of it (then the current facts are used)."""
    added = _git(desk, "log", "--diff-filter=A", "--format=%H", "--", str(FIRST_SIGHT / f"{source}.json"))
    commits = added.split()
    if not commits:
        return ""
    parent = commits[-1] + "^"
    archive = subprocess.run(["git", "-C", str(desk), "archive", parent, "facts"], capture_output=True, check=False)
    if archive.returncode != 0:
        return ""
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return _git(desk, "rev-parse", "--short", parent).strip()


def _git(desk: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(desk), *args], capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else ""


def measure(desk: Path) -> list[Row]:
    facts = kg.load_facts(desk / "facts")
    resolver = Resolver(kg.check_facts(facts))
    sources = sorted((read_source(p) for p in (desk / SOURCES).glob("*.md")),
                     key=lambda s: (s.batch, s.published, s.id))
    rows = []
    for source in sources:
        figures = figures_of(facts, source.id)
        sight = desk / FIRST_SIGHT / f"{source.id}.json"
        first = json.loads(sight.read_text(encoding="utf-8")) if sight.is_file() else []
        with tempfile.TemporaryDirectory() as tmp:
            commit = facts_before(desk, source.id, Path(tmp))
            known = facts
            if commit:
                try:
                    known = kg.load_facts(Path(tmp) / "facts")
                except kg.InputError:  # the format has moved on since: the facts of today stand in
                    commit = f"current facts; those of {commit} no longer read"
            result = extract_lib.extract(source.text, facts=known, published=source.published, path=f"{source.id}.md")
        after = [c.json() for c in result.candidates]
        rows.append(Row(source, score(first, figures, resolver), score(after, figures, resolver),
                        commit or "current facts"))
    return rows


# --- the report --------------------------------------------------------------------------------------

def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _cells(score: Score) -> str:
    return f"{score.right} ({percent(score.right, score.figures)}) | {score.wrong} | {score.missed}"


def _total(name: str, rows: Sequence[Row]) -> str:
    first, after = Score(), Score()
    for row in rows:
        first.matches += row.first.matches
        after.matches += row.after.matches
    counts = {k: sum(r.source.expressed[k] for r in rows) for k in ("whole", "part", "none")}
    return (f"| **{name}** | | | {first.figures} | {_cells(first)} | {_cells(after)} | "
            f"{_expressed(counts)} |")


def _expressed(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    return f"{counts['whole']}/{counts['part']}/{counts['none']} ({percent(counts['whole'], total)} whole)"


def _describe(match: Match) -> str:
    figure = match.figure
    value = figure["figure"]
    shown = value.value.stated if value.value else f"{value.low.stated}–{value.high.stated}"
    said = f"{figure.ref('of')} {figure['metric']} {figure['period'].code}" + (
        f" {figure.get('basis')}" if figure.get("basis") else "") + f" {value.qualifier} {shown}"
    if match.candidate is None:
        return f"{said}: missed"
    c = match.candidate
    got = {"value": c.get("value") or f"{c.get('low')}–{c.get('high')}", "unit": c.get("unit"),
           "entity": c.get("entity"), "metric": c.get("metric"), "period": c.get("period"), "basis": c.get("basis"),
           "bound": c.get("qualifier"), "approximation": c.get("approximation"),
           "circumstance": c.get("circumstance")}
    return f"{said}: '{c.get('text')}' has " + ", ".join(f"{k} {got[k]}" for k in match.wrong)


def render(rows: Sequence[Row], desk: Path) -> str:
    out = ["# News desk: first sight and after",
           "",
           f"Written by `benchmarks/newsdesk.py` (run it by hand) from the desk at `{desk}`. For each source: the "
           "figure statements recorded from it; the candidates `kg extract` proposed at first sight (recorded "
           "before any rule was written for the source) and those of the current extractor on the rewritten text "
           "(\"after\"), each scored as fully right (value, unit or currency, entity, metric, period or date, "
           "basis, bound, approximation, circumstance all as recorded), wrong value (a number, bound, approximation "
           "or circumstance that contradicts the recorded statement) or missed; and how many of the source's facts "
           "the facts format could record whole / in part / not at all (its \"Recorded\" section). Sources in "
           "the order they were added (batch, then publication date).",
           "",
           "Batches: each was read at first sight by the extractor of its day. A by the first news extractor; "
           "B (held out) by that of the `extract` branch, before any rule was written for A or B; C (held out: "
           "its texts were kept away from whoever changed the rules) by the extractor after the rules written "
           "for A and B (commit c4d05aa). A source's first sight is never rerun; \"after\" is today's extractor "
           "on our rewrite of the text, so it may differ from the first sight in both directions.",
           "",
           "| source | batch | published | figures | first sight: fully right | wrong | missed | "
           "after: fully right | wrong | missed | whole/part/none |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        s = row.source
        out.append(f"| {s.id} | {s.batch} | {s.published} | {row.first.figures} | {_cells(row.first)} | "
                   f"{_cells(row.after)} | {_expressed(s.expressed)} |")
    out.append(_total("total", rows))
    out.append(_total(f"last {min(LAST, len(rows))} added", rows[-LAST:]))
    last = rows[-LAST:]
    first_right = sum(r.first.right for r in last)
    first_all = sum(r.first.figures for r in last)
    after_right = sum(r.after.right for r in last)
    out += ["", f"Target: >= 90% fully right at first sight over the last {len(last)} sources added, and no wrong "
            f"value. First sight: {percent(first_right, first_all)} ({first_right} of {first_all}), "
            f"{sum(r.first.wrong for r in last)} wrong; after: {percent(after_right, first_all)} "
            f"({after_right} of {first_all}), {sum(r.after.wrong for r in last)} wrong."]
    for row in rows:
        out += ["", f"## {row.source.id}", "",
                f"Language {row.source.language or '?'}; {len(row.source.text)} characters; "
                f"{row.first.candidates} candidates at first sight, {row.after.candidates} after "
                f"(facts as of {row.facts_as_of})."]
        totals = row.source.totals
        if totals is not None and totals != row.source.expressed:
            out.append(f"The \"Recorded\" section states {totals['whole']} whole, {totals['part']} part, "
                       f"{totals['none']} none; its rows count {row.source.expressed['whole']}, "
                       f"{row.source.expressed['part']}, {row.source.expressed['none']} (the rows are counted).")
        for name, scored in (("First sight", row.first), ("After", row.after)):
            problems = [m for m in scored.matches if not m.right]
            out.append("")
            out.append(f"{name}: " + ("every recorded figure fully right." if not problems else "not fully right:"))
            out += [f"- {_describe(m)}" for m in problems]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--desk", type=Path, default=default_desk(), help="the desk folder (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "NEWSDESK.md")
    args = parser.parse_args(argv)
    if not (args.desk / SOURCES).is_dir():
        sys.exit(f"{args.desk}: no {SOURCES} folder")
    rows = measure(args.desk)
    shown = Path(os.path.relpath(args.desk.resolve(), ROOT)) if args.desk.is_absolute() else args.desk
    text = render(rows, shown)
    write_atomically(args.out, text.encode("utf-8"))
    print(text)


if __name__ == "__main__":
    main()
