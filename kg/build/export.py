"""RDF serialization: byte-stable, every prefix bound, written atomically.

Oxigraph's serializers write triples in the order given, so sorting the triples
first makes every format byte-stable (rdflib's RDF/XML and JSON-LD writers
follow hash order); they are also much faster than rdflib's. The sort works on
the string terms of ``kg.base.terms`` with rdflib's order of terms (the order exports
have always had): sorting rdflib's own terms costs seconds at a million triples.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from xml.parsers import expat

import pyoxigraph as ox
from rdflib import Graph

from .graph import FactGraph
from ..base.ontology import GRAPH_IRI, PREFIXES
from ..base.errors import ExportError
from .lastbuild import ReadTurtle
from ..base.formats import pick_format
from ..base.terms import XSD as XSD_TEXT, literal, object_key, parts

# name -> (oxigraph format, file suffixes)
FORMATS = {  # the same names as kg.base.formats.RDF_FORMAT_NAMES
    "turtle": (ox.RdfFormat.TURTLE, (".ttl",)),
    "nt": (ox.RdfFormat.N_TRIPLES, (".nt",)),
    "jsonld": (ox.RdfFormat.JSON_LD, (".jsonld", ".json")),
    "xml": (ox.RdfFormat.RDF_XML, (".rdf", ".xml", ".owl")),
    "trig": (ox.RdfFormat.TRIG, (".trig",)),
}


def format_for(name: str | None, path: str | Path | None) -> str:
    """The RDF format asked for, or the one the file's suffix implies (Turtle by default)."""
    return pick_format(name, path, {n: suffixes for n, (_, suffixes) in FORMATS.items()}, "turtle")


Subjects = Mapping[str, Sequence[tuple[str, str]]]  # subject -> (predicate, object) pairs, as in FactGraph


def sorted_ntriples(graph: FactGraph | Graph | Subjects) -> bytes:
    """The graph as N-Triples, one triple a line, in rdflib's order of terms.

    Subjects are sorted once; each subject's few pairs are sorted by predicate
    and object. The lines are byte for byte what Oxigraph's N-Triples writer
    gives for the same triples (``kg.base.terms`` escapes as it does).
    """
    subjects = _subjects(graph)
    lines: list[str] = []
    append = lines.append
    for subject in sorted(subjects):
        start = f"<{subject}> <"
        for predicate, obj in _sorted_pairs(subjects[subject]):
            if obj[0] == '"':
                append(f"{start}{predicate}> {obj} .\n")
            else:
                append(f"{start}{predicate}> <{obj}> .\n")
    return "".join(lines).encode("utf-8")


def _subjects(graph: FactGraph | Graph | Subjects) -> Subjects:
    if isinstance(graph, Graph):
        graph = FactGraph.from_rdflib(graph)
    return graph.subjects if isinstance(graph, FactGraph) else graph


