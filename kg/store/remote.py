"""Remote SPARQL 1.1 servers as stores: Oxigraph, Virtuoso, or any query endpoint.

A remote server keeps the graph in the named graph ``https://w3id.org/gpu-kg/graph``
and every query names it as the default graph (Virtuoso's default graph is
otherwise the union of all its graphs). A load goes into a staging graph with
the Graph Store Protocol, is counted, and replaces the live graph in one SPARQL
Update (``MOVE``), so readers see the old graph or the new one, never a mix.
Only a command that names a remote store imports this module (and the HTTP and
TLS libraries it needs).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import re
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.term import Node

from ..base.ontology import GRAPH_IRI, PREFIXES, new_graph
from ..base.errors import KgError, UsageError
from ..base.progress import QUIET, Progress
from .result import Result
from .core import (NAMING_PREDICATES, Document, LoadFailed, Store, StoreError, StoreTimeout, StoreUnavailable,
                     TruncatedResult, term_bindings, checked_iri, rdflib_literal, rdflib_graph, line_chunks, ntriples, prepare,
                     substitute, tokens)

DEFAULT_PASSWORD_ENV = "KG_STORE_PASSWORD"
DEFAULT_USER_ENV = "KG_STORE_USER"
DEFAULT_TIMEOUT = 60.0   # seconds to wait for a server's answer
DEFAULT_RETRIES = 3      # extra attempts after a connection error or a 5xx answer
DEFAULT_CHUNK = 50_000   # triples per Graph Store Protocol request during a load
BACKOFF = 0.5            # seconds before the first retry; doubled for each next one
USER_AGENT = "gpu-kg"


# The endpoints each known kind of server answers on, relative to its base URL.
SERVERS: dict[str, dict[str, str]] = {
    "oxigraph": {"query": "/query", "update": "/update", "graph_store": "/store"},
    "virtuoso": {"query": "/sparql", "update": "/sparql-auth", "graph_store": "/sparql-graph-crud-auth"},
    "sparql": {},
}
_SPARQL_JSON = "application/sparql-results+json"
_N_TRIPLES = "application/n-triples"


def _from_json(cell: Mapping[str, str]) -> Node:
    """One value of the SPARQL 1.1 JSON results format (Virtuoso also writes 1.0's 'typed-literal')."""
    kind = cell.get("type")
    value = cell.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):
        return rdflib_literal(value, cell.get("xml:lang"), cell.get("datatype"))
    raise StoreError(f"the server returned a value of unknown type {kind!r}")


@dataclass(frozen=True)
class RemoteSettings:
    """How to reach a SPARQL 1.1 server. Holds the name of the password's variable, never the password."""

    query: str
    update: str | None = None
    graph_store: str | None = None
    server: str = "sparql"                     # oxigraph | virtuoso | sparql
    graph: str = str(GRAPH_IRI)
    user: str | None = None
    password_env: str = DEFAULT_PASSWORD_ENV
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    chunk: int = DEFAULT_CHUNK
    ca_file: str | None = None
    allow_http_credentials: bool = False
    label: str = ""                            # how messages name the store (no credentials in it)


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


