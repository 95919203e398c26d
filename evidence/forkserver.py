"""The process the inspector workers fork from, started early and cheaply.

A worker is forked from a server that has already imported the readers (calamine, pypdf,
the ledger and Word readers: ~0.3 s), so a new worker starts in a few ms. :func:`warm_up`
starts that server without waiting for it, at the top of a check that will read files, so
its imports overlap the caller's own (the catalog's models, the store): this module imports
nothing of duban's, and nothing but :mod:`multiprocessing`, so that warming up costs the
caller a few ms, not the readers' import time (``duban.evidence.sandbox`` imports the
catalog's models: starting the server from there began it 0.13 s later, and at 1k files the
first answer waited for it).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import sys
from collections.abc import Iterator

__all__ = ["PRELOAD", "context", "main_hidden", "warm_up"]

PRELOAD = [
    "duban.evidence.inspect",
    "duban.evidence.inspect.sheet",
    "duban.evidence.inspect.pdf",
    "duban.evidence.inspect.word",
    "python_calamine",
    "pypdf",
    "msoffcrypto",
    "olefile",
]


def context() -> mp.context.BaseContext:
    """The forkserver context with the readers preloaded (``spawn`` where there is none)."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return mp.get_context("spawn")


def warm_up() -> None:
    """Start the process the workers fork from, without waiting for it to be ready. Only a
    head start: if it cannot start here, the pool says why when it needs the server."""
    ctx = context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        with main_hidden(), contextlib.suppress(OSError):
            forkserver.ensure_running()


@contextlib.contextmanager
def main_hidden() -> Iterator[None]:
    """Start a worker without multiprocessing re-running the caller's ``__main__`` in it
    (spawn/forkserver children import it by path or name to find pickled objects; ours
    live in ``duban.evidence.sandbox``)."""
    main = sys.modules.get("__main__")
    saved: dict[str, object] = {
        k: main.__dict__[k] for k in ("__file__", "__spec__") if main is not None and k in main.__dict__
    }
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__spec__ = None
        yield
    finally:
        if main is not None:
            main.__dict__.update(saved)
            if "__spec__" not in saved:
                main.__dict__.pop("__spec__", None)
