"""RDF serialization: byte-stable, every prefix bound, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rdflib import Graph

from .errors import UsageError

# name -> (rdflib plugin, file suffixes)
FORMATS = {
    "turtle": ("turtle", (".ttl",)),
    "nt": ("nt11", (".nt",)),
    "jsonld": ("json-ld", (".jsonld", ".json")),
    "xml": ("pretty-xml", (".rdf", ".xml", ".owl")),
    "trig": ("trig", (".trig",)),
}


def format_for(name: str | None, path: str | Path | None) -> str:
    """The format asked for, or the one the file's suffix implies; an unknown one is an error."""
    if name:
        if name not in FORMATS:
            raise UsageError(f"unknown format '{name}'; choose one of {', '.join(FORMATS)}")
        return name
    if path is not None:
        suffix = Path(path).suffix.lower()
        for format_name, (_, suffixes) in FORMATS.items():
            if suffix in suffixes:
                return format_name
        raise UsageError(f"cannot tell the format of '{path}' from its suffix; give --format ({', '.join(FORMATS)})")
    return "turtle"


def serialize(graph: Graph, format: str = "turtle") -> bytes:
    """The graph in ``format``; the same graph always gives the same bytes."""
    plugin = FORMATS[format_for(format, None)][0]
    if plugin == "nt11":
        # rdflib writes N-Triples in store order; sorted lines make it stable.
        lines = graph.serialize(format="nt11", encoding="utf-8").splitlines(keepends=True)
        return b"".join(sorted(set(line for line in lines if line.strip())))
    kwargs = {"auto_compact": True, "sort_keys": True, "indent": 2} if plugin == "json-ld" else {}
    return graph.serialize(format=plugin, encoding="utf-8", **kwargs)


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
