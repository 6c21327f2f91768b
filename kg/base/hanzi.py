"""Chinese as Taiwan and Hong Kong write it, read as the mainland writes it: 億 is 亿, 摩爾線程 is 摩尔线程.

Sources in traditional characters name the same companies and write the same amounts; the facts,
the names in the graph and the extractor's words are in simplified characters. ``simplified`` reads a
text one character for one (OpenCC's character table, no phrases), so every offset into the result is
an offset into the text as written: the extractor matches on the simplified text and quotes the
original.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_TABLE = Path(__file__).with_name("hant-hans.txt")


@cache
def _table() -> dict[int, str]:
    pairs = {}
    for line in _TABLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            traditional, simple = line.split("\t")
            pairs[ord(traditional)] = simple
    return pairs


def simplified(text: str) -> str:
    """``text`` with each traditional character replaced by its simplified twin; same length."""
    if text.isascii():
        return text
    return text.translate(_table())


__all__ = ["simplified"]
