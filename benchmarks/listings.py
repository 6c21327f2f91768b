"""``kg query`` against the engine alone on every saved query, at one size: the part of ``benchmarks/run.py``
that measures the stores, without the build's steps, so that the query figures can be taken again quickly.

    .venv/bin/python benchmarks/listings.py --size 1M --write      # writes benchmarks/LISTINGS.md

A synthetic fact folder of about SIZE triples is written and built (``kg synth``, ``kg build``) in
``--work`` (reused when it holds one already); then, each in a fresh process, exactly what
``benchmarks/run.py`` measures for the stores (its ``memory`` and ``disk`` steps): every saved
query with its defaults as ``kg query NAME`` runs it (``kg.query.catalog.run``: a worker process
forked for the query, rows sent back, labels of the result included) against pyoxigraph alone on
the same open store, the same text, every row read; and the first 100 rows of each.

The target (issue 19): ``kg query`` within 1.2× of the engine alone on every listing (a query of the
whole graph: a thousand rows or more).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402 - benchmarks/run.py, beside this file

ROOT = run.ROOT
LISTING_ROWS = 1000


def prepared(work: Path, size: int) -> tuple[Path, Path, int]:
    """The fact folder and its build's Turtle in ``work``, made once."""
    facts, out = work / "facts", work / "out"
    turtle, counted = out / "gpu-kg.ttl", work / "triples.txt"
    if not (turtle.exists() and counted.exists()):
        shutil.rmtree(facts, ignore_errors=True)
        from kg.build.graph import ontology_subjects
        from kg.facts.synth import write_synthetic

        ontology = sum(len(pairs) for pairs in ontology_subjects().values())
        write_synthetic(facts, max(1, round((size - ontology) / run.TRIPLES_PER_COMPANY)))
        built = subprocess.run([sys.executable, "-m", "kg", "build", "--facts", str(facts), "--out", str(out)],
                               cwd=ROOT, check=True, capture_output=True, text=True,
                               env={**os.environ, "KG_CACHE_DIR": str(work / "cache")})
        counted.write_text(built.stdout.split(" triples")[0].strip())  # "1041472 triples; wrote ..."
    return facts, turtle, int(counted.read_text())


def report(size: int, measured: dict, triples: int) -> str:
    lines = ["# `kg query` against the engine alone", "",
             f"`python benchmarks/listings.py --size {run.human(size)}` on {dt.date.today().isoformat()}: "
             f"{os.cpu_count()} cores, Python {platform.python_version()}, shared with other work (load average "
             f"{measured['load_before']:.1f} before, {measured['load_after']:.1f} after). "
             f"About {triples:,} triples. The measurement is `benchmarks/run.py`'s: *kg* is `kg.query.catalog.run` "
             "as `kg query NAME` runs it (a worker process forked for the query, labels included); *engine* is "
             "pyoxigraph alone on the same open store, the same text, every row read; in memory the graph is "
             f"loaded once and held, on disk the store is opened afresh for each query (stopped after "
             f"{run.QUERY_TIMEOUT:.0f} s). A *listing* returns {LISTING_ROWS:,} rows or more.", "",
             "| query | rows | memory kg | engine | ratio | first 100 | engine | disk kg | engine | ratio |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    memory, disk = measured["memory"]["queries"], measured["disk"]["queries"]
    over = []
    for name in sorted(memory):
        m, d = memory[name], disk[name]
        rows = m["rows"] if m["rows"] is not None else d["rows"]
        cells = [f"{rows:,}" if rows is not None else "–"]
        for t, first in ((m, True), (d, False)):
            cells += [run._query_cell(t), run._seconds(t.get("engine_s")),
                      run._ratio(None if t["stopped"] else t["s"], t.get("engine_s"))]
            if first:
                cells += [run._query_cell(t["first"]), run._seconds(t["first"].get("engine_s"))]
            if rows is not None and rows >= LISTING_ROWS and not t["stopped"] and t.get("engine_s"):
                ratio = t["s"] / t["engine_s"]
                if ratio > 1.2:
                    over.append(f"{name} ({'memory' if first else 'disk'}) {ratio:.2f}×")
            elif rows is not None and rows >= LISTING_ROWS and t["stopped"]:
                over.append(f"{name} ({'memory' if first else 'disk'}) stopped")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "## Target", "",
              ("- met" if not over else "- **missed**") + f": every listing within 1.2× of the engine alone"
              + (f"; over: {', '.join(over)}." if over else ".")]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=run.parse_size, default=run.parse_size("1M"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/kg-listings"), help="folder for the facts and stores")
    parser.add_argument("--query-timeout", type=float, default=20.0)
    parser.add_argument("--write", action="store_true", help="write benchmarks/LISTINGS.md")
    args = parser.parse_args()
    os.environ["KG_BENCH_QUERY_TIMEOUT"] = str(args.query_timeout)
    run.QUERY_TIMEOUT = run.MEMORY_TIMEOUT = args.query_timeout
    args.work.mkdir(parents=True, exist_ok=True)
    facts, turtle, triples = prepared(args.work, args.size)
    measured = {"load_before": os.getloadavg()[0]}
    print("the saved queries in memory ...", file=sys.stderr, flush=True)
    measured["memory"] = run.in_child("memory", str(turtle), str(triples), str(facts))
    print("the saved queries on disk ...", file=sys.stderr, flush=True)
    store = args.work / "store"
    shutil.rmtree(store, ignore_errors=True)
    measured["disk"] = run.in_child("disk", str(turtle), str(triples), str(facts), str(store))
    measured["load_after"] = os.getloadavg()[0]
    (args.work / "listings.json").write_text(json.dumps(measured, indent=1))
    text = report(args.size, measured, triples)
    print(text, end="")
    if args.write:
        (ROOT / "benchmarks" / "LISTINGS.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
