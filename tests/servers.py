"""Real SPARQL servers for the store tests: started on loopback ports, stopped after the session.

- the Oxigraph server (``pip install oxigraph`` ships the ``oxigraph`` binary);
- Virtuoso open source (Debian ``virtuoso-opensource``), a private instance with
  its own ``virtuoso.ini`` in a temporary folder, a small ResultSetMaxRows so
  that truncation shows with the shipped graph, and a loading user with a
  random password that is granted SPARQL_UPDATE.

Both listen on 127.0.0.1 only. Without the software the tests skip on a
laptop and fail in CI (``need_tool``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import need_tool

LOOPBACK = "127.0.0.1"
VIRTUOSO_MAX_ROWS = 1000  # below the shipped graph's size, above every saved query's answer
START_TIMEOUT = 90.0      # seconds; Virtuoso creates its database on first start


@dataclass
class Server:
    """A running server: where it listens and how a store reaches it."""

    kind: str
    base: str                              # http://127.0.0.1:PORT
    process: subprocess.Popen
    folder: Path
    env: dict[str, str] = field(default_factory=dict)   # credentials, for the environment of a store
    user: str | None = None
    password: str | None = None
    isql: list[str] = field(default_factory=list)        # Virtuoso's SQL client, logged in as dba

    @property
    def location(self) -> str:
        return f"{self.kind}+{self.base}"

    def sql(self, statement: str) -> str:
        """Run one SQL statement through isql (Virtuoso only)."""
        done = subprocess.run([*self.isql, f"EXEC={statement}"], capture_output=True, text=True, timeout=60)
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql failed on {statement!r}: {done.stdout}{done.stderr}")
        return done.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback never goes through a proxy
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped while starting:\n{_tail(log)}")
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server did not start within {START_TIMEOUT:g} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


def oxigraph_binary() -> str:
    """The ``oxigraph`` that ``pip install oxigraph`` put beside this Python, else the one on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.exists():
        return str(beside)
    return need_tool("oxigraph", "pip install oxigraph (the test extras)")


def start_oxigraph(folder: Path) -> Server:
    port = free_port()
    log = folder / "oxigraph.log"
    command = [oxigraph_binary(), "serve", "--location", str(folder / "data"), "--bind", f"{LOOPBACK}:{port}"]
    process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://{LOOPBACK}:{port}"
    server = Server("oxigraph", base, process, folder)
    try:
        _wait_until_up(f"{base}/query?query=" + urllib.parse.quote("ASK {}"), process, log)
    except BaseException:
        stop(server)
        raise
    return server


VIRTUOSO_INI = """\
; A private Virtuoso for the tests: its own files, loopback ports only.
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = {host}:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
MaxQueryMem = 200M
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = {host}:{http_port}
ServerRoot = {dir}
ServerThreads = 10
MaxClientConnections = 10
Charset = UTF-8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 400
"""


def start_virtuoso(folder: Path, *, max_rows: int = VIRTUOSO_MAX_ROWS) -> Server:
    daemon = need_tool("virtuoso-t", "apt-get install virtuoso-opensource (see .ci/run)")
    isql = need_tool("isql-vt", "apt-get install virtuoso-opensource (see .ci/run)")
    http_port, sql_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=folder, host=LOOPBACK, sql_port=sql_port, http_port=http_port,
                                       max_rows=max_rows))
    log = folder / "virtuoso.out"
    process = subprocess.Popen([daemon, "+foreground", "+configfile", str(ini)], cwd=folder,
                               stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://{LOOPBACK}:{http_port}"
    server = Server("virtuoso", base, process, folder)
    try:
        _wait_until_up(f"{base}/sparql?query=" + urllib.parse.quote("ASK {}"), process, folder / "virtuoso.log")
        # A fresh database has dba/dba: change it, and add a user that may only load and update.
        dba = "dba" + secrets.token_hex(12)  # letters and digits: SET PASSWORD takes a bare word
        server.isql = [isql, f"{LOOPBACK}:{sql_port}", "dba", "dba"]
        server.sql(f"SET PASSWORD dba {dba}")
        server.isql = [isql, f"{LOOPBACK}:{sql_port}", "dba", dba]
        server.user, server.password = "kgload", "kg-" + secrets.token_urlsafe(16)
        server.sql(f"DB.DBA.USER_CREATE('{server.user}', '{server.password}')")
        server.sql(f'GRANT SPARQL_UPDATE TO "{server.user}"')
        server.env = {"KG_STORE_USER": server.user, "KG_STORE_PASSWORD": server.password}
    except BaseException:
        stop(server)
        raise
    return server


@pytest.fixture(scope="session")
def loopback_without_proxy() -> Iterator[None]:
    """A proxy in the environment must not see requests to the test servers."""
    before = {name: os.environ.get(name) for name in ("no_proxy", "NO_PROXY")}
    for name in before:
        os.environ[name] = ",".join(filter(None, [before[name], LOOPBACK, "localhost"]))
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory, loopback_without_proxy) -> Iterator[Server]:
    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph-server"))
    yield server
    stop(server)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory, loopback_without_proxy) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("virtuoso")
    server = start_virtuoso(folder)
    yield server
    stop(server)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()
