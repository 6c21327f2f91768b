"""``kg.toml``: the store every command uses, and the named stores a team shares.

A small TOML file in the current folder (or the file ``KG_CONFIG`` names)::

    store = "team"                      # used when --store is not given

    [stores.local]
    location = "oxigraph:out/store"     # the embedded on-disk store

    [stores.team]
    location = "virtuoso+https://sparql.example.org"
    user = "kg-loader"
    password_env = "KG_TEAM_PASSWORD"   # the password itself lives only in the environment
    timeout = 120

Passwords are never read from the file: a ``password`` key is an error, so a
secret cannot end up in version control by accident.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, Problem, SourceLocation, did_you_mean, file_error

CONFIG_NAME = "kg.toml"
CONFIG_ENV = "KG_CONFIG"

# The keys of a [stores.NAME] table and the type each must have.
STORE_KEYS: dict[str, type | tuple[type, ...]] = {
    "location": str,           # the same text --store takes: oxigraph:PATH, virtuoso+https://..., ...
    "query": str,              # endpoints, when the server is not one of the known kinds
    "update": str,
    "graph_store": str,
    "graph": str,              # the named graph the graph lives in (default https://w3id.org/gpu-kg/graph)
    "user": str,
    "password_env": str,       # the environment variable that holds the password
    "timeout": (int, float),   # seconds to wait for a server's answer
    "retries": int,            # extra attempts after a connection error or a 5xx answer
    "chunk": int,              # triples per Graph Store Protocol request during a load
    "ca_file": str,            # a CA bundle for a server whose certificate a private CA signed
    "allow_http_credentials": bool,  # send credentials over plain http to a host other than loopback
}
_TOP_KEYS = ("store", "stores")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Config:
    """What ``kg.toml`` says; an empty Config when there is no file."""

    path: Path | None = None
    store: str | None = None
    stores: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """Relative paths in the file are relative to the file's folder."""
        return self.path.parent if self.path is not None else Path(".")


def config_path() -> Path | None:
    """The config file in use: ``$KG_CONFIG`` if set, else ``./kg.toml`` if it exists."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named)
    local = Path(CONFIG_NAME)
    return local if local.is_file() else None


def load_config(path: str | Path | None = None) -> Config:
    """Read and check ``path`` (default: :func:`config_path`); every problem is reported at once."""
    chosen = Path(path) if path is not None else config_path()
    if chosen is None:
        return Config()
    where = SourceLocation(str(chosen))
    try:
        text = chosen.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(where, f"no such config file (named by {CONFIG_ENV} or given)")]) from None
    except UnicodeDecodeError as err:
        raise InputError([Problem(where, f"not UTF-8 text ({err.reason})")]) from None
    except OSError as err:
        raise file_error(err, "read", chosen) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # The message ends "(at line L, column C)"; put the place where every other message has it.
        found = re.search(r"\(at line (\d+), column (\d+)\)$", str(err))
        message = re.sub(r"\s*\(at line \d+, column \d+\)$", "", str(err))
        place = SourceLocation(str(chosen), int(found[1]), int(found[2])) if found else where
        raise InputError([Problem(place, f"invalid TOML: {message}")]) from None
    problems: list[Problem] = []
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(Problem(where, f"unknown key '{key}'{did_you_mean(key, _TOP_KEYS)}"))
    store = data.get("store")
    if store is not None and not isinstance(store, str):
        problems.append(Problem(where, "`store` is the name of a store or a location such as oxigraph:out/store"))
        store = None
    tables = data.get("stores", {})
    stores: dict[str, dict[str, Any]] = {}
    if not isinstance(tables, dict):
        problems.append(Problem(where, "`stores` is a table of [stores.NAME] tables"))
        tables = {}
    for name, table in tables.items():
        problems.extend(_check_table(name, table, where))
        if isinstance(table, dict):
            stores[name] = dict(table)
    if problems:
        raise InputError(problems)
    return Config(path=chosen, store=store, stores=stores)


def _check_table(name: str, table: Any, where: SourceLocation) -> list[Problem]:
    problems = []
    label = f"[stores.{name}]"
    if not _NAME.match(name) or name == "memory":
        problems.append(Problem(where, f"{label}: a store name is a word such as team or local (and not 'memory')"))
    if not isinstance(table, dict):
        return problems + [Problem(where, f"{label} is a table of settings")]
    for key, value in table.items():
        if key == "password":
            problems.append(Problem(where, f"{label}: passwords are never read from a file; put it in an "
                                           "environment variable and name that variable with password_env"))
            continue
        wanted = STORE_KEYS.get(key)
        if wanted is None:
            problems.append(Problem(where, f"{label}: unknown key '{key}'{did_you_mean(key, STORE_KEYS)}"))
        elif not isinstance(value, wanted) or (isinstance(value, bool) and wanted is not bool):
            kind = "text" if wanted is str else "true or false" if wanted is bool else "a number"
            problems.append(Problem(where, f"{label}: `{key}` is {kind}"))
    if "location" not in table and "query" not in table:
        problems.append(Problem(where, f"{label}: give a `location` (e.g. oxigraph:out/store or "
                                       "virtuoso+https://host:8890) or a `query` endpoint"))
    return problems


CACHE_NAME = ".kg-cache"  # the build's cache, beside its output (kg.build.cache)
CACHE_ENV = "KG_CACHE_DIR"
DEFAULT_TIMEOUT = 30.0  # seconds a query may run (kg.query.catalog); every saved query answers in well under one
DEFAULT_MEMORY_MB = 2048  # memory a query's worker may take beyond what it held when it started (kg.query.workers)


def cache_home() -> Path:
    """Where gpu-kg keeps what it can compute again: ``$KG_CACHE_DIR``, else the user's cache folder."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gpu-kg"


def build_cache_dir(facts_dir: str | Path) -> Path:
    """The build cache of one fact folder (see ``kg.build.cache``), named after the folder's absolute path."""
    import hashlib

    where = str(Path(facts_dir).resolve())
    return cache_home() / "builds" / hashlib.sha256(where.encode("utf-8")).hexdigest()[:16]
