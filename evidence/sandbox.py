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
from the caller's main module, so it is not re-imported in them (``forkserver.main_hidden``): a
script without an ``if __name__ == "__main__":`` guard still works. Workers are plain
processes talking over pipes (no ProcessPoolExecutor: it cannot kill one stuck worker,
and its breakage costs every pending future).

The protocol (:meth:`InspectorPool.stream`): jobs are taken from an iterable as workers
free up, and each worker has jobs sent to it ahead of its answers — enough for
:data:`QUEUE_SECONDS` of reading at the pace its answers report (two before the first answer,
and never fewer; at most :data:`MAX_IN_FLIGHT`), so no worker idles for a round trip, nor
while the caller finds the next batch of work (hashing and looking up 256 files: up to
~60 ms), and a slow file holds back little queued behind it. A worker reads
its jobs in order and answers them in order, so the oldest unanswered job is always the
one it is reading: when it dies or overruns the deadline, that job is the one blamed, and
the jobs queued behind it go to the next free worker, never started, never blamed. A job
is ``(job id, path, spec key, spec or None)``: an InspectSpec is sent to a worker once and
then named by its fingerprint; the limits travel once, when the worker starts. An answer is
``(job id, facts as JSON, transient, (size, mtime_ns, inode) of the bytes read, seconds
spent reading)``: the facts go to the store as they are, unparsed.
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, NamedTuple

from duban.evidence.facts import Facts
from duban.evidence.forkserver import context, main_hidden, warm_up
from duban.evidence.inspect import common
from duban.evidence.limits import Limits
from duban.evidence.spec import InspectSpec

__all__ = ["Answer", "InspectorPool", "inspect_in_process", "warm_up"]

Job = tuple[Path | str, InspectSpec]
IN_FLIGHT = 2  # jobs sent to a worker ahead of its answers: at first, and at least
MAX_IN_FLIGHT = 32  # ... and at most
QUEUE_SECONDS = 0.1  # reading queued per worker, at the pace of the answers so far


class Answer(NamedTuple):
    """What a worker found in one file."""

    json: str  # Facts.to_json()
    transient: bool  # could not be read this time (gone, no permission): not to be cached
    read: tuple[int, int, int] | None  # (size, mtime_ns, inode) of the bytes read; None: nothing read

    @property
    def facts(self) -> Facts:
        return Facts.from_json(self.json)

    @classmethod
    def of(cls, facts: Facts, read: tuple[int, int, int] | None = None) -> Answer:
        return cls(facts.to_json(), facts.transient, read)


def inspect_in_process(path: Path | str, spec: InspectSpec, limits: Limits | None = None) -> Facts:
    """Inspect in this process (tests, benchmarks). No sandbox: a calamine abort kills the caller."""
    from duban.evidence.inspect import inspect_file

    return inspect_file(Path(path), spec, limits or Limits())


# ---------------------------------------------------------------- the worker side
def _worker_main(conn: Connection, limits: Limits) -> None:
    os.environ["RUST_BACKTRACE"] = "0"
    if not os.environ.get("DUBAN_INSPECTOR_STDERR"):
        # a calamine abort prints "memory allocation of … failed" from Rust: the pool reports
        # the file in Chinese instead (set DUBAN_INSPECTOR_STDERR=1 to see workers' stderr)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    try:
        import resource

        limit = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # pragma: no cover - non-Linux
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    from duban.evidence.inspect import inspect_read

    specs: dict[str, InspectSpec] = {}
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        job_id, path, key, spec = msg
        if spec is not None:
            specs[key] = spec
        read = None
        try:
            facts, read = inspect_read(path, specs[key], limits)
        except MemoryError:
            facts = Facts.rejected("unknown", common.MEMORY)
        except Exception as e:
            facts = Facts.rejected("unknown", f"{common.CORRUPT}（{type(e).__name__}）")
        took = facts.seconds  # (inspect_read's own timing)
        try:
            conn.send((job_id, facts.to_json(), facts.transient, read, took))
        except MemoryError:
            conn.send((job_id, Facts.rejected(facts.kind, common.MEMORY).to_json(), False, read, took))


