"""An answer on its way out, as every writer of kg.query.results (and the fitted table, and the
workbook) sees it: its first rows decide the columns' shape, then the rest come a chunk at a time."""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from rdflib import XSD, BNode, Literal, URIRef
from rdflib.term import Node

from ..store import result as rows
from ..store.result import Result


# Neither W3C format defines ASK; this is the column Apache Jena writes it under.
ASK_COLUMN = "_askResult"


_NUMERIC = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long, XSD.short,
            XSD.nonNegativeInteger, XSD.positiveInteger, XSD.negativeInteger, XSD.nonPositiveInteger}


@dataclass
class Answer:
    """One answer on its way out: its first chunk (which decides the columns' shape), then all chunks."""

    first: Result
    chunks: Iterator[Result]
    prefixes: dict[str, str]
    headings: dict[str, str]

    @classmethod
    def of(cls, chunks: Iterable[Result], prefixes: dict[str, str], headings: dict[str, str]) -> Answer:
        it = iter(chunks)
        first = next(it, Result())
        return cls(first, itertools.chain([first], it), prefixes, headings)

    @property
    def variables(self) -> tuple[str, ...]:
        return self.first.variables

    @property
    def sample(self) -> Result:
        return Result(self.first.variables, self.first.rows[:rows.SAMPLE_ROWS], self.first.boolean, self.first.labels)

    @functools.cached_property
    def flags(self) -> list[bool]:
        """Which columns hold labelled entities, decided on the sample."""
        return self.sample.labelled_columns()

    def heading(self, name: str) -> str:
        return self.headings.get(name, name)

    def lines(self, line: Callable[[Result, tuple[Node | None, ...]], str]) -> Iterator[str]:
        """The text ``line`` gives each row (with the chunk it came in, whose labels it uses), a chunk at a time."""
        for chunk in self.chunks:
            text = "".join(line(chunk, row) for row in chunk.rows)
            if text:
                yield text


def plain_text(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def short_name(term: Node | None, prefixes: Mapping[str, str]) -> str:
    """What a person reads in a cell: ``kgr:iluvatar`` for an IRI, the text of a literal."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        matches = [(len(namespace), prefix, term[len(namespace):]) for prefix, namespace in prefixes.items()
                   if term.startswith(namespace) and len(term) > len(namespace)]
        if matches:
            _, prefix, local = max(matches)  # the longest namespace gives the shortest name
            return f"{prefix}:{local}"
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    return " ".join(str(term).replace("\t", " ").splitlines())


def shown_cell(term: Node | None, result: Result, labelled: bool, prefixes: Mapping[str, str]) -> str:
    """A cell for people: an entity by its label, anything else by ``short_name``."""
    if labelled and term in result.labels:
        return short_name(result.labels[term], prefixes)
    return short_name(term, prefixes)


def is_number(term: Node | None) -> bool:
    return isinstance(term, Literal) and term.datatype in _NUMERIC


def numeric_columns(result: Result) -> list[bool]:
    """Columns whose values (in ``result``'s rows, for an answer its sample) are all numbers."""
    columns = []
    for index in range(len(result.variables)):
        cells = [row[index] for row in result.rows if row[index] is not None]
        columns.append(bool(cells) and all(is_number(cell) for cell in cells))
    return columns


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
               for ch in text)


def pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def people_cells(answer: Answer) -> Callable[[Result, tuple], list[str]]:
    """How each row reads to people: entities by their label, IRIs as short names."""
    return lambda chunk, row: [shown_cell(term, chunk, flag, answer.prefixes) for term, flag in zip(row, answer.flags)]


def count_line(count: int, note: str = "") -> str:
    """``(2 rows)``, and what else a reader should know about them: ``(2 rows; no value in segment)``."""
    return f"({count} row{'' if count == 1 else 's'}{'; ' + note if note else ''})\n"


def aligned(answer: Answer, header: list[list[str]], sample: list[list[str]], cells: Callable[[Result, tuple], list[str]],
            widths: list[int], numeric: list[bool],
            fit: Callable[[str, int, bool], str] = lambda text, width, number: text, note: str = "") -> Iterator[str]:
    """An aligned table's lines: the header (a line or more), a rule, each row (the sample's cells reused), the count.

    ``fit`` shortens a cell to its column's width (a table fitted to a terminal).
    """
    for names in header:
        yield "  ".join(pad(h, w, n) for h, w, n in zip(names, widths, numeric)).rstrip() + "\n"
    yield "  ".join("-" * w for w in widths) + "\n"
    count = 0

    def line(chunk: Result, row: tuple) -> str:
        nonlocal count
        texts = sample[count] if count < len(sample) else cells(chunk, row)
        count += 1
        return "  ".join(pad(fit(c, w, n), w, n) for c, w, n in zip(texts, widths, numeric)).rstrip() + "\n"

    yield from answer.lines(line)
    yield count_line(count, note)
