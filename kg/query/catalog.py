"""The saved-query catalog: SPARQL files with a header, typed parameters bound as RDF terms.

A saved query is ``queries/NAME.rq``: SPARQL 1.1 opened by grlc-style ``#+``
decorator lines (YAML) that give its summary, description, parameters and
defaults (https://github.com/CLARIAH/grlc/wiki/Query-decorators). Parameters
are the variables grlc and BASIL recognise, ``?_name`` (required) and
``?__name`` (optional), with a type suffix such as ``_iri``; so the same files
can be served by grlc as a web API.

Values are never pasted into query text: each is converted to one RDF term and
handed to the engine as an initial binding (rdflib ``initBindings``; pyoxigraph
calls it ``substitutions``), so no value can change the shape of a query.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import XSD, Graph, Literal, URIRef, Variable
from rdflib.term import Node

from ..base.config import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, cache_home
from ..base.errors import InputError, KgError, Problem, SourceLocation, UsageError, did_you_mean, file_error, os_errors
from ..base.files import replace_unsynced
from ..base.ontology import PREFIXES
from .results import SAMPLE_ROWS, Result, is_identity_column, joined, render
from .workers import Limits, QueryTimeout, QueryTooLarge, run_in_worker
from .resolve import Resolver, article as _article, class_label, expand_name, resolver_for, short as _short
from ..store.core import Store, TermDecoder, quiet_ill_typed_literals
from ..store.oxigraph import MemoryStore
from ..base.values import ValueProblem, parse_day, parse_number

if TYPE_CHECKING:  # the header is read with PyYAML only when a query's reading is not kept yet
    import yaml

QUERY_SUFFIXES = (".rq", ".sparql")
TYPES = ("iri", "string", "integer", "decimal", "date", "language")
INLINE = "<inline query>"
NAME_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# grlc's own decorators; ``params`` is ours (grlc ignores keys it does not know).
_GRLC_KEYS = ("summary", "description", "tags", "defaults", "enumerate", "endpoint", "method",
              "pagination", "transform", "endpoint_in_url", "mime")
_HEADER_KEYS = _GRLC_KEYS + ("params",)
_PARAM_KEYS = ("type", "class", "description", "values")
# BASIL/grlc parameter variables: ?_name or ?__name, then an optional type suffix.
_PARAM_VARIABLE = re.compile(r"^(?P<underscores>_{1,2})(?P<name>[A-Za-z0-9]+)(?:_(?P<suffix>[A-Za-z0-9_]+))?$")
_AGGREGATE_VARIABLE = re.compile(r"^__agg_\d+__$")
# Which variable suffixes grlc reads as which of our types (None: no suffix).
_SUFFIX_TYPES = {
    None: ("string", "language"), "iri": ("iri",), "integer": ("integer",), "xsd_integer": ("integer",),
    "decimal": ("decimal",), "xsd_decimal": ("decimal",), "date": ("date",), "xsd_date": ("date",),
}
_SUFFIX_FOR_TYPE = {"iri": "_iri", "integer": "_integer", "decimal": "_xsd_decimal", "date": "_xsd_date",
                    "string": "", "language": ""}
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")



@dataclass(frozen=True)
class Param:
    """One parameter of a query, as its header and its variable declare it."""

    name: str
    type: str                    # one of TYPES
    variable: str                # the SPARQL variable without '?', e.g. "_company_iri"
    required: bool = True        # ?_name must be bound (from the user or a default); ?__name may stay unbound
    default: str | None = None
    kind: URIRef | None = None   # for iri parameters: the class the entity must belong to
    description: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Query:
    """A parsed query: a saved one with its header, a file, or inline text."""

    name: str
    text: str
    form: str                    # select | ask | construct | describe | update
    source: str                  # where it came from, as shown in messages
    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    reaches_out: tuple[str, ...] = ()   # SERVICE, LOAD, FROM, USING: what would fetch data from elsewhere
    columns: tuple[str, ...] = ()       # the variables a SELECT projects, in order
    # Columns a GROUP_CONCAT fills, with its separator and whether it is DISTINCT: SPARQL leaves the
    # order of the items to the engine (https://www.w3.org/TR/sparql11-query/#defn_aggGroupConcat),
    # so the runner sorts them (and, for DISTINCT, writes each item once).
    lists: tuple[tuple[str, str, bool], ...] = ()

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def projected(self) -> tuple[str, ...]:
        """The variables a SELECT returns, in order."""
        return self.columns if self.form == "select" else ()

    @property
    def checked(self) -> bool:
        """Whether the SPARQL was read (not only the header): its form and what it reaches are known."""
        return bool(self.form)


# --- where the catalog lives -----------------------------------------------------------


def catalog_dir() -> Path:
    """``queries/`` beside the package in a checkout, or packaged inside it in a wheel."""
    packaged = Path(__file__).parent.parent / "saved-queries"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent.parent / "queries"


def query_names(directory: str | Path | None = None) -> list[str]:
    """The names of the saved queries, without reading them."""
    folder = Path(directory) if directory is not None else catalog_dir()
    if not folder.is_dir():
        raise UsageError(f"query folder '{folder}' does not exist")
    return sorted(p.stem for p in folder.iterdir() if p.suffix == ".rq" and not p.name.startswith("."))


def load_catalog(directory: str | Path | None = None, *, headers_only: bool = False) -> dict[str, Query]:
    """Every saved query of ``directory`` (default: the shipped catalog), by name; all problems at once.

    rdflib takes a good part of a second to parse a long query, so listing the
    catalog can read the headers alone (``headers_only``); such a query is parsed
    in full when it is run.
    """
    folder = Path(directory) if directory is not None else catalog_dir()
    problems: list[Problem] = []
    catalog: dict[str, Query] = {}
    for name in query_names(folder):
        try:
            catalog[name] = load_query(folder / f"{name}.rq", saved=True, headers_only=headers_only)
        except InputError as err:
            problems.extend(err.problems)
    if problems:
        raise InputError(problems)
    return catalog


def load_query(path: str | Path, *, saved: bool = False, headers_only: bool = False) -> Query:
    """Read one ``.rq`` file; a saved query must also have a summary, a description and a lowercase name."""
    path = Path(path)
    shown = shown_cell(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no such query file: {path}") from None
    except UnicodeDecodeError as err:
        raise InputError([Problem(SourceLocation(shown, 1, 1), f"not UTF-8 text ({err.reason})")]) from None
    except OSError as err:
        raise file_error(err, "read query file", path) from None
    if saved and not NAME_PATTERN.match(path.stem):
        raise InputError([Problem(SourceLocation(shown), "a saved query's file name is lowercase words joined by '-'")])
    return parse_query(text, name=path.stem, source=shown, saved=saved, headers_only=headers_only)


def shown_cell(path: Path) -> str:
    """``queries/x.rq`` rather than an absolute path, when the file is under the working folder."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def find_query(reference: str, directory: str | Path | None = None) -> Query:
    """A saved query by NAME, a query file by path, or SPARQL text given inline."""
    folder = Path(directory) if directory is not None else catalog_dir()
    reference = reference.strip()
    if NAME_PATTERN.match(reference) and (folder / f"{reference}.rq").is_file():
        return load_query(folder / f"{reference}.rq", saved=True)
    single_line = "\n" not in reference
    if single_line and (reference.endswith(QUERY_SUFFIXES) or _is_file(reference)):
        return load_query(reference)
    if re.search(r"[\s{]", reference):  # its SPARQL is read where it runs, within the time limit
        return parse_query(reference, name="query", source=INLINE, headers_only=True)
    names = query_names(folder)
    close = difflib.get_close_matches(reference, names, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise UsageError(f"no saved query called '{reference}'; {hint}`kg queries` lists them")


def _is_file(reference: str) -> bool:
    try:
        return Path(reference).is_file()
    except OSError:  # a name too long for the file system is not a file
        return False


# --- reading a query ---------------------------------------------------------------------


def parse_query(text: str, *, name: str = "query", source: str = INLINE, saved: bool = False,
                headers_only: bool = False, decorators: bool = True) -> Query:
    """Parse the header and the SPARQL of ``text``; problems are raised as path:line:col.

    ``decorators=False`` reads plain SPARQL, as a SPARQL endpoint receives it: ``#+``
    lines are comments, and ``?_name`` variables are variables, not parameters.
    """
    if not decorators:
        form, columns, _, reaches_out, lists = _read_sparql(text, source)
        return Query(name=name, text=text, form=form, source=source, reaches_out=reaches_out, columns=columns,
                     lists=lists)
    key = _reading_key("query", name, source, str(saved), str(headers_only), text)
    kept = _kept(key)
    if kept is not None:
        try:
            return _query_from_json(kept, name=name, text=text, source=source)
        except (KeyError, TypeError, ValueError):
            pass
    query = _parse_decorated(text, name=name, source=source, saved=saved, headers_only=headers_only)
    _keep(key, _query_json(query))
    return query


def _parse_decorated(text: str, *, name: str, source: str, saved: bool, headers_only: bool) -> Query:
    header = _read_header(text, source)
    if headers_only:
        form, columns, variables, reaches_out, lists = "", (), _scan_variables(text), (), ()
    else:
        form, columns, variables, reaches_out, lists = _read_sparql(text, source)
    problems: list[Problem] = []
    keys = header.keys()
    for key in keys:
        if key not in _HEADER_KEYS:
            problems.append(_problem(source, header.where(key), f"unknown header key '{key}'{did_you_mean(key, _HEADER_KEYS)}"))
    title = header.text("summary", problems)
    description = header.text("description", problems)
    if saved:
        for key, value in (("summary", title), ("description", description)):
            if not value:
                problems.append(_problem(source, header.where(key) or (1, 1), f"a saved query needs a `#+ {key}:` line"))
    tags = tuple(header.texts("tags", problems))
    params = _read_params(header, _parameter_variables(variables), source, saved, problems)
    if problems:
        raise InputError(problems)
    return Query(name=name, text=text, form=form, source=source, title=title, description=description,
                 tags=tags, params=params, reaches_out=reaches_out, columns=columns, lists=lists)


class _Header:
    """The ``#+`` lines read as YAML, with each node's place in the file."""

    def __init__(self, root: yaml.MappingNode | None, source: str):
        self.source = source
        self.nodes: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        if root is not None:
            for key_node, value_node in root.value:
                self.nodes.setdefault(str(key_node.value), (key_node, value_node))

    def keys(self) -> list[str]:
        return list(self.nodes)

    def where(self, key: str) -> tuple[int, int] | None:
        if key not in self.nodes:
            return None
        return _mark(self.nodes[key][0])

    def value(self, key: str) -> yaml.Node | None:
        return self.nodes[key][1] if key in self.nodes else None

    def text(self, key: str, problems: list[Problem]) -> str:
        import yaml

        node = self.value(key)
        if node is None:
            return ""
        if not isinstance(node, yaml.ScalarNode):
            problems.append(_problem(self.source, _mark(node), f"`{key}` is a line of text"))
            return ""
        return " ".join(str(node.value).split())

    def texts(self, key: str, problems: list[Problem]) -> list[str]:
        import yaml

        node = self.value(key)
        if node is None:
            return []
        if isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.ScalarNode) for n in node.value):
            return [str(n.value) for n in node.value]
        problems.append(_problem(self.source, _mark(node), f"`{key}` is a list of words"))
        return []


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _problem(source: str, where: tuple[int, int] | None, message: str) -> Problem:
    line, col = where or (0, 0)
    return Problem(SourceLocation(source, line, col), message)


