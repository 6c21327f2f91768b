"""The analyst's desk in a real headless Chromium against the real ``kg serve``: long answers in pages with
their counts, facets and column filters, a choice of columns, a result as a chart, a timeline or a graph, a
way back from the views and charts, and an editor that keeps its queries, links IRIs to the entity pages
here and offers the saved queries as examples.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT, SEED
from test_serve_browser import close, column, open_app
from webapp import fetch, kg_serve

REVENUE = "https://w3id.org/gpu-kg/ontology#Revenue"


@pytest.fixture(scope="module")
def base():
    with kg_serve(facts=SEED) as url:
        yield url


def api(base: str, name: str, **params: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The headers and CSV records of ``/api/queries/NAME``."""
    status, headers, body = fetch(f"{base}/api/queries/{name}?" + urllib.parse.urlencode({**params, "format": "csv"}))
    assert status == 200, body
    return headers, list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


def row_count(page) -> str:
    return page.inner_text("#row-count")


def wait_for_rows(page, url_part: str) -> None:
    page.wait_for_url(f"**{url_part}**")
    page.wait_for_selector("#result tbody tr")


# --- pages, counts, facets, filters, columns ------------------------------------------------------------------


def test_a_long_answer_comes_in_pages_with_its_count_and_links(browser, base):
    headers, records = api(base, "provenance")
    total = int(headers["x-total-count"])
    assert total == len(records) > 300
    opened = open_app(browser, base, "/queries/provenance")
    page = opened.page
    assert row_count(page) == f"rows 1–100 of {total}"
    assert page.locator("#result tbody tr").count() == 100 and page.locator("#prev-page").count() == 0
    first = page.inner_text("#result tbody tr >> nth=0")
    page.click("#next-page")
    wait_for_rows(page, "offset=100")
    assert row_count(page) == f"rows 101–200 of {total}"
    assert page.locator("#result tbody tr").count() == 100 and page.inner_text("#result tbody tr >> nth=0") != first
    page.click("#prev-page")
    wait_for_rows(page, "offset=0")
    assert page.inner_text("#result tbody tr >> nth=0") == first
    last = total // 100 * 100
    page.goto(f"{base}/queries/provenance?offset={last}")
    assert row_count(page) == f"rows {last + 1}–{total} of {total}" and page.locator("#next-page").count() == 0
    assert page.locator("#result tbody tr").count() == total - last
    assert page.evaluate("() => document.body.scrollHeight") < 20_000, "one page, not 700 rows"
    assert opened.clean() == ([], [], [])
    close(opened)


def test_facets_count_the_values_of_entity_metric_and_period_and_filter_by_one(browser, base):
    _, records = api(base, "figures")
    opened = open_app(browser, base, "/queries/figures")
    page = opened.page
    shown = page.eval_on_selector_all("#facets section.facet", "ss => ss.map(s => s.dataset.column)")
    assert {"entity", "metric", "period", "basis"} <= set(shown), shown
    metric = page.locator("#facets section.facet[data-column=metric]")
    texts = metric.locator("li a").all_inner_texts()
    counts = [int(c) for c in metric.locator("li .count").all_inner_texts()]
    expected = Counter(r["metric_label"] for r in records)
    assert list(zip(texts, counts)) == sorted(expected.items(), key=lambda item: (-item[1], item[0]))[:len(texts)]
    chosen, count = texts[1], counts[1]
    metric.locator("li a", has_text=chosen).first.click()
    wait_for_rows(page, "metric__exact=")
    assert row_count(page) == f"{count} row{'' if count == 1 else 's'}"
    assert set(column(page, "metric")) == {chosen}
    assert page.inner_text("#active-filters").startswith(f"Only rows where metric is {chosen}")
    assert page.locator("#facets section.facet[data-column=metric] li.on").inner_text().startswith(chosen)
    page.click("#active-filters .chip a")
    wait_for_rows(page, "/queries/figures")
    assert row_count(page) == f"{len(records)} rows" and page.locator("#active-filters").count() == 0
    assert opened.clean() == ([], [], [])
    close(opened)


