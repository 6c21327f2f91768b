"""A running ``kg serve`` for the tests: the real command on a loopback port, or an app over any graph."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import ROOT
from servers import LOOPBACK, free_port

START_TIMEOUT = 60.0
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback never goes through a proxy


def wait_until_up(base: str, alive=lambda: True) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("the server stopped while starting")
        try:
            with _OPENER.open(base + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"{base} did not answer within {START_TIMEOUT} s")


@contextmanager
def kg_serve(*args: str, facts: Path) -> Iterator[str]:
    """``kg serve --port P --facts FACTS ARGS...`` in a subprocess; yields http://127.0.0.1:P."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    process = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--port", str(port), "--facts", str(facts), *args],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://{LOOPBACK}:{port}"
    try:
        wait_until_up(base, alive=lambda: process.poll() is None)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
        if process.stderr:
            process.stderr.close()


@contextmanager
def app_server(site) -> Iterator[str]:
    """The web app over ``site`` (a kg.web.app.Site of any graph), in a thread; yields its base URL."""
    import uvicorn

    from kg.web import app as serve

    port = free_port()
    config = uvicorn.Config(serve.create_app(site), host=LOOPBACK, port=port, log_level="warning",
                            access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://{LOOPBACK}:{port}"
    try:
        wait_until_up(base, alive=thread.is_alive)
        yield base
    finally:
        server.should_exit = True
        thread.join(10)


def fetch(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
          method: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lowercase names, body) of one request; error statuses are answers too."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()
