"""Running queries: what a command loads, the one guarded way every query runs, labels, pages, the query cache."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from rdflib import RDFS, Graph, Literal, URIRef

import kg.query.catalog as queries
from kg.cli import main
from kg.base.ontology import KGR
from kg.query.results import Result, render
from kg.store.remote import RemoteSettings, RemoteStore
from kg.store.oxigraph import MemoryStore

from conftest import ROOT, SEED
from servers import silent_server  # noqa: F401 - a fixture

HEAVY = ("pyvis", "networkx", "pyshacl", "kg.show.views", "IPython")


# --- start-up: a command imports what it uses ------------------------------------------------------


def modules_loaded_by(*args: str, cache: str) -> set[str]:
    """The modules a `kg` command leaves in sys.modules, run in a fresh interpreter."""
    script = (
        "import sys, json, atexit\n"
        "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
        f"sys.argv = ['kg', *{list(args)!r}]\n"
        "from kg.cli import main\n"
        "main()\n"
    )
    env = {**os.environ, "KG_CACHE_DIR": cache}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [
    ("--help",),
    ("queries",),
    ("query", "supply-chain", "--facts", str(SEED)),
    ("query", "company-profile", "-p", "company=天数智芯", "--facts", str(SEED), "--format", "table"),
])
def test_a_command_loads_only_what_it_uses(args, tmp_path):
    loaded = modules_loaded_by(*args, cache=str(tmp_path / "cache"))
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY)
    assert heavy == []
    if args == ("--help",):
        assert not any(m == "rdflib" or m.startswith("rdflib.") for m in loaded)


def test_a_query_on_unchanged_facts_reads_neither_yaml_nor_sparql_text_again(tmp_path):
    """The second run finds its graph and the query's reading by content: no reader, checks, build or parser."""
    args = ("query", "supply-chain", "--facts", str(SEED), "-o", str(tmp_path / "out.csv"))
    modules_loaded_by(*args, cache=str(tmp_path / "cache"))
    again = modules_loaded_by(*args, cache=str(tmp_path / "cache"))
    unused = ("yaml", "kg.facts.read", "kg.build.graph", "kg.build.cache", "kg.build.shacl", "kg.build.validate", "kg.facts.reconcile", "kg.build.export",
              "kg.store.remote", "rdflib.plugins.sparql")
    assert sorted(m for m in again if m.startswith(unused)) == []


