"""How fast ``kg serve`` starts and answers, and how it holds up under load beside Oxigraph's own server.

    .venv/bin/python benchmarks/serve.py                               # start-up on the shipped facts
    .venv/bin/python benchmarks/serve.py --store DIR --write           # and the load, written to SERVE.md
    .venv/bin/python benchmarks/serve.py --make-store 1M --store DIR   # make a synthetic store first

**Start-up** (the shipped facts): each run starts ``kg serve`` in a fresh process on a
free loopback port and measures the time until its port accepts connections, until
the home page answers and until a first SPARQL query answers; then the first and a
later request for a saved query's page, an entity page, a name completion and a
SPARQL query. Each figure is the fastest of ``--repeat`` runs.

**Load** (an on-disk store made by ``kg build --store oxigraph:DIR``): ``kg serve
--store oxigraph:DIR`` and ``oxigraph serve-read-only`` on the store's live version,
both on loopback, asked the same query text (the graph named as the default graph)
by ``wrk`` (Debian's ``wrk``: a closed loop, each connection sending its next request
when the last is answered) with 1, 8 and 32 connections for ``--seconds`` each:

- a one-entity SELECT on ``/sparql`` (Oxigraph: ``/query``);
- a saved query through ``/api/queries/NAME`` against Oxigraph running its text
  (parameters substituted, the same PREFIXes): kg's answer also has labels, and it is
  cached after the first request, as the server keeps answers;
- the small query's latency while four heavy queries (a cross product counted, which
  never ends on its own) run on the same server, each heavy client asking again as
  soon as it is answered;
- a runaway query (a cross product sorted): the time until the answer, the peak
  resident memory of the server's processes, and their CPU in the second after.

Every loop is bounded in time; servers are stopped (and killed if need be) at the end.
The machine is shared, so the load average is recorded, and both servers are measured
in the same run, one after the other, on the same store and text.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
GRAPH = "https://w3id.org/gpu-kg/graph"
REQUESTS = {
    "saved query page (listing-race)": "/queries/listing-race",
    "entity page (moore-threads)": "/entity?id=moore-threads",
    "name completion (天数)": "/api/complete?" + urllib.parse.urlencode({"q": "天数"}),
    "SPARQL endpoint (SELECT, JSON)": "/sparql?" + urllib.parse.urlencode(
        {"query": "SELECT ?s WHERE { ?s a <https://w3id.org/gpu-kg/ontology#ChipDesigner> } ORDER BY ?s"}),
}
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
RUNAWAY = "SELECT ?a ?b ?c ?d ?e ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c ?e"
CLIENTS = (1, 8, 32)
READING = "## Reading the figures"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, timeout: float = 60) -> float:
    start = time.perf_counter()
    with OPENER.open(url, timeout=timeout) as response:
        response.read()
        assert response.status == 200, url
    return time.perf_counter() - start


def status_of(url: str, timeout: float = 120) -> tuple[int, bytes]:
    try:
        with OPENER.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except (OSError, urllib.error.URLError) as err:
        return 0, str(err).encode()


def wait_for(url: str, process: subprocess.Popen, limit: float = 600) -> None:
    start = time.perf_counter()
    while True:
        code, _ = status_of(url, timeout=5)
        if code == 200:
            return
        if process.poll() is not None or time.perf_counter() - start > limit:
            raise RuntimeError(f"{url} did not answer")
        time.sleep(0.05)


# --- start-up on the shipped facts ---------------------------------------------------------------


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
        wait_for(base + "/", process, 60)
        timings = {"start until the port accepts connections": listening,
                   "start until the home page answers (the saved queries read)": time.perf_counter() - start}
        get(base + "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}))
        timings["start until a query answers (the graph built)"] = time.perf_counter() - start
        for label, path in REQUESTS.items():
            timings[f"{label}, first"] = get(base + path)
            timings[f"{label}, again"] = get(base + path)
        return timings
    finally:
        stop(process)


# --- the two servers ---------------------------------------------------------------------------------


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def kg_serve(store: Path, *args: str):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--port", str(port), "--store",
                                f"oxigraph:{store}", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}), process)
        yield base, "/sparql", process
    finally:
        stop(process)


@contextmanager
def oxigraph_serve(store: Path, *args: str):
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    live = json.loads((store / "store.json").read_text())["current"]
    port = free_port()
    process = subprocess.Popen([binary, "serve-read-only", "--location", str(store / live), "--bind",
                                f"127.0.0.1:{port}", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/query?" + urllib.parse.urlencode({"query": "ASK {}"}), process)
        yield base, "/query", process
    finally:
        stop(process)


def family(pid: int) -> list[int]:
    """The process and every process under it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        todo.extend(int(c) for c in children)
    return found


