"""Many sources about the same things: statements per source, ranks, best values, conflicts.

Each test writes a small fact folder: the base fixture (one article whose text is
stored) plus a second source whose text is not, and the facts under test.
"""

from __future__ import annotations

import shutil
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF, Literal, URIRef

import kg
from kg.query import catalog as queries
from kg.cli import main
from kg.facts.read import FigureValue
from kg.base.ontology import GPU, KGR
from kg.facts.reconcile import compare
from kg.base.values import MONEY, ValueProblem, parse_amount

from conftest import LIVE_FACTS

BASE = Path(__file__).parent / "fixtures" / "base"

SECOND_SOURCE = """
sources:
  - id: wire
    kind: article
    title: {zh: 通讯稿, en: Wire story}
    publisher: wire-agency
    published: 2025-12-23
    url: https://example.org/wire/1
    language: zh
organizations:
  - id: wire-agency
    roles: [news-outlet]
    name: {zh: 通讯社, en: Wire agency}
    source: wire
    locator: the masthead
"""


def folder(tmp_path: Path, facts: str, *, second_source: bool = True) -> Path:
    root = tmp_path / "facts"
    shutil.copytree(BASE, root)
    if second_source:
        (root / "wire.yaml").write_text(SECOND_SOURCE, encoding="utf-8")
    if facts.strip():
        (root / "case.yaml").write_text(textwrap.dedent(facts), encoding="utf-8")
    return root


def figure(of: str, metric: str, period: str, value: str, source: str, extra: str = "") -> str:
    where = "quote: 天数智芯2022年收入1.89亿元。" if source == "article" else "locator: second paragraph"
    return f"""
  - of: {of}
    metric: {metric}
    period: {period}
    value: {value}
    source: {source}
    {where}{extra}
"""


def validate(root: Path, *args: str):
    return CliRunner().invoke(main, ["validate", "--facts", str(root), *args])


def is_best(graph, key: str) -> bool:
    return (KGR["figure/" + key], RDF.type, GPU.BestRank) in graph


# --- agreeing, rounding, conflicting -----------------------------------------------------

def test_the_more_precise_statement_is_preferred_and_the_rounding_kept(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "net-loss", "2025H1", "16亿元", "article")
                  + figure("iluvatar", "net-loss", "2025H1", "16.01亿元", "wire"))
    graph = kg.load_graph(root)
    assert is_best(graph, "iluvatar/net-loss/2025H1/wire")
    assert not is_best(graph, "iluvatar/net-loss/2025H1/article")
    assert (KGR["figure/iluvatar/net-loss/2025H1/article"], GPU.roundingOf,
            KGR["figure/iluvatar/net-loss/2025H1/wire"]) in graph
    result = validate(root, "--strict")
    assert result.exit_code == 0, result.output


def test_an_unranked_conflict_is_a_warning_and_an_error_when_strict(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "net-loss", "2024", "8.92亿元", "article")
                  + figure("iluvatar", "net-loss", "2024", "9.50亿元", "wire"))
    result = validate(root)
    assert result.exit_code == 0
    warning = (f"{root}/case.yaml:9:5: warning: figures: 9.50亿元 from source 'wire' conflicts with 8.92亿元 "
               f"from source 'article' ({root}/case.yaml:2:5) for iluvatar/net-loss/2024; "
               f"rank one `preferred` or `deprecated` with a `rank_reason`")
    assert warning.replace(str(root), shown_cell(root)) in result.stderr
    assert "valid, 1 warning" in result.stdout
    strict = validate(root, "--strict")
    assert strict.exit_code == 1
    assert "1 problem; nothing was written." in strict.stderr
    graph = kg.load_graph(root)  # both statements stand, both best: nothing is dropped
    assert is_best(graph, "iluvatar/net-loss/2024/article") and is_best(graph, "iluvatar/net-loss/2024/wire")
    assert (KGR["figure/iluvatar/net-loss/2024/wire"], GPU.conflictsWith, KGR["figure/iluvatar/net-loss/2024/article"]) in graph


