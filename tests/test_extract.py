"""From an article to candidate facts: figures read exactly, proposed, compared, written to edit."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg
from kg.cli import main
from kg.author.extract import extract, find_figures

from conftest import ROOT, SEED

TEXTS = ROOT / "tests" / "fixtures" / "texts"
PUBLISHED = dt.date(2025, 12, 23)   # a Tuesday


@pytest.fixture(scope="module")
def seed() -> kg.Facts:
    return kg.load_facts(SEED)


def read(text: str, **options) -> list[tuple]:
    return [(c.text, c.value if c.value is not None else (c.low, c.high), c.unit, c.qualifier, c.approximation,
             c.circumstance) for c in find_figures(text, **options)]


def proposed(text: str, facts: kg.Facts, **options) -> list[tuple]:
    return [(c.text, c.entity, c.metric, c.period, c.status) for c in extract(text, facts=facts, **options).candidates]


def test_chinese_figures_keep_their_value_unit_and_cue_words():
    text = ("公司累计交付超5.2万片，客户近300家，募资总额预计最高可达约48.5亿港元，每股发售价17.00至19.60港元，"
            "初步倍数约为4126.49倍，毛利率82.1%，2022年营收不到50万元，研发开支16.01亿元。")
    assert read(text) == [
        ("超5.2万片", "52000", "chip", "at-least", None, None),
        ("近300家", "300", "organization", "exact", "nearly", None),
        ("预计最高可达约48.5亿港元", "4850000000.0", "HKD", "at-most", "about", "forecast"),
        ("17.00至19.60港元", ("17.0", "19.6"), "HKD", "range", None, None),
        ("约为4126.49倍", "4126.49", "times", "exact", "about", None),
        ("82.1%", "82.1", "percent", "exact", None, None),
        ("不到50万元", "500000.0", "CNY", "at-most", None, None),
        ("16.01亿元", "1601000000.0", "CNY", "exact", None, None),
    ]


def test_english_figures_read_currencies_and_multipliers():
    text = ("The offering raised HK$5.58 billion and valued the company at US$11 billion. Revenue was between "
            "RMB1.2 billion and RMB1.5 billion; it shipped up to about 28,000 GPUs to more than 290 customers, "
            "and the shares rose 82.1%.")
    assert read(text) == [
        ("HK$5.58 billion", "5580000000.0", "HKD", "exact", None, None),
        ("US$11 billion", "11000000000.0", "USD", "exact", None, None),
        ("RMB1.2 billion and RMB1.5 billion", ("1200000000.0", "1500000000.0"), "CNY", "range", None, None),
        ("up to about 28,000 GPUs", "28000", "chip", "at-most", "about", None),
        ("more than 290 customers", "290", "customer", "at-least", None, None),
        ("82.1%", "82.1", "percent", "exact", None, None),
    ]


def test_years_dates_codes_and_list_numbers_are_not_figures():
    text = ("1. 2025年12月19日，A100与天垓Gen3发布，采用7nm工艺；688795.SH于2025-12-05上市，12/5收盘，03:01公告。\n"
            "2、On December 5, 2025 it listed; in 2024 it grew.\n(3) 共3.5亿元，1.2-1.5亿元，53%—61%。")
    assert [c.text for c in find_figures(text)] == ["3.5亿元", "1.2-1.5亿元", "53%—61%"]


def test_a_hypothetical_is_marked_for_the_whole_sentence():
    assert read("假如按688元/股来算，中一签的账面盈利可高达28.7万元。") == [
        ("688元/股", "688.0", "CNY", "exact", None, "hypothetical"),
        ("28.7万元", "287000.0", "CNY", "exact", None, "hypothetical"),
    ]


def test_a_list_is_aligned_value_by_value_with_its_periods(seed):
    text = ("2022年至2024年，天数智芯的收入分别为1.89亿元、2.89亿元和5.40亿元。"
            "同期净亏损分别为5.54亿元、8.17亿元、8.92亿元。")
    assert proposed(text, seed) == [
        ("1.89亿元", "iluvatar", "revenue", "2022", "same"),
        ("2.89亿元", "iluvatar", "revenue", "2023", "same"),
        ("5.40亿元", "iluvatar", "revenue", "2024", "same"),
        ("5.54亿元", "iluvatar", "net-loss", "2022", "same"),
        ("8.17亿元", "iluvatar", "net-loss", "2023", "same"),
        ("8.92亿元", "iluvatar", "net-loss", "2024", "same"),
    ]


def test_respectively_aligns_an_english_list(seed):
    text = "Iluvatar CoreX's net losses were RMB554 million, RMB817 million and RMB892 million in 2022, 2023 and 2024, respectively."
    assert proposed(text, seed) == [
        ("RMB554 million", "iluvatar", "net-loss", "2022", "same"),
        ("RMB817 million", "iluvatar", "net-loss", "2023", "same"),
        ("RMB892 million", "iluvatar", "net-loss", "2024", "same"),
    ]


def test_a_bound_that_holds_in_each_period_is_one_figure_a_period(seed):
    text = "报告期为2022年至2025年上半年。壁仞科技的研发开支在每一期总经营开支中的占比均超过73%。"
    assert proposed(text, seed) == [
        ("超过73%", "biren", "rd-expense-share-of-opex", period, "new") for period in ("2022", "2023", "2024", "2025H1")
    ]


def test_dates_relative_to_the_publication_day(seed):
    text = ("壁仞科技今日起招股，每股发售价17.00至19.60港元。昨日沐曦股份市值突破3000亿元。"
            "天数智芯上周五的估值为120亿元。Biren Technology said last Friday it had 23 cornerstone investors.")
    result = extract(text, facts=seed, published=PUBLISHED)
    assert [(c.text, c.period, c.period_how) for c in result.candidates] == [
        ("17.00至19.60港元", "2025-12-23", "relative 今日"),
        ("突破3000亿元", "2025-12-22", "relative 昨日"),
        ("120亿元", "2025-12-19", "relative 上周五"),
        ("23", "2025-12-19", "relative last Friday"),
    ]


def test_a_month_and_day_take_the_year_of_publication():
    result = extract("12月5日摩尔线程登陆科创板，当天收盘市值为2822.52亿元。", published=dt.date(2025, 12, 8))
    assert [(c.period, c.metric, c.basis) for c in result.candidates] == [("2025-12-05", "first-day-market-cap", "close")]


def test_the_comparison_says_how_each_figure_stands_to_the_graph(seed):
    text = ("壁仞科技2024年净亏损15.38亿元，2025年上半年净亏损16.01亿元，2022年营收约50万元。"
            "天数智芯2023年收入为3亿元，2022年收入为2.5亿元，2023年研发开支为6亿元。")
    result = extract(text, facts=seed)
    assert [(c.text, c.status, c.existing) for c in result.candidates] == [
        ("15.38亿元", "same", (("15.38亿元", "article"),)),
        ("16.01亿元", "more precise", (("16亿元", "article"),)),
        ("约50万元", "less precise", (("49.9万元", "article"),)),
        ("3亿元", "less precise", (("2.89亿元", "article"),)),
        ("2.5亿元", "conflict", (("1.89亿元", "article"),)),
        ("6亿元", "less precise", (("6.16亿元", "article"),)),
    ]
    again = extract("壁仞科技2024年净亏损15.38亿元，2023年净亏损17.44亿元。", facts=seed, source="article")
    assert [(c.text, c.status) for c in again.candidates] == [
        ("15.38亿元", "already recorded from this source"), ("17.44亿元", "new")]


def test_a_name_that_only_contains_a_known_name_is_not_that_entity(seed):
    result = extract("华为海思2024年收入为100亿元。", facts=seed)
    assert [(c.entity, c.entity_known) for c in result.candidates] == [(None, False)]


def test_shareholders_listed_with_their_stakes(seed):
    text = "摩尔线程的股东中，国盛资本、红杉资本等股东的持股比例分别为4.89%、4.78%。"
    result = extract(text, facts=seed)
    assert [(c.entity, c.holder, c.metric, c.value) for c in result.candidates] == [
        ("moore-threads", "国盛资本", "shareholding", "4.89"), ("moore-threads", "红杉资本", "shareholding", "4.78")]


def with_note(tmp_path: Path, text: str) -> Path:
    """The seed facts, and a new source whose text is stored."""
    folder = tmp_path / "facts"
    shutil.copytree(SEED, folder)
    (folder / "texts" / "note.txt").write_text(text, encoding="utf-8")
    (folder / "note.yaml").write_text(
        "sources:\n  - id: note\n    kind: article\n    title: {zh: 壁仞科技财务简报, en: Biren finances in brief}\n"
        "    published: 2025-12-23\n    language: zh\n    text: texts/note.txt\n", encoding="utf-8")
    return folder


def test_candidates_validate_once_moved_into_the_facts(tmp_path):
    text = "壁仞科技2023年净亏损17.44亿元，2025年上半年营收5890.3万元。\n"
    folder = with_note(tmp_path, text)
    runner = CliRunner()
    result = runner.invoke(main, ["extract", "--facts", str(folder), str(folder / "texts" / "note.txt"),
                                  "--source", "note", "-o", str(tmp_path / "candidates.yaml")])
    assert (result.exit_code, result.stderr) == (0, f"wrote {tmp_path / 'candidates.yaml'} (2 candidates)\n")
    written = (tmp_path / "candidates.yaml").read_text(encoding="utf-8")
    assert written == f"""\
