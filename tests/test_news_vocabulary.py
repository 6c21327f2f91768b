"""What a person recording news can say: the vocabulary the news desk's sources needed.

A figure about one of a company's two securities, the change of a named measure, a sector's share of
an exchange, an amount per use-of-proceeds project, a price basis a gain per lot may give; a listing's
advisers and a confidential filing; a round's amount raised; a product's line; a spin-off; the event
types and metrics of results, markets and offerings. Each test writes a small fact folder
(tests/test_many_sources.py's base fixture and second source).
"""

from __future__ import annotations

from decimal import Decimal

from rdflib import RDF, RDFS, Literal, Namespace

import kg
from kg.base.ontology import GPU, KGR

from test_many_sources import figure, folder, validate

METRIC = Namespace(str(GPU._NS))  # metrics are individuals of the ontology, not terms of the GPU namespace

BAIDU = """
organizations:
  - id: baidu
    roles: [internet-company]
    name: {zh: 百度, en: Baidu}
    source: wire
    locator: first paragraph
securities:
  - id: baidu-us-share
    company: baidu
    ticker: BIDU
    source: wire
    locator: first paragraph
  - id: baidu-hk-share
    company: baidu
    ticker: 09888.HK
    source: wire
    locator: first paragraph
"""


def valid(root) -> str:
    result = validate(root, "--strict")
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result.stderr or ""


def refused(root, message: str) -> None:
    result = validate(root)
    assert result.exit_code == 1, result.output
    assert message in (result.stderr or result.output), result.stderr or result.output


# --- figures ------------------------------------------------------------------------------

def test_prices_of_two_securities_of_one_company_are_two_measures_not_a_conflict(tmp_path):
    root = folder(tmp_path, BAIDU + "figures:"
                  + figure("baidu", "price-rise", "2025-12-05", "5.9%", "wire", "\n    basis: close\n    security: baidu-us-share")
                  + figure("baidu", "price-rise", "2025-12-05", "5%", "wire", "\n    basis: close\n    security: baidu-hk-share"))
    assert "conflict" not in valid(root)
    graph = kg.load_graph(root)
    node = KGR["figure/baidu/price-rise/2025-12-05/baidu-us-share/close/wire"]
    assert (node, GPU.figureSecurity, KGR["baidu-us-share"]) in graph
    assert (node, GPU.value, Literal(Decimal("5.9"))) in graph


def test_the_same_security_from_two_sources_is_still_compared(tmp_path):
    root = folder(tmp_path, BAIDU + "figures:"
                  + figure("baidu", "price-rise", "2025-12-05", "5.9%", "wire", "\n    basis: close\n    security: baidu-us-share")
                  + figure("baidu", "price-rise", "2025-12-05", "4.1%", "article", "\n    basis: close\n    security: baidu-us-share"))
    result = validate(root)
    assert "conflicts with" in (result.stderr or ""), result.stderr


def test_a_growth_names_its_measure_and_two_measures_never_collide(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "growth", "2025", "409.84%", "wire", "\n    measure: production-volume")
                  + figure("iluvatar", "growth", "2025", "201.57%", "wire", "\n    measure: shipments"))
    valid(root)
    graph = kg.load_graph(root)
    assert (KGR["figure/iluvatar/growth/2025/shipments/wire"], GPU.measure, METRIC["Shipments"]) in graph
    labels = [str(label) for label in graph.objects(KGR["figure/iluvatar/growth/2025/production-volume/wire"], RDFS.label)]
    assert any("production volume growth" in label for label in labels), labels


def test_a_growth_without_its_measure_is_refused(tmp_path):
    refused(folder(tmp_path, "figures:" + figure("iluvatar", "growth", "2025", "20%", "wire")),
            "a growth figure needs `measure`")


def test_revenue_growth_keeps_its_own_metric(tmp_path):
    refused(folder(tmp_path, "figures:" + figure("iluvatar", "growth", "2025", "20%", "wire", "\n    measure: revenue")),
            "write metric: revenue-growth")


