"""Finding entities by any name they go by, and never by a name that merely contains theirs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg
from kg.cli import main
from kg.base.errors import UsageError
from kg.base.ontology import GPU, KGR
from kg.query.catalog import find_query, run
from kg.query.resolve import Resolver, core_name, name_keys, ticker_key
from kg.store.oxigraph import DiskStore

from conftest import SEED


def with_names(tmp_path: Path) -> Path:
    """The seed facts, with Biren's and Moore Threads' securities (tickers) and HiSilicon (华为海思) added."""
    folder = tmp_path / "facts"
    shutil.copytree(SEED, folder)
    (folder / "names.yaml").write_text("""\
sources:
  - id: listing-notes
    kind: website
    title: {zh: 上市代码, en: Listing codes}
    note: Test facts for name resolution.

organizations:
  - id: hisilicon
    roles: [chip-designer]
    name: {zh: 华为海思, en: HiSilicon}
    source: listing-notes
    locator: company list

securities:
  - id: biren-h-share
    company: biren
    ticker: 06082.HK
    source: listing-notes
    locator: code list
  - id: moore-threads-a-share
    company: moore-threads
    ticker: 688795.SH
    source: listing-notes
    locator: code list
""", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def named(tmp_path_factory) -> Path:
    return with_names(tmp_path_factory.mktemp("named"))


@pytest.fixture(scope="module")
def resolver(named) -> Resolver:
    return Resolver(kg.load_graph(named))


def ids(resolver: Resolver, name: str) -> list[str]:
    return [entity.id for entity in resolver.lookup(name, entities_only=True).matches]


def test_a_company_name_without_its_usual_parts():
    assert core_name("上海天数智芯半导体股份有限公司") == "天数"
    assert core_name("壁仞科技") == "壁仞"
    assert core_name("Biren Technology Co., Ltd.") == "biren"
    assert core_name("Shanghai Iluvatar CoreX Integrated Circuits Co., Ltd.") == "iluvatar corex"
    assert core_name("华为海思") == "华为海思"
    assert core_name("科技") == "科技", "a name is never stripped to nothing"


def test_tickers_are_one_key_however_written():
    assert ticker_key("06082.HK") == ticker_key("6082.hk") == "6082.hk"
    assert ticker_key("688795.SH") == "688795.sh"
    assert ticker_key("天数智芯") is None
    assert name_keys("06082.HK") == {"06082.hk", "6082.hk", "6082"}


@pytest.mark.parametrize("name, expected", [
    ("壁仞", "biren"), ("壁仞科技", "biren"), ("Biren", "biren"), ("Biren Technology Co., Ltd.", "biren"),
    ("06082.HK", "biren"), ("6082.hk", "biren"),
    ("天数", "iluvatar"), ("天数智芯", "iluvatar"), ("上海天数智芯半导体股份有限公司", "iluvatar"),
    ("Iluvatar CoreX", "iluvatar"), ("ILUVATAR COREX", "iluvatar"), ("iluvatar", "iluvatar"),
    ("688795.SH", "moore-threads"), ("摩尔线程", "moore-threads"), ("沐曦", "metax"), ("沐曦股份", "metax"),
    ("华虹", "hua-hong"), ("Hua Hong Semiconductor", "hua-hong"), ("华为海思", "hisilicon"),
])
def test_an_entity_is_found_by_any_name(resolver, name, expected):
    assert ids(resolver, name) == [expected]


def test_a_name_is_never_resolved_to_an_entity_that_merely_contains_it(resolver):
    found = resolver.lookup("华为", entities_only=True)
    assert (found.status, found.matches) == ("unknown", ())
    assert [e.id for e in found.closest] == ["hisilicon"]
    assert ids(resolver, "摩尔") == [], "摩尔 is not 摩尔线程"
    assert ids(resolver, "Moore") == []


def test_an_ambiguous_name_lists_every_candidate_and_picks_none(resolver):
    graph = kg.build.graph.new_graph()
    for key in ("apex-a", "apex-b"):
        graph.add((KGR[key], kg.build.graph.RDF.type, GPU.ChipDesigner))
        graph.add((KGR[key], kg.build.graph.RDFS.label, kg.build.graph.Literal("Apex 科技", lang="zh")))
    found = Resolver(graph).lookup("Apex", entities_only=True)
    assert found.status == "ambiguous"
    assert [e.id for e in found.matches] == ["apex-a", "apex-b"]


def test_kg_resolve_prints_id_names_and_kind(named):
    result = CliRunner().invoke(main, ["resolve", "--facts", str(named), "壁仞", "天数", "华为"])
    assert result.exit_code == 1, "华为 names nothing"
    assert result.stdout == (
        "壁仞 -> biren: Biren Technology (en), 壁仞科技 (zh), 06082.HK [chip designer]\n"
        "天数 -> iluvatar: Iluvatar CoreX (en), 天数智芯 (zh), 上海天数智芯半导体股份有限公司 (zh) [chip designer]\n"
        "华为: unknown; the closest names:\n"
        "  hisilicon: HiSilicon (en), 华为海思 (zh) [chip designer]\n"
    )
    ok = CliRunner().invoke(main, ["resolve", "--facts", str(named), "688795.SH"])
    assert (ok.exit_code, ok.stdout) == (0, "688795.SH -> moore-threads: Moore Threads (en), 摩尔线程 (zh), "
                                            "688795.SH [chip designer]\n")


def test_kg_resolve_says_when_nothing_is_named_like_it():
    result = CliRunner().invoke(main, ["resolve", "--facts", str(SEED), "Zyx Quantum"])
    assert (result.exit_code, result.stdout) == (1, "Zyx Quantum: unknown; nothing is named like it\n")


def test_a_security_is_found_by_its_id_and_its_ticker_names_its_company(resolver):
    assert ids(resolver, "biren-h-share") == ["biren-h-share"]
    assert ids(resolver, "06082.HK") == ["biren"]


@pytest.mark.parametrize("name", ["壁仞", "天数", "上海天数智芯半导体股份有限公司", "06082.HK"])
def test_query_parameters_take_short_names_in_memory_and_from_the_disk_index(tmp_path, named, name):
    graph = kg.load_graph(named)
    profile = find_query("company-profile")
    store = DiskStore(tmp_path / "store")
    store.replace(graph)
    expected = "biren" if name in ("壁仞", "06082.HK") else "iluvatar"
    in_memory = run(graph, profile, {"company": name})
    assert in_memory.rows and in_memory.rows == run(graph, profile, {"company": expected}).rows
    assert run(DiskStore(tmp_path / "store"), profile, {"company": name}).rows == in_memory.rows


def test_a_query_parameter_that_only_contains_a_name_is_refused(named):
    graph = kg.load_graph(named)
    with pytest.raises(UsageError) as err:
        run(graph, find_query("company-profile"), {"company": "华为"})
    assert str(err.value) == ("parameter 'company': no organization is called '华为'; "
                              "did you mean hisilicon (HiSilicon / 华为海思)?")


def test_a_view_focus_takes_a_short_name(named):
    from kg.show import views

    graph = kg.load_graph(named)
    assert views.select_view(graph, focus="壁仞").name == views.select_view(graph, focus="biren").name == "focus-biren"


# --- the names analysts type, on the live facts ---------------------------------------------------


@pytest.fixture(scope="module")
def live():
    from conftest import LIVE_FACTS

    graph = kg.load_graph(LIVE_FACTS)
    return graph, Resolver(graph)


@pytest.mark.parametrize("name, expected", [
    ("摩尔", "moore-threads"), ("中芯", "smic"), ("红杉", "hongshan"), ("国盛", "guosheng-capital"),
    ("景林", "greenwoods"), ("启明", "qiming-venture-partners"), ("Qiming", "qiming-venture-partners"),
    ("首日市值", "gpu:FirstDayMarketCap"), ("净亏损", "gpu:NetLoss"), ("2025年上半年", "period/2025H1"),
])
def test_short_names_and_metric_names_are_found(live, name, expected):
    assert ids(live[1], name) == [expected]


def test_a_short_name_is_never_a_company_name_part_alone():
    assert core_name("Shenzhen Capital Group") == "shenzhen capital", "not 'capital'"
    assert core_name("中国国际资本") == "中国国际"
    assert core_name("红杉资本") == "红杉" and core_name("Greenwoods Asset Management") == "greenwoods"


def test_kg_resolve_finds_a_metric_by_its_chinese_name():
    from conftest import LIVE_FACTS

    result = CliRunner().invoke(main, ["resolve", "--facts", str(LIVE_FACTS), "首日市值", "摩尔"])
    metric, company = result.stdout.splitlines()
    assert result.exit_code == 0
    assert metric == ("首日市值 -> gpu:FirstDayMarketCap: first-day market capitalisation (en), 首日市值 (zh), "
                      "first-day-market-cap [metric]")
    # The live facts keep gaining aliases from new sources: the company and its kind are what is pinned.
    assert company.startswith("摩尔 -> moore-threads: Moore Threads (en), 摩尔线程 (zh), ")
    assert "摩尔 (zh)" in company and company.endswith("688795.SH [chip designer]")


def test_completion_offers_what_a_name_names_then_names_that_start_then_names_that_contain_it(resolver):
    complete = [resolver.entity(node).id for node in resolver.complete("华为")]
    assert complete == ["hisilicon"], "offered as a completion, never taken as what 华为 names"
    assert [resolver.entity(n).id for n in resolver.complete("天数")][:1] == ["iluvatar"], "what it names first"
    metrics = [resolver.entity(n).id for n in resolver.complete("revenue", GPU.Metric)]
    assert metrics[0] == "gpu:Revenue" and "iluvatar" not in metrics, "only things of the class asked for"
    assert resolver.complete("   ") == []


def test_an_unknown_name_suggests_what_the_completion_would_offer(resolver):
    with pytest.raises(UsageError, match=r"no organization is called 'Moor'; did you mean moore-threads"):
        resolver.resolve("Moor", GPU.Organization)


def test_traditional_characters_find_the_same_entity(resolver):
    assert ids(resolver, "天數智芯") == ["iluvatar"] and ids(resolver, "壁仞科技") == ["biren"]


def test_an_unknown_ticker_is_close_to_no_other_company(resolver):
    found = resolver.lookup("688802.SH", entities_only=True)
    assert (found.status, found.closest) == ("unknown", ())
