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
from kg.author.extract import extract, find_figures, find_periods

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


# --- news as it is written: each case in a few words of our own ---------------------------------------

def proposed_full(text: str, facts: kg.Facts, published: dt.date = PUBLISHED, **options) -> list[tuple]:
    return [(c.text, c.entity, c.metric, c.period, c.basis, c.qualifier)
            for c in extract(text, facts=facts, published=published, **options).candidates]


def test_relative_days_count_from_the_publication_date(seed):
    # published on a Thursday
    text = ("摩尔线程今天的收盘价为600.5元/股。沐曦股份今日市值为3000亿元。Biren closed at HK$40.00 on Friday. "
            "MetaX rose 5% on Wednesday. 天数智芯8日在港交所挂牌，首日收盘价为156.8港元。去年营收为5亿元。")
    result = extract(text, published=dt.date(2026, 1, 8))
    assert [(c.text, c.period) for c in result.candidates] == [
        ("600.5元/股", "2026-01-08"), ("3000亿元", "2026-01-08"), ("HK$40.00", "2026-01-02"),
        ("5%", "2026-01-07"), ("156.8港元", "2026-01-08"), ("5亿元", "2025")]


def test_quarters_spans_and_as_of_dates(seed):
    text = ("寒武纪2025年前三季度营收为46亿元，第4季营收预期不超过24亿元。"
            "过去3年加上2025年前3季，摩尔线程合计营收13.9亿元，亏损合计59.4亿元。"
            "截至2025年6月30日，天数智芯累计交付超5.2万片。截至去年底，壁仞科技已有300家客户。"
            "\nBiren's revenue in Q1-Q3 2025 was RMB4.6 billion. As of June 30, 2025, it had 290 customers.")
    result = extract(text, facts=seed, published=dt.date(2026, 1, 20))
    assert [(c.text, c.entity, c.metric, c.period) for c in result.candidates] == [
        ("46亿元", "cambricon", "revenue", "2025Q1/2025Q3"),
        ("预期不超过24亿元", "cambricon", "revenue", "2025Q4"),
        ("13.9亿元", "moore-threads", "revenue", "2022/2025Q3"),
        ("59.4亿元", "moore-threads", "cumulative-net-loss", "2022/2025Q3"),
        ("超5.2万片", "iluvatar", "cumulative-deliveries", "2025-06-30"),
        ("300家", "biren", "customers", "2025-12-31"),
        ("RMB4.6 billion", "biren", "revenue", "2025Q1/2025Q3"),
        ("290 customers", "biren", "customers", "2025-06-30"),
    ]


def test_lists_align_names_and_periods_value_by_value(seed):
    text = ("排名第二、第三的是摩尔线程与沐曦股份，市值各为3100亿元与2500亿元。"
            "Moore Threads and MetaX were oversubscribed 2,750 times and 2,986 times, respectively. "
            "2022年至2024年及2025年上半年，天数智芯的收入分别为1.89亿元、2.89亿元、5.40")
    result = extract(text, facts=seed, published=PUBLISHED)
    assert [(c.text, c.entity, c.period) for c in result.candidates] == [
        ("3100亿元", "moore-threads", "2025-12-23"), ("2500亿元", "metax", "2025-12-23"),
        ("2,750 times", "moore-threads", None), ("2,986 times", "metax", None),
        ("1.89亿元", "iluvatar", "2022"), ("2.89亿元", "iluvatar", "2023"),
    ]   # the text breaks off inside the list: 5.40 has lost its unit and is no figure; market values the text
        # does not date are of the day it was published, the oversubscriptions of listings already made are not


def test_a_bound_under_a_negation_is_an_upper_bound():
    assert read("在这个市场里，没有一家国产厂商的份额达到1%。None of the rivals reaches 2% of the market.") == [
        ("达到1%", "1.0", "percent", "at-most", None, None),
        ("reaches 2%", "2.0", "percent", "at-most", None, None),
    ]