# Candidate figures from {folder / 'texts' / 'note.txt'} (source note)
# Check each entry against its sentence, fill in what is marked TODO, delete what is not a fact
# (and what is already recorded), then move the entries into facts/ and run `kg validate`.
# Format: docs/facts-format.md
figures:

  # 17.44亿元  (line 1; new)
  # sentence: 壁仞科技2023年净亏损17.44亿元，2025年上半年营收5890.3万元。
  # read: value 1744000000.0; unit CNY; period from year 2023年
  - of: biren
    metric: net-loss
    period: "2023"
    value: "17.44亿元"
    source: note
    quote: "壁仞科技2023年净亏损17.44亿元，2025年上半年营收5890.3万元。"

  # 5890.3万元  (line 1; new)
  # sentence: 壁仞科技2023年净亏损17.44亿元，2025年上半年营收5890.3万元。
  # read: value 58903000.0; unit CNY; period from half 2025年上半年
  - of: biren
    metric: revenue
    period: "2025H1"
    value: "5890.3万元"
    source: note
    quote: "壁仞科技2023年净亏损17.44亿元，2025年上半年营收5890.3万元。"
"""
    shutil.copy(tmp_path / "candidates.yaml", folder / "figures" / "candidates.yaml")
    validated = runner.invoke(main, ["validate", "--facts", str(folder)])
    assert validated.exit_code == 0, validated.output
    again = runner.invoke(main, ["extract", "--facts", str(folder), str(folder / "texts" / "note.txt"),
                                 "--source", "note", "--format", "json"])
    assert [c["status"] for c in json.loads(again.stdout)] == ["already recorded from this source"] * 2


def test_what_the_text_does_not_say_is_left_for_the_analyst(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("华为海思的股份约2.5亿股。\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", "--facts", str(SEED), str(path)])
    assert result.exit_code == 0
    entry = result.stdout.split("figures:\n", 1)[1]
    assert entry == """
  # 约2.5亿股  (line 1; new)
  # sentence: 华为海思的股份约2.5亿股。
  # read: value 250000000; unit share; cue 约; about
  - of: ~  # TODO: the company, group, product or segment
    metric: ~  # TODO: the metric
    period: ~  # TODO: the period, or unspecified with a note
    value: "约2.5亿股"
    source: ~  # TODO: the source id (kg extract --source ID)
    locator: ~  # TODO: where in the source, in our words (e.g. financials paragraph, H1 2025 net loss)
