"""Choosing an output format: by name, or from the output file's suffix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import UsageError


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
