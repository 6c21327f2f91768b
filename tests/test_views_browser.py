"""The views in a real headless Chromium with the network blocked: they load, count right, search, stay safe.

Debian's chromium, driven by Playwright for Python; no browser is ever downloaded.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import Graph

# Playwright is a test dependency: without it collection fails, as it should.
from playwright.sync_api import Browser, Page

from kg.show import views

HOSTILE = Path(__file__).parent / "fixtures" / "views" / "hostile.ttl"
READY = "() => window.kgView && window.kgView.ready === true"



@pytest.fixture(scope="module")
def network(graph):
    return views.project(graph)


@pytest.fixture(scope="module")
def site(graph, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("views")
    views.write_views(graph, out)
    return out


@dataclass
class Opened:
    """A page opened from a file, with everything it tried that it should not have."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def open_page(browser: Browser, path: Path, *, wait: bool = True, viewport=(1280, 800), ready: str = READY,
              complaints: tuple[str, ...] = ("error",)) -> Opened:
    """Open a page from a file with every other request refused; wait until ``ready`` holds."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    opened = Opened(page)
    url = path.resolve().as_uri()
    page.on("console", lambda message: opened.errors.append(message.text) if message.type in complaints else None)
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    page.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))

    def route(route):
        if route.request.url == url:
            route.continue_()
        else:  # anything but the page itself: counted and refused
            opened.requests.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("request", lambda request: opened.requests.append(request.url) if request.url != url else None)
    page.goto(url)
    if wait:
        page.wait_for_function(ready, timeout=60_000)
    return opened


def hover_node(page: Page, node_id: str) -> str:
    """Move the mouse onto a node and return the tooltip's text once it shows."""
    page.evaluate("id => kgView.network.focus(id, {scale: 1.5, animation: false})", node_id)
    box = page.locator("#kg-network").bounding_box()
    point = page.evaluate("id => kgView.network.canvasToDOM(kgView.network.getPositions([id])[id])", node_id)
    page.mouse.move(box["x"] + point["x"] + 1, box["y"] + point["y"] + 1)
    tooltip = page.locator(".vis-tooltip")
    tooltip.wait_for(state="visible", timeout=5_000)
    return tooltip.inner_text()


