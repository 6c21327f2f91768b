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
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from rdflib import XSD, BNode, Literal, URIRef
from rdflib.term import Node

from ..base.errors import UsageError, did_you_mean
from ..store.result import (SAMPLE_ROWS, Result, is_identity_column, label_cells, label_variables,  # noqa: F401 - the results' own names too
                            turtle_term)
from .answer import (ASK_COLUMN, Answer, aligned, count_line, display_width, is_number, numeric_columns, pad,  # noqa: F401
                     people_cells, plain_text, short_name, shown_cell)
from ..base.formats import BINARY_RESULT_FORMATS, RESULT_FORMATS, pick_format

FORMATS = RESULT_FORMATS  # name -> file suffixes that imply it
BINARY_FORMATS = frozenset(BINARY_RESULT_FORMATS)  # bytes only: see encode()
# What a pipe or a file gets when no format is named: plain W3C CSV reads anywhere.
DEFAULT_FORMAT = "csv"
TERMINAL_FORMAT = "table"


def column_choice(text: str) -> tuple[str, ...]:
    """``--columns company,period,value`` (these, in this order) or ``-fact,-sources`` (all but these)."""
    names = tuple(name.strip() for name in text.split(","))
    if not all(names) or not all(name.lstrip("-").strip() for name in names):
        raise UsageError(f"--columns expects column names separated by commas (e.g. company,period,value), not '{text}'")
    if len({name.startswith("-") for name in names}) > 1:
        raise UsageError("--columns names the columns to show, or (each with a leading -) the ones to leave out; not both")
    return names


def chosen_columns(variables: Sequence[str], choice: Sequence[str], headings: Mapping[str, str] | None = None
                   ) -> tuple[int, ...]:
    """The positions of the columns ``choice`` (see column_choice) keeps, in its order.

    A column is named by its variable or by its heading (``公司`` for ``company``);
    an unknown name is an error that lists the columns there are.
    """
    by_name = {name: index for index, name in enumerate(variables)}
    for index, name in enumerate(variables):
        by_name.setdefault((headings or {}).get(name, name), index)
    picked: list[int] = []
    for name in choice:
        wanted = name.lstrip("-").strip()
        if wanted not in by_name:
            labelled = wanted.endswith("_label") and wanted[: -len("_label")] in by_name
            hint = (f"; {wanted} is written beside {wanted[: -len('_label')]}: pick that" if labelled else
                    did_you_mean(wanted, by_name))
            raise UsageError(f"--columns: no column '{wanted}'{hint}; the columns are {', '.join(variables)}")
        if by_name[wanted] not in picked:
            picked.append(by_name[wanted])
    if choice and choice[0].startswith("-"):
        return tuple(index for index in range(len(variables)) if index not in picked)
    return tuple(picked)


def with_columns(chunks: Iterable[Result], choice: Sequence[str], headings: Mapping[str, str] | None = None
                 ) -> Iterator[Result]:
    """The chunks of an answer with only the columns ``choice`` keeps (every format writes what it gets)."""
    picked: tuple[int, ...] | None = None
    for chunk in chunks:
        if chunk.is_boolean:
            raise UsageError("--columns: a yes-or-no (ASK) answer has no columns to choose")
        if picked is None:
            picked = chosen_columns(chunk.variables, choice, headings)
        yield Result(tuple(chunk.variables[i] for i in picked), tuple(tuple(row[i] for i in picked) for row in chunk.rows),
                     None, chunk.labels)


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
    answer = Answer.of(chunks, dict(prefixes or {}), dict(headings or {}))
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
        from .excel import within_sheet

        out.write(encode(joined(within_sheet(counted)), format, prefixes=prefixes, headings=headings))
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




# --- W3C formats -------------------------------------------------------------------


def _label_cells(answer: Answer) -> Callable[[Result, tuple], tuple]:
    """Rows with a ``NAME_label`` cell after each column of entities (W3C formats), each with its chunk's labels."""
    return lambda chunk, row: label_cells(row, answer.flags, chunk.labels)


def _labelled_variables(answer: Answer) -> tuple[str, ...]:
    return label_variables(answer.variables, answer.flags)


