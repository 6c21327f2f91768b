"""The parts of kg follow the pipeline: base -> facts -> build -> store -> query -> author / show -> web -> cli.

A module imports its own part or a lower one, never a higher one or a sibling,
and no chain of imports comes back to where it started (docs/architecture.md).
Imports made only for type checkers (under ``if TYPE_CHECKING:``) are not arrows.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kg"
# The order of the parts; parts of one rank are siblings and do not import each other.
RANK = {"base": 0, "facts": 1, "build": 2, "store": 3, "query": 4, "author": 5, "show": 5, "web": 6,
        "kg": 7, "cli": 8, "__main__": 9}


def module_name(path: Path) -> str:
    parts = ("kg",) + path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """``kg.build.cache`` is in ``build``; ``kg`` itself (the library's front) is ``kg``; ``kg.cli`` is ``cli``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "kg"


def _type_checking_only(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING" or (
        isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")


def imports(path: Path, modules: set[str]) -> set[str]:
    """The kg modules ``path`` imports, at the top or inside functions, except for type checkers."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in modules else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {module for module in found if module in modules and module != name}


def import_graph() -> nx.DiGraph:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for path in paths:
        graph.add_edges_from((module_name(path), target) for target in imports(path, modules))
    return graph


def upward(graph: nx.DiGraph) -> list[str]:
    arrows = []
    for source, target in graph.edges:
        a, b = part_of(source), part_of(target)
        if a != b and RANK[b] >= RANK[a]:
            arrows.append(f"{source} -> {target} ({a} may not import {b})")
    return sorted(arrows)


def test_every_module_belongs_to_a_part():
    assert {part_of(module) for module in import_graph()} <= RANK.keys()


def test_no_part_imports_a_higher_one_or_a_sibling():
    arrows = upward(import_graph())
    assert not arrows, "\n".join(arrows)


def test_no_import_cycle():
    cycles = sorted(" -> ".join(cycle + cycle[:1]) for cycle in nx.simple_cycles(import_graph()))
    assert not cycles, "\n".join(cycles)


@pytest.mark.parametrize("part", sorted(p for p in RANK if (PACKAGE / p).is_dir()))
def test_each_part_says_what_it_is_and_what_it_may_import(part):
    doc = ast.get_docstring(ast.parse((PACKAGE / part / "__init__.py").read_text(encoding="utf-8")))
    assert doc and "May import" in doc, f"kg/{part}/__init__.py: say what the part is and what it may import"


def test_the_check_sees_an_upward_arrow_and_a_cycle():
    graph = nx.DiGraph([("kg.store.core", "kg.query.results"), ("kg.query.results", "kg.store.core")])
    assert upward(graph) == ["kg.store.core -> kg.query.results (store may not import query)"]
    assert list(nx.simple_cycles(graph))
    assert upward(nx.DiGraph([("kg.author.extract", "kg.show.views")])), "siblings do not import each other"
    assert not upward(nx.DiGraph([("kg.cli", "kg.build.pipeline"), ("kg", "kg.build.pipeline")]))