def png_pixels(data: bytes) -> list[bytes]:
    """The pixels of an 8-bit RGB(A), non-interlaced PNG (what Chromium writes), one bytes object each."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    previous = bytearray(stride)
    pixels = []
    for row in range(height):
        kind = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        pixels += [bytes(line[i:i + 3]) for i in range(0, stride, channels)]
        previous = line
    return pixels


# --- every named view ----------------------------------------------------------------------


@pytest.mark.parametrize("name", views.VIEW_NAMES)
def test_each_view_loads_offline_with_the_projections_counts(browser, site, network, name):
    opened = open_page(browser, site / f"{name}.html")
    expected, _ = views.limit(views.drawable(views.named_view(network, name)))
    counts = opened.page.evaluate("() => [kgView.nodes.length, kgView.edges.length]")
    drawn = opened.page.evaluate("() => [kgView.network.body.data.nodes.length, kgView.network.body.data.edges.length]")
    assert counts == drawn == [expected.number_of_nodes(), expected.number_of_edges()]
    assert sorted(opened.page.evaluate("() => kgView.nodes.getIds()")) == list(expected)
    physics = opened.page.evaluate("() => kgView.network.physics.options.enabled")
    assert physics is False, "the layout stops once it has stabilised"
    assert (opened.errors, opened.requests, opened.dialogs) == ([], [], [])
    opened.page.close()


def test_the_index_links_every_view_and_loads_nothing(browser, site):
    opened = open_page(browser, site / "index.html", wait=False)
    hrefs = opened.page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs == [f"{name}.html" for name in views.VIEW_NAMES]
    assert (opened.errors, opened.requests) == ([], [])
    opened.page.close()


def test_the_search_box_finds_a_node_by_either_name_and_focuses_it(browser, site):
    opened = open_page(browser, site / "all.html")
    page = opened.page
    for text, node in (("天数智芯", "kgr:iluvatar"), ("Hua Hong", "kgr:hua-hong"), ("tsmc", "kgr:tsmc"),
                       ("沐曦", "kgr:metax")):
        page.fill("#kg-search", text)
        page.press("#kg-search", "Enter")
        assert page.evaluate("() => kgView.network.getSelectedNodes()") == [node]
        centre = page.evaluate("() => kgView.network.getViewPosition()")
        position = page.evaluate("id => kgView.network.getPositions([id])[id]", node)
        assert abs(centre["x"] - position["x"]) < 1 and abs(centre["y"] - position["y"]) < 1, text
    page.fill("#kg-search", "no such company")
    page.press("#kg-search", "Enter")
    assert "no such company" in page.inner_text("#kg-status")
    assert opened.errors == []
    page.close()


def test_a_tooltip_shows_both_names_key_facts_and_the_source_sentence(browser, site):
    opened = open_page(browser, site / "supply-chain.html")
    text = hover_node(opened.page, "kgr:iluvatar")
    assert "Iluvatar CoreX" in text and "天数智芯" in text
    assert "revenue FY2024: CNY 540,000,000" in text
    assert "“12月19日,上海天数智芯半导体股份有限公司" in text
    opened.page.close()


def test_the_legend_filters_classes_and_relations(browser, site, network):
    opened = open_page(browser, site / "supply-chain.html")
    page = opened.page
    page.click("[data-filter=class][data-key=Foundry]")
    hidden = page.evaluate("() => kgView.nodes.get({filter: n => n.hidden}).map(n => n.id)")
    assert sorted(hidden) == ["kgr:hua-hong", "kgr:smic", "kgr:tsmc"]
    page.click(f"[data-filter=relation][data-key='{views.SUPPLY}|group']")
    page.click("[data-filter=class][data-key=Foundry]")
    hidden_edges = page.evaluate("() => kgView.edges.get({filter: e => e.hidden}).map(e => [e.from, e.to])")
    assert sorted(hidden_edges) == [["kgr:smic", "kgr:domestic-gpu-companies"],
                                    ["kgr:tsmc", "kgr:domestic-gpu-companies"]]
    page.click("#kg-reset")
    assert page.evaluate("() => kgView.nodes.get({filter: n => n.hidden}).length") == 0
    assert opened.errors == []
    page.close()


def test_the_language_switch_relabels_the_page(browser, site):
    opened = open_page(browser, site / "capital.html")
    page = opened.page
    page.click("#kg-lang")
    assert page.evaluate("() => kgView.nodes.get('kgr:iluvatar').label") == "天数智芯"
    assert page.inner_text("#kg-title") == "资本:融资与上市"
    page.click("#kg-lang")
    assert page.evaluate("() => kgView.nodes.get('kgr:iluvatar').label") == "Iluvatar CoreX"
    assert opened.errors == []
    page.close()


def test_the_layout_is_the_same_on_every_load(browser, site):
    positions = []
    for _ in range(2):
        opened = open_page(browser, site / "capital.html")
        positions.append(opened.page.evaluate("() => kgView.network.getPositions()"))
        opened.page.close()
    assert positions[0] == positions[1]


def test_a_screenshot_is_not_blank(browser, site):
    opened = open_page(browser, site / "supply-chain.html", viewport=(900, 600))
    pixels = png_pixels(opened.page.locator("#kg-network").screenshot())
    white = pixels.count(b"\xff\xff\xff")
    assert len(set(pixels)) > 200, "many colours: nodes, edges, labels"
    assert 0.02 < 1 - white / len(pixels) < 0.6, "something is drawn, and not everywhere"
    opened.page.close()


# --- safety and size ------------------------------------------------------------------------


def test_injected_labels_show_as_text_and_run_nothing(browser, tmp_path):
    graph = Graph()
    graph.parse(HOSTILE)
    network = views.project(graph)
    path = tmp_path / "hostile.html"
    path.write_bytes(views.render(views.ego_view(network, "evil", depth=1)))
    opened = open_page(browser, path)
    page = opened.page
    tooltip = hover_node(page, "kgr:evil")
    assert "<img src=x onerror=alert(1)>" in tooltip and "</script><script>" in tooltip
    assert page.locator(".vis-tooltip img, .vis-tooltip script, .vis-tooltip svg, .vis-tooltip iframe").count() == 0
    page.fill("#kg-search", "<img src=x onerror=alert(1)>")
    page.press("#kg-search", "Enter")
    assert page.evaluate("() => kgView.network.getSelectedNodes()") == ["kgr:evil"]
    page.click("#kg-lang")
    hover_node(page, "kgr:evil-line")
    page.click("#kg-lang")
    assert page.inner_text("#kg-title") == "Around <img src=x onerror=alert(1)> (depth 1)"
    page.wait_for_timeout(300)
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert page.locator("body img, body iframe, body svg:not(.kg-swatch)").count() == 0
    assert (opened.errors, opened.requests, opened.dialogs) == ([], [], [])
    page.close()


def test_a_big_graph_says_how_many_nodes_it_left_out(browser, network, tmp_path):
    path = tmp_path / "cut.html"
    everything = views.named_view(network, "all")
    path.write_bytes(views.render(everything, max_nodes=30))
    opened = open_page(browser, path)
    page = opened.page
    assert page.evaluate("() => kgView.nodes.length") == 30
    left_out = views.drawable(everything).number_of_nodes() - 30
    notice = page.locator("#kg-notice")
    assert notice.is_visible() and f"{left_out} left out" in notice.inner_text()
    assert opened.errors == []
    page.close()


# --- labels that never cover each other at the first zoom ------------------------------------------

# What the page has drawn once it is ready, through vis-network's public API and the browser's own
# text measure: each node's box (shape and label), and each edge label's text, ends and font size.
DRAWN = """() => {
  const network = kgView.network, measure = document.createElement("canvas").getContext("2d");
  network.redraw();
  const ids = kgView.nodes.getIds({ filter: (n) => !n.hidden });
  const at = network.getPositions(ids);
  const nodes = ids.map((id) => { const b = network.getBoundingBox(id);
    return { id: id, label: kgView.nodes.get(id).label, l: b.left, r: b.right, t: b.top, b: b.bottom }; });
  const edges = kgView.edges.get().filter((e) => !e.hidden && e.label && e.label.trim()).map((e) => {
    const size = (e.font && e.font.size) || 10;
    measure.font = size + "px arial";
    return { id: e.id, label: e.label, from: at[e.from], to: at[e.to], size: size,
             width: measure.measureText(e.label).width };
  });
  return { scale: network.getScale(), nodes: nodes, edges: edges };
}"""


def edge_label_box(edge: dict) -> tuple[float, float, float, float]:
    """The box of an edge label as vis-network draws it: midway along the edge, turned to it, above it."""
    import math

    (x1, y1), (x2, y2) = (edge["from"]["x"], edge["from"]["y"]), (edge["to"]["x"], edge["to"]["y"])
    angle = math.atan2(y2 - y1, x2 - x1)
    if abs(angle) > math.pi / 2:
        angle += math.pi  # text never upside down
    w, h = edge["width"], edge["size"]
    normal = (math.sin(angle), -math.cos(angle))  # "up" from the edge
    cx, cy = (x1 + x2) / 2 + normal[0] * h / 2, (y1 + y2) / 2 + normal[1] * h / 2
    corners = [(cx + dx * math.cos(angle) - dy * math.sin(angle), cy + dx * math.sin(angle) + dy * math.cos(angle))
               for dx in (-w / 2, w / 2) for dy in (-h / 2, h / 2)]
    return (min(x for x, _ in corners), max(x for x, _ in corners), min(y for _, y in corners),
            max(y for _, y in corners))


def overlapping(boxes: dict[str, tuple[float, float, float, float]]) -> list[tuple[str, str]]:
    names = sorted(boxes)
    return [(a, c) for i, a in enumerate(names) for c in names[i + 1:]
            if boxes[a][0] < boxes[c][1] and boxes[c][0] < boxes[a][1]
            and boxes[a][2] < boxes[c][3] and boxes[c][2] < boxes[a][3]]


@pytest.fixture(scope="module")
def live_site(tmp_path_factory) -> Path:
    """The views of the shipped facts (the page reported with a 14-line listing label over its neighbour's),
    the capital view in Chinese, and the focus view of the biggest hub: of the copy kept still in
    tests/fixtures/facts, so that adding a correct fact never breaks them."""
    import kg
    from conftest import DOC_FACTS

    graph = kg.load_graph(DOC_FACTS)
    out = tmp_path_factory.mktemp("live-views")
    views.write_views(graph, out)
    (out / "capital-zh.html").write_bytes(views.render(views.select_view(graph, name="capital"), lang="zh"))
    (out / "focus-iluvatar.html").write_bytes(views.render(views.select_view(graph, focus="天数智芯")))
    (out / "focus-moore.html").write_bytes(views.render(views.select_view(graph, focus="摩尔", depth=2)))
    return out


@pytest.mark.parametrize("page_name", [*views.VIEW_NAMES, "capital-zh", "focus-iluvatar", "focus-moore"])
def test_no_label_covers_another_at_the_first_zoom(browser, live_site, page_name):
    opened = open_page(browser, live_site / f"{page_name}.html", viewport=(1400, 860))
    drawn = opened.page.evaluate(DRAWN)
    boxes = {f"node {n['id']}": (n["l"], n["r"], n["t"], n["b"]) for n in drawn["nodes"]}
    assert overlapping(boxes) == [], "no two nodes' boxes (shape and label) overlap"
    boxes |= {f"edge {e['id']} ({e['label']})": edge_label_box(e) for e in drawn["edges"]}
    assert overlapping(boxes) == [], "no edge label lies over a node, its label or another edge label"
    if page_name != "all":
        assert drawn["scale"] * 14 >= 8, "the first zoom draws names at a readable size"
        assert len(drawn["edges"]) >= 3, "and keeps the edge labels that have room"
    assert opened.errors == []
    opened.page.close()


def test_a_hidden_edge_label_shows_when_zoomed_in(browser, live_site):
    opened = open_page(browser, live_site / "focus-iluvatar.html", viewport=(1400, 860))
    page = opened.page
    quiet = page.evaluate("() => kgView.quietEdges")
    assert quiet, "the hub's 'statement about' labels wait for a closer look"
    label = lambda: page.evaluate("id => kgView.edges.get(id).label", quiet[0])  # noqa: E731
    assert label().strip() == ""
    box = page.locator("#kg-network").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(8):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(60)
    assert page.evaluate("() => kgView.network.getScale() / kgView.fitScale") >= 1.6
    assert label().strip(), "close enough, every label is drawn"
    opened.page.close()
