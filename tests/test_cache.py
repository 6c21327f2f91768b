"""Builds that reuse the cache give the bytes a build from scratch gives, and read only what changed."""

from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg
import kg.build.lastbuild
from kg.build import cache
from kg.build.graph import fact_graph
from kg.build.pipeline import build_turtle
from kg.base.config import CACHE_NAME
from kg.cli import main
from kg.build.export import serialize, turtle_blocks, turtle_from_blocks
from kg.facts.synth import write_synthetic

from conftest import SEED

ROOT = Path(__file__).parent.parent


def from_scratch(facts: Path) -> bytes:
    return serialize(kg.checked_graph(kg.load_facts(facts)), "turtle")


@pytest.fixture
def synthetic(tmp_path) -> Path:
    write_synthetic(tmp_path / "facts", 40, seed=5)
    return tmp_path / "facts"


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_a_graph_is_the_header_and_its_subjects_blocks(graph):
    subjects = kg.FactGraph.from_rdflib(graph).subjects
    names = sorted(subjects)
    parts = [{s: subjects[s] for s in names[i::5]} for i in range(5)]
    blocks = [block for part in parts for block in turtle_blocks(part)]
    random.Random(1).shuffle(blocks)
    assert turtle_from_blocks(blocks) == serialize(graph, "turtle")


def test_the_first_build_is_the_export_and_the_second_reads_nothing(tmp_path):
    facts = tmp_path / "facts"
    shutil.copytree(SEED, facts)
    first = build_turtle(facts, cache_dir=tmp_path / CACHE_NAME)
    assert first.turtle == from_scratch(facts)
    assert (first.compiled, first.files) == (len(list(facts.rglob("*.yaml"))),) * 2
    again = build_turtle(facts, cache_dir=tmp_path / CACHE_NAME)
    assert (again.turtle, again.triples, again.records, again.compiled) == (first.turtle, first.triples, first.records, 0)


def test_an_edited_figure_file_is_the_only_one_read(synthetic, tmp_path):
    build_turtle(synthetic, cache_dir=tmp_path / CACHE_NAME)
    part = synthetic / "figures" / "part-0001.yaml"
    value = re.search(r"values: \{2024: ([0-9.]+亿元)\}", part.read_text(encoding="utf-8"))[1]
    edit(part, value, "1234.56亿元")
    built = build_turtle(synthetic, cache_dir=tmp_path / CACHE_NAME)
    assert built.compiled == 1
    assert built.turtle == from_scratch(synthetic)
    assert "1234.56亿元" in built.turtle.decode()


def test_a_renamed_company_rebuilds_the_labels_that_name_it(synthetic, tmp_path):
    build_turtle(synthetic, cache_dir=tmp_path / CACHE_NAME)
    organizations = synthetic / "organizations.yaml"
    name = re.search(r"roles: \[chip-designer\]\n    name: \{zh: (\w+), en: ([\w ]+)\}", organizations.read_text(encoding="utf-8"))
    edit(organizations, f"en: {name[2]}}}", "en: Renamed Computing}")
    built = build_turtle(synthetic, cache_dir=tmp_path / CACHE_NAME)
    assert 1 < built.compiled < built.files
    assert built.turtle == from_scratch(synthetic)
    assert "Renamed Computing revenue FY2024" in built.turtle.decode()


def test_a_changed_source_text_checks_its_quotes_again(synthetic, tmp_path):
    build_turtle(synthetic, cache_dir=tmp_path / CACHE_NAME)
    text = synthetic / "texts" / "reports" / "report-00001.txt"
    first_line = text.read_text(encoding="utf-8").splitlines()[1]
    edit(text, first_line, "（删去）")
    with pytest.raises(kg.InputError) as raised:
        build_turtle(synthetic, cache_dir=tmp_path / CACHE_NAME)
    with pytest.raises(kg.InputError) as expected:
        kg.load_facts(synthetic)
    assert raised.value.problems == expected.value.problems
    assert "not found word for word" in str(raised.value)


