"""What real news says, reconciled without forcing true statements into conflicts.

A forecast and the final figure, an offering before and after it was resized, two tranches, a
source's own currency conversion, a span and the "as of" day that ends it; one best statement per
figure however many sources agree; the graph as known on a day; what each newer source changed.
Each test writes a small fact folder (tests/test_many_sources.py's base fixture and second source).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from click.testing import CliRunner
from rdflib import RDF, Namespace

import kg
from kg.base.ontology import GPU, KGR
from kg.cli import main
from kg.query import catalog as queries

from test_many_sources import figure, folder, is_best, validate

METRIC = Namespace(str(GPU._NS))  # metrics are individuals of the ontology, not terms of the GPU namespace

LATER_SOURCE = """
sources:
  - id: later
    kind: article
    title: {zh: 后来的报道, en: A later report}
    publisher: wire-agency
    published: 2026-01-08
    url: https://example.org/wire/2
    language: zh
"""


def with_later_source(root):
    (root / "later.yaml").write_text(LATER_SOURCE, encoding="utf-8")
    return root


def figure_node(key: str):
    return KGR["figure/" + key]


def no_warnings(root) -> None:
    result = validate(root, "--strict")
    assert result.exit_code == 0, result.output + (result.stderr or "")
    assert "warning" not in (result.stderr or "")


# --- one best statement per figure --------------------------------------------------------

def test_sources_that_agree_give_one_best_statement_naming_them_all(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "revenue", "2022", "1.89亿元", "article")
                  + figure("iluvatar", "revenue", "2022", "1.89亿元", "wire"))
    graph = kg.load_graph(root)
    assert is_best(graph, "iluvatar/revenue/2022/article")
    assert not is_best(graph, "iluvatar/revenue/2022/wire")
    assert (figure_node("iluvatar/revenue/2022/article"), GPU.confirmedBy, KGR["wire"]) in graph
    assert (figure_node("iluvatar/revenue/2022/wire"), GPU.agreesWith, figure_node("iluvatar/revenue/2022/article")) in graph


def test_a_sum_over_best_values_counts_an_agreed_figure_once(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "revenue", "2022", "1.89亿元", "article")
                  + figure("iluvatar", "revenue", "2022", "1.89亿元", "wire")
                  + figure("iluvatar", "revenue", "2023", "2.89亿元", "wire"))
    total = kg.load_graph(root).query("""
        SELECT (SUM(?v) AS ?total) WHERE {
          ?f a gpu:BestRank ; gpu:figureOf kgr:iluvatar ; gpu:metric gpu:Revenue ; gpu:value ?v }""")
    assert [row.total.toPython() for row in total] == [Decimal("478000000")]


def test_the_saved_figures_query_names_every_source_of_a_best_value(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "net-loss", "2025H1", "16亿元", "article")
                  + figure("iluvatar", "net-loss", "2025H1", "16.01亿元", "wire"))
    result = CliRunner().invoke(main, ["query", "figures", "--facts", str(root), "-p", "metric=net-loss",
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["results"]["bindings"]
    assert [(row["stated"]["value"], row["sources"]["value"]) for row in rows] == [("16.01亿元", "article wire")]


# --- different measures are not conflicts --------------------------------------------------

def test_a_forecast_and_the_final_figure_are_both_true(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "gross-proceeds", "2026-01-08", "48.5亿港元", "article", "\n    circumstance: forecast")
                  + figure("iluvatar", "gross-proceeds", "2026-01-08", "55.83亿港元", "wire"))
    no_warnings(root)
    graph = kg.load_graph(root)
    assert is_best(graph, "iluvatar/gross-proceeds/2026-01-08/forecast/article")
    assert is_best(graph, "iluvatar/gross-proceeds/2026-01-08/wire")
    assert (figure_node("iluvatar/gross-proceeds/2026-01-08/forecast/article"), GPU.circumstance, GPU.Forecast) in graph


def test_an_offering_before_and_after_it_was_resized_are_two_measures(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "shares-offered", "2026-01-08", "2543.2万股", "article", "\n    stage: initial")
                  + figure("iluvatar", "shares-offered", "2026-01-08", "2924.68万股", "wire", "\n    stage: final"))
    no_warnings(root)


def test_two_tranches_of_one_offering_are_two_measures(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "oversubscription", "2026-01-08", "414.24倍", "wire", "\n    tranche: public-offer")
                  + figure("iluvatar", "oversubscription", "2026-01-08", "10.6倍", "wire", "\n    tranche: international-offer"))
    no_warnings(root)
    assert validate(folder(tmp_path / "wrong", "figures:" + figure(
        "iluvatar", "oversubscription", "2026-01-08", "10.6倍", "wire", "\n    tranche: retail"))).exit_code == 1


def test_a_sources_own_conversion_is_one_statement_with_two_amounts(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "market-cap", "2026-01-08", "HK$85.5 billion", "wire",
                           "\n    basis: close\n    converted: US$11 billion")
                  + figure("iluvatar", "market-cap", "2026-01-08", "855亿港元", "article", "\n    basis: close"))
    no_warnings(root)
    graph = kg.load_graph(root)
    node = figure_node("iluvatar/market-cap/2026-01-08/close/wire")
    conversion = graph.value(node, GPU.conversion)
    assert (node, GPU.unit, GPU.HKD) in graph and (conversion, GPU.convertedUnit, GPU.USD) in graph
    assert graph.value(conversion, GPU.convertedValue).toPython() == Decimal("11000000000")
    same = folder(tmp_path / "same", "figures:" + figure("iluvatar", "market-cap", "2026-01-08", "HK$85.5 billion",
                                                         "wire", "\n    basis: close\n    converted: 855亿港元"))
    assert "converts into HKD, the figure's own currency; give the other currency" in validate(same).stderr


def test_a_span_and_the_as_of_day_that_ends_it_are_compared(tmp_path):
    agree = folder(tmp_path, "figures:"
                   + figure("iluvatar", "cumulative-net-loss", "2022/2025H1", "近29亿元", "article")
                   + figure("iluvatar", "cumulative-net-loss", "2025-06-30", "28.5亿元", "wire"))
    no_warnings(agree)
    clash = folder(tmp_path / "clash", "figures:"
                   + figure("iluvatar", "cumulative-net-loss", "2022/2025H1", "近29亿元", "article")
                   + figure("iluvatar", "cumulative-net-loss", "2025-06-30", "25亿元", "wire"))
    assert "conflicts with 近29亿元" in validate(clash).stderr


def test_spans_with_different_starts_are_different_totals(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "cumulative-net-loss", "2022/2025H1", "28亿元", "article")
                  + figure("iluvatar", "cumulative-net-loss", "2023/2025H1", "22亿元", "wire"))
    no_warnings(root)


def test_a_difference_at_the_last_written_digit_is_a_conflict(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "revenue", "2024", "14.74亿元", "article")
                  + figure("iluvatar", "revenue", "2024", "14.75亿元", "wire"))
    assert "conflicts with 14.74亿元" in validate(root).stderr


def test_an_entity_cannot_carry_a_cited_source(tmp_path):
    root = folder(tmp_path, """
        sources:
          - id: frost
            kind: report
            title: {zh: 报告, en: Report}
        organizations:
          - id: iluvatar
            source: wire
            locator: profile paragraph
            cites: [frost]
        """)
    result = validate(root)
    assert result.exit_code == 1
    assert "organizations.cites: a cited source supports a statement or a figure, not a whole entity" in result.stderr


# --- the graph as known on a day ---------------------------------------------------------

def test_as_of_a_day_only_sources_published_by_then_count_and_best_values_are_recomputed(tmp_path):
    root = with_later_source(folder(tmp_path, "figures:"
                                    + figure("iluvatar", "net-loss", "2025H1", "16亿元", "wire")
                                    + figure("iluvatar", "net-loss", "2025H1", "16.01亿元", "later")
                                    + figure("iluvatar", "revenue", "2025H1", "3.24亿元", "later")))
    then = kg.check_facts(kg.load_facts(root, as_of=dt.date(2025, 12, 31)))
    now = kg.load_graph(root)
    assert is_best(then, "iluvatar/net-loss/2025H1/wire")
    assert (figure_node("iluvatar/net-loss/2025H1/later"), RDF.type, GPU.Figure) not in then
    assert (None, GPU.metric, METRIC.Revenue) not in then
    assert is_best(now, "iluvatar/net-loss/2025H1/later") and not is_best(now, "iluvatar/net-loss/2025H1/wire")


def test_as_of_on_the_command_line(tmp_path):
    root = with_later_source(folder(tmp_path, "figures:"
                                    + figure("iluvatar", "revenue", "2025H1", "3.24亿元", "later")))
    args = ["query", "figures", "--facts", str(root), "-p", "metric=revenue", "--format", "csv"]
    assert "3.24亿元" in CliRunner().invoke(main, args).stdout
    then = CliRunner().invoke(main, [*args, "--as-of", "2026-01-07"])
    assert then.exit_code == 0 and "3.24亿元" not in then.stdout
    assert "3.24亿元" in CliRunner().invoke(main, [*args, "--as-of", "2026-01-08"]).stdout
    refused = CliRunner().invoke(main, [*args, "--as-of", "2026-01-08", "--store", "oxigraph:elsewhere"])
    assert refused.exit_code == 2 and "--as-of" in refused.stderr


def test_a_source_known_only_to_be_after_a_day_counts_from_the_day_after(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "revenue", "2025H1", "3.24亿元", "wire"))
    sources = root / "wire.yaml"
    sources.write_text(sources.read_text(encoding="utf-8").replace("published: 2025-12-23", "published_after: 2025-12-19"),
                       encoding="utf-8")
    assert (None, GPU.metric, METRIC.Revenue) not in kg.check_facts(kg.load_facts(root, as_of=dt.date(2025, 12, 19)))
    assert (None, GPU.metric, METRIC.Revenue) in kg.check_facts(kg.load_facts(root, as_of=dt.date(2025, 12, 20)))


# --- what each newer source changed ----------------------------------------------------------

def test_changes_says_what_each_newer_source_added_moved_and_confirmed(tmp_path):
    root = with_later_source(folder(tmp_path, "figures:"
                                    + figure("iluvatar", "net-loss", "2025H1", "16亿元", "wire")
                                    + figure("iluvatar", "net-loss", "2025H1", "16.01亿元", "later")
                                    + figure("iluvatar", "revenue", "2024", "5.40亿元", "wire")
                                    + figure("iluvatar", "revenue", "2024", "5.40亿元", "later")))
    text = CliRunner().invoke(main, ["changes", "--since", "2025-12-31", "--facts", str(root)])
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith("2026-01-08  later  A later report\n  added: 2 figures\n")
    assert "Iluvatar CoreX net-loss 2025H1: 16亿元 -> 16.01亿元" in text.stdout
    assert "Iluvatar CoreX revenue 2024: 5.40亿元 agrees with 5.40亿元 from wire" in text.stdout
    as_json = json.loads(CliRunner().invoke(main, ["changes", "--since", "2025-12-31", "--facts", str(root),
                                                    "--format", "json"]).stdout)
    assert [change["source"] for change in as_json] == ["later"]
    nothing = CliRunner().invoke(main, ["changes", "--since", "2026-01-08", "--facts", str(root)])
    assert nothing.exit_code == 0 and "later" not in nothing.stdout


def test_a_number_the_source_calls_rounded_agrees_with_the_same_number(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "net-profit", "2025Q3", "5.7亿元", "article")
                  + figure("iluvatar", "net-profit", "2025Q3", "5.7亿元", "wire", "\n    approximation: rounded"))
    no_warnings(root)


def test_forecasts_by_different_forecasters_are_different_measures(tmp_path):
    broker = """
