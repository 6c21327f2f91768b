"""Fuzzing the loader and builder: any input either builds or fails with the tool's own error.

CI runs a bounded number of examples; a long session is one command away:

    HYPOTHESIS_PROFILE=long .venv/bin/pytest tests/test_fuzz.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kg
from kg.facts.read import SCHEMA

HERE = Path(__file__).parent
BASE = HERE / "fixtures" / "base"
SHIPPED = HERE.parent / "facts"


def builds_or_fails_cleanly(facts_dir: Path) -> None:
    """The only acceptable outcomes: a checked graph, or InputError with located problems."""
    try:
        kg.load_graph(facts_dir)
    except kg.InputError as err:
        assert err.problems and all(p.location.path and p.message for p in err.problems)


def with_file(base: Path, name: str, data: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="kg-fuzz-"))
    shutil.copytree(base, folder, dirs_exist_ok=True)
    (folder / name).write_bytes(data)
    return folder


SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_random_bytes(data):
    folder = with_file(BASE, "fuzz.yaml", data)
    try:
        builds_or_fails_cleanly(folder)
    finally:
        shutil.rmtree(folder)


IDS = st.sampled_from(["iluvatar", "smic", "jcet", "article", "nobody", "x", "Bad Id", ""])
SCALARS = st.one_of(
    IDS,
    st.sampled_from(["1.89亿元", "超5万片", "68.8%", "-3", "2024", "2025H1", "2025-02-30", "2022/2024", "unspecified",
                     "revenue", "manufacturing", "launched", "exact", "天数智芯2022年收入1.89亿元。", "~", "null"]),
    # What users tried that was once misread or crashed: separators, full-width and other
    # digits, exponents, year 0, huge counts, control characters, paths out of the folder.
    st.sampled_from(["1,89亿元", "1,890万元", "１．８９亿元", "２０２２", "٢٠٢٢", "0000", "0000H1", "1e8元", "9" * 5000,
                     "+5亿元", "10²元", "HK$1,234.5", "bell \x07", "esc \x1b[31m", "../../etc/hostname",
                     "/etc/hostname", "texts/../texts/article.txt"]),
    st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(), st.text(max_size=20),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["zh", "en", "x", "2022"]), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def fact_documents(draw):
    kind = draw(st.sampled_from(sorted(SCHEMA)) | st.text(max_size=8))
    fields = sorted(SCHEMA.get(kind, {"x": None}))
    entry = draw(st.dictionaries(st.sampled_from(fields) | st.text(max_size=6), VALUES, max_size=8))
    return {kind: draw(st.lists(st.just(entry) | VALUES, max_size=3))}


@SLOW
@given(st.integers(1, 300), st.sampled_from(["[", "{a: ", "- "]))
def test_deep_nesting(depth, opener):
    closer = {"[": "]", "{a: ": "}", "- ": ""}[opener]
    if opener == "- ":
        body = "".join("  " * i + "- \n" for i in range(depth))
    else:
        body = opener * depth + "x" + closer * depth + "\n"
    folder = with_file(BASE, "fuzz.yaml", ("figures: " + ("\n" if opener == "- " else "") + body).encode())
    try:
        builds_or_fails_cleanly(folder)
    finally:
        shutil.rmtree(folder)


@SLOW
@given(fact_documents())
def test_random_fact_documents(document):
    folder = with_file(BASE, "fuzz.yaml", yaml.safe_dump(document, allow_unicode=True).encode("utf-8"))
    try:
        builds_or_fails_cleanly(folder)
    finally:
        shutil.rmtree(folder)


SHIPPED_FILES = sorted(p.relative_to(SHIPPED) for p in SHIPPED.rglob("*.yaml"))


@st.composite
def mutations(draw):
    """One shipped fact file with a line deleted, duplicated, swapped, cut or a character changed."""
    name = draw(st.sampled_from(SHIPPED_FILES))
    lines = (SHIPPED / name).read_text(encoding="utf-8").splitlines(keepends=True)
    i = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "char", "indent"]))
    if how == "delete":
        del lines[i]
    elif how == "duplicate":
        lines.insert(i, lines[i])
    elif how == "swap":
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif how == "truncate":
        lines = lines[:i]
    elif how == "indent":
        lines[i] = " " + lines[i]
    else:
        line = lines[i]
        k = draw(st.integers(0, max(len(line) - 1, 0)))
        lines[i] = line[:k] + draw(st.sampled_from(list(":-[]{}#&*!|>'\"%@` \t0亿") + ["\n"])) + line[k + 1:]
    return name, "".join(lines).encode("utf-8")


@SLOW
@given(mutations())
def test_mutated_shipped_facts(mutation):
    name, data = mutation
    folder = with_file(SHIPPED, str(name), data)
    try:
        builds_or_fails_cleanly(folder)
    finally:
        shutil.rmtree(folder)