class _Http:
    """Requests with a time limit, bounded retries with backoff, TLS verification, and credentials.

    Retried: connection errors and 5xx answers (a load sends each chunk with PUT
    or POST of a set of triples, which can be sent twice without harm). Not
    retried: a timeout (the server may still be working) and 4xx answers.
    """

    def __init__(self, settings: RemoteSettings, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.label = settings.label or _safe(settings.query)
        self.sleep = sleep
        self.user = settings.user or os.environ.get(DEFAULT_USER_ENV) or None
        password = os.environ.get(settings.password_env) or None
        self.has_password = password is not None
        context = ssl.create_default_context(cafile=settings.ca_file)  # verifies certificates and host names
        handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=context)]
        if self.user and password is not None:
            for url in (settings.query, settings.update, settings.graph_store):
                if url:
                    _check_credentials_safe(url, settings, self.label)
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {u for u in (settings.query, settings.update, settings.graph_store) if u}:
                manager.add_password(None, url, self.user, password)
            # Both schemes answer a 401 challenge; neither sends anything before one.
            handlers += [urllib.request.HTTPDigestAuthHandler(manager), urllib.request.HTTPBasicAuthHandler(manager)]
        self.opener = urllib.request.build_opener(*handlers)
        del password

    def request(self, method: str, url: str, *, data: bytes | None = None, params: Mapping[str, str] | None = None,
                headers: Mapping[str, str] | None = None) -> _Answer:
        full = url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params) if params else url
        attempts = 1 + max(0, self.settings.retries)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            request = urllib.request.Request(full, data=data, method=method,
                                             headers={"User-Agent": USER_AGENT, **(headers or {})})
            try:
                with self.opener.open(request, timeout=self.settings.timeout) as response:
                    return _Answer(response.status, _lower(response.headers), response.read())
            except urllib.error.HTTPError as err:
                body = err.read() if err.fp is not None else b""
                if err.code >= 500 and not last:
                    self._wait(attempt)
                    continue
                return _Answer(err.code, _lower(err.headers), body)
            except (TimeoutError, socket.timeout):
                raise StoreTimeout(f"{self.label} did not answer within {self.settings.timeout:g} seconds "
                                   f"({method} {_safe(url)}); raise `timeout` in kg.toml if it is just slow") from None
            except urllib.error.URLError as err:
                if isinstance(err.reason, (TimeoutError, socket.timeout)):
                    raise StoreTimeout(f"{self.label} did not answer within {self.settings.timeout:g} "
                                       f"seconds ({method} {_safe(url)})") from None
                if isinstance(err.reason, ssl.SSLError):
                    raise StoreUnavailable(f"{self.label}: TLS failed ({err.reason.reason or err.reason}); "
                                           "the certificate is checked: give `ca_file` in kg.toml for a private CA") from None
                if last:
                    raise StoreUnavailable(f"cannot reach {self.label} ({_reason(err.reason)}) "
                                           f"after {attempts} attempt{'s' if attempts > 1 else ''}") from None
                self._wait(attempt)
            except (ConnectionError, http.client.HTTPException) as err:
                if last:
                    raise StoreUnavailable(f"cannot reach {self.label} ({_reason(err)}) "
                                           f"after {attempts} attempt{'s' if attempts > 1 else ''}") from None
                self._wait(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int) -> None:
        self.sleep(min(BACKOFF * 2 ** attempt, 10.0))


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in (headers.items() if headers is not None else [])}


def _reason(reason: Any) -> str:
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return text


