"""The ``duban`` command: a thin shell over the library, one module per command
(:mod:`duban.cli.group` lists them; each is imported only when used).

A re-check with nothing changed and ``catalog --json`` are answered from what the data
directory kept before click is imported (:mod:`duban.cli.quick`); every other command line
goes to the click group.
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    if {"check", "catalog"} & set(sys.argv[1:]):  # the commands answered from what was kept
        from .quick import answer

        if answer(sys.argv[1:]):
            sys.exit(0)
    from .common import run_cli
    from .group import cli

    sys.exit(run_cli(cli))


def __getattr__(name: str) -> Any:
    if name in ("cli", "COMMANDS", "LazyGroup"):
        from . import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
