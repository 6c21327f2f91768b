"""What a result page offers beside its rows (kg.web.browse), on small results made by hand."""

from __future__ import annotations

import urllib.parse

import pytest
from rdflib import Literal, URIRef, namespace

from kg.base.errors import UsageError
from kg.query.results import Result
from kg.web import browse

ID = "https://w3id.org/gpu-kg/id/"
BIREN, MOORE, SMIC = URIRef(ID + "biren"), URIRef(ID + "moore-threads"), URIRef(ID + "smic")
REVENUE, LOSS = URIRef("https://w3id.org/gpu-kg/ontology#Revenue"), URIRef("https://w3id.org/gpu-kg/ontology#NetLoss")
LABELS = {BIREN: Literal("Biren Technology", lang="en"), MOORE: Literal("Moore Threads", lang="en"),
          SMIC: Literal("SMIC", lang="en"), REVENUE: Literal("revenue", lang="en"), LOSS: Literal("net loss", lang="en")}


def amount(text: str) -> Literal:
    return Literal(text, datatype=namespace.XSD.decimal)


FIGURES = Result(("entity", "metric", "period", "value", "fact"), (
    (BIREN, REVENUE, Literal("FY2023"), amount("62000000"), URIRef(ID + "f1")),
    (BIREN, LOSS, Literal("FY2023"), amount("1700000000"), URIRef(ID + "f2")),
    (MOORE, REVENUE, Literal("FY2023"), amount("124000000"), URIRef(ID + "f3")),
    (MOORE, REVENUE, Literal("FY2024"), amount("438000000"), URIRef(ID + "f4")),
), labels=LABELS)


def test_a_filter_keeps_rows_by_value_or_label_and_a_column_choice_keeps_their_order():
    asked = browse.narrowing([("metric__exact", str(REVENUE)), ("entity__contains", "moore"), ("_col", "period,value")])
    assert asked.filters == (("metric", "exact", str(REVENUE)), ("entity", "contains", "moore"))
    got = browse.narrowed(FIGURES, asked)
    assert got.variables == ("period", "value") and [str(r[1]) for r in got.rows] == ["124000000", "438000000"]
    by_label = browse.narrowed(FIGURES, browse.narrowing([("metric__exact", "Revenue")]))
    assert len(by_label.rows) == 3, "an entity is found by its label too, in either case"
    assert browse.narrowed(FIGURES, browse.narrowing([("entity__contains", "  ")])) is FIGURES, "a blank box is no filter"


def test_a_filter_or_a_column_that_the_result_lacks_is_an_error_naming_the_columns():
    with pytest.raises(UsageError, match=r"^metrc__exact: no column 'metrc' \(did you mean 'metric'\?\); the columns are entity, metric"):
        browse.narrowed(FIGURES, browse.narrowing([("metrc__exact", "x")]))
    with pytest.raises(UsageError, match="^_col: no column 'colour'"):
        browse.narrowed(FIGURES, browse.narrowing([("_col", "colour")]))


def test_facets_count_values_most_frequent_first_and_link_to_the_filtered_page():
    params = [("lang", "en")]
    found = {f.column: f for f in browse.facets(FIGURES, browse.Narrowing(), "/queries/figures", params)}
    assert set(found) == {"entity", "metric", "period"}, "no facet of a fact's id or of amounts"
    metric = found["metric"]
    assert [(v.text, v.count) for v in metric.values] == [("revenue", 3), ("net loss", 1)]
    query = urllib.parse.parse_qsl(urllib.parse.urlsplit(metric.values[0].href).query)
    assert query == [("lang", "en"), ("metric__exact", str(REVENUE))]
    on = browse.narrowing(query)
    again = {f.column: f for f in browse.facets(browse.narrowed(FIGURES, on), on, "/queries/figures", query)}
    assert again["metric"].values[0].selected and again["metric"].values[0].href == "/queries/figures?lang=en"


