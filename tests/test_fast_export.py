"""The exports written from string terms are byte for byte what Oxigraph writes, in rdflib's order.

``kg.build.export`` sorts the string terms of ``kg.base.terms`` with rdflib's order of terms,
writes N-Triples itself and Turtle blocks itself (asking Oxigraph only how to spell
terms). These tests hold them to the slow, obvious route: sort rdflib's terms, hand
the triples to Oxigraph's writers.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

import kg
from kg.build.graph import FactGraph
from kg.base.ontology import PREFIXES, new_graph
from kg.build.export import serialize
from kg.facts.synth import write_synthetic
from kg.base.terms import from_rdflib, literal, number_value, parts

# rdflib warns about the odd literals these tests make on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:Parsing weird boolean")
XSD = "http://www.w3.org/2001/XMLSchema#"
KGR = "https://w3id.org/gpu-kg/id/"
GPU = "https://w3id.org/gpu-kg/ontology#"


def by_oxigraph(graph: Graph, format: ox.RdfFormat) -> bytes:
    """What the export wrote before: rdflib's sorted triples through Oxigraph's writer."""
    def term(node):
        if isinstance(node, URIRef):
            return ox.NamedNode(str(node))
        if node.language:
            return ox.Literal(str(node), language=node.language)
        return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)) if node.datatype else None)

    prefixes = {prefix: str(namespace) for prefix, namespace in sorted(PREFIXES.items())}
    triples = [ox.Triple(term(s), term(p), term(o)) for s, p, o in sorted(graph)]
    return ox.serialize(triples, format=format, prefixes=prefixes)


def assert_same_as_oxigraph(graph: Graph) -> None:
    fact_graph = FactGraph.from_rdflib(graph)
    assert serialize(fact_graph, "nt") == by_oxigraph(graph, ox.RdfFormat.N_TRIPLES)
    assert serialize(fact_graph, "turtle") == by_oxigraph(graph, ox.RdfFormat.TURTLE)


def test_the_shipped_graph(graph):
    assert_same_as_oxigraph(graph)


def test_a_synthetic_graph(tmp_path):
    write_synthetic(tmp_path / "facts", 30, seed=2)
    assert_same_as_oxigraph(kg.load_graph(tmp_path / "facts"))


def random_term(rng: random.Random, *, literal_ok: bool = True) -> str:
    if literal_ok and rng.random() < 0.6:
        text = "".join(rng.choice('ab 天"\\\n\t\x07\u202e#:./-_%~0123456789') for _ in range(rng.randrange(0, 8)))
        how = rng.choice(["plain", "lang", "integer", "decimal", "double", "boolean", "date", "gYear", "anyURI", "odd"])
        if how == "plain":
            return literal(text)
        if how == "lang":
            return literal(text, lang=rng.choice(["en", "zh", "zh-hans", "en-gb"]))
        lexical = {
            "integer": rng.choice(["0", "42", "-7", "+5", "05", "1.5", "abc"]),
            "decimal": rng.choice(["1.5", "-0.5", ".5", "5.", "189000000.0", "1e3", "x"]),
            "double": rng.choice(["1e3", "1.0E3", "INF", "2"]),
            "boolean": rng.choice(["true", "false", "1", "yes"]),
            "date": rng.choice(["2025-06-30", "2025-13-01", "x"]),
        }.get(how, text)
        datatype = XSD + how if how != "odd" else "http://example.org/type#" + rng.choice(["a", "b-c"])
        return literal(lexical, datatype=datatype)
    local = "".join(rng.choice("abz09-_.~%/:") for _ in range(rng.randrange(1, 8)))
    base = rng.choice([KGR, GPU, "http://www.w3.org/2000/01/rdf-schema#", "http://example.org/", "urn:x:"])
    if "%" in local:
        local = local.replace("%", "%4A")
    return base + local


@pytest.mark.parametrize("seed", range(int(os.environ.get("KG_EXPORT_ROUNDS", "8"))))
def test_random_graphs(seed):
    rng = random.Random(seed)
    graph = new_graph()
    subjects = [random_term(rng, literal_ok=False) for _ in range(40)]
    predicates = [random_term(rng, literal_ok=False) for _ in range(6)] + ["http://www.w3.org/1999/02/22-rdf-syntax-ns#type"]
    numeric = set(predicates[:2])  # rdflib's order is total only when a predicate's objects are all numbers or none
    added = 0
    while added < 300:
        s, p, o = rng.choice(subjects), rng.choice(predicates), random_term(rng)
        value = number_value(o)
        if (value is not None) != (p in numeric):
            continue
        if value is not None and value in {number_value(from_rdflib(x)) for x in graph.objects(URIRef(s), URIRef(p))}:
            continue  # equal numbers tie in rdflib's order, which then follows hash order
        lexical, lang, datatype = parts(o) if o[0] == '"' else (o, None, None)
        node = URIRef(o) if o[0] != '"' else Literal(lexical, lang=lang, datatype=URIRef(datatype) if datatype else None)
        graph.add((URIRef(s), URIRef(p), node))
        added += 1
    assert_same_as_oxigraph(graph)


def test_string_terms_round_trip_through_rdflib():
    for node in [Literal("x"), Literal("天", lang="zh"), Literal("1.5", datatype=URIRef(XSD + "decimal")),
                 URIRef(KGR + "iluvatar"), Literal('a"b\\c\nd')]:
        assert kg.base.terms.to_rdflib(from_rdflib(node)) == node


def test_the_golden_file_is_what_the_writer_writes(graph):
    golden = Path(__file__).parent / "golden" / "gpu-kg.ttl"
    assert serialize(FactGraph.from_rdflib(graph), "turtle") == golden.read_bytes()