def test_a_column_filter_keeps_the_rows_that_contain_its_text_and_the_download_keeps_them_too(browser, base):
    _, records = api(base, "figures")
    wanted = [r for r in records if "biren" in r["entity_label"].casefold() or "biren" in r["entity"]]
    assert 0 < len(wanted) < len(records)
    opened = open_app(browser, base, "/queries/figures", accept_downloads=True)
    page = opened.page
    page.fill("tr.column-filters input[data-column=entity]", "biren")
    page.press("tr.column-filters input[data-column=entity]", "Enter")
    wait_for_rows(page, "entity__contains=biren")
    assert row_count(page) == f"{len(wanted)} rows"
    assert all("biren" in text.casefold() for text in column(page, "entity"))
    assert page.input_value("tr.column-filters input[data-column=entity]") == "biren"
    with page.expect_download() as caught:
        page.click(".downloads a[data-format=csv]")
    downloaded = list(csv.DictReader(io.StringIO(Path(caught.value.path()).read_text(encoding="utf-8"))))
    assert [r["fact"] for r in downloaded] == [r["fact"] for r in wanted]
    assert opened.clean() == ([], [], [])
    close(opened)


def test_only_the_columns_ticked_are_shown_and_downloaded(browser, base):
    opened = open_app(browser, base, "/queries/figures", accept_downloads=True)
    page = opened.page
    page.click("#columns summary")
    for box in page.locator("#column-form input[type=checkbox]").all():
        if box.get_attribute("value") not in ("entity", "metric", "value"):
            box.uncheck()
    page.click("#show-columns")
    wait_for_rows(page, "_col=")
    headers = page.eval_on_selector_all("#result thead th button", "bs => bs.map(b => b.firstChild.textContent.trim())")
    assert headers == ["entity", "metric", "value"]
    assert page.inner_text("#columns summary").startswith("Columns (3 of ")
    with page.expect_download() as caught:
        page.click(".downloads a[data-format=csv]")
    header = Path(caught.value.path()).read_text(encoding="utf-8").splitlines()[0]
    assert header == "entity,entity_label,metric,metric_label,value"
    assert opened.clean() == ([], [], [])
    close(opened)


def test_the_api_takes_the_same_filters_and_columns(base):
    headers, records = api(base, "figures", metric__exact=REVENUE, _col="entity,period,value")
    _, every = api(base, "figures")
    assert list(records[0]) == ["entity", "entity_label", "period", "period_label", "value"]
    assert len(records) == int(headers["x-total-count"]) == sum(r["metric"] == REVENUE for r in every) > 2
    status, _, body = fetch(f"{base}/api/queries/figures?colour__exact=red")
    assert status == 400 and body.decode().startswith("colour__exact: no column 'colour'")


# --- the result as a chart, a timeline, a graph ------------------------------------------------------------


def draw(page, view: str) -> None:
    page.click(f"#views a[data-view={view}]")
    page.wait_for_url(f"**_view={view}**")
    page.wait_for_function("() => window.kgShown && window.kgShown.ready === true", timeout=30_000)
    assert page.evaluate("() => [kgShown.kind, kgShown.error]") == [view, None]


def test_figures_of_one_metric_show_as_a_bar_chart_of_their_values(browser, base):
    _, records = api(base, "figures", metric__exact=REVENUE)
    opened = open_app(browser, base, "/queries/figures?" + urllib.parse.urlencode({"metric__exact": REVENUE}))
    page = opened.page
    assert page.eval_on_selector_all("#views a", "as => as.map(a => a.dataset.view)") == ["table", "chart", "graph"]
    draw(page, "chart")
    bars = page.evaluate("() => kgShown.view.data('source_0').map(d => [d.x, d.group, d.y])")
    assert sorted(bars) == sorted([r["entity_label"], r["period_label"], float(r["value"])] for r in records)
    assert page.locator("#kg-shown-area svg .mark-rect.role-mark path").count() == len(records)
    assert "Figures" in page.eval_on_selector("#kg-shown-area svg .role-title", "g => g.textContent")
    assert page.locator("#result tbody tr").count() == len(records), "the table stays under the chart"
    assert page.locator("#shown-note").count() == 0, "one metric, one unit"
    page.goto(base + "/queries/figures?_view=chart")
    page.wait_for_function("() => window.kgShown && window.kgShown.ready === true", timeout=30_000)
    assert page.inner_text("#shown-note").startswith("These values are in ")
    assert opened.clean() == ([], [], [])
    close(opened)


