"""Results for analysts' other tools: Excel workbooks, CSV that Excel reads, SPARQL XML, terminal tables."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from rdflib.query import Result as RdflibResult

from conftest import SEED
from kg.query import catalog as queries
from kg.base.ontology import PREFIXES
from kg.cli import main
from kg.query.results import display_width, encode, render
from kg.query.tables import amount_text

PREFIX_TEXT = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def run(*args: str):
    return CliRunner().invoke(main, [*args, "--facts", str(SEED)], catch_exceptions=False)


def sheet_rows(data: bytes) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


# --- Excel --------------------------------------------------------------------------------------


def test_query_to_xlsx_has_typed_cells(tmp_path):
    target = tmp_path / "listing-race.xlsx"
    result = run("query", "listing-race", "-o", str(target))
    assert (result.exit_code, result.stderr) == (0, f"wrote {target} (xlsx, 6 rows)\n")
    rows = sheet_rows(target.read_bytes())
    records = [dict(zip(rows[0], row)) for row in rows[1:]]
    moore = next(r for r in records if r["company"] == "Moore Threads")
    assert moore["date"] == dt.datetime(2025, 12, 5), "an xsd:date is an Excel date"
    assert moore["first_day_gain_pct"] == 468.8 and moore["first_day_market_cap"] == 305_500_000_000, \
        "numbers are numbers"
    enflame = next(r for r in records if r["company"] == "Enflame")
    assert (enflame["date"], enflame["stated_date"]) == ("2025", "2025年以来"), \
        "a year alone stays as written; Chinese intact"
    assert moore["fact"] == "https://w3id.org/gpu-kg/id/moore-threads-star-listing"


def test_a_workbook_puts_what_people_read_first_and_the_iris_after(tmp_path):
    target = tmp_path / "listing-race.xlsx"
    run("query", "listing-race", "-o", str(target))
    header = list(sheet_rows(target.read_bytes())[0])
    csv_header = next(csv.reader(io.StringIO(run("query", "listing-race", "--format", "csv").stdout)))
    query_columns = [name for name in csv_header if not name.endswith("_label")]
    assert header[:14] == query_columns[:14], "the query's columns in its order, entities by their labels"
    assert header[14:] == ["company IRI", "step IRI", "venue IRI", "exchange IRI", "basis IRI", "gain_qualifier IRI",
                           "market_cap_qualifier IRI", "fact"], "then the IRIs, for lookups and joins"
    assert sorted(header) == sorted(name.replace("_label", "") if name.endswith("_label") else
                                    (name + " IRI" if f"{name}_label" in csv_header else name) for name in csv_header), \
        "every column of the CSV is there"


def test_amounts_have_a_number_format_with_their_own_decimals(tmp_path):
    target = tmp_path / "listing-race.xlsx"
    run("query", "listing-race", "-o", str(target))
    sheet = openpyxl.load_workbook(target).active
    header = [cell.value for cell in sheet[1]]
    moore = next(row for row in sheet.iter_rows(min_row=2) if row[header.index("basis")].value == "basis not stated"
                 and row[header.index("company")].value == "Moore Threads")
    cap, gain = moore[header.index("first_day_market_cap")], moore[header.index("first_day_gain_pct")]
    assert (cap.value, cap.number_format) == (305_500_000_000, "#,##0"), "grouped thousands, no decimals"
    assert (gain.value, gain.number_format) == (468.8, "#,##0.0"), "exactly the decimals it has"
    assert moore[header.index("date")].number_format == "yyyy-mm-dd"


def test_the_same_result_gives_the_same_bytes(tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert run("query", "investors", "-o", str(first)).exit_code == 0
    assert run("query", "investors", "--format", "xlsx", "-o", str(second)).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    properties = openpyxl.load_workbook(first).properties
    assert properties.created == dt.datetime(2000, 1, 1), "no timestamp of the moment it was written"


def test_xlsx_to_standard_output_is_the_file_itself(tmp_path):
    target = tmp_path / "investors.xlsx"
    run("query", "investors", "-o", str(target))
    result = run("query", "investors", "--format", "xlsx")
    assert result.exit_code == 0 and result.stdout_bytes == target.read_bytes()


def test_text_that_looks_like_a_formula_stays_text(graph):
    query = queries.parse_query('SELECT ?x ?n ?d WHERE { BIND("=HYPERLINK(\\"http://x\\")" AS ?x) '
                                'BIND(12.50 AS ?n) BIND(true AS ?d) }')
    rows = sheet_rows(encode(queries.run(graph, query), "xlsx"))
    assert rows[1] == ('=HYPERLINK("http://x")', 12.5, True)
    book = openpyxl.load_workbook(io.BytesIO(encode(queries.run(graph, query), "xlsx")))
    assert book.active["A2"].data_type == "s"


def test_an_ask_answer_is_one_boolean_cell(graph):
    rows = sheet_rows(encode(queries.run(graph, queries.parse_query("ASK { ?s ?p ?o }")), "xlsx"))
    assert rows == [("_askResult",), (True,)]


def test_xlsx_cannot_be_rendered_as_text(graph):
    with pytest.raises(Exception, match="xlsx is a binary format"):
        render(queries.run(graph, queries.find_query("investors")), "xlsx")


# --- CSV for Excel, XML for SPARQL tools -----------------------------------------------------------


def test_bom_starts_a_csv_that_excel_reads_as_utf8(tmp_path):
    plain, marked = tmp_path / "plain.csv", tmp_path / "marked.csv"
    run("query", "investors", "--lang", "zh", "-o", str(plain))
    run("query", "investors", "--lang", "zh", "--bom", "-o", str(marked))
    assert marked.read_bytes() == b"\xef\xbb\xbf" + plain.read_bytes()
    rows = list(csv.DictReader(io.StringIO(marked.read_text("utf-8-sig"))))
    assert rows[0]["company_label"] == "天数智芯"


def test_dates_in_csv_are_iso_and_sort_as_dates():
    result = run("query", "listing-race", "--format", "csv")
    dates = [row["date"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert all(len(d) in (4, 10) and d[:4].isdigit() for d in dates), dates
    full = [d for d in dates if len(d) == 10]
    assert all(dt.date.fromisoformat(d) for d in full) and full == sorted(full)


def test_xml_results_read_back_as_the_same_solutions(graph):
    result = queries.run(graph, queries.find_query("listing-race")).with_label_columns()
    parsed = RdflibResult.parse(io.BytesIO(render(result, "xml").encode("utf-8")), format="xml")
    assert [tuple(str(v) for v in parsed.vars)] == [result.variables]
    assert [tuple(row) for row in parsed] == [tuple(row) for row in result.rows]


def test_xml_from_the_command_line_by_suffix(tmp_path):
    target = tmp_path / "investors.srx"
    result = run("query", "investors", "-o", str(target))
    assert result.exit_code == 0 and target.read_text("utf-8").startswith('<?xml version="1.0" encoding="utf-8"?>')


# --- tables on a terminal ------------------------------------------------------------------------


def test_a_terminal_table_fits_its_width_wrapping_headings_before_it_cuts_text(graph):
    result = queries.run(graph, queries.find_query("listing-race"))
    text = render(result, "table", prefixes=PREFIX_TEXT, width=210)
    lines = text.splitlines()
    assert all(display_width(line) <= 210 for line in lines)
    assert lines[0].split()[:3] == ["date", "stated_", "company"] and lines[1].split()[:2] == ["date", "day_"], \
        "long headings wrap at their underscores"
    assert lines[3].startswith("----------  "), "three lines of headings, then the rule"
    assert "305,500,000,000" in text and "2025-12-05" in text, "numbers and dates are never cut"
    assert "basis not stated" in text and "Biren Technology" in text, "nor text shorter than READABLE"
    assert "kgr:moore-threads-…" in text, "longer text is cut, with an ellipsis"
    exact = render(result, "table", prefixes=PREFIX_TEXT)
    assert "305500000000.0" in exact and "…" not in exact, "without a width: exact values"


def test_a_result_too_wide_for_the_terminal_shows_each_row_as_a_record(graph):
    result = queries.run(graph, queries.find_query("listing-race"))
    text = render(result, "table", prefixes=PREFIX_TEXT, width=100)
    assert all(display_width(line) <= 100 for line in text.splitlines())
    assert "…" not in text, "nothing is cut"
    moore = text.split("-[ 2 ]")[1].split("-[ 3 ]")[0]
    assert moore.splitlines()[1:] == [
        "date                  2025-12-05",
        "company               Moore Threads",
        "step                  listed",
        "venue                 STAR Market",
        "exchange              Shanghai Stock Exchange",
        "basis                 basis not stated",
        "first_day_gain_pct    468.8",
        "gain_qualifier        exact",
        "first_day_market_cap  305,500,000,000",
        "market_cap_currency   CNY",
        "market_cap_qualifier  exact",
        "event_sources         article",
        "figure_sources        article",
        "fact                  kgr:moore-threads-star-listing",
    ], "a line a column, empty ones left out"
    assert text.endswith("(6 rows; 15 columns are too many for a table 100 wide: --columns picks some, "
                         "--raw gives the table)\n")


def test_a_long_value_in_a_record_wraps_at_its_spaces(graph):
    query = queries.parse_query('SELECT ?a ?b ?c ?d ?e ?f WHERE { BIND("one two three four five six seven" AS ?a) '
                                'BIND("x" AS ?b) BIND("x" AS ?c) BIND("x" AS ?d) BIND("x" AS ?e) BIND("x" AS ?f) }')
    text = render(queries.run(graph, query), "table", width=20)
    assert text.splitlines()[1:3] == ["a  one two three", "   four five six"]


def test_columns_without_a_value_are_left_out_and_named(graph):
    result = queries.run(graph, queries.find_query("figures"), {"entity": "iluvatar", "metric": "revenue"})
    text = render(result, "table", prefixes=PREFIX_TEXT, width=120)
    assert text.splitlines()[0].split() == ["entity", "metric", "period", "value", "unit", "qualifier", "stated",
                                            "sources", "rank", "best", "fact"]
    assert text.splitlines()[-1] == "(4 rows; no value in segment, holder, market, tranche, stage, basis, low, high, " \
                                    "approximation, circumstance, said_by)"


def test_amounts_are_grouped_but_not_rounded():
    from rdflib import XSD, Literal

    assert amount_text(Literal("305500000000.0", datatype=XSD.decimal)) == "305,500,000,000"
    assert amount_text(Literal("692.95", datatype=XSD.decimal)) == "692.95"
    assert amount_text(Literal("-1234567.125", datatype=XSD.decimal)) == "-1,234,567.125"
    assert amount_text(Literal("16800", datatype=XSD.integer)) == "16,800"
    assert amount_text(Literal("text")) is None


def test_raw_and_pipes_get_exact_values():
    result = run("query", "listing-race", "--raw", "--format", "table")
    assert "305500000000.0" in result.stdout and "…" not in result.stdout
