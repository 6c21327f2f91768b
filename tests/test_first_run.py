"""The first run, as a new analyst makes it: `make demo` builds everything and says how to go on,
`make serve` starts the web app. Run with the test's own environment (no install: the Makefile's
install step is taken as done), writing to a temporary folder."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT
from servers import free_port

VENV = Path(sys.prefix)


def make(*args: str, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    """The make command line for this environment's venv, and its environment."""
    if not (VENV / "bin" / "kg").exists() or not shutil.which("make"):
        pytest.skip("needs make and the kg command in this environment's bin/")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KG_CACHE_DIR": str(tmp_path / "cache")}
    return ["make", "--no-print-directory", "-C", str(ROOT), *args, f"VENV={VENV}"], env


def test_make_demo_builds_everything_and_ends_by_saying_how_to_go_on(tmp_path):
    out = tmp_path / "out"
    command, env = make("demo", f"OUT={out}", "-o", f"{VENV}/.installed-demo", tmp_path=tmp_path)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    for made in ("gpu-kg.ttl", "gpu-kg.nt", "gpu-kg.jsonld", "queries/listing-race.csv", "charts/index.html",
                 "views/index.html"):
        assert (out / made).is_file(), made
    last = done.stdout.rstrip("\n").splitlines()[-6:]
    assert last[0].startswith(f"Done: {out}/ holds the graph")
    assert last[1] == "Next:"
    assert f"open {out}/views/index.html and {out}/charts/index.html in a browser" in last[2]
    assert last[3].split("#")[0].strip() == "make serve"
    assert last[4].split("#")[0].strip() == f"{VENV}/bin/kg query listing-race", "it says where the command is"
    assert last[5].split("#")[0].strip() == f". {VENV}/bin/activate"


def test_make_serve_starts_the_web_app(tmp_path):
    port = free_port()
    command, env = make("serve", f"PORT={port}", "-o", f"{VENV}/.installed-serve", tmp_path=tmp_path)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        seen = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith("serving "):
                break
        assert seen and seen[-1].startswith(f"serving http://127.0.0.1:{port}/"), "".join(seen)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{port}/", timeout=60) as response:
            assert response.status == 200 and b"listing-race" in response.read()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
