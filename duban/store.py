"""The store: one SQLite file under the data directory.

Each module that keeps state declares its own tables with :func:`ensure_schema`
(evidence inspections and check runs, confirmations, the reminder sent-log, reports);
this module only opens the database safely for several processes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

_SCHEMAS: dict[str, str] = {}


def register_schema(name: str, ddl: str) -> None:
    """Declare tables (``CREATE TABLE IF NOT EXISTS ...``) created on every connect."""
    _SCHEMAS[name] = ddl


def connect(db: Path | str) -> sqlite3.Connection:
    conn = sqlite3.connect(str(db), timeout=30, isolation_level=None)  # autocommit; use BEGIN explicitly
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    for ddl in _SCHEMAS.values():
        conn.executescript(ddl)
    return conn
