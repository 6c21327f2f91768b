"""Every number of a stored source text is recorded by a fact of that source."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg
from kg.cli import main
from kg.author.coverage import coverage
from kg.base.errors import UsageError

from conftest import SEED

ARTICLE = SEED / "texts" / "iluvatar-hkex-hearing-article.txt"


@pytest.fixture(scope="module")
def seed():
    facts = kg.load_facts(SEED)
    return facts, kg.check_facts(facts)


def test_every_number_of_the_seed_article_is_recorded(seed):
    facts, graph = seed
    result = coverage(facts, graph, ARTICLE)
    assert result.source == "article"
    assert len(result.numbers) == 58
    assert result.missing == ()
    recorded = {c.candidate.text: c.recorded_by for c in result.numbers}
    assert recorded["超5.2万片"] == ("figure/iluvatar/cumulative-deliveries/2025-06-30/article",)
    assert recorded["53%—61%"] == ("figure/iluvatar/gross-margin/2022-2025H1/iluvatar-training/article",)
    assert recorded["209.15亿元"] == ("biren-pre-ipo-round",), "a valuation is recorded by its funding round"


def test_kg_coverage_reports_nothing_left_for_the_seed_article():
    result = CliRunner().invoke(main, ["coverage", "--facts", str(SEED), str(ARTICLE)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"{ARTICLE}: 58 numbers, source article"
    assert lines[1] == "  line 6: 468.8%  figure/moore-threads/first-day-gain/2025-12-05/not-stated/article"
    assert lines[-1] == "every number is recorded by a fact of this source"


def test_a_number_no_fact_records_is_reported(tmp_path):
    folder = tmp_path / "facts"
    shutil.copytree(SEED, folder)
    text = folder / "texts" / "iluvatar-hkex-hearing-article.txt"
    before = text.read_text(encoding="utf-8").rstrip("\n")
    text.write_text(before + "\n另据统计,公司员工约1200人。\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["coverage", "--facts", str(folder), str(text)])
    assert result.exit_code == 1
    line = before.count("\n") + 2
    assert result.stdout.splitlines()[-2:] == [f"  line {line}: 约1200人  NOT RECORDED", "1 not recorded"]


def test_a_text_no_source_stores_needs_its_source_named(tmp_path, seed):
    facts, graph = seed
    other = tmp_path / "other.txt"
    other.write_text("收入3.37亿元。", encoding="utf-8")
    with pytest.raises(UsageError) as err:
        coverage(facts, graph, other)
    assert str(err.value) == f"no source stores the text {other}; name it with --source ID"
    named = coverage(facts, graph, other, "article")
    assert [(c.candidate.text, c.recorded_by) for c in named.numbers] == [
        ("3.37亿元", ("figure/biren/revenue/2024/article",))]


def test_an_unknown_source_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["coverage", "--facts", str(SEED), str(ARTICLE), "--source", "nope"])
    assert (result.exit_code, result.stderr) == (2, "Error: no source 'nope' in the facts\n")


def test_the_live_facts_cover_their_stored_texts():
    facts = kg.load_facts(Path(__file__).parent.parent / "facts")
    graph = kg.check_facts(facts)
    for record in facts.of_kind("sources"):
        if record.get("text"):
            assert coverage(facts, graph, facts.root / record["text"], record.key).missing == ()