def test_a_sectors_share_of_an_exchange_by_three_measures_is_three_figures(tmp_path):
    root = folder(tmp_path, """
organizations:
  - id: hkex
    roles: [stock-exchange]
    name: {zh: 港交所, en: HKEX}
    source: wire
    locator: second paragraph
sectors:
  - id: new-economy
    name: {zh: 新经济, en: New economy}
    source: wire
    locator: second paragraph
figures:""" + "".join(figure("new-economy", "market-share", "2025-12-31", share, "wire",
                              f"\n    market: hkex\n    measure: {measure}")
                       for share, measure in (("30%", "companies"), ("60%", "market-cap"), ("70%", "trading-value"))))
    assert "conflict" not in valid(root)
    graph = kg.load_graph(root)
    node = KGR["figure/new-economy/market-share/2025-12-31/hkex/market-cap/wire"]
    assert (node, GPU.market, KGR["hkex"]) in graph
    assert (node, GPU.measure, METRIC["MarketCap"]) in graph


def test_an_amount_per_use_of_proceeds_project_names_the_project(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "proceeds-allocated", "unspecified", "20亿元", "wire", "\n    project: training-chips\n    circumstance: planned")
                  + figure("iluvatar", "proceeds-allocated", "unspecified", "15亿元", "wire", "\n    project: inference-chips\n    circumstance: planned"))
    valid(root)
    graph = kg.load_graph(root)
    assert (KGR["figure/iluvatar/proceeds-allocated/unspecified/training-chips/planned/wire"], GPU.project,
            Literal("training-chips")) in graph
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "proceeds-allocated", "unspecified", "20亿元", "wire")),
            "needs `project`")


def test_a_gain_per_lot_may_say_the_price_it_is_reckoned_at_and_other_metrics_may_not(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "paper-gain-per-lot", "2025-12-17", "39.5万元", "wire", "\n    basis: intraday-high")
                  + figure("iluvatar", "paper-gain-per-lot", "2025-12-17", "30万元", "wire", "\n    basis: not-stated"))
    valid(root)
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "revenue", "2025", "1亿元", "wire", "\n    basis: close")),
            "revenue has none")


def test_a_market_value_at_the_offer_price_has_that_basis(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "market-cap", "unspecified", "418.74亿元", "wire", "\n    basis: offer-price"))
    valid(root)
    assert (KGR["figure/iluvatar/market-cap/unspecified/offer-price/wire"], GPU.basis, METRIC["OfferPriceBasis"]) \
        in kg.load_graph(root)


def test_an_analysts_forecast_is_not_compared_with_the_companys_own(tmp_path):
    root = folder(tmp_path, """
organizations:
  - id: broker
    roles: [securities-firm]
    name: {zh: 某证券, en: A broker}
    source: wire
    locator: third paragraph
figures:
  - of: iluvatar
    metric: net-profit
    period: 2025
    between: [18.5亿元, 21.5亿元]
    circumstance: forecast
    source: wire
    locator: first paragraph
  - of: iluvatar
    metric: net-profit
    period: 2025
    value: 16.8亿元
    circumstance: forecast
    said_by: broker
    source: wire
    locator: third paragraph
""")
    assert "conflict" not in valid(root)


def test_the_new_metrics_read_their_units(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "rd-staff", "2025-12-31", "887人", "wire")
                  + figure("iluvatar", "patent-applications", "2025-12-31", "2846项", "wire")
                  + figure("iluvatar", "inventory", "2025-12-31", "85.71万片", "wire")
                  + figure("iluvatar", "top-five-customers-share", "2025", "88.65%", "wire")
                  + figure("iluvatar", "shareholders", "2025-12-31", "12万户", "wire")
                  + figure("iluvatar", "first-day-fall", "2025-12-31", "12%", "wire", "\n    basis: close")
                  + figure("iluvatar", "par-value", "unspecified", "1元", "wire"))
    valid(root)
    graph = kg.load_graph(root)
    assert (KGR["figure/iluvatar/rd-staff/2025-12-31/wire"], GPU.value, Literal(887)) in graph
    assert (KGR["figure/iluvatar/inventory/2025-12-31/wire"], GPU.value, Literal(857100)) in graph
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "top-five-customers-share", "2025", "101%", "wire")),
            "cannot exceed 100")


# --- events, organisations, rounds, products ----------------------------------------------

