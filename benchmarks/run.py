"""How the pipeline scales: YAML -> checked graph -> Turtle, stores and queries, at 10k to millions of triples.

One command, from the project folder:

    .venv/bin/python benchmarks/run.py --sizes 10k,100k,1M            # prints the table
    .venv/bin/python benchmarks/run.py --sizes 10k,100k,1M --write    # and writes benchmarks/RESULTS.md

For each size it writes a synthetic fact folder (``kg synth``, about 77 triples a
company) and measures, each step in a fresh Python process (so that peak memory
is that step's own, read with ``resource.getrusage``):

- the floor: PyYAML's C loader alone on every fact file (collector paused) plus
  raw pyoxigraph insertion of the same triples (the faster of ``Store.load`` and
  ``Store.bulk_load`` of their N-Triples, in memory);
- the stages: reading the facts, building the graph, the shape checks, Turtle and
  N-Triples export;
- the build: YAML -> checked graph -> Turtle file, as ``kg build --no-cache`` does it,
  with its peak memory, and the same ``kg build`` command timed from the shell;
- the rebuild after editing one figures file, with the cache of the build before it;
- the stores: the graph in memory (Oxigraph, loaded from the build's Turtle, as
  ``kg query`` does) and loaded into the on-disk store (``kg build --store
  oxigraph:PATH``), and every saved query on each (on the on-disk store, opened
  afresh, as ``kg query --store`` does; in memory up to ``--memory-queries``
  triples, 100k by default);
- rdflib's parse of each saved query, which ``kg query`` pays once per query text
  (the reading is cached).

Before the sizes, on the shipped facts (``facts/``): ``kg --help`` against
``python -c pass``, and each saved query run end to end as a user types it
(``kg query NAME``, fresh interpreter, warm caches) against pyoxigraph alone
running the same query text (defaults substituted) on the same graph in memory.
Children run with Python's bytecode cache on (``PYTHONDONTWRITEBYTECODE`` unset),
as an installed command does.

Every figure is shown with its ratio to the floor measured in the same run. The
machine is shared: the load average is recorded with each size, and the floor and
the build are each measured ``--repeat`` times, keeping the fastest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TRIPLES_PER_COMPANY = 81.0   # what kg.synth writes, measured; only used to pick the number of companies
QUERY_TIMEOUT = 30.0         # seconds (kg.queries' default): a query still running then is reported as stopped
MEMORY_TIMEOUT = 30.0        # the same limit in memory: the target is that none is stopped by it
TARGETS = {"build_ratio": 1.5, "peak_gb": 3.0, "query_s": 1.0, "one_entity_s": 0.2, "rebuild_s": 1.0,
           "help_over_bare_s": 0.15, "shipped_query_s": 0.3, "shipped_ratio": 3.0}
# Saved queries about one entity (their defaults name one company): the target for them is tighter.
ONE_ENTITY = ("commercial-traction", "company-comparison", "company-profile", "financial-series",
              "income-statement", "segment-figures")
READING = "## Reading the figures"  # written by hand under the tables; --write keeps it


# --- steps, each run in a child process -------------------------------------------------------------

def step_floor(facts: str, ntriples: str) -> dict:
    import pyoxigraph as ox
    import yaml

    texts = [p.read_text(encoding="utf-8") for p in sorted(Path(facts).rglob("*.yaml"))]
    gc.disable()
    started = time.perf_counter()
    for text in texts:
        yaml.load(text, Loader=yaml.CSafeLoader)
    yaml_s = time.perf_counter() - started
    gc.enable()
    data = Path(ntriples).read_bytes()
    started = time.perf_counter()
    store = ox.Store()
    store.load(data, format=ox.RdfFormat.N_TRIPLES)
    load_s = time.perf_counter() - started
    count = len(store)
    del store
    started = time.perf_counter()
    store = ox.Store()
    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
    bulk_s = time.perf_counter() - started
    return {"yaml_s": yaml_s, "insert_s": min(load_s, bulk_s), "load_s": load_s, "bulk_load_s": bulk_s,
            "triples": count, "floor_s": yaml_s + min(load_s, bulk_s)}


def step_stages(facts: str, ntriples: str) -> dict:
    import kg
    from kg.build import fact_graph, origins
    from kg.export import serialize
    from kg.ontology import vocabulary
    from kg.shacl import compiled_shapes
    from kg.validate import check

    vocabulary(), compiled_shapes()  # the ontology and shapes, parsed once by every command
    out = {}
    started = time.perf_counter()
    loaded = kg.load_facts(facts)
    out["load_s"] = time.perf_counter() - started
    gc.disable()  # as the build runs it
    started = time.perf_counter()
    graph = fact_graph(loaded)
    out["graph_s"] = time.perf_counter() - started
    started = time.perf_counter()
    check(graph, lambda: origins(loaded))
    out["validate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    serialize(graph, "turtle")
    out["turtle_s"] = time.perf_counter() - started
    started = time.perf_counter()
    nt = serialize(graph, "nt")
    out["ntriples_s"] = time.perf_counter() - started
    Path(ntriples).write_bytes(nt)
    out["triples"] = len(graph)
    out["records"] = len(loaded.records)
    return out


def step_build(facts: str, out_dir: str) -> dict:
    import kg
    from kg.cache import build_turtle

    started = time.perf_counter()
    built = build_turtle(facts, cache_dir=None)
    kg.write_atomically(Path(out_dir) / "gpu-kg.ttl", built.turtle)
    return {"build_s": time.perf_counter() - started, "triples": built.triples}


def step_rebuild(facts: str, out_dir: str) -> dict:
    import kg
    from kg.cache import CACHE_NAME, build_turtle

    cache = Path(out_dir) / CACHE_NAME
    started = time.perf_counter()
    first = build_turtle(facts, cache_dir=cache)
    kg.write_atomically(Path(out_dir) / "gpu-kg.ttl", first.turtle)
    first_s = time.perf_counter() - started
    edited = edit_one_figure(Path(facts))
    started = time.perf_counter()
    again = build_turtle(facts, cache_dir=cache)
    kg.write_atomically(Path(out_dir) / "gpu-kg.ttl", again.turtle)
    again_s = time.perf_counter() - started
    return {"first_s": first_s, "rebuild_s": again_s, "compiled": again.compiled, "files": again.files,
            "edited": edited}


def step_memory(facts: str) -> dict:
    from kg.cache import build_turtle
    from kg.stores import Document, MemoryStore

    built = build_turtle(facts, cache_dir=None)
    store = MemoryStore(load=lambda: Document(built.turtle, "turtle", built.triples))
    started = time.perf_counter()
    store.count()  # loads the build's Turtle into Oxigraph in memory, as `kg query` does
    out = {"load_s": time.perf_counter() - started}
    out["queries"] = run_queries(store, facts)
    return out


def step_shipped(facts: str, cache: str) -> dict:
    """On the shipped facts: start-up, and every saved query end to end against pyoxigraph alone."""
    import pyoxigraph as ox

    from kg import queries
    from kg.ontology import PREFIXES
    from kg.cache import build_turtle
    from kg.stores import substitute

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["KG_CACHE_DIR"] = cache
    kg_command = str(Path(sys.executable).with_name("kg"))

    def best(command: list[str], runs: int = 5) -> float:
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)  # warms every cache
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)
            times.append(time.perf_counter() - started)
        return min(times)

    out = {"bare_s": best([sys.executable, "-c", "pass"]), "help_s": best([kg_command, "--help"]),
           "list_s": best([kg_command, "queries"]), "queries": {}}
    built = build_turtle(facts, cache_dir=None)
    out["triples"] = built.triples
    store = ox.Store()
    store.bulk_load(built.turtle, format=ox.RdfFormat.TURTLE)
    prefixes = {p: str(ns) for p, ns in PREFIXES.items()}
    for name in queries.query_names():
        query = queries.find_query(name)
        bindings = queries.bind(store_graph(store), query)
        text = substitute(query.text, bindings)
        alone = []
        for _ in range(5):
            started = time.perf_counter()
            answer = store.query(text, prefixes=prefixes)
            rows = len(list(answer)) if isinstance(answer, ox.QuerySolutions) else 1
            alone.append(time.perf_counter() - started)
        out["queries"][name] = {"kg_s": best([kg_command, "query", name, "--facts", facts, "--format", "csv"]),
                                "oxigraph_s": min(alone), "rows": rows}
    return out


def store_graph(store):
    """The naming triples of an Oxigraph store as an rdflib Graph, to resolve default parameters."""
    from kg.stores import MemoryStore

    memory = MemoryStore()
    memory._store = store
    return memory.naming_graph()


def step_disk(facts: str, store_dir: str) -> dict:
    from kg import queries
    from kg.cache import build_turtle
    from kg.stores import Document, open_store

    built = build_turtle(facts, cache_dir=None)
    store = open_store(f"oxigraph:{store_dir}")
    started = time.perf_counter()
    store.replace(Document(built.turtle, "turtle", built.triples))  # as `kg build --store` does
    load_s = time.perf_counter() - started
    store.close()
    del built
    gc.collect()
    out = {"load_s": load_s, "queries": {}, "warm": {}}
    names = queries.query_names()
    for name in names:  # each query on a store opened afresh, as `kg query --store` does
        store = open_store(f"oxigraph:{store_dir}")
        out["queries"][name] = time_query(store, name, facts)
        out["warm"][name] = time_query(store, name, facts)
        store.close()
    return out


def step_parse() -> dict:
    """What every `kg query` pays before it runs: rdflib reading the saved query."""
    from kg import queries

    out = {}
    for name in queries.query_names():
        text = (queries.catalog_dir() / f"{name}.rq").read_text(encoding="utf-8")
        started = time.perf_counter()
        queries._parse_sparql(text, name)  # what the cache of readings saves on every later run
        out[name] = time.perf_counter() - started
    return out


def run_queries(target, facts: str) -> dict:
    from kg import queries

    return {name: time_query(target, name, facts, MEMORY_TIMEOUT) for name in queries.query_names()}


_PARSED: dict = {}


def time_query(target, name: str, facts: str, timeout: float = QUERY_TIMEOUT) -> dict:
    """The run alone, name lookup included: each query is parsed once per process (see ``step_parse``)."""
    from kg import queries

    if name not in _PARSED:
        _PARSED[name] = queries.find_query(name)
    query = _PARSED[name]
    values = query_values(query, facts)
    started = time.perf_counter()
    try:
        result = queries.run(target, query, values, timeout=timeout)
    except queries.QueryTimeout:
        return {"s": time.perf_counter() - started, "rows": None, "stopped": timeout}
    return {"s": time.perf_counter() - started, "rows": len(result.rows), "stopped": False}


def query_values(query, facts: str) -> dict[str, str]:
    """Parameters whose default names a company of the shipped facts get synthetic companies."""
    companies = synthetic_companies(facts)
    values = {}
    for param in query.params:
        if param.type == "iri" and param.default and "/id/" in param.default:
            values[param.name] = companies[0] if param.name != "other" else companies[1]
    return values


def synthetic_companies(facts: str) -> list[str]:
    text = (Path(facts) / "organizations.yaml").read_text(encoding="utf-8")
    return re.findall(r"- id: (\S+)\n    roles: \[chip-designer\]", text)[:2]


def edit_one_figure(facts: Path) -> str:
    """Change one stated revenue in the middle figures file; returns its name."""
    parts = sorted((facts / "figures").glob("*.yaml"))
    path = parts[len(parts) // 2]
    text = path.read_text(encoding="utf-8")
    changed = re.sub(r"(\d+)\.(\d\d)亿元", lambda m: f"{int(m[1]) + 1}.{m[2]}亿元", text, count=1)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    return path.relative_to(facts).as_posix()


STEPS = {"floor": step_floor, "stages": step_stages, "build": step_build, "rebuild": step_rebuild,
         "memory": step_memory, "disk": step_disk, "parse": step_parse, "shipped": step_shipped}


def child(step: str, args: list[str]) -> None:
    result = STEPS[step](*args)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def in_child(step: str, *args: str) -> dict:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", step, *args], capture_output=True, text=True,
                          cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - started
    return result


# --- the run -------------------------------------------------------------------------------------

def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text} (write 10k, 100k, 1M)")
    return int(float(match[1]) * {"": 1, "k": 1_000, "m": 1_000_000}[match[2].lower()])


def measure(size: int, work: Path, repeat: int, stores: bool, memory_queries: int) -> dict:
    from kg.build import ontology_subjects
    from kg.synth import write_synthetic

    ontology = sum(len(pairs) for pairs in ontology_subjects().values())
    companies = max(1, round((size - ontology) / TRIPLES_PER_COMPANY))
    folder = work / f"facts-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    write_synthetic(folder, companies)
    nt = work / f"graph-{size}.nt"
    out = {"size": size, "companies": companies, "load_before": os.getloadavg()[0]}
    out["yaml_mb"] = sum(p.stat().st_size for p in folder.rglob("*.yaml")) / 2**20
    out["stages"] = in_child("stages", str(folder), str(nt))
    floors, builds, commands = [], [], []
    for _ in range(repeat):  # interleaved, so that both see the same load
        floors.append(in_child("floor", str(folder), str(nt)))
        builds.append(in_child("build", str(folder), str(work / f"out-{size}")))
        commands.append(shell_build(folder, work / f"cli-{size}", no_cache=True))
    out["floor"] = min(floors, key=lambda r: r["floor_s"])
    out["build"] = min(builds, key=lambda r: r["build_s"])
    out["build"]["peak_mb"] = max(r["peak_mb"] for r in builds)
    out["command_s"] = min(commands)
    shutil.rmtree(work / f"out-{size}", ignore_errors=True)
    out["rebuild"] = in_child("rebuild", str(folder), str(work / f"out-{size}"))
    edit_one_figure(folder)
    out["rebuild"]["command_s"] = shell_build(folder, work / f"out-{size}", no_cache=False)
    if stores:
        if size <= memory_queries:
            out["memory"] = in_child("memory", str(folder))
        store_dir = work / f"store-{size}"
        shutil.rmtree(store_dir, ignore_errors=True)
        out["disk"] = in_child("disk", str(folder), str(store_dir))
        shutil.rmtree(store_dir, ignore_errors=True)
    out["load_after"] = os.getloadavg()[0]
    nt.unlink(missing_ok=True)
    return out


def shell_build(folder: Path, out_dir: Path, *, no_cache: bool) -> float:
    """``kg build`` as typed in a shell: interpreter start, imports and all."""
    command = [str(Path(sys.executable).with_name("kg")), "build", "--facts", str(folder), "--out", str(out_dir)]
    started = time.perf_counter()
    subprocess.run(command + (["--no-cache"] if no_cache else []), check=True, capture_output=True)
    return time.perf_counter() - started


# --- the report ------------------------------------------------------------------------------------

def human(size: int) -> str:
    return f"{size / 1e6:g}M" if size >= 1_000_000 else f"{size / 1e3:g}k"


def shipped_report(shipped: dict) -> list[str]:
    lines = ["## Start-up and saved queries on the shipped facts", "",
             f"The shipped facts ({shipped['triples']:,} triples), each command in a fresh interpreter with warm "
             "caches, best of 5. `kg query NAME` is the whole command as typed (start-up, imports, the graph from "
             "the build cache, the query, its labels, CSV out); pyoxigraph is the same query text, defaults "
             "substituted, on the same graph already in memory.", "",
             f"- `python -c pass`: {shipped['bare_s']:.3f} s; `kg --help`: {shipped['help_s']:.3f} s "
             f"(+{shipped['help_s'] - shipped['bare_s']:.3f} s); `kg queries`: {shipped['list_s']:.3f} s", "",
             "| query | `kg query` (s) | pyoxigraph alone (s) | ratio | rows |", "|---|---|---|---|---|"]
    for name, t in sorted(shipped["queries"].items()):
        ratio = t["kg_s"] / t["oxigraph_s"] if t["oxigraph_s"] else float("inf")
        lines.append(f"| {name} | {t['kg_s']:.3f} | {t['oxigraph_s']:.4f} | {ratio:,.0f}× | {t['rows']} |")
    return lines + [""]


def shipped_verdicts(shipped: dict) -> list[str]:
    over_bare = shipped["help_s"] - shipped["bare_s"]
    out = [_verdict(f"`kg --help` within {TARGETS['help_over_bare_s']} s of bare python",
                    over_bare <= TARGETS["help_over_bare_s"], f"+{over_bare:.3f} s")]
    slow = {n: t["kg_s"] for n, t in shipped["queries"].items() if t["kg_s"] >= TARGETS["shipped_query_s"]}
    worst = max(shipped["queries"].items(), key=lambda item: item[1]["kg_s"])
    out.append(_verdict(f"every saved query on the shipped facts under {TARGETS['shipped_query_s']} s end to end",
                        not slow, f"slowest {worst[0]} {worst[1]['kg_s']:.3f} s" if not slow else
                        f"{len(slow)} of {len(shipped['queries'])} over: " +
                        ", ".join(f"{n} {v:.2f} s" for n, v in sorted(slow.items(), key=lambda kv: -kv[1]))))
    ratios = {n: t["kg_s"] / max(t["oxigraph_s"], 1e-9) for n, t in shipped["queries"].items()}
    best = min(ratios.items(), key=lambda item: item[1])
    out.append(_verdict(f"every saved query under {TARGETS['shipped_ratio']:g}× pyoxigraph's time",
                        all(r <= TARGETS["shipped_ratio"] for r in ratios.values()),
                        f"between {best[1]:,.0f}× ({best[0]}) and {max(ratios.values()):,.0f}×: the command's "
                        "fixed cost (interpreter, imports, reading the graph) is 0.2-0.3 s while pyoxigraph answers "
                        "these in milliseconds on a graph already loaded"))
    return out


def report(results: list[dict], repeat: int, parse_times: dict[str, float], shipped: dict | None = None) -> str:
    lines = [
        "# Benchmark results", "",
        f"`python benchmarks/run.py --sizes {','.join(human(r['size']) for r in results)}` on "
        f"{dt.date.today().isoformat()}: {os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, shared with other work (load average below). Times in seconds, "
        f"each with its ratio to the floor of the same size; floor and build are the best of {repeat}.", "",
    ]
    head = "| | " + " | ".join(f"{human(r['size'])} ({r['floor']['triples']:,} triples)" for r in results) + " |"
    if not results:
        lines += ["## Targets", ""] + (shipped_verdicts(shipped) if shipped else [])
        return "\n".join(lines[:2] + (shipped_report(shipped) if shipped else []) + lines[2:]) + "\n"
    lines += [head, "|---" * (len(results) + 1) + "|"]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    def timed(get) -> list[str]:
        cells = []
        for r in results:
            try:
                value = get(r)
            except KeyError:
                cells.append("–")
                continue
            cells.append(f"{value:.2f} ({value / r['floor']['floor_s']:.2f}×)")
        return cells

    row("load average (1 min) before / after", [f"{r['load_before']:.1f} / {r['load_after']:.1f}" for r in results])
    row("companies; YAML", [f"{r['companies']:,}; {r['yaml_mb']:.1f} MB" for r in results])
    row("**floor**: C YAML loader + pyoxigraph insertion", timed(lambda r: r["floor"]["floor_s"]))
    row("— C YAML loader alone", timed(lambda r: r["floor"]["yaml_s"]))
    row("— pyoxigraph insertion (load / bulk_load)",
        [f"{r['floor']['load_s']:.2f} / {r['floor']['bulk_load_s']:.2f}" for r in results])
    row("read facts (YAML -> checked records)", timed(lambda r: r["stages"]["load_s"]))
    row("build graph", timed(lambda r: r["stages"]["graph_s"]))
    row("validation (shapes)", timed(lambda r: r["stages"]["validate_s"]))
    row("Turtle export", timed(lambda r: r["stages"]["turtle_s"]))
    row("N-Triples export", timed(lambda r: r["stages"]["ntriples_s"]))
    row("**YAML -> validated graph -> Turtle file**", timed(lambda r: r["build"]["build_s"]))
    row("— peak memory of that build", [f"{r['build']['peak_mb'] / 1024:.2f} GB" for r in results])
    row("— `kg build --no-cache` from a shell", timed(lambda r: r["command_s"]))
    row("rebuild after editing one figures file", timed(lambda r: r["rebuild"]["rebuild_s"]))
    row("— files read again / all", [f"{r['rebuild']['compiled']} / {r['rebuild']['files']}" for r in results])
    row("— `kg build` from a shell, same edit", timed(lambda r: r["rebuild"]["command_s"]))
    if all("disk" in r for r in results):
        row("memory store: the build's Turtle into Oxigraph in memory", timed(lambda r: r["memory"]["load_s"]))
        row("— peak memory with the store in memory", [f"{r['memory']['peak_mb'] / 1024:.2f} GB" if "memory" in r
                                                        else "–" for r in results])
        row("on-disk store: load, name index included (`kg build --store oxigraph:`)",
            timed(lambda r: r["disk"]["load_s"]))
        columns = [(r, kind) for r in results for kind in ("memory", "disk")]
        lines += ["", "Saved queries, in seconds, labels of the result included: in memory (Oxigraph; stopped after "
                  f"{MEMORY_TIMEOUT:.0f} s), and in the on-disk store opened afresh as `kg query --store` does "
                  "(then the same query again on the open store). Rows in brackets. Parsing the query "
                  "with rdflib (the last column) happens once per query text: its reading is cached.", "",
                  "| query | " + " | ".join(f"{human(r['size'])} {'memory' if kind == 'memory' else 'on disk (again)'}"
                                          for r, kind in columns) + " | parse |",
                  "|---" * (len(columns) + 2) + "|"]
        for name in sorted(results[0]["disk"]["queries"]):
            cells = []
            for r, kind in columns:
                if kind == "memory":
                    cells.append(_query_cell(r["memory"]["queries"][name]) if "memory" in r else "–")
                else:
                    cells.append(f"{_query_cell(r['disk']['queries'][name])} ({r['disk']['warm'][name]['s']:.2f})")
            cells.append(f"{parse_times[name]:.2f}")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "## Targets", ""] + (shipped_verdicts(shipped) if shipped else []) + verdicts(results)
    if shipped:
        lines = lines[:2] + shipped_report(shipped) + lines[2:]
    return "\n".join(lines) + "\n"


def _query_cell(timing: dict) -> str:
    if timing["stopped"]:
        return f"stopped at {timing['stopped']:.0f}"
    return f"{timing['s']:.2f} ({timing['rows']:,} rows)"


def verdicts(results: list[dict]) -> list[str]:
    big = max(results, key=lambda r: r["size"])
    size = human(big["size"])
    out = []
    ratio = big["build"]["build_s"] / big["floor"]["floor_s"]
    out.append(_verdict(f"{size}: YAML -> validated graph -> Turtle within {TARGETS['build_ratio']}× the floor",
                        ratio <= TARGETS["build_ratio"], f"{ratio:.2f}× ({big['build']['build_s']:.1f} s against "
                        f"{big['floor']['floor_s']:.1f} s)"))
    peak = big["build"]["peak_mb"] / 1024
    out.append(_verdict(f"{size}: peak memory under {TARGETS['peak_gb']:g} GB", peak < TARGETS["peak_gb"],
                        f"{peak:.2f} GB"))
    if "disk" in big:
        slow = {name: t["s"] for name, t in big["disk"]["queries"].items() if t["stopped"] or t["s"] >= TARGETS["query_s"]}
        worst = max(big["disk"]["queries"].items(), key=lambda item: item[1]["s"])
        detail = (f"slowest {worst[0]} {worst[1]['s']:.2f} s" if not slow else
                  f"{len(slow)} of {len(big['disk']['queries'])} over: " +
                  ", ".join(f"{name} {s:.2f} s" for name, s in sorted(slow.items(), key=lambda kv: -kv[1])))
        out.append(_verdict(f"{size}: every saved query under {TARGETS['query_s']} s in the on-disk store",
                            not slow, detail))
        entity = {name: big["disk"]["queries"][name]["s"] for name in ONE_ENTITY if name in big["disk"]["queries"]}
        over = {name: s for name, s in entity.items() if s >= TARGETS["one_entity_s"]}
        out.append(_verdict(f"{size}: queries about one entity under {TARGETS['one_entity_s']} s in the on-disk store",
                            not over, ", ".join(f"{name} {s:.2f} s" for name, s in sorted(entity.items()))))
    memory = [r for r in results if "memory" in r]
    if memory:
        mem = max(memory, key=lambda r: r["size"])
        stopped = [name for name, t in mem["memory"]["queries"].items() if t["stopped"]]
        worst = max(mem["memory"]["queries"].items(), key=lambda item: item[1]["s"])
        out.append(_verdict(f"{human(mem['size'])} in memory: no saved query stopped by its {MEMORY_TIMEOUT:.0f} s limit",
                            not stopped, ", ".join(stopped) + " stopped" if stopped else
                            f"slowest {worst[0]} {worst[1]['s']:.2f} s"))
    rebuild = big["rebuild"]["rebuild_s"]
    out.append(_verdict(f"{size}: rebuild after editing one fact file under {TARGETS['rebuild_s']:g} s",
                        rebuild < TARGETS["rebuild_s"],
                        f"{rebuild:.2f} s in the library; {big['rebuild']['command_s']:.2f} s for `kg build` "
                        "from a shell, interpreter start and imports included"))
    return out


def _verdict(what: str, met: bool, detail: str) -> str:
    return f"- {'met' if met else '**missed**'}: {what}: {detail}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="triple counts, e.g. 10k,100k,1M,2M")
    parser.add_argument("--repeat", type=int, default=2, help="runs of the floor and of the build; the best is kept")
    parser.add_argument("--no-stores", action="store_true", help="skip the stores and the saved queries")
    parser.add_argument("--no-shipped", action="store_true", help="skip start-up and the queries on the shipped facts")
    parser.add_argument("--memory-queries", type=parse_size, default=parse_size("100k"),
                        help="largest size at which the saved queries also run in memory (rdflib's engine)")
    parser.add_argument("--work", type=Path, help="folder for the fact folders and outputs (default: a temporary one)")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1:])
        return
    sizes = [parse_size(text) for text in args.sizes.split(",") if text.strip()]
    work = args.work or Path(tempfile.mkdtemp(prefix="kg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    shipped = None
    try:
        if not args.no_shipped:
            print("measuring start-up and the saved queries on the shipped facts ...", file=sys.stderr, flush=True)
            shipped = in_child("shipped", str(ROOT / "facts"), str(work / "cache"))
            (work / "shipped.json").write_text(json.dumps(shipped, indent=1))
        for size in sizes:
            print(f"measuring {human(size)} triples in {work} ...", file=sys.stderr, flush=True)
            results.append(measure(size, work, args.repeat, not args.no_stores, args.memory_queries))
            (work / "results.json").write_text(json.dumps(results, indent=1))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    text = report(results, args.repeat, in_child("parse"), shipped)
    print(text)
    if args.write:
        from kg import write_atomically

        target = ROOT / "benchmarks" / "RESULTS.md"
        kept = target.read_text(encoding="utf-8").partition(READING)[2] if target.exists() else ""
        write_atomically(target, (text + (f"\n{READING}{kept}" if kept else "")).encode("utf-8"))


if __name__ == "__main__":
    main()