def _read_header(text: str, source: str) -> _Header:
    """The ``#+`` lines as YAML. Other lines are blanked, so marks are the file's own lines and columns."""
    import yaml

    lines = text.split("\n")
    if not any(line.startswith("#+") for line in lines):
        return _Header(None, source)
    yaml_text = "\n".join("  " + line[2:] if line.startswith("#+") else "" for line in lines)
    try:
        for event in yaml.parse(yaml_text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):  # an alias bomb costs nothing this way
                line, col = event.start_mark.line + 1, event.start_mark.column + 1
                raise InputError([_problem(source, (line, col), "anchors and aliases are not supported in a query header")])
        root = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        last_header_line = max(i for i, line in enumerate(lines) if line.startswith("#+"))
        mark = err.problem_mark or err.context_mark
        if mark and mark.line > last_header_line and err.context_mark:
            mark = err.context_mark  # the header ended inside something still open: point at where it opened
        where = (mark.line + 1, mark.column + 1) if mark else None
        what = (err.problem or "").replace("'<stream end>'", "the end of the header")
        if err.context:
            what = f"{what} ({err.context})" if what else err.context
        raise InputError([_problem(source, where, f"invalid header YAML: {what}")]) from None
    if root is not None and not isinstance(root, yaml.MappingNode):
        raise InputError([_problem(source, _mark(root), "the `#+` header is `key: value` lines (summary, description, params, defaults)")])
    return _Header(root, source)


# Bump when what _parse_sparql returns changes, so that cached readings are read again.
_READING_VERSION = 5


def _read_sparql(text: str, source: str) -> tuple[str, tuple[str, ...], set[str], tuple[str, ...],
                                                tuple[tuple[str, str, bool], ...]]:
    """What running a query needs of its SPARQL: form, columns, variables, network operations, lists."""
    key = _reading_key("sparql", text)
    kept = _kept(key)
    if kept is not None:
        try:
            return (kept["form"], tuple(kept["columns"]), set(kept["variables"]), tuple(kept["reaches_out"]),
                    tuple((name, separator, bool(distinct)) for name, separator, distinct in kept["lists"]))
        except (KeyError, TypeError, ValueError):
            pass
    form, columns, variables, reaches_out, lists = _parse_sparql(text, source)
    _keep(key, {"form": form, "columns": list(columns), "variables": sorted(variables),
                "reaches_out": list(reaches_out), "lists": [list(pair) for pair in lists]})
    return form, columns, variables, reaches_out, lists


