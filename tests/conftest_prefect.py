"""The Prefect test harness, for the flow tests only (``from conftest_prefect import prefect_harness``).

Pure unit tests never import this module, so they never pay for Prefect. On import it
applies duban's embedded settings (no telemetry, batched task-run recording, a private
PREFECT_HOME) before Prefect itself is imported.
"""
from __future__ import annotations

import os
import tempfile

for _key, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "50",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "60",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "ERROR",
}.items():
    os.environ.setdefault(_key, _value)
if "PREFECT_HOME" not in os.environ:
    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="duban-test-prefect-")
os.environ.pop("PREFECT_API_URL", None)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server (SQLite) for the whole test session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield
