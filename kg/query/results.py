"""Query results and every way of writing them: table, CSV, TSV, JSON, XML, Markdown, Excel.

The one place output formats live. CSV, TSV and JSON follow the W3C SPARQL 1.1
results formats (https://www.w3.org/TR/sparql11-results-csv-tsv/,
https://www.w3.org/TR/sparql11-results-json/), so any SPARQL tool reads them;
table and Markdown are for people.

Labels live here, not in the queries (as the Wikidata Query Service's label
service keeps them out of its queries' joins): a query returns entities as
IRIs, and ``Result.labels`` holds the label of each, in the language asked for,
from one lookup (``kg.query.catalog.run``). Table and Markdown show an entity by its
label; CSV, TSV and JSON keep the IRI and add a ``NAME_label`` column after each
column of entities. A fact's own IRI (a column named ``fact`` or ``id``, or
ending in ``_fact`` or ``_id``, and any IRI of a fact) is its identity, shown
as a short id and never labelled.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from rdflib import XSD, BNode, Literal, URIRef
from rdflib.term import Node

from ..base.errors import UsageError
from ..base.formats import BINARY_RESULT_FORMATS, RESULT_FORMATS, pick_format

FORMATS = RESULT_FORMATS  # name -> file suffixes that imply it
BINARY_FORMATS = frozenset(BINARY_RESULT_FORMATS)  # bytes only: see encode()
# What a pipe or a file gets when no format is named: plain W3C CSV reads anywhere.
DEFAULT_FORMAT = "csv"
TERMINAL_FORMAT = "table"
# Neither W3C format defines ASK; this is the column Apache Jena writes it under.
ASK_COLUMN = "_askResult"
# An answer's first rows decide the shape of its columns in every format (which hold entities
# and get labels, which are numbers, how wide a table's are): a long answer is written as it
# comes, never held whole to look at every row.
SAMPLE_ROWS = 1000

_NUMERIC = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long, XSD.short,
            XSD.nonNegativeInteger, XSD.positiveInteger, XSD.negativeInteger, XSD.nonPositiveInteger}
# Turtle's abbreviated numbers: written bare only when the bare form has the same lexical form.
_TURTLE_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_TURTLE_DECIMAL = re.compile(r"^[+-]?[0-9]*\.[0-9]+$")
_TURTLE_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


@dataclass(frozen=True)
class Result:
    """The answer to a query: rows of RDF terms (None where unbound), or an ASK's yes or no."""

    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Node | None, ...], ...] = ()
    boolean: bool | None = None
    # The label of each entity IRI of the rows, in the language asked for (see the module's docstring).
    labels: Mapping[Node, Literal] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_boolean(self) -> bool:
        return self.boolean is not None

    def column(self, name: str) -> list[Node | None]:
        index = self.variables.index(name)
        return [row[index] for row in self.rows]

    def records(self) -> list[dict[str, Node]]:
        """Rows as dictionaries of the bound variables, for notebooks and tests."""
        return [{v: term for v, term in zip(self.variables, row) if term is not None} for row in self.rows]

    def labelled_records(self) -> list[dict[str, Node]]:
        """Rows as dictionaries, each labelled entity given by its label: what a table shows."""
        flags = self.labelled_columns()
        return [{v: (self.labels.get(term, term) if flag else term)
                 for v, term, flag in zip(self.variables, row, flags) if term is not None} for row in self.rows]

    def labelled_columns(self) -> list[bool]:
        """Which columns hold entities that have labels (identity columns never do), in the first SAMPLE_ROWS rows."""
        if not self.labels:
            return [False] * len(self.variables)
        sample = self.rows[:SAMPLE_ROWS]
        return [not is_identity_column(name) and any(row[i] in self.labels for row in sample)
                for i, name in enumerate(self.variables)]

    def with_label_columns(self) -> Result:
        """The result with a ``NAME_label`` column after each column of labelled entities (for CSV, TSV, JSON)."""
        flags = self.labelled_columns()
        if not any(flags):
            return self
        return Result(label_variables(self.variables, flags),
                      tuple(label_cells(row, flags, self.labels) for row in self.rows), self.boolean)


