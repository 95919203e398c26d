"""A Prefect cluster on this machine, for tests and benchmarks: a real ``prefect server start``
on loopback (backed by PostgreSQL when given its URL) and process workers, each in its own
process group, so that stopping one stops everything it started (a worker's flow runs, a
server's children) — and what is left can be checked with ``ps``.

The ``prefect_cluster`` fixture (tests/conftest.py) and ``benchmarks/bench_city.py`` use it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _reserved_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child process in its own process group (``start_new_session``), output to a log file;
    :meth:`stop` ends the whole group (the process and whatever it started: a worker's flow runs,
    a server's own children), SIGTERM then SIGKILL."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log: Path, cwd: Path | None = None):
        self.name, self.log = name, log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._out = open(log, "ab")  # noqa: SIM115 (the child writes to it until stop())
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pgid = self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def group_members(self) -> list[int]:
        """PIDs still in this process group (``ps``: what a test must leave behind is nothing)."""
        return group_members(self.pgid)

    def kill(self, timeout: float = 20) -> None:
        """SIGKILL the whole group at once, as when the machine is lost: nothing in it can report."""
        self.stop(timeout, signals=(signal.SIGKILL,))

    def stop(self, timeout: float = 20, signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGKILL)) -> None:
        for sig in signals:
            try:
                os.killpg(self.pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.group_members():
                try:
                    self.proc.wait(0.2)
                except subprocess.TimeoutExpired:
                    pass
            if not self.group_members():
                break
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self._out.close()


def group_members(pgid: int) -> list[int]:
    """PIDs in process group ``pgid`` (``ps``)."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,pgid="], capture_output=True, text=True, check=True).stdout
    return [int(p) for p, g in (line.split() for line in out.splitlines() if line.strip()) if int(g) == pgid]


def kill_group(pgid: int, timeout: float = 20) -> None:
    """SIGKILL process group ``pgid`` (not one of ours: e.g. a flow run a worker started in its
    own session) and wait until ``ps`` shows none of it."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and group_members(pgid):
        time.sleep(0.1)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without Prefect's and duban's own settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DUBAN_"))}
    env.update(
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT="false",
        PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE="50",
    )
    env.update(extra)
    return env


class PrefectCluster:
    """A real ``prefect server start`` on loopback backed by PostgreSQL, and process workers."""

    def __init__(self, base: Path, database_url: str):
        self.base, self.database_url = base, database_url
        self.procs: list[Proc] = []
        self.server: Proc | None = None
        self.port = 0
        self.api_url = ""

    def start_server(self, timeout: float = 240) -> None:
        self.port = _reserved_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        env = clean_env(
            PREFECT_HOME=str(self.base / "server-home"),
            PREFECT_SERVER_DATABASE_CONNECTION_URL=self.database_url,
            PREFECT_SERVER_API_PORT=str(self.port),
            PREFECT_SERVER_LOGGING_LEVEL="WARNING",
        )
        cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(self.port)]
        self.server = self._start("server", cmd, env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.server.alive():
                raise RuntimeError("prefect server exited:\n" + self.server.text()[-3000:])
            try:
                with urllib.request.urlopen(self.api_url + "/health", timeout=2) as r:
                    if r.read().strip() == b"true":
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"prefect server not healthy in {timeout} s:\n" + self.server.text()[-3000:])

    def client_env(self, **extra: str) -> dict[str, str]:
        """The environment of a process that talks to this server (a worker, ``duban city deploy``)."""
        return clean_env(PREFECT_API_URL=self.api_url, PREFECT_HOME=str(self.base / "client-home"), **extra)

    def start_worker(
        self, name: str, pool: str, queues: tuple[str, ...] | list[str] = (), limit: int | None = None, **env: str
    ) -> Proc:
        cmd = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process", "--name", name]
        for q in queues:
            cmd += ["--work-queue", q]
        if limit:
            cmd += ["--limit", str(limit)]
        worker_env = self.client_env(
            PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="5", PREFECT_LOGGING_LEVEL="INFO", **env
        )
        return self._start(name, cmd, worker_env)

    def _start(self, name: str, cmd: list[str], env: dict[str, str]) -> Proc:
        proc = Proc(name, cmd, env, self.base / "logs" / f"{name}.log", cwd=self.base)
        self.procs.append(proc)
        return proc

    def stop(self) -> list[tuple[str, list[int]]]:
        """Stop every process started (workers first); returns what was left behind (should be [])."""
        for p in reversed(self.procs):
            p.stop()
        return [(p.name, p.group_members()) for p in self.procs if p.group_members()]
