"""Does ``kg extract`` take time in proportion to the text? Time per character as the text grows, hostile texts too.

Not a test: run it by hand; ``--write`` writes benchmarks/EXTRACT-SCALING.md.

    .venv/bin/python benchmarks/extract_scaling.py --write
    PYTHONPATH=/path/to/older/checkout .venv/bin/python benchmarks/extract_scaling.py --max-repeats 64   # before

Three texts, each put one after another 1, 4, 16, 64 and 256 times (about 1 MB at 256):
the stored article of the shipped facts as written; the same with every stop, comma and
line break taken out (one clause of the whole text: where a figure's clause, sentence and
paragraph are longest); and a list of figures ``1元、2元、...`` of one sentence. Each is
read by ``extract`` against the shipped facts (their graph built once, outside the timing),
best of ``--runs``. The floor is one pass over the same text that any reading needs: the
figure pattern's matches and a count of the lines. Linear means the time per character,
and its ratio to the floor's, stays flat as the text grows; CPU time is measured (the
machine is shared), and the code measured is named in the report.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import kg
from kg.author import extract as extract_lib
from kg.base.files import write_atomically
from kg.build.pipeline import checked_graph

ROOT = Path(__file__).resolve().parent.parent
FACTS = ROOT / "facts"
ARTICLE = FACTS / "texts" / "iluvatar-hkex-hearing-article.txt"
REPEATS = (1, 4, 16, 64, 256)


def texts() -> dict[str, str]:
    article = ARTICLE.read_text(encoding="utf-8")
    return {
        "the article": article + "\n",
        "no stops": re.sub(r"[，,。；;：:！!？?\n（）()]", "", article),
        "one list": "客户数量分别为" + "、".join(f"{n}家" for n in range(1, 400)) + "。",
    }


def cpu_best(runs: int, work) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def floor(text: str) -> None:
    sum(1 for _ in extract_lib._AMOUNT.finditer(text))
    text.count("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--max-repeats", type=int, default=REPEATS[-1])
    parser.add_argument("--write", action="store_true", help="write benchmarks/EXTRACT-SCALING.md")
    args = parser.parse_args()
    facts = kg.load_facts(FACTS)
    graph = checked_graph(facts).to_rdflib()
    rows = []
    for name, unit in texts().items():
        for repeats in (r for r in REPEATS if r <= args.max_repeats):
            text = unit * repeats
            found = []
            took = cpu_best(args.runs, lambda: found.append(extract_lib.extract(text, facts=facts, graph=graph)))
            base = cpu_best(max(args.runs, 5), lambda: floor(text))
            row = (name, repeats, len(text), len(found[-1].candidates), took, took / len(text) * 1e6, base,
                   took / base)
            rows.append(row)
            print("{} x{}: {} characters, {} figures, {:.2f} s, {:.1f} µs a character, floor {:.4f} s, "
                  "{:.0f} x the floor".format(*row), flush=True)
    lines = [
        "# kg extract: time against the length of the text",
        "",
        f"Written by `benchmarks/extract_scaling.py --write` (code measured: `{Path(kg.__file__).parent}`).",
        "CPU seconds, best of the runs; the floor is one pass of the figure pattern and a count of the lines.",
        "",
        "| text | repeats | characters | figures | extract (s) | µs per character | floor (s) | extract / floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += ["| {} | {} | {} | {} | {:.2f} | {:.1f} | {:.4f} | {:.0f} |".format(*row) for row in rows]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.write:
        write_atomically(ROOT / "benchmarks" / "EXTRACT-SCALING.md", report.encode("utf-8"))


if __name__ == "__main__":
    sys.exit(main())
