"""The saved-query catalog: headers, typed parameters bound as terms, results that match the article.

Golden results live in tests/golden/queries/NAME.tsv (W3C SPARQL TSV, so datatypes and
languages are compared too); rewrite them with KG_UPDATE_GOLDEN=1 and review the diff
against facts/texts/ before committing.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import random
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

import kg
from kg.query import catalog as queries
from kg.base.ontology import PREFIXES, new_graph
from kg.base.errors import InputError, KgError, UsageError
from kg.base.ontology import GPU, KGR
from kg.query.results import Result, display_width, format_for, render, turtle_term

from conftest import SEED

XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # a plain namespace: pytest probes module attributes

GOLDEN = Path(__file__).parent / "golden" / "queries"
ARTICLE = (SEED / "texts" / "iluvatar-hkex-hearing-article.txt").read_text("utf-8")
UPDATE = bool(os.environ.get("KG_UPDATE_GOLDEN"))
NAMES = queries.query_names()
PREFIX_TEXT = {prefix: str(ns) for prefix, ns in PREFIXES.items()}


@pytest.fixture(scope="session")
def catalog() -> dict[str, queries.Query]:
    return queries.load_catalog()


@pytest.fixture(scope="session")
def answers(graph, catalog):
    """Each saved query's result with its defaults, by (name, language); computed once."""
    cache: dict[tuple[str, str], Result] = {}

    def answer(name: str, lang: str = "en") -> Result:
        if (name, lang) not in cache:
            cache[name, lang] = queries.run(graph, catalog[name], lang=lang)
        return cache[name, lang]

    return answer


def walk(node):
    yield from queries._walk(node)


# --- the catalog ---------------------------------------------------------------------------


def test_the_catalog_has_at_least_twenty_documented_queries(catalog):
    assert len(catalog) >= 20
    for name, query in catalog.items():
        assert query.title and query.description, name
        assert query.form == "select", name
        assert all(param.description for param in query.params), name


@pytest.mark.parametrize("name", NAMES)
def test_every_saved_query_orders_its_rows(catalog, name):
    algebra = translateQuery(parseQuery(catalog[name].text), None, PREFIXES).algebra
    assert any(isinstance(n, CompValue) and n.name == "OrderBy" for n in walk(algebra)), f"{name} has no ORDER BY"


@pytest.mark.parametrize("name", NAMES)
def test_every_saved_query_declares_its_own_prefixes(name):
    """Another engine (or grlc) has no prefixes of ours: each file must declare what it uses."""
    text = (queries.catalog_dir() / f"{name}.rq").read_text("utf-8")
    translateQuery(parseQuery(text), None, {})


@pytest.mark.parametrize("name", NAMES)
def test_every_saved_query_can_be_served_by_grlc(catalog, name):
    """grlc pastes values over ?_name variables, so they may not be projected; BOUND(?__p) of an
    optional one must become true when a value is pasted (kg.store.core.substitute does that)."""
    query = catalog[name]
    projected = set(query.projected)
    for param in query.params:
        assert param.variable not in projected, f"{name}: ?{param.variable} is projected"
        suffix = {"iri": "_iri", "integer": "_integer", "decimal": "_xsd_decimal", "date": "_xsd_date"}.get(param.type, "")
        assert param.variable == ("_" if param.required else "__") + param.name + suffix


def test_every_required_parameter_has_a_default_so_the_whole_catalog_can_run(catalog):
    missing = [f"{name}.{p.name}" for name, q in catalog.items() for p in q.params if p.required and p.default is None]
    assert missing == []


def test_listing_the_catalog_reads_the_same_parameters_without_parsing(catalog):
    listed = queries.load_catalog(headers_only=True)
    assert {name: q.params for name, q in listed.items()} == {name: q.params for name, q in catalog.items()}
    assert {name: q.title for name, q in listed.items()} == {name: q.title for name, q in catalog.items()}


def test_the_catalog_lists_name_title_and_parameters(catalog):
    listing = queries.catalog_result(catalog)
    assert listing.variables == ("name", "title", "parameters")
    rows = {str(row[0]): (str(row[1]), str(row[2])) for row in listing.rows}
    assert rows["financial-series"] == (
        "Financial time series - one metric of one company, period by period",
        "company=iluvatar, metric=gpu:Revenue",
    )
    assert rows["listing-race"][1] == "[venue]"


# --- golden results: every saved query, on the shipped facts ------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_saved_query_result_matches_its_golden_file(answers, name):
    got = render(answers(name), "tsv")
    path = GOLDEN / f"{name}.tsv"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    want = path.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), str(path), "result"))
    assert not diff, diff


def test_every_quote_in_the_provenance_is_the_article_word_for_word(answers):
    quotes = [row["text"] for row in answers("provenance").records() if row["evidence"] == GPU.quote]
    assert len(quotes) > 100
    assert [str(q) for q in quotes if str(q) not in ARTICLE] == []