def test_a_listing_names_its_advisers_and_a_confidential_filing(tmp_path):
    root = folder(tmp_path, """
organizations:
  - id: kpmg
    roles: [auditor]
    name: {zh: 毕马威华振, en: KPMG Huazhen}
    source: wire
    locator: advisers paragraph
  - id: zhonglun
    roles: [law-firm]
    name: {zh: 中伦, en: Zhong Lun}
    source: wire
    locator: advisers paragraph
  - id: citic
    roles: [securities-firm, bank]
    name: {zh: 中信, en: CITIC}
    source: wire
    locator: advisers paragraph
listing_events:
  - id: iluvatar-filing
    company: iluvatar
    type: application-filed
    date: 2025-12-01
    confidential: true
    auditors: [kpmg]
    legal_advisers: [zhonglun]
    financial_advisers: [citic]
    source: wire
    locator: first paragraph
  - id: iluvatar-halt
    company: iluvatar
    type: trading-halt
    date: 2025-12-09
    source: wire
    locator: last paragraph
""")
    valid(root)
    graph = kg.load_graph(root)
    event = KGR["iluvatar-filing"]
    assert (event, GPU.auditor, KGR["kpmg"]) in graph
    assert (event, GPU.legalAdviser, KGR["zhonglun"]) in graph
    assert (event, GPU.financialAdviser, KGR["citic"]) in graph
    assert (event, GPU.confidential, Literal(True)) in graph
    assert (KGR["iluvatar-halt"], GPU.eventType, METRIC["TradingHalt"]) in graph
    assert (KGR["citic"], RDF.type, METRIC["Bank"]) in graph


def test_a_round_says_how_much_it_raised(tmp_path):
    root = folder(tmp_path, """
funding_rounds:
  - id: iluvatar-placement
    company: iluvatar
    round: 定向增发
    date: 2025-10
    amount: 39.85亿元
    source: wire
    locator: placement paragraph
""")
    valid(root)
    assert kg.load_graph(root).value(KGR["iluvatar-placement"], GPU.amountRaised).toPython() == 3985000000


def test_a_single_product_may_name_its_line_and_a_line_no_line(tmp_path):
    products = """
products:
  - id: tiangai
    type: line
    name: {zh: 天垓, en: Tiangai}
    designer: iluvatar
    source: wire
    locator: products paragraph
  - id: tiangai-150
    type: product
    name: {zh: 天垓150, en: Tiangai 150}
    designer: iluvatar
    line: tiangai
    source: wire
    locator: products paragraph
"""
    root = folder(tmp_path, products)
    valid(root)
    assert (KGR["tiangai-150"], GPU.productLine, KGR["tiangai"]) in kg.load_graph(root)
    refused(folder(tmp_path / "b", products.replace("    type: line\n", "    type: line\n    line: tiangai\n", 1)),
            "a product line belongs to no other line")


def test_a_spin_off_is_not_control(tmp_path):
    root = folder(tmp_path, """
organizations:
  - id: tsinghua
    roles: [research-institute]
    name: {zh: 清华大学, en: Tsinghua University}
    source: wire
    locator: fourth paragraph
  - id: iluvatar
    spun_off_from: [tsinghua]
    source: wire
    locator: fourth paragraph
""")
    valid(root)
    graph = kg.load_graph(root)
    assert (KGR["iluvatar"], GPU.spunOffFrom, KGR["tsinghua"]) in graph
    assert (KGR["iluvatar"], GPU.parentOrganization, None) not in graph


def test_a_conversion_the_source_gives_loosely_is_never_exact(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "first-day-market-cap", "2026-01-02", "HK$82.5 billion", "wire",
                                                "\n    basis: close\n    converted: approx. RMB 74 billion"))
    valid(root)
    conversion = KGR["figure/iluvatar/first-day-market-cap/2026-01-02/close/wire/converted/CNY"]
    graph = kg.load_graph(root)
    assert (conversion, GPU.convertedApproximation, METRIC["About"]) in graph
    assert graph.value(conversion, GPU.convertedValue).toPython() == 74000000000


def test_a_source_that_converts_into_two_currencies_keeps_each_value_with_its_currency(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "gross-proceeds", "2025-12-05", "CNY8 billion", "wire",
                                                "\n    converted: [US$1.13 billion, S$1.47 billion]"))
    valid(root)
    graph = kg.load_graph(root)
    figure_node = KGR["figure/iluvatar/gross-proceeds/2025-12-05/wire"]
    values = {graph.value(c, GPU.convertedUnit): graph.value(c, GPU.convertedValue).toPython()
              for c in graph.objects(figure_node, GPU.conversion)}
    assert values == {METRIC["USD"]: 1130000000, METRIC["SGD"]: 1470000000}
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "gross-proceeds", "2025-12-05", "CNY8 billion", "wire",
                                                       "\n    converted: [US$1.13 billion, US$1.1 billion]")),
            "converts twice into one currency")