def test_a_result_shows_as_what_its_columns_allow():
    assert browse.views_of(FIGURES) == ("table", "chart", "graph")
    dated = Result(("company", "date"), ((BIREN, Literal("2025-12-17", datatype=namespace.XSD.date)),), labels=LABELS)
    assert browse.views_of(dated) == ("table", "timeline")
    assert browse.views_of(Result(("company",), ((BIREN,),))) == ("table",)
    assert browse.views_of(Result(boolean=True)) == ("table",)
    with pytest.raises(UsageError, match="cannot be shown as a graph"):
        browse.drawing(dated, "graph", title="t")


def test_a_chart_has_a_bar_per_row_named_by_its_entity_and_split_by_its_other_names():
    drawn = browse.drawing(FIGURES, "chart", title="Figures")
    spec = drawn["spec"]
    assert spec["mark"]["type"] == "bar" and spec["title"] == "Figures"
    assert [(d["x"], d["group"], d["y"]) for d in spec["data"]["values"]] == [
        ("Biren Technology", "revenue", 62000000.0), ("Biren Technology", "net loss", 1700000000.0),
        ("Moore Threads", "revenue", 124000000.0), ("Moore Threads", "revenue", 438000000.0)]
    assert spec["data"]["values"][0]["href"] == "/entity?iri=" + urllib.parse.quote(str(BIREN), safe="")


def test_a_graph_links_the_entities_of_each_row_and_leaves_out_fact_ids():
    drawn = browse.drawing(FIGURES, "graph", title="Figures", headings={"metric": "指标"})
    assert {n["label"] for n in drawn["nodes"]} == {"Biren Technology", "Moore Threads", "revenue", "net loss"}
    assert sorted((e["from"], e["to"], e["label"]) for e in drawn["edges"]) == sorted([
        (str(BIREN), str(REVENUE), "指标"), (str(BIREN), str(LOSS), "指标"), (str(MOORE), str(REVENUE), "指标")])


def test_a_chart_of_values_in_several_units_says_so():
    mixed = Result(("entity", "value", "unit"), ((BIREN, amount("1"), URIRef(ID + "CNY")), (MOORE, amount("2"), URIRef(ID + "percent"))))
    assert browse.drawing(mixed, "chart", title="t")["note"] == (
        "These values are in 2 units (kgr:CNY, kgr:percent): keep one (under unit) to compare like with like.")
    assert "note" not in browse.drawing(FIGURES, "chart", title="t")


def test_a_column_that_lists_items_counts_each_item_and_filters_by_one():
    cited = Result(("entity", "sources"), ((BIREN, Literal("article cnfol")), (MOORE, Literal("article")),
                                           (SMIC, Literal("cnfol"))), labels=LABELS)
    lists = {"sources": " "}
    (facet,) = [f for f in browse.facets(cited, browse.Narrowing(), "/q", [], lists=lists) if f.column == "sources"]
    assert [(v.text, v.count) for v in facet.values] == [("article", 2), ("cnfol", 2)]
    assert facet.values[1].href == "/q?sources__has=cnfol"
    kept = browse.narrowed(cited, browse.narrowing([("sources__has", "cnfol")]), lists)
    assert [row[0] for row in kept.rows] == [BIREN, SMIC]
    assert browse.narrowed(cited, browse.narrowing([("sources__has", "cnf")]), lists).rows == (), "an item, not a part"


def test_the_filter_form_carries_what_its_boxes_do_not():
    params = [("lang", "en"), ("entity__contains", "bi"), ("period__contains", "FY"), ("_col", "entity"),
              ("offset", "100")]
    asked = browse.narrowing(params)
    rows = browse.narrowed(FIGURES, browse.Narrowing(asked.filters))
    shown = browse.narrowed(rows, browse.Narrowing((), asked.columns))
    chooser = browse.Chooser.of("/q", params, rows, shown, asked, browse.views_of(shown), "table")
    assert chooser.contains == {"entity": "bi", "period": "FY"}
    assert chooser.hidden_for_filters == (("lang", "en"), ("period__contains", "FY"), ("_col", "entity"))
    assert chooser.hidden_for_columns == (("lang", "en"), ("entity__contains", "bi"), ("period__contains", "FY"))
    assert [c for c in chooser.columns if c[2]] == [("entity", "entity", True)]
