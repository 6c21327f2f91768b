"""Query results and every way of writing them: table, CSV, TSV, JSON, XML, Markdown, Excel.

The one place output formats live. CSV, TSV and JSON follow the W3C SPARQL 1.1
results formats (https://www.w3.org/TR/sparql11-results-csv-tsv/,
https://www.w3.org/TR/sparql11-results-json/), so any SPARQL tool reads them;
table and Markdown are for people.

Labels live here, not in the queries (as the Wikidata Query Service's label
service keeps them out of its queries' joins): a query returns entities as
IRIs, and ``Result.labels`` holds the label of each, in the language asked for,
from one lookup (``kg.queries.run``). Table and Markdown show an entity by its
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
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import XSD, BNode, Literal, URIRef
from rdflib.term import Node

from .errors import UsageError
from .formats import BINARY_RESULT_FORMATS, RESULT_FORMATS, pick_format

FORMATS = RESULT_FORMATS  # name -> file suffixes that imply it
BINARY_FORMATS = frozenset(BINARY_RESULT_FORMATS)  # bytes only: see encode()
# What a pipe or a file gets when no format is named: plain W3C CSV reads anywhere.
DEFAULT_FORMAT = "csv"
TERMINAL_FORMAT = "table"
# Neither W3C format defines ASK; this is the column Apache Jena writes it under.
ASK_COLUMN = "_askResult"

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
        """Which columns hold entities that have labels (identity columns never do)."""
        if not self.labels:
            return [False] * len(self.variables)
        return [not is_identity_column(name) and any(row[i] in self.labels for row in self.rows)
                for i, name in enumerate(self.variables)]

    def with_label_columns(self) -> Result:
        """The result with a ``NAME_label`` column after each column of labelled entities (for CSV, TSV, JSON)."""
        flags = self.labelled_columns()
        if not any(flags):
            return self
        variables: list[str] = []
        for name, flag in zip(self.variables, flags):
            variables += [name, f"{name}_label"] if flag else [name]
        rows = []
        for row in self.rows:
            cells: list[Node | None] = []
            for term, flag in zip(row, flags):
                cells += [term, self.labels.get(term)] if flag else [term]
            rows.append(tuple(cells))
        return Result(tuple(variables), tuple(rows), self.boolean)


def is_identity_column(name: str) -> bool:
    """``fact``, ``id``, ``group_fact``, ...: a column that says which fact a row is, shown as an id."""
    return name in ("fact", "id") or name.endswith(("_fact", "_id"))


def format_for(name: str | None, path: str | Path | None = None, *, terminal: bool = False) -> str:
    """The format asked for, or the one the file's suffix implies, or the default for where output goes."""
    return pick_format(name, path, FORMATS, TERMINAL_FORMAT if terminal else DEFAULT_FORMAT)


def render(result: Result, format: str, *, prefixes: Mapping[str, str] | None = None,
           width: int | None = None) -> str:
    """``result`` written in ``format``; the same result always gives the same text.

    ``width`` fits a table to a terminal that wide: long text is cut and amounts
    are grouped (``1,890,000``); without it every value is shown exactly.
    """
    if format in BINARY_FORMATS:
        raise UsageError(f"{format} is a binary format; write it to a file with -o")
    writer = _WRITERS.get(format)
    if writer is None:
        raise UsageError(f"unknown format '{format}'; choose one of {', '.join(FORMATS)}")
    if format == "table" and width is not None:
        from .tables import fitted_table

        return fitted_table(result, dict(prefixes or {}), width)
    return writer(result, dict(prefixes or {}))


def encode(result: Result, format: str, *, prefixes: Mapping[str, str] | None = None, bom: bool = False) -> bytes:
    """``result`` as the bytes of a file or a download; ``bom`` starts text with a byte-order mark,
    which Excel needs to read UTF-8 (Chinese) in a CSV file."""
    if format == "xlsx":
        from .excel import workbook

        return workbook(result, prefixes=prefixes)
    return ("\ufeff" if bom else "").encode("utf-8") + render(result, format, prefixes=prefixes).encode("utf-8")


# --- W3C formats -------------------------------------------------------------------


def _csv(result: Result, _: dict[str, str]) -> str:
    """SPARQL 1.1 CSV: plain values, RFC 4180 quoting, CRLF line ends."""
    result = result.with_label_columns()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if result.is_boolean:
        writer.writerow([ASK_COLUMN])
        writer.writerow(["true" if result.boolean else "false"])
        return out.getvalue()
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_plain(term) for term in row])
    return out.getvalue()


