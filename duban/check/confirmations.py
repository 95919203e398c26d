"""Coordinator confirmations of platform-judged items (系统判定): who, when, note.

A confirmation for (task, unit) turns that obligation from ``confirm`` into ``ok``; a
confirmation with no unit confirms the task for every responsible unit. Confirmations
are only ever added (a withdrawal is a new row with ``withdrawn = 1``): the history is
the record for the inspection.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sqlite3
from dataclasses import dataclass

from duban.store import register_schema
from duban.timeutil import TZ

register_schema(
    "confirmations",
    """
CREATE TABLE IF NOT EXISTS confirmations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task TEXT NOT NULL, unit TEXT, round TEXT,
    confirmed_by TEXT NOT NULL, confirmed_at TEXT NOT NULL, note TEXT NOT NULL,
    withdrawn INTEGER NOT NULL DEFAULT 0
);
""",
)


@dataclass(frozen=True)
class Confirmation:
    task: str
    unit: str | None
    confirmed_by: str
    confirmed_at: str
    note: str


def add(
    conn: sqlite3.Connection,
    task: str,
    unit: str | None,
    note: str,
    *,
    by: str | None = None,
    at: dt.datetime | None = None,
    withdraw: bool = False,
) -> Confirmation:
    by = by or _user()
    when = (at or dt.datetime.now(TZ)).isoformat(timespec="seconds")
    conn.execute(
        "INSERT INTO confirmations (task, unit, confirmed_by, confirmed_at, note, withdrawn) VALUES (?, ?, ?, ?, ?, ?)",
        (task, unit, by, when, note, int(withdraw)),
    )
    return Confirmation(task, unit, by, when, note)


def current(conn: sqlite3.Connection) -> dict[tuple[str, str | None], Confirmation]:
    """The standing confirmations: (task, unit or None) -> the latest one not withdrawn."""
    out: dict[tuple[str, str | None], Confirmation] = {}
    for r in conn.execute("SELECT * FROM confirmations ORDER BY id"):
        key = (r["task"], r["unit"])
        if r["withdrawn"]:
            out.pop(key, None)
        else:
            out[key] = Confirmation(r["task"], r["unit"], r["confirmed_by"], r["confirmed_at"], r["note"])
    return out


def is_confirmed(
    confirmed: dict[tuple[str, str | None], Confirmation], task: str, unit: str | None
) -> Confirmation | None:
    return confirmed.get((task, unit)) or confirmed.get((task, None))


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some service environments
        return "unknown"