def test_the_derived_figures_against_the_article(answers):
    """The numbers an analyst checks first, computed in SPARQL from the base facts."""
    cagr = answers("derived-revenue-cagr").records()[0]
    assert (cagr["derived_cagr_pct"].toPython(), cagr["stated_cagr_pct"].toPython()) == (Decimal("69"), Decimal("68.8"))
    share = answers("derived-revenue-share-of-period").records()[0]
    assert share["derived_pct"].toPython() == share["stated_pct"].toPython() == 60
    losses = answers("derived-cumulative-net-loss").labelled_records()[0]
    assert losses["summed_net_loss_cny"].toPython() == Decimal("2872000000")  # 5.54 + 8.17 + 8.92 + 6.09 亿
    assert str(losses["stated_qualifier"]) == "at least" and losses["consistent"].toPython() is True
    multiple = answers("derived-revenue-multiple").records()[0]
    assert multiple["derived_ratio"].toPython() == Decimal("675.4")  # 3.37亿 / 49.9万
    assert (multiple["consistent_as_ratio"].toPython(), multiple["consistent_as_increase"].toPython()) == (True, False)
    rd = {str(r["period"]): (r["derived_pct"].toPython(), r["stated_pct"].toPython())
          for r in answers("derived-rd-expense-ratio").labelled_records()}
    assert rd == {"FY2022": (Decimal("241.8"), Decimal("241.1")), "FY2023": (Decimal("213.1"), Decimal("213.1")),
                  "FY2024": (Decimal("143.1"), Decimal("143.2"))}


def test_a_lower_bound_never_reads_as_exact(answers):
    bounded = answers("bounded-figures")
    assert {str(r["stated"]): str(r["qualifier"]) for r in bounded.labelled_records()} == {
        "675倍": "at least", "5.2万片": "at least", "28亿元": "at least", "290家": "at least", "900次": "at least",
        "53%—61%": "range", "3000亿": "at least",
    }
    race = {str(r["company"]): str(r.get("market_cap_qualifier", "")) for r in answers("listing-race").labelled_records()}
    assert (race["MetaX"], race["Moore Threads"]) == ("at least", "exact")


def test_group_level_supply_is_kept_apart_from_company_level(answers):
    rows = answers("group-supply-dependence").labelled_records()
    stated_for = {(str(r["supplier"]), str(r["member"])) for r in rows if r["member_level"].toPython()}
    assert stated_for == {("SMIC", "Iluvatar CoreX")}
    single = [(str(r["company"]), str(r["role"]), str(r["supplier"]))
              for r in answers("single-named-supplier").labelled_records()]
    assert single == [("Iluvatar CoreX", "packaging and test", "JCET")]


def test_pre_and_post_money_are_never_mixed(answers):
    rounds = {str(r["fact"]).rsplit("/", 1)[-1]: (str(r.get("valuation_basis", "")), r.get("valuation"))
              for r in answers("funding-rounds").labelled_records()}
    assert rounds == {
        "iluvatar-series-a": ("", None),
        "iluvatar-series-d-plus": ("pre-money valuation", Literal("12000000000.0", datatype=XSD.decimal)),
        "biren-pre-ipo-round": ("post-money valuation", Literal("20915000000.0", datatype=XSD.decimal)),
    }


@pytest.mark.parametrize("name, column", [
    ("listing-race", "company"), ("listing-race", "step"), ("supply-chain", "role"), ("product-milestones", "milestone"),
    ("segment-figures", "unit"), ("funding-rounds", "valuation_basis"), ("statements", "statement"),
])
def test_labels_come_in_the_language_asked_for(answers, name, column):
    for lang in ("en", "zh"):
        labels = [r[column] for r in answers(name, lang).labelled_records() if column in r]
        assert labels and {term.language for term in labels} == {lang}, (name, column, lang)
    assert len(answers(name, "en").rows) == len(answers(name, "zh").rows)


def test_the_profile_speaks_the_language_asked_for(answers):
    assert [str(a) for a in answers("company-profile", "zh").column("aspect")][:4] == ["名称", "名称", "法定名称", "类型"]
    assert str(answers("company-profile", "zh").records()[5]["value"]) == "7nm"


def test_a_missing_label_falls_back_to_the_other_language(graph, catalog):
    only_zh = Graph()
    for triple in graph:
        if not (triple[0] == KGR.biren and triple[1] == RDFS.label and triple[2].language == "en"):
            only_zh.add(triple)
    rows = queries.run(only_zh, catalog["listing-race"], lang="en").labelled_records()
    assert {str(r["company"]) for r in rows} >= {"壁仞科技", "Iluvatar CoreX"}


# --- other engines ----------------------------------------------------------------------------


def grlc_text(query: queries.Query, bindings) -> str:
    """The query as a pasting server sends it: each ?_name variable replaced by its term."""
    from kg.store.core import substitute

    return substitute(query.text, bindings)


def comparable(term):
    """Terms as values: engines may write the same decimal as 69 or 69.0."""
    if term is None:
        return None
    if hasattr(term, "datatype") and term.datatype in (XSD.decimal, XSD.integer, XSD.double):
        return ("number", Decimal(str(term)))
    return ("term", turtle_term(term))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", NAMES)
