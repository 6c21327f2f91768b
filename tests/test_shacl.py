"""The compiled shapes fail exactly the nodes pySHACL fails, and the report is pySHACL's.

Differential: the shipped graph is mutated at random (triples dropped, added,
retyped, values pushed out of range) and both engines check the result. Set
``KG_SHACL_ROUNDS`` for a longer run.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from rdflib import URIRef

import kg
from kg.build.graph import FactGraph
from kg.base.ontology import shapes_graph
from kg.build.shacl import Data, Unsupported, compile_shapes, compiled_shapes
from kg.base.terms import XSD, literal
from kg.build.validate import neighbourhood, pyshacl_results

# rdflib warns about the odd literals these tests make on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:Parsing weird boolean")
ROUNDS = int(os.environ.get("KG_SHACL_ROUNDS", "10"))
KGR = "https://w3id.org/gpu-kg/id/"
GPU = "https://w3id.org/gpu-kg/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
CASES = Path(__file__).parent / "bad_facts"
BASE = Path(__file__).parent / "fixtures" / "base"


def engines_agree(graph: FactGraph) -> tuple[set, set]:
    """(nodes the compiled shapes fail, nodes pySHACL reports), and the neighbourhood check."""
    shapes = compiled_shapes()
    ours = set(shapes.failing(Data(graph.subjects), graph.subjects))
    full = set(pyshacl_results(graph.to_rdflib()))
    theirs = {str(focus) for focus, *_ in full}
    if ours:  # pySHACL on the failing nodes' neighbourhood says what it says on the whole graph
        near = set(pyshacl_results(neighbourhood(graph.subjects, ours, shapes.reach())))
        focus = {URIRef(node) for node in ours}
        assert {r for r in near if r[0] in focus} == {r for r in full if r[0] in focus}
    return ours, theirs


def test_the_shipped_shapes_compile():
    assert compiled_shapes().targeted
    assert compiled_shapes().reach() == 2  # gpu:metric / gpu:expectedUnit, then the unit's type


def test_the_shipped_graph_conforms_for_both(graph):
    fact_graph = FactGraph.from_rdflib(graph)
    assert engines_agree(fact_graph) == (set(), set())


def mutate(subjects: dict[str, list[tuple[str, str]]], rng: random.Random) -> str:
    """Change one subject's triples the way a bad fact or a bad edit of the build would."""
    subject = rng.choice(sorted(subjects))
    pairs = subjects[subject]
    every_object = sorted({o for ps in subjects.values() for _, o in ps})
    classes = sorted({o for ps in subjects.values() for p, o in ps if p == RDF_TYPE})
    how = rng.choice(["drop", "add-same-predicate", "add-any", "retype", "relang", "number", "reclass", "swap"])
    if how == "drop" and pairs:
        pairs.pop(rng.randrange(len(pairs)))
    elif how == "add-same-predicate" and pairs:
        predicate = rng.choice(pairs)[0]
        pairs.append((predicate, rng.choice(every_object)))
    elif how == "add-any":
        predicate = rng.choice(sorted({p for ps in subjects.values() for p, _ in ps}))
        pairs.append((predicate, rng.choice(every_object)))
    elif how == "retype":
        literals = [i for i, (_, o) in enumerate(pairs) if o[0] == '"']
        if literals:
            i = rng.choice(literals)
            text = pairs[i][1][1 : pairs[i][1].rindex('"')]
            datatype = rng.choice(["decimal", "integer", "string", "date", "gYear", "anyURI", "boolean"])
            pairs[i] = (pairs[i][0], literal(text, datatype=XSD + datatype))
    elif how == "relang":
        literals = [i for i, (_, o) in enumerate(pairs) if o[0] == '"']
        if literals:
            i = rng.choice(literals)
            text = pairs[i][1][1 : pairs[i][1].rindex('"')]
            pairs[i] = (pairs[i][0], literal(text, lang=rng.choice(["en", "zh", "fr", "zh-hans", None])))
    elif how == "number":
        value = rng.choice(["-1.5", "0.0", "100.0", "150.0", "-3", "7", "2.5e3"])
        datatype = XSD + ("integer" if "." not in value and "e" not in value else "decimal")
        predicate = rng.choice([GPU + "value", GPU + "minValue", GPU + "maxValue", GPU + "preMoneyValuation"])
        pairs[:] = [pair for pair in pairs if pair[0] != predicate] + [(predicate, literal(value, datatype=datatype))]
    elif how == "reclass":
        types = [i for i, (p, _) in enumerate(pairs) if p == RDF_TYPE]
        if types:
            pairs[rng.choice(types)] = (RDF_TYPE, rng.choice(classes))
        else:
            pairs.append((RDF_TYPE, rng.choice(classes)))
    elif how == "swap":
        lows = [i for i, (p, _) in enumerate(pairs) if p in (GPU + "minValue", GPU + "startDate")]
        highs = [i for i, (p, _) in enumerate(pairs) if p in (GPU + "maxValue", GPU + "endDate")]
        if lows and highs:
            (i, j) = (lows[0], highs[0])
            pairs[i], pairs[j] = (pairs[i][0], pairs[j][1]), (pairs[j][0], pairs[i][1])
    return f"{how} {subject}"


@pytest.mark.parametrize("seed", range(ROUNDS))
def test_mutated_graphs_fail_the_same_nodes_in_both(graph, seed):
    rng = random.Random(seed)
    subjects = {s: list(pairs) for s, pairs in FactGraph.from_rdflib(graph).subjects.items()}
    done = [mutate(subjects, rng) for _ in range(6)]
    ours, theirs = engines_agree(FactGraph(subjects))
    assert ours == theirs, done


def test_the_bad_facts_that_reach_the_shapes_fail_the_same_nodes(tmp_path):
    reached = 0
    for case in sorted(CASES.glob("*.yaml")):
        facts = tmp_path / case.stem
        shutil.copytree(BASE, facts)
        shutil.copy(case, facts / case.name)
        try:
            loaded = kg.load_facts(facts)
        except kg.InputError:
            continue  # stopped before the graph is built
        if loaded.warnings:
            continue  # a warning case: the graph is whole, and the warning is the message
        reached += 1
        ours, theirs = engines_agree(kg.fact_graph(loaded))
        assert ours == theirs and ours, case.name
    assert reached >= 2


def test_shapes_beyond_the_compiled_subset_are_refused():
    extra = shapes_graph().__class__()
    for triple in shapes_graph():
        extra.add(triple)
    extra.update("""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        PREFIX gpu: <https://w3id.org/gpu-kg/ontology#>
        INSERT DATA { <urn:x:shape> sh:targetClass gpu:Figure ; sh:closed true . }
    """)
    with pytest.raises(Unsupported, match="closed"):
        compile_shapes(extra)