def test_codes_times_dates_ranks_and_citations_are_not_figures():
    text = ("12-10 08:30 来源：本报\n摩尔线程（688795.SH）股票代码“688795”，壁仞科技（06082）。[3][7][12]\n"
            "上午9点30分开盘，10 点 15 分报价；第1分钟冲高；依据第5号指引；全文2265字，约需7分钟读完；"
            "换股比例为0.5525:1。Baidu [HKG: 9888] traded at 5.49 a.m. on Dec. 8 and Jan 8; the STAR 50 Index rose. "
            "素有“4小龙”之称，排名第5家。共募资80亿元。")
    assert [c.text for c in find_figures(text)] == ["80亿元"]


def test_listing_day_prices_and_gains_have_their_basis_in_either_language(seed):
    text = ("12月5日，摩尔线程登陆科创板，以650元/股开盘，比114.28元/股的发行价高出468.78%，"
            "盘中最高价688元/股，涨幅冲破500%，收盘报600.5元/股，全天涨幅425.46%。"
            "On its debut, Moore Threads started 468% higher at the open and finished 425% up at RMB600.50.")
    assert proposed_full(text, seed, published=dt.date(2025, 12, 8)) == [
        ("650元/股", "moore-threads", "first-day-price", "2025-12-05", "open", "exact"),
        ("114.28元/股", "moore-threads", "offer-price", "2025-12-05", None, "exact"),   # the sentence's date
        ("468.78%", "moore-threads", "first-day-gain", "2025-12-05", "open", "exact"),
        ("688元/股", "moore-threads", "first-day-price", "2025-12-05", "intraday-high", "exact"),
        ("冲破500%", "moore-threads", "first-day-gain", "2025-12-05", "intraday-high", "at-least"),
        ("600.5元/股", "moore-threads", "first-day-price", "2025-12-05", "close", "exact"),
        ("425.46%", "moore-threads", "first-day-gain", "2025-12-05", "close", "exact"),
        ("468%", "moore-threads", "first-day-gain", "2025-12-05", "open", "exact"),
        ("425%", "moore-threads", "first-day-gain", "2025-12-05", "close", "exact"),
        ("RMB600.50", "moore-threads", "first-day-price", "2025-12-05", "close", "exact"),
    ]


def test_an_opening_price_is_never_the_offer_price(seed):
    text = "沐曦股份首日以700元/股开盘，发行价为104.66元/股。"
    assert [(c.text, c.metric, c.basis) for c in extract(text, facts=seed, published=dt.date(2025, 12, 17)).candidates] == [
        ("700元/股", "first-day-price", "open"), ("104.66元/股", "offer-price", None)]


def test_a_later_day_price_or_market_value_is_a_dated_figure_not_a_first_day_one(seed):
    # Moore Threads listed on 2025-12-05 (the seed's listing event); this is twelve days later
    text = ("Moore Threads' market value now stands at 336 billion yuan. 摩尔线程今日收盘报780元/股，上涨3%。"
            "摩尔线程上市首日市值为2822.52亿元。")
    result = extract(text, facts=seed, published=dt.date(2025, 12, 17))
    assert [(c.text, c.metric, c.period) for c in result.candidates] == [
        ("336 billion yuan", "market-cap", "2025-12-17"), ("780元/股", "share-price", "2025-12-17"),
        ("3%", "price-rise", "2025-12-17"),
        ("2822.52亿元", "first-day-market-cap", "2025-12-05")]


def test_a_market_share_keeps_its_market():
    [share] = extract("据测算，壁仞科技在中国AI芯片市场的市场份额为0.2%。").candidates
    assert (share.metric, share.market) == ("market-share", "中国AI芯片市场")


def test_oversubscription_in_either_language_and_a_threshold_is_not_one(seed):
    text = ("壁仞科技招股获超过2300倍的超额认购，远超触发回拨机制的100倍门槛。"
            "MetaX's retail tranche was oversubscribed 2,986 times.")
    result = extract(text, facts=seed)
    assert [(c.text, c.entity, c.metric, c.qualifier) for c in result.candidates] == [
        ("超过2300倍", "biren", "oversubscription", "at-least"), ("100倍", "biren", None, "exact"),
        ("2,986 times", "metax", "oversubscription", "exact")]