def resident_mb(pid: int) -> float:
    """Memory of the process and those under it, each shared page counted once (the sum of their PSS)."""
    total = 0
    for member in family(pid):
        try:
            found = re.search(r"^Pss:\s+(\d+) kB", Path(f"/proc/{member}/smaps_rollup").read_text(), re.MULTILINE)
            total += int(found.group(1)) * 1024 if found else 0
        except OSError:
            pass
    return total / 2**20


def cpu_by_process(pid: int) -> dict[int, float]:
    found = {}
    for member in family(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            found[member] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return found


def cpu_seconds(pid: int) -> float:
    return sum(cpu_by_process(pid).values())


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two looks by the processes there at both (one killed in between used none after)."""
    return sum(after[p] - before[p] for p in before if p in after)


# --- load ------------------------------------------------------------------------------------------------


def wrk(url: str, clients: int, seconds: float) -> dict[str, float]:
    """``wrk``'s closed loop: requests per second, median and 99th percentile latency (ms), errors."""
    done = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "30s",
                           "-H", "Accept: application/sparql-results+json", url],
                          capture_output=True, text=True, timeout=seconds + 60)
    out = done.stdout

    def latency(label: str) -> float:
        found = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if not found:
            return float("nan")
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    return {"rps": float(rate.group(1)) if rate else 0.0, "p50": latency("50%"), "p99": latency("99%"),
            "errors": int(errors.group(1)) if errors else 0, "socket_errors": socket_errors.group(0) if socket_errors else ""}


def one_entity(store: Path) -> str:
    """A company of the store, by IRI: the first chip designer."""
    import pyoxigraph as ox

    live = json.loads((store / "store.json").read_text())["current"]
    opened = ox.Store.read_only(str(store / live))
    found = opened.query("SELECT ?c WHERE { ?c a <https://w3id.org/gpu-kg/ontology#ChipDesigner> } ORDER BY ?c LIMIT 1",
                         default_graph=ox.NamedNode(GRAPH))
    return next(iter(found))[0].value


def company_ids(store: Path) -> list[str]:
    """The ids of the store's first two chip designers."""
    import pyoxigraph as ox

    live = json.loads((store / "store.json").read_text())["current"]
    opened = ox.Store.read_only(str(store / live))
    found = opened.query("SELECT ?c WHERE { ?c a <https://w3id.org/gpu-kg/ontology#ChipDesigner> } ORDER BY ?c LIMIT 2",
                         default_graph=ox.NamedNode(GRAPH))
    return [solution[0].value.rsplit("/", 1)[1] for solution in found]


def saved_text(name: str, values: dict[str, str], iri: str) -> str:
    """A saved query's text as kg runs it, its parameters substituted, with the PREFIXes kg gives the engine."""
    from rdflib import URIRef

    from kg.base.ontology import PREFIXES
    from kg.query import catalog
    from kg.store.core import substitute

    query = catalog.parsed(catalog.find_query(name))
    bindings = {p.variable: URIRef(iri) for p in query.params if p.type == "iri"}
    others = catalog.bind(None, query, values)
    text = substitute(query.text, {**{k.lstrip("?"): v for k, v in others.items()}, **bindings})
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items()) + text


