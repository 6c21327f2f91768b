"""A result as a table that fits a terminal: long text cut, amounts grouped.

``kg query`` prints this on a terminal; ``--raw`` (or any pipe or file) gets
the exact table of kg.results instead.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from rdflib import Literal
from rdflib.term import Node

from .results import Result, _is_number, _numeric_columns, _pad, _shown, display_width

ELLIPSIS = "…"
MIN_COLUMN = 6   # a text column is never cut narrower than this
KEEP = 10        # columns this narrow (dates, qualifiers, codes) are never cut
GAP = 2


def amount_text(term: Node | None) -> str | None:
    """``1,890,000`` for a number literal, ``68.8`` kept as written; None for anything else."""
    if not _is_number(term):
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


def fitted_table(result: Result, prefixes: dict[str, str], width: int) -> str:
    """Aligned columns narrowed, widest first, until the table fits ``width`` columns."""
    if result.is_boolean:
        return ("true" if result.boolean else "false") + "\n"
    header = list(result.variables)
    numeric = _numeric_columns(result)
    flags = result.labelled_columns()
    cells = [[amount_text(term) or _shown(term, result, flag, prefixes) for term, flag in zip(row, flags)]
             for row in result.rows]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in cells]) for i, h in enumerate(header)]
    # Numbers, dates and short codes are never cut (a number's header may be); text gives way, widest first.
    floors = [max([display_width(r[i]) for r in cells] + [1]) if numeric[i]
              else w if w <= KEEP else MIN_COLUMN for i, w in enumerate(widths)]
    while sum(widths) + GAP * (len(widths) - 1) > width:
        widest = max(range(len(widths)), key=lambda i: (widths[i] - floors[i], -i))
        if widths[widest] <= floors[widest]:
            break  # as narrow as columns go: the terminal wraps the rest
        widths[widest] -= 1
    lines = ["  ".join(_pad(cut(h, w), w, n) for h, w, n in zip(header, widths, numeric)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(_pad(cut(c, w), w, n) for c, w, n in zip(row, widths, numeric)).rstrip())
    count = len(result.rows)
    lines.append(f"({count} row{'' if count == 1 else 's'})")
    return "\n".join(lines) + "\n"