def test_traditional_script_and_chinese_numerals(seed):
    text = ("天數智芯2025年上半年營收約3.24億元，客戶超過290家，逾5萬片。摩爾線程市值六千三百億元，"
            "寒武紀上半年營收廿八點八億元，年增四十三倍，市占率百分之四，近九成收入來自雲端，接近四成來自海外。")
    result = extract(text, facts=seed, published=PUBLISHED)
    assert [(c.text, c.value, c.unit, c.qualifier, c.approximation, c.entity) for c in result.candidates] == [
        ("約3.24億元", "324000000.0", "CNY", "exact", "about", "iluvatar"),
        ("超過290家", "290", "customer", "at-least", None, "iluvatar"),
        ("逾5萬片", "50000", "chip", "at-least", None, "iluvatar"),
        ("六千三百億元", "630000000000.0", "CNY", "exact", None, "moore-threads"),
        ("廿八點八億元", "2880000000.0", "CNY", "exact", None, "cambricon"),
        ("四十三倍", "43.0", "times", "exact", None, "cambricon"),
        ("百分之四", "4.0", "percent", "exact", None, "cambricon"),
        ("近九成", "90.0", "percent", "exact", "nearly", "cambricon"),
        ("接近四成", "40.0", "percent", "exact", "nearly", "cambricon"),
    ]
    assert [(c.metric, c.period) for c in result.candidates[4:6]] == [("revenue", "2025H1"),
                                                                       ("revenue-growth-multiple", "2025H1")]


def test_a_space_between_number_and_unit_and_other_currencies():
    assert read("报 35.70 港元，市值超过 1000 亿港元；折合约新台币585.8元。") == [
        ("35.70 港元", "35.7", "HKD", "exact", None, None),
        ("超过 1000 亿港元", "100000000000.0", "HKD", "at-least", None, None),
        ("约新台币585.8元", "585.8", "TWD", "exact", "about", None),
    ]


def test_ranges_keep_their_unit_and_cue():
    assert read("预计全年营收为人民币60億元到70億元，前三季已贡献约66%至77%。") == [
        ("人民币60億元到70億元", ("6000000000.0", "7000000000.0"), "CNY", "range", None, "forecast"),
        ("约66%至77%", ("66.0", "77.0"), "percent", "range", "about", None),
    ]


def test_an_unknown_company_is_named_not_replaced_by_a_known_one(seed):
    text = ("天数智芯发行价为144.6港元。智谱发行价为116.2港元，智谱首日收盘131.5港元。"
            "Iluvatar CoreX rose 8%. Zhipu AI, a Tsinghua University spin-off, raised HK$4.35 billion. "
            "Moore Threads, often called “China's Nvidia”, raised CNY8 billion.")
    result = extract(text, facts=seed, published=dt.date(2026, 1, 8))
    assert [(c.text, c.entity, c.entity_known) for c in result.candidates] == [
        ("144.6港元", "iluvatar", True), ("116.2港元", "智谱", False), ("131.5港元", "智谱", False),
        ("8%", "iluvatar", True), ("HK$4.35 billion", "Zhipu AI", False), ("CNY8 billion", "moore-threads", True)]


def test_only_metrics_of_the_vocabulary_are_proposed(seed):
    from kg.base.ontology import vocabulary

    text = ("摩尔线程的估值为3000亿元，净利润为5亿元，换手率85%，市销率56.4，成交额120亿元。"
            "It closed at HKD125.80, up 3.5 percent. Its turnover was HK$5 billion.")
    metrics = [c.metric for c in extract(text, facts=seed, published=PUBLISHED).candidates]
    assert metrics == ["valuation", "net-profit", "turnover-rate", "price-to-sales", "trading-value", "share-price",
                       "price-rise", None]   # turnover: trading value or revenue, the word does not say
    texts = [(TEXTS / name).read_text(encoding="utf-8") for name in sorted(p.name for p in TEXTS.glob("*.md"))]
    proposed = {c.metric for t in texts for c in extract(t, facts=seed, published=PUBLISHED).candidates} - {None}
    assert proposed and proposed <= set(vocabulary().metric_units)


