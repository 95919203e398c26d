"""Evidence state in the store: content hashes, inspection results, first-seen times and
every check run — so a re-check reads only new or changed files and history is kept.

Tables
- ``evidence_files``: one row per (root, path): the stat signature last seen and its
  content hash. An unchanged signature (size, mtime_ns, inode) reuses the hash without
  opening the file.
- ``evidence_contents``: one row per content hash: when duban first saw it.
- ``inspections``: facts per (content hash, inspect-spec fingerprint).
- ``check_runs``: one row per check: when, as of when, counters, the result JSON.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path

from duban.store import register_schema

from .facts import Facts

register_schema(
    "evidence",
    """
CREATE TABLE IF NOT EXISTS evidence_files (
    root TEXT NOT NULL, path TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
    sha256 TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
    PRIMARY KEY (root, path)
);
CREATE TABLE IF NOT EXISTS evidence_contents (
    sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, first_seen TEXT NOT NULL, first_path TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS inspections (
    sha256 TEXT NOT NULL, spec TEXT NOT NULL, facts TEXT NOT NULL, inspected_at TEXT NOT NULL,
    PRIMARY KEY (sha256, spec)
);
CREATE TABLE IF NOT EXISTS check_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL, as_of TEXT NOT NULL, evidence_root TEXT NOT NULL,
    units TEXT, tasks TEXT,
    files INTEGER NOT NULL, hashed INTEGER NOT NULL, inspected INTEGER NOT NULL,
    seconds REAL NOT NULL, result TEXT NOT NULL
);
""",
)

CHUNK = 1 << 20


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def cached_hashes(conn: sqlite3.Connection, root: str) -> dict[str, tuple[int, int, int, str]]:
    rows = conn.execute("SELECT path, size, mtime_ns, inode, sha256 FROM evidence_files WHERE root = ?", (root,))
    return {r["path"]: (r["size"], r["mtime_ns"], r["inode"], r["sha256"]) for r in rows}


def remember_hashes(conn: sqlite3.Connection, root: str, rows: list[tuple[str, int, int, int, str]]) -> None:
    """rows: (path, size, mtime_ns, inode, sha256) for every file seen in this scan."""
    now = _now()
    conn.execute("BEGIN")
    conn.executemany(
        """INSERT INTO evidence_files (root, path, size, mtime_ns, inode, sha256, first_seen, last_seen)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(root, path) DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns,
             inode=excluded.inode, sha256=excluded.sha256, last_seen=excluded.last_seen""",
        [(root, p, s, m, i, h, now, now) for p, s, m, i, h in rows],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO evidence_contents (sha256, size, first_seen, first_path) VALUES (?, ?, ?, ?)",
        [(h, s, now, p) for p, s, m, i, h in rows],
    )
    conn.execute("COMMIT")


def cached_facts(conn: sqlite3.Connection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Facts]:
    out: dict[tuple[str, str], Facts] = {}
    if not keys:
        return out
    shas = sorted({k[0] for k in keys})
    for i in range(0, len(shas), 500):
        part = shas[i : i + 500]
        q = f"SELECT sha256, spec, facts FROM inspections WHERE sha256 IN ({','.join('?' * len(part))})"  # noqa: S608 (placeholders only)
        for r in conn.execute(q, part):
            key = (r["sha256"], r["spec"])
            if key in keys:
                out[key] = Facts.from_dict(json.loads(r["facts"]))
    return out


def remember_facts(conn: sqlite3.Connection, items: list[tuple[str, str, Facts]]) -> None:
    now = _now()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT OR REPLACE INTO inspections (sha256, spec, facts, inspected_at) VALUES (?, ?, ?, ?)",
        [(sha, spec, json.dumps(f.to_dict(), ensure_ascii=False), now) for sha, spec, f in items],
    )
    conn.execute("COMMIT")


def record_run(
    conn: sqlite3.Connection,
    *,
    started_at: str,
    as_of: str,
    root: str,
    units,
    tasks,
    files: int,
    hashed: int,
    inspected: int,
    seconds: float,
    result_json: str,
) -> int:
    cur = conn.execute(
        """INSERT INTO check_runs (started_at, as_of, evidence_root, units, tasks, files, hashed, inspected, seconds, result)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            started_at,
            as_of,
            root,
            json.dumps(units, ensure_ascii=False) if units else None,
            json.dumps(tasks) if tasks else None,
            files,
            hashed,
            inspected,
            seconds,
            result_json,
        ),
    )
    return int(cur.lastrowid)


def last_run(conn: sqlite3.Connection, root: str, before_id: int | None = None) -> sqlite3.Row | None:
    """The latest full check (no unit/task filter) of a root, optionally before a run id."""
    q = "SELECT * FROM check_runs WHERE evidence_root = ? AND units IS NULL AND tasks IS NULL"
    args: list = [root]
    if before_id is not None:
        q += " AND id < ?"
        args.append(before_id)
    return conn.execute(q + " ORDER BY id DESC LIMIT 1", args).fetchone()


def run_by_id(conn: sqlite3.Connection, run_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM check_runs WHERE id = ?", (run_id,)).fetchone()


def content_first_seen(conn: sqlite3.Connection, shas: set[str]) -> dict[str, float]:
    """POSIX time duban first saw each content (whatever its path then)."""
    out: dict[str, float] = {}
    items = sorted(shas)
    for i in range(0, len(items), 500):
        part = items[i : i + 500]
        q = f"SELECT sha256, first_seen FROM evidence_contents WHERE sha256 IN ({','.join('?' * len(part))})"  # noqa: S608 (placeholders only)
        for r in conn.execute(q, part):
            out[r["sha256"]] = dt.datetime.fromisoformat(r["first_seen"]).timestamp()
    return out
