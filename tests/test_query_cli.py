"""`kg queries` and `kg query` through click's test runner: exact output and exit codes."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

import kg.cli
from kg.query import catalog as queries
from kg.cli import main
from kg.store.oxigraph import MemoryStore

CATALOG = queries.catalog_dir()


@pytest.fixture(autouse=True)
def shipped_graph(graph, monkeypatch, tmp_path):
    """Commands read the session's graph of the shipped facts instead of building it again."""
    monkeypatch.setattr(kg.cli, "_store", lambda store_spec, facts_dir, as_of=None: MemoryStore(graph))
    monkeypatch.chdir(tmp_path)


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def out(result) -> str:
    """Standard output exactly as written (click's ``stdout`` turns CSV's CRLF into LF)."""
    return result.stdout_bytes.decode("utf-8")


# W3C formats keep each entity's IRI and add its label in the next column; tables show the label.
INVESTORS_CSV = (
    "investor,investor_label,company,company_label,role,role_label,round,date,stake_pct,fact\r\n"
    "https://w3id.org/gpu-kg/id/quzhou-zhizao,Quzhou Zhizao,https://w3id.org/gpu-kg/id/iluvatar,Iluvatar CoreX,"
    "https://w3id.org/gpu-kg/ontology#investor,investor,D+,2025,,https://w3id.org/gpu-kg/id/iluvatar-series-d-plus\r\n"
    "https://w3id.org/gpu-kg/id/xingnahe-capital,Xingnahe Capital,https://w3id.org/gpu-kg/id/iluvatar,Iluvatar CoreX,"
    "https://w3id.org/gpu-kg/ontology#investor,investor,D+,2025,,https://w3id.org/gpu-kg/id/iluvatar-series-d-plus\r\n"
)

FORMATS = {
    "csv": INVESTORS_CSV,
    "table": (
        "investor          company         role      round  date  stake_pct  fact\n"
        "----------------  --------------  --------  -----  ----  ---------  --------------------------\n"
        "Quzhou Zhizao     Iluvatar CoreX  investor  D+     2025             kgr:iluvatar-series-d-plus\n"
        "Xingnahe Capital  Iluvatar CoreX  investor  D+     2025             kgr:iluvatar-series-d-plus\n"
        "(2 rows)\n"
    ),
    "tsv": (
        "?investor\t?investor_label\t?company\t?company_label\t?role\t?role_label\t?round\t?date\t?stake_pct\t?fact\n"
        '<https://w3id.org/gpu-kg/id/quzhou-zhizao>\t"Quzhou Zhizao"@en\t<https://w3id.org/gpu-kg/id/iluvatar>\t'
        '"Iluvatar CoreX"@en\t<https://w3id.org/gpu-kg/ontology#investor>\t"investor"@en\t"D+"\t'
        '"2025"^^<http://www.w3.org/2001/XMLSchema#gYear>\t\t<https://w3id.org/gpu-kg/id/iluvatar-series-d-plus>\n'
        '<https://w3id.org/gpu-kg/id/xingnahe-capital>\t"Xingnahe Capital"@en\t<https://w3id.org/gpu-kg/id/iluvatar>\t'
        '"Iluvatar CoreX"@en\t<https://w3id.org/gpu-kg/ontology#investor>\t"investor"@en\t"D+"\t'
        '"2025"^^<http://www.w3.org/2001/XMLSchema#gYear>\t\t<https://w3id.org/gpu-kg/id/iluvatar-series-d-plus>\n'
    ),
    "md": (
        "| investor | company | role | round | date | stake_pct | fact |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        "| Quzhou Zhizao | Iluvatar CoreX | investor | D+ | 2025 |  | kgr:iluvatar-series-d-plus |\n"
        "| Xingnahe Capital | Iluvatar CoreX | investor | D+ | 2025 |  | kgr:iluvatar-series-d-plus |\n"
    ),
}


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_query_in_every_format(format_name):
    result = run("query", "investors", "--format", format_name)
    assert (result.exit_code, out(result), result.stderr) == (0, FORMATS[format_name], "")


