"""Exports are byte-stable, round-trip exactly, and independent parsers accept them."""

from __future__ import annotations

import difflib
import os
import random
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

import kg
from kg.base.ontology import GRAPH_IRI
from kg.build.export import FORMATS, format_for
from kg.base.ontology import GPU

from conftest import SEED

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden" / "gpu-kg.ttl"


def unified_diff(expected: str, actual: str) -> str:
    return "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "expected", "actual"))


@pytest.fixture(scope="module")
def turtle(graph) -> bytes:
    return kg.serialize(graph, "turtle")


def test_turtle_matches_the_golden_file(turtle):
    if os.environ.get("KG_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_bytes(turtle)
    diff = unified_diff(GOLDEN.read_text(encoding="utf-8"), turtle.decode("utf-8"))
    assert not diff, diff


@pytest.mark.parametrize("format_name", sorted(set(FORMATS) - {"trig"}))
def test_every_format_round_trips_to_the_same_graph(graph, format_name):
    data = kg.serialize(graph, format_name)
    rdflib_format = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml"}[format_name]
    parsed = Graph().parse(data=data, format=rdflib_format)
    assert isomorphic(parsed, graph)


def test_trig_holds_the_graph_under_its_name(graph):
    dataset = Dataset()
    dataset.parse(data=kg.serialize(graph, "trig"), format="trig")
    assert isomorphic(dataset.graph(GRAPH_IRI), graph)
    assert sum(len(g) for g in dataset.graphs()) == len(graph)


def test_turtle_has_no_blank_nodes_and_binds_every_prefix(turtle):
    text = turtle.decode("utf-8")
    assert "_:" not in text
    declared = set(re.findall(r"^@prefix (\w+):", text, re.MULTILINE))
    body = "\n".join(line for line in text.splitlines() if not line.startswith("@prefix"))
    used = set(re.findall(r"(?<![\w<\"/#])([a-z]+):[A-Za-z]", re.sub(r'"[^"]*"', '""', body)))
    used -= {"https", "http"}
    assert used <= declared
    assert not re.search(r"^@prefix ns\d+:", text, re.MULTILINE), "rdflib invented a prefix"


def test_decimals_survive_export_exactly(graph, turtle):
    parsed = Graph().parse(data=turtle, format="turtle")
    values = {o.toPython() for o in parsed.objects(None, GPU.value)}
    assert {Decimal("692.95"), Decimal("305500000000"), 52000} <= values
    assert all(not isinstance(v, float) for v in values)


def test_the_export_command_gives_the_same_bytes_across_hash_seeds(turtle):
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run(
            [sys.executable, "-m", "kg", "export", "--facts", str(SEED)],
            env=env, capture_output=True, check=True,
        ).stdout
        assert out == turtle, f"PYTHONHASHSEED={seed} changed the export"


DIGESTS = """
import hashlib, sys, kg, kg.build.export
graph = kg.load_graph(sys.argv[1])
for name in sorted(kg.build.export.FORMATS):
    print(name, hashlib.sha256(kg.serialize(graph, name)).hexdigest())
"""


def test_every_format_gives_the_same_bytes_across_hash_seeds():
    outputs = {
        subprocess.run(
            [sys.executable, "-c", DIGESTS, str(SEED)],
            env=dict(os.environ, PYTHONHASHSEED=seed), capture_output=True, text=True, check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1, outputs


def _entries(path: Path) -> list[tuple[str, str]]:
    """(kind, text of one entry) for every entry of a shipped fact file."""
    entries: list[tuple[str, str]] = []
    kind = None
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if re.match(r"^[a-z_]+:\s*$", line):
            kind = line.split(":")[0]
        elif line.startswith("  - "):
            entries.append((kind, line))
        elif entries and line.startswith("    "):
            entries[-1] = (kind, entries[-1][1] + line)
    return entries


@pytest.mark.parametrize("seed", range(3))
def test_shuffled_entries_in_other_files_give_the_same_turtle(turtle, tmp_path, seed):
    entries = [entry for path in sorted(SEED.rglob("*.yaml")) for entry in _entries(path)]
    rng = random.Random(seed)
    rng.shuffle(entries)
    shutil.copytree(SEED / "texts", tmp_path / "texts")
    for number in range(4):  # spread over four files, kinds mixed
        chunk = entries[number::4]
        by_kind: dict[str, list[str]] = {}
        for kind, text in chunk:
            by_kind.setdefault(kind, []).append(text)
        body = "".join(f"{kind}:\n" + "".join(texts) for kind, texts in by_kind.items())
        (tmp_path / f"part-{rng.randint(0, 10**6)}-{number}.yaml").write_text(body, encoding="utf-8")
    assert kg.serialize(kg.load_graph(tmp_path), "turtle") == turtle


def test_format_is_guessed_from_the_suffix():
    assert [format_for(None, f"x{s}") for s in (".ttl", ".nt", ".jsonld", ".rdf", ".trig")] == [
        "turtle", "nt", "jsonld", "xml", "trig",
    ]
    with pytest.raises(kg.UsageError, match="cannot tell the format of 'x.csv'"):
        format_for(None, "x.csv")


def test_rapper_accepts_the_turtle(graph, turtle, tmp_path):
    from conftest import need_tool

    rapper = need_tool("rapper", "apt-get install raptor2-utils")
    path = tmp_path / "gpu-kg.ttl"
    path.write_bytes(turtle)
    result = subprocess.run([rapper, "-i", "turtle", "-c", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"returned {len(graph)} triples" in result.stderr


def test_jena_riot_accepts_the_turtle(graph, turtle, tmp_path):
    from conftest import need_jena

    riot = need_jena()
    path = tmp_path / "gpu-kg.ttl"
    path.write_bytes(turtle)
    result = subprocess.run(["sh", riot, "--validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    counted = subprocess.run(["sh", riot, "--count", str(path)], capture_output=True, text=True)
    assert f"Triples = {len(graph):,}" in counted.stdout + counted.stderr


@pytest.mark.parametrize("format_name, suffix", [("jsonld", ".jsonld"), ("nt", ".nt"), ("xml", ".rdf")])
def test_jena_riot_reads_every_other_export_with_the_same_triples(graph, tmp_path, format_name, suffix):
    """scripts/riot reads the JSON-LD export too (as JSON-LD 1.0: Debian lacks what Jena's 1.1 reader needs)."""
    from conftest import need_jena
    from kg.build.export import serialize

    riot = need_jena()
    path = tmp_path / f"gpu-kg{suffix}"
    path.write_bytes(serialize(graph, format_name))
    counted = subprocess.run(["sh", riot, "--count", str(path)], capture_output=True, text=True)
    assert counted.returncode == 0 and "ERROR" not in counted.stderr, counted.stderr
    assert f"Triples = {len(graph):,}" in counted.stdout + counted.stderr