def test_oxigraph_gives_the_same_rows_in_the_same_order(graph, catalog, answers, name, lang):
    """Plain SPARQL 1.1: another engine, given the values grlc would paste in, agrees row for row."""
    ox = pytest.importorskip("pyoxigraph")

    store = _oxigraph_store(graph, ox)
    query = catalog[name]
    solutions = store.query(grlc_text(query, queries.bind(graph, query, lang=lang)))
    variables = [v.value for v in solutions.variables]
    rows = Result(tuple(variables), tuple(tuple(_from_ox(s[v]) for v in variables) for s in solutions))
    # The items of a GROUP_CONCAT come in the engine's order, which SPARQL leaves open: sorted, as the runner does.
    rows = queries.sorted_lists(rows, queries.parsed(query).lists)
    theirs = [tuple(comparable(term) for term in row) for row in rows.rows]
    ours = answers(name, lang)
    assert variables == list(ours.variables)
    assert theirs == [tuple(comparable(t) for t in row) for row in ours.rows]


_STORES: dict[int, object] = {}


def _oxigraph_store(graph, ox):
    if id(graph) not in _STORES:
        import kg

        store = ox.Store()
        store.load(kg.serialize(graph, "nt"), format=ox.RdfFormat.N_TRIPLES)
        _STORES[id(graph)] = store
    return _STORES[id(graph)]


def _from_ox(term):
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


@pytest.mark.parametrize("name", ["loss-ranking", "single-named-supplier", "company-profile", "timeline", "provenance"])
def test_results_do_not_depend_on_the_order_triples_were_added(graph, catalog, answers, name):
    triples = sorted(graph, key=lambda t: tuple(turtle_term(x) for x in t))
    random.Random(7).shuffle(triples)
    shuffled = new_graph()
    for triple in triples:
        shuffled.add(triple)
    assert queries.run(shuffled, catalog[name]) == answers(name)


# --- parameters: resolved by id, name or IRI, bound as terms --------------------------------


def iluvatar_hearing(graph, catalog, **values):
    return [str(r["fact"]) for r in queries.run(graph, catalog["listing-race"], values).records()]


@pytest.mark.parametrize("venue", [
    "hkex", "HKEX", "香港交易所", "港交所", "Hong Kong Exchanges and Clearing", "kgr:hkex",
    "https://w3id.org/gpu-kg/id/hkex", "<https://w3id.org/gpu-kg/id/hkex>", "  hkex ",
])
def test_an_entity_is_named_by_id_english_or_chinese_name_alias_or_iri(graph, catalog, venue):
    assert iluvatar_hearing(graph, catalog, venue=venue) == [
        str(KGR["biren-hkex-hearing"]), str(KGR["iluvatar-hkex-hearing"]), str(KGR["iluvatar-hkex-expected-listing"]),
    ]


def test_a_board_is_found_through_its_exchange(graph, catalog):
    assert iluvatar_hearing(graph, catalog, venue="上海证券交易所") == [
        str(KGR["moore-threads-star-listing"]), str(KGR["metax-star-listing"]),
    ]


@pytest.mark.parametrize("metric, expected", [("net-loss", "net loss"), ("净亏损", "net loss"), ("gpu:NetLoss", "net loss"),
                                              ("Revenue", "revenue"), ("营业收入", "revenue")])
def test_a_metric_is_named_by_notation_name_or_iri(graph, metric, expected):
    gpu = str(GPU)
    wanted = URIRef(gpu + ("NetLoss" if expected == "net loss" else "Revenue"))
    assert queries.resolve(graph, metric, GPU.Metric) == wanted


@pytest.mark.parametrize("period", ["2024", "FY2024", "2024年", "period/2024"])
def test_a_period_is_named_by_its_code_or_label(graph, period):
    assert queries.resolve(graph, period, GPU.Period) == KGR["period/2024"]


def test_an_unknown_name_says_so_and_suggests(graph, catalog):
    with pytest.raises(UsageError) as err:
        queries.run(graph, catalog["company-profile"], {"company": "Iluvatr"})
    assert str(err.value) == ("parameter 'company': no organization is called 'Iluvatr'; "
                              "did you mean iluvatar (Iluvatar CoreX / 天数智芯)?")


def test_an_entity_of_the_wrong_kind_is_refused(graph, catalog):
    with pytest.raises(UsageError) as err:
        queries.run(graph, catalog["financial-series"], {"metric": "天数智芯"})
    assert str(err.value) == ("parameter 'metric': '天数智芯' is iluvatar (Iluvatar CoreX / 天数智芯), "
                              "which is a chip designer, not a metric")


def test_an_ambiguous_name_lists_the_candidates():
    graph = new_graph()
    for key in ("apex-a", "apex-b"):
        graph.add((KGR[key], RDF.type, GPU.ChipDesigner))
        graph.add((KGR[key], RDFS.label, Literal("Apex", lang="en")))
    with pytest.raises(UsageError) as err:
        queries.resolve(graph, "apex", GPU.ChipDesigner)
    assert str(err.value) == "'apex' is ambiguous: it names 2 chip designers: apex-a (Apex); apex-b (Apex); give the id"
    assert queries.resolve(graph, "apex-b", GPU.ChipDesigner) == KGR["apex-b"]