def test_query_as_w3c_json():
    result = run("query", "investors", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["head"] == {"vars": ["investor", "investor_label", "company", "company_label", "role", "role_label",
                                     "round", "date", "stake_pct", "fact"]}
    assert data["results"]["bindings"][1] == {
        "investor": {"type": "uri", "value": "https://w3id.org/gpu-kg/id/xingnahe-capital"},
        "investor_label": {"type": "literal", "value": "Xingnahe Capital", "xml:lang": "en"},
        "company": {"type": "uri", "value": "https://w3id.org/gpu-kg/id/iluvatar"},
        "company_label": {"type": "literal", "value": "Iluvatar CoreX", "xml:lang": "en"},
        "role": {"type": "uri", "value": "https://w3id.org/gpu-kg/ontology#investor"},
        "role_label": {"type": "literal", "value": "investor", "xml:lang": "en"},
        "round": {"type": "literal", "value": "D+"},
        "date": {"type": "literal", "value": "2025", "datatype": "http://www.w3.org/2001/XMLSchema#gYear"},
        "fact": {"type": "uri", "value": "https://w3id.org/gpu-kg/id/iluvatar-series-d-plus"},
    }


def test_csv_is_the_default_when_not_on_a_terminal_and_reads_back():
    result = run("query", "company-profile", "--param", "company=壁仞科技")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert (rows[0]["aspect"], rows[0]["value"], rows[0]["detail"]) == ("name", "Biren Technology", "en")
    funding = [{k: v for k, v in r.items() if v} for r in rows if r["aspect"] == "funding round"]
    assert funding == [{"aspect": "funding round", "value": "https://w3id.org/gpu-kg/id/biren-pre-ipo-round",
                        "value_label": "Biren Technology funding round (2025-08)",
                        "detail": "https://w3id.org/gpu-kg/ontology#postMoneyValuation", "detail_label": "post-money valuation",
                        "amount": "20915000000.0", "unit": "https://w3id.org/gpu-kg/ontology#CNY", "unit_label": "yuan (CNY)",
                        "id": "https://w3id.org/gpu-kg/id/biren-pre-ipo-round"}]


def test_labels_and_headings_in_chinese():
    result = run("query", "investors", "--lang", "zh", "--format", "table")
    assert out(result) == (
        "投资方      公司      角色    轮次  日期  持股比例（%）  事实\n"
        "----------  --------  ------  ----  ----  -------------  --------------------------\n"
        "衢州智造    天数智芯  投资方  D+    2025                 kgr:iluvatar-series-d-plus\n"
        "星纳赫资本  天数智芯  投资方  D+    2025                 kgr:iluvatar-series-d-plus\n"
        "(2 rows)\n"
    )


@pytest.mark.parametrize("value", ["biren", "壁仞科技", "Biren Technology", "https://w3id.org/gpu-kg/id/biren"])
def test_an_entity_parameter_by_id_chinese_or_english_name_or_iri(value):
    result = run("query", "financial-series", "-p", f"company={value}", "-p", "metric=净亏损", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [row["period_label"] for row in rows] == ["FY2024", "H1 2025"]
    assert [row["period"] for row in rows] == [f"https://w3id.org/gpu-kg/id/period/{p}" for p in ("2024", "2025H1")]


def test_output_file_gets_its_format_from_the_suffix(tmp_path):
    result = run("query", "investors", "-o", "out/investors.csv")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "wrote out/investors.csv (csv, 2 rows)\n")
    assert (tmp_path / "out" / "investors.csv").read_bytes().decode("utf-8") == INVESTORS_CSV
    result = run("query", "derived-revenue-cagr", "-o", "cagr.json")
    assert result.stderr == "wrote cagr.json (json, 1 row)\n"
    assert json.loads((tmp_path / "cagr.json").read_text("utf-8"))["results"]["bindings"][0]["derived_cagr_pct"] == {
        "type": "literal", "value": "69.0", "datatype": "http://www.w3.org/2001/XMLSchema#decimal"}


def test_an_unknown_output_suffix_is_a_usage_error():
    result = run("query", "investors", "-o", "investors.docx")
    assert (result.exit_code, result.stderr) == (
        2, "Error: cannot tell the format of 'investors.docx' from its suffix; give --format (table, csv, tsv, json, md, xml, xlsx)\n")


def test_an_inline_query_with_the_graph_prefixes_and_the_lang_option():
    result = run("query", "SELECT ?name WHERE { kgr:hkex rdfs:label ?name FILTER(LANG(?name) = ?_lang) } ORDER BY ?name",
                 "--lang", "zh")
    assert (result.exit_code, out(result)) == (0, "name\r\n香港交易所\r\n")


def test_a_query_file(tmp_path):
    (tmp_path / "mine.rq").write_text("ASK { ?s a <https://w3id.org/gpu-kg/ontology#ChipDesigner> }\n", "utf-8")
    assert out(run("query", "mine.rq")) == "_askResult\r\ntrue\r\n"
    assert run("query", "mine.rq", "--format", "json").stdout == '{\n  "head": {},\n  "boolean": true\n}\n'


@pytest.mark.parametrize("args, message", [
    (["-p", "vnue=hkex"], "Error: unknown parameter 'vnue' for query 'listing-race' (did you mean 'venue'?); it takes venue\n"),
    (["-p", "venue"], "Error: --param expects KEY=VALUE (e.g. --param company=iluvatar), not 'venue'\n"),
    (["-p", "venue=hkex", "-p", "venue=sse"], "Error: parameter 'venue' is given twice\n"),
    (["-p", "venue=Nasdaq"], "Error: parameter 'venue': no organization is called 'Nasdaq'\n"),
    (["-p", "lang=fr"], "Error: parameter 'lang': 'fr' is not one of en, zh\n"),
    (["-p", "language=zh"], "Error: unknown parameter 'language' for query 'listing-race'; it takes venue\n"),
])
def test_parameter_mistakes_exit_2_naming_the_parameter(args, message):
    result = run("query", "listing-race", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)


def test_a_mistyped_number_exits_2():
    result = run("query", "loss-ranking", "-p", "top=first")
    assert (result.exit_code, result.stderr) == (2, "Error: parameter 'top': 'first' is not a whole number\n")


def test_a_missing_parameter_exits_2(tmp_path):
    (tmp_path / "needs.rq").write_text("SELECT ?f WHERE { ?f ?p ?_company_iri } ORDER BY ?f\n", "utf-8")
    result = run("query", "needs.rq")
    assert (result.exit_code, result.stderr) == (2, (
        "Error: missing parameter 'company' for query 'needs': give --param company=VALUE "
        "(a resource: an id, an English or Chinese name, or an IRI)\n"))


def test_an_unknown_query_name_exits_2():
    result = run("query", "listing-rac")
    assert (result.exit_code, result.stderr) == (
        2, "Error: no saved query called 'listing-rac'; did you mean 'listing-race'? `kg queries` lists them\n")


def test_a_syntax_error_names_file_line_and_column(tmp_path):
    (tmp_path / "broken.rq").write_text("SELECT ?x\nWHERE {\n  ?x ?p ?o\n", "utf-8")
    result = run("query", "broken.rq")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", (
        "broken.rq:4:1: SPARQL syntax error at the end of the text (Expected SelectQuery)\n"
        "1 problem; nothing was written.\n"))


