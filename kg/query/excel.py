"""A result as an Excel workbook: typed cells, the same bytes for the same result.

Written with XlsxWriter (https://xlsxwriter.readthedocs.io/): numbers are
numbers, shown grouped (``1,890,000``, ``425.46``) with exactly their own
decimals; ``xsd:date`` and ``xsd:dateTime`` values are dates, booleans are
booleans, everything else is text (never read as a formula or a link). The
columns a person reads come first, each entity by its label where the query
put it; the IRIs (of those entities, and of the facts) follow, for lookups and
joins. XlsxWriter stamps the parts of the file with a fixed 1980 date; the
workbook's creation date is fixed here, so nothing in the file depends on when
it was written.

Excel's limits (https://support.microsoft.com/en-us/office/excel-specifications-and-limits-1672b34d-7043-467e-8e27-269d656771c3)
are checked before anything is written, never met by cutting: an answer of more
rows or columns than a sheet holds, or a text longer than a cell holds, is an
error that says what to write instead. A value Excel would hold as something else
is written as its text, exactly: a number of more than 15 significant digits
(Excel keeps 15), a date before 1900-03-01 (where Excel's count of days goes wrong), a literal that is
not what its datatype says (``"yes"^^xsd:boolean``, ``"abc"^^xsd:decimal``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation

import xlsxwriter
from rdflib import XSD, Literal
from rdflib.term import Node

from ..base.errors import UsageError
from .answer import ASK_COLUMN, Result, is_number, plain_text
from ..store.result import is_identity_column

CREATED = dt.datetime(2000, 1, 1)  # any fixed moment; Excel shows it as the file's creation date
SHEET = "result"
MAX_WIDTH = 60  # characters; longer text wraps in Excel's own way
# Excel's own limits: a sheet of 1,048,576 rows (one is the header) and 16,384 columns,
# 32,767 characters (UTF-16 units, as Excel counts) in a cell, 15 significant digits,
# days from 1900-03-01: Excel's count of days before it includes a 1900-02-29 that never was
# (and other spreadsheets count those days otherwise); XlsxWriter writes an earlier day as a
# serial Excel shows as another day.
MAX_ROWS = 1_048_575
MAX_COLUMNS = 16_384
MAX_CELL_TEXT = 32_767
MAX_DIGITS = 15
FIRST_DAY = dt.date(1900, 3, 1)


class TooBigForExcel(UsageError):
    """An answer a workbook cannot hold whole; the message says what to write instead."""


def within_sheet(chunks: Iterable[Result]) -> Iterator[Result]:
    """The chunks of an answer, stopping with TooBigForExcel as soon as they pass a sheet's rows
    (so that an answer too long for Excel is never held whole)."""
    rows = 0
    for chunk in chunks:
        rows += len(chunk.rows)
        if rows > MAX_ROWS:
            raise _too_many_rows(f"more than {MAX_ROWS}")
        yield chunk


def _too_many_rows(count: str) -> TooBigForExcel:
    return TooBigForExcel(f"the answer has {count} rows, and an Excel sheet holds {MAX_ROWS} below its header; "
                          f"write CSV, or the rows in parts (kg query --limit {MAX_ROWS} --offset N)")


def workbook(result: Result, *, prefixes: Mapping[str, str] | None = None,
             headings: Mapping[str, str] | None = None) -> bytes:
    """The bytes of an .xlsx file with one sheet: a header row (``headings`` names columns for people), then one row per solution."""
    if len(result.rows) > MAX_ROWS:
        raise _too_many_rows(str(len(result.rows)))
    if len(result.variables) + sum(result.labelled_columns()) > MAX_COLUMNS:
        raise TooBigForExcel(f"the answer has {len(result.variables)} columns (and an IRI column for each "
                             f"column of entities), and an Excel sheet holds {MAX_COLUMNS}; write CSV or JSON")
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {
        "in_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,  # a value that starts with '=' stays text
        "strings_to_urls": False,
        "nan_inf_to_errors": True,
    })
    book.set_properties({"created": CREATED, "title": "gpu-kg query result"})
    sheet = book.add_worksheet(SHEET)
    bold = book.add_format({"bold": True})
    formats = _Formats(book)
    if result.is_boolean:
        sheet.write_string(0, 0, ASK_COLUMN, bold)
        sheet.write_boolean(1, 0, bool(result.boolean))
    else:
        columns = sheet_columns(result, headings or {})
        widths = [len(name) for name, _, _ in columns]
        for col, (name, _, _) in enumerate(columns):
            sheet.write_string(0, col, name, bold)
        for row_index, row in enumerate(result.rows, start=1):
            for col, (_, index, labelled) in enumerate(columns):
                term = row[index]
                shown = _write(sheet, row_index, col, result.labels.get(term, term) if labelled else term, formats)
                if len(shown) > MAX_CELL_TEXT // 2 and len(shown.encode("utf-16-le")) // 2 > MAX_CELL_TEXT:
                    raise TooBigForExcel(
                        f"row {row_index} of the answer, column '{columns[col][0]}': a text of "
                        f"{len(shown.encode('utf-16-le')) // 2} characters, and an Excel cell holds "
                        f"{MAX_CELL_TEXT}; write CSV or JSON, which hold it whole")
                widths[col] = max(widths[col], min(len(shown), MAX_WIDTH))
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width + 2)
        sheet.freeze_panes(1, 0)
        if columns:
            sheet.autofilter(0, 0, max(len(result.rows), 1), len(columns) - 1)
    book.close()
    return buffer.getvalue()


def sheet_columns(result: Result, headings: Mapping[str, str]) -> list[tuple[str, int, bool]]:
    """The workbook's columns: (heading, the result's column, whether it shows labels).

    Every column in the query's order, an entity column by its labels; then the
    IRIs of the entity columns (``company IRI``) and the facts' own columns.
    """
    flags = result.labelled_columns()
    read = [(headings.get(v, v), i, flag) for i, (v, flag) in enumerate(zip(result.variables, flags))
            if not is_identity_column(v)]
    iris = [(headings.get(f"{v}_iri", f"{v} IRI"), i, False) for i, (v, flag) in enumerate(zip(result.variables, flags))
            if flag]
    identities = [(headings.get(v, v), i, False) for i, v in enumerate(result.variables) if is_identity_column(v)]
    return read + iris + identities


class _Formats:
    """The workbook's cell formats, each made once: numbers grouped with their own decimals, dates."""

    def __init__(self, book):
        self.book = book
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.time = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self._numbers: dict[int, object] = {}

    def number(self, decimals: int):
        if decimals not in self._numbers:
            pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
            self._numbers[decimals] = self.book.add_format({"num_format": pattern})
        return self._numbers[decimals]