def test_a_missing_required_parameter_is_named(graph):
    query = queries.parse_query("SELECT ?f WHERE { ?f <https://w3id.org/gpu-kg/ontology#figureOf> ?_company_iri } ORDER BY ?f")
    with pytest.raises(UsageError) as err:
        queries.run(graph, query)
    assert str(err.value) == ("missing parameter 'company' for the query: give --param company=VALUE "
                              "(a resource: an id, an English or Chinese name, or an IRI)")


def test_an_unknown_parameter_is_named(graph, catalog):
    with pytest.raises(UsageError) as err:
        queries.run(graph, catalog["timeline"], {"form": "2025-01-01"})
    assert str(err.value) == ("unknown parameter 'form' for query 'timeline' (did you mean 'from'?); "
                              "it takes company, from, to")


@pytest.mark.parametrize("name, param, value, message", [
    ("loss-ranking", "top", "two", "'two' is not a whole number"),
    ("loss-ranking", "top", "1.5", "'1.5' is not a whole number"),
    ("figures", "min", "1e9", "'1e9' has an exponent; write the number out, e.g. 100000000"),
    ("figures", "min", "1,5", "'1,5': a comma separates thousands, in groups of three (1,890 or 1,890,000); "
                              "write a decimal point as a full stop (1.5 if the comma is a decimal point)"),
    ("loss-ranking", "top", "9" * 5000, f"'{'9' * 30}…{'9' * 10}' has 5000 digits before the point; a figure has at most 18"),
    ("timeline", "from", "2025-13-01", "'2025-13-01' is not a date that exists"),
    ("timeline", "from", "0000-01-01", "'0000-01-01': 0000 is not a year a fact can be about; write a year from 1000 to 9999"),
    ("timeline", "from", "2025/01/01", "'2025/01/01' is not a date written YYYY-MM-DD"),
    ("company-profile", "lang", "fr", "'fr' is not one of en, zh"),
])
def test_a_mistyped_value_is_a_usage_error_naming_the_parameter(graph, catalog, name, param, value, message):
    with pytest.raises(UsageError) as err:
        queries.run(graph, catalog[name], {param: value})
    assert str(err.value) == f"parameter '{param}': {message}"
    assert err.value.exit_code == 2


def test_typed_values_become_typed_terms(graph, catalog):
    bound = queries.bind(graph, catalog["timeline"], {"from": "2025-12-01", "company": "天数智芯"})
    assert bound == {"__from_xsd_date": Literal("2025-12-01", datatype=XSD.date), "__company_iri": KGR.iluvatar}
    assert queries.bind(graph, catalog["figures"], {"min": "+1000.50"})["__min_xsd_decimal"] == Literal(
        "1000.50", datatype=XSD.decimal)
    assert queries.bind(graph, catalog["loss-ranking"], {"top": "01"})["__top_integer"] == Literal(1)


def test_the_lang_option_fills_a_lang_parameter_not_given_explicitly(graph, catalog):
    assert queries.bind(graph, catalog["supply-chain"], lang="zh")["_lang"] == Literal("zh")
    assert queries.bind(graph, catalog["supply-chain"], {"lang": "en"}, lang="zh")["_lang"] == Literal("en")


def test_parameters_narrow_the_results(graph, catalog):
    loss = queries.run(graph, catalog["loss-ranking"], {"top": "1"}).labelled_records()
    assert [str(r["company"]) for r in loss] == ["Biren Technology"]
    window = queries.run(graph, catalog["timeline"], {"from": "2025-12-01", "to": "2025-12-31"}).records()
    assert [str(r["when"]) for r in window] == ["2025", "2025", "2025-12-05", "2025-12-17", "2025-12-17", "2025-12-19"]
    big = queries.run(graph, catalog["figures"], {"metric": "net-loss", "min": "1000000000"}).records()
    assert [str(r["stated"]) for r in big] == ["15.38亿元", "16亿元"]
    series = queries.run(graph, catalog["financial-series"], {"company": "壁仞科技", "metric": "revenue"}).labelled_records()
    assert [(str(r["period"]), str(r["stated"])) for r in series] == [("FY2022", "49.9万元"), ("FY2024", "3.37亿元")]


