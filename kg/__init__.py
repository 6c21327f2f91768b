"""gpu-kg: a knowledge graph of the Chinese domestic GPU industry.

The library under the ``kg`` command, for notebooks too::

    import kg
    graph = kg.load_graph("facts")          # YAML -> checked RDF graph
    print(kg.serialize(graph, "turtle").decode())
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from .build import FactGraph, build_graph, fact_graph, origins
from .errors import InputError, KgError, NotConforming, Problem, SourceLocation, UsageError
from .export import serialize, write_atomically
from .facts import Facts, load_facts
from .validate import check

__all__ = [
    "FactGraph", "Facts", "InputError", "KgError", "NotConforming", "Problem", "SourceLocation", "UsageError",
    "build_graph", "check_facts", "checked_graph", "load_facts", "load_graph", "serialize", "write_atomically",
]


def check_facts(facts: Facts) -> Graph:
    """Build the graph of ``facts`` and check it against the SHACL shapes; return it."""
    return checked_graph(facts).to_rdflib()


def checked_graph(facts: Facts) -> FactGraph:
    """``check_facts`` without rdflib: the lighter graph that exports and stores load fast."""
    graph = fact_graph(facts)
    check(graph, lambda: origins(facts))
    return graph


def load_graph(facts_dir: str | Path = "facts") -> Graph:
    """Read, build and check a fact folder: the graph every other command works on."""
    return check_facts(load_facts(facts_dir))