def _write(sheet, row: int, col: int, term: Node | None, formats: _Formats) -> str:
    """Write one cell as its type; returns the text it shows, for the column's width."""
    if term is None:
        return ""
    if is_number(term):
        number = _number(str(term))
        if number is not None:
            decimals = max(-number.normalize().as_tuple().exponent, 0)
            sheet.write_number(row, col, float(number), formats.number(decimals))
            return f"{number.normalize():,f}"
    if isinstance(term, Literal) and term.datatype == XSD.boolean and str(term) in ("true", "false", "1", "0"):
        sheet.write_boolean(row, col, str(term) in ("true", "1"))
        return str(term)
    if isinstance(term, Literal) and term.datatype == XSD.date:
        try:
            day = dt.date.fromisoformat(str(term)[:10])
        except ValueError:
            day = None
        if day is not None and len(str(term)) == 10 and day >= FIRST_DAY:
            sheet.write_datetime(row, col, dt.datetime(day.year, day.month, day.day), formats.date)
            return "yyyy-mm-dd"
    if isinstance(term, Literal) and term.datatype == XSD.dateTime:
        try:
            moment = dt.datetime.fromisoformat(str(term))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is None and moment.date() >= FIRST_DAY:
            sheet.write_datetime(row, col, moment, formats.time)
            return "yyyy-mm-dd hh:mm:ss"
    text = plain_text(term)
    if len(text) <= MAX_CELL_TEXT:  # a longer one is refused by the caller, before the file is written
        sheet.write_string(row, col, text)
    return text


def _number(text: str) -> Decimal | None:
    """A number Excel holds exactly: finite, within a double's range, at most 15 significant digits."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None  # an ill-typed literal ("abc"^^xsd:decimal): its text
    if not number.is_finite():
        return None
    if number.is_zero():
        return number
    digits = len(number.normalize().as_tuple().digits)
    return number if digits <= MAX_DIGITS and Decimal("1e-307") < abs(number) < Decimal("1e308") else None