organizations:
  - id: broker
    roles: [securities-firm]
    name: {zh: 券商, en: Broker}
    source: wire
    locator: fourth paragraph
"""
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "net-profit", "2025", "[18.5亿元, 21.5亿元]", "article",
                           "\n    circumstance: forecast").replace("value: [", "between: [")
                  + figure("iluvatar", "net-profit", "2025", "16.8亿元", "wire",
                           "\n    circumstance: forecast\n    said_by: broker"))
    (root / "broker.yaml").write_text(broker, encoding="utf-8")
    no_warnings(root)
    same_forecaster = folder(tmp_path / "same", "figures:"
                             + figure("iluvatar", "net-profit", "2025", "[18.5亿元, 21.5亿元]", "article",
                                      "\n    circumstance: forecast").replace("value: [", "between: [")
                             + figure("iluvatar", "net-profit", "2025", "16.8亿元", "wire",
                                      "\n    circumstance: forecast\n    said_by: iluvatar"))
    assert "conflicts with 18.5亿元–21.5亿元" in validate(same_forecaster).stderr


def test_two_figures_that_leave_their_basis_unstated_are_not_a_conflict(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "first-day-gain", "2025-12-05", "468.8%", "article", "\n    basis: not-stated")
                  + figure("iluvatar", "first-day-gain", "2025-12-05", "425%", "wire", "\n    basis: not-stated"))
    no_warnings(root)
    graph = kg.load_graph(root)
    assert is_best(graph, "iluvatar/first-day-gain/2025-12-05/not-stated/article")
    assert is_best(graph, "iluvatar/first-day-gain/2025-12-05/not-stated/wire")
    assert (None, GPU.conflictsWith, None) not in graph
    stated = folder(tmp_path / "stated", "figures:"
                    + figure("iluvatar", "first-day-gain", "2025-12-05", "468.8%", "article", "\n    basis: close")
                    + figure("iluvatar", "first-day-gain", "2025-12-05", "425%", "wire", "\n    basis: close"))
    assert "conflicts with 468.8%" in validate(stated).stderr


def test_the_listing_race_puts_each_sources_unstated_basis_on_a_row_of_its_own(tmp_path):
    event = """