def test_dated_rows_show_as_a_timeline(browser, base):
    _, records = api(base, "listing-race")
    opened = open_app(browser, base, "/queries/listing-race")
    page = opened.page
    draw(page, "timeline")
    points = page.evaluate("() => kgShown.view.data('source_0').map(d => [d.when, d.what])")
    assert sorted(points) == sorted([r["date"], r["company_label"]] for r in records if r["date"])
    assert page.locator("#kg-shown-area svg .mark-symbol.role-mark path").count() == len(points) > 2
    assert opened.clean() == ([], [], [])
    close(opened)


def test_rows_of_entities_show_as_a_graph_whose_nodes_open_their_pages(browser, base):
    _, records = api(base, "investors")
    opened = open_app(browser, base, "/queries/investors")
    page = opened.page
    draw(page, "graph")
    labels = page.evaluate("() => kgShown.network.body.data.nodes.get().map(n => n.label)")
    assert {r["investor_label"] for r in records} | {r["company_label"] for r in records} <= set(labels)
    assert not any(label.startswith("kgr:") for label in labels), "a fact's own id is not drawn"
    edges = page.evaluate("() => kgShown.network.body.data.edges.get().map(e => [e.from, e.to, e.label])")
    assert {(r["investor"], r["company"], "company") for r in records} <= {tuple(e) for e in edges}
    company = records[0]["company"]
    x, y = page.evaluate("""id => { const p = kgShown.network.canvasToDOM(kgShown.network.getPositions([id])[id]);
                                     const box = document.querySelector('#kg-shown-area canvas').getBoundingClientRect();
                                     return [box.left + p.x, box.top + p.y]; }""", company)
    page.mouse.dblclick(x, y)
    page.wait_for_url("**/entity?iri=**")
    assert page.inner_text("h1").startswith(records[0]["company_label"])
    assert opened.clean() == ([], [], [])
    close(opened)


# --- the entity page -----------------------------------------------------------------------------------------


def test_an_entity_page_pages_its_statements_and_counts_them_by_how_they_point_at_it(browser, base):
    opened = open_app(browser, base, "/entity?id=iluvatar&limit=5")
    page = opened.page
    count = page.inner_text("#statement-count")
    total = int(count.rsplit(" ", 1)[1])
    assert count == f"statements 1–5 of {total}" and total > 10
    assert page.locator("article.statement").count() == 5
    first = page.inner_text("article.statement >> nth=0")
    page.click("#next-page")
    page.wait_for_url("**offset=5**")
    assert page.inner_text("#statement-count") == f"statements 6–10 of {total}"
    assert page.inner_text("article.statement >> nth=0") != first
    links = page.locator("#by-link li")
    assert sum(int(n) for n in page.locator("#by-link li .count").all_inner_texts()) >= total
    name = links.nth(0).locator("a").inner_text()
    shown = int(links.nth(0).locator(".count").inner_text())
    links.nth(0).locator("a").click()
    page.wait_for_url("**link=**")
    assert page.inner_text("#statement-count").startswith(f"statements 1–5 of {shown}" if shown > 5 else f"{shown} statement")
    assert all(name in text for text in page.locator("article.statement h3 small").all_inner_texts())
    assert opened.clean() == ([], [], [])
    close(opened)


# --- a way back from the views and the charts -------------------------------------------------------------


