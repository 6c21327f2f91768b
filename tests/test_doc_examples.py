"""Every console example in README.md and docs/ runs, and prints what the docs say it prints.

A ```console block is a session: lines that start with ``$ `` are commands, the lines under
a command are what it prints (standard output and standard error, as a terminal shows them).
In what is shown, a line ``...`` stands for any number of lines and ``...`` inside a line for
any text. A command shown without output must succeed (exit status 0); one shown with output
may fail, as long as it prints what is shown.

Each block runs in a folder of its own holding a copy of the facts the docs were written from
(tests/fixtures/facts, itself a copy of facts/ kept still, so that adding a correct fact to facts/
never breaks an example) as ``facts/``, with ``kg`` on the PATH as
this checkout's command line. An HTML comment ``<!-- doc-test: SHELL -->`` just before a
block is run first in that folder (to write a file the example reads, or break a fact to show
the message). ``kg serve`` starts in the background on a free port, which stands in for 8711
in the rest of the block, and stops at the block's end.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import DOC_FACTS, ROOT
from servers import free_port

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(?:<!--\s*doc-test:\s*(?P<setup>.*?)\s*-->\s*\n)?^(?P<indent>[ \t]*)```console\n(?P<body>.*?)^(?P=indent)```",
                   re.DOTALL | re.MULTILINE)
SERVE_PORT = "8711"


@dataclass
class Command:
    line: int              # where the command is written in its file
    text: str
    shown: list[str] = field(default_factory=list)


@dataclass
class Example:
    path: Path
    line: int
    setup: str
    commands: list[Command]

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def examples() -> list[Example]:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            start = text.count("\n", 0, match.start("body")) + 1
            commands: list[Command] = []
            for offset, line in enumerate(match["body"].splitlines()):
                line = line.removeprefix(match["indent"])  # a block inside a list item is indented
                if line.startswith("$ "):
                    commands.append(Command(start + offset, line[2:]))
                elif commands:
                    commands[-1].shown.append(line)
            found.append(Example(path, start - 1, match["setup"] or "", commands))
    return found


EXAMPLES = examples()


def matches(shown: list[str], printed: list[str]) -> bool:
    """Whether ``printed`` is what ``shown`` says: ``...`` alone is any lines, inside a line any text."""
    patterns = [None if line.strip() == "..." else
                re.compile("^" + ".*?".join(re.escape(part) for part in line.rstrip().split("...")) + "$")
                for line in shown]

    def fits(i: int, j: int) -> bool:
        if i == len(patterns):
            return j == len(printed)
        if patterns[i] is None:
            return any(fits(i + 1, k) for k in range(j, len(printed) + 1))
        return j < len(printed) and bool(patterns[i].match(printed[j].rstrip())) and fits(i + 1, j + 1)

    return fits(0, 0)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One build cache for every example: the graph of facts/ is built once."""
    return tmp_path_factory.mktemp("kg-cache")


def sandbox(tmp_path: Path, cache: Path) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copytree(DOC_FACTS, folder / "facts")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kg = bin_dir / "kg"
    kg.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kg "$@"\n', encoding="utf-8")
    kg.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if not key.startswith("KG_")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1",
               KG_CACHE_DIR=str(cache), COLUMNS="120")
    return folder, env


def serve(command: str, port: str, folder: Path, env: dict[str, str]) -> tuple[subprocess.Popen, list[str]]:
    """Start ``kg serve`` on ``port``; its lines up to the one that says it is serving."""
    if "--port" not in command:
        command = re.sub(r"^kg serve\b", f"kg serve --port {port}", command)
    process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=folder, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("serving "):
            break
    return process, lines


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.name for example in EXAMPLES])
def test_every_console_example_prints_what_the_docs_show(example: Example, tmp_path, cache):
    folder, env = sandbox(tmp_path, cache)
    if example.setup:
        subprocess.run(["bash", "-c", example.setup], cwd=folder, env=env, check=True)
    port = str(free_port())
    servers: list[subprocess.Popen] = []
    try:
        for command in example.commands:
            text = command.text.replace(SERVE_PORT, port)
            shown = [line.replace(SERVE_PORT, port) for line in command.shown]
            where = f"{example.path.relative_to(ROOT)}:{command.line}: $ {command.text}"
            if re.match(r"kg serve\b", text):
                process, printed = serve(text, port, folder, env)
                servers.append(process)
                assert process.poll() is None, f"{where}\nthe server stopped:\n" + "\n".join(printed)
                status = 0
            else:
                done = subprocess.run(["bash", "-c", text], cwd=folder, env=env, text=True, timeout=600,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                printed, status = done.stdout.splitlines(), done.returncode
            if shown:
                assert matches(shown, printed), (
                    f"{where}\nthe docs show:\n" + "\n".join(shown) + "\nit printed:\n" + "\n".join(printed))
            else:
                assert status == 0, f"{where}\nexit status {status}:\n" + "\n".join(printed)
    finally:
        for process in servers:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def test_the_examples_are_found():
    assert len(EXAMPLES) >= 12 and sum(len(e.commands) for e in EXAMPLES) >= 35
    assert matches(["a ... c", "..."], ["a b c", "d", "e"]) and matches(["x", "..."], ["x"])
    assert not matches(["a", "b"], ["a", "c"]) and not matches(["a"], ["a", "b"])


def test_the_examples_run_on_a_copy_of_the_facts_kept_still(tmp_path, cache):
    """A fact added to facts/ changes what kg prints; the docs show what the copy gives."""
    folder, _ = sandbox(tmp_path, cache)
    copied = sorted(p.relative_to(folder / "facts") for p in (folder / "facts").rglob("*") if p.is_file())
    assert copied == sorted(p.relative_to(DOC_FACTS) for p in DOC_FACTS.rglob("*") if p.is_file())
    assert DOC_FACTS != ROOT / "facts" and (DOC_FACTS / "organizations.yaml").is_file()