def test_a_build_stops_on_a_conflict_only_when_strict(tmp_path, monkeypatch):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "net-loss", "2024", "8.92亿元", "article")
                  + figure("iluvatar", "net-loss", "2024", "9.50亿元", "wire"))
    monkeypatch.chdir(tmp_path)
    strict = CliRunner().invoke(main, ["build", "--facts", "facts", "--out", "out", "--strict"])
    assert strict.exit_code == 1 and not (tmp_path / "out" / "gpu-kg.ttl").exists()
    lenient = CliRunner().invoke(main, ["build", "--facts", "facts", "--out", "out"])
    assert lenient.exit_code == 0 and "warning: figures: 9.50亿元" in lenient.stderr


def test_a_deprecated_statement_is_kept_but_never_best(tmp_path):
    extra = "\n    rank: deprecated\n    rank_reason: the wire misread the year"
    root = folder(tmp_path, "figures:" + figure("iluvatar", "net-loss", "2024", "8.92亿元", "article")
                  + figure("iluvatar", "net-loss", "2024", "9.50亿元", "wire", extra))
    assert validate(root, "--strict").exit_code == 0
    graph = kg.load_graph(root)
    deprecated = KGR["figure/iluvatar/net-loss/2024/wire"]
    assert (deprecated, GPU.rank, GPU.DeprecatedRank) in graph
    assert (deprecated, GPU.rankReason, Literal("the wire misread the year", lang="en")) in graph
    assert not is_best(graph, "iluvatar/net-loss/2024/wire")
    best = queries.run(graph, queries.find_query("figures"), {"entity": "iluvatar"}).records()
    assert [row["stated"].value for row in best] == ["8.92亿元"]
    every = queries.run(graph, queries.find_query("figures"), {"entity": "iluvatar", "statements": "all"}).records()
    assert {(row["stated"].value, row["rank"]) for row in every} == {("8.92亿元", GPU.NormalRank), ("9.50亿元", GPU.DeprecatedRank)}


def test_a_preferred_rank_wins_over_a_more_precise_number(tmp_path):
    extra = "\n    rank: preferred\n    rank_reason: the company's own filing"
    root = folder(tmp_path, "figures:" + figure("iluvatar", "net-loss", "2025H1", "16亿元", "article", extra)
                  + figure("iluvatar", "net-loss", "2025H1", "16.01亿元", "wire"))
    graph = kg.load_graph(root)
    assert is_best(graph, "iluvatar/net-loss/2025H1/article")
    assert not is_best(graph, "iluvatar/net-loss/2025H1/wire")


def test_a_rank_needs_a_reason(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "revenue", "2022", "1.89亿元", "wire", "\n    rank: deprecated"))
    result = validate(root)
    assert result.exit_code == 1
    assert "figures.rank: a deprecated rank needs a `rank_reason` saying why" in result.stderr


def test_the_same_figure_twice_from_one_source_is_a_duplicate(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "revenue", "2022", "1.89亿元", "wire")
                  + figure("iluvatar", "revenue", "2022", "1.89亿元", "wire"))
    result = validate(root)
    assert result.exit_code == 1
    assert "duplicate figures entry 'iluvatar/revenue/2022/wire'; first given at" in result.stderr


@pytest.mark.parametrize(("new", "old", "expected"), [
    ("16.01亿元", "16亿元", "more precise"),
    ("16亿元", "16.01亿元", "less precise"),
    ("15.38亿元", "15.38亿元", "same"),
    ("17亿元", "16.01亿元", "conflict"),
    ("79.996亿元", "近80亿元", "more precise"),
    ("1.89亿港元", "1.89亿元", "other currency"),
])
def test_compare_tells_how_two_statements_relate(new, old, expected):
    def read(text: str) -> FigureValue:
        amount = parse_amount(text, MONEY)
        return FigureValue("exact", amount, approximation=amount.approximation)
    assert compare(read(new), read(old)) == expected


def test_a_lower_bound_that_an_exact_number_meets_is_less_precise():
    exact = FigureValue("exact", parse_amount("63.57亿元", MONEY))
    bound = FigureValue("at-least", parse_amount("63亿元", MONEY, bound="at-least"))
    assert compare(exact, bound) == "more precise"
    too_small = FigureValue("exact", parse_amount("62亿元", MONEY))
    assert compare(too_small, bound) == "conflict"


# --- what each number measures --------------------------------------------------------------