def test_a_candidate_that_matches_a_recorded_statement_says_so(seed):
    # the seed records Biren's FY2024 net loss (15.38亿元) from the article; this text gives no year
    result = extract("壁仞科技的净亏损为15.38亿元。壁仞科技亏损15.38亿元。", facts=seed, source="article")
    assert [(c.period, c.status, c.recorded) for c in result.candidates] == [
        (None, "already recorded from this source", ("biren/net-loss/2024/article",)),
        (None, "already recorded from this source", ("biren/net-loss/2024/article",))]
    unnamed = extract("壁仞科技2024年的数字是15.38亿元。", facts=seed).candidates
    assert [(c.metric, c.status, c.existing) for c in unnamed] == [(None, "same", (("15.38亿元", "article"),))]


def test_a_source_s_own_conversion_is_marked(seed):
    [hkd, usd] = extract("Biren raised HK$5.58 billion (US$717 million).", facts=seed).candidates
    assert (hkd.conversion_of, usd.conversion_of, usd.metric) == (None, "HK$5.58 billion", "gross-proceeds")


def test_a_plan_and_a_results_forecast_are_circumstances(seed):
    text = ("燧原科技这次IPO拟募资60亿。海光信息于2025年6月9日披露了重组预案。按照预案，海光信息需发行的股份共计8.08亿股。"
            "寒武纪公布年度业绩预告。公司去年营收为60亿元到70亿元。")
    result = extract(text, facts=seed, published=dt.date(2026, 2, 1))
    assert [(c.text, c.unit, c.currency_from, c.circumstance, c.period) for c in result.candidates] == [
        ("60亿", "CNY", "the currency the text writes", "planned", "2026-02-01"),
        ("8.08亿股", "share", None, "planned", "2025-06-09"),
        ("60亿元到70亿元", "CNY", None, "forecast", "2025"),
    ]


def test_the_yaml_says_what_the_text_implies_and_what_it_converts(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("燧原科技拟在科创板募资60亿。壁仞科技募资55.83亿港元（约7.17亿美元）。\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", "--facts", str(SEED), str(path), "--published", "2025-12-23"])
    assert result.exit_code == 0
    assert "    currency: CNY  # the currency of the exchange the sentence names\n    circumstance: planned\n" in result.stdout
    assert "    # the source's own conversion of 55.83亿港元: one statement with the amount it converts\n" in result.stdout


def test_an_offering_s_own_figures_have_their_metric_and_the_day_of_the_news(seed):
    text = ("沐曦股份11月3日晚间公布网上发行结果：有效申购户数为300.5万户，网下最终发行1200万股，占60.00%；"
            "回拨后网上发行800万股，占40.00%。每签500股，中一签要缴款4万元，网上最多可申购9000股，"
            "顶格申购须配备沪市市值9万元。网下询价有150家机构、4000个配售对象参与，香港公开发售占一成，基石投资者约占35%。")
    result = extract(text, facts=seed, published=dt.date(2025, 11, 4))
    assert [(c.text, c.metric, c.unit, c.period, c.qualifier) for c in result.candidates] == [
        ("300.5万户", "online-subscribers", "account", "2025-11-03", "exact"),
        ("1200万股", "shares-offered", "share", "2025-11-03", "exact"),
        ("60.00%", "allotment-share", "percent", "2025-11-03", "exact"),
        ("800万股", "shares-offered", "share", "2025-11-03", "exact"),
        ("40.00%", "allotment-share", "percent", "2025-11-03", "exact"),
        ("500股", "lot-size", "share", None, "exact"),
        ("4万元", "payment-per-lot", "CNY", None, "exact"),
        ("9000股", "subscription-cap", "share", None, "exact"),
        ("9万元", "holding-requirement", "CNY", None, "exact"),
        ("150家", "bidding-institutions", "investor", "2025-11-03", "exact"),
        ("4000个", "placement-accounts", "account", "2025-11-03", "exact"),
        ("一成", "allotment-share", "percent", "2025-11-03", "exact"),
        ("约占35%", "allotment-share", "percent", "2025-11-03", "exact"),
    ]