def test_a_count_since_a_day_in_mid_month_is_a_span_of_two_days(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "listings", "2025-08-15/2025-12-26", "56家", "wire"))
    valid(root)
    period = KGR["period/2025-08-15-2025-12-26"]
    graph = kg.load_graph(root)
    assert (KGR["figure/iluvatar/listings/2025-08-15-2025-12-26/wire"], GPU.period, period) in graph
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "listings", "2025-08-15/2025", "56家", "wire")),
            "not a day and a year")


def test_an_event_expected_by_a_date_keeps_the_date_as_a_latest(tmp_path):
    root = folder(tmp_path, """
listing_events:
  - id: iluvatar-expected
    company: iluvatar
    type: expected-listing
    date: 2027
    date_bound: at-most
    stated_date: by early 2027
    source: wire
    locator: last paragraph
""")
    valid(root)
    assert (KGR["iluvatar-expected"], GPU.dateBound, GPU.AtMost) in kg.load_graph(root)


def test_a_profit_attributable_to_the_parent_says_so_and_is_compared_with_one_that_does_not(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "net-profit", "2025", "20.59亿元", "wire", "\n    attributable: true")
                  + figure("iluvatar", "net-profit", "2025", "20.59亿元", "article")
                  + figure("iluvatar", "net-profit-after-non-recurring", "2025", "17.70亿元", "wire", "\n    attributable: true"))
    assert "conflict" not in valid(root)
    graph = kg.load_graph(root)
    assert (KGR["figure/iluvatar/net-profit/2025/article"], GPU.agreesWith,
            KGR["figure/iluvatar/net-profit/2025/attributable/wire"]) in graph
    differing = folder(tmp_path / "c", "figures:"
                       + figure("iluvatar", "net-profit", "2025", "20.59亿元", "wire", "\n    attributable: true")
                       + figure("iluvatar", "net-profit", "2025", "21.10亿元", "article"))
    assert "conflicts with" in (validate(differing).stderr or "")
    assert (KGR["figure/iluvatar/net-profit/2025/attributable/wire"], GPU.attributableToParent, Literal(True)) in graph
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "revenue", "2025", "1亿元", "wire", "\n    attributable: true")),
            "only a profit or loss is attributable")


def test_a_group_whose_line_up_changed_names_its_former_members(tmp_path):
    root = folder(tmp_path, """
organizations:
  - id: enflame
    roles: [chip-designer]
    name: {zh: 燧原科技, en: Enflame}
    source: wire
    locator: point 1
groups:
  - id: dragons
    name: {zh: 四小龙, en: Four little dragons}
    members: [iluvatar]
    former_members: [enflame]
    source: wire
    locator: point 1
""")
    valid(root)
    graph = kg.load_graph(root)
    assert (KGR["dragons"], GPU.formerMember, KGR["enflame"]) in graph
    assert (KGR["dragons"], GPU.member, KGR["enflame"]) not in graph


def test_each_fee_of_an_offering_is_its_own_figure(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "fee-rate", "2025-12-30", "1%", "wire", "\n    fee: brokerage")
                  + figure("iluvatar", "fee-rate", "2025-12-30", "0.0027%", "wire", "\n    fee: sfc-transaction-levy"))
    valid(root)
    assert (KGR["figure/iluvatar/fee-rate/2025-12-30/brokerage/wire"], GPU.fee, METRIC["Brokerage"]) in kg.load_graph(root)
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "fee-rate", "2025-12-30", "1%", "wire")),
            "says which `fee`")


def test_one_companys_value_as_a_share_of_anothers_names_both(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "relative-size", "2025-12-05", "约50%", "wire",
                                                "\n    measure: market-cap\n    compared_with: smic"))
    valid(root)
    node = KGR["figure/iluvatar/relative-size/2025-12-05/smic/market-cap/wire"]
    graph = kg.load_graph(root)
    assert (node, GPU.comparedWith, KGR["smic"]) in graph
    assert (node, GPU.qualifier, GPU.Approximate) in graph
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "relative-size", "2025-12-05", "50%", "wire",
                                                       "\n    measure: market-cap")), "names what it is `compared_with`")


