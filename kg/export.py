"""RDF serialization: byte-stable, every prefix bound, written atomically.

Oxigraph's serializers write triples in the order given, so sorting the triples
first makes every format byte-stable (rdflib's RDF/XML and JSON-LD writers
follow hash order); they are also much faster than rdflib's.
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from .build import PREFIXES
from .errors import UsageError

# name -> (oxigraph format, file suffixes)
FORMATS = {
    "turtle": (ox.RdfFormat.TURTLE, (".ttl",)),
    "nt": (ox.RdfFormat.N_TRIPLES, (".nt",)),
    "jsonld": (ox.RdfFormat.JSON_LD, (".jsonld", ".json")),
    "xml": (ox.RdfFormat.RDF_XML, (".rdf", ".xml", ".owl")),
    "trig": (ox.RdfFormat.TRIG, (".trig",)),
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


def to_oxigraph(term: URIRef | Literal) -> ox.NamedNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):  # the build mints none; refuse rather than invent ids
        raise ValueError(f"blank node {term!r} cannot be exported byte-stably")
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)


def sorted_triples(graph: Graph) -> Iterable[ox.Triple]:
    for s, p, o in sorted(graph):
        yield ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))


def serialize(graph: Graph, format: str = "turtle") -> bytes:
    """The graph in ``format``; the same graph always gives the same bytes."""
    name = format_for(format, None)
    rdf_format = FORMATS[name][0]
    prefixes = {prefix: str(namespace) for prefix, namespace in sorted(PREFIXES.items())}
    if name == "trig":  # the graph goes in under its own name
        graph_name = ox.NamedNode(str(graph.identifier))
        quads = (ox.Quad(t.subject, t.predicate, t.object, graph_name) for t in sorted_triples(graph))
        return ox.serialize(quads, format=rdf_format, prefixes=prefixes)
    data = ox.serialize(sorted_triples(graph), format=rdf_format, prefixes=prefixes)
    if name == "jsonld":  # one line of JSON is hard to read; indent it, key order kept
        data = (json.dumps(json.loads(data), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    return data


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it into place.

    A reader sees the old file or the new one, never half of one. The temporary
    name carries our process id, so a later run can sweep what a killed run left.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_orphans(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sweep_orphans(path: Path) -> None:
    """Remove temporary files of ``path`` whose writing process is gone."""
    for orphan in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = orphan.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            orphan.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: leave its file alone
        return True
    return True
