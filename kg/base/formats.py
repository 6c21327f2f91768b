"""Choosing an output format: by name, or from the output file's suffix.

The names the command line offers (formats, views, languages) live here, apart
from the modules that write them, so that ``kg --help`` and ``kg query`` start
without loading the graph, view or export libraries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import UsageError

# Query results: name -> file suffixes that imply it (kg.query.results writes them).
RESULT_FORMATS: dict[str, tuple[str, ...]] = {
    "table": (".txt",),
    "csv": (".csv",),
    "tsv": (".tsv",),
    "json": (".json", ".srj"),
    "md": (".md", ".markdown"),
    "xml": (".srx", ".xml"),
    "xlsx": (".xlsx",),
}
BINARY_RESULT_FORMATS = ("xlsx",)  # written as bytes only (kg.query.results.encode)
# RDF serialisations kg.build.export writes.
RDF_FORMAT_NAMES = ("jsonld", "nt", "trig", "turtle", "xml")
# Network views (kg.show.views): the named views, their formats and the languages of their labels.
VIEW_NAMES = ("supply-chain", "capital", "products", "all")
VIEW_FORMATS = {"html": (".html", ".htm"), "graphml": (".graphml",), "gexf": (".gexf",), "png": (".png",)}
LANGS = ("en", "zh")
# Charts and timelines (kg.show.charts): the ready-made charts, their formats and the marks of figure charts.
CHART_NAMES = ("income-statement", "operations", "listing-day", "listing-race", "roadmap", "funding")
CHART_FORMATS = {"html": (".html", ".htm"), "svg": (".svg",), "png": (".png",), "json": (".json",)}
CHART_MARKS = ("line", "bar")


def pick_format(
    name: str | None, path: str | Path | None, suffixes: Mapping[str, Sequence[str]], default: str, *, noun: str = "format"
) -> str:
    """The format asked for, or the one ``path``'s suffix implies, or ``default``; unknown is an error."""
    if name:
        if name not in suffixes:
            raise UsageError(f"unknown {noun} '{name}'; choose one of {', '.join(suffixes)}")
        return name
    if path is not None:
        suffix = Path(path).suffix.lower()
        for format_name, known in suffixes.items():
            if suffix in known:
                return format_name
        raise UsageError(f"cannot tell the {noun} of '{path}' from its suffix; give --format ({', '.join(suffixes)})")
    return default