def test_an_age_a_device_count_and_a_par_value_read_their_units(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "company-age", "2026-01-22", "近8年", "wire")
                  + figure("iluvatar", "installed-base", "2026-03-13", "1億台", "wire"))
    valid(root)
    graph = kg.load_graph(root)
    assert graph.value(KGR["figure/iluvatar/company-age/2026-01-22/wire"], GPU.unit) == METRIC["YearCount"]
    assert graph.value(KGR["figure/iluvatar/installed-base/2026-03-13/wire"], GPU.value).toPython() == 100000000


def test_a_visit_names_the_visitor_and_the_place(tmp_path):
    root = folder(tmp_path, """
people:
  - id: official
    name: {zh: 某官员, en: An official}
    source: wire
    locator: caption
places:
  - id: shanghai
    name: {zh: 上海, en: Shanghai}
    source: wire
    locator: caption
listing_events:
  - id: official-visits-iluvatar
    company: iluvatar
    type: visit
    period: 2023
    place: shanghai
    counterparty: official
    source: wire
    locator: caption
""")
    valid(root)
    graph = kg.load_graph(root)
    assert (KGR["official-visits-iluvatar"], GPU.counterparty, KGR["official"]) in graph
    assert (KGR["official-visits-iluvatar"], GPU.eventType, METRIC["Visit"]) in graph


def test_a_span_whose_start_the_source_gives_loosely_is_never_read_as_exact(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "listings", "~2025-08-15/2025-12-26", "56家", "wire"))
    valid(root)
    period = KGR["period/about-2025-08-15-2025-12-26"]
    graph = kg.load_graph(root)
    assert (KGR["figure/iluvatar/listings/about-2025-08-15-2025-12-26/wire"], GPU.period, period) in graph
    assert (period, GPU.startApproximation, METRIC["About"]) in graph
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "listings", "~2025/2026", "56家", "wire")),
            "only a day may start a span loosely")


def test_a_figure_of_the_parent_companys_own_accounts_is_another_measure(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "undistributed-profit", "2025-12-31", "15.84亿元", "wire", "\n    accounts: parent-company")
                  + figure("iluvatar", "undistributed-profit", "2025-12-31", "20亿元", "article"))
    assert "conflict" not in valid(root)
    assert (KGR["figure/iluvatar/undistributed-profit/2025-12-31/parent-company/wire"], GPU.parentCompanyAccounts,
            Literal(True)) in kg.load_graph(root)


EXCHANGE_AND_BOARD = """
organizations:
  - id: sse
    roles: [stock-exchange]
    name: {zh: 上交所, en: Shanghai Stock Exchange}
    source: article
    quote: 天数智芯2022年收入1.89亿元。
  - id: star-market
    roles: [listing-board]
    name: {zh: 科创板, en: STAR Market}
    part_of: sse
    source: article
    quote: 天数智芯2022年收入1.89亿元。
listing_events:
  - id: iluvatar-star-listing
    company: iluvatar
    venue: star-market
    type: listed
    date: 2025-12-05
    source: article
    quote: 天数智芯2022年收入1.89亿元。
"""


def test_an_undated_entry_may_name_the_exchange_of_the_events_board_or_no_venue(tmp_path):
    for venue in ("\n    venue: sse", ""):
        root = folder(tmp_path / (venue.strip() or "none"), EXCHANGE_AND_BOARD + f"""
  - id: iluvatar-star-listing
    company: iluvatar
    type: listed{venue}
    source: wire
    locator: first paragraph, began trading in Shanghai
""")
        valid(root)
        graph = kg.load_graph(root)
        assert list(graph.objects(KGR["iluvatar-star-listing"], GPU.venue)) == [KGR["star-market"]]
        assert (KGR["iluvatar-star-listing"], GPU.source, KGR["wire"]) in graph
    other = folder(tmp_path / "other", EXCHANGE_AND_BOARD + """
  - id: iluvatar-star-listing
    company: iluvatar
    type: listed
    venue: iluvatar
    source: wire
    locator: first paragraph
""")
    refused(other, "its company, venue or type differ from it")


# --- markets, customers, durations, stakes, sessions, briefings ----------------------------

