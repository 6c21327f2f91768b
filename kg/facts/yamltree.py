"""YAML read into plain trees whose every value remembers where it was written.

PyYAML's composer gives node marks; we keep them so that every later check can
say ``path:line:col``. Scalars stay text: numbers, dates and amounts are read by
the schema that knows what they mean (so ``1.89`` never becomes a float).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import NamedTuple

import yaml

from ..base.errors import InputError, Problem, SourceLocation
from .folder import read_bytes

try:  # the C parser is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    _Parser = None

_CONFLICT = re.compile(r"^(<{7}|={7}|>{7})(\s|$)", re.MULTILINE)
# Characters no fact has a use for and that XML 1.0 cannot carry (C0 controls but tab and
# line ends, DEL, C1 controls, surrogates, the non-characters U+FFFE and U+FFFF): refused
# in the file and in the escapes of double-quoted strings ("\x1b"), so that no export breaks.
# The bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) are refused
# too: they make text show in another order than it is stored ("Trojan Source", CVE-2021-42574),
# in a name, a locator or a comment alike. The marks (U+200E, U+200F) only nudge and stay.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
# In a value (through an escape) a carriage return is refused too: RDF/XML and GraphML
# would carry it as a line end that XML parsers read back as a plain new line.
VALUE_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Fact files are a few levels deep; a deeper file is a mistake or an attack on the stack.
MAX_DEPTH = 32


# Named tuples, not frozen dataclasses: a big fact folder has millions of nodes,
# and a tuple is built four times faster. They are as immutable.
class Scalar(NamedTuple):
    text: str
    loc: SourceLocation
    null: bool = False  # ``key:`` with nothing after it


class Sequence(NamedTuple):
    items: list[Node]
    loc: SourceLocation


class Mapping(NamedTuple):
    """A YAML mapping with string keys; ``key_locs`` says where each key stands."""

    items: dict[str, Node]
    loc: SourceLocation
    key_locs: dict[str, SourceLocation]

    def get(self, key: str) -> Node | None:
        return self.items.get(key)


Node = Scalar | Sequence | Mapping


def control_character(text: str, start: int, shown_as: str, line: int = 0, col: int = 0) -> InputError:
    """The error for a control character at ``start`` of ``text`` (a file's text, or a
    scalar's value written at ``line``:``col``)."""
    char = text[start]
    if not line:
        line = text.count("\n", 0, start) + 1
        col = start - (text.rfind("\n", 0, start) + 1) + 1
    name = "NUL" if char == "\x00" else f"U+{ord(char):04X}"
    if _BIDI.match(char):
        return _one(shown_as, line, col, (
            f"a bidirectional control character ({name} {unicodedata.name(char)}) makes text show in another order "
            f"than it is stored; it has no place in a fact; remove it"))
    if not VALUE_CONTROL.match(char):  # a character libyaml refuses for reasons of its own
        return _one(shown_as, line, col, f"the character {name} is not allowed in YAML; remove it")
    return _one(shown_as, line, col, f"a control character ({name}) has no place in a fact; remove it")


def read_yaml(path: Path, shown_as: str, data: bytes | None = None) -> Node:
    """Parse one YAML file (whose bytes are ``data`` when already read); raise
    InputError naming ``shown_as`` with line and column."""
    if data is None:
        data = read_bytes(path, shown_as)
    if data.startswith(b"\xef\xbb\xbf"):
        raise _one(shown_as, 1, 1, "the file starts with a byte-order mark; save it as UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise _one(
            shown_as, line, col, f"byte 0x{data[err.start]:02x} is not UTF-8; save the file as UTF-8"
        ) from None
    control = CONTROL.search(text)
    if control:
        raise control_character(text, control.start(), shown_as)
    conflict = _CONFLICT.search(text)
    if conflict:
        line = text.count("\n", 0, conflict.start()) + 1
        raise _one(shown_as, line, 1, "git merge-conflict marker; resolve the conflict and remove the markers")
    try:
        if "&" in text:
            _refuse_aliases(text, shown_as)
        root = _compose(text)
    except yaml.MarkedYAMLError as err:
        raise _syntax_error(err, text, shown_as) from None
    except yaml.reader.ReaderError as err:  # a character YAML does not allow; it has a position
        raise control_character(text, err.position, shown_as) if err.position < len(text) else _one(
            shown_as, 0, 0, f"invalid YAML: {err.reason}") from None
    except yaml.YAMLError as err:
        raise _one(shown_as, 0, 0, f"invalid YAML: {err}") from None
    if root is None:
        raise _one(shown_as, 1, 1, "the file is empty; it should hold a mapping such as `figures:` with a list")
    problems: list[Problem] = []
    tree = _convert(root, shown_as, problems, 0)
    if problems:
        raise InputError(problems)
    return tree


_NULL, _MERGE = "tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"
_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})

if _Parser is not None:

    class _Composer(_Parser):
        """libyaml's parser with the only tag resolution we use: plain nulls and ``<<``.

        Scalars stay text, so resolving ints, floats, booleans and dates (PyYAML's
        Resolver runs a dozen regular expressions per scalar, in Python) is wasted;
        that was a third of the time spent reading YAML.
        """

        def resolve(self, kind, value, implicit):
            if kind is yaml.ScalarNode:
                if implicit[0]:
                    if value in _NULLS:
                        return _NULL
                    if value == "<<":
                        return _MERGE
                return _STR
            return _SEQ if kind is yaml.SequenceNode else _MAP

        def descend_resolver(self, current_node, current_index):
            pass

        def ascend_resolver(self):
            pass

    def _compose(text: str) -> yaml.Node | None:
        parser = _Composer(text)
        try:
            return parser.get_single_node()
        finally:
            parser.dispose()