def test_amounts_keep_their_currency(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "revenue", "2022", "HK$5.58 billion", "wire")
                  + figure("iluvatar", "revenue", "2023", "11亿美元", "wire"))
    graph = kg.load_graph(root)
    assert (KGR["figure/iluvatar/revenue/2022/wire"], GPU.unit, GPU.HKD) in graph
    assert (KGR["figure/iluvatar/revenue/2022/wire"], GPU.value, Literal("5580000000.0", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal"))) in graph
    assert (KGR["figure/iluvatar/revenue/2023/wire"], GPU.unit, GPU.USD) in graph


def test_a_money_amount_must_say_its_currency(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "revenue", "2022", "1.89亿", "wire"))
    result = validate(root)
    assert result.exit_code == 1
    assert ("figures.value: '1.89亿' does not say its currency; write 元, 港元 or 美元 (e.g. 1.89亿元), "
            "or give `currency:`") in result.stderr
    given = folder(tmp_path / "again", "figures:" + figure("iluvatar", "revenue", "2022", "1.89亿", "wire", "\n    currency: CNY"))
    assert validate(given).exit_code == 0


def test_figures_in_two_currencies_are_never_compared(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "revenue", "2022", "1.89亿元", "article")
                  + figure("iluvatar", "revenue", "2022", "1.89亿港元", "wire"))
    assert kg.load_facts(root).warnings == ()
    graph = kg.load_graph(root)
    assert is_best(graph, "iluvatar/revenue/2022/article") and is_best(graph, "iluvatar/revenue/2022/wire")
    assert (None, GPU.agreesWith, None) not in graph and (None, GPU.conflictsWith, None) not in graph


@pytest.mark.parametrize(("written", "bound", "message"), [
    ("最高48.5亿港元", "exact", "'最高48.5亿港元' is an upper bound ('最高'); write it as `at_most: 48.5亿港元`"),
    ("预计48.5亿港元", "exact", "'预计48.5亿港元' is a forecast; write the amount without '预计' and add `circumstance: forecast`"),
    ("超5.2万元", "at-most", "'超5.2万元' is a lower bound ('超'), but this is an upper bound"),
    ("5亿英镑", "exact", "unknown currency '英镑' in '5亿英镑'; write 元 (CNY), 港元 (HKD) or 美元 (USD)"),
])
def test_cue_words_must_agree_with_how_the_value_is_given(written, bound, message):
    with pytest.raises(ValueProblem) as err:
        parse_amount(written, MONEY, bound=bound)
    assert str(err.value) == message


def test_qualifiers_are_kept_and_shown_in_labels(tmp_path):
    root = folder(tmp_path, """
        figures:
          - of: iluvatar
            metric: revenue
            period: 2026
            at_most: 约48.5亿港元
            circumstance: forecast
            source: wire
            locator: offering paragraph
          - of: iluvatar
            metric: net-loss
            period: 2026
            value: 近80亿元
            source: wire
            locator: lead sentence
        """)
    graph = kg.load_graph(root)
    forecast = KGR["figure/iluvatar/revenue/2026/forecast/wire"]  # a forecast is a measure of its own
    assert (forecast, GPU.qualifier, GPU.AtMost) in graph
    assert (forecast, GPU.approximation, GPU.About) in graph
    assert (forecast, GPU.circumstance, GPU.Forecast) in graph
    labels = {str(o) for o in graph.objects(forecast, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))}
    assert labels == {"Iluvatar CoreX revenue FY2026: at most about HKD 4,850,000,000 (forecast)",
                      "天数智芯2026年营业收入:最高约48.5亿港元(预计)"}
    assert (KGR["figure/iluvatar/net-loss/2026/wire"], GPU.approximation, GPU.Nearly) in graph


def test_listing_day_figures_need_their_basis(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "first-day-gain", "2025-12-05", "425.46%", "wire"))
    result = validate(root)
    assert result.exit_code == 1
    assert "a first-day-gain figure needs `basis`: open, close, intraday-high, or not-stated" in result.stderr
    wrong = folder(tmp_path / "again", "figures:" + figure("iluvatar", "revenue", "2022", "1.89亿元", "wire", "\n    basis: close"))
    assert "only listing-day prices, gains and market values have a basis; revenue has none" in validate(wrong).stderr


