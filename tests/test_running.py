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

import kg.queries as queries
from kg.cli import main
from kg.ontology import KGR
from kg.results import Result, render
from kg.stores import MemoryStore, RemoteSettings, RemoteStore

from conftest import ROOT, SEED
from servers import silent_server  # noqa: F401 - a fixture

HEAVY = ("pyvis", "networkx", "pyshacl", "kg.views", "IPython")


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
    from kg import views

    with pytest.raises(queries.UsageError, match="uses SERVICE"):
        views.query_view(graph, "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/s> { ?s ?p ?o } }")


# --- labels outside the queries -------------------------------------------------------------------


def test_entities_are_labelled_from_one_lookup(graph, monkeypatch):
    store = MemoryStore(graph)
    asked = []
    original = MemoryStore.select

    def spy(self, query, bindings=None):
        asked.append(getattr(query, "text", query))
        return original(self, query, bindings)

    monkeypatch.setattr(MemoryStore, "select", spy)
    result = queries.run(store, queries.find_query("supply-chain"), lang="zh")
    assert len([text for text in asked if "rdfs-syntax-ns" not in text and "VALUES ?s" in text]) == 1
    assert result.labels[URIRef(KGR + "smic")] == Literal("中芯国际", lang="zh")
    assert URIRef(KGR + "supply/iluvatar/smic/manufacturing") in result.labels  # looked up, but never shown:
    table = render(result, "table", prefixes={"kgr": str(KGR)})
    assert "中芯国际" in table and "kgr:supply/iluvatar/smic/manufacturing" in table  # a fact column is its id


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

    monkeypatch.setattr(kg.cli, "_store", lambda store_spec, facts_dir: MemoryStore(graph))
    monkeypatch.chdir(tmp_path)
    full = CliRunner().invoke(main, ["query", "find-entity", "--format", "csv"]).stdout.splitlines()
    page = CliRunner().invoke(main, ["query", "find-entity", "--format", "csv", "--limit", "2", "--offset", "3"])
    assert page.exit_code == 0 and page.stdout.splitlines() == [full[0], *full[4:6]]


def test_a_long_table_is_sized_on_its_first_rows(monkeypatch):
    import kg.results

    monkeypatch.setattr(kg.results, "TABLE_SAMPLE", 2)
    rows = ((Literal("x"), Literal(1)), (Literal("yy"), Literal(22)), (Literal("a much longer cell"), Literal(3)))
    assert render(Result(("a", "b"), rows), "table") == (
        "a    b\n--  --\nx    1\nyy  22\na much longer cell   3\n(3 rows)\n")


def test_unchanged_facts_are_not_built_again(tmp_path, monkeypatch):
    """`kg query` on unchanged facts reads the last checked build from the cache, even one that keeps no units."""
    from kg import cache
    from kg.stores import built_document

    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    first = built_document(SEED)
    monkeypatch.setattr(cache, "_from_scratch", lambda *a, **k: pytest.fail("built again"))
    monkeypatch.setattr(cache, "_quick", lambda *a, **k: pytest.fail("built again"))
    assert built_document(SEED) == first