# Text a spreadsheet would run as a formula when it opens a CSV file (OWASP, "CSV Injection"):
# one that starts with = + - @ (or their full-width forms, or after blanks), a tab or a line end.
# A number (-2, +1.5, 1e-3) is read as a number, never run, and stays as it is.
_FORMULA_START = re.compile(r"[\t\r\n]|\s*[=+\-@\uff1d\uff0b\uff0d\uff20]")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def spreadsheet_text(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs: a would-be formula (``=HYPERLINK(...)``, ``+1+1``,
    ``@SUM(1)``, ``=cmd|' /C calc'!A0``) starts with an apostrophe, which spreadsheets show as text."""
    if _FORMULA_START.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv(answer: Answer) -> Iterator[str]:
    """SPARQL 1.1 CSV: plain values, RFC 4180 quoting, CRLF line ends.

    CSV is the format spreadsheets open, so it never holds a formula: a value a spreadsheet
    would run is written with a leading apostrophe (``spreadsheet_text``). CSV is lossy by
    design (the W3C format drops datatypes and languages); TSV, JSON and XML keep every
    value exactly, for programs.
    """
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
    yield from answer.lines(lambda chunk, row: line([spreadsheet_text(plain_text(term)) for term in cells(chunk, row)]))


def _tsv(answer: Answer) -> Iterator[str]:
    """SPARQL 1.1 TSV: terms in Turtle syntax, so datatypes and languages survive."""
    if answer.first.is_boolean:
        yield f"?{ASK_COLUMN}\n{'true' if answer.first.boolean else 'false'}\n"
        return
    yield "\t".join(f"?{v}" for v in _labelled_variables(answer)) + "\n"
    cells = _label_cells(answer)
    yield from answer.lines(lambda chunk, row: "\t".join(turtle_term(term) for term in cells(chunk, row)) + "\n")


def _json(answer: Answer) -> Iterator[str]:
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
        entry = [(v, _json_term(term)) for v, term in zip(variables, cells(chunk, row)) if term is not None]
        written += 1
        return (",\n" if written > 1 else "\n") + _indented_binding(entry)

    yield from answer.lines(binding)
    yield ("]" if not written else "\n    ]") + "\n  }\n}\n"






_string = json.encoder.encode_basestring  # a JSON string as json.dumps(..., ensure_ascii=False) writes it, in C


def _indented_binding(entry: list[tuple[str, dict[str, str]]]) -> str:
    """One binding exactly as ``json.dumps(dict(entry), ensure_ascii=False, indent=2)`` writes it six spaces
    in, without the pure-Python encoder an indent otherwise costs (three quarters of an answer's time)."""
    if not entry:
        return "      {}"
    parts = []
    for variable, term in entry:
        inner = ",\n".join(f"          {_string(key)}: {_string(value)}" for key, value in term.items())
        parts.append(f"        {_string(variable)}: {{\n{inner}\n        }}")
    return "      {\n" + ",\n".join(parts) + "\n      }"


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


















def _table(answer: Answer) -> Iterator[str]:
    """Aligned columns, numbers to the right, and a count of rows.

    Columns are sized on the first SAMPLE_ROWS rows, not on every row of a long
    answer; a longer cell further down overflows its column rather than widening all.
    """
    if answer.first.is_boolean:
        yield ("true" if answer.first.boolean else "false") + "\n"
        return
    header = [answer.heading(v) for v in answer.variables]
    cells = people_cells(answer)
    sample = [cells(answer.first, row) for row in answer.sample.rows]
    numeric = numeric_columns(answer.sample)
    widths = [max([display_width(h)] + [display_width(r[i]) for r in sample]) for i, h in enumerate(header)]
    yield from aligned(answer, [header], sample, cells, widths, numeric)




def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _markdown(answer: Answer) -> Iterator[str]:
    """A GitHub-flavoured Markdown table."""
    if answer.first.is_boolean:
        yield f"| {ASK_COLUMN} |\n| --- |\n| {'true' if answer.first.boolean else 'false'} |\n"
        return
    numeric = numeric_columns(answer.sample)
    yield "| " + " | ".join(_md_cell(answer.heading(v)) for v in answer.variables) + " |\n"
    yield "| " + " | ".join("---:" if n else "---" for n in numeric) + " |\n"
    cells = people_cells(answer)
    yield from answer.lines(lambda chunk, row: "| " + " | ".join(_md_cell(text) for text in cells(chunk, row)) + " |\n")


def _xml(answer: Answer) -> Iterator[str]:
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