# --- readings kept by content -------------------------------------------------------------
#
# rdflib takes 0.3 s to load its parser and up to a second to read a long query, and the
# header needs PyYAML: what a query's text gives (its parameters, form, columns and what it
# reaches out to) is kept in the user's cache folder under the hash of the text (and of
# rdflib's version), so an unchanged query is read once. A text with problems is never kept,
# so its errors are reported every time.


def _reading_key(*parts: str) -> str:
    import rdflib

    return hashlib.sha256("\0".join((str(_READING_VERSION), rdflib.__version__, *parts)).encode("utf-8")).hexdigest()


def _kept(key: str) -> dict[str, Any] | None:
    try:
        kept = json.loads((cache_home() / "queries" / key[:2] / f"{key}.json").read_bytes())
    except (OSError, ValueError):
        return None
    return kept if isinstance(kept, dict) else None


def _keep(key: str, reading: dict[str, Any]) -> None:
    path = cache_home() / "queries" / key[:2] / f"{key}.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_unsynced(path, json.dumps(reading, ensure_ascii=False).encode("utf-8"))
    except OSError:
        pass  # a read-only cache folder only costs the reading next time


def _query_json(query: Query) -> dict[str, Any]:
    return {"form": query.form, "title": query.title, "description": query.description, "tags": list(query.tags),
            "reaches_out": list(query.reaches_out), "columns": list(query.columns),
            "lists": [list(pair) for pair in query.lists],
            "params": [{**dataclasses.asdict(p), "kind": str(p.kind) if p.kind is not None else None,
                        "choices": list(p.choices)} for p in query.params]}


def _query_from_json(kept: Mapping[str, Any], *, name: str, text: str, source: str) -> Query:
    params = tuple(Param(**{**p, "kind": URIRef(p["kind"]) if p["kind"] is not None else None,
                            "choices": tuple(p["choices"])}) for p in kept["params"])
    return Query(name=name, text=text, form=kept["form"], source=source, title=kept["title"],
                 description=kept["description"], tags=tuple(kept["tags"]), params=params,
                 reaches_out=tuple(kept["reaches_out"]), columns=tuple(kept["columns"]),
                 lists=tuple((name, separator, bool(distinct)) for name, separator, distinct in kept["lists"]))


def _parse_sparql(text: str, source: str) -> tuple[str, tuple[str, ...], set[str], tuple[str, ...],
                                                 tuple[tuple[str, str, bool], ...]]:
    """Parse as a query, else as an update; report the error that got furthest into the text.

    Also returns the names of every variable written in the text and the
    network operations it uses, read from the parse tree: rdflib's algebra keeps
    the patterns inside FILTER EXISTS where a walk does not see them.
    """
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    quiet_ill_typed_literals()
    try:
        tree = parseQuery(text)
        found = _variables(tree), _reaches_out(tree)
        prepared = translateQuery(tree, None, PREFIXES)
        form = _FORMS[prepared.algebra.name]
        columns = tuple(str(v) for v in prepared.algebra["PV"]) if form == "select" else ()
        return form, columns, *found, _lists(tree)
    except ParseBaseException as query_error:
        try:
            tree = parseUpdate(text)
            found = _variables(tree), _reaches_out(tree)
            translateUpdate(tree, None, PREFIXES)
            return "update", (), *found, ()
        except ParseBaseException as update_error:
            error = update_error if update_error.loc > query_error.loc else query_error
            raise _syntax_problem(error, source) from None
        except Exception as err:  # noqa: BLE001 - rdflib raises bare Exceptions for semantic errors
            raise _semantic_problem(err, text, source) from None
    except Exception as err:  # noqa: BLE001
        raise _semantic_problem(err, text, source) from None


_FORMS = {"SelectQuery": "select", "AskQuery": "ask", "ConstructQuery": "construct", "DescribeQuery": "describe"}


def _syntax_problem(error: Any, source: str) -> InputError:
    what = str(error.msg)
    found = str(error.line[error.col - 1:error.col - 1 + 20]).split()[0] if error.line[error.col - 1:].strip() else ""
    detail = f"SPARQL syntax error near '{found}' ({what})" if found else f"SPARQL syntax error at the end of the text ({what})"
    return InputError([_problem(source, (error.lineno, error.col), detail)])


def _semantic_problem(error: Exception, text: str, source: str) -> InputError:
    message = str(error)
    where = None
    unknown = re.match(r"Unknown namespace prefix : (\S+)", message)
    if unknown:
        prefix = unknown.group(1)
        found = re.search(rf"(?<![\w:<#?$-]){re.escape(prefix)}:", _without_comments(text))
        if found:
            line = text.count("\n", 0, found.start()) + 1
            col = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
            where = (line, col)
        known = ", ".join(sorted(PREFIXES))
        message = f"unknown prefix '{prefix}:'; declare it with PREFIX (known without declaring: {known})"
    return InputError([_problem(source, where, f"cannot read the query: {message}")])


def _without_comments(text: str) -> str:
    """Comments blanked out (keeping offsets), so a search cannot land in one."""
    return re.sub(r"(?m)#[^\n]*", lambda m: " " * len(m.group(0)), text)


# --- parameters ------------------------------------------------------------------------


def _walk(node: Any) -> Iterable[Any]:
    """Every node of a parse tree or algebra (CompValues, pyparsing results, lists), each once."""
    from pyparsing import ParseResults

    stack, seen = [node], set()
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            yield item
            continue
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, dict):
            stack.extend(dict.values(item))
        elif isinstance(item, (list, tuple, set, frozenset, ParseResults)):
            stack.extend(item)