def test_an_update_is_refused_unless_allowed(graph, monkeypatch):
    update = 'INSERT DATA { <https://w3id.org/gpu-kg/id/x> <http://www.w3.org/2000/01/rdf-schema#label> "x" }'
    result = run("query", update)
    assert (result.exit_code, result.stderr) == (2, (
        "Error: the query is a SPARQL UPDATE, which changes the graph; "
        "queries are read-only unless you pass --allow-update\n"))
    copy = Graph()
    for triple in graph:
        copy.add(triple)
    monkeypatch.setattr(kg.cli, "_store", lambda store_spec, facts_dir, as_of=None: MemoryStore(copy))
    result = run("query", update, "--allow-update")
    assert (result.exit_code, out(result), result.stderr) == (
        0, "added,removed\r\n1,0\r\n", "The update changed the graph in memory only; facts/ are unchanged.\n")
    assert len(copy) == len(graph) + 1


def test_service_is_refused_unless_allowed():
    result = run("query", "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } } LIMIT 1")
    assert (result.exit_code, result.stderr) == (2, (
        "Error: the query uses SERVICE, which fetches data over the network; pass --allow-service to allow it\n"))


def test_a_runaway_query_is_stopped():
    result = run("query", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }", "--timeout", "0.2")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", (
        "Error: the query was stopped after 0.2 seconds (--timeout); "
        "narrow it down, or give a longer --timeout (0 for none)\n"))