@pytest.mark.parametrize("seed", range(int(os.environ.get("KG_CACHE_ROUNDS", "4"))))
def test_random_edits_give_what_a_build_from_scratch_gives(synthetic, tmp_path, seed):
    """Good and bad edits in a row: each build equals one from scratch, or fails with its problems."""
    rng = random.Random(seed)
    store = tmp_path / CACHE_NAME
    build_turtle(synthetic, cache_dir=store)
    for _ in range(6):
        files = sorted(p for p in synthetic.rglob("*.yaml"))
        path = rng.choice(files)
        text = path.read_text(encoding="utf-8")
        entries = text.split("\n\n")
        how = rng.choice(["drop-entry", "swap-entries", "break-reference", "duplicate-entry", "value", "remove-file"])
        if how == "drop-entry" and len(entries) > 2:
            entries.pop(rng.randrange(1, len(entries)))
        elif how == "swap-entries" and len(entries) > 2:
            rng.shuffle(entries)
            entries.sort(key=lambda entry: not entry.lstrip().startswith("#"))
        elif how == "break-reference":
            text = re.sub(r"(of|client|company|designer): ([a-z-]+)", r"\1: \2-gone", text, count=1)
            entries = text.split("\n\n")
        elif how == "duplicate-entry" and len(entries) > 2:
            entries.append(entries[1].split("\n", 2)[-1] if entries[1].lstrip().startswith("#") else entries[1])
        elif how == "value":
            text = re.sub(r"(\d+)\.(\d\d)亿元", lambda m: f"{int(m[1]) + 1}.{m[2]}亿元", text, count=1)
            entries = text.split("\n\n")
        elif how == "remove-file" and path.name not in ("sources.yaml", "organizations.yaml"):
            path.unlink()
            entries = None
        if entries is not None:
            path.write_text("\n\n".join(entries), encoding="utf-8")
        try:
            expected = from_scratch(synthetic)
        except kg.InputError as err:
            with pytest.raises(kg.InputError) as raised:
                build_turtle(synthetic, cache_dir=store)
            assert raised.value.problems == err.problems, how
            continue
        assert build_turtle(synthetic, cache_dir=store).turtle == expected, how


def test_a_damaged_cache_is_ignored_and_rewritten(synthetic, tmp_path):
    store = tmp_path / CACHE_NAME
    expected = build_turtle(synthetic, cache_dir=store).turtle
    (store / "whole.ttl").write_bytes(b"kgr:x kgr:y kgr:z .\n")  # the last whole build, damaged: ignored
    assert build_turtle(synthetic, cache_dir=store).turtle == expected
    (store / "whole.json").unlink()  # and without it, the units are read
    unit = sorted((store / "units").glob("*.ttl"))[0]
    unit.write_bytes(unit.read_bytes()[:-40] + b"kgr:x kgr:y kgr:z .\n" * 2)
    damaged = build_turtle(synthetic, cache_dir=store)
    assert (damaged.turtle, damaged.compiled) == (expected, damaged.files)
    assert build_turtle(synthetic, cache_dir=store).compiled == 0
    (store / "index.json").write_text("{not json", encoding="utf-8")
    assert build_turtle(synthetic, cache_dir=store).turtle == expected


def test_a_cache_written_by_other_code_is_ignored(synthetic, tmp_path, monkeypatch):
    store = tmp_path / CACHE_NAME
    build_turtle(synthetic, cache_dir=store)
    monkeypatch.setattr(kg.build.lastbuild, "code_version", lambda: "another version")
    assert build_turtle(synthetic, cache_dir=store).compiled == len(list(synthetic.rglob("*.yaml")))