def label_variables(variables: Iterable[str], flags: Iterable[bool]) -> tuple[str, ...]:
    """The column names with ``NAME_label`` after each column ``flags`` marks as labelled."""
    names: list[str] = []
    for name, flag in zip(variables, flags):
        names += [name, f"{name}_label"] if flag else [name]
    return tuple(names)


def label_cells(row: tuple, flags: Iterable[bool], labels: Mapping[Node, Literal]) -> tuple:
    """A row with each labelled entity's label after it."""
    out: list[Node | None] = []
    for term, flag in zip(row, flags):
        out += [term, labels.get(term)] if flag else [term]
    return tuple(out)


def is_identity_column(name: str) -> bool:
    """``fact``, ``id``, ``group_fact``, ...: a column that says which fact a row is, shown as an id."""
    return name in ("fact", "id") or name.endswith(("_fact", "_id"))


def format_for(name: str | None, path: str | Path | None = None, *, terminal: bool = False) -> str:
    """The format asked for, or the one the file's suffix implies, or the default for where output goes."""
    return pick_format(name, path, FORMATS, TERMINAL_FORMAT if terminal else DEFAULT_FORMAT)


def render(result: Result, format: str, *, prefixes: Mapping[str, str] | None = None,
           width: int | None = None, headings: Mapping[str, str] | None = None) -> str:
    """``result`` written in ``format``; the same result always gives the same text.

    ``width`` fits a table to a terminal that wide: long text is cut and amounts
    are grouped (``1,890,000``); without it every value is shown exactly.
    ``headings`` names the columns for people (table, Markdown) in their language.
    """
    return "".join(pieces([result], format, prefixes=prefixes, width=width, headings=headings))


def pieces(chunks: Iterable[Result], format: str, *, prefixes: Mapping[str, str] | None = None,
           width: int | None = None, headings: Mapping[str, str] | None = None) -> Iterator[str]:
    """The text of one answer given in chunks of rows (kg.query.catalog.stream), piece by piece as they come.

    The first SAMPLE_ROWS rows decide the shape of the columns (which get a label
    column, which are numbers, how wide a table's are), so a long answer is never
    held whole, and the same rows give the same text in one chunk or in many.
    """
    if format in BINARY_FORMATS:
        raise UsageError(f"{format} is a binary format; write it to a file with -o")
    writer = _WRITERS.get(format)
    if writer is None:
        raise UsageError(f"unknown format '{format}'; choose one of {', '.join(FORMATS)}")
    answer = _Answer.of(chunks, dict(prefixes or {}), dict(headings or {}))
    if format == "table" and width is not None:
        from .tables import fitted_table

        return fitted_table(answer, width)
    return writer(answer)


def write(chunks: Iterable[Result], format: str, out: BinaryIO, *, prefixes: Mapping[str, str] | None = None,
          bom: bool = False, headings: Mapping[str, str] | None = None) -> int | None:
    """Write an answer given in chunks to ``out`` as its rows come; how many rows (None for yes or no).

    ``bom`` starts text with a byte-order mark, which Excel needs to read UTF-8
    (Chinese) in a CSV file. An Excel workbook is written whole at the end.
    """
    counted = _Counted(chunks)
    if format == "xlsx":
        out.write(encode(joined(counted), format, prefixes=prefixes, headings=headings))
    else:
        if bom:
            out.write("\ufeff".encode("utf-8"))
        for piece in pieces(counted, format, prefixes=prefixes, headings=headings):
            out.write(piece.encode("utf-8"))
            out.flush()  # a chunk of rows at a time: the reader sees the first rows at once
    return counted.rows


