"""Hostile text in facts round-trips exactly through every export, and outside parsers accept it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

import kg

BASE = Path(__file__).parent / "fixtures" / "base"
ROOT = Path(__file__).parent.parent

# YAML double-quoted escapes, so the file itself stays printable.
HOSTILE = {
    "quotes": r'''"He said \"hi\" and 'bye' \"\"\" '''"'''"r''' end"''',
    "backslashes": r'"C:\\path\\to\\file \\n not a newline \\u0041"',
    "newlines": r'"line one\nline two\r\nline three\ttabbed"',
    "controls": r'"bell \x07 escape \x1b unit \x1f delete \x7f"',
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
    assert "\x07" in expected["controls"] and "\u202e" in expected["bidi"] and len(expected["long"]) == 10000


@pytest.mark.parametrize(("format_name", "parser"), [("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_every_export_reads_back_exactly(hostile, format_name, parser):
    graph, expected = hostile
    data = kg.serialize(graph, format_name)
    assert labels(Graph().parse(data=data, format=parser)) == expected
    if format_name == "jsonld":
        json.loads(data)


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