# --- kg queries -------------------------------------------------------------------------------


def test_queries_lists_name_title_and_parameters():
    result = run("queries")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert rows[0] == ["name", "title", "parameters"]
    assert len(rows) - 1 == len(list(CATALOG.glob("*.rq"))) >= 20
    assert ["company-profile", "Company profile - names, place, products, partners, investors, listing status, "
            "latest figures", "company=iluvatar, lang=en"] in rows


def test_queries_as_a_table():
    result = run("queries", "--format", "table")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "title", "parameters"]
    assert lines[-1] == f"({len(list(CATALOG.glob('*.rq')))} rows)"
    investors = next(line for line in lines if line.startswith("investors "))
    assert [cell for cell in investors.split("  ") if cell] == [
        "investors", "Investors and what they invested in", "[investor]"]


def test_queries_describes_one_query():
    result = run("queries", "investors")
    assert (result.exit_code, result.stdout) == (0, (
        "investors: Investors and what they invested in\n"
        f"  {CATALOG / 'investors.rq'}\n"
        "\n"
        "Every investor the sources name and how it invested: in a funding round (with the round\n"
        "and its date; funding-rounds has the round's valuation), as a cornerstone investor of an\n"
        "offering (with the offering's date), or as a holder of a stake (with the stake, as a\n"
        "percentage). The sources name investors \"among others\" (等), so this is who is named, not\n"
        "everyone who invested.\n"
        "\n"
        "Parameters:\n"
        "  investor (an organization: an id, an English or Chinese name, or an IRI; optional)\n"
        "      Only this investor (id, English or Chinese name, or IRI); every named investor\n"
        "      when not given.\n"
        "\n"
        "Run: kg query investors\n"
    ))


