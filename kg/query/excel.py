"""A result as an Excel workbook: typed cells, the same bytes for the same result.

Written with XlsxWriter (https://xlsxwriter.readthedocs.io/): numbers are
numbers, ``xsd:date`` and ``xsd:dateTime`` values are dates, booleans are
booleans, everything else is text (never read as a formula or a link). XlsxWriter
stamps the parts of the file with a fixed 1980 date; the workbook's creation
date is fixed here, so nothing in the file depends on when it was written.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

import xlsxwriter
from rdflib import XSD, Literal
from rdflib.term import Node

from .answer import ASK_COLUMN, Result, is_number, plain_text

CREATED = dt.datetime(2000, 1, 1)  # any fixed moment; Excel shows it as the file's creation date
SHEET = "result"
MAX_WIDTH = 60  # characters; longer text wraps in Excel's own way


def workbook(result: Result, *, prefixes: Mapping[str, str] | None = None,
             headings: Mapping[str, str] | None = None) -> bytes:
    """The bytes of an .xlsx file with one sheet: a header row (``headings`` names columns for people), then one row per solution."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {
        "in_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,  # a value that starts with '=' stays text
        "strings_to_urls": False,
        "nan_inf_to_errors": True,
    })
    book.set_properties({"created": CREATED, "title": "gpu-kg query result"})
    result = result.with_label_columns()  # as CSV has them: NAME_label after each column of entities
    sheet = book.add_worksheet(SHEET)
    bold = book.add_format({"bold": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    time_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    if result.is_boolean:
        sheet.write_string(0, 0, ASK_COLUMN, bold)
        sheet.write_boolean(1, 0, bool(result.boolean))
    else:
        names = [(headings or {}).get(v, v) for v in result.variables]
        widths = [len(name) for name in names]
        for col, name in enumerate(names):
            sheet.write_string(0, col, name, bold)
        for row_index, row in enumerate(result.rows, start=1):
            for col, term in enumerate(row):
                shown = _write(sheet, row_index, col, term, date_format, time_format)
                widths[col] = max(widths[col], min(len(shown), MAX_WIDTH))
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width + 2)
        sheet.freeze_panes(1, 0)
        if result.variables:
            sheet.autofilter(0, 0, max(len(result.rows), 1), len(result.variables) - 1)
    book.close()
    return buffer.getvalue()


def _write(sheet, row: int, col: int, term: Node | None, date_format, time_format) -> str:
    """Write one cell as its type; returns the text it shows, for the column's width."""
    if term is None:
        return ""
    if is_number(term):
        try:
            number = Decimal(str(term))
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            sheet.write_number(row, col, float(number))
            return str(term)
    if isinstance(term, Literal) and term.datatype == XSD.boolean and str(term) in ("true", "false", "1", "0"):
        sheet.write_boolean(row, col, str(term) in ("true", "1"))
        return str(term)
    if isinstance(term, Literal) and term.datatype == XSD.date:
        try:
            day = dt.date.fromisoformat(str(term)[:10])
        except ValueError:
            day = None
        if day is not None and len(str(term)) == 10:
            sheet.write_datetime(row, col, dt.datetime(day.year, day.month, day.day), date_format)
            return "yyyy-mm-dd"
    if isinstance(term, Literal) and term.datatype == XSD.dateTime:
        try:
            moment = dt.datetime.fromisoformat(str(term))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is None:
            sheet.write_datetime(row, col, moment, time_format)
            return "yyyy-mm-dd hh:mm:ss"
    text = plain_text(term)
    sheet.write_string(row, col, text)
    return text