INJECTIONS = [
    '"', '\\', ">", "}", '" } UNION { ?s ?p ?o } #', "') . ?x ?y ?z . FILTER('",
    '"))) } } SELECT * WHERE { ?s ?p ?o } #', "天数\" || true || \"", "x\n} UNION {\n?s ?p ?o",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_a_text_value_is_one_literal_that_cannot_change_the_query(graph, catalog, monkeypatch, value):
    import kg.store.oxigraph

    query = catalog["find-entity"]
    text_before = query.text
    sent = []
    original = kg.store.core.substitute

    def spy(text, bindings):
        sent.append((text, dict(bindings), original(text, bindings)))
        return sent[-1][2]

    monkeypatch.setattr(kg.store.oxigraph, "substitute", spy)
    result = queries.run(graph, query, {"text": value}, timeout=0, memory_mb=None)  # here, where the spy is
    everything = queries.run(graph, query, {"text": ""})
    assert set(result.rows) <= set(everything.rows)
    assert result.rows == ()  # no name contains these characters
    text, bindings, engine_text = sent[0]
    assert text == query.text == text_before and bindings["_text"] == Literal(value)
    # What the engine reads is the query with ?_text replaced by one string token, and nothing else.
    terms = {f"?{name}": ("string", kg.store.core.sparql_term(term)) for name, term in bindings.items()}

    def shape(sparql):
        return [(t.kind, t.text) for t in kg.store.core.tokens(sparql) if t.kind not in ("space", "comment")]

    expected = [terms.get(token[1], token) if token[0] == "var" else token for token in shape(text)]
    assert shape(engine_text) == expected


@pytest.mark.parametrize("value", INJECTIONS + ["hkex> } UNION { ?s ?p ?o", "<https://w3id.org/gpu-kg/id/hkex> } #"])
def test_an_entity_value_that_names_nothing_is_refused_before_the_query_runs(graph, catalog, monkeypatch, value):
    monkeypatch.setattr(Graph, "query", lambda *a, **k: pytest.fail("the query ran"))
    with pytest.raises(UsageError) as err:
        queries.run(graph, catalog["listing-race"], {"venue": value})
    assert str(err.value).startswith("parameter 'venue': ")


def test_an_iri_parameter_without_a_class_takes_only_a_well_formed_iri(graph):
    query = queries.parse_query("SELECT ?p WHERE { ?_thing_iri ?p ?o } ORDER BY ?p")
    assert queries.bind(graph, query, {"thing": "http://example.org/x"}) == {"_thing_iri": URIRef("http://example.org/x")}
    for value in ("http://example.org/x> ?p ?o } #", "not an iri", "http://a b"):
        with pytest.raises(UsageError, match="parameter 'thing'"):
            queries.bind(graph, query, {"thing": value})


# --- reading queries: headers, errors with file, line and column ----------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


def test_a_syntax_error_is_reported_with_file_line_and_column(tmp_path):
    path = write(tmp_path, "broken.rq", "#+ summary: Broken\n\nSELECT ?x\nWHERE {\n  ?x ?p ?o\n  FILTER(?x = ) }\n")
    with pytest.raises(InputError) as err:
        queries.load_query(path)
    assert problems(err) == [f"{path}:6:3: SPARQL syntax error near 'FILTER(?x' (Expected SelectQuery)"]
    assert err.value.exit_code == 1


def test_an_unclosed_query_is_reported_at_its_end():
    with pytest.raises(InputError) as err:
        queries.parse_query("SELECT ?x WHERE {\n  ?x ?p ?o\n")
    assert problems(err) == ["<inline query>:3:1: SPARQL syntax error at the end of the text (Expected SelectQuery)"]


def test_an_unknown_prefix_is_reported_where_it_is_used(tmp_path):
    path = write(tmp_path, "prefix.rq", "# uses foo: below\nSELECT ?x WHERE {\n  ?x foo:bar ?y }\nORDER BY ?x\n")
    with pytest.raises(InputError) as err:
        queries.load_query(path)
    assert problems(err)[0].startswith(f"{path}:3:6: cannot read the query: unknown prefix 'foo:'; declare it with PREFIX")


def test_a_header_yaml_error_is_reported_at_its_line(tmp_path):
    path = write(tmp_path, "header.rq", "#+ summary: fine\n#+ params:\n#+   x: [unclosed\nSELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x\n")
    with pytest.raises(InputError) as err:
        queries.load_query(path)
    assert problems(err) == [f"{path}:3:9: invalid header YAML: expected ',' or ']', but got the end of the header "
                             "(while parsing a flow sequence)"]


def test_header_mistakes_are_all_reported_at_their_lines(tmp_path):
    path = write(tmp_path, "mistakes.rq", "\n".join([
        "#+ summary: Mistakes",
        "#+ descripton: typo",
        "#+ params:",
        "#+   company:",
        "#+     type: entity",
        "#+     description: the company",
        "#+   other:",
        "#+     type: string",
        "#+     description: not used",
        "#+ defaults:",
        "#+   - company: iluvatar",
        "SELECT ?f WHERE { ?f ?p ?_company } ORDER BY ?f",
        "",
    ]))
    with pytest.raises(InputError) as err:
        queries.load_query(path, saved=True)
    assert problems(err) == [
        f"{path}:1:1: a saved query needs a `#+ description:` line",
        f"{path}:2:4: unknown header key 'descripton' (did you mean 'description'?)",
        f"{path}:5:14: parameter 'company': unknown type 'entity'; choose one of iri, string, integer, decimal, date, language",
        f"{path}:7:6: parameter 'other' is declared but the query has no ?_other variable",
    ]


def test_a_declared_type_must_match_the_variable_grlc_reads(tmp_path):
    path = write(tmp_path, "typed.rq", "#+ params:\n#+   top:\n#+     type: integer\n"
                                       "SELECT ?f WHERE { ?f ?p ?_top } ORDER BY ?f\n")
    with pytest.raises(InputError) as err:
        queries.load_query(path)
    assert problems(err) == [
        f"{path}:3:8: parameter 'top' has type integer, so grlc needs its variable to be ?_top_integer, not ?_top"]


def test_an_inline_query_takes_its_parameters_from_its_variables(graph):
    query = queries.parse_query("SELECT ?n WHERE { ?_who_iri <http://www.w3.org/2000/01/rdf-schema#label> ?n "
                                "FILTER(LANG(?n) = ?_lang) } ORDER BY ?n")
    assert [(p.name, p.type, p.required) for p in query.params] == [("lang", "language", True), ("who", "iri", True)]
    assert [str(r["n"]) for r in queries.run(graph, query, {"who": "天数智芯"}, lang="zh").records()] == ["天数智芯"]


def test_a_query_is_found_by_name_file_or_text(tmp_path):
    assert queries.find_query("listing-race").name == "listing-race"
    path = write(tmp_path, "mine.rq", "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 1\n")
    assert queries.find_query(str(path)).name == "mine"
    assert queries.parsed(queries.find_query("ASK { ?s ?p ?o }")).form == "ask"  # read in full where it runs
    with pytest.raises(UsageError, match=r"no saved query called 'listing-rac'; did you mean 'listing-race'\?"):
        queries.find_query("listing-rac")
    with pytest.raises(UsageError, match="no such query file"):
        queries.find_query(str(tmp_path / "missing.rq"))


# --- read-only, local, and time-limited by default ------------------------------------------


def test_an_update_is_refused_unless_allowed(graph):
    update = queries.parse_query('INSERT DATA { <http://example.org/a> <http://example.org/b> "c" }')
    assert update.form == "update"
    with pytest.raises(UsageError, match="SPARQL UPDATE, which changes the graph; .* --allow-update"):
        queries.run(graph, update)
    copy = Graph()
    for triple in graph:
        copy.add(triple)
    result = queries.run(copy, update, allow_update=True)
    assert result.records() == [{"added": Literal(1), "removed": Literal(0)}]
    assert len(copy) == len(graph) + 1


@pytest.mark.parametrize("text, kind", [
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
    ("SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://example.org/sparql> { ?s ?p ?o } } }", "SERVICE"),
    ("SELECT * FROM <http://example.org/data.ttl> WHERE { ?s ?p ?o }", "FROM"),
    ("LOAD <http://example.org/data.ttl>", "LOAD"),
])
def test_fetching_over_the_network_is_refused_unless_allowed(graph, monkeypatch, text, kind):
    monkeypatch.setattr(Graph, "query", lambda *a, **k: pytest.fail("the query ran"))
    monkeypatch.setattr(Graph, "update", lambda *a, **k: pytest.fail("the update ran"))
    with pytest.raises(UsageError, match=f"uses {kind}, which fetches data over the network; pass --allow-service"):
        queries.run(graph, queries.parse_query(text), allow_update=True)


def test_a_runaway_query_is_stopped_and_says_so(graph):
    runaway = queries.parse_query("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }")
    started = time.monotonic()
    with pytest.raises(queries.QueryTimeout) as err:
        queries.run(graph, runaway, timeout=0.2)
    assert time.monotonic() - started < 10
    assert str(err.value) == ("the query was stopped after 0.2 seconds (--timeout); "
                              "narrow it down, or give a longer --timeout (0 for none)")
    assert isinstance(err.value, KgError) and err.value.exit_code == 2
    assert queries.run(graph, queries.parse_query("ASK { ?s ?p ?o }"), timeout=5).boolean is True


def test_an_engine_error_is_reported_not_raised_as_a_traceback(graph):
    # Allowed, a SERVICE is fetched; nothing listens on this loopback port, so Oxigraph fails.
    unreachable = queries.parse_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    with pytest.raises(KgError, match="port 9 is not allowed"):
        queries.run(graph, unreachable, allow_service=True)


# --- writing every result ------------------------------------------------------------------


def test_write_all_writes_csv_and_json_for_every_query(graph, tmp_path):
    folder = tmp_path / "catalog"
    folder.mkdir()
    for name in ("investors", "derived-revenue-cagr"):
        (folder / f"{name}.rq").write_text((queries.catalog_dir() / f"{name}.rq").read_text("utf-8"), "utf-8")
    written = queries.write_all(graph, tmp_path / "out", folder)
    assert sorted(p.name for p in written) == [
        "derived-revenue-cagr.csv", "derived-revenue-cagr.json", "investors.csv", "investors.json"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in written)
    rows = list(csv.reader(io.StringIO((tmp_path / "out" / "investors.csv").read_text("utf-8"), newline="")))
    assert rows[0] == ["investor", "investor_label", "company", "company_label", "role", "role_label", "round", "date",
                       "stake_pct", "fact"]
    assert rows[1] == ["https://w3id.org/gpu-kg/id/quzhou-zhizao", "Quzhou Zhizao", "https://w3id.org/gpu-kg/id/iluvatar",
                       "Iluvatar CoreX", "https://w3id.org/gpu-kg/ontology#investor", "investor", "D+", "2025", "",
                       "https://w3id.org/gpu-kg/id/iluvatar-series-d-plus"]
    data = json.loads((tmp_path / "out" / "derived-revenue-cagr.json").read_text("utf-8"))
    assert data["results"]["bindings"][0]["stated_cagr_pct"] == {
        "type": "literal", "value": "68.8", "datatype": str(XSD.decimal)}


def test_write_all_writes_nothing_when_a_query_fails(graph, tmp_path):
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "fine.rq").write_text((queries.catalog_dir() / "investors.rq").read_text("utf-8"), "utf-8")
    (folder / "slow.rq").write_text((queries.catalog_dir() / "investors.rq").read_text("utf-8").replace(
        "WHERE {", "WHERE {\n  ?a1 ?b1 ?c1 . ?a2 ?b2 ?c2 . FILTER(CONCAT(STR(?a1), STR(?a2)) = \"x\")", 1), "utf-8")
    with pytest.raises(queries.QueryTimeout):
        queries.write_all(graph, tmp_path / "out", folder, timeout=0.2)
    assert not (tmp_path / "out").exists()