def test_the_views_and_charts_the_app_serves_link_back_to_it(browser, base):
    opened = open_app(browser, base, "/views")
    page = opened.page
    page.click("a[href='/views/supply-chain']")
    page.wait_for_function("() => window.kgView && window.kgView.ready === true", timeout=60_000)
    page.click("nav.kg-back a[href='/']")
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == "Saved queries"
    page.goto(base + "/charts")
    page.click("a[href^='/charts/']")
    page.wait_for_function("() => window.kgChart && window.kgChart.ready === true", timeout=60_000)
    page.click("nav.kg-back a[href='/charts']")
    page.wait_for_url(base + "/charts")
    assert page.locator("a[href^='/charts/']").count() > 2
    assert opened.clean() == ([], [], [])
    close(opened)


# --- the editor --------------------------------------------------------------------------------------------------


YASQE = "kgEditor.yasgui.getTab().getYasqe()"
FOUNDRIES = ("SELECT ?foundry WHERE { ?foundry a <https://w3id.org/gpu-kg/ontology#Foundry> } ORDER BY ?foundry")


def open_editor(browser, base):
    opened = open_app(browser, base, "/editor")
    opened.page.wait_for_function("() => window.kgEditor && window.kgEditor.ready === true", timeout=30_000)
    return opened


def test_the_editor_keeps_its_query_across_a_reload(browser, base):
    opened = open_editor(browser, base)
    page = opened.page
    page.evaluate(f"q => {YASQE}.setValue(q)", FOUNDRIES)
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table tbody tr td", timeout=30_000)
    page.reload()
    page.wait_for_function("() => window.kgEditor && window.kgEditor.ready === true", timeout=30_000)
    assert page.evaluate(f"() => {YASQE}.getValue()") == FOUNDRIES
    assert opened.clean() == ([], [], [])
    close(opened)


def test_the_editors_iris_open_the_entity_pages_of_this_app(browser, base):
    opened = open_editor(browser, base)
    page = opened.page
    page.evaluate(f"q => {YASQE}.setValue(q)", FOUNDRIES)
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table tbody tr td a.iri", timeout=30_000)
    hrefs = page.eval_on_selector_all(".yasr table tbody a.iri", "as => as.map(a => a.getAttribute('href'))")
    assert hrefs and all(href.startswith("/entity?iri=https%3A%2F%2Fw3id.org%2Fgpu-kg%2Fid%2F") for href in hrefs), hrefs
    page.click(".yasr table tbody a.iri >> nth=0")
    page.wait_for_url("**/entity?iri=**")
    assert urllib.parse.unquote(hrefs[0].split("=", 1)[1]) == page.inner_text("p.iri code")
    assert opened.elsewhere == [] and opened.errors == []
    close(opened)


def test_the_editor_offers_every_saved_query_as_an_example(browser, base):
    opened = open_editor(browser, base)
    page = opened.page
    names = page.eval_on_selector_all("#gallery button[data-query]", "bs => bs.map(b => b.dataset.query)")
    _, _, body = fetch(base + "/api/queries")
    assert sorted(names) == sorted(entry["name"] for entry in json.loads(body))
    page.click("#gallery summary")
    page.click("#gallery button[data-query=listing-race]")
    page.wait_for_function(f"() => {YASQE}.getValue().includes('listing')")
    text = (ROOT / "queries" / "listing-race.rq").read_text(encoding="utf-8")
    assert page.evaluate(f"() => {YASQE}.getValue()") == text
    assert page.evaluate("() => kgEditor.yasgui.getTab().getName()") == "listing-race"
    page.locator(".yasqe_queryButton >> visible=true").click()
    page.wait_for_selector(".yasr table tbody tr td", timeout=30_000)
    assert page.locator(".yasr table tbody tr").count() == len(api(base, "listing-race")[1])
    assert opened.clean() == ([], [], [])
    close(opened)


