"""How long work reports its progress: to nobody by default, to a bar in a terminal.

The library says what it is doing and how far it got; the command line decides
whether anyone sees it (``kg.cli`` draws a bar when standard error is a
terminal). Library code never prints.
"""

from __future__ import annotations


class Progress:
    """Receives progress reports; this one ignores them."""

    def stage(self, label: str, total: int) -> None:
        """A stage of ``total`` units (bytes, files) begins."""

    def advance(self, amount: int = 1) -> None:
        """``amount`` more units of the current stage are done."""

    def done(self) -> None:
        """The current stage is over."""


QUIET = Progress()
