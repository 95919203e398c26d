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
for _key in ("DUBAN_HOME", "DUBAN_EVIDENCE", "DUBAN_CATALOG", "DUBAN_SMTP_HOST", "DUBAN_DATABASE_URL"):
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
