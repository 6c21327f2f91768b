"""Choosing a store: ``memory`` (the build of a fact folder), ``oxigraph:PATH``, a remote server's
location, or a store named in kg.toml (docs/stores.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef

from ..base.config import Config, build_cache_dir, load_config
from ..base.errors import UsageError
from .core import MEMORY, Document, Store, checked_iri
from .oxigraph import DiskStore, MemoryStore


def built_document(facts_dir: str | Path, *, as_of: dt.date | None = None) -> Document:
    """The checked graph of a fact folder as Turtle, rebuilt only where its files changed.

    The build keeps what each fact file gave in the user's cache folder (one per
    fact folder), so a command run again on the same facts reads them from there:
    the same checks, the same bytes, in milliseconds. ``as_of``: the graph as known on that
    day (kg.facts.asof), built whole each time.
    """
    if as_of is not None:
        from ..build.pipeline import build_turtle

        built = build_turtle(facts_dir, as_of=as_of)
        return Document(built.turtle, "turtle", built.triples)
    from ..build.lastbuild import reused

    cache_dir = build_cache_dir(facts_dir)
    folder, built = reused(facts_dir, cache_dir)
    if built is None:  # something changed: only now the reader, the checks and the build are imported
        from ..build.pipeline import build_turtle

        built = build_turtle(facts_dir, cache_dir=cache_dir, folder=folder)
    from ..build.lastbuild import load_names, save_names

    key = folder.whole
    return Document(built.turtle, "turtle", built.triples,
                    names=load_names(cache_dir, key) if key else None,
                    keep_names=(lambda data: save_names(cache_dir, key, data)) if key else None)


def open_store(spec: str | None = None, *, config: Config | None = None, facts_dir: str | Path = "facts",
               graph: Graph | None = None, as_of: dt.date | None = None) -> Store:
    """The store ``spec`` names: ``memory``, a location, or a ``[stores.NAME]`` of kg.toml.

    Without ``spec``, kg.toml's ``store`` (else memory). The memory store is
    ``graph`` if given, else the graph of ``facts_dir``, built when first used (as known on
    ``as_of``, when given: only the memory store is built from the facts, so only it takes a date).
    """
    if config is None:
        config = load_config()
    spec = (spec or config.store or MEMORY).strip()
    table: dict[str, Any] = {}
    folder = Path(".")
    label = ""
    if spec in config.stores:
        table = config.stores[spec]
        folder = config.folder
        label = spec
        spec = table.get("location", "")
    if as_of is not None and spec != MEMORY:
        raise UsageError(f"--as-of builds the graph from the facts as known on a day; the store '{spec}' holds "
                         "a graph already built: leave out --store (or --as-of)")
    if spec == MEMORY:
        if graph is not None:
            return MemoryStore(graph)
        return MemoryStore(load=lambda: built_document(facts_dir, as_of=as_of))
    if spec.startswith("oxigraph:") and not spec.startswith("oxigraph+"):
        path = Path(spec[len("oxigraph:"):]).expanduser()
        if not str(path) or str(path) == ".":
            raise UsageError("give the store's folder: oxigraph:PATH, e.g. oxigraph:out/store")
        store = DiskStore(path if path.is_absolute() else folder / path)
        if "graph" in table:
            store.graph_iri = URIRef(checked_iri(table["graph"]))
        return store
    if "://" in spec or (not spec and "query" in table):
        from .remote import LOCATION, RemoteStore, remote_settings

        if LOCATION.match(spec) or not spec:
            return RemoteStore(remote_settings(spec, table, label=label))
    names = ", ".join(sorted(config.stores)) or "none in kg.toml"
    raise UsageError(f"unknown store '{spec}': give memory, oxigraph:PATH, oxigraph+http://HOST:PORT, "
                     f"virtuoso+http://HOST:PORT, sparql+https://HOST/PATH, or a store named in kg.toml ({names})")