def test_an_unchanged_saved_query_is_read_once(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    first = queries.find_query("supply-chain")
    monkeypatch.setattr(queries, "_parse_sparql", lambda *a: pytest.fail("parsed again"))
    again = queries.find_query("supply-chain")
    assert (again.form, again.columns, again.params, again.reaches_out) == (
        first.form, first.columns, first.params, first.reaches_out)
    changed = queries.catalog_dir() / "supply-chain.rq"
    with pytest.raises(pytest.fail.Exception, match="parsed again"):  # other text, read again
        queries.parse_query(changed.read_text("utf-8") + "\n# changed\n", name="x")


def test_a_query_that_does_not_parse_is_reported_every_time(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    for _ in range(2):
        with pytest.raises(queries.InputError, match="SPARQL syntax error"):
            queries.parse_query("SELEC ?x WHERE { ?x ?y ?z }")


# --- one guarded way to run SPARQL ---------------------------------------------------------------


def test_the_library_runs_on_oxigraph_and_keeps_rdflib_graphs(graph):
    """A notebook gives an rdflib Graph; the query runs on Oxigraph in memory; an allowed update reaches the Graph."""
    copy = Graph()
    for triple in graph:
        copy.add(triple)
    update = queries.parse_query('INSERT DATA { <https://w3id.org/gpu-kg/id/x> <http://www.w3.org/2000/01/rdf-schema#label> "x" }')
    assert queries.run(copy, update, allow_update=True).records() == [{"added": Literal(1), "removed": Literal(0)}]
    assert (URIRef(KGR + "x"), RDFS.label, Literal("x")) in copy


def test_the_time_limit_covers_finding_a_parameter_on_a_remote_store(silent_server):
    """Finding what 'iluvatar' names asks the server first; --timeout holds for that request too."""
    store = RemoteStore(RemoteSettings(query=silent_server + "/sparql", timeout=60, retries=0, label="silent"))
    profile = queries.find_query("company-profile")
    started = time.monotonic()
    with pytest.raises(queries.QueryTimeout, match="stopped after 0.3 seconds"):
        queries.run(store, profile, {"company": "iluvatar"}, timeout=0.3)
    assert time.monotonic() - started < 5


def test_service_is_refused_in_a_view_query_given_to_the_library(graph):
    from kg.show import views

    with pytest.raises(queries.UsageError, match="uses SERVICE"):
        views.query_view(graph, "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/s> { ?s ?p ?o } }")


# --- labels outside the queries -------------------------------------------------------------------


def test_entities_are_labelled_one_lookup_per_distinct_iri(graph, monkeypatch):
    store = MemoryStore(graph)
    asked = []
    original = MemoryStore.labels

    def spy(self, iris):
        asked.extend(iris)
        return original(self, iris)

    monkeypatch.setattr(MemoryStore, "labels", spy)
    monkeypatch.setattr(queries, "CHUNK_ROWS", 3)  # the same company in several chunks is looked up once
    result = queries.run(store, queries.find_query("supply-chain"), lang="zh", timeout=0, memory_mb=None)
    assert len(asked) == len(set(asked)) and str(KGR + "iluvatar") in asked
    assert result.labels[URIRef(KGR + "smic")] == Literal("中芯国际", lang="zh")
    assert URIRef(KGR + "supply/iluvatar/smic/manufacturing") not in result.labels  # a fact's id: never labelled
    assert str(KGR + "supply/iluvatar/smic/manufacturing") not in asked
    table = render(result, "table", prefixes={"kgr": str(KGR)})
    assert "中芯国际" in table and "kgr:supply/iluvatar/smic/manufacturing" in table  # a fact column is its id
    assert queries.run(store, queries.find_query("supply-chain"), lang="zh").labels == result.labels  # in a worker


def test_a_missing_label_falls_back_to_the_other_language(graph):
    only_zh = Graph()
    for triple in graph:
        if not (triple[0] == URIRef(KGR + "smic") and triple[1] == RDFS.label and triple[2].language == "en"):
            only_zh.add(triple)
    rows = queries.run(only_zh, queries.find_query("supply-chain"), lang="en").labelled_records()
    assert {str(r["supplier"]) for r in rows} == {"中芯国际", "Hua Hong Semiconductor", "JCET", "TSMC"}


def test_w3c_formats_keep_iris_and_add_label_columns():
    iluvatar = URIRef(KGR + "iluvatar")
    result = Result(("company", "fact"), ((iluvatar, URIRef(KGR + "f")),),
                    labels={iluvatar: Literal("天数智芯", lang="zh"), URIRef(KGR + "f"): Literal("a fact", lang="zh")})
    assert render(result, "csv") == ("company,company_label,fact\r\n"
                                     "https://w3id.org/gpu-kg/id/iluvatar,天数智芯,https://w3id.org/gpu-kg/id/f\r\n")
    assert render(result, "table", prefixes={"kgr": str(KGR)}) == (
        "company   fact\n--------  -----\n天数智芯  kgr:f\n(1 row)\n")


def test_a_query_written_with_its_own_labels_is_shown_as_before(graph):
    """A query that joins labels itself gives literals: nothing is added."""
    query = queries.parse_query('SELECT ?company ?founded WHERE { ?c a gpu:ChipDesigner ; rdfs:label ?company ; '
                                'gpu:foundedIn ?founded FILTER(LANG(?company) = "en") } ORDER BY ?company')
    result = queries.run(graph, query)
    assert result.rows and "company_label" not in result.with_label_columns().variables
    assert render(result, "csv").splitlines()[0] == "company,founded"


# --- pages ----------------------------------------------------------------------------------------


def test_limit_and_offset_take_a_page(graph):
    query = queries.find_query("find-entity")
    everything = queries.run(graph, query).rows
    assert queries.run(graph, query, limit=3, offset=2).rows == everything[2:5]
    assert queries.run(graph, query, limit=0).rows == ()


def test_kg_query_pages(graph, monkeypatch, tmp_path):
    import kg.cli

    monkeypatch.setattr(kg.cli, "_store", lambda store_spec, facts_dir, as_of=None: MemoryStore(graph))
    monkeypatch.chdir(tmp_path)
    full = CliRunner().invoke(main, ["query", "find-entity", "--format", "csv"]).stdout.splitlines()
    page = CliRunner().invoke(main, ["query", "find-entity", "--format", "csv", "--limit", "2", "--offset", "3"])
    assert page.exit_code == 0 and page.stdout.splitlines() == [full[0], *full[4:6]]


def test_a_long_table_is_sized_on_its_first_rows(monkeypatch):
    import kg.query.results
    import kg.store.result

    monkeypatch.setattr(kg.store.result, "SAMPLE_ROWS", 2)
    rows = ((Literal("x"), Literal(1)), (Literal("yy"), Literal(22)), (Literal("a much longer cell"), Literal(3)))
    assert render(Result(("a", "b"), rows), "table") == (
        "a    b\n--  --\nx    1\nyy  22\na much longer cell   3\n(3 rows)\n")


# --- rows as they come ----------------------------------------------------------------------------


FORMATS = ("csv", "tsv", "json", "xml", "md", "table")


def test_an_answer_in_chunks_is_written_as_the_same_answer_whole(graph, monkeypatch):
    import kg.query.results
    import kg.store.result

    monkeypatch.setattr(kg.store.result, "SAMPLE_ROWS", 7)
    monkeypatch.setattr(queries, "CHUNK_ROWS", 7)
    chunks = list(queries.stream(graph, queries.find_query("figures")))
    assert len(chunks) > 3 and all(len(c.rows) == 7 for c in chunks[:-1])
    whole = queries.run(graph, queries.find_query("figures"))
    assert whole.rows == tuple(row for chunk in chunks for row in chunk.rows)
    for fmt in FORMATS:
        assert "".join(kg.query.results.pieces(chunks, fmt)) == render(whole, fmt), fmt
    document = json.loads(render(whole, "json"))  # written piece by piece, as json.dumps writes it whole
    assert render(whole, "json") == json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    assert len(document["results"]["bindings"]) == len(whole.rows)


def test_an_empty_answer_in_every_format():
    empty = Result(("a", "b"), ())
    assert json.loads(render(empty, "json")) == {"head": {"vars": ["a", "b"]}, "results": {"bindings": []}}
    assert render(empty, "csv") == "a,b\r\n"
    assert render(empty, "table").endswith("(0 rows)\n")


def slow_after_first_chunk(graph, monkeypatch):
    """A store whose labels for the second chunk of rows take longer than any time limit here."""
    monkeypatch.setattr(queries, "CHUNK_ROWS", 5)
    original = queries._labels_of
    calls = []

    def labels(store, iris, lang, known):
        calls.append(len(iris))
        if len(calls) > 1:
            time.sleep(2)
        return original(store, iris, lang, known)

    monkeypatch.setattr(queries, "_labels_of", labels)
    import kg.cli

    monkeypatch.setattr(kg.cli, "_store", lambda store_spec, facts_dir, as_of=None: MemoryStore(graph))


def test_kg_query_writes_the_first_rows_before_the_answer_is_complete(graph, monkeypatch):
    slow_after_first_chunk(graph, monkeypatch)
    result = CliRunner().invoke(main, ["query", "find-entity", "--format", "csv", "--timeout", "0.5"])
    assert result.exit_code != 0
    assert "was stopped after 0.5 seconds" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("id,") and len(lines) == 1 + 5  # the header and the first chunk


def test_a_stopped_answer_leaves_no_file(graph, monkeypatch, tmp_path):
    slow_after_first_chunk(graph, monkeypatch)
    target = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["query", "find-entity", "-o", str(target), "--timeout", "0.5"])
    assert result.exit_code != 0 and "was stopped after 0.5 seconds" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_writing_time_does_not_count_against_the_time_limit(graph, monkeypatch):
    """A reader that takes its time over each chunk (a pager) is not stopped by --timeout."""
    monkeypatch.setattr(queries, "CHUNK_ROWS", 5)
    read = []
    for chunk in queries.stream(graph, queries.find_query("find-entity"), timeout=0.3):
        read.extend(chunk.rows)
        time.sleep(0.1)
    assert len(read) == len(queries.run(graph, queries.find_query("find-entity")).rows) > 15


def test_a_closed_pipe_ends_kg_query_quietly(tmp_path):
    shell = f"{sys.executable} -m kg query figures --facts {SEED} --format json | head -c 10 > /dev/null"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "KG_CACHE_DIR": str(tmp_path)}, timeout=120)
    assert done.stderr == ""