def test_a_text_that_reports_the_listing_leaves_the_offering_s_figures_undated(seed):
    debut = extract("摩尔线程12月5日在科创板挂牌。此前它的发行价为114.28元/股，网上申购倍数约为4000倍。",
                    facts=seed, published=dt.date(2025, 12, 6))
    plan = extract("燧原科技申请在科创板上市，已获受理，拟募资60亿元。", facts=seed, published=dt.date(2026, 1, 22))
    # the graph knows Moore Threads listed on 2025-12-05: a later text's offering figures are of the offering
    later = extract("摩尔线程的网上中签率为0.036%。", facts=seed, published=dt.date(2025, 12, 10))
    assert [(c.text, c.metric, c.period) for c in debut.candidates + plan.candidates + later.candidates] == [
        ("114.28元/股", "offer-price", None), ("约为4000倍", "oversubscription", None),
        ("60亿元", "gross-proceeds", "2026-01-22"), ("0.036%", "allotment-rate", None)]


def test_a_later_day_s_move_is_a_rise_or_a_fall_and_an_index_moves_by_its_own_metric(seed):
    text = ("沐曦股份今日收盘报600元/股，下跌4.5%。摩尔线程最新报700元/股，上升2.1%。"
            "It traded 3.1 percent up at US$12.50 at 9.30 a.m.")
    result = extract(text, facts=seed, published=dt.date(2026, 1, 20))
    assert [(c.text, c.metric, c.period, c.basis) for c in result.candidates] == [
        ("600元/股", "share-price", "2026-01-20", "close"), ("4.5%", "price-fall", "2026-01-20", "close"),
        ("700元/股", "share-price", "2026-01-20", "at-time"), ("2.1%", "price-rise", "2026-01-20", "at-time"),
        ("3.1 percent", "price-rise", "2026-01-20", "at-time"), ("US$12.50", "share-price", "2026-01-20", "at-time")]


def test_yuan_of_a_hong_kong_listing_written_with_its_code_is_hong_kong_dollars(seed):
    text = "壁仞科技（6082）招股价19.6元，入场费3959.53元。摩尔线程（688795）发行价114.28元。"
    result = extract(text, facts=seed, published=dt.date(2025, 12, 22))
    assert [(c.text, c.metric, c.unit) for c in result.candidates] == [
        ("19.6元", "offer-price", "HKD"), ("3959.53元", "payment-per-lot", "HKD"), ("114.28元", "offer-price", "CNY")]


def test_label_and_value_lists_read_prices_signed_gains_and_x_multiples(seed):
    text = ("Biren Technology listed on HKEX on January 2, 2026. Key figures: opening price HK$35.70 (+82.1%); "
            "closing price HK$34.60 (+75.8%); public offering subscribed 2,300.5x.")
    result = extract(text, facts=seed, published=dt.date(2026, 1, 3))
    assert [(c.text, c.metric, c.period, c.basis) for c in result.candidates] == [
        ("HK$35.70", "first-day-price", "2026-01-02", "open"), ("82.1%", "first-day-gain", "2026-01-02", "open"),
        ("HK$34.60", "first-day-price", "2026-01-02", "close"), ("75.8%", "first-day-gain", "2026-01-02", "close"),
        ("2,300.5x", "oversubscription", None, None)]