def heavy_clients(url: str, count: int, until: float) -> list[threading.Thread]:
    """``count`` clients that ask ``url`` again as soon as they are answered, until ``until`` (monotonic)."""
    def loop() -> None:
        while time.monotonic() < until:
            status_of(url, timeout=max(1.0, until - time.monotonic()))

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


def runaway(base: str, path: str, pid: int, limit: float) -> dict[str, float]:
    """Send RUNAWAY; the time to the answer, its status, the peak memory of the server's processes, and their
    CPU in the second after the answer."""
    url = base + path + "?" + urllib.parse.urlencode({"query": RUNAWAY, "default-graph-uri": GRAPH})
    before = resident_mb(pid)
    answer: dict[str, object] = {}

    def ask() -> None:
        answer["status"], answer["body"] = status_of(url, timeout=limit)

    start = time.monotonic()
    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    peak = before
    while thread.is_alive() and time.monotonic() - start < limit:
        peak = max(peak, resident_mb(pid))
        time.sleep(0.05)
    took = time.monotonic() - start
    cpu = cpu_by_process(pid)
    time.sleep(1)
    return {"seconds": took, "status": answer.get("status", "no answer"), "idle_mb": before, "peak_mb": peak,
            "cpu_after": cpu_between(cpu, cpu_by_process(pid)), "alive": pid in family(pid) and Path(f"/proc/{pid}").exists(),
            "body": (answer.get("body") or b"")[:160].decode("utf-8", "replace").strip()}


def load(store: Path, seconds: float, timeout: float) -> dict:
    iri = one_entity(store)
    entity_query = f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"
    company = iri.rsplit("/", 1)[1]
    saved = "company-profile"
    texts = {"one-entity /sparql": entity_query, f"saved query ({saved})": saved_text(saved, {}, iri)}
    results: dict = {"iri": iri, "load_before": os.getloadavg()[0], "runs": {}}
    small = "ASK { ?c a <https://w3id.org/gpu-kg/ontology#Foundry> }"

    def url_for(name: str, base: str, path: str, label: str, text: str) -> str:
        if name == "kg serve" and label.startswith("saved query"):
            return base + f"/api/queries/{saved}?" + urllib.parse.urlencode({"company": company, "format": "json"})
        return base + path + "?" + urllib.parse.urlencode({"query": text, "default-graph-uri": GRAPH})

    # Oxigraph as it serves best (no --timeout-s: with it, every run below was slower) for the load; with
    # its time limit for the runaway query, on a server of its own.
    with kg_serve(store, "--timeout", str(timeout)) as mine, oxigraph_serve(store) as theirs:
        servers = {"kg serve": mine, "oxigraph serve-read-only": theirs}
        for label, text in texts.items():
            for name, (base, path, _) in servers.items():
                status_of(url_for(name, base, path, label, text))  # the first answer (kg serve keeps it)
            for clients in CLIENTS:
                for name, (base, path, _) in servers.items():  # one after the other, each run: the same load
                    url = url_for(name, base, path, label, text)
                    results["runs"].setdefault(name, {})[(label, clients)] = wrk(url, clients, seconds)
        for name, (base, path, process) in servers.items():
            heavy = base + path + "?" + urllib.parse.urlencode({"query": HEAVY, "default-graph-uri": GRAPH})
            small_url = base + path + "?" + urllib.parse.urlencode({"query": small, "default-graph-uri": GRAPH})
            threads = heavy_clients(heavy, 4, time.monotonic() + seconds + 2)
            time.sleep(1)
            results["runs"][name][("small query while 4 heavy run", 1)] = wrk(small_url, 1, seconds)
            for thread in threads:
                thread.join(timeout + seconds + 5)
        results["runs"]["kg serve"]["runaway"] = runaway(*mine[:2], mine[2].pid, max(3 * timeout, 20))
    with oxigraph_serve(store, "--timeout-s", str(int(timeout))) as (base, path, process):
        results["runs"]["oxigraph serve-read-only"]["runaway"] = runaway(base, path, process.pid,
                                                                          max(3 * timeout, 20))
    results["load_after"] = os.getloadavg()[0]
    return results


