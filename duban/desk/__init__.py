"""The coordinator's desk: a small web app on the office network.

Pages (Chinese, readable on a phone, no JavaScript build): the overview (per unit: counts
by status, traffic light, rank; per task: completion), a unit page (every obligation with
its status, problems, files, decisions — and the forms to decide), a task page, the audit
log, and the stored round reports. The state shown is the latest stored check with the
decisions in force now (:mod:`.state`); "立即重新检查" runs a real check in the background.

Coordinators log in (``duban desk user add``); units see their own page, read-only, through
a personal link (``duban desk token issue``). Above the flows, below the CLI::

    app = create_app(catalog, home)          # a Starlette app
    serve(catalog, home, host="127.0.0.1", port=8765)   # blocks; Ctrl-C stops
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from .app import create_app

__all__ = ["create_app", "serve", "server"]


def server(
    catalog: Any,
    home: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    secret: bytes | None = None,
    clock: Callable[[], dt.datetime] | None = None,
):
    """A uvicorn server for the desk, not started (``.run()`` blocks; ``should_exit = True`` stops it)."""
    import uvicorn

    app = create_app(catalog, home, secret=secret, clock=clock)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)


def serve(catalog: Any, home: Any, *, host: str = "127.0.0.1", port: int = 8765) -> None:
    server(catalog, home, host=host, port=port).run()