def test_the_build_command_uses_the_cache_unless_told_not_to(synthetic, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    first = runner.invoke(main, ["build", "--facts", "facts", "--out", "out"])
    assert first.exit_code == 0, first.output
    assert (tmp_path / "out" / CACHE_NAME / "index.json").exists()
    turtle = (tmp_path / "out" / "gpu-kg.ttl").read_bytes()
    assert turtle == serialize(fact_graph(kg.load_facts("facts")), "turtle")
    again = runner.invoke(main, ["build", "--facts", "facts", "--out", "out", "--no-cache"])
    assert (again.exit_code, again.stdout) == (0, first.stdout)
    assert (tmp_path / "out" / "gpu-kg.ttl").read_bytes() == turtle


def test_every_build_has_been_read_back_and_the_build_command_does_not_read_it_again(synthetic, tmp_path,
                                                                                     monkeypatch):
    from kg.base.errors import ExportError
    from kg.build.export import check_rdf, check_turtle_blocks
    from kg.build.lastbuild import ReadTurtle

    first = build_turtle(synthetic, cache_dir=tmp_path / CACHE_NAME)
    edit(synthetic / "figures" / "part-0001.yaml", "亿元", "万元")
    again = build_turtle(synthetic, cache_dir=tmp_path / CACHE_NAME)
    same = build_turtle(synthetic, cache_dir=tmp_path / CACHE_NAME)
    for built in (first, again, same):
        assert type(built.turtle) is ReadTurtle
    assert (again.compiled, same.compiled) == (1, 0)
    read = []
    monkeypatch.setattr(kg.build.export.ox, "parse", lambda *a, **k: read.append(1) or iter(()))
    check_rdf("turtle")(again.turtle)
    assert not read  # read back part by part as it was built
    check_rdf("turtle")(bytes(again.turtle))
    assert read == [1]  # plain bytes are read again
    monkeypatch.undo()
    check_turtle_blocks([b"kgr:a rdfs:label \"a\" .\n"], 1)
    for blocks, triples in (([b"kgr:a rdfs:label \"a\" .\n"], 2), ([b"kgr:a rdfs:label \"a\n"], 1),
                            ([b"kgr:a rdfs:label", b" \"a\" .\n"], 1)):
        with pytest.raises(ExportError):
            check_turtle_blocks(blocks, triples)


@pytest.mark.parametrize("second_source", ["another", "wire"], ids=["merged", "warned"])
def test_a_listing_event_added_in_another_file_is_read_as_the_full_build_reads_it(tmp_path, second_source):
    """The same company, venue, type and date in a new file: one event of two sources (a note), or
    one source's event under two ids (a warning); the cached build sees it as a build from scratch does."""
    facts = tmp_path / "facts"
    shutil.copytree(ROOT / "tests" / "fixtures" / "base", facts)
    (facts / "hkex.yaml").write_text(
        "sources:\n"
        "  - {id: wire, kind: article, title: {zh: 甲, en: A}, language: zh}\n"
        "  - {id: another, kind: article, title: {zh: 乙, en: B}, language: zh}\n"
        "organizations:\n"
        "  - {id: hkex, roles: [stock-exchange], name: {zh: 香港交易所, en: HKEX}, source: wire, locator: masthead}\n"
        "listing_events:\n"
        "  - {id: iluvatar-hkex-listing, company: iluvatar, venue: hkex, type: listed, date: 2026-01-08,\n"
        "     source: wire, locator: listing paragraph}\n", encoding="utf-8")
    build_turtle(facts, cache_dir=tmp_path / CACHE_NAME)
    (facts / "later.yaml").write_text(
        "listing_events:\n"
        "  - {id: iluvatar-listed-in-hong-kong, company: iluvatar, venue: hkex, type: listed, date: 2026-01-08,\n"
        f"     source: {second_source}, locator: closing paragraph}}\n", encoding="utf-8")
    cached = build_turtle(facts, cache_dir=tmp_path / CACHE_NAME)
    scratch = build_turtle(facts)
    assert cached.turtle == scratch.turtle
    assert (cached.notices, cached.warnings) == (scratch.notices, scratch.warnings)
    assert len(cached.notices if second_source == "another" else cached.warnings) == 1