def small_catalog(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    folder.mkdir()
    for name in ("investors", "derived-revenue-multiple"):
        shutil.copy(CATALOG / f"{name}.rq", folder / f"{name}.rq")
    return folder


def test_run_all_writes_csv_and_json_for_every_saved_query(tmp_path):
    result = run("queries", "--run-all", "--out", "out/queries", "--catalog", str(small_catalog(tmp_path)))
    assert (result.exit_code, result.stdout) == (0, "2 queries; wrote 4 files to out/queries\n")
    out = tmp_path / "out" / "queries"
    assert sorted(p.name for p in out.iterdir()) == [
        "derived-revenue-multiple.csv", "derived-revenue-multiple.json", "investors.csv", "investors.json"]
    assert (out / "investors.csv").read_bytes().decode("utf-8") == INVESTORS_CSV
    multiple = json.loads((out / "derived-revenue-multiple.json").read_text("utf-8"))
    binding = multiple["results"]["bindings"][0]
    assert (binding["derived_ratio"]["value"], binding["stated_qualifier_label"]["value"]) == ("675.4", "at least")
    assert binding["stated_qualifier"] == {"type": "uri", "value": "https://w3id.org/gpu-kg/ontology#AtLeast"}
    rows = list(csv.DictReader(io.StringIO((out / "derived-revenue-multiple.csv").read_text("utf-8"), newline="")))
    assert rows[0]["consistent_as_ratio"] == "true" and rows[0]["consistent_as_increase"] == "false"


def test_run_all_needs_an_output_folder():
    result = run("queries", "--run-all")
    assert (result.exit_code, result.stderr) == (2, "Error: --run-all needs --out DIR (e.g. --out out/queries)\n")


def test_a_broken_saved_query_stops_run_all_before_anything_is_written(tmp_path):
    folder = small_catalog(tmp_path)
    (folder / "broken.rq").write_text("#+ summary: Broken\n#+ description: Broken.\nSELECT ?x WHERE {\n", "utf-8")
    result = run("queries", "--run-all", "--out", "out", "--catalog", str(folder))
    assert result.exit_code == 1
    assert result.stderr == ("catalog/broken.rq:4:1: SPARQL syntax error at the end of the text "
                             "(Expected SelectQuery)\n1 problem; nothing was written.\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["queries", "query"])
def test_help_shows_examples(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Example" in result.stdout and f"kg {command}" in result.stdout


def test_usage_errors_come_before_the_graph_is_built(monkeypatch):
    monkeypatch.setattr(kg.cli, "_store", lambda store_spec, facts_dir, as_of=None: pytest.fail("the graph was built"))
    assert run("query", "loss-ranking", "-p", "top=first").exit_code == 2
    assert run("query", "listing-race", "-p", "vnue=hkex").exit_code == 2
    assert run("query", "INSERT DATA { <a:b> <a:c> <a:d> }").exit_code == 2


def test_lang_as_a_parameter_is_the_labels_language_where_the_query_has_none():
    as_option = run("query", "listing-race", "--lang", "zh", "--format", "csv")
    as_parameter = run("query", "listing-race", "-p", "lang=zh", "--format", "csv")
    assert as_parameter.exit_code == 0 and as_parameter.stdout == as_option.stdout
    assert "燧原科技" in as_parameter.stdout
    refused = run("query", "listing-race", "-p", "lang=fr")
    assert refused.exit_code == 2 and "'fr' is not one of en, zh" in refused.stderr
    both = run("query", "listing-race", "-p", "lang=zh", "--lang", "en")
    assert both.exit_code == 2 and "ask for two languages" in both.stderr


# --- choosing columns ------------------------------------------------------------------------------


def test_columns_chooses_and_orders_the_columns_of_every_format():
    result = run("query", "investors", "--columns", "company,investor", "--format", "csv")
    assert out(result).splitlines()[0] == "company,company_label,investor,investor_label", \
        "each entity keeps its label beside it"
    table = run("query", "investors", "--columns", "company,investor", "--format", "table")
    assert out(table).splitlines()[0].split() == ["company", "investor"]
    as_json = json.loads(out(run("query", "investors", "--columns", "date", "--format", "json")))
    assert as_json["head"]["vars"] == ["date"] and len(as_json["results"]["bindings"]) == 2


def test_columns_with_a_minus_leaves_those_out():
    result = run("query", "investors", "--columns", "-fact,-round", "--format", "table")
    assert out(result).splitlines()[0].split() == ["investor", "company", "role", "date", "stake_pct"]


def test_columns_by_their_headings_in_chinese():
    result = run("query", "investors", "--lang", "zh", "--columns", "投资方,日期", "--format", "md")
    assert out(result).splitlines()[:3] == ["| 投资方 | 日期 |", "| --- | --- |", "| 衢州智造 | 2025 |"]


@pytest.mark.parametrize("columns, message", [
    ("compnay", "Error: --columns: no column 'compnay' (did you mean 'company'?); "
                "the columns are investor, company, role, round, date, stake_pct, fact\n"),
    ("company_label", "Error: --columns: no column 'company_label'; company_label is written beside company: "
                      "pick that; the columns are investor, company, role, round, date, stake_pct, fact\n"),
    ("company,-fact", "Error: --columns names the columns to show, or (each with a leading -) the ones to leave "
                      "out; not both\n"),
    ("company,,fact", "Error: --columns expects column names separated by commas (e.g. company,period,value), "
                      "not 'company,,fact'\n"),
])
def test_a_wrong_column_is_a_usage_error_naming_the_columns(columns, message):
    result = run("query", "investors", "--columns", columns, "--format", "csv")
    assert (result.exit_code, out(result), result.stderr) == (2, "", message)