organizations:
  - id: star-market
    roles: [listing-board]
    name: {zh: 科创板, en: STAR Market}
    source: wire
    locator: lead
listing_events:
  - id: iluvatar-star-listing
    company: iluvatar
    venue: star-market
    type: listed
    date: 2025-12-05
    source: wire
    locator: lead
"""
    day = "\n    event: iluvatar-star-listing"
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "first-day-gain", "2025-12-05", "468.8%", "article", "\n    basis: not-stated" + day)
                  + figure("iluvatar", "first-day-market-cap", "2025-12-05", "3055亿元", "article", "\n    basis: not-stated" + day)
                  + figure("iluvatar", "first-day-gain", "2025-12-05", "425%", "wire", "\n    basis: not-stated" + day)
                  + figure("iluvatar", "first-day-gain", "2025-12-05", "425.46%", "wire", "\n    basis: close" + day))
    (root / "event.yaml").write_text(event, encoding="utf-8")
    rows = queries.run(kg.load_graph(root), queries.find_query("listing-race")).labelled_records()
    day_rows = sorted((r["basis"].value, r["first_day_gain_pct"].value,
                       r["first_day_market_cap"].value if "first_day_market_cap" in r else None,
                       r["figure_sources"].value) for r in rows if "basis" in r)
    assert day_rows == [("at the close", Decimal("425.46"), None, "wire"),
                        ("basis not stated", Decimal("425"), None, "wire"),
                        ("basis not stated", Decimal("468.8"), Decimal("305500000000"), "article")]


def test_amounts_in_two_currencies_are_neither_agreeing_nor_conflicting(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "gross-proceeds", "2025-12-17", "约42亿元", "article")
                  + figure("iluvatar", "gross-proceeds", "2025-12-17", "US$585.8 million", "wire"))
    no_warnings(root)
    graph = kg.load_graph(root)
    assert is_best(graph, "iluvatar/gross-proceeds/2025-12-17/article")
    assert is_best(graph, "iluvatar/gross-proceeds/2025-12-17/wire")
    assert (None, GPU.confirmedBy, None) not in graph and (None, GPU.agreesWith, None) not in graph


def test_about_and_nearly_a_round_number_reach_to_its_last_digit_that_is_not_a_zero(tmp_path):
    near = folder(tmp_path, "figures:"
                  + figure("iluvatar", "first-day-gain", "2026-01-02", "近120%", "article", "\n    basis: intraday-high")
                  + figure("iluvatar", "first-day-gain", "2026-01-02", "118%", "wire", "\n    basis: intraday-high"))
    no_warnings(near)
    exact = folder(tmp_path / "exact", "figures:"
                   + figure("iluvatar", "first-day-gain", "2026-01-02", "120%", "article", "\n    basis: intraday-high")
                   + figure("iluvatar", "first-day-gain", "2026-01-02", "118%", "wire", "\n    basis: intraday-high"))
    assert "conflicts with 120%" in validate(exact).stderr
