"""The desk's "立即重新检查" button: one real check at a time, in a background thread.

The page does not wait: it shows "正在检查……" (and refreshes itself) until the thread has
stored the new run, then when it finished, or why it failed (the share is unreachable,
the store is full), in the check's own Chinese words. A second press while a check runs
starts nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from duban import replay
from duban.check import run_check
from duban.check.memo import of_share
from duban.timeutil import TZ

log = logging.getLogger("duban.desk")


@dataclass
class RecheckState:
    running: bool = False
    by: str | None = None
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    error: str | None = None
    files: int | None = None


class Rechecker:
    def __init__(
        self,
        catalog: Any,
        home: Any,
        on_done: Callable[[RecheckState], None] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ):
        self.catalog, self.home = catalog, home
        replay.code_digest()  # the code this desk runs, as it stands now (its re-checks' memo is made with it)
        self.clock = clock  # the desk's "now" (a demo or a test may fix it): the check is judged as of it
        self.on_done = on_done
        self.state = RecheckState()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, by: str) -> bool:
        """Start a check now; False when one is already running."""
        with self._lock:
            if self.state.running:
                return False
            self.state = RecheckState(True, by, dt.datetime.now(TZ).replace(microsecond=0))
            self._thread = threading.Thread(target=self._run, name="duban-desk-recheck", daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        error, files = None, None
        try:
            root = self.home.evidence_root()
            as_of = self.clock() if self.clock else dt.datetime.now(TZ)
            with of_share(self.home, self.catalog, root) as memo:  # only tasks whose files changed are judged
                result = run_check(self.catalog, root, as_of.replace(microsecond=0), self.home, memo=memo)
            files = result.stats.get("files")
        except Exception as e:  # shown on the page; the desk keeps serving
            error = str(e) or type(e).__name__
            log.warning("desk recheck failed: %s", error)
        with self._lock:
            self.state.running = False
            self.state.finished = dt.datetime.now(TZ).replace(microsecond=0)
            self.state.error, self.state.files = error, files
        if self.on_done:
            self.on_done(self.state)
