"""``kg serve`` as programs use it: the real server on a loopback port, asked by a standard SPARQL client.

The endpoint must answer exactly what the library answers (kg.query.catalog.run
rendered by kg.query.results), in each W3C format; refuse what the command line
refuses; and put its safety headers on every response.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.parse

import openpyxl
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from SPARQLWrapper import CSV, GET, JSON, JSONLD, N3, POST, POSTDIRECTLY, TSV, TURTLE, URLENCODED, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from conftest import ROOT, SEED
from servers import free_port
from webapp import fetch, kg_serve

from kg.query import catalog as queries

from kg.web import app as serve
from kg.query.results import render

SELECT = """PREFIX gpu: <https://w3id.org/gpu-kg/ontology#>
SELECT ?company ?name WHERE { ?company a gpu:ChipDesigner ; rdfs:label ?name . FILTER(LANG(?name) = "zh") }
ORDER BY ?company"""
ASK = "ASK { ?c a <https://w3id.org/gpu-kg/ontology#Foundry> }"
CONSTRUCT = """PREFIX gpu: <https://w3id.org/gpu-kg/ontology#>
CONSTRUCT { ?s gpu:supplier ?o } WHERE { ?s gpu:supplier ?o }"""


@pytest.fixture(scope="module")
def base():
    with kg_serve(facts=SEED) as url:
        yield url


def expected(graph, text: str, format: str) -> str:
    """What the library answers; a SPARQL client gets the query's variables only (no label columns)."""
    return render(queries.run(graph, queries.parse_query(text), labels=False), format)


def client(base: str, query: str, format: str, *, method=GET, request_method=URLENCODED):
    sparql = SPARQLWrapper(base + "/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(format)
    sparql.setMethod(method)
    sparql.setRequestMethod(request_method)
    return sparql.query()


# --- the SPARQL 1.1 Protocol, through SPARQLWrapper ------------------------------------------


@pytest.mark.parametrize("method,request_method", [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)])
def test_a_select_answers_what_the_library_answers_by_get_and_both_posts(base, graph, method, request_method):
    answer = client(base, SELECT, JSON, method=method, request_method=request_method)
    assert answer.response.headers["content-type"].startswith("application/sparql-results+json")
    got = answer.convert()
    assert got == json.loads(expected(graph, SELECT, "json"))
    names = [row["name"]["value"] for row in got["results"]["bindings"]]
    assert "天数智芯" in names and "壁仞科技" in names


def test_select_in_xml_csv_and_tsv(base, graph):
    xml = client(base, SELECT, XML).convert()
    literals = [node.firstChild.data for node in xml.getElementsByTagName("literal")]
    assert literals == [row["name"]["value"] for row in json.loads(expected(graph, SELECT, "json"))["results"]["bindings"]]
    assert client(base, SELECT, CSV).convert().decode("utf-8") == expected(graph, SELECT, "csv")
    assert client(base, SELECT, TSV).convert().decode("utf-8") == expected(graph, SELECT, "tsv")


def test_ask_in_json_and_xml(base):
    assert client(base, ASK, JSON).convert() == {"head": {}, "boolean": True}
    xml = client(base, ASK, XML).convert()
    assert xml.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("format,parser,media", [(TURTLE, "turtle", "text/turtle"), (N3, "turtle", "text/turtle")])
def test_construct_answers_a_graph_in_turtle(base, graph, format, parser, media):
    answer = client(base, CONSTRUCT, format)
    assert answer.response.headers["content-type"].startswith(media)
    got = Graph().parse(data=answer.convert(), format=parser)
    want = Graph()
    for triple in queries.run(graph, queries.parse_query(CONSTRUCT)).rows:
        want.add(triple)
    assert len(got) == len(want) >= 5 and isomorphic(got, want)


