"""Shared fixtures: the shipped facts, the graph they build, and outside tools."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

import kg

# Fuzzing: a bounded run by default (and in CI); HYPOTHESIS_PROFILE=long for a long session.
settings.register_profile("default", max_examples=40)
settings.register_profile("long", max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
# Tests about the seed article read this copy of its facts, so adding a fact to
# facts/ never breaks them; tests of the live facts/ read LIVE_FACTS.
SEED = ROOT / "tests" / "fixtures" / "seed"
FACTS = SEED
LIVE_FACTS = ROOT / "facts"
# The console examples of README.md and docs/ run on this copy of facts/ (tests/test_doc_examples.py), so
# that a correct fact added to facts/ never breaks the docs; copy facts/ here again when the docs are redone.
DOC_FACTS = ROOT / "tests" / "fixtures" / "facts"


def need_tool(name: str, install: str) -> str:
    """The path of an outside tool; skip without it on a laptop, fail without it in CI."""
    path = shutil.which(name) or (str(ROOT / "scripts" / name) if (ROOT / "scripts" / name).exists() else None)
    if path:
        return path
    message = f"{name} is not installed ({install})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def need_jena() -> str:
    """The riot wrapper, when Debian's Jena and a Java runtime are there."""
    if Path("/usr/share/java/jena-cmds.jar").exists() and shutil.which("java") and shutil.which("unzip"):
        return str(ROOT / "scripts" / "riot")
    message = "Jena riot is not installed (apt-get install libapache-jena-java default-jre-headless unzip)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def facts() -> kg.Facts:
    return kg.load_facts(FACTS)


@pytest.fixture(scope="session")
def graph(facts):
    """The checked graph of the shipped facts; tests must not change it."""
    return kg.check_facts(facts)


# Debian's chromium, driven by Playwright; no browser is ever downloaded. Without the
# background-networking flags Chromium keeps reaching for hosts this machine cannot reach.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every page test."""
    from playwright.sync_api import sync_playwright

    chromium = need_tool("chromium", "apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
