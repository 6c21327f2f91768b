"""``kg serve`` in a real headless Chromium: forms, completion, tables, sorting, downloads, the editor.

The server is the real command on a loopback port; every page is checked for
console errors and for any request to a host other than the server itself.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
from rdflib import Graph, Literal, URIRef

from conftest import DOC_FACTS, SEED
from playwright.sync_api import Browser, Page
from test_views_browser import HOSTILE
from webapp import app_server, fetch, kg_serve

from kg.web import app as serve
from kg.base.ontology import ontology_graph

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def base():
    with kg_serve(facts=SEED) as url:
        yield url


@dataclass
class Opened:
    """A page of the app, with every console error and every request to another host."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def clean(self) -> tuple[list[str], list[str], list[str]]:
        return self.errors, self.elsewhere, self.dialogs


def open_app(browser: Browser, base: str, path: str, *, viewport=(1280, 900), accept_downloads=False) -> Opened:
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  accept_downloads=accept_downloads)
    page = context.new_page()
    opened = Opened(page, base)
    page.on("console", lambda message: opened.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    page.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))

    def route(route):
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:  # another host: counted and refused
            opened.elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.goto(base + path)
    page.wait_for_function("() => window.kgApp && window.kgApp.ready === true", timeout=30_000)
    return opened


def close(opened: Opened) -> None:
    opened.page.context.close()


def column(page: Page, name: str) -> list[str]:
    index = page.eval_on_selector_all("#result thead th", "ths => ths.map(th => th.innerText.split(' ')[0].replace(/[▲▼]/g, '').trim())").index(name)
    return page.eval_on_selector_all(f"#result tbody tr td:nth-child({index + 1})", "tds => tds.map(td => td.innerText)")


# --- the catalog, a form, completion, the table ------------------------------------------------------


def test_the_home_page_lists_every_saved_query(browser, base):
    opened = open_app(browser, base, "/")
    links = opened.page.eval_on_selector_all("ul.catalog a[href^='/queries/']", "as => as.map(a => a.getAttribute('href'))")
    status, _, body = fetch(base + "/api/queries")
    assert sorted(links) == sorted(f"/queries/{entry['name']}" for entry in json.loads(body))
    assert opened.clean() == ([], [], [])
    close(opened)


def test_a_form_completes_names_in_chinese_and_runs_the_query(browser, base):
    opened = open_app(browser, base, "/queries/financial-series")
    page = opened.page
    company = page.locator("#p-company")
    assert company.input_value() == "iluvatar", "the default fills the field"
    company.fill("")
    company.press_sequentially("壁仞", delay=30)
    option = page.locator("ul.completions li[role=option]").first
    option.wait_for(state="visible", timeout=10_000)
    assert "Biren Technology / 壁仞科技" in option.inner_text()
    option.click()
    assert company.input_value() == "biren"
    metric = page.locator("#p-metric")
    metric.fill("")
    metric.press_sequentially("net lo", delay=30)
    page.locator("ul.completions li[role=option]").first.wait_for(state="visible", timeout=10_000)
    texts = page.locator("ul.completions li[role=option]").all_inner_texts()
    assert any(text.startswith("net loss") for text in texts), texts
    metric.press("ArrowDown")
    metric.press("Enter")
    assert metric.input_value().startswith("gpu:")
    page.click("#run")
    page.wait_for_selector("#result tbody tr")
    assert "company=biren" in page.url
    values = column(page, "value")
    assert values and all("," in value for value in values if len(value) > 4), "amounts are grouped"
    assert opened.clean() == ([], [], [])
    close(opened)


def test_completion_offers_only_entities_of_the_parameters_class(browser, base):
    opened = open_app(browser, base, "/queries/financial-series")
    page = opened.page
    page.locator("#p-metric").fill("")
    page.locator("#p-metric").press_sequentially("天数智芯", delay=30)
    page.wait_for_timeout(800)
    assert page.locator("ul.completions li").count() == 0, "a company is not a metric"
    page.locator("#find-entity").press_sequentially("moore", delay=30)
    page.locator("ul.completions li").first.wait_for(state="visible", timeout=10_000)
    assert page.locator("ul.completions li").first.inner_text().startswith("Moore Threads / 摩尔线程")
    close(opened)


def sort_by(page: Page, name: str) -> str:
    """Click a column's header; returns its selector."""
    names = page.eval_on_selector_all("#result thead th button", "bs => bs.map(b => b.firstChild.textContent.trim())")
    selector = f"#result thead th[data-column='{names.index(name)}']"
    page.click(selector + " button")
    return selector


