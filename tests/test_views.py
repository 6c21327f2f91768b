"""Network views: the projection, the named, ego and query views, and pages that are safe and stable."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import Graph

import kg
from kg.show import views
from kg.cli import main
from kg.base.errors import UsageError

from conftest import SEED

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).parent / "fixtures" / "views" / "hostile.ttl"
PAYLOAD = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def network(graph) -> nx.MultiDiGraph:
    return views.project(graph)


@pytest.fixture(scope="module")
def hostile() -> Graph:
    graph = Graph()
    graph.parse(HOSTILE)
    return graph


def classes(network) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for node, cls in network.nodes(data="cls"):
        found.setdefault(cls, set()).add(node)
    return found


def json_block(html: bytes, block_id: str):
    text = html.decode("utf-8")
    found = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', text, re.DOTALL)
    return json.loads(found[1])


# --- the projection --------------------------------------------------------------------


def test_nodes_are_entities_and_facts_typed_by_class(network):
    by_class = classes(network)
    assert "kgr:iluvatar" in by_class["ChipDesigner"]
    assert {"kgr:smic", "kgr:tsmc", "kgr:hua-hong"} <= by_class["Foundry"]
    assert by_class["CompanyGroup"] == {"kgr:domestic-gpu-companies"}
    assert "kgr:iluvatar-series-d-plus" in by_class["FundingRound"]
    assert "kgr:iluvatar-hkex-hearing" in by_class["ListingEvent"]
    assert "kgr:milestone/tiangai-gen1/launched/2021" in by_class["Milestone"]
    # Figures, sources and periods are tooltip material, not nodes.
    assert not {"Figure", "Source", "Period", "Concept", "SupplyRelation"} & set(by_class)


def test_a_node_carries_both_names_its_key_facts_and_its_source_sentence(network):
    iluvatar = network.nodes["kgr:iluvatar"]
    assert (iluvatar["name_en"], iluvatar["name_zh"]) == ("Iluvatar CoreX", "天数智芯")
    assert "revenue FY2024: CNY 540,000,000" in iluvatar["facts_en"].split("\n")
    assert "2024年营业收入:5.40亿元" in iluvatar["facts_zh"].split("\n")
    assert "扎根上海张江的地域优势,也让天数智芯形成了独特的产业协同能力。" in iluvatar["quotes"].split("\n")
    assert iluvatar["source_en"].startswith("Report on Iluvatar CoreX")
    assert network.nodes["kgr:metax"]["aliases"] == "沐曦"


def test_edges_are_labelled_by_relation(network):
    edge = network.edges["kgr:tiangai-gen2", "kgr:tiangai", "gpu:productLine"]
    assert (edge["relation"], edge["label_en"], edge["label_zh"]) == ("gpu:productLine", "product line", "所属产品系列")
    assert network.has_edge("kgr:iluvatar-series-d-plus", "kgr:xingnahe-capital", "gpu:investor")


def test_group_level_dependence_on_tsmc_and_smic_is_drawn_apart_from_company_facts(network):
    supply = {(u, v): data for u, v, data in network.edges(data=True) if data["relation"] == views.SUPPLY}
    assert {pair: data["level"] for pair, data in supply.items()} == {
        ("kgr:tsmc", "kgr:domestic-gpu-companies"): "group",
        ("kgr:smic", "kgr:domestic-gpu-companies"): "group",
        ("kgr:smic", "kgr:iluvatar"): "company",
        ("kgr:hua-hong", "kgr:iluvatar"): "company",
        ("kgr:jcet", "kgr:iluvatar"): "company",
    }
    assert supply["kgr:jcet", "kgr:iluvatar"]["label_en"] == "packaging and test"
    assert supply["kgr:tsmc", "kgr:domestic-gpu-companies"]["quotes"] == "采用7nm先进工艺,依赖台积电/中芯国际代工"
    # TSMC supplies the group, never a company.
    assert not network.has_edge("kgr:tsmc", "kgr:iluvatar")

    page = views.render(views.named_view(network, "supply-chain"))
    edges = {(e["from"], e["to"]): e for e in json_block(page, "kg-edges")}
    assert edges["kgr:tsmc", "kgr:domestic-gpu-companies"]["dashes"]
    assert edges["kgr:smic", "kgr:iluvatar"]["dashes"] is False
    legend = {r["key"]: r for r in json_block(page, "kg-page")["relations"]}
    assert legend[views.SUPPLY + "|group"]["dashed"] and not legend[views.SUPPLY]["dashed"]


def test_the_projection_is_the_same_whatever_the_triple_order(graph, network):
    shuffled = Graph()
    for triple in sorted(graph, key=lambda t: hashlib.sha256(repr(t).encode()).hexdigest()):
        shuffled.add(triple)
    again = views.project(shuffled)
    assert list(again.nodes(data=True)) == list(network.nodes(data=True))
    assert list(again.edges(keys=True, data=True)) == list(network.edges(keys=True, data=True))
    assert list(network) == sorted(network)


# --- named views -----------------------------------------------------------------------


def test_supply_chain_has_designers_products_and_suppliers(network):
    view = views.named_view(network, "supply-chain").network
    assert set(classes(view)) == {"CompanyGroup", "ChipDesigner", "Foundry", "PackagingTestHouse", "ProductLine",
                                  "ProductGeneration", "Product"}
    assert {"kgr:iluvatar", "kgr:tiangai", "kgr:smic", "kgr:tsmc", "kgr:jcet"} <= set(view)
    assert "kgr:amd" not in view, "a designer with nothing to show in this view is left out"


def test_capital_shows_valuations_listings_and_first_day_figures(network):
    view = views.named_view(network, "capital").network
    assert set(classes(view)) == {"ChipDesigner", "InvestmentFirm", "FundingRound", "ListingEvent", "StockExchange",
                                  "ListingBoard"}
    assert view.nodes["kgr:iluvatar-series-d-plus"]["label_en"] == "D+ round\n2025\npre-money CNY 12bn"
    assert view.nodes["kgr:biren-pre-ipo-round"]["label_zh"] == "融资\n2025-08\n投后估值209.15亿元"
    assert view.nodes["kgr:moore-threads-star-listing"]["label_en"] == "listed\n2025-12-05\nday one +468.8%", \
        "three lines at most: the other figures are in the tooltip"
    assert "first-day market capitalisation 2025-12-05 (basis not stated): CNY 305,500,000,000" in \
        view.nodes["kgr:moore-threads-star-listing"]["facts_en"]
    assert view.nodes["kgr:metax-star-listing"]["label_zh"] == "挂牌上市\n2025-12-17\n首日涨幅+692.95%"
    assert view.has_edge("kgr:metax-star-listing", "kgr:star-market", "gpu:venue")


def test_products_shows_lines_generations_and_milestones(network):
    view = views.named_view(network, "products").network
    assert set(classes(view)) == {"ChipDesigner", "ProductLine", "ProductGeneration", "Product", "Milestone"}
    assert view.nodes["kgr:milestone/tiangai-gen3/planned-mass-production/2026Q1"]["label_en"] == (
        "planned mass production\nQ1 2026")


def test_all_is_the_whole_projection(network):
    view = views.named_view(network, "all").network
    assert list(view.nodes(data=True)) == list(network.nodes(data=True))
    assert view.number_of_edges() == network.number_of_edges()


def test_the_page_of_all_leaves_out_what_has_no_edge_and_the_words_of_statements(network):
    view = views.named_view(network, "all")
    alone = sorted(n for n in network if network.degree(n) == 0)
    assert alone == ["kgr:frost-sullivan", "kgr:wind"], "publishers: tooltip material, never linked"
    assert sorted(views.drawable(view)) == sorted(n for n in network if n not in alone)
    assert views.counts(view) == f"{network.number_of_nodes() - 2} nodes, {network.number_of_edges()} edges"
    assert views.counts(view, "graphml") == f"{network.number_of_nodes()} nodes, {network.number_of_edges()} edges", \
        "the exports for Gephi keep every node"
    page = views.render(view)
    drawn = {node["id"]: node for node in json_block(page, "kg-nodes")}
    assert set(drawn) == set(views.drawable(view))
    statement = next(n for n, d in view.network.nodes(data=True) if d["cls"] == "Statement")
    assert drawn[statement]["label"] == "" and drawn[statement]["kg"]["name_en"], "the tooltip still has them"


def test_an_unknown_view_name_suggests_the_right_one(network):
    with pytest.raises(UsageError, match="did you mean 'capital'"):
        views.named_view(network, "capitol")


# --- ego and query views -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["iluvatar", "kgr:iluvatar", "https://w3id.org/gpu-kg/id/iluvatar",
                                  "Iluvatar CoreX", "iluvatar corex", "天数智芯"])
def test_the_focus_entity_is_found_by_id_or_either_name(network, name):
    assert views.find_node(network, name) == "kgr:iluvatar"


def test_the_focus_entity_is_found_by_an_alias(network):
    assert views.find_node(network, "沐曦") == "kgr:metax"
    assert views.find_node(network, "Hua Hong") == "kgr:hua-hong"


def test_an_unknown_focus_entity_suggests_names(network):
    with pytest.raises(UsageError, match=r"no entity named 'iluvatr' \(did you mean 'iluvatar'"):
        views.find_node(network, "iluvatr")


def test_the_focus_is_found_as_the_command_line_finds_names():
    from conftest import LIVE_FACTS

    graph = kg.load_graph(LIVE_FACTS)
    assert views.select_view(graph, focus="摩尔").name == "focus-moore-threads"
    assert views.select_view(graph, focus="中芯").name == "focus-smic"
    assert views.select_view(graph, focus="688795.SH").name == "focus-moore-threads", "a ticker names its company"
    with pytest.raises(UsageError, match=r"'首日市值' is gpu:FirstDayMarketCap .*\(metric\), which the network views "
                                         r"do not draw"):
        views.select_view(graph, focus="首日市值")


def test_ego_view_takes_everything_within_depth(network):
    view = views.ego_view(network, "台积电", depth=1)
    assert set(view.network) == {"kgr:tsmc", "kgr:domestic-gpu-companies"}
    assert view.name == "focus-tsmc"
    wider = views.ego_view(network, "tsmc", depth=2).network
    assert {"kgr:smic", "kgr:iluvatar", "kgr:moore-threads"} <= set(wider)
    assert set(views.ego_view(network, "tsmc", depth=0).network) == {"kgr:tsmc"}


def test_a_construct_query_is_a_view(graph):
    view = views.query_view(graph, """
        PREFIX gpu: <https://w3id.org/gpu-kg/ontology#>
        CONSTRUCT { ?round gpu:investor ?investor ; gpu:fundedCompany ?company }
        WHERE { ?round gpu:investor ?investor ; gpu:fundedCompany ?company }""")
    assert set(view.network) == {"kgr:iluvatar-series-d-plus", "kgr:xingnahe-capital", "kgr:quzhou-zhizao",
                                 "kgr:iluvatar"}
    assert view.network.nodes["kgr:iluvatar"]["name_zh"] == "天数智芯", "nodes are described from the graph"
    assert view.network.number_of_edges() == 3


def test_a_select_of_subject_predicate_object_is_a_view(graph):
    view = views.query_view(graph, """
        PREFIX gpu: <https://w3id.org/gpu-kg/ontology#>
        SELECT ?s ?p ?o WHERE { ?s gpu:member ?o BIND(gpu:member AS ?p) } ORDER BY ?o""")
    assert view.network.number_of_nodes() == 6
    assert {d["label_en"] for _, _, d in view.network.edges(data=True)} == {"member"}


@pytest.mark.parametrize(("query", "message"), [
    ("SELECT ?x WHERE { ?x ?y ?z }", r"needs the variables \?s \?p \?o"),
    ("ASK { ?s ?p ?o }", "CONSTRUCT or a SELECT"),
])
def test_a_query_that_cannot_be_a_view_is_a_usage_error(graph, query, message):
    with pytest.raises(UsageError, match=message):
        views.query_view(graph, query)


def test_a_view_query_that_does_not_parse_says_where(graph):
    with pytest.raises(kg.InputError) as err:
        views.query_view(graph, "SELEC ?s")
    assert "SPARQL syntax error near 'SELEC'" in str(err.value.problems[0])


def test_a_view_query_goes_through_the_guards(cli, tmp_path):
    """kg view --query runs the one guarded way: SERVICE refused unless allowed, the time limit holds."""
    (tmp_path / "remote.rq").write_text(
        "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }\n")
    refused = cli("view", "--query", "remote.rq", "-o", "remote.html")
    assert refused.exit_code == 2
    assert "uses SERVICE, which fetches data over the network; pass --allow-service" in refused.output
    assert not (tmp_path / "remote.html").exists()
    (tmp_path / "slow.rq").write_text(
        "CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . ?d ?e ?f FILTER(CONCAT(STR(?a), STR(?d)) = \"x\") }\n")
    stopped = cli("view", "--query", "slow.rq", "--timeout", "0.2", "-o", "slow.html")
    assert stopped.exit_code == 2 and "was stopped after 0.2 seconds (--timeout)" in stopped.output
    assert not (tmp_path / "slow.html").exists()


# --- the page ----------------------------------------------------------------------------


def test_the_page_is_one_self_contained_file(network, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    page = views.render(views.named_view(network, "all")).decode("utf-8")
    assert os.listdir(tmp_path) == [], "nothing is written, least of all a lib/ folder"
    assert "vis-network" in page and "new vis.Network" not in page.split("<script>")[0]
    assert not re.search(r"<(script|img|iframe|link)\b[^>]*\b(src|href)=", page), "no asset is loaded"
    assert "cdn" not in page.lower().replace("cdnjs", "") and "bootstrap" not in page.lower()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)[1]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_the_page_holds_the_projection(network):
    view = views.named_view(network, "capital")
    page = views.render(view)
    assert [n["id"] for n in json_block(page, "kg-nodes")] == list(view.network)
    assert len(json_block(page, "kg-edges")) == view.network.number_of_edges()
    options = json_block(page, "kg-options")
    assert options["layout"]["randomSeed"] == views.LAYOUT_SEED
    assert options["physics"]["stabilization"]["enabled"]


def test_the_same_graph_gives_the_same_page(graph, network):
    first = views.render(views.named_view(network, "all"))
    assert views.render(views.named_view(views.project(graph), "all")) == first


SCRIPT = """
import hashlib, sys
from pathlib import Path
import kg
from kg.show import views
out = Path(sys.argv[1])
graph = kg.load_graph(sys.argv[2])
for written in views.write_views(graph, out):
    pass
