"""Charts in a real headless Chromium with the network blocked: drawn, quiet, the query's values, safe.

Debian's chromium, driven by Playwright for Python; no browser is ever downloaded.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from test_charts import figure, year
from test_views_browser import Opened, open_page, png_pixels

from kg.show import charts

READY = "() => window.kgChart && (window.kgChart.ready === true || window.kgChart.error !== null)"



@pytest.fixture(scope="module")
def site(graph, tmp_path_factory) -> tuple[Path, dict[str, charts.Chart]]:
    out = tmp_path_factory.mktemp("charts")
    written = charts.write_charts(graph, out)
    return out, {chart.name: chart for _, chart in written if chart is not None}


def open_chart(browser, path: Path, *, wait: bool = True, viewport=(1280, 900)) -> Opened:
    opened = open_page(browser, path, wait=wait, viewport=viewport, ready=READY, complaints=("error", "warning"))
    if wait:
        assert opened.page.evaluate("() => kgChart.error") is None
    return opened


def drawn_rows(page) -> list[dict]:
    return page.evaluate("() => kgChart.view.data('rows').map(r => Object.fromEntries(Object.entries(r)))")


def hover(page, selector: str) -> str:
    """Move the mouse onto the first mark that matches and return the tooltip's text."""
    page.locator(selector).first.hover(force=True)
    tooltip = page.locator("#kg-tooltip")
    tooltip.wait_for(state="visible", timeout=5_000)
    return tooltip.inner_text()


NAMES = ["income-biren", "income-iluvatar", "operations-iluvatar", "listing-day", "listing-race", "roadmap", "funding"]


@pytest.mark.parametrize("name", NAMES)
def test_each_chart_draws_offline_with_the_charts_rows(browser, site, name):
    out, drawn = site
    opened = open_chart(browser, out / f"{name}.html")
    page = opened.page
    rows = drawn_rows(page)
    expected = drawn[name].rows()
    assert [{k: r[k] for k in e} for r, e in zip(rows, expected)] == expected and len(rows) == len(expected)
    marks = page.locator("#kg-chart svg [aria-roledescription]").count()
    assert marks >= len(expected), "every row is drawn"
    assert (opened.errors, opened.requests, opened.dialogs) == ([], [], [])
    page.close()


def test_the_values_on_the_page_are_the_graphs(browser, site, graph):
    out, _ = site
    figures = {f.fact: f for f in charts.read_figures(graph)}
    opened = open_chart(browser, out / "income-iluvatar.html")
    for row in drawn_rows(opened.page):
        assert Decimal(row["value"]) == figures[row["fact"]].value
        assert Decimal(str(row["y"])) * 10**6 == figures[row["fact"]].value
    opened.page.close()


def test_hovering_a_lower_bound_says_so_and_names_its_source(browser, site):
    out, _ = site
    opened = open_chart(browser, out / "listing-day.html")
    text = hover(opened.page, '#kg-chart svg [aria-roledescription="bar"][aria-label*="MetaX"][aria-label*="capitalisation"]')
    assert "≥ 300,000 CNY million" in text and "lower bound (at least)" in text
    assert "basis not stated" in text
    assert "“沐曦股份首日市值同样突破3000亿”" in text
    assert opened.errors == []
    opened.page.close()


def test_hovering_a_listing_shows_its_date_as_written(browser, site):
    out, _ = site
    opened = open_chart(browser, out / "listing-race.html")
    text = hover(opened.page, '#kg-chart svg [aria-roledescription="bar"][aria-label*="expected listing"]')
    assert "2026年初" in text and "year: the date says the year only" in text and "HKEX" in text
    opened.page.close()


def test_the_language_switch_redraws_in_chinese_and_back(browser, site):
    out, drawn = site
    opened = open_chart(browser, out / "income-iluvatar.html")
    page = opened.page
    page.click("#kg-lang")
    page.wait_for_function("() => kgChart.ready && kgChart.lang === 'zh'", timeout=30_000)
    assert page.inner_text("#kg-title") == "天数智芯:营业收入、净亏损与研发投入"
    assert [r["shown"] for r in drawn_rows(page)] == [r["shown"] for r in drawn["income-iluvatar"].specs["zh"]["datasets"]["rows"]]
    assert "亿元" in page.inner_text("#kg-chart")
    page.click("#kg-lang")
    page.wait_for_function("() => kgChart.ready && kgChart.lang === 'en'", timeout=30_000)
    assert "CNY million" in page.inner_text("#kg-chart")
    assert (opened.errors, opened.requests) == ([], [])
    page.close()


def test_a_chart_is_not_blank(browser, site):
    out, _ = site
    opened = open_chart(browser, out / "roadmap.html", viewport=(1000, 700))
    pixels = png_pixels(opened.page.locator("#kg-chart").screenshot())
    white = pixels.count(b"\xff\xff\xff")
    assert len(set(pixels)) > 50 and 0.02 < 1 - white / len(pixels) < 0.7
    opened.page.close()


def test_the_index_links_every_chart_and_loads_nothing(browser, site):
    out, _ = site
    opened = open_chart(browser, out / "index.html", wait=False)
    hrefs = opened.page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs == [f"{name}.html" for name in NAMES]
    assert (opened.errors, opened.requests) == ([], [])
    opened.page.close()


def test_injected_labels_show_as_text_and_run_nothing(browser, tmp_path):
    evil = "<img src=x onerror=alert(1)>"
    chart = charts.series_chart(
        [replace(figure("Revenue", year(2024), "5e8"), of_label={"en": evil, "zh": evil},
                 metric_label={"en": evil, "zh": evil})],
        name="evil", title={"en": evil, "zh": evil}, about={"en": evil, "zh": evil})
    path = tmp_path / "evil.html"
    path.write_bytes(charts.render_html(chart))
    opened = open_chart(browser, path)
    page = opened.page
    text = hover(page, '#kg-chart svg [aria-roledescription="point"]')
    assert evil in text and page.inner_text("#kg-title") == evil
    page.click("#kg-lang")
    page.wait_for_function("() => kgChart.ready && kgChart.lang === 'zh'", timeout=30_000)
    assert page.locator("body img, body iframe, #kg-tooltip *:not(div):not(b)").count() == 0
    assert (opened.errors, opened.requests, opened.dialogs) == ([], [], [])
    page.close()

