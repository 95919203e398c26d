"""Shared fixtures. Every test module mirrors a module of duban; what several of them need
lives here: the catalog, a fresh data directory, a real SMTP server on loopback, the Prefect
test harness (only for tests that ask for it), a sample shared folder, and free ports.

Tiers (``make test-fast`` runs the first only):
- unmarked: pure library tests — no Prefect import, no servers besides aiosmtpd; seconds;
- ``prefect``: real Prefect flows, servers, workers, ``duban`` subprocesses;
- ``browser``: a real Chromium (skipped, with the reason, when it is not installed).
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Prefect reads its settings once, at import: embedded defaults for every test process
# (no telemetry, batched task-run recording, a private PREFECT_HOME, no outside server).
for _key, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "50",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "ERROR",
}.items():
    os.environ.setdefault(_key, _value)
if "PREFECT_HOME" not in os.environ:
    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="duban-test-prefect-")
os.environ.pop("PREFECT_API_URL", None)
for _key in (
    "DUBAN_HOME",
    "DUBAN_EVIDENCE",
    "DUBAN_CATALOG",
    "DUBAN_SMTP_HOST",
    "DUBAN_DATABASE_URL",
    "DUBAN_DISTRICT",
    "DUBAN_COORDINATOR_EMAILS",
):
    os.environ.pop(_key, None)

from smtp_server import SmtpServer, make_evidence_root  # noqa: E402

from duban.home import Home  # noqa: E402
from duban.tasks_catalog import Catalog, load_catalog  # noqa: E402


# ---------------------------------------------------------------- data
@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The shipped 2021 catalog (read-only: tests that edit a catalog copy it first)."""
    return load_catalog()


@pytest.fixture(scope="session")
def templates(catalog):
    return catalog.templates


@pytest.fixture
def home(tmp_path) -> Home:
    """A fresh, empty data directory."""
    return Home.resolve(tmp_path / "home")


@pytest.fixture
def evidence_root(tmp_path) -> Path:
    """A shared folder with a few files in it (the guard sees a healthy root)."""
    return make_evidence_root(tmp_path)


# ---------------------------------------------------------------- servers
@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on a loopback port bound before it starts; stopped after the test."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server (SQLite) for the whole session, for unit-level flow tests."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@contextmanager
def reserved_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A port the OS picked (bound to port 0), held until the caller is about to hand it to a
    child process: the window in which another process could take it is the caller's start-up."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, 0))
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


def free_port(host: str = "127.0.0.1") -> int:
    """A port number for a child process that must be told one (release right before the start)."""
    with reserved_port(host) as port:
        return port


# ---------------------------------------------------------------- PostgreSQL (Debian's package)
def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


class PostgresServer:
    """A private PostgreSQL cluster in a temp folder on a free loopback port, run as the
    ``postgres`` system user when the tests run as root (initdb refuses root)."""

    def __init__(self, bin_dir: Path, base: Path):
        import pwd

        self.bin, self.base = bin_dir, base
        self.data, self.sock = base / "data", base / "sock"
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            pw = pwd.getpwnam("postgres")
            base.mkdir(parents=True, exist_ok=True)
            os.chown(base, pw.pw_uid, pw.pw_gid)
        self.sock.mkdir(parents=True, exist_ok=True)
        if self.user:
            os.chown(self.sock, pw.pw_uid, pw.pw_gid)
        self.port = 0

    def _run(self, *args: str, timeout: float = 120) -> None:
        import subprocess

        subprocess.run(list(args), check=True, capture_output=True, timeout=timeout, user=self.user, cwd=str(self.base))

    def start(self) -> PostgresServer:
        import subprocess

        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "duban", "-E", "UTF8", "--no-locale"
        )
        for attempt in range(5):
            self.port = free_port()
            try:
                self._run(
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.base / "log"),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1",
                    "start",
                )
                return self
            except subprocess.CalledProcessError:
                if attempt == 4:
                    raise
        return self

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://duban@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"postgresql://duban@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session (Debian's ``postgresql``; ``make test`` installs it)."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        why = "PostgreSQL is not installed (make test installs Debian's postgresql package)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    server = PostgresServer(bin_dir, Path(tempfile.mkdtemp(prefix="duban-pg-"))).start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres, request) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    import re

    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50] + f"_{os.getpid()}"
    return postgres.create_database(name)


# ---------------------------------------------------------------- the desk (duban.desk)
@pytest.fixture
def desk_home(tmp_path, catalog, smtp_server):
    """A data directory as the coordinator has it on 2021-06-21: a small share checked
    (区工信局 handed in D20 round 2; 区财政局 one file of its own), a coordinator account,
    mail to the loopback SMTP server, and a personal link for 区工信局. Returns a namespace
    with home, store, scope, the link token and the server."""
    import datetime as dt
    from types import SimpleNamespace

    from duban import access
    from duban.check import run_check
    from duban.store import Store, scope_of
    from duban.testing import samples
    from duban.testing.desk import AS_OF, COORDINATOR, PASSWORD
    from duban.timeutil import TZ

    home = Home.resolve(tmp_path / "home")
    home.settings_file.write_text(
        f"smtp:\n  host: 127.0.0.1\n  port: {smtp_server.port}\n  security: plain\n", encoding="utf-8"
    )
    share = tmp_path / "share"
    june11 = dt.datetime(2021, 6, 11, 10, tzinfo=TZ)
    samples.make_ledger_xlsx(
        share / "区工信局" / "20" / "第二轮" / "仓储物流台账.xlsx", catalog.templates["附件7"], 210, mtime=june11
    )
    samples.make_docx(share / "区财政局" / "06" / "财政局专有制度文件.docx", ["修订后的制度文件"], mtime=june11)
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    access.set_user(store, scope, COORDINATOR, PASSWORD)
    run_check(catalog, share, AS_OF, home)
    token = access.issue_token(store, scope, "区工信局", by="test")
    return SimpleNamespace(home=home, store=store, scope=scope, token=token, share=share, smtp=smtp_server)


# ---------------------------------------------------------------- a Prefect cluster (issue 13)
@pytest.fixture(scope="session")
def prefect_database(postgres) -> str:
    """One PostgreSQL database for Prefect servers of the session (migrated once, ~40 s; a
    restart on it takes a few seconds)."""
    url = postgres.create_database(f"prefect_{os.getpid()}")
    return url.replace("postgresql+psycopg://", "postgresql+asyncpg://")


@pytest.fixture(scope="module")
def prefect_cluster(prefect_database, tmp_path_factory):
    """A Prefect server on PostgreSQL for the module's tests; workers are started by the tests
    (``cluster.start_worker``). Every process is stopped at the end, and none may be left."""
    from duban.testing.cluster import PrefectCluster

    cluster = PrefectCluster(tmp_path_factory.mktemp("cluster"), prefect_database)
    try:
        cluster.start_server()
        yield cluster
    finally:
        left = cluster.stop()
    assert not left, f"processes left behind: {left}"