def _scan_variables(text: str) -> set[str]:
    """The variables of a query read from its text alone, for listing without a full parse."""
    code = re.sub(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>', '""', text)
    code = _without_comments(code)
    return set(re.findall(r"[?$]([A-Za-z0-9_]+)", code))


def _lists(tree: Any) -> tuple[tuple[str, str, bool], ...]:
    """``("sources", " ", True)`` for each ``(GROUP_CONCAT(DISTINCT ...; separator=" ") AS ?sources)`` of the query."""
    from rdflib.plugins.sparql.parserutils import CompValue

    found: dict[str, tuple[str, bool]] = {}
    for item in _walk(tree):
        if not (isinstance(item, CompValue) and "projection" in item):
            continue
        for column in item["projection"]:
            expression = dict.get(column, "expr") if isinstance(column, CompValue) else None
            while isinstance(expression, CompValue) and expression.name != "Aggregate_GroupConcat" \
                    and set(expression) == {"expr"}:  # the grammar's wrappers around one expression
                expression = expression["expr"]
            if isinstance(expression, CompValue) and expression.name == "Aggregate_GroupConcat":
                separator = dict.get(expression, "separator")  # CompValue.get reads variables, not keys
                found[str(dict.get(column, "evar"))] = (" " if separator is None else str(separator),
                                                        bool(dict.get(expression, "distinct")))
    return tuple((name, separator, distinct) for name, (separator, distinct) in sorted(found.items()))


def sorted_lists(block: Result, lists: Sequence[tuple[str, str, bool]]) -> Result:
    """``block`` with the items of each GROUP_CONCAT cell in sorted order, so every engine writes one cell;
    a DISTINCT one names each item once, even when the items it joined were lists themselves."""
    spots = [(block.variables.index(name), separator, distinct) for name, separator, distinct in lists
             if name in block.variables]
    if not spots:
        return block

    def cell(term: Node | None, separator: str, distinct: bool) -> Node | None:
        if not isinstance(term, Literal) or not separator:
            return term
        items = str(term).split(separator)
        items = sorted(set(items) if distinct else items)
        return Literal(separator.join(items), lang=term.language, datatype=term.datatype)

    rows = []
    for row in block.rows:
        row = list(row)
        for index, separator, distinct in spots:
            row[index] = cell(row[index], separator, distinct)
        rows.append(tuple(row))
    return dataclasses.replace(block, rows=tuple(rows))


def sorted_raw_lists(columns: Sequence[str], rows: tuple[tuple, ...],
                     lists: Sequence[tuple[str, str, bool]]) -> tuple[tuple, ...]:
    """``sorted_lists`` for rows of raw terms as a worker sends them (kg.store.core.raw_term): a literal
    is (text, language, datatype)."""
    spots = [(list(columns).index(name), separator, distinct) for name, separator, distinct in lists
             if name in columns]
    if not spots:
        return rows

    def cell(raw: Any, separator: str, distinct: bool) -> Any:
        if not (type(raw) is tuple and len(raw) == 3) or not separator:
            return raw
        items = raw[0].split(separator)
        items = sorted(set(items) if distinct else items)
        return (separator.join(items), raw[1], raw[2])

    changed = []
    for row in rows:
        row = list(row)
        for index, separator, distinct in spots:
            row[index] = cell(row[index], separator, distinct)
        changed.append(tuple(row))
    return tuple(changed)


def parsed(query: Query) -> Query:
    """``query`` itself, or, when only its header was read, the query parsed in full."""
    if query.checked:
        return query
    return parse_query(query.text, name=query.name, source=query.source, saved=query.source != INLINE)


def _variables(tree: Any) -> set[str]:
    return {str(item) for item in _walk(tree) if isinstance(item, Variable)}


# Parts of SPARQL that make rdflib fetch data from elsewhere.
_NETWORK = {"ServiceGraphPattern": "SERVICE", "Load": "LOAD", "DatasetClause": "FROM", "UsingClause": "USING"}


def _reaches_out(tree: Any) -> tuple[str, ...]:
    from rdflib.plugins.sparql.parserutils import CompValue

    return tuple(sorted({_NETWORK[item.name] for item in _walk(tree)
                         if isinstance(item, CompValue) and item.name in _NETWORK}))


def _parameter_variables(variables: Iterable[str]) -> dict[str, str]:
    """``{"_company_iri": "company"}``: every ?_name variable the query uses."""
    found: dict[str, str] = {}
    for name in variables:
        if _AGGREGATE_VARIABLE.match(name):
            continue
        match = _PARAM_VARIABLE.match(name)
        if match:
            found[name] = match["name"]
    return found


def _read_params(header: _Header, variables: dict[str, str], source: str, saved: bool,
                 problems: list[Problem]) -> tuple[Param, ...]:
    import yaml

    declared: dict[str, yaml.Node] = {}
    where: dict[str, tuple[int, int]] = {}
    node = header.value("params")
    if node is not None:
        if not isinstance(node, yaml.MappingNode):
            problems.append(_problem(source, _mark(node), "`params` maps each parameter name to its type and description"))
        else:
            for key_node, value_node in node.value:
                declared[str(key_node.value)] = value_node
                where[str(key_node.value)] = _mark(key_node)
    defaults = _read_defaults(header, source, problems)
    by_name: dict[str, list[str]] = {}
    for variable, name in variables.items():
        by_name.setdefault(name, []).append(variable)
    params: list[Param] = []
    for name in sorted(set(by_name) | set(declared)):
        spellings = sorted(by_name.get(name, []))
        spot = where.get(name) or header.where("params") or (1, 1)
        if len(spellings) > 1:
            problems.append(_problem(source, spot, f"parameter '{name}' is written as {' and '.join('?' + s for s in spellings)}; use one variable"))
            continue
        if not spellings:
            problems.append(_problem(source, spot, f"parameter '{name}' is declared but the query has no ?_{name} variable"))
            continue
        variable = spellings[0]
        match = _PARAM_VARIABLE.match(variable)
        suffix = match["suffix"]
        required = match["underscores"] == "_"
        if name not in declared:
            if saved:
                problems.append(_problem(source, header.where("params") or (1, 1),
                                         f"?{variable} is not declared under `#+ params:` (give its type and description)"))
                continue
            params.append(_undeclared_param(name, variable, suffix, required, defaults.get(name), source, problems))
            continue
        params.append(_declared_param(name, variable, suffix, required, declared[name], defaults.get(name),
                                      source, saved, problems))
    for name, (value, spot) in defaults.items():
        if name not in by_name:
            problems.append(_problem(source, spot, f"default for '{name}', which is not a parameter of this query"))
    return tuple(params)


def _read_defaults(header: _Header, source: str, problems: list[Problem]) -> dict[str, tuple[str, tuple[int, int]]]:
    """grlc's ``defaults:`` list of one-key mappings: ``- company: https://...``."""
    import yaml

    node = header.value("defaults")
    found: dict[str, tuple[str, tuple[int, int]]] = {}
    if node is None:
        return found
    items = node.value if isinstance(node, yaml.SequenceNode) else None
    if items is None:
        problems.append(_problem(source, _mark(node), "`defaults` is a list of `- name: value` lines, as grlc reads it"))
        return found
    for item in items:
        if not (isinstance(item, yaml.MappingNode) and len(item.value) == 1
                and isinstance(item.value[0][1], yaml.ScalarNode)):
            problems.append(_problem(source, _mark(item), "each default is one `- name: value` line"))
            continue
        key_node, value_node = item.value[0]
        found[str(key_node.value)] = (str(value_node.value), _mark(value_node))
    return found


def _undeclared_param(name: str, variable: str, suffix: str | None, required: bool,
                      default: tuple[str, tuple[int, int]] | None, source: str, problems: list[Problem]) -> Param:
    """A parameter of a query without a header: its type comes from the variable's suffix, as in grlc."""
    types = _SUFFIX_TYPES.get(suffix.lower() if suffix else None)
    if types is None:
        kind = "string"  # grlc reads any other suffix as a string (a language tag or a datatype)
    else:
        kind = "language" if types == ("string", "language") and name == "lang" else types[0]
    return Param(name=name, type=kind, variable=variable, required=required,
                 default=default[0] if default else None)


def _declared_param(name: str, variable: str, suffix: str | None, required: bool, node: yaml.Node,
                    default: tuple[str, tuple[int, int]] | None, source: str, saved: bool,
                    problems: list[Problem]) -> Param:
    import yaml

    spot = _mark(node)
    if not isinstance(node, yaml.MappingNode):
        problems.append(_problem(source, spot, f"parameter '{name}': give `type:` and `description:`"))
        return Param(name=name, type="string", variable=variable, required=required)
    fields: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key not in _PARAM_KEYS:
            problems.append(_problem(source, _mark(key_node), f"parameter '{name}': unknown key '{key}'{did_you_mean(key, _PARAM_KEYS)}"))
        fields[key] = value_node

    def scalar(key: str) -> str:
        value = fields.get(key)
        if value is None:
            return ""
        if not isinstance(value, yaml.ScalarNode):
            problems.append(_problem(source, _mark(value), f"parameter '{name}': `{key}` is a single value"))
            return ""
        return " ".join(str(value.value).split())

    kind = scalar("type")
    if kind not in TYPES:
        what = f"unknown type '{kind}'" if kind else "no `type:`"
        problems.append(_problem(source, _mark(fields.get("type", node)), f"parameter '{name}': {what}; choose one of {', '.join(TYPES)}"))
        kind = "string"
    allowed = _SUFFIX_TYPES.get(suffix.lower() if suffix else None, ())
    if kind not in allowed:
        problems.append(_problem(source, spot, f"parameter '{name}' has type {kind}, so grlc needs its variable "
                                               f"to be ?{'_' if required else '__'}{name}{_SUFFIX_FOR_TYPE[kind]}, not ?{variable}"))
    description = scalar("description")
    if saved and not description:
        problems.append(_problem(source, spot, f"parameter '{name}': give a `description:`"))
    kind_class = None
    class_text = scalar("class")
    if class_text:
        if kind != "iri":
            problems.append(_problem(source, _mark(fields["class"]), f"parameter '{name}': `class` is for iri parameters"))
        else:
            kind_class = expand_name(class_text)
            if kind_class is None:
                problems.append(_problem(source, _mark(fields["class"]), f"parameter '{name}': cannot read class '{class_text}'; write e.g. gpu:ChipDesigner"))
    choices: tuple[str, ...] = ()
    if "values" in fields:
        values_node = fields["values"]
        if isinstance(values_node, yaml.SequenceNode) and all(isinstance(n, yaml.ScalarNode) for n in values_node.value):
            choices = tuple(str(n.value) for n in values_node.value)
        else:
            problems.append(_problem(source, _mark(values_node), f"parameter '{name}': `values` is a list such as [en, zh]"))
    param = Param(name=name, type=kind, variable=variable, required=required,
                  default=default[0] if default else None, kind=kind_class, description=description, choices=choices)
    if default is not None:
        try:
            if kind == "iri":
                if not _IRI.match(default[0]):
                    raise UsageError("an iri default is a full IRI (grlc pastes it between < and >)")
            else:
                _literal(param, default[0])
        except UsageError as err:
            problems.append(_problem(source, default[1], f"default for '{name}': {err}"))
    return param


# --- plain SPARQL, as a SPARQL endpoint receives it ----------------------------------------

_QUERY_FORMS = {"SELECT": "select", "ASK": "ask", "CONSTRUCT": "construct", "DESCRIBE": "describe"}
_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
_REACHING_WORDS = {"SERVICE": "SERVICE", "LOAD": "LOAD", "FROM": "FROM", "USING": "USING"}


@functools.lru_cache(maxsize=1024)  # a client asks the same text again and again: read once per worker
def read_plain(text: str) -> Query:
    """A client's SPARQL read by its tokens alone (kg.store.core.tokens), without rdflib's parser: its form
    (the first keyword after PREFIX and BASE) and what it reaches out to (SERVICE, LOAD, FROM, USING appear
    only as keywords: strings, IRIs, comments and prefixed names are tokens of their own). The engine then
    reads it; a text it cannot read is read again by rdflib, for a message with line and column
    (``explain_syntax``). The columns are the engine's."""
    from ..store.core import tokens

    words = [t.keyword for t in tokens(text) if t.kind == "word"]
    form = ""
    skip = 0
    for word in words:
        if skip:
            skip -= 1
            continue
        if word == "PREFIX":
            skip = 1  # the prefix name; its IRI is not a word
            continue
        if word == "BASE":
            continue
        form = _QUERY_FORMS.get(word, "update" if word in _UPDATE_WORDS else "")
        break
    if not form:
        explain_syntax(text)
        form = "select"  # rdflib read it: the engine will say what it makes of it
    reaches = tuple(sorted({_REACHING_WORDS[w] for w in words if w in _REACHING_WORDS}))
    return Query(name="query", text=text, form=form, source=INLINE, reaches_out=reaches)


def written_here(store: Store, query: Query, format: str) -> bytes:
    """A plain query's whole answer, written in ``format`` in this process (a worker): by the engine itself
    where it can (Store.serialized), else by kg.query.results. The guards of ``answer_here`` hold: no update,
    nothing fetched from elsewhere; the variables are the query's own, no labels added."""
    check_allowed(query)
    try:
        written = store.serialized(query, format)
        if written is None:
            from .results import encode
            from ..build.export import serialize

            result = joined(decoded(answer_here(store, query, {}, None, False, False, None, 0, False)))
            if query.form in ("construct", "describe"):
                from ..base.ontology import new_graph

                graph = new_graph()
                for triple in result.rows:
                    graph.add(tuple(triple))
                return serialize(graph, format)
            return encode(result, format)
        return written
    except UsageError as err:
        if "cannot read the query" in str(err):
            explain_syntax(query.text)  # rdflib's message, with line and column, if it has one
        raise


def explain_syntax(text: str) -> None:
    """Raise rdflib's reading of why ``text`` is not SPARQL (an InputError with line and column), if it has one."""
    parse_query(text, name="query", source=INLINE, decorators=False)


# --- binding values to parameters --------------------------------------------------------


def _literal(param: Param, text: str) -> Literal:
    """The RDF term a typed value becomes; a wrong value is a usage error naming the parameter."""
    value = text.strip() if param.type != "string" else text
    if param.choices and value not in param.choices:
        raise UsageError(f"'{text}' is not one of {', '.join(param.choices)}")
    if param.type == "string":
        return Literal(value)
    if param.type == "language":
        if not _LANGUAGE_TAG.match(value):
            raise UsageError(f"'{text}' is not a language tag such as en or zh")
        return Literal(value.lower())
    # Numbers and dates go through kg.base.values, the reader the facts use: the same digits,
    # separators and bounds mean the same here (full-width digits too; no exponent).
    try:
        if param.type == "integer":
            return Literal(str(int(parse_number(value, signed=True, whole=True))), datatype=XSD.integer)
        if param.type == "decimal":
            return Literal(format(parse_number(value, signed=True), "f"), datatype=XSD.decimal)
        if param.type == "date":
            return Literal(parse_day(value).isoformat(), datatype=XSD.date)
    except ValueProblem as problem:
        raise UsageError(str(problem)) from None
    raise UsageError(f"type {param.type} takes no literal")  # pragma: no cover - iri handled by the resolver


def bind(graph: Graph | None, query: Query, values: Mapping[str, str] | None = None, *,
         lang: str | None = None) -> dict[str, Any]:
    """The initial bindings for ``query``: each given or default value as one RDF term.

    ``lang`` is the language asked for on the command line; it fills a ``lang``
    parameter that was not given explicitly. Without a graph, entities are not
    resolved: everything else is checked, so usage errors come before the graph
    is built.
    """
    values = dict(values or {})
    names = [p.name for p in query.params]
    for name in values:
        if name not in names:
            takes = f"it takes {', '.join(names)}" if names else "it takes no parameters"
            raise UsageError(f"unknown parameter '{name}' for {_what(query)}{did_you_mean(name, names)}; {takes}")
    resolver: Resolver | None = None
    bindings: dict[str, Any] = {}
    for param in query.params:
        text = values.get(param.name)
        if text is None and param.name == "lang" and lang is not None:
            text = lang
        if text is None:
            text = param.default
        if text is None:
            if param.required:
                raise UsageError(f"missing parameter '{param.name}' for {_what(query)}: give --param {param.name}=VALUE"
                                 f" ({describe_type(param, graph)})")
            continue
        try:
            if param.type == "iri":
                if graph is None:
                    continue
                resolver = resolver or resolver_for(graph)
                bindings[param.variable] = resolver.resolve(text, param.kind)
            else:
                bindings[param.variable] = _literal(param, text)
        except UsageError as err:
            raise UsageError(f"parameter '{param.name}': {err}") from None
    return bindings


def describe_query(query: Query) -> str:
    """How messages name a query: ``query 'figures'``, or ``the query`` for text given inline."""
    return f"query '{query.name}'" if query.source != INLINE else "the query"


_what = describe_query


def describe_type(param: Param, graph: Graph | None = None) -> str:
    """``a chip designer: an id, an English or Chinese name, or an IRI``, for help and messages."""
    if param.type == "iri":
        what = class_label(param.kind, graph) if param.kind is not None else "resource"
        return f"{_article(what)} {what}: an id, an English or Chinese name, or an IRI"
    if param.choices:
        return f"one of {', '.join(param.choices)}"
    return {"string": "text", "integer": "a whole number", "decimal": "a decimal number",
            "date": "a date YYYY-MM-DD", "language": "a language tag such as en or zh"}[param.type]


def resolve(graph: Graph, text: str, kind: URIRef | None = None) -> URIRef:
    """The entity ``text`` names (an id, a name in either language, a ticker or an IRI), of class ``kind``."""
    return Resolver(graph).resolve(text, kind)


# --- running -------------------------------------------------------------------------------


def check_allowed(query: Query, *, allow_update: bool = False, allow_service: bool = False) -> None:
    """Refuse what the user did not ask for: changing the graph, or reaching out to the network."""
    if query.form == "update" and not allow_update:
        raise UsageError(f"{_what(query)} is a SPARQL UPDATE, which changes the graph; queries are read-only "
                         "unless you pass --allow-update")
    if query.reaches_out and not allow_service:
        kinds = ", ".join(query.reaches_out)
        raise UsageError(f"{_what(query)} uses {kinds}, which fetches data over the network; "
                         "pass --allow-service to allow it")


def check_request(query: Query, values: Mapping[str, str] | None = None, *, lang: str | None = None,
                  allow_update: bool = False, allow_service: bool = False,
                  timeout: float | None = DEFAULT_TIMEOUT) -> Query:
    """``query`` parsed, refused if it does what was not allowed, its values checked; no graph needed.

    A query read only as far as its header is parsed in a worker, within ``timeout``:
    rdflib can take seconds over a long query, and parsing counts against the limit.
    """
    query = parsed_within(query, timeout)
    check_allowed(query, allow_update=allow_update, allow_service=allow_service)
    bind(None, query, values, lang=lang)
    return query


def parsed_within(query: Query, timeout: float | None = DEFAULT_TIMEOUT,
                  memory_mb: int | None = DEFAULT_MEMORY_MB) -> Query:
    """``parsed(query)``, in a worker stopped at ``timeout`` when the SPARQL has not been read yet."""
    if query.checked or not timeout:
        return parsed(query)
    limits = Limits(timeout=timeout, memory_mb=memory_mb, what=_what(query))
    return next(iter(run_in_worker(None, _parse_job, (query,), limits)))


def _parse_job(store: Any, query: Query) -> Iterator[Query]:
    yield parsed(query)


def run(graph: Graph | Store, query: Query, values: Mapping[str, str] | None = None, *, lang: str | None = None,
        allow_update: bool = False, allow_service: bool = False, timeout: float | None = DEFAULT_TIMEOUT,
        limit: int | None = None, offset: int = 0, labels: bool = True,
        memory_mb: int | None = DEFAULT_MEMORY_MB) -> Result:
    """Run ``query`` on ``graph`` with its parameters bound; stop it after ``timeout`` seconds (0: never).

    The whole answer at once: see ``stream`` for the guards and the options.
    """
    return joined(stream(graph, query, values, lang=lang, allow_update=allow_update, allow_service=allow_service,
                         timeout=timeout, limit=limit, offset=offset, labels=labels, memory_mb=memory_mb))


CHUNK_ROWS = SAMPLE_ROWS  # rows read, labelled and handed on at a time


def stream(graph: Graph | Store, query: Query, values: Mapping[str, str] | None = None, *,
           lang: str | None = None, allow_update: bool = False, allow_service: bool = False,
           timeout: float | None = DEFAULT_TIMEOUT, limit: int | None = None, offset: int = 0,
           labels: bool = True, memory_mb: int | None = DEFAULT_MEMORY_MB) -> Iterator[Result]:
    """Run ``query`` on ``graph``; its answer in chunks of CHUNK_ROWS rows, each as soon as it is read.

    The one way gpu-kg runs SPARQL: every command, view and the library come
    here, so every guard holds everywhere. An UPDATE is refused unless
    ``allow_update``; SERVICE, LOAD, FROM and USING unless ``allow_service``;
    values are bound as RDF terms, never pasted.

    The work runs in a worker process forked for it (kg.query.workers), which is
    killed when it passes ``timeout`` seconds or takes more than ``memory_mb``
    megabytes: the engine stops, its core and memory are free at once. The time
    counted is the time the caller waits for the worker (finding the entities the
    values name, parsing a query not yet read, the query, its labels), not the time
    the caller takes to write what it was handed. With neither limit (``timeout``
    0 and ``memory_mb`` None) the query runs in this process.

    ``graph`` is an rdflib Graph (run on Oxigraph in memory) or a store
    (kg.store.oxigraph). An allowed UPDATE changes the graph in memory and returns how
    many triples it added and removed. ``limit`` and ``offset`` take a page of
    the rows. ``labels``: look up the labels of the entities each chunk holds,
    in ``lang`` (see kg.query.results). The first chunk always comes, even empty, so
    a writer knows the columns; usage errors are raised before any work.
    """
    if query.checked:  # refused before any work; a query not read yet is read in the worker
        check_allowed(query, allow_update=allow_update, allow_service=allow_service)
        bind(None, query, values, lang=lang)
    store = graph if isinstance(graph, Store) else MemoryStore(graph)
    if query.form == "update" and not isinstance(store, MemoryStore):
        raise UsageError(f"{_what(query)} is a SPARQL UPDATE; it runs only on the graph in memory "
                         f"(--store memory), never on {store.name}")
    store.ready()  # what every worker shares is loaded here, once, not in each worker
    args = (query, dict(values or {}), lang, allow_update, allow_service, limit, offset, labels)
    if not timeout and memory_mb is None:
        return decoded(answer_here(store, *args))
    limits = Limits(timeout=timeout or None, memory_mb=memory_mb, what=_what(query))
    return decoded(_applied(store, run_in_worker(store, answer_here, args, limits)))


def _applied(store: Store, chunks: Iterator[Result]) -> Iterator[Result]:
    """The chunks, with an UPDATE's changes (made in the worker's copy of the graph) made here too."""
    for chunk in chunks:
        if isinstance(chunk, _Changes):
            assert isinstance(store, MemoryStore)
            store.apply(chunk.added, chunk.removed)
            continue
        yield chunk


@dataclass(frozen=True)
class _Changes:
    """What an UPDATE changed, as N-Quads, sent from the worker to the process whose graph it is."""

    added: bytes
    removed: bytes


def answer_here(store: Store, query: Query, values: Mapping[str, str], lang: str | None, allow_update: bool,
                allow_service: bool, limit: int | None, offset: int, labels: bool) -> Iterator[Result]:
    """The chunks of the answer, made in this process: what a worker runs (``stream`` sends it there).
    Every guard is applied here again, so that no caller can skip one."""
    query = parsed(query)
    check_allowed(query, allow_update=allow_update, allow_service=allow_service)
    bind(None, query, values, lang=lang)
    bindings = _bindings_in(store, query, values, lang=lang)
    if query.form == "update":
        assert isinstance(store, MemoryStore)
        added, removed = store.changes(query.text, bindings)
        yield _Changes(added, removed)
        yield Result(("added", "removed"), ((Literal(store.count_of(added)), Literal(store.count_of(removed))),))
        return
    if query.form == "select" and hasattr(store, "raw_rows"):  # Oxigraph: rows as the engine finds them
        columns, raw = store.raw_rows(query, bindings)
        page = _page(raw, limit, offset)
        known: dict[str, tuple[str, str] | None] = {}
        while True:
            rows = sorted_raw_lists(columns, tuple(itertools.islice(page, CHUNK_ROWS)), query.lists)
            found: dict[str, tuple[str, str]] = {}
            if labels and rows:
                shown = [i for i, name in enumerate(columns) if not is_identity_column(name)]
                found = _labels_of(store, {value for row in rows for i in shown if type(value := row[i]) is str},
                                   lang or "en", known)
            yield RawResult(columns, rows, found)
            if len(rows) < CHUNK_ROWS:
                return
    answer = store.answer(query, bindings)
    if answer.is_boolean:
        yield answer
        return
    page = _page(iter(answer.rows), limit, offset)
    cache: dict[str, tuple[str, str] | None] = {}
    while True:
        block = sorted_lists(Result(answer.variables, tuple(itertools.islice(page, CHUNK_ROWS))), query.lists)
        if labels and query.form == "select" and block.rows:
            block = dataclasses.replace(block, labels=entity_labels(store, block, lang or "en", cache))
        yield block
        if len(block.rows) < CHUNK_ROWS:
            return


@dataclass(frozen=True)
class RawResult:
    """A chunk as a worker sends it: rows of plain values (kg.store.core.raw_term) and the labels of its IRIs
    as (text, language). Plain values pickle in C; the reader makes each distinct rdflib term once."""

    variables: tuple[str, ...]
    rows: tuple[tuple, ...]
    labels: dict[str, tuple[str, str]]


def decoded(chunks: Iterator[Any]) -> Iterator[Result]:
    """The chunks as Results of rdflib terms: a RawResult's terms made once each for the whole answer."""
    decoder = TermDecoder()
    for chunk in chunks:
        if isinstance(chunk, RawResult):
            labels = {decoder.term(iri): decoder.term((text, key, _LANG_STRING if key else _STRING))
                      for iri, (text, key) in chunk.labels.items()}
            yield Result(chunk.variables, tuple(decoder.row(row) for row in chunk.rows), labels=labels)
        else:
            yield chunk


_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_STRING = str(XSD.string)


def entity_labels(store: Store, result: Result, lang: str,
                  known: dict[str, tuple[str, str] | None] | None = None) -> dict[URIRef, Literal]:
    """The label of each IRI in ``result``, in ``lang`` (else the other language), one lookup per IRI.

    Each distinct IRI's labels are read once (``known`` keeps them across the
    chunks of one answer), straight from the store's index of subjects
    (``Store.labels``), so that no saved query joins labels itself: a query's own
    OPTIONAL label patterns make an engine read every label. Among labels of one
    language the least (in code-point order) wins.
    """
    shown = [i for i, name in enumerate(result.variables) if not is_identity_column(name)]  # a fact's id is never labelled
    iris = {str(term) for row in result.rows for i in shown if isinstance(term := row[i], URIRef)}
    found = _labels_of(store, iris, lang, {} if known is None else known)
    return {URIRef(iri): Literal(text, lang=key or None) for iri, (text, key) in found.items()}


def _labels_of(store: Store, iris: set[str], lang: str,
               known: dict[str, tuple[str, str] | None]) -> dict[str, tuple[str, str]]:
    """(text, language) of the label of each of ``iris``; those not in ``known`` looked up, once each."""
    wanted = [iri for iri in iris if iri not in known and _IRI_TOKEN.match(iri)]
    if wanted:
        found = store.labels(wanted)
        other = {"en": "zh", "zh": "en"}.get(lang, "en")
        for iri in wanted:
            by_lang = found.get(iri, {})
            known[iri] = next(((by_lang[key], key) for key in (lang, other, *sorted(by_lang)) if key in by_lang), None)
    return {iri: label for iri in iris if (label := known.get(iri)) is not None}


_IRI_TOKEN = re.compile(r'^[^<>"{}|^`\\\x00-\x20]+$')  # what may stand between < and > in SPARQL


def _page(rows: Iterable[tuple], limit: int | None, offset: int) -> Iterator[tuple]:
    return itertools.islice(rows, max(offset, 0), None if limit is None else max(offset, 0) + max(limit, 0))


def _bindings_in(store: Store, query: Query, values: Mapping[str, str] | None, *, lang: str | None) -> dict[str, Any]:
    """The bound terms of ``query``; entities are found by name in the naming triples only.

    A store with an index of names gives those of the entities the values may name.
    """
    texts = [text for p in query.params if p.type == "iri" and (text := (values or {}).get(p.name, p.default))]
    if not texts:
        return bind(None, query, values, lang=lang)
    iris = [str(iri) for text in texts if (iri := expand_name(text)) is not None]
    try:
        return bind(store.naming_graph(texts, iris), query, values, lang=lang)
    except UsageError:  # say what is wrong, and what may have been meant, from every name there is
        return bind(store.naming_graph(), query, values, lang=lang)


def run_all(graph: Graph | Store, catalog: Mapping[str, Query], *, lang: str | None = None,
            timeout: float | None = DEFAULT_TIMEOUT) -> dict[str, Result]:
    """Every saved query with its default parameters, by name."""
    store = graph if isinstance(graph, Store) else MemoryStore(graph)  # loaded into Oxigraph once
    return {name: run(store, query, lang=lang, timeout=timeout) for name, query in sorted(catalog.items())}


def write_all(graph: Graph | Store, out_dir: str | Path, directory: str | Path | None = None, *,
              lang: str | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> list[Path]:
    """Run the whole catalog and write ``NAME.csv`` and ``NAME.json`` for each query under ``out_dir``.

    Every query runs before anything is written, so a failing one leaves the
    folder as it was; each file is replaced atomically.
    """
    catalog = load_catalog(directory)
    results = run_all(graph, catalog, lang=lang, timeout=timeout)
    out = Path(out_dir)
    outputs = []
    for name, result in results.items():
        for fmt in ("csv", "json"):
            outputs.append((out / f"{name}.{fmt}", render(result, fmt).encode("utf-8")))
    from ..base.files import write_atomically

    for path, data in outputs:
        write_atomically(path, data)
    return [path for path, _ in outputs]


# --- column headings ------------------------------------------------------------------------

HEADINGS_FILE = "headings.yaml"


def headings(lang: str | None, directory: str | Path | None = None) -> dict[str, str]:
    """Column headings for people in ``lang``, by variable name: ``company`` -> ``公司`` for zh.

    Read from the catalog's ``headings.yaml`` (the shipped one when a catalog has
    none), so no query renames its variables for a language: CSV, TSV, JSON and XML
    keep the variable names, and table, Markdown and Excel show these. English
    shows the variable names themselves. A ``NAME_label`` column is named after its
    column, and so is ``NAME_iri``, the column of an entity's IRIs in Excel.
    """
    if not lang or lang == "en":
        return {}
    path = Path(directory if directory is not None else catalog_dir()) / HEADINGS_FILE
    if not path.is_file():
        path = catalog_dir() / HEADINGS_FILE
    table = _headings_file(path).get(lang, {})
    named = {f"{name}_label": f"{heading}（名称）" if lang == "zh" else f"{heading} (name)"
             for name, heading in table.items()}
    iris = {f"{name}_iri": f"{heading}（IRI）" if lang == "zh" else f"{heading} IRI" for name, heading in table.items()}
    return {**named, **iris, **table}


@functools.cache
def _headings_file(path: Path) -> dict[str, dict[str, str]]:
    """``headings.yaml``: a mapping of language tags to mappings of variable names to headings."""
    import yaml

    if not path.is_file():
        return {}
    shown = shown_cell(path)
    try:
        with os_errors("read", path):
            root = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = (mark.line + 1, mark.column + 1) if mark is not None else None
        raise InputError([_problem(shown, where, f"cannot read the headings: {getattr(err, 'problem', err)}")]) from None
    if root is None:
        return {}
    problems: list[Problem] = []
    found: dict[str, dict[str, str]] = {}
    if not isinstance(root, yaml.MappingNode):
        raise InputError([_problem(shown, _mark(root), "headings: give a mapping of languages (zh: ...)")])
    for key, table in root.value:
        if not (isinstance(key, yaml.ScalarNode) and _LANGUAGE_TAG.match(key.value)):
            problems.append(_problem(shown, _mark(key), f"'{key.value}' is not a language tag such as zh"))
            continue
        if not isinstance(table, yaml.MappingNode):
            problems.append(_problem(shown, _mark(table), f"{key.value}: give a mapping of variable names to headings"))
            continue
        for name, heading in table.value:
            if not (isinstance(name, yaml.ScalarNode) and isinstance(heading, yaml.ScalarNode)
                    and heading.tag.endswith(":str") and heading.value.strip()):
                problems.append(_problem(shown, _mark(heading), f"{key.value}.{getattr(name, 'value', name)}: "
                                         "a heading is one line of text"))
                continue
            found.setdefault(key.value, {})[name.value] = heading.value
    if problems:
        raise InputError(problems)
    return found


# --- describing the catalog ----------------------------------------------------------------


def _shown_default(param: Param) -> str:
    if param.default is None:
        return ""
    if param.type == "iri":
        return _short(URIRef(param.default))
    return param.default if param.default != "" else '""'


def param_summary(param: Param) -> str:
    """``company=iluvatar`` (a default), ``[venue]`` (optional), ``company`` (must be given)."""
    if not param.required:
        return f"[{param.name}]"
    if param.default is None:
        return param.name
    return f"{param.name}={_shown_default(param)}"


def catalog_result(catalog: Mapping[str, Query]) -> Result:
    """The catalog as a result (name, title, parameters), so every output format can list it."""
    rows = []
    for name, query in sorted(catalog.items()):
        ordered = sorted(query.params, key=lambda p: (p.name == "lang", not p.required, p.name))
        rows.append((Literal(name), Literal(query.title), Literal(", ".join(param_summary(p) for p in ordered))))
    return Result(("name", "title", "parameters"), tuple(rows))


def describe(query: Query) -> str:
    """What a query answers and how to call it, for ``kg queries NAME``."""
    import textwrap

    lines = [f"{query.name}: {query.title}" if query.title else query.name, f"  {query.source}", ""]
    if query.description:
        lines += textwrap.wrap(query.description, width=88) + [""]
    ordered = sorted(query.params, key=lambda p: (p.name == "lang", not p.required, p.name))
    if ordered:
        lines.append("Parameters:")
        for param in ordered:
            kind = describe_type(param)
            default = _shown_default(param)
            when = f"default {default}" if param.default is not None else ("optional" if not param.required else "required")
            lines.append(f"  {param.name} ({kind}; {when})")
            if param.description:
                lines += ["      " + line for line in textwrap.wrap(param.description, width=82)]
        lines.append("")
    example = " ".join(f"--param {p.name}={_shown_default(p) or 'VALUE'}" for p in ordered if p.required and p.name != "lang")
    lines.append(f"Run: kg query {query.name}" + (f" {example}" if example else ""))
    return "\n".join(lines) + "\n"