def test_any_query_of_the_editor_opens_as_a_page_with_facets_and_a_graph(browser, base):
    opened = open_editor(browser, base)
    page = opened.page
    text = ("PREFIX gpu: <https://w3id.org/gpu-kg/ontology#>\n"
            "SELECT ?client ?supplier WHERE { ?r a gpu:SupplyRelation ; gpu:client ?client ; gpu:supplier ?supplier }\n"
            "ORDER BY ?client ?supplier")
    page.evaluate(f"q => {YASQE}.setValue(q)", text)
    page.click("#open-as-page")
    page.wait_for_url("**/result?query=**")
    assert page.inner_text("#query-text") == text
    status, _, body = fetch(base + "/sparql?" + urllib.parse.urlencode({"query": text, "format": "csv"}))
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert status == 200 and len(rows) > 1
    assert row_count(page) == f"{len(rows)} rows"
    assert page.eval_on_selector_all("#views a", "as => as.map(a => a.dataset.view)") == ["table", "graph"]
    assert page.locator("#facets section.facet[data-column=client]").count() == 1
    draw(page, "graph")
    edges = page.evaluate("() => kgShown.network.body.data.edges.get().map(e => [e.from, e.to])")
    assert {(r["client"], r["supplier"]) for r in rows} == {tuple(e) for e in edges}
    page.click("#back-to-editor")
    page.wait_for_function("() => window.kgEditor && window.kgEditor.ready === true", timeout=30_000)
    assert page.evaluate(f"() => {YASQE}.getValue()") == text, "the editor kept the query"
    assert opened.clean() == ([], [], [])
    close(opened)


def test_the_result_page_refuses_what_the_endpoint_refuses(base):
    for text, status, message in (("DELETE WHERE { ?s ?p ?o }", 403, "SPARQL UPDATE is refused"),
                                  ("SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }", 403, "SERVICE is refused"),
                                  ("SELECT x", 400, "SPARQL syntax error")):
        got, _, body = fetch(base + "/result?" + urllib.parse.urlencode({"query": text}))
        assert got == status and message in body.decode("utf-8"), body


def test_every_drawing_a_saved_query_offers_is_drawn_without_an_error(browser, base):
    """Each saved query, over the seed's facts, in each way its page offers: no error, no other host."""
    _, _, body = fetch(base + "/api/queries")
    opened = open_app(browser, base, "/")
    page = opened.page
    drawn = Counter()
    for name in sorted(entry["name"] for entry in json.loads(body)):
        page.goto(f"{base}/queries/{name}")
        views = page.eval_on_selector_all("#views a", "as => as.map(a => a.dataset.view)")
        for view in views[1:]:
            page.goto(f"{base}/queries/{name}?_view={view}")
            page.wait_for_function("() => window.kgShown && (window.kgShown.ready || window.kgShown.error)",
                                   timeout=30_000)
            assert page.evaluate("() => [kgShown.kind, kgShown.error]") == [view, None], name
            drawn[view] += 1
    assert drawn["chart"] > 10 and drawn["timeline"] > 3 and drawn["graph"] > 10, drawn
    assert opened.clean() == ([], [], [])
    close(opened)


def test_a_page_keeps_its_answer_for_the_next_page_from_the_first_request():
    """The pages' queries go to the pool, whose cache keeps the whole answer: the next page is a slice."""
    import kg
    from kg.web import app as serve
    from webapp import app_server

    site = serve.Site(kg.load_graph(SEED))
    with app_server(site) as url:
        assert fetch(url + "/queries/provenance")[0] == 200
        assert fetch(url + "/queries/provenance?offset=100")[0] == 200
        assert fetch(url + "/queries/provenance?offset=200&metric__contains=x")[0] == 400
        kept = [key for key in site.cache._items if key[1] == "provenance"]
        assert len(kept) == 1, "one run of the query for both pages"
        ((answer, browsed),) = site.browsed.values()  # the facets and filters of the first page, kept for the second
        assert answer is site.cache._items[kept[0]] and browsed["facets"]
    site.close()