@pytest.mark.parametrize("format", [XML, JSONLD])
def test_construct_through_sparqlwrapper_gets_rdf_xml_or_json_ld_it_reads_as_a_graph(base, graph, format):
    """SPARQLWrapper asks for a CONSTRUCT in RDF/XML unless told otherwise, and converts what it gets."""
    answer = client(base, CONSTRUCT, format)
    expected = {XML: "application/rdf+xml", JSONLD: "application/ld+json"}[format]
    assert answer.response.headers["content-type"] == expected + "; charset=utf-8"
    got = answer.convert()
    want = Graph()
    for triple in queries.run(graph, queries.parse_query(CONSTRUCT)).rows:
        want.add(triple)
    assert isinstance(got, Graph) and len(got) == len(want) >= 5 and isomorphic(got, want)


def test_construct_in_n_triples_by_content_negotiation(base, graph):
    status, headers, body = fetch(base + "/sparql?" + urllib.parse.urlencode({"query": CONSTRUCT}),
                                  headers={"Accept": "application/n-triples"})
    assert (status, headers["content-type"]) == (200, "application/n-triples; charset=utf-8")
    assert len(Graph().parse(data=body.decode(), format="nt")) >= 5


def test_accept_header_picks_the_results_format(base, graph):
    url = base + "/sparql?" + urllib.parse.urlencode({"query": SELECT})
    for accept, media, format in [("text/csv", "text/csv", "csv"),
                                  ("text/tab-separated-values;q=0.9, application/sparql-results+xml;q=0.5",
                                   "text/tab-separated-values", "tsv"),
                                  ("text/*", "text/csv", "csv"),
                                  ("*/*", "application/sparql-results+json", "json")]:
        status, headers, body = fetch(url, headers={"Accept": accept})
        assert (status, headers["content-type"].split(";")[0]) == (200, media), accept
        if format == "json":  # the engine writes it compact; the same document
            assert json.loads(body) == json.loads(expected(graph, SELECT, format))
        else:
            assert body.decode("utf-8") == expected(graph, SELECT, format)


# --- what it refuses ---------------------------------------------------------------------------


def test_kg_query_can_ask_the_running_server_and_answers_as_in_memory(base, graph):
    """The server holds the graph in memory; `kg query --store sparql+URL` asks it instead of loading its own."""
    from kg.store.remote import RemoteSettings, RemoteStore

    served = RemoteStore(RemoteSettings(query=base + "/sparql", label="kg serve"))
    for name, query in sorted(queries.load_catalog().items()):
        assert render(queries.run(served, query), "csv") == render(queries.run(graph, query), "csv"), name
    profile = queries.find_query("company-profile")
    assert render(queries.run(served, profile, {"company": "壁仞科技"}), "csv") == \
        render(queries.run(graph, profile, {"company": "壁仞科技"}), "csv")