def test_a_forecast_stays_with_its_own_figures_and_a_broker_s_estimates_are_forecasts(seed):
    text = ("沐曦股份发布年度业绩预告。公司2025年营收预计为20亿元至25亿元，比2024年的7.4亿元增长170%至238%；"
            "扣非净利润预计为1亿元至2亿元，而2024年是3.5亿元的净亏损。这一变化在第三季度已经显现：某证券"
            "2025年11月20日的研究报告指出，该季度营收6.1亿元，毛利率为55.5%。"
            "某证券的预测模型显示，2026年至2027年营收分别为40亿元和60亿元。")
    result = extract(text, facts=seed, published=dt.date(2026, 1, 30))
    assert [(c.text, c.entity, c.metric, c.period, c.circumstance) for c in result.candidates] == [
        ("预计为20亿元至25亿元", "metax", "revenue", "2025", "forecast"),
        ("7.4亿元", "metax", "revenue", "2024", None),
        ("170%至238%", "metax", "revenue-growth", "2025", "forecast"),
        ("预计为1亿元至2亿元", "metax", "adjusted-net-profit", "2025", "forecast"),
        ("3.5亿元", "metax", "net-loss", "2024", None),
        ("6.1亿元", "metax", "revenue", "2025Q3", None),
        ("55.5%", "metax", "gross-margin", "2025Q3", None),
        ("40亿元", "metax", "revenue", "2026", "forecast"),
        ("60亿元", "metax", "revenue", "2027", "forecast"),
    ]


def test_a_plan_s_terms_a_valuation_at_the_offer_price_and_a_potential_gain(seed):
    text = ("海光信息于2025年6月9日披露了重组预案。按照预案，海光信息需发行的股份共计8.08亿股。"
            "换股价格定为143.46元/股，另一方为79.26元/股。\n"
            "以发行价推算，沐曦股份上市时总市值将超过400亿元，中一签的潜在收益达4万元。"
            "截至今年6月底，公司的产品和方案已有超过900次部署。")
    result = extract(text, facts=seed, published=dt.date(2025, 12, 10))
    assert [(c.text, c.metric, c.period, c.circumstance) for c in result.candidates] == [
        ("8.08亿股", "new-shares-issued", "2025-06-09", "planned"),
        ("143.46元/股", "swap-price", "2025-06-09", "planned"),
        ("79.26元/股", "swap-price", "2025-06-09", "planned"),
        ("超过400亿元", "valuation", None, "hypothetical"),
        ("4万元", "paper-gain-per-lot", None, "hypothetical"),
        ("超过900次", "deployments", "2025-06-30", None),   # 方案 of 产品和方案 is a solution, not a plan
    ]


def test_days_around_an_offering_next_week_next_year_and_none_still_to_come(seed):
    # published on Tuesday 2025-12-30
    text = ("天数智芯（9903）招股期由今日（30日）至下周一（5日），计划发行2,000万股，招股价100元；"
            "明年1月8日正式挂牌。截至今年6月底，公司已有超过290名客户。")
    result = extract(text, facts=seed, published=dt.date(2025, 12, 30))
    periods = [m.codes[0] for m in find_periods(text, dt.date(2025, 12, 30)) if m.codes]
    assert periods == ["2025-12-30", "2025-12-30", "2026-01-05", "2026-01-05", "2026", "2026-01-08", "2025-06-30"]
    assert [(c.text, c.metric, c.unit, c.period) for c in result.candidates] == [
        ("2,000万股", "shares-offered", "share", "2025-12-30"),   # not of the 5th, a day still to come
        ("100元", "offer-price", "HKD", "2025-12-30"),
        ("超过290名", "customers", "customer", "2025-06-30")]


def test_a_list_read_in_order_and_a_negative_profit_is_a_loss(seed):
    text = ("2022-2024年及2025年前三季度，燧原科技营业收入依次为1.5亿元、3亿元、6亿元和4亿元；"
            "2024年归母净利润为-2.5亿元。")
    result = extract(text, facts=seed, published=dt.date(2026, 1, 23))
    assert [(c.text, c.metric, c.period) for c in result.candidates] == [
        ("1.5亿元", "revenue", "2022"), ("3亿元", "revenue", "2023"), ("6亿元", "revenue", "2024"),
        ("4亿元", "revenue", "2025Q1/2025Q3"), ("2.5亿元", "net-loss", "2024")]


