"""The SHACL shapes compiled to Python: a fast test of which nodes conform.

pySHACL takes about a second for the shipped facts and grows faster than the
graph; at a million triples it would take far longer than everything else. Here
each shape of ``ontology/shapes.ttl`` becomes a few closures over the string
terms of ``kg.base.terms``, run subject by subject. They answer one question, *does
this focus node conform?*, and never write a report: the nodes that fail are
handed to pySHACL (``kg.build.validate``), which writes the results, so messages,
paths and values are pySHACL's own.

Only the part of SHACL Core the shapes use is compiled: targets by class,
predicate and sequence paths, and the constraint components in ``_COMPILERS``.
Anything else (another target or path, SPARQL constraints, a severity other than
violation, closed shapes...) raises ``Unsupported`` and validation goes through
pySHACL alone, as before. ``tests/test_shacl.py`` runs both on the bad-fact
corpus and on mutated graphs and expects the same failing nodes.

Each node's answer depends only on its own triples, the types of the nodes it
points to and the triples of nodes its paths go through; ``Data`` raises
``Incomplete`` when asked for triples it was not given, so a partial graph (one
changed file and the types of everything) is checked soundly or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from ..base.ontology import shapes_graph
from ..base.terms import NUMERIC_TYPES, RDF_LANG_STRING, XSD, XSD_STRING, from_rdflib, parts, to_rdflib

SH = "http://www.w3.org/ns/shacl#"
_TYPE, _SUBCLASS = str(RDF.type), str(RDFS.subClassOf)
_RDFS_LITERAL, _RDFS_DATATYPE = str(RDFS.Literal), str(RDFS.Datatype)
_VIOLATION = SH + "Violation"


class Unsupported(Exception):
    """The shapes use SHACL this module does not compile; pySHACL validates alone."""


class Incomplete(Exception):
    """A check needs triples of a node that the data it was given does not hold."""


# --- the data: triples by subject, and what class each node is in ----------------------

class Data:
    """What the checks read: each subject's pairs, and the types of nodes held elsewhere.

    ``subjects`` maps a subject to its (predicate, object) pairs. ``types`` gives
    the rdf:type objects of nodes whose triples are not in ``subjects`` (a
    partial build knows the types of every node but holds the triples of a
    few); asking for any other triple of such a node raises ``Incomplete``.
    """

    def __init__(self, subjects: Mapping[str, Iterable[tuple[str, str]]],
                 types: Mapping[str, Iterable[str]] | None = None):
        self.subjects = subjects
        self.other_types = types or {}
        self._props: dict[str, dict[str, list[str]]] = {}
        self.known_classes: dict[str, frozenset[str]] = {}  # what ``classes`` found so far
        self._closure: dict[frozenset[str], frozenset[str]] = {}
        self.superclasses = self._superclasses()

    def _superclasses(self) -> dict[str, set[str]]:
        direct: dict[str, set[str]] = {}
        for subject, pairs in self.subjects.items():
            for predicate, obj in pairs:
                if predicate == _SUBCLASS:
                    direct.setdefault(subject, set()).add(obj)
        closed: dict[str, set[str]] = {}

        def up(cls: str, seen: set[str]) -> set[str]:
            if cls in closed:
                return closed[cls]
            found = {cls}
            for parent in direct.get(cls, ()):
                if parent not in seen:
                    found |= up(parent, seen | {parent})
            closed[cls] = found
            return found

        for cls in list(direct):
            up(cls, {cls})
        return closed

    def props(self, node: str) -> dict[str, list[str]]:
        found = self._props.get(node)
        if found is None:
            pairs = self.subjects.get(node)
            if pairs is None:
                if node in self.other_types:
                    raise Incomplete(node)
                pairs = ()
            found = {}
            for predicate, obj in pairs:
                found.setdefault(predicate, []).append(obj)
            self._props[node] = found
        return found

    def classes(self, node: str) -> frozenset[str]:
        """Every class ``node`` is in: its types and their superclasses."""
        found = self.known_classes.get(node)
        if found is None:
            if node[0] == '"':
                found = frozenset()
            elif node in self.subjects:
                found = self._close(frozenset(self.props(node).get(_TYPE, ())))
            else:
                found = self._close(frozenset(self.other_types.get(node, ())))
            self.known_classes[node] = found
        return found

    def _close(self, types: frozenset[str]) -> frozenset[str]:
        found = self._closure.get(types)
        if found is None:
            found = frozenset().union(*(self.superclasses.get(t, {t}) for t in types))
            self._closure[types] = found
        return found


# --- compiled shapes ----------------------------------------------------------------------

Check = Callable[[Data, str, list[str]], bool]  # (data, focus node, value nodes) -> conforms


@dataclass
class Shape:
    node: object                      # the shape's node in the shapes graph
    path: tuple[str, ...] | None      # None for a node shape
    checks: list[Check] = field(default_factory=list)
    properties: list[Shape] = field(default_factory=list)
    nested: list[Shape] = field(default_factory=list)   # shapes its value nodes are checked against
    deactivated: bool = False
    min_count: int = 0                # sh:minCount and sh:maxCount, checked before everything else
    max_count: int | None = None

    def __post_init__(self) -> None:
        self.predicate = self.path[0] if self.path is not None and len(self.path) == 1 else None

    def conforms(self, data: Data, focus: str, props: dict[str, list[str]] | None = None) -> bool:
        """Does ``focus`` conform? ``props`` are its pairs by predicate, when the caller has them."""
        if self.deactivated:
            return True
        if self.path is None:
            values = [focus]
        elif self.predicate is not None:
            values = (data.props(focus) if props is None else props).get(self.predicate, _NONE)
        else:
            values = path_values(data, focus, self.path)
        if len(values) < self.min_count or (self.max_count is not None and len(values) > self.max_count):
            return False
        for check in self.checks:
            if not check(data, focus, values):
                return False
        if self.properties:
            if props is None:
                props = data.props(focus)
            for prop in self.properties:
                if not prop.conforms(data, focus, props):
                    return False
        return True

    def reach(self, seen: frozenset[int] = frozenset()) -> int:
        """How many edges from the focus node the triples this shape reads lie, at most."""
        if id(self) in seen:
            raise Unsupported("recursive shapes")
        seen |= {id(self)}
        here = 0 if self.path is None else len(self.path)
        inner = max((shape.reach(seen) for shape in self.nested), default=0)
        return max(here + inner, max((prop.reach(seen) for prop in self.properties), default=0))


_NONE: list[str] = []


def path_values(data: Data, focus: str, path: tuple[str, ...]) -> list[str]:
    if len(path) == 1:
        return data.props(focus).get(path[0], [])
    nodes = [focus]
    for predicate in path:
        step: dict[str, None] = {}
        for node in nodes:
            if node[0] != '"':
                step.update(dict.fromkeys(data.props(node).get(predicate, ())))
        nodes = list(step)
    return nodes


# (predicate, least and most values, its checks), or (None, 0, None, [], a shape to run whole)
Step = tuple[str | None, int, int | None, list[Check], Shape]


@dataclass
class Shapes:
    """The targeted shapes, ready to check focus nodes."""

    targeted: list[tuple[frozenset[str], Shape]]   # (target classes, shape)
    _plans: dict[frozenset[str], list[Step]] = field(default_factory=dict)

    def plan(self, classes: frozenset[str]) -> list[Step]:
        """What to check on a node in ``classes``: the shapes targeting it, flattened.

        Most of the work is property shapes with one predicate; running their
        checks in one loop, with the node's pairs looked up once, saves most of
        the calls a shape-by-shape walk makes.
        """
        found = self._plans.get(classes)
        if found is None:
            found = []
            for targets, shape in self.targeted:
                if not targets & classes or shape.deactivated:
                    continue
                if shape.path is not None:
                    found.append((None, 0, None, [], shape))
                    continue
                if shape.checks:
                    found.append((None, 0, None, [], Shape(shape.node, None, shape.checks)))
                for prop in shape.properties:
                    if prop.predicate is not None and not prop.properties and not prop.deactivated:
                        found.append((prop.predicate, prop.min_count, prop.max_count, prop.checks, prop))
                    else:
                        found.append((None, 0, None, [], prop))
            self._plans[classes] = found
        return found

    def reach(self) -> int:
        return max((shape.reach() for _, shape in self.targeted), default=0)

    def failing(self, data: Data, focus_nodes: Iterable[str]) -> list[str]:
        """The focus nodes among ``focus_nodes`` that break a shape, in the order given."""
        failed = []
        for node in focus_nodes:
            plan = self.plan(data.classes(node))
            if plan and not _passes(plan, data, node, data.props(node)):
                failed.append(node)
        return failed


def _passes(plan: list[Step], data: Data, node: str, props: dict[str, list[str]]) -> bool:
    for predicate, least, most, checks, shape in plan:
        if predicate is None:
            if not shape.conforms(data, node, props):
                return False
            continue
        values = props.get(predicate, _NONE)
        if len(values) < least or (most is not None and len(values) > most):
            return False
        for check in checks:
            if not check(data, node, values):
                return False
    return True


@cache
def compiled_shapes() -> Shapes:
    """``ontology/shapes.ttl`` compiled; raises Unsupported when it uses more than we compile."""
    return compile_shapes(shapes_graph())


def compile_shapes(graph: Graph) -> Shapes:
    compiler = _Compiler(graph)
    targeted = []
    shape_nodes = set(graph.subjects(URIRef(SH + "targetClass"), None))
    for other_target in ("targetNode", "targetSubjectsOf", "targetObjectsOf", "target"):
        if (None, URIRef(SH + other_target), None) in graph:
            raise Unsupported(f"sh:{other_target}")
    for cls_kind in (RDFS.Class, URIRef("http://www.w3.org/2002/07/owl#Class")):
        for node in graph.subjects(RDF.type, cls_kind):
            if (node, RDF.type, URIRef(SH + "NodeShape")) in graph or (node, URIRef(SH + "property"), None) in graph:
                raise Unsupported("implicit class targets")
    for node in sorted(shape_nodes, key=str):
        targets = frozenset(str(c) for c in graph.objects(node, URIRef(SH + "targetClass")))
        targeted.append((targets, compiler.shape(node)))
    return Shapes(targeted)


# Shape keys that constrain nothing: labels, messages, grouping, targets (read apart).
_IGNORED = {SH + name for name in ("message", "name", "description", "order", "group", "targetClass", "path",
                                   "declare", "prefixes", "defaultValue")} | {
    str(RDF.type), str(RDFS.label), str(RDFS.comment)}


class _Compiler:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.done: dict[object, Shape] = {}

    def values(self, node, name: str) -> list:
        return list(self.graph.objects(node, URIRef(SH + name)))

    def one(self, node, name: str):
        found = self.values(node, name)
        if len(found) != 1:
            raise Unsupported(f"sh:{name} given {len(found)} times")
        return found[0]

    def items(self, list_node) -> list:
        return list(Collection(self.graph, list_node))

    def shape(self, node) -> Shape:
        if node in self.done:
            return self.done[node]
        path_node = self.graph.value(node, URIRef(SH + "path"))
        shape = Shape(node, None if path_node is None else self.path(path_node))
        self.done[node] = shape  # before compiling parts: shapes may refer to each other
        severity = self.graph.value(node, URIRef(SH + "severity"))
        if severity is not None and str(severity) != _VIOLATION:
            raise Unsupported("a severity other than sh:Violation")
        deactivated = self.graph.value(node, URIRef(SH + "deactivated"))
        shape.deactivated = deactivated is not None and bool(deactivated.toPython())
        handled = set(_IGNORED) | {SH + "severity", SH + "deactivated"}
        for predicate in sorted({str(p) for p in self.graph.predicates(node, None)}):
            if predicate in handled:
                continue
            if not predicate.startswith(SH):
                continue  # not SHACL: annotations of the shape
            name = predicate[len(SH):]
            compiler = _COMPILERS.get(name)
            if compiler is None:
                raise Unsupported(f"sh:{name}")
            compiler(self, node, shape)
        return shape

    def path(self, node) -> tuple[str, ...]:
        if isinstance(node, URIRef):
            return (str(node),)
        if isinstance(node, BNode) and (node, RDF.first, None) in self.graph:
            steps = self.items(node)
            if all(isinstance(step, URIRef) for step in steps) and steps:
                return tuple(str(step) for step in steps)
        raise Unsupported("a path other than a predicate or a sequence of predicates")

    def term(self, node) -> str:
        if isinstance(node, BNode):
            raise Unsupported("a blank node as a constraint value")
        return from_rdflib(node)


# --- one compiler per constraint component ---------------------------------------------------

def _each(test: Callable[[Data, str], bool]) -> Check:
    """A check that every value node passes ``test``."""

    def check(data: Data, focus: str, values: list[str]) -> bool:
        for value in values:
            if not test(data, value):
                return False
        return True

    return check


# The checks below run millions of times on a big graph: each loops over the
# values itself rather than calling a test per value through _each.

def _class(c: _Compiler, node, shape: Shape) -> None:
    for cls in c.values(node, "class"):
        wanted = c.term(cls)

        def check(data: Data, focus: str, values: list[str], wanted: str = wanted) -> bool:
            known = data.known_classes
            for value in values:
                classes = known.get(value)
                if classes is None:
                    classes = data.classes(value)
                if wanted not in classes:  # a literal is in no class
                    return False
            return True

        shape.checks.append(check)


def _datatype(c: _Compiler, node, shape: Shape) -> None:
    wanted = c.term(c.one(node, "datatype"))
    tagged = wanted == RDF_LANG_STRING

    def check(data: Data, focus: str, values: list[str]) -> bool:
        for value in values:
            # A tagged string ends with its tag, anything else with '"', '>' or an IRI's last character.
            if tagged and value[0] == '"' and value[-1] != '"' and value[-1] != ">":
                continue
            if not has_datatype(value, wanted):
                return False
        return True

    shape.checks.append(check)


def _min_count(c: _Compiler, node, shape: Shape) -> None:
    if shape.path is None:
        raise Unsupported("sh:minCount on a node shape")
    shape.min_count = max(shape.min_count, int(c.one(node, "minCount").toPython()))


def _max_count(c: _Compiler, node, shape: Shape) -> None:
    if shape.path is None:
        raise Unsupported("sh:maxCount on a node shape")
    most = int(c.one(node, "maxCount").toPython())
    shape.max_count = most if shape.max_count is None else min(shape.max_count, most)


def _in(c: _Compiler, node, shape: Shape) -> None:
    allowed = frozenset(c.term(item) for item in c.items(c.one(node, "in")))

    def check(data: Data, focus: str, values: list[str]) -> bool:
        for value in values:
            if value not in allowed:
                return False
        return True

    shape.checks.append(check)


def _has_value(c: _Compiler, node, shape: Shape) -> None:
    for wanted in c.values(node, "hasValue"):
        term = c.term(wanted)
        shape.checks.append(lambda data, focus, values, term=term: term in values)


def _language_in(c: _Compiler, node, shape: Shape) -> None:
    ranges = set()
    for item in c.items(c.one(node, "languageIn")):
        if not isinstance(item, Literal) or not isinstance(item.value, str):
            raise Unsupported("sh:languageIn with a value that is not a string")
        ranges.add(str(item).lower())

    def test(data: Data, value: str) -> bool:
        if value[0] != '"':
            return False
        lang = parts(value)[1]
        if not lang:
            return False
        lang = lang.lower()
        return "*" in ranges or lang in ranges or lang.split("-")[0] in ranges

    shape.checks.append(_each(test))


def _unique_lang(c: _Compiler, node, shape: Shape) -> None:
    if shape.path is None:
        raise Unsupported("sh:uniqueLang on a node shape")
    flag = c.one(node, "uniqueLang")
    if not isinstance(flag, Literal) or not isinstance(flag.toPython(), bool):
        raise Unsupported("sh:uniqueLang that is not a boolean")
    if not flag.toPython():
        return

    def check(data: Data, focus: str, values: list[str]) -> bool:
        seen = set()
        for value in values:
            if value[0] == '"':
                lang = parts(value)[1]
                if lang:
                    if lang.lower() in seen:
                        return False
                    seen.add(lang.lower())
        return True

    shape.checks.append(check)


def _range(name: str, passes: Callable[[int], bool]) -> Callable[[_Compiler, object, Shape], None]:
    def compile_range(c: _Compiler, node, shape: Shape) -> None:
        for bound in c.values(node, name):
            if not isinstance(bound, Literal):
                raise Unsupported(f"sh:{name} that is not a literal")
            shape.checks.append(_each(lambda data, value, bound=bound: _in_range(value, bound, passes)))

    return compile_range


def _pair(name: str, compare: Callable[[list[str], list[str]], bool]) -> Callable[[_Compiler, object, Shape], None]:
    def compile_pair(c: _Compiler, node, shape: Shape) -> None:
        other = c.one(node, name)
        if not isinstance(other, URIRef):
            raise Unsupported(f"sh:{name} that is not a property")
        other_path = (str(other),)
        shape.checks.append(lambda data, focus, values: compare(values, path_values(data, focus, other_path)))

    return compile_pair


def _equals(values: list[str], others: list[str]) -> bool:
    return set(values) == set(others)


def _less_than_or_equals(values: list[str], others: list[str]) -> bool:
    return all(_at_most(value, other) for value in values for other in others)


def _not(c: _Compiler, node, shape: Shape) -> None:
    for inner in c.values(node, "not"):
        negated = c.shape(inner)
        shape.nested.append(negated)
        shape.checks.append(_each(lambda data, value, negated=negated: not negated.conforms(data, value)))


def _node(c: _Compiler, node, shape: Shape) -> None:
    for inner in c.values(node, "node"):
        required = c.shape(inner)
        shape.nested.append(required)
        shape.checks.append(_each(lambda data, value, required=required: required.conforms(data, value)))


def _logical(name: str) -> Callable[[_Compiler, object, Shape], None]:
    """sh:and, sh:or, sh:xone: how many of the listed shapes each value node conforms to."""

    def compile_logical(c: _Compiler, node, shape: Shape) -> None:
        for list_node in c.values(node, name):
            members = [c.shape(item) for item in c.items(list_node)]
            shape.nested.extend(members)

            def check(data: Data, focus: str, values: list[str], members=members) -> bool:
                for value in values:
                    passed = 0
                    for member in members:
                        if member.conforms(data, value):
                            passed += 1
                            if name == "or" or (name == "xone" and passed > 1):
                                break
                        elif name == "and":
                            break
                    if not (passed == len(members) if name == "and" else passed == 1 if name == "xone" else passed):
                        return False
                return True

            shape.checks.append(check)

    return compile_logical


def _property(c: _Compiler, node, shape: Shape) -> None:
    if shape.path is not None:
        raise Unsupported("sh:property on a property shape")
    for inner in c.values(node, "property"):
        prop = c.shape(inner)
        if prop.path is None:
            raise Unsupported("sh:property pointing at a node shape")
        shape.properties.append(prop)


def _qualified(c: _Compiler, node, shape: Shape) -> None:
    if shape.path is None:
        raise Unsupported("sh:qualifiedValueShape on a node shape")
    if c.values(node, "qualifiedValueShapesDisjoint"):
        flag = c.one(node, "qualifiedValueShapesDisjoint")
        if flag.toPython():
            raise Unsupported("sh:qualifiedValueShapesDisjoint")
    inner = c.shape(c.one(node, "qualifiedValueShape"))
    shape.nested.append(inner)
    least = c.values(node, "qualifiedMinCount")
    most = c.values(node, "qualifiedMaxCount")
    low = int(least[0].toPython()) if least else None
    high = int(most[0].toPython()) if most else None

    def check(data: Data, focus: str, values: list[str]) -> bool:
        count = sum(1 for value in values if inner.conforms(data, value))
        return (low is None or count >= low) and (high is None or count <= high)

    shape.checks.append(check)


def _read_alongside(c: _Compiler, node, shape: Shape) -> None:
    """Parameters read by another component (qualified counts, the disjoint flag)."""


_COMPILERS: dict[str, Callable[[_Compiler, object, Shape], None]] = {
    "class": _class,
    "datatype": _datatype,
    "minCount": _min_count,
    "maxCount": _max_count,
    "in": _in,
    "hasValue": _has_value,
    "languageIn": _language_in,
    "uniqueLang": _unique_lang,
    "minInclusive": _range("minInclusive", lambda order: order >= 0),
    "maxInclusive": _range("maxInclusive", lambda order: order <= 0),
    "minExclusive": _range("minExclusive", lambda order: order > 0),
    "maxExclusive": _range("maxExclusive", lambda order: order < 0),
    "equals": _pair("equals", _equals),
    "lessThanOrEquals": _pair("lessThanOrEquals", _less_than_or_equals),
    "not": _not,
    "node": _node,
    "and": _logical("and"),
    "or": _logical("or"),
    "xone": _logical("xone"),
    "property": _property,
    "qualifiedValueShape": _qualified,
    "qualifiedMinCount": _read_alongside,
    "qualifiedMaxCount": _read_alongside,
    "qualifiedValueShapesDisjoint": _read_alongside,
}


# --- literals, as pySHACL (through rdflib) sees them -----------------------------------------

_DECIMAL = re.compile(r"[+-]?[0-9]+\.[0-9]+")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# rdflib attaches no Python value to these and pySHACL then accepts the datatype.
_UNCHECKED = {XSD + name for name in ("gYear", "gYearMonth", "anyURI", "language")}
_FAST_WELL_TYPED = {XSD + "decimal": _DECIMAL, XSD + "integer": _INTEGER}


def has_datatype(value: str, wanted: str) -> bool:
    """pySHACL's sh:datatype test (``DatatypeConstraintComponent``), without building rdflib terms
    for the literals we write; anything unusual is handed to rdflib itself."""
    if value[0] != '"':
        return False
    _, lang, datatype = parts(value)
    if datatype is not None and datatype == wanted:
        if datatype in _UNCHECKED:
            return True
        pattern = _FAST_WELL_TYPED.get(datatype)
        if pattern is not None and pattern.fullmatch(parts(value)[0]):
            return True
        return _rdflib_has_datatype(value, wanted)
    if wanted == _RDFS_LITERAL:
        return True
    if wanted == _RDFS_DATATYPE and datatype:
        return True
    if datatype is None and lang is None and wanted == XSD_STRING:
        return True
    if wanted == RDF_LANG_STRING and lang:
        return True
    return False


def _rdflib_has_datatype(value: str, wanted: str) -> bool:
    from datetime import date, datetime, time

    literal = to_rdflib(value)
    if literal.ill_typed is True:
        return False
    python = literal.value
    expected = {XSD_STRING: (str, bytes), RDF_LANG_STRING: (str, bytes), XSD + "integer": int, XSD + "float": float,
                XSD + "decimal": Decimal, XSD + "boolean": bool, XSD + "date": date, XSD + "time": time,
                XSD + "dateTime": datetime}.get(wanted)
    return expected is None or isinstance(python, expected)


def _in_range(value: str, bound: Literal, passes: Callable[[int], bool]) -> bool:
    """pySHACL's value-range test: compare with the bound, or fail when they do not compare."""
    if value[0] != '"':
        return False
    number = _plain_number(value)
    if number is not None and str(bound.datatype) in NUMERIC_TYPES and isinstance(bound.value, (int, Decimal)):
        order = (number > bound.value) - (number < bound.value)
        return passes(order)
    from pyshacl.rdfutil.compare import compare_literal

    literal = to_rdflib(value)
    if isinstance(bound.value, str) != isinstance(literal.value, str):
        return False
    try:
        return passes(compare_literal(literal, bound))
    except (TypeError, NotImplementedError):
        return False


