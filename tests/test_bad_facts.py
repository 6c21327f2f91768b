"""Every bad fact file in tests/bad_facts/ fails with exactly the message beside it.

Each case is ``NAME.yaml`` (or a folder ``NAME/`` of YAML files) placed in a small
valid fact folder (tests/fixtures/base); ``NAME.expected`` holds the exact stderr of
``kg build --strict``. A case is an error (``kg build`` fails the same way without
``--strict``) or a warning (``kg build`` writes the graph and prints each problem as a
warning). Set ``KG_UPDATE_GOLDEN=1`` to rewrite the expected files, then review the diff.
"""

from __future__ import annotations

import os
import re
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
    result = CliRunner().invoke(main, ["build", "--strict", "--facts", "facts", "--out", "out"])
    expected_file = CASES / f"{name}.expected"
    if os.environ.get("KG_UPDATE_GOLDEN"):
        expected_file.write_text(result.stderr, encoding="utf-8")
    assert result.exit_code == 1, result.output
    expected = expected_file.read_text(encoding="utf-8")
    assert result.stderr == expected
    assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "gpu-kg.ttl").exists(), "nothing may be written for bad input"

    lenient = CliRunner().invoke(main, ["build", "--facts", "facts", "--out", "out"])
    if lenient.exit_code == 1:  # an error: the same message, nothing written (not even the build cache)
        assert lenient.stderr == expected
        assert not (tmp_path / "out").exists()
    else:  # a warning: each problem said as one, and the graph written
        assert lenient.exit_code == 0, lenient.output
        problems = expected.splitlines()[:-1]
        assert expected.splitlines()[-1] == f"{len(problems)} problem{'s' if len(problems) > 1 else ''}; nothing was written."
        assert lenient.stderr == "".join(re.sub(r"^(.*?:\d+:\d+): ", r"\1: warning: ", p) + "\n" for p in problems)
        assert (tmp_path / "out" / "gpu-kg.ttl").exists()


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