else:  # pragma: no cover - depends on how PyYAML was built

    def _compose(text: str) -> yaml.Node | None:
        return yaml.compose(text, Loader=_Loader)


def _refuse_aliases(text: str, shown_as: str) -> None:
    """Stop at the first alias, before anything is composed: an alias bomb costs nothing."""
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            mark = event.start_mark
            raise _one(
                shown_as, mark.line + 1, mark.column + 1,
                f"alias *{event.anchor}: anchors and aliases (&name / *name) are not supported; write the value out",
            )


def _syntax_error(err: yaml.MarkedYAMLError, text: str, shown_as: str) -> InputError:
    mark = err.problem_mark or err.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    what = err.problem or "invalid YAML"
    if err.context == "while scanning a quoted scalar" and err.context_mark:
        opened = err.context_mark
        return _one(shown_as, opened.line + 1, opened.column + 1,
                    f"invalid YAML: this quote is never closed ({what} at line {line}); close it on its line")
    opened = _runaway_quote(text, mark) if mark else None
    if opened is not None:
        start, end = opened
        return _one(shown_as, start.line + 1, start.column + 1, (
            f"invalid YAML: this quote is not closed on its line, so the value runs on to the quote at line "
            f"{end.line + 1}, column {end.column}, and the file breaks after it ({what} at line {line}, column "
            f"{col}); close the quote on line {start.line + 1}"))
    lines = text.splitlines()
    if mark and mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t":
        what = "a tab character; indent with spaces"
    elif "mapping values are not allowed" in what:
        what += "; check the indentation of this line"
    elif err.context and err.context_mark and (err.context_mark.line, err.context_mark.column) != (mark.line, mark.column):
        context = err.context_mark
        what = f"{err.context} (line {context.line + 1}, column {context.column + 1}): {what}"
    return _one(shown_as, line, col, f"invalid YAML: {what}")


def _runaway_quote(text: str, mark: yaml.Mark) -> tuple[yaml.Mark, yaml.Mark] | None:
    """Where a quoted value that spans lines starts and ends, when it ends on the line of the error
    ``mark`` or the one before: a quote left open, which the next quote closed (the usual cause of
    a "did not find expected key" lines below the mistake)."""
    found = None
    try:
        for token in yaml.scan(text, Loader=_Loader):
            if token.start_mark.index >= mark.index:
                break
            if isinstance(token, yaml.ScalarToken) and token.style in ('"', "'") and \
                    token.end_mark.line > token.start_mark.line:
                found = token
    except yaml.YAMLError:
        pass
    if found is None or found.end_mark.line < mark.line - 1:
        return None
    return found.start_mark, found.end_mark


def _one(path: str, line: int, col: int, message: str) -> InputError:
    return InputError([Problem(SourceLocation(path, line, col), message)])


_new_tuple = tuple.__new__


def _convert(node: yaml.Node, path: str, problems: list[Problem], depth: int) -> Node:
    # No alias reaches here: _refuse_aliases stops at the first one, and there is
    # none in a text without '&' (an alias needs an anchor). The hot loop of
    # reading facts: tuples are built with tuple.__new__ to skip keyword handling.
    mark = node.start_mark
    loc = _new_tuple(SourceLocation, (path, mark.line + 1, mark.column + 1))
    kind = node.__class__
    if kind is yaml.ScalarNode:
        value = node.value
        if node.style == '"' and (control := VALUE_CONTROL.search(value)):  # only escapes make one
            raise control_character(value, control.start(), path, loc.line, loc.col)
        null = node.tag == _NULL and value in _NULLS
        return _new_tuple(Scalar, (value, loc, null))
    depth += 1
    if depth > MAX_DEPTH:
        raise _one(path, loc.line, loc.col, f"nested more than {MAX_DEPTH} levels deep; a fact file needs a few")
    if kind is yaml.SequenceNode:
        return _new_tuple(Sequence, ([_convert(item, path, problems, depth) for item in node.value], loc))
    items: dict[str, Node] = {}
    key_locs: dict[str, SourceLocation] = {}
    for key_node, value_node in node.value:
        key_mark = key_node.start_mark
        key_loc = _new_tuple(SourceLocation, (path, key_mark.line + 1, key_mark.column + 1))
        if key_node.__class__ is not yaml.ScalarNode:
            problems.append(Problem(key_loc, "a key must be a plain word"))
            continue
        if key_node.tag == _MERGE:
            problems.append(Problem(key_loc, "merge keys (<<) are not supported; write the keys out"))
            continue
        key = key_node.value
        if key_node.style == '"' and (control := VALUE_CONTROL.search(key)):
            raise control_character(key, control.start(), path, key_loc.line, key_loc.col)
        if key in items:
            first = key_locs[key]
            problems.append(Problem(key_loc, f"duplicate key '{key}' (first at line {first.line}, column {first.col})"))
            continue
        key_locs[key] = key_loc
        items[key] = _convert(value_node, path, problems, depth)
    return _new_tuple(Mapping, (items, loc, key_locs))