# --- output formats --------------------------------------------------------------------------

SAMPLE = Result(
    ("name", "amount", "note"),
    (
        (Literal("天数智芯", lang="zh"), Literal("189000000.0", datatype=XSD.decimal), Literal('says "hi", then\nmore')),
        (URIRef("https://w3id.org/gpu-kg/id/iluvatar"), Literal(22), None),
        (Literal("a|b"), Literal("2025", datatype=XSD.gYear), Literal("tab\there")),
    ),
)


def test_csv_follows_the_w3c_format_and_reads_back():
    text = render(SAMPLE, "csv")
    assert text == (
        "name,amount,note\r\n"
        '天数智芯,189000000.0,"says ""hi"", then\nmore"\r\n'
        "https://w3id.org/gpu-kg/id/iluvatar,22,\r\n"
        "a|b,2025,tab\there\r\n"
    )
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["name", "amount", "note"], ["天数智芯", "189000000.0", 'says "hi", then\nmore'],
        ["https://w3id.org/gpu-kg/id/iluvatar", "22", ""], ["a|b", "2025", "tab\there"],
    ]


def test_tsv_keeps_every_term_in_turtle_syntax():
    assert render(SAMPLE, "tsv") == (
        "?name\t?amount\t?note\n"
        '"天数智芯"@zh\t189000000.0\t"says \\"hi\\", then\\nmore"\n'
        "<https://w3id.org/gpu-kg/id/iluvatar>\t22\t\n"
        '"a|b"\t"2025"^^<http://www.w3.org/2001/XMLSchema#gYear>\t"tab\\there"\n'
    )
    assert turtle_term(Literal("540000000", datatype=XSD.decimal)) == '"540000000"^^<http://www.w3.org/2001/XMLSchema#decimal>'


