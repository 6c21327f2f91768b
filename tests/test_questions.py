"""Questions an analyst asks of the article, answered by SPARQL over the built graph.

Each expected answer was checked by hand against the article text.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

PREFIXES = """
PREFIX gpu: <https://w3id.org/gpu-kg/ontology#>
PREFIX kgr: <https://w3id.org/gpu-kg/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def rows(graph, query: str) -> list[tuple]:
    """Rows of plain Python values (Decimal, int, str, dates as text)."""
    result = graph.query(PREFIXES + query)
    out = []
    for row in result:
        values = []
        for term in row:
            if term is None:
                values.append(None)
            elif getattr(term, "datatype", None) is not None and str(term.datatype).endswith(("decimal", "integer")):
                values.append(term.toPython())
            else:
                values.append(str(term))
        out.append(tuple(values))
    return out


def figure_values(graph, company: str, metric: str, segment: str | None = None) -> dict[str, object]:
    """period code -> value of a company's figures for one metric."""
    segment_filter = f"?f gpu:segment kgr:{segment} ." if segment else "FILTER NOT EXISTS { ?f gpu:segment ?s }"
    found = rows(graph, f"""
        SELECT ?period ?value WHERE {{
            ?f gpu:figureOf kgr:{company} ; gpu:metric ?m ; gpu:period ?period ; gpu:value ?value .
            ?m skos:notation "{metric}" .
            {segment_filter}
        }} ORDER BY ?period""")
    return {period.rsplit("/", 1)[-1]: value for period, value in found}


def test_iluvatar_revenue_by_year(graph):
    assert figure_values(graph, "iluvatar", "revenue") == {
        "2022": Decimal("189000000"), "2023": Decimal("289000000"), "2024": Decimal("540000000"),
        "2025H1": Decimal("324000000"),
    }


def test_iluvatar_net_loss_by_year(graph):
    assert figure_values(graph, "iluvatar", "net-loss") == {
        "2022": Decimal("554000000"), "2023": Decimal("817000000"), "2024": Decimal("892000000"),
        "2025H1": Decimal("609000000"),
    }


def test_iluvatar_rd_expense_and_its_share_of_revenue(graph):
    assert figure_values(graph, "iluvatar", "rd-expense") == {
        "2022": Decimal("457000000"), "2023": Decimal("616000000"), "2024": Decimal("773000000"),
    }
    assert figure_values(graph, "iluvatar", "rd-expense-ratio") == {
        "2022": Decimal("241.1"), "2023": Decimal("213.1"), "2024": Decimal("143.2"),
    }


def test_revenue_cagr_is_over_the_span_2022_to_2024(graph):
    assert rows(graph, """
        SELECT ?value ?start ?end WHERE {
            ?f gpu:figureOf kgr:iluvatar ; gpu:metric gpu:RevenueCAGR ; gpu:value ?value ; gpu:period ?p .
            ?p a gpu:PeriodSpan ; gpu:startDate ?start ; gpu:endDate ?end .
        }""") == [(Decimal("68.8"), "2022-01-01", "2024-12-31")]


def test_h1_2025_revenue_is_60_percent_of_2024(graph):
    assert rows(graph, """
        SELECT ?value ?reference WHERE {
            ?f gpu:figureOf kgr:iluvatar ; gpu:metric gpu:RevenueRelativeToPeriod ; gpu:value ?value ;
               gpu:period <https://w3id.org/gpu-kg/id/period/2025H1> ; gpu:referencePeriod ?reference .
        }""") == [
        (Decimal("60"), "https://w3id.org/gpu-kg/id/period/2024"),
    ]


def test_cumulative_loss_is_a_lower_bound(graph):
    assert rows(graph, """
        SELECT ?value ?qualifier ?stated WHERE {
            ?f gpu:figureOf kgr:iluvatar ; gpu:metric gpu:CumulativeNetLoss ; gpu:value ?value ;
               gpu:qualifier ?qualifier ; gpu:statedValue ?stated .
        }""") == [(Decimal("2800000000"), "https://w3id.org/gpu-kg/ontology#AtLeast", "28亿元")]


def test_net_loss_rate(graph):
    assert figure_values(graph, "iluvatar", "net-loss-rate") == {
        "2022": Decimal("292.3"), "2024": Decimal("165.4"), "2025H1": Decimal("187.9"),
    }


