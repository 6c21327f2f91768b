"""gpu-kg: a knowledge graph of the Chinese domestic GPU industry.

The library under the ``kg`` command, for notebooks too::

    import kg
    graph = kg.load_graph("facts")          # YAML -> checked RDF graph
    print(kg.serialize(graph, "turtle").decode())
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from .build import build_graph, origins
from .errors import InputError, KgError, NotConforming, Problem, SourceLocation, UsageError
from .export import serialize, write_atomically
from .facts import Facts, load_facts
from .validate import check

__all__ = [
    "Facts", "InputError", "KgError", "NotConforming", "Problem", "SourceLocation", "UsageError",
    "build_graph", "check_facts", "load_facts", "load_graph", "serialize", "write_atomically",
]


def check_facts(facts: Facts) -> Graph:
    """Build the graph of ``facts`` and check it against the SHACL shapes; return it."""
    graph = build_graph(facts)
    check(graph, origins(facts))
    return graph


def load_graph(facts_dir: str | Path = "facts") -> Graph:
    """Read, build and check a fact folder: the graph every other command works on."""
    return check_facts(load_facts(facts_dir))
