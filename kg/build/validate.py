"""SHACL validation of the built graph, with each failure traced back to its YAML line.

Two engines, one report. The shapes compiled to Python (``kg.build.shacl``) check every
focus node quickly; the few nodes that fail, with the triples their shapes can
read, go to pySHACL, whose results (message, path, value) become the problems.
A graph that conforms never reaches pySHACL, so validation grows with the graph
like the rest of the build instead of dominating it. When the shapes use SHACL
that ``kg.build.shacl`` does not compile, pySHACL validates the whole graph as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from rdflib import RDF, Graph, Namespace, URIRef

from .graph import FIELD_OF, FactGraph
from ..base.ontology import new_graph
from ..base.errors import NotConforming, Problem, SourceLocation
from ..facts.read import Record
from ..base.ontology import ontology_dir, shapes_graph
from .shacl import Data, Unsupported, compiled_shapes
from ..base.terms import to_rdflib

SH = Namespace("http://www.w3.org/ns/shacl#")
# Node-level figure shapes are about the stated value: point at it.
_VALUE_FIELDS = ("value", "at_least", "between", "values")


Origins = Mapping[URIRef, Record] | Callable[[], Mapping[URIRef, Record]]


def shacl_problems(graph: FactGraph | Graph, origins: Origins) -> list[Problem]:
    """Every SHACL violation of ``graph`` as a Problem placed where its node was written.

    ``origins`` (the record each node comes from) may be given as a function, called
    only when something is wrong.
    """
    names = new_graph().namespace_manager
    if isinstance(graph, Graph):
        names = graph.namespace_manager
        graph = FactGraph.from_rdflib(graph)
    try:
        shapes = compiled_shapes()
    except Unsupported:
        return _problems(pyshacl_results(graph.to_rdflib()), origins, names)
    failing = shapes.failing(Data(graph.subjects), graph.subjects)
    if not failing:
        return []
    nearby = neighbourhood(graph.subjects, failing, shapes.reach())
    focus = {URIRef(node) for node in failing}
    return _problems((r for r in pyshacl_results(nearby) if r[0] in focus), origins, names)


def check(graph: FactGraph | Graph, origins: Origins) -> None:
    """Raise NotConforming with every violation, or return quietly."""
    problems = shacl_problems(graph, origins)
    if problems:
        raise NotConforming(problems)


def neighbourhood(subjects: Mapping[str, Iterable[tuple[str, str]]], nodes: Iterable[str], depth: int) -> Graph:
    """The triples of ``nodes`` and of every node up to ``depth`` edges away, with the
    ontology's: all that SHACL reads to check ``nodes`` (``Shapes.reach`` gives ``depth``)."""
    from .graph import ontology_subjects

    keep = set(ontology_subjects())
    frontier = set(nodes)
    for _ in range(depth + 1):
        keep |= frontier
        frontier = {o for node in frontier for _, o in subjects.get(node, ()) if o[0] != '"'} - keep
    graph = new_graph()
    graph.addN(
        (to_rdflib(s), to_rdflib(p), to_rdflib(o), graph) for s in sorted(keep) for p, o in subjects.get(s, ())
    )
    return graph


Result = tuple  # (focus node, result path or None, message, value or None), rdflib terms


def pyshacl_results(graph: Graph) -> Iterator[Result]:
    """pySHACL's validation results for ``graph``."""
    import pyshacl  # imported here: only a graph that breaks a shape needs it

    conforms, report, _ = pyshacl.validate(
        graph, shacl_graph=shapes_graph(), inference="none", abort_on_first=False, allow_warnings=True
    )
    if conforms:
        return
    for result in report.subjects(RDF.type, SH.ValidationResult):
        yield (report.value(result, SH.focusNode), report.value(result, SH.resultPath),
               report.value(result, SH.resultMessage), report.value(result, SH.value))


def _problems(results: Iterable[Result], origins: Origins, names) -> list[Problem]:
    results = list(results)
    if not results:
        return []
    if callable(origins):
        origins = origins()
    problems = []
    fallback = SourceLocation(str(ontology_dir() / "gpu.ttl"))
    for focus, path, message, value in results:
        message = message or "does not conform"
        record = origins.get(focus)
        extra = f" (found {value.n3(names)})" if value is not None and value != focus else ""
        if record is None:  # a node of the ontology itself
            problems.append(Problem(fallback, f"{focus.n3(names)}: {message}{extra}"))
            continue
        field = FIELD_OF.get(path) if isinstance(path, URIRef) else None
        if field is None and record.kind == "figures":
            field = next((name for name in _VALUE_FIELDS if name in record.value_locations), None)
        where = record.value_locations.get(field, record.location) if field else record.location
        what = f"{record.kind}.{field}" if field else record.kind
        problems.append(Problem(where, f"{what}: {message}{extra}"))
    return problems