def test_a_markets_size_is_its_own_metric_and_a_customers_share_names_the_customer(tmp_path):
    root = folder(tmp_path, """
sectors:
  - id: ai-chips
    name: {zh: AI芯片市场, en: AI chip market}
    source: wire
    locator: market paragraph
figures:""" + figure("ai-chips", "market-size", "2024", "约1425亿元", "wire")
                  + figure("iluvatar", "customer-revenue-share", "2025", "七成", "wire", "\n    customer: smic")
                  + figure("iluvatar", "customer-revenue-share", "2025", "10%", "article", "\n    customer: jcet"))
    assert "conflict" not in valid(root)
    graph = kg.load_graph(root)
    assert graph.value(KGR["figure/ai-chips/market-size/2024/wire"], GPU.metric) == METRIC["MarketSize"]
    node = KGR["figure/iluvatar/customer-revenue-share/2025/smic/wire"]
    assert (node, GPU.customer, KGR["smic"]) in graph
    assert graph.value(node, GPU.value).toPython() == 70
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "customer-revenue-share", "2025", "70%", "wire")),
            "names its `customer`")
    refused(folder(tmp_path / "c", "figures:" + figure("iluvatar", "revenue-share", "2025", "70%", "wire",
                                                       "\n    customer: smic")), "names its `customer`")


def test_days_to_listing_and_to_the_inquiry_count_days_and_the_inquiry_is_a_stage(tmp_path):
    root = folder(tmp_path, """
listing_events:
  - id: iluvatar-inquiry
    company: iluvatar
    type: inquiry
    date: 2026-02-11
    source: wire
    locator: process paragraph
figures:""" + figure("iluvatar", "days-to-inquiry", "2026-02-11", "20天", "wire", "\n    event: iluvatar-inquiry")
                  + figure("iluvatar", "days-to-listing", "2025-12-17", "约158天", "wire"))
    valid(root)
    graph = kg.load_graph(root)
    assert (KGR["iluvatar-inquiry"], GPU.eventType, METRIC["Inquiry"]) in graph
    assert graph.value(KGR["figure/iluvatar/days-to-inquiry/2026-02-11/wire"], GPU.unit) == METRIC["DayCount"]
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "days-to-listing", "2025-12-17", "158亿元", "wire")),
            "does not fit this metric")


def test_a_stakes_value_names_its_holder_and_the_price_it_is_reckoned_at(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "stake-value", "2026-01-08", "约16.3亿港元", "wire", "\n    holder: smic\n    basis: open")
                  + figure("iluvatar", "stake-value", "2026-01-08", "5.6亿港元", "wire", "\n    holder: jcet\n    basis: open")
                  + figure("iluvatar", "investors", "2026-02-12", "20家", "wire").replace("value:", "at_least:"))
    assert "conflict" not in valid(root)
    graph = kg.load_graph(root)
    node = KGR["figure/iluvatar/stake-value/2026-01-08/smic/open/wire"]
    assert (node, GPU.holder, KGR["smic"]) in graph
    assert graph.value(node, GPU.unit) == METRIC["HKD"]
    assert graph.value(KGR["figure/iluvatar/investors/2026-02-12/wire"], GPU.unit) == METRIC["InvestorCount"]


def test_the_days_low_early_trading_and_an_untimed_quote_are_bases_and_never_conflict(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "price-fall", "2025-12-10", "5%", "wire", "\n    basis: intraday-low")
                  + figure("iluvatar", "price-fall", "2025-12-10", "0.36%", "article", "\n    basis: close")
                  + figure("iluvatar", "first-day-price", "2025-12-05", "约600元", "wire", "\n    basis: early-trading")
                  + figure("iluvatar", "first-day-price", "2025-12-05", "730.34元", "article", "\n    basis: intraday")
                  + figure("iluvatar", "premium-to-swap-price", "2025-09-25", "87%", "wire", "\n    basis: close"))
    assert "conflict" not in valid(root)
    graph = kg.load_graph(root)
    assert graph.value(KGR["figure/iluvatar/price-fall/2025-12-10/intraday-low/wire"], GPU.basis) == METRIC["IntradayLow"]
    assert graph.value(KGR["figure/iluvatar/first-day-price/2025-12-05/early-trading/wire"], GPU.basis) == METRIC["EarlyTrading"]


def test_a_mornings_turnover_is_another_measure_than_the_days(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "trading-value", "2025-12-11", "60亿元", "wire", "\n    session: morning")
                  + figure("iluvatar", "trading-value", "2025-12-11", "120亿元", "article"))
    assert "conflict" not in valid(root)
    graph = kg.load_graph(root)
    assert (KGR["figure/iluvatar/trading-value/2025-12-11/morning/wire"], GPU.tradingSession, Literal("morning")) in graph
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "trading-value", "2025-12-11", "60亿元", "wire",
                                                       "\n    session: lunch")), "session")