def test_unchanged_facts_are_not_built_again(tmp_path, monkeypatch):
    """`kg query` on unchanged facts reads the last checked build from the cache, even one that keeps no units."""
    from kg.build import cache, pipeline
    from kg.store.open import built_document

    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    first = built_document(SEED)
    monkeypatch.setattr(pipeline, "from_scratch", lambda *a, **k: pytest.fail("built again"))
    monkeypatch.setattr(cache, "quick", lambda *a, **k: pytest.fail("built again"))
    assert built_document(SEED) == first


# --- column headings in the reader's language ----------------------------------------------------


def test_every_column_of_every_saved_query_has_a_chinese_heading():
    missing = {name: [v for v in queries.parsed(query).projected if v not in queries.headings("zh")]
               for name, query in queries.load_catalog().items()}
    assert {name: columns for name, columns in missing.items() if columns} == {}


def test_tables_for_people_have_headings_in_their_language_and_w3c_formats_keep_variables(graph, monkeypatch):
    import kg.cli

    monkeypatch.setattr(kg.cli, "_store", lambda store_spec, facts_dir, as_of=None: MemoryStore(graph))
    table = CliRunner().invoke(main, ["query", "supply-chain", "--lang", "zh", "--format", "table"]).stdout
    assert table.splitlines()[0].split() == ["层级", "客户", "供应商", "供应商类型", "角色", "事实"]
    assert "天数智芯" in table
    csv_header = CliRunner().invoke(main, ["query", "supply-chain", "--lang", "zh", "--format", "csv"]).stdout.splitlines()[0]
    assert csv_header.startswith("level,client,client_label,supplier,")
    english = CliRunner().invoke(main, ["query", "supply-chain", "--format", "md"]).stdout
    assert english.startswith("| level | client | supplier |")