def _sorted_pairs(pairs: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """Pairs by predicate, then object in rdflib's order (string order would put
    literals first and compare tagged strings by text before language)."""
    ordered = sorted(pairs)
    start = 0
    while start < len(ordered):
        predicate = ordered[start][0]
        end = start + 1
        while end < len(ordered) and ordered[end][0] == predicate:
            end += 1
        in_order = _tagged_in_order(ordered[start][1], ordered[start + 1][1]) if end - start == 2 else None
        if in_order is not None:
            if not in_order:
                ordered[start], ordered[start + 1] = ordered[start + 1], ordered[start]
        elif end - start > 1:
            ordered[start:end] = sorted(ordered[start:end], key=_pair_object_key)
        start = end
    return ordered


def _tagged_in_order(first: str, second: str) -> bool | None:
    """For two strings tagged with different languages (a label in English and one in
    Chinese: most subjects have such a pair), whether they are in rdflib's order,
    which is by language; None for any other two objects."""
    if first[0] != '"' or second[0] != '"' or first[-1] in '">' or second[-1] in '">':
        return None
    first_lang, second_lang = first[first.rindex('"') + 2 :], second[second.rindex('"') + 2 :]
    if first_lang == second_lang:
        return None
    return first_lang < second_lang


def _pair_object_key(pair: tuple[str, str]) -> tuple:
    return object_key(pair[1])


def serialize(graph: FactGraph | Graph | Subjects, format: str = "turtle") -> bytes:
    """The graph in ``format``; the same graph always gives the same bytes."""
    name = format_for(format, None)
    rdf_format = FORMATS[name][0]
    if name == "turtle":
        subjects = _subjects(graph)
        return turtle_from_blocks(turtle_blocks(subjects)) if subjects else b""
    ntriples = sorted_ntriples(graph)
    if name == "nt":
        return ntriples
    triples = ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
    prefixes = {prefix: str(namespace) for prefix, namespace in sorted(PREFIXES.items())}
    if name == "trig":  # the graph goes in under its own name
        graph_name = ox.NamedNode(str(graph.identifier if isinstance(graph, Graph) else GRAPH_IRI))
        quads = (ox.Quad(t.subject, t.predicate, t.object, graph_name) for t in triples)
        return ox.serialize(quads, format=rdf_format, prefixes=prefixes)
    data = ox.serialize(triples, format=rdf_format, prefixes=prefixes)
    if name == "jsonld":  # one line of JSON is hard to read; indent it, key order kept
        data = (json.dumps(json.loads(data), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    return data


def read_turtle(data: bytes) -> FactGraph:
    """A Turtle document (as ``serialize`` writes them) read back into a FactGraph."""
    subjects: dict[str, list[tuple[str, str]]] = {}
    for triple in ox.parse(data, format=ox.RdfFormat.TURTLE):
        subjects.setdefault(triple.subject.value, []).append((triple.predicate.value, _term(triple.object)))
    return FactGraph(subjects)


def _term(node: ox.NamedNode | ox.Literal) -> str:
    if isinstance(node, ox.NamedNode):
        return node.value
    if isinstance(node, ox.Literal):
        return literal(node.value, node.language, node.datatype.value)
    raise ValueError(f"blank node {node} cannot be exported byte-stably")


def turtle_to_ntriples(data: bytes) -> bytes:
    """A Turtle document as N-Triples, one triple a line, in the same order (Oxigraph reads and writes it)."""
    return ox.serialize(ox.parse(data, format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES)


# --- Turtle by subject, for builds that redo only what changed ---------------------------

def turtle_blocks(subjects: Subjects) -> list[tuple[str, bytes]]:
    """Each subject's Turtle, in subject order: the Turtle of a graph is
    ``turtle_header()`` followed by its subjects' blocks (``turtle_from_blocks``).

    The layout is Oxigraph's (a subject, its predicates joined by `` ;`` and a new
    line and a tab, a predicate's objects by `` , ``, then `` .``) and so is the
    spelling of every IRI and typed literal: Oxigraph is asked for all of them in
    one call (``_spellings``). Plain and tagged strings are spelled as in
    N-Triples, which ``kg.base.terms`` escapes exactly as Oxigraph does. Writing the
    blocks here, rather than having Oxigraph read the triples back from Python
    objects and write them, is three times faster at a million triples, and
    ``tests/test_export.py`` checks every byte against Oxigraph's own writer.
    """
    order = sorted(subjects)
    predicates: set[str] = set()
    others: set[str] = set(order)
    for pairs in subjects.values():
        for predicate, obj in pairs:
            predicates.add(predicate)
            if obj[0] != '"' or obj[-1] == ">":  # an IRI or a typed literal
                others.add(obj)
    spelled_predicate, spelled = _spellings(predicates, others)
    # What stands before a subject's first object of a predicate, and before the first of each next predicate.
    opening = {predicate: f" {text} " for predicate, text in spelled_predicate.items()}
    following = {predicate: f" ;\n\t{text} " for predicate, text in spelled_predicate.items()}
    spell = spelled.get
    blocks = []
    for subject in order:
        parts = [spelled[subject]]
        append = parts.append
        last = None
        for predicate, obj in _sorted_pairs(subjects[subject]):
            if predicate == last:
                append(" , ")
            else:
                append(following[predicate] if last is not None else opening[predicate])
                last = predicate
            append(spell(obj, obj))
        append(" .\n")
        blocks.append((subject, "".join(parts).encode("utf-8")))
    return blocks


# Turtle's INTEGER and DECIMAL (Turtle 1.1, section 6.5): Oxigraph writes these bare.
_BARE = {XSD_TEXT + "integer": re.compile(r"[+-]?[0-9]+"), XSD_TEXT + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+")}


def _spellings(predicates: set[str], terms: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """How Oxigraph's Turtle writer spells each predicate, and each IRI or typed literal.

    Each term goes into a triple of its own with placeholder IRIs no prefix
    abbreviates, so that each line of Oxigraph's output holds one spelling.
    """
    spelled: dict[str, str] = {}
    asked: list[str] = []
    for term in terms:
        if term[0] == '"':
            end = term.rindex('"')
            pattern = _BARE.get(term[end + 4 : -1])
            if pattern is not None and pattern.fullmatch(term[1:end]):
                spelled[term] = term[1:end]
                continue
        asked.append(term)
    dummy_p, dummy_o = ox.NamedNode("urn:x-kg:p"), ox.NamedNode("urn:x-kg:o")
    triples = [ox.Triple(ox.NamedNode(f"urn:x-kg:s{i}"), ox.NamedNode(p), dummy_o) for i, p in enumerate(sorted(predicates))]
    triples += [ox.Triple(ox.NamedNode(f"urn:x-kg:t{i}"), dummy_p, _to_oxigraph(term)) for i, term in enumerate(asked)]
    prefixes = {prefix: str(namespace) for prefix, namespace in sorted(PREFIXES.items())}
    lines = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode("utf-8").split("\n")
    body = [line for line in lines if line and not line.startswith("@prefix")]
    spelled_predicate = {}
    for line, predicate in zip(body, sorted(predicates)):
        spelled_predicate[predicate] = line.split(" ", 1)[1].rsplit(" ", 2)[0]
    for line, term in zip(body[len(predicates):], asked):
        spelled[term] = line.split(" ", 2)[2][: -len(" .")]
    if len(body) != len(predicates) + len(asked):  # pragma: no cover - a change in Oxigraph's writer
        raise RuntimeError("Oxigraph's Turtle writer no longer writes one triple a line")
    return spelled_predicate, spelled


def _to_oxigraph(term: str) -> ox.NamedNode | ox.Literal:
    if term[0] != '"':
        return ox.NamedNode(term)
    lexical, lang, datatype = parts(term)
    if lang:
        return ox.Literal(lexical, language=lang)
    return ox.Literal(lexical, datatype=ox.NamedNode(datatype) if datatype else None)


def turtle_from_blocks(blocks: Iterable[tuple[str, bytes]]) -> bytes:
    """The Turtle of every block's subject together, byte for byte what ``serialize`` writes."""
    ordered = sorted(blocks, key=_first)
    if not ordered:
        return b""
    return turtle_header() + b"".join(block for _, block in ordered)


def _first(pair: tuple[str, bytes]) -> str:
    return pair[0]


@cache
def turtle_header() -> bytes:
    """The prefix lines Oxigraph starts a Turtle file with (in its own order)."""
    prefixes = {prefix: str(namespace) for prefix, namespace in sorted(PREFIXES.items())}
    one = ox.Triple(ox.NamedNode("urn:x-kg:s"), ox.NamedNode("urn:x-kg:p"), ox.NamedNode("urn:x-kg:o"))
    data = ox.serialize([one], format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    return b"".join(line for line in data.splitlines(keepends=True) if line.startswith(b"@prefix"))


# --- checked before written ----------------------------------------------------------------

def check_xml(data: bytes, what: str = "XML") -> None:
    """Raise ExportError unless ``data`` is well-formed XML (read by expat, a real XML parser)."""
    parser = expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except expat.ExpatError as err:
        raise ExportError(f"the {what} would not be well formed (line {err.lineno}, column {err.offset + 1}: "
                          f"{expat.ErrorString(err.code)}); nothing was written") from None


def check_turtle_blocks(blocks: Sequence[bytes], triples: int) -> None:
    """Raise ExportError unless the blocks, after ``turtle_header()``, read back
    through Oxigraph's parser as ``triples`` triples, each block a whole statement."""
    count = 0
    try:
        for _ in ox.parse(turtle_header() + b"".join(blocks), format=ox.RdfFormat.TURTLE):
            count += 1
    except (SyntaxError, ValueError) as err:
        raise ExportError(f"the turtle export would not read back ({err}); nothing was written") from None
    if count != triples or not all(block.endswith(b" .\n") for block in blocks):
        raise ExportError(f"the turtle export would read back as {count} triples, not {triples}; nothing was written")


def check_rdf(format: str) -> Callable[[bytes], None]:
    """A check that bytes in the RDF ``format`` read back: RDF/XML through expat and
    Oxigraph, every other format through Oxigraph's parser (no graph is kept).
    Turtle a build has read back already (``ReadTurtle``) is not read again."""
    name = format_for(format, None)
    rdf_format = FORMATS[name][0]

    def check(data: bytes) -> None:
        if name == "turtle" and type(data) is ReadTurtle:
            return
        if name == "xml":
            check_xml(data, "RDF/XML")
        try:
            for _ in ox.parse(data, format=rdf_format):
                pass
        except (SyntaxError, ValueError) as err:
            raise ExportError(f"the {name} export would not read back ({err}); nothing was written") from None

    return check