def test_a_compound_amount_in_two_multipliers_is_one_amount(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "market-cap", "2025-12-17", "1兆2227.88億元", "wire",
                                                "\n    basis: close"))
    valid(root)
    node = KGR["figure/iluvatar/market-cap/2025-12-17/close/wire"]
    assert kg.load_graph(root).value(node, GPU.value).toPython() == Decimal("1222788000000")
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "market-cap", "2025-12-17", "1兆12227.88億元", "wire",
                                                       "\n    basis: close")), "below 10000")


def test_briefings_meetings_a_tutor_and_a_coo(tmp_path):
    root = folder(tmp_path, """
organizations:
  - id: guotai-haitong
    roles: [securities-firm]
    name: {zh: 国泰海通, en: Guotai Haitong}
    source: wire
    locator: last paragraph
people:
  - id: partner
    name: {zh: 某合伙人, en: A partner}
    source: wire
    locator: opening paragraph
positions:
  - {person: partner, organization: iluvatar, role: coo, source: wire, locator: opening paragraph}
listing_events:
  - id: iluvatar-briefing
    company: iluvatar
    type: investor-briefing
    date: 2025-12-10
    source: wire
    locator: first paragraph
  - id: iluvatar-meets-partner
    company: iluvatar
    type: meeting
    date: 2019-06
    counterparty: partner
    source: wire
    locator: opening paragraph
  - id: iluvatar-tutoring
    company: iluvatar
    type: listing-tutoring
    period: unspecified
    tutors: [guotai-haitong]
    source: wire
    locator: last paragraph
""")
    valid(root)
    graph = kg.load_graph(root)
    assert (KGR["iluvatar-briefing"], GPU.eventType, METRIC["InvestorBriefing"]) in graph
    assert (KGR["iluvatar-meets-partner"], GPU.eventType, METRIC["Meeting"]) in graph
    assert (KGR["iluvatar-tutoring"], GPU.tutor, KGR["guotai-haitong"]) in graph
    assert (KGR["iluvatar-tutoring"], GPU.sponsor, None) not in graph
    assert METRIC["ChiefOperatingOfficer"] in set(graph.objects(None, GPU.positionRole))


def test_a_conversion_given_as_a_bound_is_a_bound_of_its_own(tmp_path):
    root = folder(tmp_path, "figures:" + figure("iluvatar", "first-day-market-cap", "2025-12-05", "约3050亿元", "wire",
                                                "\n    basis: at-time\n    converted: over US$40 billion"))
    valid(root)
    conversion = KGR["figure/iluvatar/first-day-market-cap/2025-12-05/at-time/wire/converted/USD"]
    graph = kg.load_graph(root)
    assert (conversion, GPU.convertedBound, GPU.AtLeast) in graph
    assert graph.value(conversion, GPU.convertedValue).toPython() == 40000000000
    exact = folder(tmp_path / "b", "figures:" + figure("iluvatar", "gross-proceeds", "2025-12-05", "80亿元", "wire",
                                                       "\n    converted: US$1.13 billion"))
    valid(exact)
    assert (None, GPU.convertedBound, None) not in kg.load_graph(exact)


def test_a_lock_up_gives_its_share_and_months_and_another_length_is_another_measure(tmp_path):
    root = folder(tmp_path, "figures:"
                  + figure("iluvatar", "locked-up-share", "unspecified", "70%", "wire", "\n    tranche: offline\n    lock_up_months: 6")
                  + figure("iluvatar", "locked-up-share", "unspecified", "30%", "article", "\n    tranche: offline\n    lock_up_months: 12"))
    assert "conflict" not in valid(root)
    node = KGR["figure/iluvatar/locked-up-share/unspecified/6-months/offline/wire"]
    assert kg.load_graph(root).value(node, GPU.lockUpMonths).toPython() == 6
    refused(folder(tmp_path / "b", "figures:" + figure("iluvatar", "locked-up-share", "unspecified", "70%", "wire")),
            "`lock_up_months`")
    refused(folder(tmp_path / "c", "figures:" + figure("iluvatar", "locked-up-share", "unspecified", "70%", "wire",
                                                       "\n    lock_up_months: 6.5")), "whole number of months")
