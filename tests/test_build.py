"""The built graph: closed vocabulary, no blank nodes, and every number of the article in it."""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import OWL, RDF, RDFS, BNode, Literal, URIRef

from kg.base.ontology import GPU, ontology_graph
from kg.author.coverage import coverage

from conftest import SEED

ARTICLE = (SEED / "texts" / "iluvatar-hkex-hearing-article.txt").read_text(encoding="utf-8")
GPU_NS = str(GPU)


def declared_terms() -> set[URIRef]:
    ontology = ontology_graph()
    return {s for s in ontology.subjects(RDF.type, None) if isinstance(s, URIRef) and s.startswith(GPU_NS)}


def test_every_term_the_code_names_is_declared_in_the_ontology():
    code_terms = {GPU[name] for name in GPU.__annotations__}
    assert code_terms - declared_terms() == set()


def test_every_ontology_term_the_graph_uses_is_declared(graph):
    used = {term for triple in graph for term in triple if isinstance(term, URIRef) and term.startswith(GPU_NS)}
    assert used - declared_terms() == set()


def test_every_class_and_property_is_documented_in_both_languages():
    ontology = ontology_graph()
    undocumented = []
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in ontology.subjects(RDF.type, kind):
            langs = {label.language for label in ontology.objects(term, RDFS.label)}
            complete = langs >= {"en", "zh"} and (term, RDFS.comment, None) in ontology
            if kind != OWL.Class:
                complete = complete and (term, RDFS.domain, None) in ontology and (term, RDFS.range, None) in ontology
            if not complete:
                undocumented.append(term)
    assert undocumented == []


def test_the_graph_has_no_blank_nodes(graph):
    assert [t for t in graph if any(isinstance(term, BNode) for term in t)] == []


def test_money_and_percentages_are_decimals_and_counts_are_integers(graph):
    datatypes = {o.datatype for o in graph.objects(None, GPU.value)}
    assert datatypes <= {URIRef("http://www.w3.org/2001/XMLSchema#decimal"), URIRef("http://www.w3.org/2001/XMLSchema#integer")}
    assert Literal("189000000.0", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal")) in set(graph.objects(None, GPU.value))


def test_every_amount_in_the_article_is_a_stated_value_in_the_graph(facts, graph):
    # The check `kg coverage` runs: each number of the stored text is a value of some statement of its source.
    result = coverage(facts, graph, SEED / "texts" / "iluvatar-hkex-hearing-article.txt", "article")
    assert len(result.numbers) > 50
    assert [c.candidate.text for c in result.missing] == []


def test_every_year_in_the_article_dates_something(graph):
    years = set(re.findall(r"(20\d\d)年", ARTICLE))
    dated = {str(o)[:4] for p in (GPU.date, GPU.foundedIn, GPU.startDate, GPU.endDate) for o in graph.objects(None, p)}
    assert years - dated == set()


def test_every_sentence_with_a_number_is_quoted_by_some_fact(graph):
    quotes = [str(o) for o in graph.objects(None, GPU.quote)]
    sentences = [s for s in re.split(r"(?<=[。;!])|\n", ARTICLE) if re.search(r"\d", s) and "信源" not in s]
    unquoted = [s for s in sentences if not any(q in s or s.strip() in q for q in quotes if len(q) > 6)]
    assert unquoted == []
