"""A result as a table that a person reads in a terminal window: long text cut, amounts grouped.

``kg query`` prints this on a terminal; ``--raw`` (or any pipe or file) gets
the exact table of kg.query.results instead. A table that would have to cut its
text narrower than a few words (``at th…``: at the open or at the close?) is
not drawn at all: each row is shown as a record instead, a line per column, as
psql's expanded display does, so every value stays whole however many columns
the query has.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from rdflib import Literal
from rdflib.term import Node

from .answer import (Result, Answer, is_number, numeric_columns, aligned, count_line, display_width, pad,
                     people_cells)
from ..store.result import SAMPLE_ROWS

ELLIPSIS = "…"
READABLE = 16    # a text column is never cut narrower than this: "basis not stated", "Biren Technology"
HEADING = 6      # nor a number's column narrower than this, for its heading
GAP = 2


def amount_text(term: Node | None) -> str | None:
    """``1,890,000`` for a number literal, ``68.8`` kept as written; None for anything else."""
    if not is_number(term):
        return None
    assert isinstance(term, Literal)
    try:
        value = Decimal(str(term))
    except InvalidOperation:
        return None
    if not value.is_finite():
        return str(term)
    sign = "-" if value < 0 else ""
    whole, _, fraction = format(abs(value).normalize(), "f").partition(".")
    return f"{sign}{int(whole):,}" + (f".{fraction}" if fraction else "")


def cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal columns, with an ellipsis where it was cut."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            break
        kept.append(ch)
        used += w
    return "".join(kept) + ELLIPSIS


def wrapped(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` terminal columns, broken at spaces where it has them."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if display_width(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in word:  # a word longer than the line (or Chinese, which has no spaces) breaks anywhere
            if display_width(line + ch) > width and line:
                lines.append(line)
                line = ""
            line += ch
    lines.append(line)
    return lines


def fitted_table(answer: Answer, width: int) -> Iterator[str]:
    """The answer fitted to a terminal ``width`` columns wide.

    Columns with no value at all are left out (the last line names them). Headings
    wrap at their ``_`` (``first_day_`` over ``market_cap``); text columns are
    narrowed, widest first, but never below READABLE; numbers, dates and short codes
    are never cut. When the table cannot fit that way, every row is shown as a
    record. Sized on the answer's first SAMPLE_ROWS rows.
    """
    if answer.first.is_boolean:
        yield ("true" if answer.first.boolean else "false") + "\n"
        return
    shown = people_cells(answer)

    def cells(chunk: Result, row: tuple) -> list[str]:
        return [amount_text(term) or text for term, text in zip(row, shown(chunk, row))]

    sample = [cells(answer.first, row) for row in answer.sample.rows]
    whole = _whole_in_sample(answer)
    headers = [answer.heading(v) for v in answer.variables]
    # A column empty in every row tells nothing; left out only when every row has been seen.
    kept = [i for i in range(len(headers)) if not whole or any(r[i] for r in sample)] or list(range(len(headers)))
    note = f"no value in {', '.join(headers[i] for i in range(len(headers)) if i not in kept)}" \
        if len(kept) < len(headers) else ""
    header = [headers[i] for i in kept]
    sample = [[r[i] for i in kept] for r in sample]
    numeric = [numeric_columns(answer.sample)[i] for i in kept]

    def kept_cells(chunk: Result, row: tuple) -> list[str]:
        texts = cells(chunk, row)
        return [texts[i] for i in kept]

    values = [max([display_width(r[i]) for r in sample] + [0]) for i in range(len(header))]
    widths = [max(display_width(h), v) for h, v in zip(header, values)]
    floors = [_floor(h, v, number) for h, v, number in zip(header, values, numeric)]
    if sum(floors) + GAP * (len(floors) - 1) > width:
        yield from _records(answer, header, sample, kept_cells, width, note)
        return
    # Headings wrap first (nothing is lost), then text is cut, the most first.
    for least in ([max(v, f) for v, f in zip(values, floors)], floors):
        while sum(widths) + GAP * (len(widths) - 1) > width:
            widest = max(range(len(widths)), key=lambda i: (widths[i] - least[i], -i))
            if widths[widest] <= least[widest]:
                break
            widths[widest] -= 1
    lines = [heading_lines(h, w) for h, w in zip(header, widths)]
    rows = [[names[k] if k < len(names) else "" for names in lines] for k in range(max(map(len, lines)))]
    yield from aligned(answer, rows, sample, kept_cells, widths, numeric,
                       lambda text, width, number: text if number else cut(text, width), note)


HEADING_LINES = 3  # a heading wraps onto at most this many lines


def heading_lines(text: str, width: int) -> list[str]:
    """A heading in lines of ``width``, broken after its ``_`` and spaces: ``first_day_`` / ``market_cap``."""
    lines: list[str] = []
    for part in re.findall(r"[^_ ]+[_ ]*|[_ ]+", text):
        if lines and display_width(lines[-1] + part.rstrip()) <= width:
            lines[-1] += part
            continue
        while display_width(part.rstrip()) > width:  # a part wider than the column: broken anywhere
            head = cut(part, width + 1)[:-1] or part[:1]
            lines.append(head)
            part = part[len(head):]
        lines.append(part)
    return [line.rstrip() for line in lines] or [""]


def _floor(heading: str, values: int, number: bool) -> int:
    """How narrow a column may get: a number's values and a text's first READABLE columns stay whole,
    and the heading's words, in HEADING_LINES lines at most."""
    floor = values if number else min(values, READABLE)
    word = max((display_width(part.rstrip("_ ")) for part in re.findall(r"[^_ ]+[_ ]*", heading)), default=0)
    floor = max(floor, min(word, READABLE), HEADING if number else 1)
    while len(heading_lines(heading, floor)) > HEADING_LINES:
        floor += 1
    return floor


def _whole_in_sample(answer: Answer) -> bool:
    """Whether the first chunk is the whole answer: then a column empty in the sample is empty."""
    if len(answer.first.rows) > SAMPLE_ROWS:
        return False
    rest = answer.chunks
    next(rest)  # the first chunk itself
    following = next(rest, None)
    answer.chunks = itertools.chain([answer.first], [following] if following is not None else [], rest)
    return following is None or not following.rows


def _records(answer: Answer, header: list[str], sample: list[list[str]], cells, width: int,
             note: str) -> Iterator[str]:
    """Each row as a block of ``heading  value`` lines (long values wrapped, empty ones left out)."""
    name_width = max(display_width(h) for h in header)
    room = max(width - name_width - GAP, READABLE)
    rule_width = name_width + GAP + min(max((display_width(text) for row in sample for text in row), default=0), room)
    count = 0

    def record(chunk: Result, row: tuple) -> str:
        nonlocal count
        texts = sample[count] if count < len(sample) else cells(chunk, row)
        count += 1
        rule = f"-[ {count} ]"
        lines = [rule + "-" * max(rule_width - display_width(rule), 0)]
        for heading, text in zip(header, texts):
            if not text:
                continue
            for index, part in enumerate(wrapped(text, room)):
                lines.append(pad(heading if index == 0 else "", name_width, False) + " " * GAP + part)
        return "\n".join(line.rstrip() for line in lines) + "\n"

    yield from answer.lines(record)
    yield count_line(count, "; ".join(filter(None, [
        f"{len(header)} columns are too many for a table {width} wide: --columns picks some, --raw gives the table",
        note])))