network = views.project(graph)
for fmt in ("graphml", "gexf"):
    (out / f"all.{fmt}").write_bytes(views.render(views.named_view(network, "all"), fmt))
(out / "focus.html").write_bytes(views.render(views.ego_view(network, "SMIC", 2), lang="zh"))
for path in sorted(out.iterdir()):
    print(path.name, hashlib.sha256(path.read_bytes()).hexdigest())
"""


def test_every_output_is_byte_identical_across_runs_and_hash_seeds(tmp_path):
    digests = set()
    for run, seed in enumerate(["0", "1", "4242"]):
        out = tmp_path / f"run{run}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run([sys.executable, "-c", SCRIPT, str(out), str(SEED)], env=env,
                                capture_output=True, text=True, check=True, cwd=tmp_path)
        digests.add(result.stdout)
    assert len(digests) == 1, digests
    assert sorted(line.split()[0] for line in digests.pop().splitlines()) == [
        "all.gexf", "all.graphml", "all.html", "capital.html", "focus.html", "index.html", "products.html",
        "supply-chain.html"]


def test_text_from_the_facts_is_escaped(hostile):
    network = views.project(hostile)
    page = views.render(views.named_view(network, "all"))
    focus = views.render(views.ego_view(network, "evil"))
    for html in (page, focus):
        text = html.decode("utf-8")
        assert "<img" not in text and "<svg" not in text and "<iframe" not in text and "<b " not in text
        assert text.count("</script>") == 6, "four JSON blocks and two scripts, none ended early"
    nodes = {n["id"]: n for n in json_block(page, "kg-nodes")}
    assert nodes["kgr:evil"]["kg"]["name_en"] == PAYLOAD, "escaped in the file, intact once parsed"
    assert nodes["kgr:evil"]["kg"]["name_zh"] == "</script><script>window.__pwned = 'zh label'</script>"
    title = re.search(r"<title>(.*?)</title>", focus.decode("utf-8"))[1]
    assert title == "Around &lt;img src=x onerror=alert(1)&gt; (depth 1) · gpu-kg"


def test_above_the_threshold_the_page_says_how_many_nodes_it_left_out(network):
    view = views.named_view(network, "all")
    drawn, left_out = views.limit(views.drawable(view), 20)
    assert (drawn.number_of_nodes(), left_out) == (20, views.drawable(view).number_of_nodes() - 20)
    assert "kgr:iluvatar" in drawn, "the best-connected nodes are kept"
    page = views.render(view, max_nodes=20)
    assert json_block(page, "kg-page")["leftOut"] == views.drawable(view).number_of_nodes() - 20
    assert len(json_block(page, "kg-nodes")) == 20
    focus = views.ego_view(network, "Wind", depth=3)
    assert "kgr:wind" in views.limit(focus.network, 1)[0], "the focus is always kept"


def test_nodes_can_be_sized_by_a_figure(network):
    view = views.named_view(network, "capital")
    sizes = {n["id"]: n["size"] for n in json_block(views.render(view, size_by="first-day-gain"), "kg-nodes")}
    assert sizes["kgr:metax-star-listing"] > sizes["kgr:moore-threads-star-listing"] > sizes["kgr:iluvatar"]
    with pytest.raises(UsageError, match="no node in this view has a 'revenu' figure"):
        views.render(view, size_by="revenu")


def test_graphml_and_gexf_hold_the_projection_for_gephi_and_cytoscape(network, tmp_path):
    view = views.named_view(network, "supply-chain")
    for fmt, read in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        path = tmp_path / f"view.{fmt}"
        path.write_bytes(views.render(view, fmt))
        back = read(path)
        assert back.number_of_nodes() == view.network.number_of_nodes(), fmt
        assert back.number_of_edges() == view.network.number_of_edges(), fmt
    assert b"lastmodifieddate" not in (tmp_path / "view.gexf").read_bytes()


@pytest.mark.parametrize(("name", "path", "expected"), [
    (None, "x.html", "html"), (None, "x.GraphML", "graphml"), ("gexf", "x.xml", "gexf"), (None, None, "html"),
])
def test_the_format_is_named_or_guessed_from_the_suffix(name, path, expected):
    assert views.format_for(name, path) == expected


def test_an_unknown_suffix_is_a_usage_error():
    with pytest.raises(UsageError, match="give --format"):
        views.format_for(None, "view.pdf")


# --- the command line --------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def run(*args):
        return CliRunner().invoke(main, [*args, "--facts", str(SEED)])
    return run


def counts(network, name) -> str:
    """What a page of the named view draws."""
    view = views.drawable(views.named_view(network, name))
    return f"({view.number_of_nodes()} nodes, {view.number_of_edges()} edges)"


def test_kg_view_writes_a_named_view(cli, tmp_path, network):
    result = cli("view", "supply-chain", "-o", "sc.html")
    assert (result.exit_code, result.output) == (0, f"wrote sc.html {counts(network, 'supply-chain')}\n")
    assert (tmp_path / "sc.html").read_bytes().startswith(b"<!DOCTYPE html>")


def test_kg_view_focus_defaults_to_out_views(cli, tmp_path):
    result = cli("view", "--focus", "中芯国际", "--depth", "1", "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("wrote out/views/focus-smic.html (")
    assert json_block((tmp_path / "out/views/focus-smic.html").read_bytes(), "kg-page")["lang"] == "zh"


def test_kg_view_query_and_exchange_formats(cli, tmp_path):
    (tmp_path / "members.rq").write_text(
        "PREFIX gpu: <https://w3id.org/gpu-kg/ontology#>\nCONSTRUCT { ?g gpu:member ?m } WHERE { ?g gpu:member ?m }\n")
    result = cli("view", "--query", "members.rq", "--format", "graphml", "-o", "members.graphml")
    assert (result.exit_code, result.output) == (0, "wrote members.graphml (6 nodes, 5 edges)\n")
    assert nx.read_graphml(tmp_path / "members.graphml").number_of_nodes() == 6


@pytest.mark.parametrize(("args", "message"), [
    ((), "give one of a view name"),
    (("all", "--focus", "smic"), "give one of a view name"),
    (("--focus", "nobody"), "no entity named 'nobody'"),
    (("--query", "missing.rq"), "no such query file: missing.rq"),
    (("all", "-o", "all.pdf"), "cannot tell the view format of 'all.pdf'"),
])
def test_kg_view_usage_errors(cli, args, message):
    result = cli("view", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_kg_views_writes_every_named_view_and_an_index(cli, tmp_path, network):
    result = cli("views", "--out", "site")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        *(f"wrote site/{name}.html {counts(network, name)}" for name in views.VIEW_NAMES),
        "wrote site/index.html",
    ]
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="([^"]+)"', index) == [f"{name}.html" for name in views.VIEW_NAMES]
