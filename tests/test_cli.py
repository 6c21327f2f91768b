"""The kg command, through click's test runner: exact output and exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg
from kg.cli import main

from conftest import SEED

ROOT = Path(__file__).parent.parent
GOLDEN_TURTLE = Path(__file__).parent / "golden" / "gpu-kg.ttl"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A working folder with a copy of the shipped facts."""
    shutil.copytree(SEED, tmp_path / "facts")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_build_writes_the_turtle_export(project, graph):
    result = run("build")
    assert (result.exit_code, result.stdout) == (0, f"{len(graph)} triples; wrote out/gpu-kg.ttl\n")
    assert (project / "out" / "gpu-kg.ttl").read_bytes() == GOLDEN_TURTLE.read_bytes()
    written = sorted(p.name for p in (project / "out").iterdir())
    assert written == [".kg-cache", "gpu-kg.ttl"], "no temporary file is left behind"
    assert not [p for p in (project / "out" / ".kg-cache").rglob("*") if p.name.endswith(".tmp")]


def test_validate_writes_nothing(project, facts, graph):
    result = run("validate")
    assert (result.exit_code, result.stdout) == (0, f"{len(facts.records)} facts, {len(graph)} triples: valid\n")
    assert not (project / "out").exists()


@pytest.mark.parametrize("format_name", ["turtle", "nt", "jsonld", "xml", "trig"])
def test_export_to_standard_output(project, graph, format_name):
    result = run("export", "--format", format_name)
    assert result.exit_code == 0
    assert result.stdout_bytes == kg.serialize(graph, format_name)


def test_export_guesses_the_format_from_the_suffix(project, graph):
    result = run("export", "-o", "out/graph.nt")
    assert (result.exit_code, result.stderr) == (0, "wrote out/graph.nt (nt)\n")
    assert (project / "out" / "graph.nt").read_bytes() == kg.serialize(graph, "nt")


def test_an_unknown_suffix_is_a_usage_error(project):
    result = run("export", "-o", "graph.csv")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: cannot tell the format of 'graph.csv' from its suffix; give --format (turtle, nt, jsonld, xml, trig)\n"
    )


def test_a_missing_fact_folder_is_a_usage_error(project):
    result = run("build", "--facts", "nowhere")
    assert (result.exit_code, result.stderr) == (2, "Error: no fact folder at nowhere\n")


def test_bad_facts_leave_the_previous_export_untouched(project):
    assert run("build").exit_code == 0
    before = (project / "out" / "gpu-kg.ttl").read_bytes()
    figures = project / "facts" / "figures" / "biren.yaml"
    figures.write_text(figures.read_text(encoding="utf-8").replace("metric: net-loss", "metric: net-los"), encoding="utf-8")
    result = run("build")
    assert result.exit_code == 1
    assert result.stderr.startswith("facts/figures/biren.yaml:4:13: figures.metric: unknown metric 'net-los' (did you mean 'net-loss'?)")
    assert result.stderr.endswith("1 problem; nothing was written.\n")
    assert (project / "out" / "gpu-kg.ttl").read_bytes() == before
    assert sorted(p.name for p in (project / "out").iterdir()) == [".kg-cache", "gpu-kg.ttl"]  # the last good build's


def test_every_command_has_help_with_an_example():
    for name, command in main.commands.items():
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert "Example" in result.stdout, f"kg {name} --help shows no example"