def test_excel_names_iri_columns_after_their_column(graph):
    import io

    import openpyxl

    from kg.query.results import encode

    result = queries.run(graph, queries.find_query("supply-chain"), lang="zh")
    book = openpyxl.load_workbook(io.BytesIO(encode(result, "xlsx", headings=queries.headings("zh"))))
    header = [cell.value for cell in next(book.active.iter_rows(max_row=1))]
    assert header[:3] == ["层级", "客户", "供应商"], "each entity by its label, under its column's heading"
    assert "客户（IRI）" in header and header.index("客户（IRI）") > header.index("供应商"), "its IRI after"


def test_a_wrong_headings_file_is_named_with_its_line(tmp_path):
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "one.rq").write_text("#+ summary: One\n#+ description: One column.\n"
                                    "SELECT ?company WHERE { ?company a <urn:x> }\n", encoding="utf-8")
    (catalog / "headings.yaml").write_text("zh:\n  company: 公司\n  level: [企业, 集团]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["query", "--catalog", str(catalog), "one", "--lang", "zh",
                                       "--facts", str(SEED), "--format", "table"])
    assert result.exit_code == 1
    assert f"{catalog / 'headings.yaml'}:3:10: zh.level: a heading is one line of text" in result.stderr


# --- names found once per graph -------------------------------------------------------------------


def test_a_store_indexes_its_names_once_and_again_when_they_change(graph, monkeypatch):
    import kg.query.resolve

    built = []
    original = kg.query.resolve.Resolver.__init__

    def counting(self, naming):
        built.append(len(naming))
        original(self, naming)

    monkeypatch.setattr(kg.query.resolve.Resolver, "__init__", counting)
    copy = Graph()
    for triple in graph:
        copy.add(triple)
    store = MemoryStore(copy)
    profile = queries.find_query("company-profile")
    here = {"timeout": 0, "memory_mb": None}  # in this process, where the count is kept (a worker keeps its own)
    for company in ("iluvatar", "壁仞科技", "moore-threads"):
        assert queries.run(store, profile, {"company": company}, **here).rows
    assert len(built) == 1
    copy.add((URIRef(KGR + "newco"), RDFS.label, Literal("Newco")))
    copy.add((URIRef(KGR + "newco"), URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
              URIRef("https://w3id.org/gpu-kg/ontology#ChipDesigner")))
    assert queries.run(MemoryStore(copy), profile, {"company": "Newco"}, **here).boolean is None  # found, not refused
    assert len(built) == 2


def test_the_index_of_names_is_kept_with_the_build_for_the_next_command(tmp_path, monkeypatch):
    import kg.store.oxigraph
    from kg.store.open import built_document

    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    profile = queries.find_query("company-profile")
    first = queries.run(MemoryStore(load=lambda: built_document(SEED)), profile, {"company": "天数"})
    monkeypatch.setattr(kg.store.oxigraph, "_name_index", lambda *a: pytest.fail("indexed again"))
    again = queries.run(MemoryStore(load=lambda: built_document(SEED)), profile, {"company": "天数"})
    assert again.rows == first.rows and first.rows
