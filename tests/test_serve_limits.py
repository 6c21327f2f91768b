"""``kg serve`` under load and abuse: the real server, its limits proved by what the processes do.

A query past its time limit is killed (its CPU is free at once), one past its memory
cap is killed before the machine feels it, a small query is answered while heavy
ones run, an oversized request is refused before it is read, and the server stops
within a second of Ctrl-C or SIGTERM, taking its workers with it.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

import psutil
import pytest

from conftest import ROOT, SEED
from webapp import fetch, wait_until_up

# A cross product of the graph with itself, three times: it never ends on its own.
SPIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# A cross product sorted: Oxigraph holds every row to sort them, gigabytes within seconds.
HOG = "SELECT ?a ?b ?c ?d ?e ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c ?e"
SMALL = "ASK { ?c a <https://w3id.org/gpu-kg/ontology#Foundry> }"


@contextmanager
def server(*args: str, facts=SEED) -> Iterator[tuple[str, subprocess.Popen]]:
    """``kg serve --port 0 ARGS`` as a user starts it; yields its address, as it printed it, and its process."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    process = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--port", "0", "--facts", str(facts), *args],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
        while line.startswith("Warning:"):
            line = process.stderr.readline()
        found = re.fullmatch(r"serving http://[0-9.]+:(\d+)/ \(read-only; Ctrl-C to stop\)\n", line)
        assert found and found.group(1) != "0", f"the real port is printed, not 0: {line!r}"
        base = f"http://127.0.0.1:{found.group(1)}"
        wait_until_up(base, alive=lambda: process.poll() is None)
        yield base, process
    finally:
        for child in _family(process.pid):
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        process.kill()
        process.wait()
        process.stderr.close()