def test_the_table_sorts_by_number_and_by_text(browser, base):
    opened = open_app(browser, base, "/queries/listing-race")
    page = opened.page
    header = sort_by(page, "first_day_market_cap")
    caps = [c for c in column(page, "first_day_market_cap") if c]
    assert caps == ["300,000,000,000 CNY", "305,500,000,000 CNY"], "amounts grouped, with their currency"
    assert page.get_attribute(header, "aria-sort") == "ascending"
    sort_by(page, "first_day_market_cap")
    assert [c for c in column(page, "first_day_market_cap") if c] == ["305,500,000,000 CNY", "300,000,000,000 CNY"]
    assert page.get_attribute(header, "aria-sort") == "descending"
    sort_by(page, "company")
    companies = column(page, "company")
    assert companies == sorted(companies, key=str.casefold)
    header = sort_by(page, "first_day_gain_pct")  # 468.8 before 692.95: by value, not as text
    assert [c for c in column(page, "first_day_gain_pct") if c] == ["468.8", "692.95"]
    assert page.inner_text(header + " .unit") == "%"
    assert opened.clean() == ([], [], [])
    close(opened)


def test_downloads_give_the_result_as_csv_json_and_excel(browser, base):
    opened = open_app(browser, base, "/queries/financial-series?company=%E5%A4%A9%E6%95%B0%E6%99%BA%E8%8A%AF&metric=net-loss",
                      accept_downloads=True)
    page = opened.page
    rows = page.locator("#result tbody tr").count()
    files = {}
    for fmt in ("csv", "json", "xlsx"):
        with page.expect_download() as caught:
            page.click(f".downloads a[data-format={fmt}]")
        download = caught.value
        assert download.suggested_filename == f"financial-series.{fmt}"
        files[fmt] = Path(download.path()).read_bytes()
    records = list(csv.DictReader(io.StringIO(files["csv"].decode("utf-8"))))
    assert len(records) == rows and records[0]["unit"]
    assert len(json.loads(files["json"])["results"]["bindings"]) == rows
    sheet = openpyxl.load_workbook(io.BytesIO(files["xlsx"])).active
    header = [cell.value for cell in sheet[1]]
    values = [row[header.index("value")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(values) == rows and all(isinstance(v, (int, float)) for v in values)
    assert [float(r["value"]) for r in records] == values
    assert opened.clean() == ([], [], [])
    close(opened)


def test_a_wrong_value_shows_the_error_and_the_form_again(browser, base):
    opened = open_app(browser, base, "/queries/financial-series?company=nobody")
    assert "no organization is called 'nobody'" in opened.page.inner_text(".error")
    assert opened.page.locator("#p-company").input_value() == "nobody"
    close(opened)


# --- the entity page, the views, the editor ---------------------------------------------------------


def test_the_entity_page_shows_statements_and_their_sources(browser, base):
    opened = open_app(browser, base, "/")
    page = opened.page
    page.locator("#find-entity").press_sequentially("天数智芯", delay=30)
    # the list is offered again as each character comes: wait for the one of the whole name
    company = page.locator("ul.completions li").filter(has_text="Iluvatar CoreX").first
    company.wait_for(state="visible", timeout=10_000)
    company.click()
    page.click("form.find button")
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == "Iluvatar CoreX 天数智芯"
    revenue = page.locator("article.statement").filter(has_text="Iluvatar CoreX revenue FY2024")
    assert revenue.count() == 1, "the figure statement that points at the company"
    assert "540,000,000" in revenue.inner_text() and "5.40亿元" in revenue.inner_text()
    source = revenue.locator("p.sources a").first
    assert source.inner_text().startswith("Report on Iluvatar CoreX")
    assert source.get_attribute("href") == "/entity?iri=https%3A%2F%2Fw3id.org%2Fgpu-kg%2Fid%2Farticle"
    page.locator("#own a", has_text="Zhangjiang").click()
    page.wait_for_selector("h1")
    assert page.inner_text("h1").startswith("Zhangjiang")
    assert opened.clean() == ([], [], [])
    close(opened)


def test_the_network_views_load_under_the_servers_policy(browser, base):
    opened = open_app(browser, base, "/views")
    page = opened.page
    page.click("a[href='/views/supply-chain']")
    page.wait_for_function("() => window.kgView && window.kgView.ready === true", timeout=60_000)
    assert page.evaluate("() => kgView.nodes.length") > 5
    assert opened.clean() == ([], [], [])
    close(opened)


def test_the_sparql_editor_runs_a_query_against_this_server_only(browser, base):
    opened = open_app(browser, base, "/editor")
    page = opened.page
    page.wait_for_function("() => window.kgEditor && window.kgEditor.ready === true", timeout=30_000)
    yasqe = "kgEditor.yasgui.getTab().getYasqe()"
    page.evaluate(f"() => {yasqe}.setValue('SELECT ?name WHERE {{ ?c a <https://w3id.org/gpu-kg/ontology#Foundry> ; "
                  f"<http://www.w3.org/2000/01/rdf-schema#label> ?name FILTER(LANG(?name) = \"zh\") }} ORDER BY ?name')")
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table tbody tr td", timeout=30_000)
    text = page.inner_text(".yasr table tbody")
    assert "中芯国际" in text and "华虹" in text
    assert opened.clean() == ([], [], [])
    close(opened)


# --- safety ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_base():
    graph = Graph()  # a copy: the ontology's graph is shared, and must not change
    for triple in ontology_graph():
        graph.add(triple)
    graph.parse(HOSTILE)
    graph.add((URIRef("https://w3id.org/gpu-kg/id/evil-source"), URIRef(f"{serve._GPU}url"),
               Literal("javascript:window.__pwned = 'url'")))
    with app_server(serve.Site(graph)) as url:
        yield url


def test_hostile_text_shows_as_text_and_runs_nothing(browser, hostile_base):
    opened = open_app(browser, hostile_base, "/entity?id=evil")
    page = opened.page
    assert page.inner_text("h1") == "<img src=x onerror=alert(1)> </script><script>window.__pwned = 'zh label'</script>"
    assert "<script>window.__pwned = 'source'</script>" in page.inner_text("p.sources")
    assert page.locator("a[href^='javascript:']").count() == 0
    page.locator("#find-entity").press_sequentially("<img", delay=30)
    page.locator("ul.completions li").first.wait_for(state="visible", timeout=10_000)
    assert "<img src=x onerror=alert(1)>" in page.locator("ul.completions li").first.inner_text()
    assert page.locator("main img, main iframe, main svg, main script").count() == 0
    page.goto(hostile_base + "/queries/find-entity?" + urllib.parse.urlencode({"text": "<img"}))
    assert "<img src=x onerror=alert(1)>" in page.inner_text("#result")
    assert page.locator("main img, main iframe, main svg, main script").count() == 0
    for view in ("table", "graph"):  # facets name values through the template; a graph draws labels on a canvas
        page.goto(hostile_base + "/queries/find-entity?" + urllib.parse.urlencode({"text": "<img", "_view": view}))
        page.wait_for_function("() => !window.kgShown || window.kgShown.ready === true", timeout=30_000)
        assert page.locator("main img, main iframe, main svg, main script:not([type='application/json'])").count() == 0
    labels = page.evaluate("() => kgShown.network.body.data.nodes.get().map(n => n.label)")
    assert "<img src=x onerror=alert(1)>" in labels
    page.goto(hostile_base + "/editor")
    page.wait_for_timeout(300)
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert opened.clean() == ([], [], [])
    close(opened)


# --- the pictures in README.md and docs/serve.md -----------------------------------------------------------


def _screenshots_wanted() -> None:
    import os

    if not os.environ.get("KG_SCREENSHOTS"):
        pytest.skip("set KG_SCREENSHOTS=1 to write docs/serve*.png from the real pages")


def test_screenshot_for_the_readme(browser, base):
    """Writes docs/serve.png from the real page when KG_SCREENSHOTS=1 (the README shows it)."""
    _screenshots_wanted()
    opened = open_app(browser, base, "/queries/listing-race", viewport=(1280, 760))
    sort_by(opened.page, "first_day_market_cap")
    opened.page.screenshot(path=str(DOCS / "serve.png"))
    close(opened)


@pytest.fixture(scope="module")
def doc_base():
    _screenshots_wanted()
    with kg_serve(facts=DOC_FACTS) as url:
        yield url


@pytest.mark.parametrize("name, path, ready, clip", [
    ("serve-facets", "/queries/figures?metric__exact=https%3A%2F%2Fw3id.org%2Fgpu-kg%2Fontology%23Revenue",
     None, "section.results"),
    ("serve-chart", "/queries/figures?metric__exact=https%3A%2F%2Fw3id.org%2Fgpu-kg%2Fontology%23Revenue&_view=chart",
     "kgShown", "#shown-figure"),
    ("serve-timeline", "/queries/listing-race?_view=timeline", "kgShown", "#shown-figure"),
    ("serve-graph", "/queries/investors?_view=graph", "kgShown", "#shown-figure"),
    ("serve-editor", "/editor", "kgEditor", None),
])
def test_screenshots_of_the_result_pages_for_the_docs(browser, doc_base, name, path, ready, clip):
    """Writes docs/serve-*.png (docs/serve.md shows them) from the real pages, over the facts the docs
    are written from, when KG_SCREENSHOTS=1."""
    opened = open_app(browser, doc_base, path, viewport=(1280, 900))
    page = opened.page
    if ready:
        page.wait_for_function(f"() => window.{ready} && window.{ready}.ready === true", timeout=60_000)
    if name == "serve-editor":
        page.click("#gallery summary")
        page.click("#gallery button[data-query=listing-race]")
        page.locator(".yasqe_queryButton >> visible=true").click()
        page.wait_for_selector(".yasr table tbody tr td", timeout=30_000)
        page.click("#gallery summary")  # folded again: the editor and its answer in the picture
    page.wait_for_timeout(300)
    target = str(DOCS / f"{name}.png")
    if clip:
        page.locator(clip).screenshot(path=target)
    else:
        page.screenshot(path=target)
    assert opened.clean() == ([], [], [])
    close(opened)
