"""The news desk in the web app: the graph as known on a day, and what each source changed.

The real server is started on a small fact folder of three sources: one undated (the base
fixture's article), one of 2025-12-23 and one of 2026-01-08.
"""

from __future__ import annotations

import html

from test_many_sources import figure, folder
from test_news_reconcile import with_later_source
from webapp import fetch, kg_serve


def desk(tmp_path):
    return with_later_source(folder(tmp_path, "figures:"
                                    + figure("iluvatar", "net-loss", "2025H1", "16亿元", "wire")
                                    + figure("iluvatar", "net-loss", "2025H1", "16.01亿元", "later")
                                    + figure("iluvatar", "revenue", "2025H1", "3.24亿元", "later")))


def text_of(url: str) -> tuple[int, str]:
    status, _, body = fetch(url)
    return status, html.unescape(body.decode())


def test_the_changes_page_says_what_each_source_changed(tmp_path):
    with kg_serve(facts=desk(tmp_path)) as base:
        status, page = text_of(base + "/changes")
        assert status == 200
        wire, later = page.index("2025-12-23"), page.index("2026-01-08")
        assert wire < later, "in the order they were published"
        assert "Iluvatar CoreX net-loss 2025H1</td><td>16亿元</td><td>16.01亿元" in page
        assert "Iluvatar CoreX revenue 2025H1</td><td>–</td><td>3.24亿元" in page
        status, only_later = text_of(base + "/changes?since=2025-12-31")
        assert status == 200 and "2025-12-23" not in only_later and "3.24亿元" in only_later
        assert fetch(base + "/changes?since=yesterday")[0] == 400
        assert '<a href="/changes">Changes</a>' in page


def test_a_server_as_of_a_day_shows_the_graph_known_then_and_says_so(tmp_path):
    with kg_serve("--as-of", "2025-12-31", facts=desk(tmp_path)) as base:
        status, page = text_of(base + "/queries/figures?metric=net-loss")
        assert status == 200
        assert "The graph as known on 2025-12-31" in page
        assert "16亿元" in page and "16.01亿元" not in page
        status, changes = text_of(base + "/changes")
        assert status == 200 and "2025-12-23" in changes and "2026-01-08" not in changes


def test_the_changes_page_in_a_browser_picks_a_day_and_breaks_no_rule(tmp_path, browser):
    from test_serve_browser import close, open_app

    with kg_serve(facts=desk(tmp_path)) as base:
        opened = open_app(browser, base, "/changes")
        page = opened.page
        assert page.locator("section.change h2").all_text_contents() == [
            "2025-12-23 · Wire story", "2026-01-08 · A later report"]
        page.fill("input[name=since]", "2025-12-31")
        page.click("form.changes button")
        page.wait_for_url("**/changes?since=2025-12-31")
        assert page.locator("section.change h2").all_text_contents() == ["2026-01-08 · A later report"]
        assert opened.clean() == ([], [], [])
        close(opened)