"""


def test_json_gives_one_object_a_figure(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("壁仞科技每股发售价17.00至19.60港元。\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", "--facts", str(SEED), str(path), "--format", "json"])
    assert result.exit_code == 0
    [figure] = json.loads(result.stdout)
    assert {k: figure[k] for k in ("text", "value", "low", "high", "unit", "qualifier", "sentence", "entity",
                                   "metric", "period", "status")} == {
        "text": "17.00至19.60港元", "value": None, "low": "17.0", "high": "19.6", "unit": "HKD", "qualifier": "range",
        "sentence": "壁仞科技每股发售价17.00至19.60港元。", "entity": "biren", "metric": "offer-price", "period": None,
        "status": "new",
    }


def test_bad_usage_is_an_error_not_a_traceback(tmp_path):
    runner = CliRunner()
    path = tmp_path / "a.txt"
    path.write_text("壁仞科技2024年收入3.37亿元。", encoding="utf-8")
    unknown = runner.invoke(main, ["extract", "--facts", str(SEED), str(path), "--source", "nope"])
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith(f"Error: no source 'nope' in {SEED}; add it to sources first (known: article, ")
    missing = runner.invoke(main, ["extract", "--facts", str(SEED), str(tmp_path / "none.txt")])
    assert (missing.exit_code, missing.stderr) == (2, f"Error: no file {tmp_path / 'none.txt'}\n")
    date = runner.invoke(main, ["extract", "--facts", str(SEED), str(path), "--published", "23.12.2025"])
    assert (date.exit_code, date.stderr) == (2, "Error: '23.12.2025' is not a date written YYYY-MM-DD\n")


@pytest.mark.parametrize("name", ["zh-listing-roundup.md", "en-listing-roundup.md"])
def test_every_figure_of_the_test_texts_is_found_with_its_value_unit_and_qualifier(seed, name):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import extract as benchmark

    report = benchmark.measure(TEXTS / name, seed, kg.check_facts(seed))
    assert (report.misses, report.wrong_values) == ([], [])
    assert len(report.found) == len(report.rows) > 15
    assert report.entity_ok == len(report.found)


def test_a_bound_word_further_back_in_the_clause_does_not_bound_the_figure():
    assert read("Net losses over the period were RMB554 million; 预计2026年收入将达到约10亿元。") == [
        ("RMB554 million", "554000000.0", "CNY", "exact", None, None),
        ("约10亿元", "1000000000.0", "CNY", "exact", "about", "forecast"),
    ]


def test_listing_day_figures_have_a_basis_and_the_listing_day(seed):
    text = ("Moore Threads listed on the STAR Market on December 5. Its shares opened 468% higher, climbed as high "
            "as RMB688 each during the session and closed at RMB600.50, up 425.46%.")
    result = extract(text, facts=seed, published=dt.date(2025, 12, 8))
    assert [(c.text, c.entity, c.metric, c.basis, c.period) for c in result.candidates] == [
        ("468%", "moore-threads", "first-day-gain", "open", "2025-12-05"),
        ("RMB688 each", "moore-threads", "first-day-price", "intraday-high", "2025-12-05"),
        ("RMB600.50", "moore-threads", "first-day-price", "close", "2025-12-05"),
        ("425.46%", "moore-threads", "first-day-gain", "close", "2025-12-05"),
    ]
