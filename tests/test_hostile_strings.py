"""Hostile text in facts round-trips exactly through every export, and outside parsers accept it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from xml.etree import ElementTree

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

import kg
from kg.show import views
from kg.base.errors import ExportError
from kg.build.export import check_rdf

BASE = Path(__file__).parent / "fixtures" / "base"
ROOT = Path(__file__).parent.parent

# YAML double-quoted escapes, so the file itself stays printable.
HOSTILE = {
    "quotes": r'''"He said \"hi\" and 'bye' \"\"\" '''"'''"r''' end"''',
    "backslashes": r'"C:\\path\\to\\file \\n not a newline \\u0041"',
    "newlines": r'"line one\nline two\n\nline three\ttabbed"',
    "bidi": r'"right-to-left \u200f mark \u202e override \u202c pop \u2066 isolate"',
    "emoji": r'"rocket \U0001F680 family \U0001F468\u200D\U0001F469\u200D\U0001F467 flag \U0001F1E8\U0001F1F3"',
    "markup": r'"<script>alert(1)</script> <img src=x onerror=alert(1)> {{x}} ${x} @prefix x: <y> ."',
    "long": '"' + "长" * 5000 + "x" * 5000 + '"',
}


def hostile_facts(tmp_path: Path) -> Path:
    facts = tmp_path / "facts"
    shutil.copytree(BASE, facts)
    entries = "".join(
        f"""
  - id: hostile-{name}
    roles: [investment-firm]
    name: {{zh: {value}, en: {value}}}
    source: outside
    note: {value}
    locator: {value}
