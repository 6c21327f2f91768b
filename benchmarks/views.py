"""How long a view of a big graph takes to write, and to settle in a browser.

Not a test: run it by hand and paste its output into benchmarks/VIEWS.md.

    .venv/bin/python benchmarks/views.py                      # 1,000 / 5,000 / 20,000 nodes
    .venv/bin/python benchmarks/views.py --sizes 5000 --max-nodes 5000   # no cut

For each size it builds a synthetic RDF graph shaped like ours (designers, product
lines and generations, foundries, investors, funding rounds, milestones, supply
relations; seeded, so every run builds the same graph), then times

- write: projection, the ``all`` view, rendering the HTML and writing it;
- stabilise: from navigation to the page's ``stabilizationIterationsDone`` (physics
  then stops) and its labels kept apart, in headless Debian Chromium with every request blocked;
- labels apart: of that, the time spent pushing overlapping node boxes apart (pages of up to 400
  nodes) and deciding which edge labels wait for a closer zoom.

Pages above ``--max-nodes`` draw the best-connected nodes and say how many they left
out; the table shows how many were drawn.
"""

from __future__ import annotations

import argparse
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rdflib import RDF, RDFS, Literal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg import write_atomically

from kg.show import views  # noqa: E402
from kg.base.ontology import new_graph  # noqa: E402
from kg.base.ontology import GPU, KGR, ontology_graph  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

# Share of nodes per kind, roughly as in a larger version of our facts (milestones take the rest).
MIX = (("designer", 0.06), ("foundry", 0.01), ("investor", 0.08), ("line", 0.10), ("generation", 0.30),
       ("round", 0.15))
SUPPLY_PER_NODE = 0.05  # supply relations are drawn as edges


def synthetic_graph(size: int, seed: int = 7):
    """``size`` drawn nodes with their labels, and supply relations between them."""
    rng = random.Random(seed)
    graph = new_graph()
    for triple in ontology_graph():
        graph.add(triple)
    made: dict[str, list] = {kind: [] for kind, _ in MIX}
    made["milestone"] = []

    def entity(kind: str, cls, index: int):
        iri = KGR[f"{kind}-{index}"]
        graph.add((iri, RDF.type, cls))
        graph.add((iri, RDFS.label, Literal(f"{kind.title()} {index}", lang="en")))
        graph.add((iri, RDFS.label, Literal(f"{kind}{index}号", lang="zh")))
        graph.add((iri, GPU.source, KGR.article))
        graph.add((iri, GPU.quote, Literal(f"第{index}句原文。", lang="zh")))
        made[kind].append(iri)
        return iri

    counts = {kind: max(1, int(size * share)) for kind, share in MIX}
    counts["milestone"] = size - sum(counts.values())
    counts["supply"] = int(size * SUPPLY_PER_NODE)
    for i in range(counts["designer"]):
        entity("designer", GPU.ChipDesigner, i)
    for i in range(counts["foundry"]):
        entity("foundry", GPU.Foundry, i)
    for i in range(counts["investor"]):
        entity("investor", GPU.InvestmentFirm, i)
    for i in range(counts["line"]):
        line = entity("line", GPU.ProductLine, i)
        graph.add((line, GPU.designedBy, rng.choice(made["designer"])))
    for i in range(counts["generation"]):
        generation = entity("generation", GPU.ProductGeneration, i)
        line = rng.choice(made["line"])
        graph.add((generation, GPU.productLine, line))
        graph.add((generation, GPU.designedBy, graph.value(line, GPU.designedBy)))
    for i in range(counts["round"]):
        round_ = entity("round", GPU.FundingRound, i)
        graph.add((round_, GPU.fundedCompany, rng.choice(made["designer"])))
        for investor in rng.sample(made["investor"], k=min(2, len(made["investor"]))):
            graph.add((round_, GPU.investor, investor))
        graph.add((round_, GPU.date, Literal(str(2015 + i % 10))))
    for i in range(counts["milestone"]):
        milestone = entity("milestone", GPU.Milestone, i)
        graph.add((milestone, GPU.milestoneOf, rng.choice(made["generation"])))
    for i in range(counts["supply"]):
        fact = KGR[f"supply/{i}"]
        graph.add((fact, RDF.type, GPU.SupplyRelation))
        graph.add((fact, GPU.client, rng.choice(made["designer"])))
        graph.add((fact, GPU.supplier, rng.choice(made["foundry"])))
        graph.add((fact, GPU.source, KGR.article))
    return graph


def time_write(size: int, out: Path, max_nodes: int) -> tuple[float, int, int, int]:
    graph = synthetic_graph(size)
    start = time.perf_counter()
    network = views.project(graph)
    view = views.named_view(network, "all")
    data = views.render(view, "html", max_nodes=max_nodes)
    write_atomically(out, data)
    seconds = time.perf_counter() - start
    drawn, _ = views.limit(views.drawable(view), max_nodes)
    return seconds, network.number_of_nodes(), drawn.number_of_nodes(), len(data)


def time_stabilise(page_file: Path, timeout_s: float) -> tuple[float, float, int]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.route("**/*", lambda route: route.continue_() if route.request.url == page_file.as_uri()
                   else route.abort())
        page.goto(page_file.as_uri())
        page.wait_for_function("() => window.kgView && window.kgView.ready", timeout=timeout_s * 1000)
        stabilised_ms = page.evaluate("() => window.kgView.stabilizedMs")
        apart_ms = page.evaluate("() => window.kgView.spreadMs")
        browser.close()
    return stabilised_ms / 1000, apart_ms / 1000, len([url for url in requests if url != page_file.as_uri()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--max-nodes", type=int, default=views.MAX_NODES)
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for a page to settle")
    args = parser.parse_args()
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"{chromium}, page cut at {args.max_nodes:,} nodes")
    print()
    print("| nodes in graph | nodes drawn | page size | write (s) | stabilise in Chromium (s) | of which labels apart (s) "
          "| requests |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            out = Path(tmp) / f"all-{size}.html"
            write_s, total, drawn, length = time_write(size, out, args.max_nodes)
            settle_s, apart_s, requests = time_stabilise(out, args.timeout)
            print(f"| {total:,} | {drawn:,} | {length / 1e6:.1f} MB | {write_s:.2f} | {settle_s:.2f} | {apart_s:.2f} "
                  f"| {requests} |", flush=True)


if __name__ == "__main__":
    main()