def _family(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(pid: int) -> float:
    """CPU time of the server and every process under it (the process holding the graph, the workers), alive now."""
    total = 0.0
    for process in [psutil.Process(pid), *_family(pid)]:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def resident_mb(pid: int) -> float:
    total = 0
    for process in [psutil.Process(pid), *_family(pid)]:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def sparql(base: str, text: str, timeout: float = 60) -> tuple[int, bytes]:
    status, _, body = fetch(base + "/sparql?" + urllib.parse.urlencode({"query": text}))
    return status, body


def test_a_query_past_its_time_limit_is_killed_and_its_core_freed():
    with server("--timeout", "1") as (base, process):
        started = time.monotonic()
        status, body = sparql(base, SPIN)
        took = time.monotonic() - started
        assert status == 503 and b"stopped after 1 seconds (the server's time limit)" in body
        assert 1 <= took < 2.5, took
        before = cpu_seconds(process.pid)
        time.sleep(1)
        assert cpu_seconds(process.pid) - before < 0.2, "no process of the server is still working on it"
        assert sparql(base, SMALL) == (200, b'{"head":{},"boolean":true}')


def test_a_query_past_its_memory_cap_is_killed_and_the_server_stays_small():
    with server("--memory-limit", "300", "--timeout", "60") as (base, process):
        peak = resident_mb(process.pid)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            asked = pool.submit(sparql, base, HOG)
            while not asked.done():
                peak = max(peak, resident_mb(process.pid))
                time.sleep(0.02)
        status, body = asked.result()
        assert status == 503 and b"needed more than 300 MB of memory" in body
        assert peak < 300 + 600, f"the server's processes held {peak:.0f} MB at most"
        assert sparql(base, SMALL)[0] == 200


def test_a_small_query_is_not_held_up_by_heavy_ones():
    with server("--timeout", "8") as (base, process):
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            heavy = [pool.submit(sparql, base, SPIN) for _ in range(4)]
            time.sleep(0.5)
            waits = []
            for _ in range(20):
                started = time.monotonic()
                assert sparql(base, SMALL)[0] == 200
                waits.append(time.monotonic() - started)
            assert not any(job.done() for job in heavy), "the heavy queries were still running"
            assert max(waits) < 1.0, waits
            assert sorted(waits)[len(waits) // 2] < 0.2, waits
            for job in heavy:
                job.cancel()
            for child in _family(process.pid):  # the heavy ones need not run to their limit
                if child.nice() > 0:
                    child.kill()


def test_a_full_queue_is_refused_with_a_503_that_says_so():
    with server("--timeout", "2", "--workers", "1", "--queue", "1") as (base, _):
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            answers = [job.result() for job in [pool.submit(sparql, base, SPIN) for _ in range(4)]]
        refused = [body for status, body in answers if status == 503 and b"the server is busy" in body]
        stopped = [body for status, body in answers if status == 503 and b"stopped after 2 seconds" in body]
        assert (len(refused), len(stopped)) == (2, 2), answers


def test_an_oversized_body_is_refused_before_it_is_read():
    with server() as (base, process):
        port = int(base.rsplit(":", 1)[1])
        assert sparql(base, SMALL)[0] == 200  # the graph loaded, and what the server imports once it has
        time.sleep(1)
        before = resident_mb(process.pid)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                         b"Content-Length: 268435456\r\n\r\n" + b"x" * 1000)
            started = time.monotonic()
            answer = _until_closed(conn)
            assert time.monotonic() - started < 1
        assert answer.startswith(b"HTTP/1.1 413") and b"a query is at most 1,000,000 bytes" in answer
        status, _, body = fetch(base + "/sparql", data=_chunks(2_000_000),
                                headers={"Content-Type": "application/sparql-query"})
        assert status == 413, "a body without a length is counted as it comes"
        assert resident_mb(process.pid) - before < 50


def _until_closed(conn: socket.socket) -> bytes:
    """Everything the server sends before it closes the connection (it closes it after a refusal)."""
    parts = []
    while part := conn.recv(65536):
        parts.append(part)
    return b"".join(parts)


def _chunks(size: int):
    for _ in range(size // 65536 + 1):
        yield b"#" * 65536


def test_headers_past_their_limit_are_refused():
    with server() as (base, _):
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"GET /sparql?query=" + b"A" * 100_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = _until_closed(conn)
        assert answer.startswith(b"HTTP/1.1 431") and b"send a long query by POST" in answer


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_the_server_stops_within_a_second_of_a_signal_while_a_query_runs(sig):
    with server("--timeout", "30") as (base, process):
        family = [child.pid for child in _family(process.pid)]
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            asked = pool.submit(sparql, base, SPIN)
            time.sleep(0.5)
            workers = [child.pid for child in _family(process.pid)]
            started = time.monotonic()
            process.send_signal(sig)
            process.wait(5)
            took = time.monotonic() - started
            assert asked.result()[0] == 503
        assert took < 1, f"stopped in {took:.2f} s"
        assert process.returncode == 0
        time.sleep(0.2)
        assert not [pid for pid in set(family + workers) if psutil.pid_exists(pid)
                    and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE], "no worker outlives the server"
        assert "Traceback" not in process.stderr.read()


def test_a_taken_port_is_a_message_and_exit_status_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "kg", "serve", "--port", str(port), "--facts", str(SEED)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == (f"Error: port {port} on 127.0.0.1 is in use (another kg serve?); give another with "
                           "--port, or --port 0 for any free one\n")


def test_another_host_keeps_refusing_names_it_does_not_answer_to():
    with server("--host", "0.0.0.0", "--allow-host", "kg.example") as (base, _):
        assert fetch(base + "/", headers={"Host": "attacker.example"})[0] == 400
        assert fetch(base + "/sparql?query=ASK%7B%7D", headers={"Host": "attacker.example"})[0] == 400
        assert fetch(base + "/", headers={"Host": "kg.example"})[0] == 200
        assert fetch(base + "/", headers={"Host": "localhost"})[0] == 200


def test_a_store_replaced_underneath_is_seen(tmp_path):
    store = f"oxigraph:{tmp_path / 'store'}"

    def build(facts) -> None:
        done = subprocess.run([sys.executable, "-m", "kg", "build", "--facts", str(facts), "--out",
                               str(tmp_path / "out"), "--store", store], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr

    build(SEED)
    changed = tmp_path / "facts"
    shutil.copytree(SEED, changed)
    names = changed / "organizations.yaml"
    names.write_text(names.read_text("utf-8").replace("Moore Threads", "Moore Threads Renamed"), "utf-8")
    ask = "/api/queries/find-entity?" + urllib.parse.urlencode({"text": "Moore Threads", "format": "csv"})
    with server("--store", store, facts=tmp_path / "unused") as (base, _):
        status, headers, body = fetch(base + ask)
        assert status == 200 and headers["x-kg-store-version"] == "v-1" and b"Renamed" not in body
        build(changed)
        time.sleep(0.6)  # the server looks at the store's version twice a second
        status, headers, body = fetch(base + ask)
        assert status == 200 and headers["x-kg-store-version"] == "v-2" and b"Moore Threads Renamed" in body


def test_the_api_and_the_page_are_paged_with_total_counts():
    with server() as (base, _):
        status, headers, whole = fetch(base + "/api/queries/find-entity?format=csv")
        rows = whole.decode().splitlines()
        total = len(rows) - 1
        assert status == 200 and headers["x-total-count"] == str(total) and total > 12
        status, headers, page = fetch(base + "/api/queries/find-entity?format=csv&limit=5&offset=5")
        assert page.decode().splitlines() == [rows[0], *rows[6:11]]
        assert headers["x-total-count"] == str(total)
        assert '?format=csv&offset=0&limit=5>; rel="prev"' in headers["link"]
        assert '?format=csv&offset=10&limit=5>; rel="next"' in headers["link"]
        status, _, body = fetch(base + "/queries/find-entity?limit=5&offset=5")
        html = body.decode()
        assert status == 200 and f"rows 6–10 of {total:,}" in html
        assert html.count("<tr>") == 5 + 1 and 'rel="next"' in html and 'rel="prev"' in html
        assert fetch(base + "/api/queries/find-entity?limit=x")[0] == 400
