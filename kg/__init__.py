"""gpu-kg: a knowledge graph of the Chinese domestic GPU industry.

The library under the ``kg`` command, for notebooks too::

    import kg
    graph = kg.load_graph("facts")          # YAML -> checked RDF graph
    print(kg.serialize(graph, "turtle").decode())

Names are imported when first used (PEP 562), so ``import kg`` and the command
line start without loading rdflib, pySHACL or the view libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .base.errors import InputError, KgError, NotConforming, Problem, SourceLocation, UsageError

if TYPE_CHECKING:
    from rdflib import Graph

    from .build.graph import FactGraph
    from .facts.records import Facts

__all__ = [
    "FactGraph", "Facts", "InputError", "KgError", "NotConforming", "Problem", "SourceLocation", "UsageError",
    "build_graph", "check_facts", "checked_graph", "load_facts", "load_graph", "serialize", "write_atomically",
]

_LAZY = {
    "FactGraph": "build.graph", "build_graph": "build.graph", "fact_graph": "build.graph", "origins": "build.graph",
    "checked_graph": "build.pipeline", "load_graph": "build.pipeline", "check": "build.validate",
    "serialize": "build.export", "write_atomically": "base.files", "Facts": "facts.records", "load_facts": "facts.read",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kg' has no attribute {name!r}")


def check_facts(facts: Facts) -> Graph:
    """Build the graph of ``facts`` and check it against the SHACL shapes; return it."""
    from .build.pipeline import checked_graph

    return checked_graph(facts).to_rdflib()