def _plain_number(value: str) -> Decimal | int | None:
    """The value of a decimal or integer literal in its usual lexical form, else None."""
    lexical, _, datatype = parts(value)
    if datatype == XSD + "decimal" and _DECIMAL.fullmatch(lexical):
        return Decimal(lexical)
    if datatype == XSD + "integer" and _INTEGER.fullmatch(lexical):
        return int(lexical)
    return None


def _at_most(value: str, other: str) -> bool:
    """pySHACL's sh:lessThanOrEquals test of one pair (``_compare_ltoe``)."""
    if value[0] == '"' and other[0] == '"':
        a, b = _plain_number(value), _plain_number(other)
        if a is not None and b is not None:
            return a <= b
        (la, _, da), (lb, _, db) = parts(value), parts(other)
        if da == db == XSD + "date" and _DATE.fullmatch(la) and _DATE.fullmatch(lb):
            return la <= lb
    left, right = to_rdflib(value), to_rdflib(other)
    left_is_text = isinstance(left, URIRef) or isinstance(left.value, str)
    right_is_text = isinstance(right, URIRef) or isinstance(right.value, str)
    if left_is_text != right_is_text:
        return False
    if left_is_text:
        left, right = str(left) if isinstance(left, URIRef) else left.value, str(right) if isinstance(right, URIRef) else right.value
    try:
        return bool(left <= right)
    except TypeError:  # pySHACL stops with this error; the node goes to it and it says so
        return False