"""
        for name, value in HOSTILE.items()
    )
    (facts / "hostile.yaml").write_text(
        "sources:\n  - id: outside\n    kind: report\n    title: {zh: 外部, en: Outside}\n"
        "organizations:" + entries,
        encoding="utf-8",
    )
    return facts


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    facts = hostile_facts(tmp_path_factory.mktemp("hostile"))
    graph = kg.load_graph(facts)
    import yaml

    expected = {name: yaml.safe_load(value) for name, value in HOSTILE.items()}
    return graph, expected


def labels(graph: Graph) -> dict[str, str]:
    prefix = "https://w3id.org/gpu-kg/id/hostile-"
    return {
        str(s)[len(prefix):]: str(o)
        for s, o in graph.subject_objects(RDFS.label)
        if str(s).startswith(prefix) and o.language == "en"
    }


def test_the_strings_reach_the_graph_unchanged(hostile):
    graph, expected = hostile
    assert labels(graph) == expected
    assert "\u202e" in expected["bidi"] and len(expected["long"]) == 10000


@pytest.mark.parametrize("escape", [r"\x00", r"\x07", r"\x1b", r"\x1f", r"\x7f", r"\x85", r"\x9f", r"\ufffe", r"\r"])
def test_a_control_character_is_refused_where_it_is_written(tmp_path, monkeypatch, escape):
    """At the start of the string that holds it: YAML gives no position inside a string."""
    monkeypatch.chdir(tmp_path)
    facts = tmp_path / "facts"
    shutil.copytree(BASE, facts)
    (facts / "hostile.yaml").write_text(
        "sources:\n  - id: outside\n    kind: report\n"
        f'    title: {{zh: 外部, en: "before {escape} after"}}\n', encoding="utf-8")
    with pytest.raises(kg.InputError) as caught:
        kg.load_graph(facts)
    [problem] = caught.value.problems
    assert str(problem).startswith(f"{Path('facts', 'hostile.yaml')}:4:25: a control character (")
    assert "has no place in a fact; remove it" in problem.message


def test_a_raw_control_character_or_nul_byte_has_its_line_and_column(tmp_path):
    facts = tmp_path / "facts"
    shutil.copytree(BASE, facts)
    (facts / "hostile.yaml").write_bytes("sources:\n  - id: outside\n    kind: re\x00port\n".encode())
    with pytest.raises(kg.InputError) as caught:
        kg.load_graph(facts)
    assert [problem.message for problem in caught.value.problems] == [
        "a control character (NUL) has no place in a fact; remove it"]
    assert caught.value.problems[0].location[1:] == (3, 13)


@pytest.mark.parametrize(("format_name", "parser"), [
    ("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("xml", "xml"), ("trig", "trig")])
def test_every_export_reads_back_exactly(hostile, format_name, parser):
    graph, expected = hostile
    data = kg.serialize(graph, format_name)
    check_rdf(format_name)(data)
    if format_name == "trig":
        from rdflib import Dataset

        dataset = Dataset()
        dataset.parse(data=data, format=parser)
        assert labels(dataset.graph(URIRef("https://w3id.org/gpu-kg/graph"))) == expected
        return
    assert labels(Graph().parse(data=data, format=parser)) == expected
    if format_name == "jsonld":
        json.loads(data)
    if format_name == "xml":
        ElementTree.fromstring(data)


@pytest.mark.parametrize("format_name", ["graphml", "gexf"])
def test_the_network_exports_are_well_formed_xml(hostile, format_name):
    graph, expected = hostile
    data = views.render(views.select_view(graph, name="all"), format_name)
    read = set()
    for element in ElementTree.fromstring(data).iter():
        read.add(element.text)
        read.update(element.attrib.values())
    assert set(expected.values()) <= read


def test_an_export_that_would_be_ill_formed_is_not_written(tmp_path, hostile):
    """A control character that reached a graph some other way (a store filled by another
    tool) stops the GraphML and RDF/XML exports before anything is written."""
    graph, _ = hostile
    graph = Graph() + graph
    graph.add((URIRef("https://w3id.org/gpu-kg/id/hostile-long"), RDFS.label, Literal("escape \x1b", lang="en")))
    target = tmp_path / "all.graphml"
    target.write_bytes(b"the previous export")
    with pytest.raises(ExportError, match=r"the GraphML would not be well formed \(line \d+, column \d+"):
        kg.write_atomically(target, views.render(views.select_view(graph, name="all"), "graphml"))
    with pytest.raises(ExportError, match=r"the RDF/XML would not be well formed"):
        kg.write_atomically(tmp_path / "g.rdf", kg.serialize(graph, "xml"), check=check_rdf("xml"))
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.graphml"]


@pytest.mark.parametrize(("format_name", "syntax"), [("turtle", "turtle"), ("nt", "ntriples")])
def test_rapper_accepts_the_exports(hostile, tmp_path, format_name, syntax):
    from conftest import need_tool

    rapper = need_tool("rapper", "apt-get install raptor2-utils")
    graph, _ = hostile
    path = tmp_path / f"hostile.{format_name}"
    path.write_bytes(kg.serialize(graph, format_name))
    result = subprocess.run([rapper, "-i", syntax, "-c", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"returned {len(graph)} triples" in result.stderr


@pytest.mark.parametrize("format_name", ["turtle", "nt"])
def test_jena_accepts_the_exports(hostile, tmp_path, format_name):
    from conftest import need_jena

    riot = need_jena()
    graph, _ = hostile
    path = tmp_path / f"hostile.{'ttl' if format_name == 'turtle' else 'nt'}"
    path.write_bytes(kg.serialize(graph, format_name))
    result = subprocess.run(["sh", riot, "--validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_oxigraph_reads_the_json_ld(hostile):
    import pyoxigraph as ox

    graph, expected = hostile
    triples = list(ox.parse(kg.serialize(graph, "jsonld"), format=ox.RdfFormat.JSON_LD))
    found = {
        t.subject.value.rsplit("hostile-", 1)[1]: t.object.value
        for t in triples
        if "hostile-" in t.subject.value and t.predicate.value == str(RDFS.label) and t.object.language == "en"
    }
    assert found == expected