class _Worker:
    def __init__(self, ctx: Any, limits: Limits):  # a forkserver or spawn context
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, limits), daemon=True, name="duban-inspector")
        with main_hidden():
            self.proc.start()
        child.close()
        self.specs: set[str] = set()
        self.jobs: deque[int] = deque()  # job ids sent, oldest first: the first is being read
        self.deadline = 0.0  # for the first job
        self.fds = (self.conn.fileno(), self.proc.sentinel)  # what the pool waits on

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
        self._ctx = context()
        self._pool: list[_Worker] = []
        self.crashes = 0  # workers lost (abort, timeout, OOM kill) since the pool started
        self.restarts = 0
        self.job_seconds: float | None = None  # a job's reading time, averaged over the answers so far
        self._waiter = _Waiter()

    # -- lifecycle
    def __enter__(self) -> InspectorPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for w in self._pool:
            self._waiter.remove(w)
            w.stop()
        self._pool = []

    def _ensure(self, n: int) -> None:
        while len(self._pool) < n:
            self._pool.append(self._waiter.add(_Worker(self._ctx, self.limits)))

    def _replace(self, k: int) -> None:
        self._waiter.remove(self._pool[k])
        self._pool[k].kill()
        self._pool[k] = self._waiter.add(_Worker(self._ctx, self.limits))
        self.restarts += 1

    # -- work
    def inspect(self, jobs: list[Job], *, progress: Callable[[int, int], None] | None = None) -> list[Facts]:
        """Facts for each (path, spec), in the same order. Never raises for a bad file."""
        results: list[Facts | None] = [None] * len(jobs)
        for done, (i, answer) in enumerate(self.stream(jobs), 1):
            results[i] = answer.facts
            if progress:
                progress(done, len(jobs))
        return results  # type: ignore[return-value]

    def stream(self, jobs: Iterable[Job]) -> Iterator[tuple[int, Answer]]:
        """(index of the job, its answer) as each job is done, in the order they finish.

        ``jobs`` is consumed as workers free up (it may be a generator that finds the work
        as it goes); workers start with the first job. Never raises for a bad file."""
        source = enumerate(jobs)
        todo: deque[tuple[int, Job]] = deque()  # taken from the source, not yet sent (or sent to a worker that died)
        sent: dict[int, Job] = {}
        keys: dict[
            int, tuple[InspectSpec, str]
        ] = {}  # id(spec) -> (spec, fingerprint): the spec held, so the id stays its
        timeout = self.limits.timeout_s
        exhausted = False

        def take() -> tuple[int, Job] | None:
            nonlocal exhausted
            if todo:
                return todo.popleft()
            if exhausted:
                return None
            try:
                return next(source)
            except StopIteration:
                exhausted = True
                return None

        def fill(k: int) -> None:
            """Send worker k jobs until it has its queue's depth (replacing it if it died while idle)."""
            depth = self.depth()
            for _attempt in range(3 * depth):
                w = self._pool[k]
                if len(w.jobs) >= depth:
                    return
                if not w.jobs and not w.proc.is_alive():  # died while idle (killed from outside): not a file's fault
                    self._replace(k)
                    continue
                job = take()
                if job is None:
                    return
                i, (path, spec) = job
                if id(spec) not in keys:
                    keys[id(spec)] = (spec, spec.fingerprint())
                key = keys[id(spec)][1]
                try:
                    w.conn.send((i, str(path), key, None if key in w.specs else spec))
                except (OSError, ValueError):
                    todo.appendleft(job)
                    self._requeue(k, sent, todo)
                    continue
                w.specs.add(key)
                sent[i] = job[1]
                if not w.jobs:
                    w.deadline = time.monotonic() + timeout
                w.jobs.append(i)
            if not self._pool[k].jobs and todo:
                raise RuntimeError("inspector workers cannot be started")

        first = take()
        if first is None:
            return
        todo.append(first)
        self._ensure(self.workers)
        while True:
            for k in range(len(self._pool)):
                fill(k)
            busy = [k for k, w in enumerate(self._pool) if w.jobs]
            if not busy:
                return
            wait_for = max(0.0, min(self._pool[k].deadline for k in busy) - time.monotonic())
            ready = self._waiter.wait(self._pool, wait_for)
            for k, w in enumerate(self._pool):
                if not w.jobs:
                    if w.fds[1] in ready:  # died while idle: no job of its; replaced when it gets one
                        self._waiter.remove(w)
                    continue
                conn_ready, died = w.fds[0] in ready, w.fds[1] in ready
                if conn_ready or died:
                    answered, broken = self._receive(w)
                    for i, answer in answered:
                        sent.pop(i, None)
                        yield i, answer
                    if not w.jobs:
                        continue
                    if broken or died or not w.proc.is_alive():
                        # died without answering (abort, segfault, OOM kill): the job it was reading
                        i = w.jobs.popleft()
                        self.crashes += 1
                        yield i, Answer.of(Facts.rejected(_kind(sent.pop(i)[0]), _death_reason(w.proc.exitcode)))
                        self._requeue(k, sent, todo)
                    elif answered:  # the next job's time starts now
                        w.deadline = time.monotonic() + timeout
                elif w.jobs and time.monotonic() >= w.deadline:
                    i = w.jobs.popleft()
                    self.crashes += 1
                    facts = Facts.rejected(_kind(sent.pop(i)[0]), common.TIMEOUT.format(s=f"{timeout:g}"))
                    facts.seconds = float(timeout)
                    yield i, Answer.of(facts)
                    self._requeue(k, sent, todo)

    def depth(self) -> int:
        """Jobs a worker is sent ahead of its answers: :data:`QUEUE_SECONDS` of reading at the
        average pace so far (small files: up to :data:`MAX_IN_FLIGHT`; slow ones: two)."""
        if not self.job_seconds:
            return IN_FLIGHT
        return max(IN_FLIGHT, min(MAX_IN_FLIGHT, int(QUEUE_SECONDS / self.job_seconds)))

    def _requeue(self, k: int, sent: dict[int, Job], todo: deque[tuple[int, Job]]) -> None:
        """Replace worker k; the jobs it had queued (never started) go to the front of the line."""
        w = self._pool[k]
        for i in reversed(w.jobs):
            todo.appendleft((i, sent.pop(i)))
        w.jobs.clear()
        self._replace(k)

    def _receive(self, w: _Worker) -> tuple[list[tuple[int, Answer]], bool]:
        """Every answer waiting in the worker's pipe, each for the job at the head of its line,
        and whether the worker broke (its pipe closed, or it answered garbage or for another
        job: it is not trusted any more)."""
        out: list[tuple[int, Answer]] = []
        try:
            while w.jobs and w.conn.poll():
                job_id, text, transient, read, took = w.conn.recv()
                if job_id != w.jobs[0]:
                    return out, True
                w.jobs.popleft()
                took = min(float(took), self.limits.timeout_s)
                self.job_seconds = (
                    took if self.job_seconds is None else self.job_seconds + 0.1 * (took - self.job_seconds)
                )
                out.append((job_id, Answer(text, bool(transient), read)))
        except Exception:  # EOF, a closed pipe, garbage: treated as a worker that did not answer
            return out, True
        return out, False


