"""The ``duban`` command: a thin shell over the library, one module per command
(:mod:`duban.cli.group` lists them; each is imported only when used).

A re-check with nothing changed and ``catalog --json`` are answered from what the data
directory kept before click is imported (:mod:`duban.cli.quick`); every other command line
goes to the click group.

A command that is done leaves at once (:func:`leave`): Python's own way out frees every
object and module one by one — 0.1-0.2 s after a check, a tenth of a first check at 1,000
files — and nothing duban keeps needs it (stores are closed, files written, atexit
handlers run).
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    if {"check", "catalog"} & set(sys.argv[1:]):  # the commands answered from what was kept
        from .quick import answer, runs

        if runs(sys.argv[1:], "check"):  # one check, then this process ends: the share is listed once
            from duban import replay

            replay.list_each_share_once()

        if answer(sys.argv[1:]):
            leave(0)
    from .common import run_cli
    from .group import cli

    leave(run_cli(cli))


def leave(code: int) -> None:
    """Exit with ``code`` after what an exit must do: the atexit handlers (the stores closed —
    SQLite folds its WAL back —, logging, multiprocessing) and the standard streams flushed;
    the interpreter's teardown is skipped, so ``main()`` never returns or raises SystemExit.
    While another thread still runs, the ordinary exit waits for it: Prefect's commands
    always have one (its services drain their queues from a thread-shutdown hook, which only
    the ordinary exit runs), as may a progress bar still stopping."""
    import threading

    if threading.active_count() > 1:
        sys.exit(code)
    import atexit
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: started without one (pythonw, duban ... >&-)
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (duban check | head): nothing left to say there
            code = code or 1
    os._exit(code)


def __getattr__(name: str) -> Any:
    if name in ("cli", "COMMANDS", "LazyGroup"):
        from . import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