def encode(result: Result, format: str, *, prefixes: Mapping[str, str] | None = None, bom: bool = False,
           headings: Mapping[str, str] | None = None) -> bytes:
    """``result`` as the bytes of a file or a download; ``bom`` starts text with a byte-order mark,
    which Excel needs to read UTF-8 (Chinese) in a CSV file."""
    if format == "xlsx":
        from .excel import workbook

        return workbook(result, prefixes=prefixes, headings=headings)
    return ("\ufeff" if bom else "").encode("utf-8") + render(result, format, prefixes=prefixes,
                                                               headings=headings).encode("utf-8")


def joined(chunks: Iterable[Result]) -> Result:
    """The chunks of one answer as one result."""
    parts = list(chunks)
    if not parts:
        return Result()
    labels: dict[Node, Literal] = {}
    for part in parts:
        labels.update(part.labels)
    rows = parts[0].rows if len(parts) == 1 else tuple(row for part in parts for row in part.rows)
    return Result(parts[0].variables, rows, parts[0].boolean, labels)


class _Counted:
    """The chunks of an answer, counting the rows that pass."""

    def __init__(self, chunks: Iterable[Result]):
        self.chunks = chunks
        self.rows: int | None = 0

    def __iter__(self) -> Iterator[Result]:
        for chunk in self.chunks:
            if chunk.is_boolean:
                self.rows = None
            else:
                self.rows = (self.rows or 0) + len(chunk.rows)
            yield chunk


@dataclass
class _Answer:
    """One answer on its way out: its first chunk (which decides the columns' shape), then all chunks."""

    first: Result
    chunks: Iterator[Result]
    prefixes: dict[str, str]
    headings: dict[str, str]

    @classmethod
    def of(cls, chunks: Iterable[Result], prefixes: dict[str, str], headings: dict[str, str]) -> _Answer:
        it = iter(chunks)
        first = next(it, Result())
        return cls(first, itertools.chain([first], it), prefixes, headings)

    @property
    def variables(self) -> tuple[str, ...]:
        return self.first.variables

    @property
    def sample(self) -> Result:
        return Result(self.first.variables, self.first.rows[:SAMPLE_ROWS], self.first.boolean, self.first.labels)

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


# --- W3C formats -------------------------------------------------------------------


def _label_cells(answer: _Answer) -> Callable[[Result, tuple], tuple]:
    """Rows with a ``NAME_label`` cell after each column of entities (W3C formats), each with its chunk's labels."""
    return lambda chunk, row: label_cells(row, answer.flags, chunk.labels)


def _labelled_variables(answer: _Answer) -> tuple[str, ...]:
    return label_variables(answer.variables, answer.flags)


def _csv(answer: _Answer) -> Iterator[str]:
    """SPARQL 1.1 CSV: plain values, RFC 4180 quoting, CRLF line ends."""
    if answer.first.is_boolean:
        yield f"{ASK_COLUMN}\r\n{'true' if answer.first.boolean else 'false'}\r\n"
        return
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    cells = _label_cells(answer)

    def line(values: Iterable[str]) -> str:
        writer.writerow(values)
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    yield line(_labelled_variables(answer))
    yield from answer.lines(lambda chunk, row: line([_plain(term) for term in cells(chunk, row)]))


def _tsv(answer: _Answer) -> Iterator[str]:
    """SPARQL 1.1 TSV: terms in Turtle syntax, so datatypes and languages survive."""
    if answer.first.is_boolean:
        yield f"?{ASK_COLUMN}\n{'true' if answer.first.boolean else 'false'}\n"
        return
    yield "\t".join(f"?{v}" for v in _labelled_variables(answer)) + "\n"
    cells = _label_cells(answer)
    yield from answer.lines(lambda chunk, row: "\t".join(turtle_term(term) for term in cells(chunk, row)) + "\n")