def test_star_market_listings_and_first_day_gains(graph):
    assert rows(graph, """
        SELECT ?company ?date ?gain WHERE {
            ?e a gpu:ListingEvent ; gpu:eventType gpu:Listed ; gpu:venue kgr:star-market ;
               gpu:listingCompany ?c ; gpu:date ?date .
            ?c rdfs:label ?company . FILTER (lang(?company) = "en")
            ?f gpu:listingEvent ?e ; gpu:metric gpu:FirstDayGain ; gpu:value ?gain .
        } ORDER BY ?date""") == [
        ("Moore Threads", "2025-12-05", Decimal("468.8")),
        ("MetaX", "2025-12-17", Decimal("692.95")),
    ]


def test_first_day_market_caps_keep_their_qualifiers(graph):
    assert rows(graph, """
        SELECT ?company ?value ?qualifier WHERE {
            ?f gpu:metric gpu:FirstDayMarketCap ; gpu:figureOf ?company ; gpu:value ?value ; gpu:qualifier ?qualifier .
        } ORDER BY ?company""") == [
        ("https://w3id.org/gpu-kg/id/metax", Decimal("300000000000"), "https://w3id.org/gpu-kg/ontology#AtLeast"),
        ("https://w3id.org/gpu-kg/id/moore-threads", Decimal("305500000000"), "https://w3id.org/gpu-kg/ontology#Exact"),
    ]


def test_who_passed_the_hkex_hearing_and_when(graph):
    assert rows(graph, """
        SELECT ?company ?date WHERE {
            ?e gpu:eventType gpu:HearingPassed ; gpu:venue kgr:hkex ; gpu:listingCompany ?c ; gpu:date ?date .
            ?c rdfs:label ?company . FILTER (lang(?company) = "zh")
        } ORDER BY ?date""") == [("壁仞科技", "2025-12-17"), ("天数智芯", "2025-12-19")]


def test_iluvatar_expected_listing_and_enflame_tutoring(graph):
    assert rows(graph, """
        SELECT ?company ?type ?date ?stated WHERE {
            ?e gpu:listingCompany ?company ; gpu:eventType ?type ; gpu:date ?date ; gpu:statedDate ?stated .
        } ORDER BY ?company""") == [
        ("https://w3id.org/gpu-kg/id/enflame", "https://w3id.org/gpu-kg/ontology#ListingTutoring", "2025", "2025年以来"),
        ("https://w3id.org/gpu-kg/id/iluvatar", "https://w3id.org/gpu-kg/ontology#ExpectedListing", "2026", "2026年初"),
    ]


def test_iluvatar_manufacturing_and_packaging_partners(graph):
    assert rows(graph, """
        SELECT ?supplier ?role WHERE {
            ?r gpu:client kgr:iluvatar ; gpu:supplier ?s ; gpu:supplierRole ?roleNode .
            ?s rdfs:label ?supplier . FILTER (lang(?supplier) = "en")
            ?roleNode skos:notation ?role .
        } ORDER BY ?role ?supplier""") == [
        ("Hua Hong Semiconductor", "manufacturing"), ("SMIC", "manufacturing"), ("JCET", "packaging-and-test"),
    ]


def test_group_level_foundry_dependence_is_not_on_any_company(graph):
    assert rows(graph, """
        SELECT ?client ?supplier WHERE {
            ?r gpu:supplier ?supplier ; gpu:client ?client . ?client a gpu:CompanyGroup .
        } ORDER BY ?supplier""") == [
        ("https://w3id.org/gpu-kg/id/domestic-gpu-companies", "https://w3id.org/gpu-kg/id/smic"),
        ("https://w3id.org/gpu-kg/id/domestic-gpu-companies", "https://w3id.org/gpu-kg/id/tsmc"),
    ]
    assert rows(graph, "SELECT ?c WHERE { ?r gpu:supplier kgr:tsmc ; gpu:client ?c . ?c a gpu:Organization }") == []


def test_d_plus_round_pre_money_valuation_and_investors(graph):
    assert rows(graph, """
        SELECT ?pre ?investor WHERE {
            ?r gpu:fundedCompany kgr:iluvatar ; gpu:roundName "D+" ; gpu:preMoneyValuation ?pre ; gpu:investor ?i .
            ?i rdfs:label ?investor . FILTER (lang(?investor) = "zh")
            FILTER NOT EXISTS { ?r gpu:postMoneyValuation ?post }
        } ORDER BY ?investor""") == [(Decimal("12000000000"), "星纳赫资本"), (Decimal("12000000000"), "衢州智造")]


def test_biren_post_money_valuation_in_august_2025(graph):
    assert rows(graph, """
        SELECT ?post ?date WHERE {
            ?r gpu:fundedCompany kgr:biren ; gpu:postMoneyValuation ?post ; gpu:date ?date .
            FILTER NOT EXISTS { ?r gpu:preMoneyValuation ?pre }
        }""") == [(Decimal("20915000000"), "2025-08")]


