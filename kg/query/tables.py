"""A result as a table that fits a terminal: long text cut, amounts grouped.

``kg query`` prints this on a terminal; ``--raw`` (or any pipe or file) gets
the exact table of kg.query.results instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from rdflib import Literal
from rdflib.term import Node

from .answer import (Result, Answer, is_number, numeric_columns, aligned, display_width,
                      people_cells)

ELLIPSIS = "…"
MIN_COLUMN = 6   # a text column is never cut narrower than this
KEEP = 10        # columns this narrow (dates, qualifiers, codes) are never cut
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


def fitted_table(answer: Answer, width: int) -> Iterator[str]:
    """Aligned columns narrowed, widest first, until the table fits ``width`` columns.

    Sized on the answer's first SAMPLE_ROWS rows; later rows are cut to the same
    widths, except numbers, which are never cut.
    """
    if answer.first.is_boolean:
        yield ("true" if answer.first.boolean else "false") + "\n"
        return
    header = [answer.heading(v) for v in answer.variables]
    numeric = numeric_columns(answer.sample)
    shown = people_cells(answer)

    def cells(chunk: Result, row: tuple) -> list[str]:
        return [amount_text(term) or text for term, text in zip(row, shown(chunk, row))]

    sample = [cells(answer.first, row) for row in answer.sample.rows]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in sample]) for i, h in enumerate(header)]
    # Numbers, dates and short codes are never cut (a number's header may be); text gives way, widest first.
    floors = [max([display_width(r[i]) for r in sample] + [1]) if numeric[i]
              else w if w <= KEEP else MIN_COLUMN for i, w in enumerate(widths)]
    while sum(widths) + GAP * (len(widths) - 1) > width:
        widest = max(range(len(widths)), key=lambda i: (widths[i] - floors[i], -i))
        if widths[widest] <= floors[widest]:
            break  # as narrow as columns go: the terminal wraps the rest
        widths[widest] -= 1
    yield from aligned(answer, header, sample, cells, widths, numeric,
                       lambda text, width, number: text if number else cut(text, width))
