"""The rows a store hands back: RDF terms by variable, or an ASK's yes or no, and the labels the
query runner looks up for them (kg.query.results says how each format writes them)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rdflib import XSD, BNode, Literal, URIRef
from rdflib.term import Node


# An answer's first rows decide the shape of its columns in every format (which hold entities
# and get labels, which are numbers, how wide a table's are): a long answer is written as it
# comes, never held whole to look at every row.
SAMPLE_ROWS = 1000


# Turtle's abbreviated numbers: written bare only when the bare form has the same lexical form.
_TURTLE_INTEGER = re.compile(r"^[+-]?[0-9]+$")


_TURTLE_DECIMAL = re.compile(r"^[+-]?[0-9]*\.[0-9]+$")


_TURTLE_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


@dataclass(frozen=True)
class Result:
    """The answer to a query: rows of RDF terms (None where unbound), or an ASK's yes or no."""

    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Node | None, ...], ...] = ()
    boolean: bool | None = None
    # The label of each entity IRI of the rows, in the language asked for (see the module's docstring).
    labels: Mapping[Node, Literal] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_boolean(self) -> bool:
        return self.boolean is not None

    def column(self, name: str) -> list[Node | None]:
        index = self.variables.index(name)
        return [row[index] for row in self.rows]

    def records(self) -> list[dict[str, Node]]:
        """Rows as dictionaries of the bound variables, for notebooks and tests."""
        return [{v: term for v, term in zip(self.variables, row) if term is not None} for row in self.rows]

    def labelled_records(self) -> list[dict[str, Node]]:
        """Rows as dictionaries, each labelled entity given by its label: what a table shows."""
        flags = self.labelled_columns()
        return [{v: (self.labels.get(term, term) if flag else term)
                 for v, term, flag in zip(self.variables, row, flags) if term is not None} for row in self.rows]

    def labelled_columns(self) -> list[bool]:
        """Which columns hold entities that have labels (identity columns never do), in the first SAMPLE_ROWS rows."""
        if not self.labels:
            return [False] * len(self.variables)
        sample = self.rows[:SAMPLE_ROWS]
        return [not is_identity_column(name) and any(row[i] in self.labels for row in sample)
                for i, name in enumerate(self.variables)]

    def with_label_columns(self) -> Result:
        """The result with a ``NAME_label`` column after each column of labelled entities (for CSV, TSV, JSON)."""
        flags = self.labelled_columns()
        if not any(flags):
            return self
        return Result(label_variables(self.variables, flags),
                      tuple(label_cells(row, flags, self.labels) for row in self.rows), self.boolean)


def label_variables(variables: Iterable[str], flags: Iterable[bool]) -> tuple[str, ...]:
    """The column names with ``NAME_label`` after each column ``flags`` marks as labelled."""
    names: list[str] = []
    for name, flag in zip(variables, flags):
        names += [name, f"{name}_label"] if flag else [name]
    return tuple(names)


def label_cells(row: tuple, flags: Iterable[bool], labels: Mapping[Node, Literal]) -> tuple:
    """A row with each labelled entity's label after it."""
    out: list[Node | None] = []
    for term, flag in zip(row, flags):
        out += [term, labels.get(term)] if flag else [term]
    return tuple(out)


def is_identity_column(name: str) -> bool:
    """``fact``, ``id``, ``group_fact``, ...: a column that says which fact a row is, shown as an id."""
    return name in ("fact", "id") or name.endswith(("_fact", "_id"))


def turtle_term(term: Node | None) -> str:
    """A term as SPARQL/Turtle writes it: ``<iri>``, ``"text"@zh``, ``68.8``, ``"5"^^<...#decimal>``."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    assert isinstance(term, Literal)
    lexical = str(term)
    if term.datatype == XSD.integer and _TURTLE_INTEGER.match(lexical):
        return lexical
    if term.datatype == XSD.decimal and _TURTLE_DECIMAL.match(lexical):
        return lexical
    if term.datatype == XSD.boolean and lexical in ("true", "false"):
        return lexical
    quoted = '"' + lexical.translate(_TURTLE_ESCAPES) + '"'
    if term.language:
        return f"{quoted}@{term.language}"
    if term.datatype and term.datatype != XSD.string:
        return f"{quoted}^^<{term.datatype}>"
    return quoted
