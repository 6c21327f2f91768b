"""SHACL validation of the built graph, with each failure traced back to its YAML line."""

from __future__ import annotations

import pyshacl
from rdflib import RDF, Graph, Namespace, URIRef

from .build import FIELD_OF
from .errors import NotConforming, Problem, SourceLocation
from .facts import Record
from .ontology import ontology_dir, shapes_graph

SH = Namespace("http://www.w3.org/ns/shacl#")
# Node-level figure shapes are about the stated value: point at it.
_VALUE_FIELDS = ("value", "at_least", "between", "values")


def shacl_problems(graph: Graph, origins: dict[URIRef, Record]) -> list[Problem]:
    """Every SHACL violation of ``graph`` as a Problem placed where its node was written."""
    conforms, report, _ = pyshacl.validate(
        graph, shacl_graph=shapes_graph(), inference="none", abort_on_first=False, allow_warnings=True
    )
    if conforms:
        return []
    problems = []
    fallback = SourceLocation(str(ontology_dir() / "gpu.ttl"))
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage) or "does not conform"
        value = report.value(result, SH.value)
        record = origins.get(focus)
        names = graph.namespace_manager
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


def check(graph: Graph, origins: dict[URIRef, Record]) -> None:
    """Raise NotConforming with every violation, or return quietly."""
    problems = shacl_problems(graph, origins)
    if problems:
        raise NotConforming(problems)