def test_product_generations_and_their_milestones(graph):
    assert rows(graph, """
        SELECT ?product ?type ?when WHERE {
            ?m gpu:milestoneOf ?p ; gpu:milestoneType ?t .
            ?p a gpu:ProductGeneration ; rdfs:label ?product . FILTER (lang(?product) = "en")
            ?t skos:notation ?type .
            OPTIONAL { ?m gpu:date ?date }
            OPTIONAL { ?m gpu:period ?period }
            BIND (COALESCE(STR(?date), STR(?period)) AS ?when)
        } ORDER BY ?when ?product ?type""") == [
        ("Tiangai Gen1", "launched", "2021"),
        ("Tiangai Gen1", "mass-production", "2021"),
        ("Zhikai Gen1", "launched", "2022"),
        ("Zhikai Gen1X", "launched", "2022"),
        ("Tiangai Gen2", "mass-production", "2023"),
        ("Tiangai Gen3", "launched", "2024"),
        ("Tiangai Gen3", "planned-mass-production", "https://w3id.org/gpu-kg/id/period/2026Q1"),
        ("Next-generation Zhikai", "planned-launch", "https://w3id.org/gpu-kg/id/period/unspecified"),
    ]


def test_product_lines_and_workloads(graph):
    assert rows(graph, """
        SELECT ?line ?workload (COUNT(?g) AS ?generations) WHERE {
            ?l a gpu:ProductLine ; rdfs:label ?line ; gpu:workload ?w . FILTER (lang(?line) = "zh")
            ?w skos:notation ?workload .
            ?g gpu:productLine ?l .
        } GROUP BY ?line ?workload ORDER BY ?line""") == [("天垓", "training", 3), ("智铠", "inference", 3)]


def test_group_benchmarks_against_a100_and_h100_on_7nm(graph):
    assert rows(graph, """
        SELECT ?product ?node WHERE {
            kgr:domestic-gpu-companies gpu:benchmarkedAgainst ?p ; gpu:processNode ?node .
            ?p rdfs:label ?product . FILTER (lang(?product) = "en")
        } ORDER BY ?product""") == [("NVIDIA A100", "7nm"), ("NVIDIA H100", "7nm")]


def test_iluvatar_is_cuda_compatible(graph):
    assert rows(graph, """
        SELECT ?stance WHERE { kgr:iluvatar gpu:softwareEcosystem ?s . ?s skos:notation ?stance } ORDER BY ?stance
    """) == [("cuda-compatible",), ("fully-in-house",)]


def test_shipments_customers_and_lower_bounds(graph):
    assert rows(graph, """
        SELECT ?metric ?period ?value ?qualifier WHERE {
            ?f gpu:figureOf kgr:iluvatar ; gpu:metric ?m ; gpu:period ?p ; gpu:value ?value ; gpu:qualifier ?q .
            ?m skos:notation ?metric . ?q skos:notation ?qualifier . ?p rdfs:label ?period . FILTER (lang(?period) = "en")
            FILTER (?m IN (gpu:Shipments, gpu:CumulativeDeliveries, gpu:Customers, gpu:Deployments))
        } ORDER BY ?metric ?period""") == [
        ("cumulative-deliveries", "2025-06-30", 52000, "at-least"),
        ("customers", "2025-06-30", 290, "at-least"),
        ("customers", "FY2022", 22, "exact"),
        ("customers", "FY2024", 181, "exact"),
        ("deployments", "2025-06-30", 900, "at-least"),
        ("shipments", "FY2022", 7800, "exact"),
        ("shipments", "FY2024", 16800, "exact"),
        ("shipments", "H1 2025", 15700, "exact"),
    ]


def test_segment_revenue_shares(graph):
    assert figure_values(graph, "iluvatar", "revenue-share", "iluvatar-training") == {
        "2022": Decimal("99"), "2024": Decimal("50"), "2025H1": Decimal("58.5"),
    }
    assert figure_values(graph, "iluvatar", "revenue-share", "iluvatar-inference") == {
        "2023": Decimal("15.8"), "2025H1": Decimal("26.8"),
    }


def test_training_gross_margin_is_a_range(graph):
    assert rows(graph, """
        SELECT ?low ?high ?period WHERE {
            ?f gpu:segment kgr:iluvatar-training ; gpu:metric gpu:GrossMargin ; gpu:qualifier gpu:Range ;
               gpu:minValue ?low ; gpu:maxValue ?high ; gpu:period ?p . ?p rdfs:label ?period .
            FILTER (lang(?period) = "en")
        }""") == [(Decimal("53"), Decimal("61"), "FY2022 to H1 2025")]


