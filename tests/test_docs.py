"""The docs cannot drift: README opens with the two commands, every command and fact key is documented."""

from __future__ import annotations

import re
from pathlib import Path

from kg.cli import main
from kg.facts.read import SCHEMA

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
FACTS_FORMAT = (ROOT / "docs" / "facts-format.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_set_up_commands():
    first_block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", README, re.DOTALL)[1]
    assert [line.split("#")[0].strip() for line in first_block.splitlines() if line.split("#")[0].strip()] == [
        "make demo", "make serve", "make test",
    ]
    assert README.index(first_block) < 600, "the commands come first"


def test_the_test_command_is_what_ci_runs():
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip().endswith("make test")


def test_every_command_is_in_the_readme():
    missing = [name for name in main.commands if f"kg {name}" not in README]
    assert missing == []


def test_every_kind_and_key_of_the_facts_is_documented():
    missing = []
    for kind, fields in SCHEMA.items():
        section = re.search(rf"^### [^\n]*\b{kind}\b.*?(?=^### |\Z)", FACTS_FORMAT, re.DOTALL | re.MULTILINE)
        if section is None:
            missing.append(kind)
            continue
        text = section[0] + FACTS_FORMAT[: FACTS_FORMAT.index("## Kinds")]
        missing += [f"{kind}.{key}" for key in fields if f"`{key}`" not in text]
    assert missing == []


def test_every_script_is_documented():
    docs = README + "".join(path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md"))
    missing = [path.name for path in sorted((ROOT / "scripts").iterdir()) if f"scripts/{path.name}" not in docs]
    assert missing == []
