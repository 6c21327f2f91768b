"""Is ``kg extract`` linear in the length of the text? Time per character as the text grows.

Not a test: run it by hand; it writes benchmarks/EXTRACT-SPEED.md.

    .venv/bin/python benchmarks/extract_speed.py

The texts are our own test texts (tests/fixtures/texts/*.md, their "Text (rewritten)" sections) put one
after another 1, 4, 16 and 64 times, as they are and with every full stop, comma and line break taken
out (one sentence of the whole text, the case where a figure's clause and sentence are longest). Each
is read by ``extract`` against the seed facts (its graph built once, outside the timing), best of three
runs. The floor is one pass over the same text that any reading needs: the reading view (simplified
characters) and the amount pattern's matches. Linear means the time per character, and its ratio to
the floor's, stays flat as the text grows. The time spent in ``_sentence`` (the sentence of each
figure, made linear by another change) is shown apart, and the rest is what this reading adds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import kg  # noqa: E402
from kg.author import extract as extract_lib  # noqa: E402
from kg.base.files import write_atomically  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ROOT / "tests" / "fixtures" / "texts"
SEED = ROOT / "tests" / "fixtures" / "seed"
REPEATS = (1, 4, 16, 64)


def base_text() -> str:
    parts = []
    for path in sorted(TEXTS.glob("*.md")):
        page = path.read_text(encoding="utf-8")
        if "## Text (rewritten)" in page:
            parts.append(page.split("## Text (rewritten)", 1)[1].split("\n## ", 1)[0].strip())
    return "\n\n".join(parts)


def best_of(runs: int, work) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def floor(text: str) -> None:
    view = extract_lib.reading_view(text)
    for _ in extract_lib._AMOUNT.finditer(view):
        pass


def measure(facts: kg.Facts, graph, text: str) -> tuple[float, float, float, int]:
    """(seconds of the fastest of three runs, of which in ``_sentence``, the floor's seconds, figures)."""
    sentence = extract_lib._sentence
    spent = [0.0]

    def timed(*args):
        started = time.perf_counter()
        try:
            return sentence(*args)
        finally:
            spent[0] += time.perf_counter() - started

    runs = []
    extract_lib._sentence = timed
    try:
        for _ in range(3):
            spent[0] = 0.0
            started = time.perf_counter()
            result = extract_lib.extract(text, facts=facts, graph=graph, published=dt.date(2025, 12, 23))
            runs.append((time.perf_counter() - started, spent[0], len(result.candidates)))
    finally:
        extract_lib._sentence = sentence
    total, in_sentence, figures = min(runs)
    return total, in_sentence, best_of(3, lambda: floor(text)), figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "EXTRACT-SPEED.md")
    args = parser.parse_args()
    facts = kg.load_facts(SEED)
    graph = kg.check_facts(facts)
    base = base_text()
    rows = ["| text | repeats | characters | figures | extract (ms) | of which `_sentence` (ms) | the rest: µs per character | "
            "floor (ms) | the rest / floor |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, text in (("as written", base), ("no punctuation", re.sub(r"[。，,；;.!?！？\n]", " ", base))):
        for repeats in REPEATS:
            whole = "\n\n".join([text] * repeats) if name == "as written" else " ".join([text] * repeats)
            total, in_sentence, bottom, figures = measure(facts, graph, whole)
            rest = total - in_sentence
            rows.append(f"| {name} | {repeats} | {len(whole)} | {figures} | {total * 1000:.1f} | "
                        f"{in_sentence * 1000:.1f} | {rest * 1e6 / len(whole):.1f} | {bottom * 1000:.2f} | "
                        f"{rest / bottom:.0f} |")
    report = "\n".join([
        "# kg extract: time against the length of the text", "",
        "Written by `benchmarks/extract_speed.py` (run it by hand). Our test texts one after another 1 to 64 "
        "times, as written and with every stop, comma and line break taken out (one sentence of the whole text), "
        "read by `extract` against the seed facts, fastest of three runs. `_sentence` (each figure's sentence) is "
        "timed apart: it scans from the start of the text for every figure, and another change makes it linear. "
        "The rest is what reading a figure costs here; the floor is one pass any reading needs (the reading view "
        "and the amount pattern). Linear: the rest per character, and its ratio to the floor, stay flat as the "
        "text grows.",
        "", *rows, ""])
    write_atomically(args.out, report.encode("utf-8"))
    print(report)


if __name__ == "__main__":
    main()
