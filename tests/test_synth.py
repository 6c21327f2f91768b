"""Synthetic fact folders: valid, the same bytes for a seed, and as big as asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import kg
from kg.build.graph import fact_graph, ontology_subjects
from kg.cli import main
from kg.facts.synth import FIGURES_PER_FILE, entries_in, synthesize, write_synthetic


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_a_synthetic_folder_validates(tmp_path):
    result = run("synth", "--companies", "30", "-o", str(tmp_path / "facts"), "--seed", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("wrote ") and "for 30 companies" in result.stdout
    checked = run("validate", "--facts", str(tmp_path / "facts"))
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.endswith("triples: valid\n")


def test_it_has_every_kind_of_fact_the_shipped_facts_have(tmp_path):
    write_synthetic(tmp_path / "facts", 60)
    kinds = {record.kind for record in kg.load_facts(tmp_path / "facts").records}
    assert kinds >= {"sources", "organizations", "places", "sectors", "products", "milestones", "supply_chain",
                     "funding_rounds", "listing_events", "figures", "statements"}
    files = {p.relative_to(tmp_path / "facts").as_posix() for p in (tmp_path / "facts").rglob("*") if p.is_file()}
    assert {"organizations.yaml", "figures/part-0001.yaml", "texts/reports/report-00001.txt"} <= files


def test_the_same_seed_gives_the_same_bytes_and_another_seed_others():
    assert synthesize(25, seed=7) == synthesize(25, seed=7)
    assert synthesize(25, seed=7) != synthesize(25, seed=8)


def test_a_small_folder_holds_the_first_companies_of_a_larger_one():
    small, large = synthesize(10), synthesize(20)
    assert small["figures/part-0001.yaml"] in large["figures/part-0001.yaml"]


def test_entries_and_triples_grow_linearly_with_the_companies(tmp_path):
    entries = {n: sum(1 for _ in entries_in(synthesize(n))) for n in (200, 400, 800)}
    assert 1.9 <= entries[400] / entries[200] <= 2.1
    assert 1.9 <= entries[800] / entries[400] <= 2.1
    write_synthetic(tmp_path / "facts", 200)
    per_company = (len(fact_graph(kg.load_facts(tmp_path / "facts"))) - sum(map(len, ontology_subjects().values()))) / 200
    assert 75 <= per_company <= 95, per_company


def test_figures_are_split_into_files_of_bounded_size():
    files = synthesize(400)
    parts = [text for name, text in files.items() if name.startswith("figures/")]
    assert len(parts) > 1
    assert all(text.count("\n  - ") <= FIGURES_PER_FILE for text in parts)


def test_it_never_writes_into_a_folder_that_holds_files(tmp_path):
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "mine.yaml").write_text("keep me\n", encoding="utf-8")
    result = run("synth", "--companies", "5", "-o", str(tmp_path / "facts"))
    assert result.exit_code == 2
    assert "is not an empty folder" in result.stderr
    assert [p.name for p in (tmp_path / "facts").iterdir()] == ["mine.yaml"]


@pytest.mark.parametrize("companies", ["0", "-3"])
def test_the_number_of_companies_is_checked(tmp_path, companies):
    result = run("synth", "--companies", companies, "-o", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert not Path(tmp_path / "x").exists()