def pages(store: Path, timeout: float) -> dict[str, dict]:
    """Each saved query's page in the web app (its first 100 rows), the first time and again (kept). A
    parameter whose default names a company of the shipped facts names companies of the store."""
    from kg.query import catalog

    companies = company_ids(store)
    found = {}
    with kg_serve(store, "--timeout", str(timeout)) as (base, _, _):
        for name in catalog.query_names():
            query = catalog.find_query(name)
            values = {p.name: companies[1] if p.name == "other" else companies[0] for p in query.params
                      if p.type == "iri" and p.default and "/id/" in p.default}
            url = base + f"/queries/{name}" + ("?" + urllib.parse.urlencode(values) if values else "")
            started = time.perf_counter()
            status, body = status_of(url, timeout=timeout + 30)
            first = time.perf_counter() - started
            started = time.perf_counter()
            again_status, _ = status_of(url, timeout=timeout + 30)
            again = time.perf_counter() - started
            shown = re.search(r'id="row-count">([^<]*)<', body.decode("utf-8", "replace"))
            found[name] = {"status": status, "first": first, "again": again, "again_status": again_status,
                           "rows": shown.group(1) if shown else ""}
    return found


def make_store(size: str, store: Path) -> None:
    """A synthetic store of about ``size`` triples, as benchmarks/run.py makes them (kg synth, kg build --store)."""
    triples = float(size.rstrip("kKmM")) * (1000 if size[-1] in "kK" else 1_000_000 if size[-1] in "mM" else 1)
    companies = max(1, round(triples / 84.5))
    work = store.parent / f"{store.name}-facts"
    subprocess.run([sys.executable, "-m", "kg", "synth", "--companies", str(companies), "-o", str(work)],
                   cwd=ROOT, check=True)
    subprocess.run([sys.executable, "-m", "kg", "build", "--facts", str(work), "--out", str(work) + "-out",
                    "--store", f"oxigraph:{store}"], cwd=ROOT, check=True)


# --- the report --------------------------------------------------------------------------------------