def _json(answer: _Answer) -> Iterator[str]:
    """SPARQL 1.1 Query Results JSON; unbound variables are left out of a binding.

    Written binding by binding, as ``json.dumps(document, indent=2)`` writes the whole.
    """
    if answer.first.is_boolean:
        yield json.dumps({"head": {}, "boolean": answer.first.boolean}, ensure_ascii=False, indent=2) + "\n"
        return
    variables = _labelled_variables(answer)
    head = json.dumps({"head": {"vars": variables}}, ensure_ascii=False, indent=2)
    yield head[:-2] + ',\n  "results": {\n    "bindings": ['
    cells = _label_cells(answer)
    written = 0

    def binding(chunk: Result, row: tuple) -> str:
        nonlocal written
        entry = {v: _json_term(term) for v, term in zip(variables, cells(chunk, row)) if term is not None}
        written += 1
        return (",\n" if written > 1 else "\n") + "      " + json.dumps(entry, ensure_ascii=False, indent=2).replace("\n", "\n      ")

    yield from answer.lines(binding)
    yield ("]" if not written else "\n    ]") + "\n  }\n}\n"


def _plain(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def turtle_term(term: Node | None) -> str:
    """A term as SPARQL/Turtle writes it: ``<iri>``, ``"text"@zh``, ``68.8``, ``"5"^^<...#decimal>``."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    assert isinstance(term, Literal)
    lexical = str(term)
    if term.datatype == XSD.integer and _TURTLE_INTEGER.match(lexical):
        return lexical
    if term.datatype == XSD.decimal and _TURTLE_DECIMAL.match(lexical):
        return lexical
    if term.datatype == XSD.boolean and lexical in ("true", "false"):
        return lexical
    quoted = '"' + lexical.translate(_TURTLE_ESCAPES) + '"'
    if term.language:
        return f"{quoted}@{term.language}"
    if term.datatype and term.datatype != XSD.string:
        return f"{quoted}^^<{term.datatype}>"
    return quoted


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    entry = {"type": "literal", "value": str(term)}
    if term.language:
        entry["xml:lang"] = term.language
    elif term.datatype and term.datatype != XSD.string:
        entry["datatype"] = str(term.datatype)
    return entry


# --- formats for people --------------------------------------------------------------


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


def _shown(term: Node | None, result: Result, labelled: bool, prefixes: Mapping[str, str]) -> str:
    """A cell for people: an entity by its label, anything else by ``short_name``."""
    if labelled and term in result.labels:
        return short_name(result.labels[term], prefixes)
    return short_name(term, prefixes)


def _is_number(term: Node | None) -> bool:
    return isinstance(term, Literal) and term.datatype in _NUMERIC


def _numeric_columns(result: Result) -> list[bool]:
    """Columns whose values (in ``result``'s rows, for an answer its sample) are all numbers."""
    columns = []
    for index in range(len(result.variables)):
        cells = [row[index] for row in result.rows if row[index] is not None]
        columns.append(bool(cells) and all(_is_number(cell) for cell in cells))
    return columns


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
               for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def people_cells(answer: _Answer) -> Callable[[Result, tuple], list[str]]:
    """How each row reads to people: entities by their label, IRIs as short names."""
    return lambda chunk, row: [_shown(term, chunk, flag, answer.prefixes) for term, flag in zip(row, answer.flags)]


def _count(count: int) -> str:
    return f"({count} row{'' if count == 1 else 's'})\n"


def _table(answer: _Answer) -> Iterator[str]:
    """Aligned columns, numbers to the right, and a count of rows.

    Columns are sized on the first SAMPLE_ROWS rows, not on every row of a long
    answer; a longer cell further down overflows its column rather than widening all.
    """
    if answer.first.is_boolean:
        yield ("true" if answer.first.boolean else "false") + "\n"
        return
    header = [answer.heading(v) for v in answer.variables]
    cells = people_cells(answer)
    sample = [cells(answer.first, row) for row in answer.first.rows[:SAMPLE_ROWS]]
    numeric = _numeric_columns(answer.sample)
    widths = [max([display_width(h)] + [display_width(r[i]) for r in sample]) for i, h in enumerate(header)]
    yield from aligned(answer, header, sample, cells, widths, numeric)


def aligned(answer: _Answer, header: list[str], sample: list[list[str]], cells: Callable[[Result, tuple], list[str]],
            widths: list[int], numeric: list[bool],
            fit: Callable[[str, int, bool], str] = lambda text, width, number: text) -> Iterator[str]:
    """An aligned table's lines: the header, a rule, each row (the sample's cells reused), the count.

    ``fit`` shortens a cell to its column's width (a table fitted to a terminal); a
    header is fitted as text, never as a number.
    """
    yield "  ".join(_pad(fit(h, w, False), w, n) for h, w, n in zip(header, widths, numeric)).rstrip() + "\n"
    yield "  ".join("-" * w for w in widths) + "\n"
    count = 0

    def line(chunk: Result, row: tuple) -> str:
        nonlocal count
        texts = sample[count] if count < len(sample) else cells(chunk, row)
        count += 1
        return "  ".join(_pad(fit(c, w, n), w, n) for c, w, n in zip(texts, widths, numeric)).rstrip() + "\n"

    yield from answer.lines(line)
    yield _count(count)


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _markdown(answer: _Answer) -> Iterator[str]:
    """A GitHub-flavoured Markdown table."""
    if answer.first.is_boolean:
        yield f"| {ASK_COLUMN} |\n| --- |\n| {'true' if answer.first.boolean else 'false'} |\n"
        return
    numeric = _numeric_columns(answer.sample)
    yield "| " + " | ".join(_md_cell(answer.heading(v)) for v in answer.variables) + " |\n"
    yield "| " + " | ".join("---:" if n else "---" for n in numeric) + " |\n"
    cells = people_cells(answer)
    yield from answer.lines(lambda chunk, row: "| " + " | ".join(_md_cell(text) for text in cells(chunk, row)) + " |\n")


def _xml(answer: _Answer) -> Iterator[str]:
    """SPARQL Query Results XML Format (https://www.w3.org/TR/rdf-sparql-XMLres/)."""
    from xml.sax.saxutils import escape, quoteattr

    yield '<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
    if answer.first.is_boolean:
        yield f"  <head/>\n  <boolean>{'true' if answer.first.boolean else 'false'}</boolean>\n</sparql>\n"
        return
    variables = _labelled_variables(answer)
    yield "  <head>\n" + "".join(f"    <variable name={quoteattr(v)}/>\n" for v in variables) + "  </head>\n"
    yield "  <results>\n"
    cells = _label_cells(answer)

    def result(chunk: Result, row: tuple) -> str:
        lines = ["    <result>"]
        for variable, term in zip(variables, cells(chunk, row)):
            if term is None:
                continue
            if isinstance(term, URIRef):
                value = f"<uri>{escape(str(term))}</uri>"
            elif isinstance(term, BNode):
                value = f"<bnode>{escape(str(term))}</bnode>"
            else:
                attribute = (f" xml:lang={quoteattr(term.language)}" if term.language else
                             f" datatype={quoteattr(str(term.datatype))}" if term.datatype and term.datatype != XSD.string else "")
                value = f"<literal{attribute}>{_xml_text(str(term))}</literal>"
            lines.append(f"      <binding name={quoteattr(variable)}>{value}</binding>")
        lines.append("    </result>")
        return "\n".join(lines) + "\n"

    yield from answer.lines(result)
    yield "  </results>\n</sparql>\n"


def _xml_text(text: str) -> str:
    """Escaped for XML 1.0, which cannot carry most control characters even as references."""
    from xml.sax.saxutils import escape

    cleaned = "".join(ch if ch in "\t\n\r" or ord(ch) >= 0x20 else "\ufffd" for ch in text)
    return escape(cleaned.replace("\r", "&#13;")).replace("&amp;#13;", "&#13;")


_WRITERS = {"table": _table, "csv": _csv, "tsv": _tsv, "json": _json, "md": _markdown, "xml": _xml}