class _Waiter:
    """Waits on the workers' pipes and process sentinels with one ``poll`` object for the pool's
    life (``multiprocessing.connection.wait`` builds a selector on every call: ~0.1 ms an
    answer); ``connection.wait`` where there is no ``select.poll``."""

    def __init__(self) -> None:
        self.poll = select.poll() if hasattr(select, "poll") else None
        self.watched: dict[int, _Worker] = {}

    def add(self, w: _Worker) -> _Worker:
        for fd in w.fds:
            self.watched[fd] = w
            if self.poll is not None:
                self.poll.register(fd, select.POLLIN)
        return w

    def remove(self, w: _Worker) -> None:
        for fd in w.fds:
            if self.watched.get(fd) is w:
                del self.watched[fd]
                if self.poll is not None:
                    self.poll.unregister(fd)

    def wait(self, workers: list[_Worker], timeout: float) -> set[int]:
        """The file descriptors that are ready (readable, closed, or a process that ended)."""
        if self.poll is not None:
            return {fd for fd, _event in self.poll.poll(max(0, int(timeout * 1000) + 1))}
        objs = [x for w in workers if w.jobs for x in (w.conn, w.proc.sentinel)]
        return {x if isinstance(x, int) else x.fileno() for x in wait(objs, timeout=timeout)}


def _kind(path: Path | str) -> str:
    from duban.evidence.sniff import sniff

    try:
        return sniff(path)
    except Exception:
        return "unknown"


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0 and -exitcode == getattr(signal, "SIGKILL", 9):
        return common.MEMORY  # the kernel's OOM killer
    return common.CRASH
