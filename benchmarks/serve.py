"""How fast ``kg serve`` starts and answers, on the shipped facts.

    .venv/bin/python benchmarks/serve.py            # prints the table
    .venv/bin/python benchmarks/serve.py --write    # and writes benchmarks/SERVE.md

Each run starts ``kg serve`` in a fresh process on a free loopback port and
measures the time from launching the process until its port accepts connections
(Python's start, the imports, uvicorn listening), until the home page answers 200
(the saved queries' headers read, in the background) and until a first SPARQL
query answers (the graph built from facts/, in the background too). Then it times, on that server, the first and a
later request for a saved query's page, an entity page, a name completion and a
SPARQL query. Each figure is the fastest of ``--repeat`` runs; the machine is
shared, so the load average is recorded too.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
REQUESTS = {
    "saved query page (listing-race)": "/queries/listing-race",
    "entity page (moore-threads)": "/entity?id=moore-threads",
    "name completion (天数)": "/api/complete?" + urllib.parse.urlencode({"q": "天数"}),
    "SPARQL endpoint (SELECT, JSON)": "/sparql?" + urllib.parse.urlencode(
        {"query": "SELECT ?s WHERE { ?s a <https://w3id.org/gpu-kg/ontology#ChipDesigner> } ORDER BY ?s"}),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> float:
    start = time.perf_counter()
    with OPENER.open(url, timeout=60) as response:
        response.read()
        assert response.status == 200, url
    return time.perf_counter() - start


def one_run(facts: Path) -> dict[str, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--port", str(port), "--facts", str(facts)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.perf_counter() - start > 60:
                    raise RuntimeError("kg serve did not start")
                time.sleep(0.005)
        listening = time.perf_counter() - start
        while True:
            try:
                get(base + "/")
                break
            except OSError:
                if process.poll() is not None or time.perf_counter() - start > 60:
                    raise RuntimeError("kg serve did not start")
                time.sleep(0.01)
        timings = {"start until the port accepts connections": listening,
                   "start until the home page answers (the saved queries read)": time.perf_counter() - start}
        get(base + "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}))
        timings["start until a query answers (the graph built)"] = time.perf_counter() - start
        for label, path in REQUESTS.items():
            timings[f"{label}, first"] = get(base + path)
            timings[f"{label}, again"] = get(base + path)
        return timings
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", default=str(ROOT / "facts"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="write benchmarks/SERVE.md")
    args = parser.parse_args()
    runs = [one_run(Path(args.facts)) for _ in range(args.repeat)]
    best = {key: min(run[key] for run in runs) for key in runs[0]}
    load = os.getloadavg()[0]
    lines = ["# kg serve: start and response times", "",
             f"`benchmarks/serve.py` on the facts in `{Path(args.facts).relative_to(ROOT) if Path(args.facts).is_relative_to(ROOT) else args.facts}`, "
             f"fastest of {args.repeat} runs; Python {platform.python_version()}, {os.cpu_count()} cores, "
             f"load average {load:.2f} when it finished.", "",
             "| what | seconds |", "| --- | ---: |"]
    lines += [f"| {key} | {value:.3f} |" for key, value in best.items()]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.write:
        (ROOT / "benchmarks" / "SERVE.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
