"""Parse evidence files in worker processes, so one hostile file costs one file, never the round.

python-calamine aborts the whole process on some inputs (SIGABRT, uncatchable: a cell
at ``XFD1048576``, zip-bomb worksheets, some mutated .xls — see
``shared/notes/reading-files.md``). :class:`InspectorPool` runs :func:`inspect_file` in
worker processes, each with ``RLIMIT_AS = limits.memory_mb`` and a per-file deadline:

- a worker that dies (abort, segfault, the kernel's OOM killer) -> that file gets
  ``Facts.rejected(kind, reason)``; only that worker is replaced (a fork from the
  forkserver: a few ms) and the other jobs go on;
- a file that takes longer than ``limits.timeout_s`` -> its worker is killed, same;
- ``MemoryError`` inside a worker -> that file is rejected, the worker lives on.

Workers start from the ``forkserver`` (``spawn`` where there is none). They need nothing
from the caller's main module, so it is not re-imported in them (see ``_main_hidden``): a
script without an ``if __name__ == "__main__":`` guard still works. Workers are plain processes talking over pipes (no ProcessPoolExecutor: it cannot kill
one stuck worker, and its breakage costs every pending future). Each job costs one
pickle round trip (~0.2 ms); an InspectSpec is sent to a worker once and then named by
its fingerprint.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from duban.evidence.facts import Facts
from duban.evidence.inspect import common
from duban.evidence.limits import Limits
from duban.evidence.spec import InspectSpec

__all__ = ["InspectorPool", "inspect_in_process"]

Job = tuple[Path, InspectSpec]


def inspect_in_process(path: Path | str, spec: InspectSpec, limits: Limits | None = None) -> Facts:
    """Inspect in this process (tests, benchmarks). No sandbox: a calamine abort kills the caller."""
    from duban.evidence.inspect import inspect_file

    return inspect_file(Path(path), spec, limits or Limits())


# ---------------------------------------------------------------- the worker side
def _worker_main(conn: Connection, memory_mb: int) -> None:
    os.environ["RUST_BACKTRACE"] = "0"
    if not os.environ.get("DUBAN_INSPECTOR_STDERR"):
        # a calamine abort prints "memory allocation of … failed" from Rust: the pool reports
        # the file in Chinese instead (set DUBAN_INSPECTOR_STDERR=1 to see workers' stderr)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # pragma: no cover - non-Linux
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    from duban.evidence.inspect import inspect_file

    specs: dict[str, InspectSpec] = {}
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        job_id, path, key, spec, limits = msg
        if spec is not None:
            specs[key] = spec
        try:
            facts = inspect_file(Path(path), specs[key], limits)
        except MemoryError:
            facts = Facts.rejected("unknown", common.MEMORY)
        except Exception as e:
            facts = Facts.rejected("unknown", f"{common.CORRUPT}（{type(e).__name__}）")
        try:
            conn.send((job_id, facts))
        except MemoryError:
            conn.send((job_id, Facts.rejected(facts.kind, common.MEMORY)))


def _context() -> mp.context.BaseContext:
    methods = mp.get_all_start_methods()
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        # workers fork from a server that has already imported the readers: a new worker in ~5 ms
        ctx.set_forkserver_preload(
            [
                "duban.evidence.inspect",
                "duban.evidence.inspect.sheet",
                "duban.evidence.inspect.pdf",
                "duban.evidence.inspect.word",
                "python_calamine",
                "pypdf",
                "msoffcrypto",
                "olefile",
            ]
        )
        return ctx
    return mp.get_context("spawn")


@contextlib.contextmanager
def _main_hidden():
    """Start a worker without multiprocessing re-running the caller's ``__main__`` in it
    (spawn/forkserver children import it by path or name to find pickled objects; ours
    live in this module)."""
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


class _Worker:
    def __init__(self, ctx: Any, memory_mb: int):  # a forkserver or spawn context
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, memory_mb), daemon=True, name="duban-inspector")
        with _main_hidden():
            self.proc.start()
        child.close()
        self.specs: set[str] = set()
        self.job: int | None = None
        self.deadline = 0.0

    def kill(self) -> None:
        try:
            self.proc.kill()
        except (OSError, ValueError, AttributeError):
            pass
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.proc.join(2)
        if self.proc.is_alive():
            self.kill()
        else:
            self.conn.close()


# ---------------------------------------------------------------- the pool
class InspectorPool:
    """Sandboxed inspection of many files; use as a context manager.

    >>> with InspectorPool(Limits(), workers=2) as pool:
    ...     facts = pool.inspect([(path, spec), ...])   # same order as the jobs
    """

    def __init__(self, limits: Limits, workers: int = 2):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.limits = limits
        self.workers = workers
        self._ctx = _context()
        self._pool: list[_Worker] = []
        self.crashes = 0  # workers lost (abort, timeout, OOM kill) since the pool started
        self.restarts = 0

    # -- lifecycle
    def __enter__(self) -> InspectorPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for w in self._pool:
            w.stop()
        self._pool = []

    def _ensure(self, n: int) -> None:
        while len(self._pool) < n:
            self._pool.append(_Worker(self._ctx, self.limits.memory_mb))

    def _replace(self, k: int) -> None:
        self._pool[k].kill()
        self._pool[k] = _Worker(self._ctx, self.limits.memory_mb)
        self.restarts += 1

    # -- work
    def inspect(self, jobs: Sequence[Job], *, progress: Callable[[int, int], None] | None = None) -> list[Facts]:
        """Facts for each (path, spec), in the same order. Never raises for a bad file."""
        n = len(jobs)
        results: list[Facts | None] = [None] * n
        if not n:
            return []
        keys: dict[int, str] = {}
        for _, spec in jobs:
            if id(spec) not in keys:
                keys[id(spec)] = spec.fingerprint()
        todo = deque(range(n))
        timeout = self.limits.timeout_s
        self._ensure(min(self.workers, n))

        def start(k: int) -> None:
            """Give worker k the next job (replacing it if it died while idle)."""
            for _attempt in range(3):
                if not todo:
                    return
                w = self._pool[k]
                if not w.proc.is_alive():  # died while idle (killed from outside): not this file's fault
                    self._replace(k)
                    continue
                i = todo[0]
                path, spec = jobs[i]
                key = keys[id(spec)]
                try:
                    w.conn.send((i, str(path), key, None if key in w.specs else spec, self.limits))
                except (OSError, ValueError):
                    self._replace(k)
                    continue
                todo.popleft()
                w.specs.add(key)
                w.job = i
                w.deadline = time.monotonic() + timeout
                return
            raise RuntimeError("inspector workers cannot be started")

        for k in range(len(self._pool)):
            start(k)
        done = 0
        while done < n:
            busy = [k for k, w in enumerate(self._pool) if w.job is not None]
            if not busy:
                raise RuntimeError("inspector pool has jobs left but no busy worker")  # pragma: no cover
            wait_for = max(0.0, min(self._pool[k].deadline for k in busy) - time.monotonic())
            ready = set(
                wait([self._pool[k].conn for k in busy] + [self._pool[k].proc.sentinel for k in busy], timeout=wait_for)
            )
            now = time.monotonic()
            for k in busy:
                w = self._pool[k]
                i = w.job
                assert i is not None  # busy workers have a job
                if w.conn in ready or w.proc.sentinel in ready:
                    facts = self._receive(w)
                    if facts is None:  # died without an answer: abort, segfault, OOM kill
                        self.crashes += 1
                        facts = Facts.rejected(_kind(jobs[i][0]), _death_reason(w.proc.exitcode))
                        self._replace(k)
                    else:
                        w.job = None
                elif now >= w.deadline:
                    self.crashes += 1
                    facts = Facts.rejected(_kind(jobs[i][0]), common.TIMEOUT.format(s=f"{timeout:g}"))
                    facts.seconds = float(timeout)
                    self._replace(k)
                else:
                    continue
                results[i] = facts
                done += 1
                if progress:
                    progress(done, n)
                start(k)
        return results  # type: ignore[return-value]

    def _receive(self, w: _Worker) -> Facts | None:
        try:
            if w.conn.poll():
                job_id, facts = w.conn.recv()
                if job_id == w.job:
                    return facts
        except (EOFError, OSError, ValueError):
            pass
        except Exception:  # noqa: S110 (a worker that answers garbage is treated as one that did not answer)
            pass
        return None


def _kind(path: Path) -> str:
    from duban.evidence.sniff import sniff

    try:
        return sniff(path)
    except Exception:
        return "unknown"


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0 and -exitcode == getattr(signal, "SIGKILL", 9):
        return common.MEMORY  # the kernel's OOM killer
    return common.CRASH