def _safe(url: str) -> str:
    """A URL as messages show it: no user info, no query string."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return urllib.parse.urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def _is_loopback(host: str | None) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _check_credentials_safe(url: str, settings: RemoteSettings, label: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "http" and not _is_loopback(parts.hostname) and not settings.allow_http_credentials:
        raise UsageError(f"{label}: credentials would cross the network unencrypted to {_safe(url)}; "
                         "use https, or set allow_http_credentials = true in kg.toml")


class RemoteStore(Store):
    """A SPARQL 1.1 server: Protocol for queries and updates, Graph Store Protocol for loads."""

    def __init__(self, settings: RemoteSettings, *, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.http = _Http(settings, sleep=sleep)
        self.name = self.http.label
        self.graph_iri = URIRef(settings.graph)
        self.max_rows: int | None = None  # the server's row cap, once it has shown one

    # reading

    def _post_query(self, text: str, accept: str, *, dataset: bool = True) -> _Answer:
        """POST a query; ``dataset``: make the graph the default graph (else the query names graphs itself)."""
        form = {"query": text, "default-graph-uri": self.settings.graph} if dataset else {"query": text}
        data = urllib.parse.urlencode(form).encode()
        answer = self.http.request("POST", self.settings.query, data=data, headers={
            "Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
        self._check(answer, "the query", self.settings.query)
        return answer

    def _check(self, answer: _Answer, what: str, url: str) -> None:
        if 200 <= answer.status < 300:
            return
        if answer.status == 401:
            if self.http.user and self.http.has_password:
                raise StoreError(f"{self.name} refused the credentials of user '{self.http.user}' for {what}")
            raise StoreError(f"{self.name} asks for credentials for {what}: give `user` in kg.toml (or "
                             f"{DEFAULT_USER_ENV}) and the password in ${self.settings.password_env}")
        if answer.status == 403:
            raise StoreError(f"{self.name} does not allow {what} for user '{self.http.user}'"
                             + ("; Virtuoso needs GRANT SPARQL_UPDATE for loads" if self.settings.server == "virtuoso" else ""))
        if answer.status == 404:
            raise StoreError(f"{self.name} has no endpoint at {_safe(url)} (404)")
        message = _first_lines(answer.body)
        if answer.status >= 500:
            raise StoreUnavailable(f"{self.name} failed on {what} ({answer.status}): {message}")
        raise StoreError(f"{self.name} rejected {what} ({answer.status}): {message}")

    def _rows(self, text: str, *, dataset: bool = True, page: bool = False) -> tuple[list[str], list[dict[str, Node]]]:
        """The variables and rows of a SELECT; an answer the server cut short is an error.

        ``page``: the query asks for at most the server's row limit (LIMIT), so a
        row-limit header on it means nothing; the caller counts what it got.
        """
        answer = self._post_query(text, _SPARQL_JSON, dataset=dataset)
        document = self._json(answer)
        variables = list(document.get("head", {}).get("vars", []))
        rows = [{name: _from_json(cell) for name, cell in binding.items()}
                for binding in document.get("results", {}).get("bindings", [])]
        if not page:
            self._check_complete(answer, len(rows))
        return variables, rows

    def _check_complete(self, answer: _Answer, count: int) -> None:
        """Virtuoso answers 200 with part of the rows, and says so only in its headers."""
        cap = answer.headers.get("x-sparql-maxrows", "").strip()
        if cap.isdigit():
            self.max_rows = int(cap)
        # Virtuoso also sends the header when the answer has exactly as many rows as its limit.
        if cap and (not cap.isdigit() or count >= int(cap)):
            raise TruncatedResult(
                f"{self.name} returned only the first {cap} rows of the answer (its row limit, "
                "X-SPARQL-MaxRows): raise ResultSetMaxRows in the [SPARQL] section of virtuoso.ini, "
                "or narrow the query with LIMIT and OFFSET")
        state = answer.headers.get("x-sql-state")
        if state is not None:
            raise TruncatedResult(f"{self.name} returned a partial answer (X-SQL-State {state}: "
                                  f"{answer.headers.get('x-sql-message', 'its time limit ran out')})")

    def _json(self, answer: _Answer) -> dict[str, Any]:
        kind = answer.headers.get("content-type", "").split(";")[0].strip()
        try:
            return json.loads(answer.body)
        except ValueError:
            raise StoreError(f"{self.name} answered with {kind or 'something'} instead of SPARQL JSON results: "
                             f"{_first_lines(answer.body)}") from None

    def select(self, query: Any, bindings: Mapping[str, Node] | None = None) -> Result:
        prepared = prepare(query)
        if prepared.form != "select":
            raise UsageError(f"select() runs SELECT queries, not {prepared.form.upper()}")
        bound = term_bindings(bindings)
        _, rows = self._rows(_with_prefixes(substitute(prepared.text, bound)))
        # A substituted variable is no longer in the query; its value is the bound term.
        table = tuple(tuple(row.get(v, bound.get(v)) for v in prepared.variables) for row in rows)
        return Result(prepared.variables, table)

    def ask(self, query: Any, bindings: Mapping[str, Node] | None = None) -> bool:
        prepared = prepare(query)
        if prepared.form != "ask":
            raise UsageError(f"ask() runs ASK queries, not {prepared.form.upper()}")
        answer = self._post_query(_with_prefixes(substitute(prepared.text, term_bindings(bindings))), _SPARQL_JSON)
        document = self._json(answer)
        if not isinstance(document.get("boolean"), bool):
            raise StoreError(f"{self.name} gave no yes-or-no answer to an ASK query")
        return document["boolean"]

    def construct(self, query: Any, bindings: Mapping[str, Node] | None = None) -> Graph:
        """CONSTRUCT runs as a SELECT of its WHERE clause and fills the template here.

        Virtuoso cuts a CONSTRUCT at its row limit without any sign; a SELECT's
        cut shows in a header, so the answer is complete or an error.
        """
        prepared = prepare(query)
        bound = term_bindings(bindings)
        if prepared.form == "describe":  # what DESCRIBE returns is up to each server
            answer = self._post_query(_with_prefixes(substitute(prepared.text, bound)), _N_TRIPLES)
            return self._parse_triples(answer.body)
        if prepared.form != "construct":
            raise UsageError(f"construct() runs CONSTRUCT and DESCRIBE queries, not {prepared.form.upper()}")
        # CompValue.get returns the key itself when it is missing; CONSTRUCT WHERE { ... } has no template.
        template = (prepared.algebra["template"] if "template" in prepared.algebra else None) \
            or prepared.algebra.p.p.triples
        _, rows = self._rows(_with_prefixes(construct_as_select(substitute(prepared.text, bound))))
        built = new_graph()
        for row in rows:
            fresh: dict[BNode, BNode] = {}
            for pattern in template:
                triple = [_fill(term, row, bound, fresh) for term in pattern]
                s, p, o = triple
                if s is None or p is None or o is None or isinstance(s, Literal) or not isinstance(p, URIRef):
                    continue
                built.add((s, p, o))
        return built

    def _parse_triples(self, body: bytes) -> Graph:
        try:
            built = rdflib_graph(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as err:
            raise StoreError(f"{self.name} sent N-Triples that do not parse ({err})") from None
        return built

    def count(self, graph: str | None = None) -> int:
        target = graph or self.settings.graph
        _, rows = self._rows(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{checked_iri(target)}> {{ ?s ?p ?o }} }}",
                             dataset=False)
        return int(rows[0]["n"]) if rows else 0

    def graph(self) -> Graph:
        return self._triples("?s ?p ?o")

    def _naming_triples(self) -> Graph:
        values = " ".join(f"<{p}>" for p in NAMING_PREDICATES)
        return self._triples(f"VALUES ?p {{ {values} }} ?s ?p ?o")

    def _triples(self, pattern: str) -> Graph:
        """Every triple matching ``pattern``, in pages if the server caps answers; counted to be sure."""
        # The live graph as the default graph (default-graph-uri), as every query reads it: a server
        # that holds one graph under that name (kg serve) answers it too.
        where = f"WHERE {{ {pattern} }}"
        _, counted = self._rows(f"SELECT (COUNT(*) AS ?n) {where}")
        expected = int(counted[0]["n"]) if counted else 0
        built = new_graph()
        select = f"SELECT ?s ?p ?o {where}"
        try:
            _, rows = self._rows(select)
            pages = [rows]
        except TruncatedResult:
            # Page without ORDER BY: Virtuoso refuses to sort past its row limit (SR353). The
            # count below shows whether the pages covered the graph.
            size = self.max_rows or 10_000
            pages = (self._rows(f"{select} LIMIT {size} OFFSET {offset}", page=True)[1]
                     for offset in range(0, expected, size))
        for rows in pages:
            for row in rows:
                built.add((row["s"], row["p"], row["o"]))
        if len(built) != expected:
            raise TruncatedResult(f"{self.name} holds {expected} triples of the graph but returned {len(built)}; "
                                  "raise the server's row limit (Virtuoso: ResultSetMaxRows) or read it another way")
        return built

    # writing

    def replace(self, graph: Graph | Document, *, progress: Progress = QUIET) -> int:
        """Load into a staging graph, count it, and swap it in with one MOVE; else leave the live graph alone."""
        if not (self.settings.update and self.settings.graph_store):
            raise UsageError(f"{self.name} is read-only here: a load needs its `update` and `graph_store` "
                             "endpoints (set them in kg.toml, or use an oxigraph+ or virtuoso+ location)")
        self._naming = None
        staging = f"{self.settings.graph}/staging-{uuid.uuid4().hex[:12]}"
        data, total = ntriples(graph)
        try:
            sent = self._load(staging, data, total, progress)
            held = self.count(staging)
            if held != total or sent != total:
                raise LoadFailed(f"{self.name}: the staging graph holds {held} triples, not {total}; "
                                 "the live graph is unchanged")
            self.update(f"MOVE GRAPH <{checked_iri(staging)}> TO GRAPH <{checked_iri(self.settings.graph)}>")
        except BaseException as err:
            self._drop_quietly(staging)
            if isinstance(err, (LoadFailed, UsageError)) or not isinstance(err, KgError):
                raise
            raise LoadFailed(f"{err}; the load stopped and the live graph is unchanged") from None
        return total

    def _load(self, staging: str, data: bytes, total: int, progress: Progress) -> int:
        sent = 0
        progress.stage(f"loading into {self.name}", total)
        try:
            # An empty PUT first: a server refusing the credentials answers 401 and may close the
            # connection before it reads a large body, which the client would see as a broken pipe.
            self.put_triples(staging, b"", replace=True)
            for chunk, lines in line_chunks(data, max(1, self.settings.chunk)):
                self.put_triples(staging, chunk, replace=False)
                sent += lines
                progress.advance(lines)
        finally:
            progress.done()
        return sent

    def put_triples(self, graph: str, data: bytes, *, replace: bool) -> None:
        """Graph Store Protocol: PUT replaces the named graph, POST adds to it."""
        answer = self.http.request("PUT" if replace else "POST", self.settings.graph_store, data=data,
                                   params={"graph": graph}, headers={"Content-Type": _N_TRIPLES})
        self._check(answer, "the load (Graph Store Protocol)", self.settings.graph_store)

    def update(self, text: str) -> None:
        """One SPARQL Update request: the server runs it as one transaction."""
        if not self.settings.update:
            raise UsageError(f"{self.name} has no update endpoint; set `update` in kg.toml")
        answer = self.http.request("POST", self.settings.update, data=text.encode("utf-8"), headers={
            "Content-Type": "application/sparql-update", "Accept": f"{_SPARQL_JSON}, */*;q=0.1"})
        self._check(answer, "the update", self.settings.update)

    def _drop_quietly(self, graph: str) -> None:
        try:
            self.update(f"DROP SILENT GRAPH <{checked_iri(graph)}>")
        except KgError:
            pass  # the staging graph is left behind; its name says what it is


def _fill(term: Node, row: Mapping[str, Node], bound: Mapping[str, Node], fresh: dict[BNode, BNode]) -> Node | None:
    if isinstance(term, Variable):
        return row.get(str(term), bound.get(str(term)))
    if isinstance(term, BNode):
        return fresh.setdefault(term, BNode())
    return term


def _first_lines(body: bytes, limit: int = 300) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    text = re.sub(r"<[^>]{0,200}>", " ", text) if text.lstrip().startswith("<") else text  # an HTML error page
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "") or "(no message)"




def construct_as_select(text: str) -> str:
    """A CONSTRUCT query's WHERE clause as ``SELECT *`` (the template is filled by the caller)."""
    parts = tokens(text)
    significant = [i for i, t in enumerate(parts) if t.kind not in ("space", "comment")]
    for position, index in enumerate(significant):
        if parts[index].keyword != "CONSTRUCT":
            continue
        following = significant[position + 1] if position + 1 < len(significant) else None
        if following is not None and parts[following].text == "{":
            depth = 0
            for end in significant[position + 1:]:
                if parts[end].text == "{":
                    depth += 1
                elif parts[end].text == "}":
                    depth -= 1
                    if depth == 0:
                        break
            head = "SELECT *"
            if any(parts[i].keyword == "GROUP" for i in significant):  # SELECT * is not allowed with GROUP BY
                names = sorted({t.text for t in parts[following:end] if t.kind == "var"})
                head = "SELECT " + " ".join(names) if names else head
            return "".join(t.text for t in parts[:index]) + head + "".join(t.text for t in parts[end + 1:])
        return "".join(t.text for t in parts[:index]) + "SELECT *" + "".join(t.text for t in parts[index + 1:])
    raise UsageError("not a CONSTRUCT query")