def test_a_price_multiple_an_index_s_move_and_a_compound_growth_rate(seed):
    text = ("摩尔线程2022年至2024年合计营收13.9亿元，上市以来股价却涨了4.2倍。"
            "Moore Threads' shares quintupled on their first day of trading. "
            "2022-2024年，燧原科技营收复合增长率为150.5%。它的产品共有6款。")
    result = extract(text, facts=seed, published=dt.date(2026, 1, 8))
    assert [(c.text, c.metric, c.unit, c.period, c.basis) for c in result.candidates] == [
        ("13.9亿元", "revenue", "CNY", "2022/2024", None),   # the span is the revenue's, not the multiple's
        ("4.2倍", "price-multiple-of-offer", "times", "2026-01-08", "not-stated"),
        ("quintupled", "price-multiple-of-offer", "times", "2025-12-05", "not-stated"),
        ("150.5%", "revenue-cagr", "percent", "2022/2024", None),
        ("6款", "products", "product", None, None),
    ]


def test_a_month_and_day_is_the_one_nearest_the_publication():
    # published on 2025-12-29: the coming New Year's days, and a past November
    periods = [m.codes[0] for m in find_periods("12月31日暗盘交易，1月2日上市；11月20日递表。", dt.date(2025, 12, 29))]
    assert periods == ["2025-12-31", "2026-01-02", "2025-11-20"]
    assert [m.codes[0] for m in find_periods("11月20日递表。", dt.date(2026, 3, 10))] == ["2025-11-20"]


def test_it_is_the_company_before_and_an_issue_price_a_lottery_rate_and_a_quote_at_writing(seed):
    text = ("MetaX listed on the STAR Market on December 17 and opened at 700.00 yuan per share, above its "
            "104.66 yuan per share issue price. It touched 895 yuan per share during the session and, as the "
            "article was written, stood 700.5% higher. Its online lottery rate in 2025 was 0.0335%.")
    result = extract(text, facts=seed, published=dt.date(2025, 12, 17))
    assert [(c.text, c.entity, c.metric, c.period, c.basis) for c in result.candidates] == [
        ("700.00 yuan per share", "metax", "first-day-price", "2025-12-17", "open"),
        ("104.66 yuan per share", "metax", "offer-price", "2025-12-17", None),
        ("895 yuan per share", "metax", "first-day-price", "2025-12-17", "intraday-high"),
        ("700.5%", "metax", "first-day-gain", "2025-12-17", "at-time"),
        ("0.0335%", "metax", "allotment-rate", None, None),   # of the offering, not of the year 2025
    ]


def test_what_cornerstones_put_in_and_an_oversubscription_written_超购(seed):
    text = "壁仞科技引入10名基石投资者，合计投资约12.5亿港元。截稿时公开发售已超购逾千倍。"
    result = extract(text, facts=seed, published=dt.date(2025, 12, 29))
    assert [(c.text, c.metric, c.qualifier) for c in result.candidates] == [
        ("10名", "cornerstone-investors", "exact"), ("约12.5亿港元", "cornerstone-subscription", "exact"),
        ("逾千倍", "oversubscription", "at-least")]


def test_each_figure_keeps_its_own_sentence_where_stops_line_breaks_and_full_stops_end_them():
    text = ("客户近300家。毛利率82.1%！\n研发开支16.01亿元\nRevenue was RMB337 million. "
            "It had 250 staff. Net loss reached RMB1.5 billion")
    assert [(c.text, c.sentence) for c in find_figures(text)] == [
        ("近300家", "客户近300家。"),
        ("82.1%", "毛利率82.1%！"),
        ("16.01亿元", "研发开支16.01亿元"),
        ("RMB337 million", "Revenue was RMB337 million."),
        ("250", "It had 250 staff."),
        ("RMB1.5 billion", "Net loss reached RMB1.5 billion"),
    ]