def test_a_client_query_with_decorators_is_plain_sparql_here(base, graph):
    """`#+` lines are comments to a SPARQL endpoint, and ?_name variables are variables."""
    text = "#+ summary: not read here\n#+ params: [this is not checked]\nSELECT ?_x WHERE { BIND(1 AS ?_x) }"
    assert client(base, text, JSON).convert()["results"]["bindings"] == [
        {"_x": {"type": "literal", "value": "1", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]


def test_only_the_served_graph_may_be_named(base):
    def asked(graph: str) -> tuple[int, bytes]:
        status, _, body = fetch(base + "/sparql?" + urllib.parse.urlencode({"query": ASK, "default-graph-uri": graph}))
        return status, body

    assert asked("https://w3id.org/gpu-kg/graph")[0] == 200
    status, body = asked("https://example.org/other")
    assert status == 400 and b"one graph" in body


def test_updates_are_refused_however_they_are_sent(base):
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    for data, content_type in [(urllib.parse.urlencode({"update": update}).encode(), "application/x-www-form-urlencoded"),
                               (update.encode(), "application/sparql-update"),
                               (update.encode(), "application/sparql-query")]:
        status, _, body = fetch(base + "/sparql", data=data, headers={"Content-Type": content_type})
        assert status == 403 and b"read-only" in body, content_type
    status, _, _ = fetch(base + "/sparql?" + urllib.parse.urlencode({"query": "ASK { <urn:a> <urn:b> <urn:c> }"}))
    assert status == 200


def test_service_and_load_are_refused(base):
    for text in ["SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
                 "SELECT * FROM <http://example.org/data.ttl> WHERE { ?s ?p ?o }"]:
        status, _, body = fetch(base + "/sparql?" + urllib.parse.urlencode({"query": text}))
        assert status == 403 and b"this endpoint does not fetch data from elsewhere" in body, text
        assert b"--allow-service" not in body, "kg serve has no such option to suggest"
    with pytest.raises((SPARQLWrapperException, urllib.error.HTTPError)):
        client(base, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", JSON).convert()


def test_a_syntax_error_is_a_bad_request_with_line_and_column(base):
    with pytest.raises(QueryBadFormed) as caught:
        client(base, "SELECT ?s WHERE {\n  ?s ?p \n", JSON)
    assert "<inline query>:" in str(caught.value) and "SPARQL syntax error" in str(caught.value)


def test_a_query_that_runs_too_long_is_stopped():
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with kg_serve("--timeout", "0.5", facts=SEED) as base:
        status, _, body = fetch(base + "/sparql?" + urllib.parse.urlencode({"query": slow}))
        assert status == 503 and b"stopped after 0.5 seconds" in body
        status, _, _ = fetch(base + "/sparql?" + urllib.parse.urlencode({"query": ASK}))
        assert status == 200, "the server answers again once the slow query is stopped"


def test_only_loopback_host_names_are_answered(base):
    status, _, _ = fetch(base + "/", headers={"Host": "attacker.example"})
    assert status == 400, "a rebound DNS name reaching the loopback server is refused"
    assert fetch(base + "/", headers={"Host": "localhost"})[0] == 200


# --- saved queries as a web API ----------------------------------------------------------------


def test_the_api_lists_every_saved_query_with_its_parameters(base):
    status, headers, body = fetch(base + "/api/queries")
    listing = json.loads(body)
    assert status == 200 and headers["content-type"] == "application/json"
    assert [entry["name"] for entry in listing] == queries.query_names()
    series = next(entry for entry in listing if entry["name"] == "financial-series")
    assert series["url"] == base + "/api/queries/financial-series"
    company = next(p for p in series["params"] if p["name"] == "company")
    assert company == {"name": "company", "type": "iri", "required": False,
                       "default": "https://w3id.org/gpu-kg/id/iluvatar",
                       "class": "https://w3id.org/gpu-kg/ontology#Organization",
                       "description": company["description"], "enum": None}
    assert "lang" not in [p["name"] for p in series["params"]]  # its labels come in the lang a request asks for
    statements = next(entry for entry in listing if entry["name"] == "statements")
    lang = next(p for p in statements["params"] if p["name"] == "lang")
    assert lang["enum"] == ["en", "zh"]


def test_a_saved_query_with_parameters_answers_as_the_command_line_does(base, graph):
    values = {"company": "壁仞科技", "metric": "net-loss"}
    want = render(queries.run(graph, queries.find_query("financial-series"), values), "csv")
    status, headers, body = fetch(base + "/api/queries/financial-series?" + urllib.parse.urlencode({**values, "format": "csv"}))
    assert (status, body.decode("utf-8")) == (200, want)
    assert headers["content-disposition"] == 'attachment; filename="financial-series.csv"'
    status, headers, body = fetch(base + "/api/queries/financial-series?" + urllib.parse.urlencode(values),
                                  headers={"Accept": "application/sparql-results+json"})
    assert status == 200 and json.loads(body) == json.loads(render(
        queries.run(graph, queries.find_query("financial-series"), values), "json"))


def test_csv_downloads_can_carry_a_byte_order_mark_for_excel(base):
    status, _, body = fetch(base + "/api/queries/investors?lang=zh&format=csv&bom=1")
    assert status == 200 and body.startswith(b"\xef\xbb\xbfinvestor,") and "衢州智造".encode() in body, body
    assert fetch(base + "/api/queries/investors?format=csv")[2] == body[3:].replace("衢州智造".encode(), b"Quzhou Zhizao") \
        .replace("星纳赫资本".encode(), b"Xingnahe Capital").replace("天数智芯".encode(), b"Iluvatar CoreX").replace("投资方".encode(), b"investor")


def test_the_excel_download_has_typed_cells(base):
    status, headers, body = fetch(base + "/api/queries/listing-race?format=xlsx")
    assert status == 200 and headers["content-type"] == serve.RESULT_TYPES["xlsx"]
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    records = [dict(zip(rows[0], row)) for row in rows[1:]]
    moore = next(r for r in records if r["company"] == "Moore Threads")
    assert moore["date"].isoformat() == "2025-12-05T00:00:00" and moore["first_day_gain_pct"] == 468.8


def test_a_bad_parameter_is_a_bad_request_naming_it_and_is_never_pasted(base):
    hostile = "iluvatar> } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o"
    status, _, body = fetch(base + "/api/queries/financial-series?" + urllib.parse.urlencode({"company": hostile}))
    assert status == 400 and body.decode().startswith("parameter 'company': no organization is called")
    status, _, body = fetch(base + "/api/queries/financial-series?colour=red")
    assert status == 400 and b"unknown parameter 'colour'" in body
    assert fetch(base + "/api/queries/no-such-query")[0] == 404


# --- pages and headers ---------------------------------------------------------------------------


def test_every_response_carries_the_content_security_policy(base):
    for path in ["/", "/queries/listing-race", "/entity?id=iluvatar", "/static/app.js", "/no/such/page",
                 "/api/queries", "/sparql?query=ASK%7B%7D"]:
        status, headers, _ = fetch(base + path)
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy, path
        assert headers["x-content-type-options"] == "nosniff", path
    status, headers, _ = fetch(base + "/views/supply-chain")
    assert status == 200 and "script-src 'sha256-" in headers["content-security-policy"]


def test_the_query_page_shows_a_form_and_a_table(base):
    status, _, body = fetch(base + "/queries/financial-series?" + urllib.parse.urlencode(
        {"company": "天数智芯", "metric": "revenue"}))
    page = body.decode()
    assert status == 200 and 'name="company"' in page and 'value="天数智芯"' in page
    assert '<td class="num" data-sort="540000000.0" title="540000000.0">540,000,000 CNY</td>' in page
    status, _, body = fetch(base + "/queries/financial-series?company=nobody")
    assert status == 400 and "no organization is called &#39;nobody&#39;" in body.decode()


def test_a_chinese_page_has_chinese_column_headings(base):
    page = fetch(base + "/queries/supply-chain?lang=zh")[2].decode()
    assert re.search(r'<th scope="col" data-column="1"[^>]*><button type="button">客户</button>', page)
    english = fetch(base + "/queries/supply-chain")[2].decode()
    assert re.search(r'<th scope="col" data-column="1"[^>]*><button type="button">client</button>', english)


def test_the_entity_page_lists_statements_with_their_sources(base):
    status, _, body = fetch(base + "/entity?id=壁仞科技".replace("壁仞科技", urllib.parse.quote("壁仞科技")))
    page = body.decode()
    assert status == 200 and "<h1>Biren Technology <span lang=\"zh\">壁仞科技</span></h1>" in page
    assert "/entity?iri=https%3A%2F%2Fw3id.org%2Fgpu-kg%2Fid%2Farticle" in page
    assert fetch(base + "/entity?id=no-such-thing")[0] == 404


def test_the_server_says_where_it_listens_and_stops_on_a_signal():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--port", str(port), "--facts", str(SEED)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr.readline() == f"serving http://127.0.0.1:{port}/ (read-only; Ctrl-C to stop)\n"
        assert fetch(f"http://127.0.0.1:{port}/")[0] == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0 and "Traceback" not in err


def test_wrong_facts_stop_the_server_with_every_problem(tmp_path):
    facts = tmp_path / "facts"
    shutil.copytree(SEED, facts)
    figures = facts / "figures" / "biren.yaml"
    figures.write_text(figures.read_text("utf-8").replace("metric: revenue\n", "metric: revenu\n", 1), "utf-8")
    done = subprocess.run([sys.executable, "-m", "kg", "serve", "--port", str(free_port()), "--facts", str(facts)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "figures/biren.yaml:" in done.stderr and "unknown metric 'revenu' (did you mean 'revenue'?)" in done.stderr
    assert "Traceback" not in done.stderr


def test_completion_finds_names_in_both_languages(graph):
    site = serve.Site(graph)
    assert [e.key for e in site.complete("天数", str(queries.expand_name("gpu:Organization")))] == ["iluvatar"]
    assert [e.key for e in site.complete("moore")][:1] == ["moore-threads"]
    metric = str(queries.expand_name("gpu:Metric"))
    assert [e.key for e in site.complete("营业", metric)] == ["gpu:Revenue"]
    assert [e.key for e in site.complete("revenue", metric)][0] == "gpu:Revenue", "an exact name comes first"
    assert site.complete("天数智芯", metric) == [], "a company is not a metric"


def test_completion_and_the_command_line_find_names_one_way():
    """The completion box offers what kg.query.resolve would take and suggest: 中芯 is SMIC in both."""
    from conftest import LIVE_FACTS
    import kg
    from kg.query.resolve import Resolver

    graph = kg.load_graph(LIVE_FACTS)
    site, resolver = serve.Site(graph), Resolver(graph)
    organization = queries.expand_name("gpu:Organization")
    for text in ("中芯", "摩尔", "红杉", "景林", "moore", "capital"):
        offered = [e.key for e in site.complete(text, str(organization))]
        taken = [resolver.entity(n).id for n in resolver.complete(text, organization)]
        shown = min(len(offered), len(taken))  # each may offer a few more than the other
        assert shown and offered[:shown] == taken[:shown], text
    assert [e.key for e in site.complete("中芯")][:1] == ["smic"] == [resolver.entity(resolver.resolve("中芯")).id]
    assert [e.key for e in site.complete("首日市值")][:1] == ["gpu:FirstDayMarketCap"]


def test_the_app_over_the_on_disk_store_answers_as_over_memory(base, tmp_path):
    store = f"oxigraph:{tmp_path / 'store'}"
    built = subprocess.run([sys.executable, "-m", "kg", "build", "--facts", str(SEED), "--out", str(tmp_path / "out"),
                            "--store", store], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    paths = ["/api/queries/financial-series?" + urllib.parse.urlencode({"company": "壁仞科技", "format": "csv"}),
             "/sparql?" + urllib.parse.urlencode({"query": SELECT, "format": "tsv"}),
             "/api/complete?" + urllib.parse.urlencode({"q": "壁仞", "class": "gpu:Organization"})]
    with kg_serve("--store", store, facts=tmp_path / "no-facts-needed") as on_disk:
        for path in paths:
            assert fetch(on_disk + path)[2] == fetch(base + path)[2], path
        status, _, body = fetch(on_disk + "/entity?" + urllib.parse.urlencode({"id": "壁仞科技"}))
        assert status == 200 and "Biren Technology" in body.decode() and "Statements about it" in body.decode()


def test_the_charts_of_make_demo_are_served_with_their_own_policy(base):
    status, headers, body = fetch(base + "/charts")
    assert status == 200 and "default-src 'none'" in headers["content-security-policy"]
    links = re.findall(r'href="(/charts/[^"?]+)\?lang=en"', body.decode())
    assert "/charts/listing-day" in links
    for link in links:
        status, headers, page = fetch(base + link)
        assert status == 200 and "script-src 'sha256-" in headers["content-security-policy"], link
    assert fetch(base + "/charts/no-such-chart")[0] == 404