def _with_prefixes(text: str) -> str:
    """``text`` with PREFIX lines for the project's prefixes it uses without declaring (rdflib knows them)."""
    parts = tokens(text)
    declared = set()
    used = set()
    significant = [t for t in parts if t.kind not in ("space", "comment")]
    for i, token in enumerate(significant):
        if token.kind == "word" and ":" in token.text and not token.text.startswith("_:"):
            prefix = token.text.split(":", 1)[0]
            if i > 0 and significant[i - 1].keyword == "PREFIX":
                declared.add(prefix)
            else:
                used.add(prefix)
    missing = sorted(p for p in used - declared if p in PREFIXES)
    return "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in missing) + text


LOCATION = re.compile(r"^(?:(?P<server>oxigraph|virtuoso|sparql)\+)?(?P<url>https?://.+)$")


def remote_settings(location: str, table: Mapping[str, Any] | None = None, *, label: str = "") -> RemoteSettings:
    """The settings for ``virtuoso+https://...`` (and friends), with a kg.toml table's overrides."""
    table = dict(table or {})
    match = LOCATION.match(location.strip()) if location else None
    if location and not match:
        raise UsageError(f"cannot read the store location '{location}'")
    server = (match["server"] if match else None) or "sparql"
    base = match["url"].rstrip("/") if match else ""
    parts = urllib.parse.urlsplit(base or table.get("query", ""))
    if parts.username or parts.password:
        raise UsageError("a store location holds no user name or password: put `user` in kg.toml and the "
                         f"password in an environment variable (${table.get('password_env', DEFAULT_PASSWORD_ENV)})")
    if parts.query or parts.fragment:
        raise UsageError(f"the store location {_safe(base)} has a query string or fragment; give the endpoint alone")
    endpoints = {key: base + path for key, path in SERVERS[server].items()}
    if server == "sparql" and base:
        endpoints["query"] = base
    for key in ("query", "update", "graph_store"):
        if key in table:
            endpoints[key] = table[key]
    if "query" not in endpoints:
        raise UsageError("a remote store needs a query endpoint")
    graph = table.get("graph", str(GRAPH_IRI))
    checked_iri(graph)
    return RemoteSettings(
        query=endpoints["query"], update=endpoints.get("update"), graph_store=endpoints.get("graph_store"),
        server=server, graph=graph, user=table.get("user"),
        password_env=table.get("password_env", DEFAULT_PASSWORD_ENV),
        timeout=float(table.get("timeout", DEFAULT_TIMEOUT)), retries=int(table.get("retries", DEFAULT_RETRIES)),
        chunk=int(table.get("chunk", DEFAULT_CHUNK)), ca_file=table.get("ca_file"),
        allow_http_credentials=bool(table.get("allow_http_credentials", False)),
        label=f"'{label}' ({server} {_safe(base or endpoints['query'])})" if label
        else f"{server} {_safe(base or endpoints['query'])}",
    )

