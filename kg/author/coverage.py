"""Is every number of a stored source text in the graph? One line per number, and what records it.

A source whose text is stored (``text:`` in sources) is the one place where the claim "every
figure of the article is in the graph" can be checked mechanically: each number ``kg extract``
finds in it must be a stated value, or the value, of some statement of that source.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rdflib import Graph, URIRef

from ..base.errors import UsageError
from ..facts.read import Facts
from .extract import Candidate, find_figures, read_text_file
from ..base.ontology import GPU, KGR
from ..query.resolve import short

# Properties that hold an amount of a statement, besides gpu:value (funding rounds' valuations).
_AMOUNT_PROPERTIES = (GPU.value, GPU.minValue, GPU.maxValue, GPU.preMoneyValuation, GPU.postMoneyValuation)


@dataclass(frozen=True)
class Covered:
    """One number of the text and the statements of the source that record it (none: not recorded)."""

    candidate: Candidate
    recorded_by: tuple[str, ...]


@dataclass(frozen=True)
class Coverage:
    path: str
    source: str
    numbers: tuple[Covered, ...]

    @property
    def missing(self) -> tuple[Covered, ...]:
        return tuple(n for n in self.numbers if not n.recorded_by)


def stored_texts(facts: Facts) -> dict[str, Path]:
    """Source id -> the path of its stored text, for the sources that keep one."""
    return {r.key: (facts.root / r["text"]) for r in facts.of_kind("sources") if r.get("text")}


def source_of(facts: Facts, path: str | Path) -> str:
    """The source whose stored text is ``path``."""
    wanted = Path(path).resolve()
    found = sorted(source for source, stored in stored_texts(facts).items() if stored.resolve() == wanted)
    if not found:
        names = {source for source, stored in stored_texts(facts).items() if stored.name == wanted.name}
        found = sorted(names)
    if len(found) != 1:
        which = "no source stores" if not found else f"several sources ({', '.join(found)}) store"
        raise UsageError(f"{which} the text {path}; name it with --source ID")
    return found[0]


def coverage(facts: Facts, graph: Graph, path: str | Path, source: str | None = None) -> Coverage:
    """Every number of the text at ``path`` and the statements of ``source`` (built in ``graph``) that record it."""
    text = read_text_file(path)
    source = source or source_of(facts, path)
    node = KGR[source]
    if (node, None, None) not in graph:
        raise UsageError(f"no source '{source}' in the facts")
    statements = sorted(s for s in graph.subjects(GPU.source, node) if isinstance(s, URIRef))
    stated: dict[str, set[str]] = {}
    amounts: dict[Decimal, set[str]] = {}
    for statement in statements:
        for o in graph.objects(statement, GPU.statedValue):
            stated.setdefault(_plain(str(o)), set()).add(short(statement))
        for prop in _AMOUNT_PROPERTIES:
            for o in graph.objects(statement, prop):
                try:
                    amounts.setdefault(Decimal(str(o)), set()).add(short(statement))
                except ArithmeticError:
                    continue
    numbers = []
    for candidate in find_figures(text, path=str(path)):
        written = _plain(candidate.text)
        by: set[str] = set()
        for text_of, nodes in stated.items():
            if _number(written) == _number(text_of):
                by |= nodes
        values = [candidate.value] if candidate.value is not None else [candidate.low, candidate.high]
        if not by and all(v is not None and Decimal(v) in amounts for v in values):
            for v in values:
                by |= amounts[Decimal(v)]
        numbers.append(Covered(candidate, tuple(sorted(by))))
    return Coverage(str(path), source, tuple(numbers))


def _plain(text: str) -> str:
    """A stated value without cue words and spaces: 超5.2万片 -> 5.2万片."""
    return "".join(text.split()).lstrip("约近超过逾突破最高可达不到")


def _number(text: str) -> str:
    """The number with its multiplier and unit as written: 16亿元 and 16亿 are the same statement."""
    return text.removesuffix("元").removesuffix("人民币")


def report(result: Coverage) -> str:
    lines = [f"{result.path}: {len(result.numbers)} numbers, source {result.source}"]
    for covered in result.numbers:
        c = covered.candidate
        where = ", ".join(covered.recorded_by) if covered.recorded_by else "NOT RECORDED"
        lines.append(f"  line {c.line}: {c.text}  {where}")
    missing = result.missing
    lines.append(f"{len(missing)} not recorded" if missing else "every number is recorded by a fact of this source")
    return "\n".join(lines) + "\n"
