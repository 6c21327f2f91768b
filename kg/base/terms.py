"""RDF terms as plain strings: the form the build, the shape checks and the exports share.

An IRI is its own text (``https://w3id.org/gpu-kg/id/iluvatar``); a literal is
its N-Triples form (``"天数智芯"@zh``, ``"2019"^^<http://www.w3.org/2001/XMLSchema#gYear>``),
so it always starts with a double quote and an IRI never does. There are no
blank nodes. Strings hash, compare and join far faster than rdflib's terms, and
a graph in this form becomes N-Triples by concatenation.

``object_key`` orders objects exactly as rdflib orders its terms, so exports
sorted here come out byte for byte as the rdflib-sorted ones did.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import pyoxigraph as ox

from rdflib import Literal, URIRef
from rdflib.term import _NUMERIC_LITERAL_TYPES, Node

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
NUMERIC_TYPES = frozenset(str(t) for t in _NUMERIC_LITERAL_TYPES)
_FLOATS = frozenset({XSD + "double", XSD + "float"})
_DECIMAL, _INTEGER = XSD + "decimal", XSD + "integer"

# N-Triples must escape ", \\, line feed and carriage return (RDF 1.1 N-Triples,
# section 2.4); we escape exactly what Oxigraph's writer escapes as well (the
# other control characters, DEL, U+FFFE and U+FFFF), so both give the same bytes.
_ESCAPES = str.maketrans(
    {chr(code): f"\\u{code:04X}" for code in (*range(0x20), 0x7F, 0xFFFE, 0xFFFF)}
    | {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
)
_UNESCAPES = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "'": "'"}


def literal(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    """A literal: a language-tagged string, a typed value, or a plain string (xsd:string is plain)."""
    # Every character we escape is unprintable, or a quote or a backslash: most
    # texts need no escaping, and this test is twenty times faster than translate.
    if not text.isprintable() or '"' in text or "\\" in text:
        text = text.translate(_ESCAPES)
    body = '"' + text + '"'
    if lang:
        return body + "@" + lang.lower()
    if datatype and datatype != XSD_STRING:
        return body + "^^<" + datatype + ">"
    return body


def is_literal(term: str) -> bool:
    return term[0] == '"'


@lru_cache(maxsize=65536)
def parts(term: str) -> tuple[str, str | None, str | None]:
    """A literal's (lexical form, language, datatype); the datatype is None for plain and tagged strings."""
    end = term.rindex('"')
    lexical = _unescape(term[1:end])
    tail = term[end + 1 :]
    if tail.startswith("@"):
        return lexical, tail[1:], None
    if tail.startswith("^^<"):
        return lexical, None, tail[3:-1]
    return lexical, None, None


def datatype_of(term: str) -> str:
    """What sh:datatype sees: rdf:langString for tagged strings, xsd:string for plain ones."""
    _, lang, datatype = parts(term)
    if lang:
        return RDF_LANG_STRING
    return datatype or XSD_STRING


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        code = text[i + 1]
        if code in ("u", "U"):
            width = 4 if code == "u" else 8
            out.append(chr(int(text[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        else:
            out.append(_UNESCAPES[code])
            i += 2
    return "".join(out)


def number_value(term: str) -> Decimal | float | int | None:
    """The value of a numeric literal as rdflib reads it; None for anything else or an ill-typed one."""
    if term[0] != '"':
        return None
    lexical, _, datatype = parts(term)
    if datatype not in NUMERIC_TYPES:
        return None
    try:
        if datatype == _DECIMAL:
            return Decimal(lexical)
        if datatype == _INTEGER:
            return int(lexical)
        if datatype in _FLOATS:
            return float(lexical)
    except (InvalidOperation, ValueError):
        return None
    # The bounded integer types (xsd:int, xsd:nonNegativeInteger, ...): rdflib's own checks.
    node = to_rdflib(term)
    return None if node.ill_typed else node.value


def object_key(term: str) -> tuple:
    """Sort key of an object, as rdflib orders terms: IRIs first, then literals.

    rdflib compares numeric literals by value, other literals by datatype, then
    language (none first), then value, then lexical form, then plain before
    xsd:string. Its order is not total when one subject and predicate mix numbers
    with other datatypes; a built graph never does.
    """
    if term[0] != '"':
        return (0, term)
    lexical, lang, datatype = parts(term)
    if lang:
        return (1, 1, XSD_STRING, (1, lang), lexical, False)
    value = number_value(term) if datatype in NUMERIC_TYPES else None
    if value is not None:
        return (1, 0, value, lexical, datatype)
    return (1, 1, datatype or XSD_STRING, (0, ""), lexical, datatype is not None)


def ntriples_line(subject: str, predicate: str, obj: str) -> str:
    if obj[0] == '"':
        return f"<{subject}> <{predicate}> {obj} .\n"
    return f"<{subject}> <{predicate}> <{obj}> .\n"


# --- rdflib, for callers that want its terms -----------------------------------------

@lru_cache(maxsize=65536)
def to_rdflib(term: str) -> URIRef | Literal:
    if term[0] != '"':
        return URIRef(term)
    lexical, lang, datatype = parts(term)
    return Literal(lexical, lang=lang, datatype=URIRef(datatype) if datatype else None)


def from_oxigraph(term: Any) -> str:
    """A pyoxigraph term in this form, so a store's graph is exported without rdflib.

    Oxigraph keeps a decimal as a number and writes ``189000000`` for the build's
    ``189000000.0`` (the same xsd:decimal): the build's canonical form is given back.
    """
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        value = term.value
        if datatype == _DECIMAL:
            from .values import canonical_decimal

            try:
                value = canonical_decimal(Decimal(value))
            except InvalidOperation:
                pass  # an ill-typed literal is passed on as it is
        return literal(value, term.language, datatype)
    raise ValueError(f"blank node {term} cannot be exported byte-stably")


def from_rdflib(node: Node) -> str:
    if isinstance(node, URIRef):
        return str(node)
    if isinstance(node, Literal):
        return literal(str(node), node.language, str(node.datatype) if node.datatype else None)
    # The build mints no blank nodes; refuse rather than invent ids that change from run to run.
    raise ValueError(f"blank node {node!r} cannot be exported byte-stably")
