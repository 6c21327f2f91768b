"""YAML read into plain trees whose every value remembers where it was written.

PyYAML's composer gives node marks; we keep them so that every later check can
say ``path:line:col``. Scalars stay text: numbers, dates and amounts are read by
the schema that knows what they mean (so ``1.89`` never becomes a float).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import InputError, Problem, SourceLocation

try:  # the C parser is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_CONFLICT = re.compile(r"^(<{7}|={7}|>{7})(\s|$)", re.MULTILINE)


@dataclass(frozen=True)
class Scalar:
    text: str
    loc: SourceLocation
    null: bool = False  # ``key:`` with nothing after it


@dataclass(frozen=True)
class Sequence:
    items: list[Node]
    loc: SourceLocation


@dataclass(frozen=True)
class Mapping:
    """A YAML mapping with string keys; ``key_locs`` says where each key stands."""

    items: dict[str, Node]
    loc: SourceLocation
    key_locs: dict[str, SourceLocation] = field(default_factory=dict)

    def get(self, key: str) -> Node | None:
        return self.items.get(key)


Node = Scalar | Sequence | Mapping


def read_yaml(path: Path, shown_as: str) -> Node:
    """Parse one YAML file; raise InputError naming ``shown_as`` with line and column."""
    data = path.read_bytes()
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
    conflict = _CONFLICT.search(text)
    if conflict:
        line = text.count("\n", 0, conflict.start()) + 1
        raise _one(shown_as, line, 1, "git merge-conflict marker; resolve the conflict and remove the markers")
    try:
        if "&" in text:
            _refuse_aliases(text, shown_as)
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        raise _syntax_error(err, text, shown_as) from None
    except yaml.YAMLError as err:  # e.g. a reader error without a mark
        raise _one(shown_as, 0, 0, f"invalid YAML: {err}") from None
    if root is None:
        raise _one(shown_as, 1, 1, "the file is empty; it should hold a mapping such as `figures:` with a list")
    problems: list[Problem] = []
    tree = _convert(root, shown_as, set(), problems)
    if problems:
        raise InputError(problems)
    return tree


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
    lines = text.splitlines()
    if mark and mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t":
        what = "a tab character; indent with spaces"
    elif "mapping values are not allowed" in what:
        what += "; check the indentation of this line"
    elif err.context and err.context_mark and (err.context_mark.line, err.context_mark.column) != (mark.line, mark.column):
        context = err.context_mark
        what = f"{err.context} (line {context.line + 1}, column {context.column + 1}): {what}"
    return _one(shown_as, line, col, f"invalid YAML: {what}")


def _one(path: str, line: int, col: int, message: str) -> InputError:
    return InputError([Problem(SourceLocation(path, line, col), message)])


def _loc(node: yaml.Node, path: str) -> SourceLocation:
    return SourceLocation(path, node.start_mark.line + 1, node.start_mark.column + 1)


def _convert(node: yaml.Node, path: str, seen: set[int], problems: list[Problem]) -> Node:
    loc = _loc(node, path)
    # The composer resolves an alias to the node it names, so a node met twice
    # is an alias. Refusing them keeps files plain and makes alias bombs harmless.
    if id(node) in seen:
        problems.append(Problem(loc, "anchors and aliases (&name / *name) are not supported; write the value out"))
        return Scalar("", loc, null=True)
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        null = node.tag == "tag:yaml.org,2002:null" and node.value in ("", "~", "null", "Null", "NULL")
        return Scalar(node.value, loc, null=null)
    if isinstance(node, yaml.SequenceNode):
        return Sequence([_convert(item, path, seen, problems) for item in node.value], loc)
    items: dict[str, Node] = {}
    key_locs: dict[str, SourceLocation] = {}
    for key_node, value_node in node.value:
        key_loc = _loc(key_node, path)
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(Problem(key_loc, "a key must be a plain word"))
            continue
        if key_node.tag == "tag:yaml.org,2002:merge":
            problems.append(Problem(key_loc, "merge keys (<<) are not supported; write the keys out"))
            continue
        key = key_node.value
        if key in items:
            first = key_locs[key]
            problems.append(Problem(key_loc, f"duplicate key '{key}' (first at line {first.line}, column {first.col})"))
            continue
        key_locs[key] = key_loc
        items[key] = _convert(value_node, path, seen, problems)
    return Mapping(items, loc, key_locs)