def test_inference_and_solutions_margins_and_projects(graph):
    assert figure_values(graph, "iluvatar", "gross-margin", "iluvatar-inference") == {
        "unspecified": Decimal("35.8"), "2024": Decimal("46.7"),
    }
    assert figure_values(graph, "iluvatar", "gross-margin", "iluvatar-ai-solutions") == {
        "2023": Decimal("25.9"), "2025H1": Decimal("45.7"),
    }
    assert figure_values(graph, "iluvatar", "projects", "iluvatar-ai-solutions") == {"2023": 6, "2024": 26}


def test_biren_losses_reported_and_adjusted_are_kept_apart(graph):
    assert figure_values(graph, "biren", "net-loss") == {"2024": Decimal("1538000000"), "2025H1": Decimal("1600000000")}
    assert figure_values(graph, "biren", "adjusted-net-loss") == {"2025H1": Decimal("552000000")}


def test_biren_patents_staff_and_revenue_growth(graph):
    assert figure_values(graph, "biren", "granted-patents") == {"2025-06-30": 613}
    assert figure_values(graph, "biren", "pending-patents") == {"2025-06-30": 972}
    assert figure_values(graph, "biren", "rd-staff-share") == {"2025-06-30": Decimal("83")}
    assert figure_values(graph, "biren", "revenue") == {"2022": Decimal("499000"), "2024": Decimal("337000000")}
    assert rows(graph, """
        SELECT ?value ?qualifier WHERE {
            ?f gpu:figureOf kgr:biren ; gpu:metric gpu:RevenueGrowthMultiple ; gpu:value ?value ; gpu:qualifier ?q .
            ?q skos:notation ?qualifier .
        }""") == [(Decimal("675"), "at-least")]


def test_where_iluvatar_is_based_and_where_its_managers_came_from(graph):
    assert rows(graph, """
        SELECT ?place ?city WHERE {
            kgr:iluvatar gpu:headquarteredIn ?p . ?p rdfs:label ?place ; gpu:locatedIn ?c . ?c rdfs:label ?city .
            FILTER (lang(?place) = "zh" && lang(?city) = "zh")
        }""") == [("张江", "上海")]
    assert rows(graph, """
        SELECT ?from WHERE { kgr:iluvatar gpu:managementFrom ?o . ?o rdfs:label ?from . FILTER (lang(?from) = "en") }
        ORDER BY ?from""") == [("AMD",), ("NVIDIA",)]


def test_the_star_market_is_a_board_of_the_shanghai_exchange(graph):
    assert rows(graph, """
        SELECT ?exchange WHERE { kgr:star-market a gpu:ListingBoard ; gpu:partOf ?e . ?e rdfs:label ?exchange .
        FILTER (lang(?exchange) = "en") }""") == [("Shanghai Stock Exchange",)]


def test_differentiation_of_each_company(graph):
    assert rows(graph, """
        SELECT ?company ?text WHERE {
            ?s gpu:statementKind gpu:Differentiation ; gpu:statementAbout ?c ; gpu:text ?text .
            FILTER (lang(?text) = "zh")
            FILTER NOT EXISTS { ?s gpu:statementAbout ?other . FILTER (?other != ?c) }
            ?c rdfs:label ?company . FILTER (lang(?company) = "en")
        } ORDER BY ?company ?text""") == [
        ("Biren Technology", "壁仞科技主攻高端算力。"),
        ("Cambricon", "寒武纪深耕专用加速。"),
        ("Iluvatar CoreX", "天数智芯以“全自研+双量产+上海协同”形成壁垒。"),
        ("Iluvatar CoreX", "系统架构、指令集、核心算子和软件栈均为自主研发,不采用国外GPU IP授权。"),
        ("MetaX", "沐曦股份侧重全栈覆盖。"),
        ("Moore Threads", "摩尔线程强化图形能力。"),
    ]


def test_the_first_mass_production_claim_cites_frost_and_sullivan(graph):
    assert rows(graph, """
        SELECT ?publisher WHERE {
            kgr:iluvatar-first-mass-production gpu:citedSource ?s . ?s gpu:publisher ?p .
            ?p rdfs:label ?publisher . FILTER (lang(?publisher) = "en")
        }""") == [("Frost & Sullivan",)]


@pytest.mark.parametrize("fact_class", ["Figure", "SupplyRelation", "FundingRound", "ListingEvent", "Milestone", "Statement"])
def test_every_fact_has_a_source_and_a_chinese_quote(graph, fact_class):
    assert rows(graph, f"""
        SELECT ?f WHERE {{
            ?f a gpu:{fact_class} .
            FILTER NOT EXISTS {{ ?f gpu:source ?s ; gpu:quote ?q . FILTER (lang(?q) = "zh") }}
        }}""") == []