def test_figures_of_two_bases_are_not_one_figure(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "first-day-gain", "2025-12-05", "468.8%", "article", "\n    basis: not-stated")
                  + figure("iluvatar", "first-day-gain", "2025-12-05", "425.46%", "wire", "\n    basis: close"))
    facts = kg.load_facts(root)
    assert facts.warnings == ()
    graph = kg.check_facts(facts)
    assert is_best(graph, "iluvatar/first-day-gain/2025-12-05/not-stated/article")
    assert is_best(graph, "iluvatar/first-day-gain/2025-12-05/close/wire")


# --- sources and their words -------------------------------------------------------------

def test_a_source_whose_text_is_not_stored_takes_a_locator_not_a_quote(tmp_path):
    root = folder(tmp_path, """
        figures:
          - of: iluvatar
            metric: revenue
            period: 2022
            value: 1.89亿元
            source: wire
            quote: 天数智芯2022年收入1.89亿元。
        """)
    result = validate(root)
    assert result.exit_code == 1
    assert ("figures.quote: the text of 'wire' is not stored, so nothing can be quoted from it; say where the "
            "fact stands in a `locator`, in your own words") in result.stderr
    bare = folder(tmp_path / "bare", """
        figures:
          - of: iluvatar
            metric: revenue
            period: 2022
            value: 1.89亿元
            source: wire
        """)
    assert "figures: missing 'locator': where in 'wire' this stands" in validate(bare).stderr