def report(startup: dict[str, float], repeat: int, facts: str, loaded: dict | None, store: Path | None,
           seconds: float, timeout: float) -> str:
    lines = ["# kg serve: start, response times, and load beside Oxigraph's server", "",
             f"`benchmarks/serve.py`; Python {platform.python_version()}, {os.cpu_count()} cores, "
             f"load average {os.getloadavg()[0]:.2f} when it finished.", "",
             "## Start-up and first requests", "",
             f"On the facts in `{facts}`, fastest of {repeat} runs.", "",
             "| what | seconds |", "| --- | ---: |"]
    lines += [f"| {key} | {value:.3f} |" for key, value in startup.items()]
    if loaded is None:
        return "\n".join(lines) + "\n"
    manifest = json.loads((store / "store.json").read_text())
    kg_runs, ox_runs = loaded["runs"]["kg serve"], loaded["runs"]["oxigraph serve-read-only"]
    lines += ["", "## Load, beside `oxigraph serve-read-only`", "",
              f"The on-disk store `{store.name}` ({manifest['triples']:,} triples, version {manifest['current']}); "
              f"`wrk` closed loop, {seconds:g} s a run, both servers up at once on loopback and measured one "
              f"after the other for each row; "
              f"kg serve with `--timeout {timeout:g}` and its other defaults; Oxigraph with its defaults (the runaway "
              f"query: on another Oxigraph server, with `--timeout-s {int(timeout)}`). "
              f"Load average {loaded['load_before']:.2f} before, {loaded['load_after']:.2f} after. "
              f"One entity: `{loaded['iri']}`.", "",
              "| request | clients | kg serve req/s | Oxigraph req/s | ratio | kg p50 / p99 ms | Oxigraph p50 / p99 ms | kg errors |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for key, mine in kg_runs.items():
        if key == "runaway":
            continue
        theirs = ox_runs.get(key, {})
        ratio = mine["rps"] / theirs["rps"] if theirs.get("rps") else float("nan")
        lines.append(f"| {key[0]} | {key[1]} | {mine['rps']:,.0f} | {theirs.get('rps', 0):,.0f} | {ratio:.2f}× | "
                     f"{mine['p50']:.1f} / {mine['p99']:.1f} | {theirs.get('p50', float('nan')):.1f} / "
                     f"{theirs.get('p99', float('nan')):.1f} | {mine['errors']} |")
    lines += ["", "### A runaway query", "",
              f"`{RUNAWAY}` (a cross product, sorted), on each server.", "",
              "| server | answer | after s | MB before | peak MB (its processes, PSS) | CPU s in the second after | still running |",
              "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for name in ("kg serve", "oxigraph serve-read-only"):
        run = loaded["runs"][name]["runaway"]
        lines.append(f"| {name} | {run['status']} {run['body'][:90]!s} | {run['seconds']:.2f} | {run['idle_mb']:.0f} | "
                     f"{run['peak_mb']:.0f} | {run['cpu_after']:.2f} | {'yes' if run['alive'] else 'no (it died)'} |")
    if loaded.get("pages"):
        timed = loaded["pages"]
        first_ok = [n for n, p in timed.items() if p["status"] == 200]
        lines += ["", "### Each saved query's page in the web app", "",
                  f"`/queries/NAME` with its defaults (a company of the store for a company) on kg serve over the same store (`--timeout "
                  f"{loaded['page_timeout']:g}`): the first request runs the query in a worker and keeps the whole "
                  "answer; *again* is the same page asked once more (the next page costs the same: a slice of the "
                  "kept answer).", "",
                  "| query | rows shown | first (s) | again (s) |", "| --- | --- | ---: | ---: |"]
        for name, page in timed.items():
            first = f"{page['first']:.3f}" if page["status"] == 200 else f"{page['status']} after {page['first']:.1f}"
            again = f"{page['again']:.3f}" if page["again_status"] == 200 else f"{page['again_status']}"
            lines.append(f"| {name} | {page['rows']} | {first} | {again} |")
        cached = [p["again"] for p in timed.values() if p["again_status"] == 200]
        lines += ["", f"Answered the first time: {len(first_ok)} of {len(timed)}; under 1 s the first time: "
                  f"{sum(1 for p in timed.values() if p['status'] == 200 and p['first'] < 1)}; once kept, the slowest "
                  f"page took {max(cached):.3f} s." if cached else ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", default=str(ROOT / "facts"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", type=Path, help="an on-disk store (kg build --store oxigraph:DIR): run the load too")
    parser.add_argument("--make-store", metavar="SIZE", help="first make a synthetic store of SIZE triples (1M) at --store")
    parser.add_argument("--seconds", type=float, default=10, help="length of each wrk run")
    parser.add_argument("--timeout", type=float, default=5, help="both servers' time limit for a query")
    parser.add_argument("--page-timeout", type=float, default=30, help="kg serve's time limit for the pages")
    parser.add_argument("--write", action="store_true", help="write benchmarks/SERVE.md")
    args = parser.parse_args()
    if args.make_store:
        make_store(args.make_store, args.store)
    runs = [one_run(Path(args.facts)) for _ in range(args.repeat)]
    startup = {key: min(run[key] for run in runs) for key in runs[0]}
    facts = Path(args.facts)
    shown = facts.relative_to(ROOT) if facts.is_relative_to(ROOT) else facts
    loaded = load(args.store, args.seconds, args.timeout) if args.store else None
    if loaded is not None:
        loaded["page_timeout"] = args.page_timeout
        loaded["pages"] = pages(args.store, args.page_timeout)
    text = report(startup, args.repeat, str(shown), loaded, args.store, args.seconds, args.timeout)
    print(text, end="")
    if args.write:  # the figures are replaced; the reading written by hand after them is kept
        target = ROOT / "benchmarks" / "SERVE.md"
        kept = target.read_text(encoding="utf-8").partition(READING)[2] if target.exists() else ""
        target.write_text(text + (f"\n{READING}{kept}" if kept else ""), encoding="utf-8")


if __name__ == "__main__":
    main()
