"""Charts and timelines: periods in time order and kept apart, bounds never drawn as exact,
currencies never on one axis, sources on hover, the same bytes for the same facts."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from decimal import Decimal

import pytest
from click.testing import CliRunner

from conftest import FACTS, need_tool
from kg.show import charts
from kg.query import catalog as queries
from kg.show.charts import Figure, Period, Source
from kg.cli import main

ARTICLE = Source("https://w3id.org/gpu-kg/id/article", {"en": "The article", "zh": "文章"}, quote="原文一句。")


def figure(metric: str, period: Period, value: str, *, unit: str = "CNY", qualifier: str = "Exact", **more) -> Figure:
    return Figure(
        fact=f"https://w3id.org/gpu-kg/id/figure/x/{metric}/{period.iri.rsplit('/', 1)[-1]}/{unit}",
        of="x", of_label={"en": "X Corp", "zh": "某公司"}, metric=metric,
        metric_label={"en": metric.lower(), "zh": metric}, period=period, unit=unit,
        unit_label={"en": unit, "zh": unit}, qualifier=qualifier, value=Decimal(value), sources=(ARTICLE,),
        stated=value, **more)


def year(y: int, label: str | None = None) -> Period:
    return Period(f"https://w3id.org/gpu-kg/id/period/{y}", "FiscalYear", f"{y}-01-01", f"{y}-12-31",
                  {"en": label or f"FY{y}", "zh": label or f"{y}年"})


def half(y: int, label: str | None = None) -> Period:
    return Period(f"https://w3id.org/gpu-kg/id/period/{y}H1", "HalfYear", f"{y}-01-01", f"{y}-06-30",
                  {"en": label or f"H1 {y}", "zh": label or f"{y}年上半年"})


def panels(spec: dict) -> list[dict]:
    """Every panel (a spec with a layer) of a chart, depth first."""
    found = []
    for key in ("vconcat", "hconcat"):
        for part in spec.get(key, []):
            found += panels(part)
    if "layer" in spec:
        found.append(spec)
    return found


def x_order(panel: dict) -> list[str]:
    return panel["layer"][0]["encoding"]["x"]["sort"]


@pytest.fixture(scope="module")
def drawn(graph) -> dict[str, charts.Chart]:
    return {chart.name: chart for chart in charts.named_charts(graph)}


# --- periods -----------------------------------------------------------------------------------


def test_full_years_and_half_years_are_separate_panels_each_in_time_order_not_label_order():
    # Labels chosen to sort the wrong way: by label 2023 would come after H1 2025.
    figures = [figure("Revenue", year(2024, "c"), "3e8"), figure("Revenue", year(2022, "b"), "1e8"),
               figure("Revenue", half(2025, "a"), "2e8"), figure("Revenue", year(2023, "a"), "2e8"),
               figure("Revenue", half(2024, "z"), "1e8")]
    chart = charts.series_chart(figures, name="t", title={"en": "t", "zh": "t"}, about={"en": "", "zh": ""})
    drawn_panels = panels(chart.specs["en"])
    assert [p["title"] for p in drawn_panels] == ["Full years", "Half years"]
    assert [x_order(p) for p in drawn_panels] == [["b", "a", "c"], ["z", "a"]]
    assert [r["panel"] for r in chart.rows()] == ["CNY|FiscalYear"] * 3 + ["CNY|HalfYear"] * 2
    assert [p["transform"] for p in drawn_panels] == [[{"filter": {"field": "panel", "equal": "CNY|FiscalYear"}}],
                                                      [{"filter": {"field": "panel", "equal": "CNY|HalfYear"}}]]


def test_the_seed_income_statement_puts_h1_2025_in_its_own_panel(drawn):
    chart = drawn["income-iluvatar"]
    assert [x_order(p) for p in panels(chart.specs["en"])] == [["FY2022", "FY2023", "FY2024"], ["H1 2025"]]
    assert [x_order(p) for p in panels(chart.specs["zh"])] == [["2022年", "2023年", "2024年"], ["2025年上半年"]]


# --- values that are not exact -------------------------------------------------------------------


def test_a_lower_bound_is_a_hollow_triangle_off_the_line_and_says_so():
    figures = [figure("Customers", year(2022), "22", unit="Customer"),
               figure("Customers", year(2024), "181", unit="Customer"),
               figure("Customers", year(2025), "290", unit="Customer", qualifier="AtLeast")]
    chart = charts.series_chart(figures, name="t", title={"en": "t", "zh": "t"}, about={"en": "", "zh": ""})
    bound = [r for r in chart.rows() if not r["exact"]]
    assert [(r["period"], r["shown"], r["value_kind"]) for r in bound] == [("FY2025", "≥ 290 Customer",
                                                                            "lower bound (at least)")]
    zh = [r for r in chart.specs["zh"]["datasets"]["rows"] if not r["exact"]]
    assert zh[0]["shown"].startswith("至少")
    line, points = panels(chart.specs["en"])[0]["layer"][:2]
    assert line["mark"]["type"] == "line" and line["transform"] == [{"filter": "datum.exact"}]
    assert points["encoding"]["shape"]["scale"] == {"domain": ["exact", "lower bound (at least)"],
                                                    "range": ["circle", "triangle-up"]}
    assert points["encoding"]["fillOpacity"] == {"condition": {"test": "datum.exact", "value": 1}, "value": 0.12}
    assert points["encoding"]["stroke"] == points["encoding"]["color"], "outlined in the metric's colour"
    assert any("lower bound" in note for note in chart.notes["en"])


@pytest.mark.parametrize("more, kind, shown", [
    ({"approximation": "About"}, "approximate", "about 12 CNY million"),
    ({"circumstance": "Forecast"}, "forecast, plan or hypothesis", "12 CNY million (forecast)"),
    ({"qualifier": "AtMost"}, "upper bound (at most)", "≤ 12 CNY million"),
])
def test_approximations_forecasts_and_upper_bounds_read_as_what_they_are(more, kind, shown):
    chart = charts.series_chart([figure("Revenue", year(2024), "12000000", **more)], name="t",
                                title={"en": "t", "zh": "t"}, about={"en": "", "zh": ""})
    row = chart.rows()[0]
    assert (row["exact"], row["value_kind"], row["shown"]) == (False, kind, shown)


def test_a_range_is_drawn_from_its_low_to_its_high_value():
    ranged = replace(figure("GrossMargin", year(2024), "0", unit="percent", qualifier="Range"),
                     value=None, low=Decimal("30"), high=Decimal("40"))
    chart = charts.series_chart([ranged], name="t", title={"en": "t", "zh": "t"}, about={"en": "", "zh": ""})
    row = chart.rows()[0]
    assert (row["y_low"], row["y_high"], row["shown"], row["exact"]) == (30.0, 40.0, "30–40%", False)
    rule = panels(chart.specs["en"])[0]["layer"][-1]
    assert rule["mark"]["type"] == "rule" and rule["encoding"]["y2"] == {"field": "y_high"}


# --- units and currencies ----------------------------------------------------------------------------


def test_amounts_are_in_millions_in_english_and_yi_in_chinese(drawn):
    rows = {r["period"]: r for r in drawn["income-iluvatar"].rows() if r["metric_key"] == "Revenue"}
    assert (rows["FY2024"]["y"], rows["FY2024"]["value"], rows["FY2024"]["shown"]) == (540.0, "540000000.0",
                                                                                       "540 CNY million")
    zh = {r["period"]: r for r in drawn["income-iluvatar"].specs["zh"]["datasets"]["rows"] if r["metric_key"] == "Revenue"}
    assert (zh["2024年"]["y"], zh["2024年"]["shown"]) == (5.4, "5.4亿元")
    assert {p["layer"][0]["encoding"]["y"]["title"] for p in panels(drawn["income-iluvatar"].specs["zh"])} == {"亿元"}


def test_hkd_and_cny_get_separate_rows_and_axes_and_are_never_on_one_panel():
    figures = [figure("Revenue", year(2024), "5e8"), figure("Revenue", year(2024), "6e8", unit="HKD"),
               figure("Revenue", year(2023), "4e8", unit="HKD")]
    chart = charts.series_chart(figures, name="t", title={"en": "t", "zh": "t"}, about={"en": "", "zh": ""})
    spec = chart.specs["en"]
    assert len(spec["vconcat"]) == 2 and spec["resolve"]["scale"]["y"] == "independent"
    assert [p["layer"][0]["encoding"]["y"]["title"] for p in panels(spec)] == ["CNY million", "HKD million"]
    for panel in panels(spec):
        unit = panel["transform"][0]["filter"]["equal"].split("|")[0]
        assert {r["unit"] for r in chart.rows() if r["panel"] == panel["transform"][0]["filter"]["equal"]} == {unit}
    assert not any("aggregate" in json.dumps(layer) for layer in panels(spec)[0]["layer"]), "nothing is summed"
    assert any("never added" in note for note in chart.notes["en"])
    assert [p["layer"][0]["encoding"]["y"]["title"] for p in panels(chart.specs["zh"])] == ["亿元", "亿港元"]


# --- listing day --------------------------------------------------------------------------------


def test_listing_day_figures_carry_their_basis_and_the_lower_bound(drawn):
    chart = drawn["listing-day"]
    rows = {(r["company"], r["metric_key"]): r for r in chart.rows()}
    cap = rows["MetaX", "FirstDayMarketCap"]
    assert (cap["exact"], cap["shown"], cap["basis"]) == (False, "≥ 300,000 CNY million", "basis not stated"), \
        "thousands grouped"
    assert rows["Moore Threads", "FirstDayGain"]["shown"] == "468.8%"
    assert {r["basis"] for r in chart.rows()} == {"basis not stated"}
    assert "not like-for-like" in chart.notes["en"][0]
    assert all("basis not stated" in label for p in panels(chart.specs["en"]) for label in x_order(p))


def test_listing_day_bases_are_named_when_they_differ():
    day = Period("https://w3id.org/gpu-kg/id/period/2025-12-05", "PointInTime", "2025-12-05", "2025-12-05",
                 {"en": "2025-12-05", "zh": "2025年12月5日"})
    opened = figure("FirstDayGain", day, "400", unit="percent", basis="AtOpen", event="e1")
    closed = replace(figure("FirstDayGain", day, "468.8", unit="percent", basis="AtClose", event="e2"),
                     fact="https://w3id.org/gpu-kg/id/figure/y")
    chart = charts.listing_day_chart([opened, closed])
    assert chart.notes["en"] == ("Bases: at the open, at the close. Figures on different or unstated bases are not "
                                 "like-for-like; the bars sit side by side, not as a ranking.",)
    assert sorted(r["basis"] for r in chart.specs["zh"]["datasets"]["rows"]) == ["开盘", "收盘"]


# --- timelines ------------------------------------------------------------------------------------


def test_the_listing_race_keeps_each_dates_precision(drawn):
    rows = {(r["lane"], r["type"]): r for r in drawn["listing-race"].rows()}
    expected = rows["Iluvatar CoreX", "expected listing"]
    assert (expected["start"], expected["end"], expected["day"], expected["tentative"], expected["when"]) == (
        "2026-01-01", "2026-12-31", False, True, "2026年初")
    listed = rows["Moore Threads", "listed"]
    assert (listed["start"], listed["end"], listed["day"], listed["tentative"]) == ("2025-12-05", "2025-12-05", True, False)
    assert "5日摩尔线程登陆科创板" in listed["source"]
    lanes = drawn["listing-race"].specs["en"]["layer"][0]["encoding"]["y"]["sort"]
    assert lanes == ["Enflame", "Moore Threads", "Biren Technology", "MetaX", "Iluvatar CoreX"]


def test_the_roadmap_draws_dated_milestones_by_product_and_stacks_overlaps(drawn):
    rows = drawn["roadmap"].rows()
    gen1 = sorted((r["type"], r["slot"]) for r in rows if r["lane"] == "Tiangai Gen1")
    assert gen1 == [("launched", 0), ("mass production", 1)]
    planned = [r for r in rows if r["tentative"]]
    assert [(r["lane"], r["start"], r["end"]) for r in planned] == [("Tiangai Gen3", "2026-01-01", "2026-03-31")]
    assert len(rows) == 8, "the milestone with no date is not drawn"


def test_funding_rounds_say_pre_or_post_money(drawn):
    valuations = sorted(r["valuation"] for r in drawn["funding"].rows() if r["valuation"])
    assert valuations == ["post-money 20,915 CNY million", "pre-money 12,000 CNY million"]
    zh = sorted(r["valuation"] for r in drawn["funding"].specs["zh"]["datasets"]["rows"] if r["valuation"])
    assert zh == ["投前120亿元", "投后209.15亿元"]


# --- values on the chart are the query's --------------------------------------------------------


def test_the_income_statement_draws_exactly_the_saved_querys_values(graph, drawn):
    result = queries.run(graph, queries.find_query("income-statement"), {"company": "iluvatar"})
    expected = set()
    for row in result.records():
        for column, metric in (("revenue_cny", "Revenue"), ("net_loss_cny", "NetLoss"), ("rd_expense_cny", "RDExpense")):
            if column in row:
                expected.add((str(row["start"]), metric, Decimal(str(row[column]))))
    drawn_values = {(r["start"], r["metric_key"], Decimal(r["value"])) for r in drawn["income-iluvatar"].rows()}
    assert drawn_values == expected and len(expected) == 11


def test_a_saved_query_that_names_figures_by_their_iris_charts_those_figures(graph):
    result = queries.run(graph, queries.find_query("figures"), {"entity": "biren", "metric": "net-loss"})
    chart = charts.result_chart(graph, result, name="figures", mark="bar")
    assert sorted((r["start"], Decimal(r["value"])) for r in chart.rows()) == sorted(
        (str(row["period"]).rsplit("/", 1)[-1][:4] + "-01-01", Decimal(str(row["value"]))) for row in result.records())


def test_a_query_over_several_companies_draws_one_line_each(graph):
    result = queries.run(graph, queries.find_query("figures"), {"metric": "revenue"})
    chart = charts.result_chart(graph, result, name="figures")
    assert sorted({r["series"] for r in chart.rows()}) == ["Biren Technology · revenue", "Iluvatar CoreX · revenue"]
    line = panels(chart.specs["en"])[0]["layer"][0]
    assert line["encoding"]["detail"] == {"field": "series"}


# --- pages and images ----------------------------------------------------------------------------


def test_a_page_is_self_contained_and_its_policy_allows_only_its_own_scripts(drawn):
    html = charts.render_html(drawn["listing-race"]).decode("utf-8")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)[1]
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert len(scripts) == 4
    hashes = re.findall(r"'sha256-([^']+)'", policy)
    import base64
    assert hashes == [base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts]
    assert policy.startswith("default-src 'none'; script-src 'sha256-") and "unsafe-eval" not in policy
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_text_from_the_facts_cannot_end_the_data_block():
    evil = "</script><script>alert(1)</script>"
    chart = charts.series_chart([replace(figure("Revenue", year(2024), "1"), of_label={"en": evil, "zh": evil})],
                                name="t", title={"en": evil, "zh": evil}, about={"en": "", "zh": ""})
    html = charts.render_html(chart).decode("utf-8")
    assert html.count("<script") == 6 and html.count("</script>") == 6
    assert "&lt;/script&gt;&lt;script&gt;" in html  # the title, escaped by the template


def test_the_same_facts_give_the_same_bytes(graph, drawn):
    again = {chart.name: chart for chart in charts.named_charts(graph)}
    for name, chart in drawn.items():
        assert charts.render_html(chart) == charts.render_html(again[name]), name
        assert charts.render(chart, "svg") == charts.render(again[name], "svg"), name


def test_svg_and_png_come_from_the_same_spec(drawn):
    svg = charts.render(drawn["listing-day"], "svg").decode("utf-8")
    assert svg.startswith("<svg") and "Moore Threads" in svg and "468.8%" in svg
    png = charts.render(drawn["roadmap"], "png", lang="zh")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_vendored_libraries_are_the_recorded_ones():
    versions = (charts.VENDOR / "VERSIONS").read_text(encoding="utf-8")
    for line in versions.splitlines():
        if re.fullmatch(r"[0-9a-f]{64}  \S+", line):
            digest, name = line.split("  ")
            assert hashlib.sha256((charts.VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert charts.vendored_versions() == {"vega": "6.4.0", "vega-lite": "6.5.0", "vega-interpreter": "2.3.2"}
    for name in ("vega", "vega-lite", "vega-interpreter"):
        assert "Redistribution and use in source and binary forms" in (charts.VENDOR / f"LICENSE.{name}").read_text()


# --- the command line ------------------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(main, [*args, "--facts", str(FACTS)])


def test_kg_charts_writes_every_chart_and_an_index(tmp_path):
    result = run("charts", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    names = ["income-biren", "income-iluvatar", "operations-iluvatar", "listing-day", "listing-race", "roadmap",
             "funding"]
    assert result.output.splitlines() == [f"wrote {tmp_path / n}.html ({c} rows)" for n, c in
                                          zip(names, (4, 11, 8, 4, 6, 8, 3))] + [f"wrote {tmp_path / 'index.html'}"]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="([^"]+)"', index) == [f"{n}.html" for n in names]


def test_kg_chart_writes_html_svg_or_png_by_suffix(tmp_path):
    for suffix, magic in ((".html", b"<!DOCTYPE html>"), (".svg", b"<svg"), (".png", b"\x89PNG"), (".json", b"{")):
        target = tmp_path / f"chart{suffix}"
        result = run("chart", "income-statement", "--company", "天数智芯", "-o", str(target))
        assert result.exit_code == 0, result.output
        assert result.output == f"wrote {target} (11 rows)\n"
        assert target.read_bytes().startswith(magic)


def test_kg_chart_of_a_query_draws_its_figures_or_its_events(tmp_path):
    result = run("chart", "--query", "figures", "-p", "entity=biren", "-p", "metric=net-loss",
                 "-o", str(tmp_path / "loss.html"))
    assert result.exit_code == 0 and result.output.endswith("(2 rows)\n"), result.output
    result = run("chart", "--query", "listing-race", "-p", "venue=hkex", "-o", str(tmp_path / "hkex.html"))
    assert result.exit_code == 0 and result.output.endswith("(3 rows)\n"), result.output


@pytest.mark.parametrize("args, message", [
    (("chart", "income-statement"), "Error: the income-statement chart needs --company (e.g. --company iluvatar)\n"),
    (("chart", "roadmap", "-o", "x.pdf"),
     "Error: cannot tell the chart format of 'x.pdf' from its suffix; give --format (html, svg, png, json)\n"),
    (("chart",), "Error: give a chart name (income-statement, operations, listing-day, listing-race, roadmap, "
                 "funding) "
                 "or --query QUERY, not both\n"),
    (("chart", "--query", "find-entity", "-p", "text=tsmc"),
     "Error: 'find-entity' has nothing to chart: return figures (as ?fact, or as ?entity ?metric ?period IRIs, as "
     "figures does) or listing events, milestones or funding rounds (as ?fact, as listing-race does); its columns: "
     "id, name, kind\n"),
    (("chart", "income-statement", "--company", "tsmc"), "Error: no revenue, net loss or R&D figures about 'tsmc'\n"),
    (("chart", "operations"), "Error: the operations chart needs --company (e.g. --company iluvatar)\n"),
])
def test_kg_chart_says_what_is_wrong_and_exits_2(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert (result.exit_code, result.output) == (2, message)
    assert not (tmp_path / "out").exists()


def test_the_views_index_links_the_charts_written_beside_it(tmp_path):
    assert run("charts", "--out", str(tmp_path / "charts")).exit_code == 0
    assert run("views", "--out", str(tmp_path / "views")).exit_code == 0
    index = (tmp_path / "views" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="([^"]+)"', index)[-1] == "../charts/index.html"
    assert (tmp_path / "views" / "../charts/index.html").is_file()


def test_statements_of_one_value_by_two_sources_are_one_point_with_both_sources():
    other = Source("https://w3id.org/gpu-kg/id/other", {"en": "Other paper", "zh": "另一家"}, locator="table 3")
    first = figure("NetLoss", year(2024), "1538000000")
    second = replace(first, fact=first.fact + "/other", sources=(other,))
    disputed = replace(first, fact=first.fact + "/third", value=Decimal("1600000000"), sources=(other,))
    merged = charts.merge_statements([second, first])
    assert len(merged) == 1 and merged[0].sources == (ARTICLE, other) and merged[0].also == (second.fact,)
    chart = charts.series_chart(charts.merge_statements([first, second, disputed]), name="t",
                                title={"en": "t", "zh": "t"}, about={"en": "", "zh": ""})
    assert sorted(r["value"] for r in chart.rows()) == ["1538000000", "1600000000"]
    assert "The article · “原文一句。” | Other paper · table 3" in chart.rows()[0]["source"]
    assert chart.notes["en"][0] == ("1 figure(s) are given different values by different sources: each value is "
                                    "drawn, with its source.")


def test_a_network_view_as_png_is_a_picture_of_its_settled_page(graph, tmp_path):
    need_tool("chromium", "apt-get install chromium")
    from test_views_browser import png_pixels

    result = run("view", "capital", "-o", str(tmp_path / "capital.png"))
    assert result.exit_code == 0, result.output
    pixels = png_pixels((tmp_path / "capital.png").read_bytes())
    assert len(set(pixels)) > 200, "nodes, edges, labels and the legend"
    assert 0.02 < 1 - pixels.count(b"\xff\xff\xff") / len(pixels) < 0.6


def test_operating_figures_put_each_unit_on_its_own_axis(drawn):
    chart = drawn["operations-iluvatar"]
    assert [p["layer"][0]["encoding"]["y"]["title"] for p in panels(chart.specs["en"])] == [
        "chips (count)", "chips (count)", "chips (count)", "customers (count)", "customers (count)",
        "deployments (count)"]
    bounds = sorted((r["metric_key"], r["shown"]) for r in chart.rows() if not r["exact"])
    assert bounds == [("CumulativeDeliveries", "≥ 52,000 chips (count)"), ("Customers", "≥ 290 customers (count)"),
                      ("Deployments", "≥ 900 deployments (count)")]


def test_on_the_live_facts_one_listing_gets_a_bar_per_basis_each_labelled():
    import kg
    from conftest import LIVE_FACTS

    graph = kg.load_graph(LIVE_FACTS)
    figures = [f for f in charts.read_figures(graph) if f.metric in charts.LISTING_METRICS and f.event]
    chart = charts.listing_day_chart(figures)
    for panel in panels(chart.specs["en"]):
        bars = x_order(panel)
        assert len(bars) == len(set(bars)), "one bar per listing and basis"
    by_fact = {f.fact: f for f in figures}
    for row in chart.rows():
        figure = by_fact[row["fact"]]
        assert row["listing"].endswith(charts.basis_label(figure.basis, "en"))
        assert row["exact"] == (figure.value_kind == charts.EXACT)
    bases = {f.basis for f in figures}
    if len(bases) > 1:
        assert "not like-for-like" in chart.notes["en"][0]


# --- pictures that read on their own -------------------------------------------------------------


def test_a_picture_carries_the_charts_title_and_what_to_know_in_reading_it(drawn):
    chart = drawn["listing-day"]
    svg = charts.render(chart, "svg").decode("utf-8")
    assert ">Listing day: first-day gain and market capitalisation</text>" in svg
    assert "not like-for-like" in svg, "the note under the page's chart is the picture's subtitle"
    spec = json.loads(charts.render(chart, "json"))
    assert spec["title"]["text"] == chart.title["en"] and chart.about["en"] in spec["title"]["subtitle"]
    assert "title" not in chart.specs["en"], "the page shows the title around the chart, not twice"


def test_amounts_on_a_picture_have_thousands_separators(drawn):
    svg = charts.render(drawn["listing-day"], "svg").decode("utf-8")
    assert ">305,500 CNY million</text>" in svg and ">≥ 300,000 CNY million</text>" in svg
    assert "305500 CNY" not in svg


def test_a_bar_a_thousand_times_smaller_than_the_rest_is_seen_and_labelled(graph):
    chart = charts.named_chart(graph, "income-statement", company="biren", mark="bar")
    revenue_2022 = next(r for r in chart.rows() if r["metric_key"] == "Revenue" and r["period"] == "FY2022")
    assert (revenue_2022["y"], revenue_2022["label"]) == (0.499, "0.5")
    svg = charts.render(chart, "svg").decode("utf-8")
    tick = re.search(r'aria-label="[^"]*CNY million: 0\.499;[^"]*" role="graphics-symbol" aria-roledescription="tick" '
                     r'd="M[\d.]+,[\d.]+h[\d.]+v([\d.]+)h', svg)
    assert tick and float(tick[1]) >= 2, "a rule two pixels thick on top of the bar, however short the bar"
    assert re.search(r'label: 0\.5"[^>]*>0\.5</text>', svg), "and its number above it"