def test_json_follows_the_w3c_format():
    data = json.loads(render(SAMPLE, "json"))
    assert data["head"] == {"vars": ["name", "amount", "note"]}
    assert data["results"]["bindings"][0] == {
        "name": {"type": "literal", "value": "天数智芯", "xml:lang": "zh"},
        "amount": {"type": "literal", "value": "189000000.0", "datatype": str(XSD.decimal)},
        "note": {"type": "literal", "value": 'says "hi", then\nmore'},
    }
    assert data["results"]["bindings"][1] == {
        "name": {"type": "uri", "value": "https://w3id.org/gpu-kg/id/iluvatar"},
        "amount": {"type": "literal", "value": "22", "datatype": str(XSD.integer)},
    }
    assert json.loads(render(Result(boolean=True), "json")) == {"head": {}, "boolean": True}


def test_the_table_aligns_chinese_text_and_right_aligns_numbers():
    assert render(SAMPLE, "table", prefixes=PREFIX_TEXT) == (
        "name          amount       note\n"
        "------------  -----------  --------------------\n"
        '天数智芯      189000000.0  says "hi", then more\n'
        "kgr:iluvatar  22\n"
        "a|b           2025         tab here\n"
        "(3 rows)\n"
    )
    numbers = Result(("company", "revenue"), ((Literal("天数智芯"), Literal(189)), (Literal("Biren"), Literal(3370))))
    assert render(numbers, "table") == (
        "company   revenue\n"
        "--------  -------\n"
        "天数智芯      189\n"
        "Biren        3370\n"
        "(2 rows)\n"
    )
    assert display_width("天数智芯 CoreX") == 14


def test_markdown_escapes_pipes():
    assert render(SAMPLE, "md", prefixes=PREFIX_TEXT) == (
        "| name | amount | note |\n"
        "| --- | --- | --- |\n"
        '| 天数智芯 | 189000000.0 | says "hi", then more |\n'
        "| kgr:iluvatar | 22 |  |\n"
        "| a\\|b | 2025 | tab here |\n"
    )


