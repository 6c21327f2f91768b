"""Every bad fact file in tests/bad_facts/ fails with exactly the message beside it.

Each case is ``NAME.yaml`` (or a folder ``NAME/`` of YAML files) placed in a small
valid fact folder (tests/fixtures/base); ``NAME.expected`` holds the exact stderr.
Set ``KG_UPDATE_GOLDEN=1`` to rewrite the expected files, then review the diff.
"""

from __future__ import annotations

import os
import shutil
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main

HERE = Path(__file__).parent
CASES = HERE / "bad_facts"
BASE = HERE / "fixtures" / "base"
NAMES = sorted({p.stem for p in CASES.iterdir() if p.suffix != ".expected"})


def fact_folder(tmp_path: Path, name: str) -> Path:
    facts = tmp_path / "facts"
    shutil.copytree(BASE, facts)
    case = CASES / name
    if case.is_dir():
        shutil.copytree(case, facts, dirs_exist_ok=True, symlinks=True)  # a case may be a dangling link
    else:
        shutil.copy(CASES / f"{name}.yaml", facts / f"{name}.yaml")
    return facts


@pytest.mark.parametrize("name", NAMES)
def test_bad_facts_fail_with_their_message(name, tmp_path, monkeypatch):
    fact_folder(tmp_path, name)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--facts", "facts", "--out", "out"])
    expected_file = CASES / f"{name}.expected"
    if os.environ.get("KG_UPDATE_GOLDEN"):
        expected_file.write_text(result.stderr, encoding="utf-8")
    assert result.exit_code == 1, result.output
    assert result.stderr == expected_file.read_text(encoding="utf-8")
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists(), "nothing may be written for bad input"


def test_the_corpus_is_complete():
    assert len(NAMES) >= 40
    assert sorted(p.stem for p in CASES.glob("*.expected")) == NAMES


def test_the_base_folder_itself_is_valid(tmp_path, monkeypatch):
    shutil.copytree(BASE, tmp_path / "facts")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate", "--facts", "facts"])
    assert result.exit_code == 0, result.output


def test_an_alias_bomb_is_refused_quickly_in_bounded_memory(tmp_path, monkeypatch):
    fact_folder(tmp_path, "alias_bomb")
    monkeypatch.chdir(tmp_path)
    tracemalloc.start()
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["validate", "--facts", "facts"])
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.exit_code == 1
    assert "anchors and aliases" in result.stderr
    # 9**9 expanded strings would need gigabytes; refusing the first alias needs almost nothing.
    assert peak < 50 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert elapsed < 20
