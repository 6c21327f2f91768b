"""A build killed at any moment leaves the previous export whole, and the next run leaves no debris."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import kg
from kg.base.files import write_atomically

from conftest import SEED

ROOT = Path(__file__).parent.parent


def test_write_atomically_replaces_the_whole_file(tmp_path):
    target = tmp_path / "out" / "x.ttl"
    write_atomically(target, b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["x.ttl"]


def test_outputs_get_the_permissions_the_umask_gives_like_any_new_file(tmp_path):
    before = os.umask(0o022)
    try:
        write_atomically(tmp_path / "shared.ttl", b"x")
        os.umask(0o077)
        write_atomically(tmp_path / "private.ttl", b"x")
    finally:
        os.umask(before)
    assert (tmp_path / "shared.ttl").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "private.ttl").stat().st_mode & 0o777 == 0o600


def test_orphans_of_dead_writers_are_swept_and_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = tmp_path / f".x.ttl.{dead.stdout.strip()}.abc.tmp"
    mine = tmp_path / f".x.ttl.{os.getpid()}.def.tmp"
    orphan.write_bytes(b"half")
    mine.write_bytes(b"in progress")
    write_atomically(tmp_path / "x.ttl", b"done")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, "x.ttl"])


def _build(cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kg", "build", "--facts", "facts", "--out", "out"],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def test_a_build_killed_at_random_points_never_leaves_a_partial_export(tmp_path):
    shutil.copytree(SEED, tmp_path / "facts")
    started = time.perf_counter()
    assert _build(tmp_path).wait() == 0
    duration = time.perf_counter() - started
    export = tmp_path / "out" / "gpu-kg.ttl"
    old = export.read_bytes()

    # Change a fact so that a finished build would write different bytes.
    biren = tmp_path / "facts" / "organizations.yaml"
    biren.write_text(biren.read_text(encoding="utf-8").replace("en: Biren Technology", "en: Biren"), encoding="utf-8")
    new = kg.serialize(kg.load_graph(tmp_path / "facts"), "turtle")
    assert new != old

    rng = random.Random(2025)
    for _ in range(6):
        process = _build(tmp_path)
        time.sleep(rng.uniform(0.3, 1.1) * duration)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert export.read_bytes() in (old, new), "a killed build left a partial file"
        old = export.read_bytes()

    assert _build(tmp_path).wait() == 0
    assert export.read_bytes() == new
    assert sorted(p.name for p in export.parent.iterdir()) == [".kg-cache", "gpu-kg.ttl"], "temporary files were left behind"
    assert not [p for p in (export.parent / ".kg-cache").rglob("*.tmp")], "temporary files were left behind"