def _tsv(result: Result, _: dict[str, str]) -> str:
    """SPARQL 1.1 TSV: terms in Turtle syntax, so datatypes and languages survive."""
    if result.is_boolean:
        return f"?{ASK_COLUMN}\n{'true' if result.boolean else 'false'}\n"
    result = result.with_label_columns()
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join(turtle_term(term) for term in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _json(result: Result, _: dict[str, str]) -> str:
    """SPARQL 1.1 Query Results JSON; unbound variables are left out of a binding."""
    if result.is_boolean:
        document: dict = {"head": {}, "boolean": result.boolean}
    else:
        result = result.with_label_columns()
        bindings = [
            {v: _json_term(term) for v, term in zip(result.variables, row) if term is not None}
            for row in result.rows
        ]
        document = {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


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
    columns = []
    for index in range(len(result.variables)):
        cells = [row[index] for row in result.rows if row[index] is not None]
        columns.append(bool(cells) and all(_is_number(cell) for cell in cells))
    return columns


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
               for ch in text)


TABLE_SAMPLE = 1000  # rows a table's columns are sized on


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def _table(result: Result, prefixes: dict[str, str]) -> str:
    """Aligned columns, numbers to the right, and a count of rows."""
    if result.is_boolean:
        return ("true" if result.boolean else "false") + "\n"
    header = list(result.variables)
    flags = result.labelled_columns()

    def cells(row: tuple) -> list[str]:
        return [_shown(term, result, flag, prefixes) for term, flag in zip(row, flags)]

    # Columns are sized on the first TABLE_SAMPLE rows, not on every row of a long answer;
    # a longer cell further down overflows its column rather than widening all of them.
    sample = [cells(row) for row in result.rows[:TABLE_SAMPLE]]
    numeric = _numeric_columns(Result(result.variables, result.rows[:TABLE_SAMPLE]))
    widths = [max([display_width(h)] + [display_width(r[i]) for r in sample]) for i, h in enumerate(header)]
    lines = ["  ".join(_pad(h, w, n) for h, w, n in zip(header, widths, numeric)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for i, row in enumerate(result.rows):
        shown = sample[i] if i < len(sample) else cells(row)
        lines.append("  ".join(_pad(c, w, n) for c, w, n in zip(shown, widths, numeric)).rstrip())
    count = len(result.rows)
    lines.append(f"({count} row{'' if count == 1 else 's'})")
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _markdown(result: Result, prefixes: dict[str, str]) -> str:
    """A GitHub-flavoured Markdown table."""
    if result.is_boolean:
        return f"| {ASK_COLUMN} |\n| --- |\n| {'true' if result.boolean else 'false'} |\n"
    numeric = _numeric_columns(result)
    lines = ["| " + " | ".join(_md_cell(v) for v in result.variables) + " |"]
    lines.append("| " + " | ".join("---:" if n else "---" for n in numeric) + " |")
    flags = result.labelled_columns()
    for row in result.rows:
        lines.append("| " + " | ".join(_md_cell(_shown(term, result, flag, prefixes))
                                       for term, flag in zip(row, flags)) + " |")
    return "\n".join(lines) + "\n"


def _xml(result: Result, _: dict[str, str]) -> str:
    """SPARQL Query Results XML Format (https://www.w3.org/TR/rdf-sparql-XMLres/)."""
    from xml.sax.saxutils import escape, quoteattr

    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    result = result.with_label_columns()
    if result.is_boolean:
        lines += ["  <head/>", f"  <boolean>{'true' if result.boolean else 'false'}</boolean>", "</sparql>"]
        return "\n".join(lines) + "\n"
    lines.append("  <head>")
    lines += [f"    <variable name={quoteattr(v)}/>" for v in result.variables]
    lines += ["  </head>", "  <results>"]
    for row in result.rows:
        lines.append("    <result>")
        for variable, term in zip(result.variables, row):
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
    lines += ["  </results>", "</sparql>"]
    return "\n".join(lines) + "\n"


def _xml_text(text: str) -> str:
    """Escaped for XML 1.0, which cannot carry most control characters even as references."""
    from xml.sax.saxutils import escape

    cleaned = "".join(ch if ch in "\t\n\r" or ord(ch) >= 0x20 else "\ufffd" for ch in text)
    return escape(cleaned.replace("\r", "&#13;")).replace("&amp;#13;", "&#13;")


_WRITERS = {"table": _table, "csv": _csv, "tsv": _tsv, "json": _json, "md": _markdown, "xml": _xml}