@pytest.mark.parametrize("name, path, terminal, expected", [
    ("md", None, False, "md"), (None, "out/x.csv", False, "csv"), (None, "x.TSV", True, "tsv"),
    (None, "x.json", False, "json"), (None, "x.srj", False, "json"), (None, "x.md", False, "md"),
    (None, None, True, "table"), (None, None, False, "csv"),
])
def test_the_format_comes_from_its_name_or_the_file_suffix(name, path, terminal, expected):
    assert format_for(name, path, terminal=terminal) == expected


def test_an_unknown_format_or_suffix_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown format 'xls'; choose one of table, csv, tsv, json, md"):
        format_for("xls", None)
    with pytest.raises(UsageError, match=r"cannot tell the format of 'x.docx' from its suffix; give --format"):
        format_for(None, "x.docx")


def test_the_documentation_lists_every_saved_query_with_its_title(catalog):
    docs = (Path(__file__).parent.parent / "docs" / "queries.md").read_text("utf-8")
    missing = [name for name, query in catalog.items()
               if f"[`{name}`](../queries/{name}.rq) | {query.title} |" not in docs]
    assert missing == []


# --- answers a person reads at a glance, on the live facts ------------------------------------------


@pytest.fixture(scope="module")
def live_graph():
    from conftest import LIVE_FACTS

    return kg.load_graph(LIVE_FACTS)


@pytest.fixture(scope="module")
def frozen_graph():
    """The shipped facts as they were when these tests were written (tests/fixtures/facts): adding a
    correct fact to facts/ never changes their rows."""
    from conftest import DOC_FACTS

    return kg.load_graph(DOC_FACTS)


def test_investors_include_cornerstone_investors_and_holders_of_stakes(frozen_graph):
    live_graph = frozen_graph
    ping_an = queries.run(live_graph, queries.find_query("investors"), {"investor": "平安人寿"}).labelled_records()
    assert [(str(r["company"]), str(r["role"]), str(r["date"])) for r in ping_an] == [
        ("Biren Technology", "cornerstone investor", "2025-12-23")]
    hongshan = queries.run(live_graph, queries.find_query("investors"), {"investor": "红杉"}).labelled_records()
    assert [(str(r["company"]), str(r["role"]), str(r["stake_pct"])) for r in hongshan] == [
        ("Moore Threads", "holder", "4.78")]


def test_funding_rounds_name_their_investors_in_the_language_asked_for(frozen_graph):
    live_graph = frozen_graph
    query = queries.find_query("funding-rounds")
    english = {str(r["round"]): str(r["investors"]) for r in queries.run(live_graph, query).records() if "investors" in r}
    assert english == {"D+": "Quzhou Zhizao; Xingnahe Capital"}
    chinese = {str(r["round"]): str(r["investors"]) for r in queries.run(live_graph, query, lang="zh").records()
               if "investors" in r}
    assert chinese == {"D+": "星纳赫资本; 衢州智造"}


def test_no_sources_cell_names_a_source_twice(live_graph, catalog):
    for name, query in catalog.items():
        result = queries.run(live_graph, query)
        if "sources" not in result.variables:
            continue
        for cell in result.column("sources"):
            if cell is not None and ";" not in str(cell):
                words = str(cell).split()
                assert len(words) == len(set(words)), (name, str(cell))


def test_every_saved_query_writes_the_same_csv_bytes_in_memory_and_on_disk(live_graph, catalog, tmp_path):
    """The items of a GROUP_CONCAT come in the engine's order; the runner sorts them, so the stores agree byte for byte."""
    from kg.store.oxigraph import DiskStore, MemoryStore

    disk = DiskStore(tmp_path / "store")
    disk.replace(live_graph)
    memory = MemoryStore(live_graph)
    for name, query in catalog.items():
        assert render(queries.run(memory, query).with_label_columns(), "csv") == \
            render(queries.run(disk, query).with_label_columns(), "csv"), name
    listing = queries.run(disk, catalog["listing-race"])
    cells = [str(c).split(" ") for c in listing.column("event_sources") if c is not None]
    assert any(len(items) > 1 for items in cells), "the live facts have steps reported by several sources"
    assert all(items == sorted(items) for items in cells)


def test_a_group_concat_is_read_with_its_separator():
    query = queries.parse_query('SELECT ?x (GROUP_CONCAT(?n; separator="; ") AS ?names) '
                                '(GROUP_CONCAT(DISTINCT ?n) AS ?plain) WHERE { VALUES ?n { "b" "a" } } GROUP BY ?x')
    assert query.lists == (("names", "; ", False), ("plain", " ", True))
    block = Result(("names", "plain"), ((Literal("b; a; b"), Literal("b a b")),))
    assert queries.sorted_lists(block, query.lists).rows == ((Literal("a; b; b"), Literal("a b")),), \
        "sorted; a DISTINCT list names each item once"