def test_sources_carry_their_publication_details(tmp_path):
    graph = kg.load_graph(folder(tmp_path, ""))
    wire = KGR["wire"]
    assert (wire, GPU.published, Literal("2025-12-23", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date"))) in graph
    assert (wire, GPU.publisher, KGR["wire-agency"]) in graph
    assert (KGR["wire-agency"], RDF.type, GPU.NewsOutlet) in graph


# --- entities and events of several sources -------------------------------------------------

def test_a_second_source_adds_to_an_entity_instead_of_making_another(tmp_path):
    root = folder(tmp_path, """
        organizations:
          - id: iluvatar
            founded: 2015-12
            source: wire
            locator: profile paragraph
        """)
    facts = kg.load_facts(root)
    [iluvatar] = [r for r in facts.records if r.key == "iluvatar"]
    assert sorted(p.source for p in iluvatar.provenance) == ["article", "wire"]
    graph = kg.check_facts(facts)
    assert set(graph.objects(KGR["iluvatar"], GPU.source)) == {KGR["article"], KGR["wire"]}
    assert len(set(graph.objects(KGR["iluvatar"], URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")))) == 2


def test_two_sources_that_disagree_on_an_entity_are_told_where(tmp_path):
    root = folder(tmp_path, """
        organizations:
          - id: smic
            roles: [foundry]
            name: {zh: 中芯国际, en: SMIC}
            founded: 2000
            source: wire
            locator: profile paragraph
          - id: smic
            founded: 2001
            source: article
            quote: 公司深度协同中芯国际、长电科技等本土制造与封测企业。
        """)
    result = validate(root)
    assert result.exit_code == 1
    assert "organizations.founded: '2001' differs from '2000' given at" in result.stderr


# The wire's dated listing of Iluvatar in Hong Kong, which the tests below state again.
WIRE_LISTING = """
        organizations:
          - id: hkex
            roles: [stock-exchange]
            name: {zh: 香港交易所, en: HKEX}
            source: wire
            locator: lead
        listing_events:
          - id: iluvatar-hkex-listing
            company: iluvatar
            venue: hkex
            type: listed
            date: 2026-01-08
            source: wire
            locator: lead
"""


def test_the_same_event_under_another_id_is_one_event_and_the_user_is_told(tmp_path):
    root = folder(tmp_path, WIRE_LISTING + """          - id: iluvatar-listed-in-hong-kong
            company: iluvatar
            venue: hkex
            type: listed
            date: 2026-01-08
            source: article
            quote: 天数智芯2022年收入1.89亿元。
        figures:
          - of: iluvatar
            event: iluvatar-listed-in-hong-kong
            metric: first-day-gain
            basis: close
            period: 2026-01-08
            value: 10%
            source: wire
            locator: lead
        """)
    facts = kg.load_facts(root)
    assert [str(notice) for notice in facts.notices] == [
        f"{shown_cell(root)}/case.yaml:16:5: listing_events: 'iluvatar-listed-in-hong-kong' is the same event as "
        f"'iluvatar-hkex-listing' ({shown_cell(root)}/case.yaml:9:5): same company, venue, type and date; source "
        f"'article' is added to it"]
    graph = kg.check_facts(facts)
    event = KGR["iluvatar-hkex-listing"]
    assert set(graph.objects(event, GPU.source)) == {KGR["article"], KGR["wire"]}
    assert (KGR["iluvatar-listed-in-hong-kong"], None, None) not in graph
    assert (KGR["figure/iluvatar/first-day-gain/2026-01-08/close/wire"], GPU.listingEvent, event) in graph
    result = validate(root)
    assert "note: listing_events: 'iluvatar-listed-in-hong-kong' is the same event" in result.stderr


def test_an_undated_entry_confirms_the_dated_event_of_its_id(tmp_path):
    root = folder(tmp_path, WIRE_LISTING + """          - id: iluvatar-hkex-listing
            company: iluvatar
            venue: hkex
            type: listed
            source: article
            quote: 天数智芯2022年收入1.89亿元。
        """)
    graph = kg.load_graph(root)
    assert set(graph.objects(KGR["iluvatar-hkex-listing"], GPU.source)) == {KGR["article"], KGR["wire"]}


# --- the shipped facts --------------------------------------------------------------------------

def test_the_shipped_facts_validate_strictly():
    result = CliRunner().invoke(main, ["validate", "--facts", str(LIVE_FACTS), "--strict"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def live_graph():
    return kg.load_graph(LIVE_FACTS)


def test_every_saved_query_runs_on_the_shipped_facts(live_graph):
    for name in queries.query_names():
        result = queries.run(live_graph, queries.find_query(name), timeout=0)
        assert result.variables, name


def test_the_figures_query_shows_the_best_value_and_every_statement(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "net-loss", "2025H1", "16亿元", "article")
                  + figure("iluvatar", "net-loss", "2025H1", "16.01亿元", "wire"))
    graph = kg.load_graph(root)
    best = queries.run(graph, queries.find_query("figures"), {"entity": "iluvatar", "metric": "net-loss"})
    assert [(r["stated"].value, r["sources"].value) for r in best.records()] == [("16.01亿元", "article wire")]
    every = queries.run(graph, queries.find_query("figures"),
                        {"entity": "iluvatar", "metric": "net-loss", "statements": "all"})
    assert sorted((r["stated"].value, r["sources"].value, r["best"].value) for r in every.records()) == [
        ("16.01亿元", "article wire", True), ("16亿元", "article", False)]


def test_offer_prices_stay_in_their_currencies(live_graph):
    biren = KGR["figure/biren/offer-price/2025-12-23/cnfol-biren-offering"]
    assert (biren, GPU.unit, GPU.HKD) in live_graph
    assert {o.value for o in live_graph.objects(biren, GPU.minValue)} | {o.value for o in live_graph.objects(biren, GPU.maxValue)} == {Decimal("17"), Decimal("19.6")}
    moore = KGR["figure/moore-threads/offer-price/2025-11-24/huashang-moore-threads-debut"]
    assert (moore, GPU.unit, GPU.CNY) in live_graph
    assert {o.value for o in live_graph.objects(moore, GPU.value)} == {Decimal("114.28")}


def test_a_new_correct_source_added_to_the_facts_keeps_them_valid(tmp_path):
    root = tmp_path / "facts"
    shutil.copytree(LIVE_FACTS, root)
    (root / "articles" / "wire-story.yaml").write_text(SECOND_SOURCE + textwrap.dedent("""
        figures:
          - of: biren
            metric: revenue
            period: 2024
            value: 3.37亿元
            source: wire
            locator: second paragraph
          - of: biren
            metric: net-loss
            period: 2025H1
            value: 16.0亿元
            source: wire
            locator: second paragraph
        """), encoding="utf-8")
    result = validate(root, "--strict")
    assert result.exit_code == 0, result.output
    graph = kg.load_graph(root)
    assert queries.run(graph, queries.find_query("listing-race")).rows
    best = queries.run(graph, queries.find_query("figures"), {"entity": "biren", "metric": "net-loss", "period": "2025H1"})
    assert [r["stated"].value for r in best.records()] == ["16.01亿元"]


def shown_cell(root: Path) -> str:
    import os
    return os.path.relpath(root)
