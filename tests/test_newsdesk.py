"""The news-desk benchmark scores first-sight candidates, and the current extractor, against what was recorded."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from conftest import ROOT, SEED

sys.path.insert(0, str(ROOT / "benchmarks"))
import newsdesk  # noqa: E402

SOURCE = """URL: https://example.org/biren-results
Publisher: an example outlet
Published: 2025-12-23
Language: zh
Batch: A

## Text (rewritten)

壁仞科技2024年营收为3.37亿元，2024年净亏损约15亿元，2025年上半年营收5890万元。

## Facts

| # | entity | metric / relation | period | value | qualifier | locator |
|---|---|---|---|---|---|---|
| 1 | Biren | revenue | 2024 | 3.37亿 CNY | exact | first sentence |

## Recorded

| # | recorded | what |
|---|---|---|
| 1 | whole | revenue |
| 2, 3 | part | net loss, revenue |
| 4–5 | none | nothing |
"""

FIGURES = """sources:
  - id: desk-note
    kind: article
    title: {zh: 壁仞科技业绩, en: Biren results}
    published: 2025-12-23
    language: zh
figures:
  - {of: biren, metric: revenue, period: 2024, value: 3.37亿元, source: desk-note, locator: first sentence}
  - {of: biren, metric: net-loss, period: 2024, value: 约15亿元, source: desk-note, locator: first sentence}
  - {of: biren, metric: revenue, period: 2025H1, value: 5890万元, source: desk-note, locator: first sentence}
"""


def candidate(text: str, value: str, **fields) -> dict:
    return {"text": text, "stated": [text], "value": value, "low": None, "high": None, "unit": "CNY",
            "entity": "biren", "entity_known": True, "metric": "revenue", "period": "2024", "basis": None,
            "qualifier": "exact", "approximation": None, "circumstance": None, **fields}


def desk(tmp_path: Path) -> Path:
    folder = tmp_path / "desk"
    shutil.copytree(SEED, folder / "facts")
    (folder / "facts" / "desk-note.yaml").write_text(FIGURES, encoding="utf-8")
    (folder / newsdesk.SOURCES).mkdir(parents=True)
    (folder / newsdesk.SOURCES / "desk-note.md").write_text(SOURCE, encoding="utf-8")
    (folder / newsdesk.FIRST_SIGHT).mkdir(parents=True)
    first_sight = [candidate("3.37亿元", "337000000.0"),                                   # fully right
                   candidate("15亿元", "1500000000.0", metric="net-loss")]                  # 约 lost: a wrong value
    (folder / newsdesk.FIRST_SIGHT / "desk-note.json").write_text(json.dumps(first_sight), encoding="utf-8")
    return folder


def test_first_sight_and_after_are_scored_against_the_recorded_figures(tmp_path):
    [row] = newsdesk.measure(desk(tmp_path))
    first, after = row.first, row.after
    assert (first.figures, first.right, first.wrong, first.missed) == (3, 1, 1, 1)
    assert {m.figure.key: (m.candidate is not None, m.wrong) for m in first.matches} == {
        "biren/revenue/2024/desk-note": (True, ()), "biren/net-loss/2024/desk-note": (True, ("approximation",)),
        "biren/revenue/2025H1/desk-note": (False, ())}
    assert (after.figures, after.right, after.wrong, after.missed) == (3, 3, 0, 0)
    assert row.source.expressed == {"whole": 1, "part": 2, "none": 2}
    assert row.facts_as_of == "current facts"     # no history: the desk's facts as they are


def test_the_report_has_a_row_a_source_and_the_totals(tmp_path):
    folder = desk(tmp_path)
    out = tmp_path / "NEWSDESK.md"
    newsdesk.main(["--desk", str(folder), "--out", str(out)])
    report = out.read_text(encoding="utf-8")
    assert "| desk-note | A | 2025-12-23 | 3 | 1 (33%) | 1 | 1 | 3 (100%) | 0 | 0 | 1/2/2 (20% whole) |" in report
    assert "| **last 1 added** | | | 3 | 1 (33%) | 1 | 1 | 3 (100%) | 0 | 0 | 1/2/2 (20% whole) |" in report
    assert "- biren net-loss 2024 exact 约15亿元: '15亿元' has approximation None" in report


def test_a_recorded_list_counts_each_fact_it_names():
    assert newsdesk.expressed("1. whole: a\n2. part: b\n3. none: c\n4. whole: d\n") == {"whole": 2, "part": 1, "none": 1}
