"""The sent-log: every reminder message, its state and its bytes, in the store.

One row per (unit, kind, day, content hash) — the UNIQUE key that makes reminders
idempotent: a message with the same key is never sent twice, however often a round is
re-run. Row states::

    sending     claimed by a run that is delivering it right now
    queued      a temporary failure: the next run (or flush_queue) delivers it
    sent        delivered (to the SMTP server, or written to the outbox)
    failed      a permanent failure (refused address, bad login): not retried by the queue
    superseded  a newer message for the same unit replaced it before it could be delivered

The message bytes are kept so a queued message is delivered exactly as first composed
(same Message-ID). No password is ever written here.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from duban.store import connect, register_schema
from duban.timeutil import TZ

register_schema(
    "notifications",
    """
CREATE TABLE IF NOT EXISTS reminder_log (
    id            INTEGER PRIMARY KEY,
    unit          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    family        TEXT NOT NULL,
    day           TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    to_addrs      TEXT NOT NULL,
    cc_addrs      TEXT NOT NULL,
    subject       TEXT NOT NULL,
    sender        TEXT NOT NULL,
    items         INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL,
    category      TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    message       BLOB NOT NULL,
    filename      TEXT NOT NULL,
    eml_path      TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    sent_at       TEXT,
    reported_day  TEXT,
    UNIQUE (unit, kind, day, content_hash)
);
CREATE INDEX IF NOT EXISTS reminder_log_status ON reminder_log (status);
CREATE INDEX IF NOT EXISTS reminder_log_day ON reminder_log (day);
CREATE TABLE IF NOT EXISTS reminder_scans (
    root        TEXT PRIMARY KEY,
    files       INTEGER NOT NULL,
    day         TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
""",
)

STALE_SENDING = dt.timedelta(minutes=15)  # a 'sending' row older than this was left by a crashed run
RETRY_ON_RERUN = (
    "auth",
    "config",
    "sender",
)  # permanent failures of the set-up, not of the message: a new run may retry


def family_of(kind: str) -> str:
    """Messages of one family replace each other: a unit's reminders, the digest, alerts."""
    return {"upcoming": "unit", "overdue": "unit", "escalation": "unit"}.get(kind, kind)


def _now() -> str:
    return dt.datetime.now(TZ).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Key:
    unit: str
    kind: str
    day: dt.date
    content_hash: str


@dataclass
class Claim:
    action: str  # send | duplicate | failed | busy
    row: sqlite3.Row | None
    message: bytes  # what to deliver (the stored bytes when the row existed)


class SentLog:
    def __init__(self, db_path):
        self.conn = connect(db_path)

    def close(self) -> None:
        self.conn.close()

    # ---------------------------------------------------------------- read
    def find(self, key: Key) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT * FROM reminder_log WHERE unit=? AND kind=? AND day=? AND content_hash=?",
            (key.unit, key.kind, key.day.isoformat(), key.content_hash),
        ).fetchone()

    def get(self, row_id: int) -> sqlite3.Row:
        return self.conn.execute("SELECT * FROM reminder_log WHERE id=?", (row_id,)).fetchone()

    def queued(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM reminder_log WHERE status='queued' ORDER BY id").fetchall()

    def settle_interrupted(self, delivered) -> int:
        """Rows a crashed run left in 'sending': sent if the transport can show it (the .eml
        exists), else failed as *uncertain* — reported to the coordinator, never resent, because
        the server may have accepted the message before the crash."""
        stale = (dt.datetime.now(TZ) - STALE_SENDING).replace(microsecond=0).isoformat()
        rows = self.conn.execute(
            "SELECT * FROM reminder_log WHERE status='sending' AND updated_at < ?", (stale,)
        ).fetchall()
        for row in rows:
            path = delivered(row["filename"])
            if path:
                self.mark_sent(row["id"], attempts=0, eml_path=path)
            else:
                self.mark_failed(
                    row["id"],
                    attempts=0,
                    category="uncertain",
                    error="发送结果不确定：上次运行在发送这封提醒时中断，可能已经送达，"
                    "为避免重复不再自动重发；请协调人向该单位核实",
                )
        return len(rows)

    def day_counts(self, day: dt.date) -> dict[str, int]:
        """Unit reminders of a day by state (for the digest)."""
        rows = self.conn.execute(
            "SELECT status, COUNT(*) AS n FROM reminder_log WHERE day=? AND family='unit' "
            "AND status!='superseded' GROUP BY status",
            (day.isoformat(),),
        ).fetchall()
        return {r["status"]: r["n"] for r in rows}

    def failures_to_report(self, day: dt.date) -> list[sqlite3.Row]:
        """Permanent failures not yet reported to the coordinator, or reported today (stable digests)."""
        return self.conn.execute(
            "SELECT * FROM reminder_log WHERE (status='failed' OR (status='sent' AND error IS NOT NULL)) "
            "AND family!='alert' AND (reported_day IS NULL OR reported_day=?) ORDER BY day, unit",
            (day.isoformat(),),
        ).fetchall()

    # ---------------------------------------------------------------- claim and settle
    def claim(
        self,
        key: Key,
        *,
        to: list[str],
        cc: list[str],
        subject: str,
        sender: str,
        items: int,
        message: bytes,
        filename: str,
    ) -> Claim:
        """Take the right to deliver this message, or say why not (already sent, failed, busy)."""
        now = _now()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            row = self.find(key)
            if row is None:
                cur = self.conn.execute(
                    "INSERT INTO reminder_log (unit, kind, family, day, content_hash, to_addrs, cc_addrs, subject, "
                    "sender, items, status, message, filename, created_at, updated_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,'sending',?,?,?,?)",
                    (
                        key.unit,
                        key.kind,
                        family_of(key.kind),
                        key.day.isoformat(),
                        key.content_hash,
                        json.dumps(to, ensure_ascii=False),
                        json.dumps(cc, ensure_ascii=False),
                        subject,
                        sender,
                        items,
                        message,
                        filename,
                        now,
                        now,
                    ),
                )
                self.conn.execute("COMMIT")
                return Claim("send", self.get(cur.lastrowid), message)
            action = self._action(row)
            if action == "send":
                self.conn.execute("UPDATE reminder_log SET status='sending', updated_at=? WHERE id=?", (now, row["id"]))
            self.conn.execute("COMMIT")
            return Claim(action, row, bytes(row["message"]))
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def claim_row(self, row_id: int) -> Claim:
        """Take a queued row (flush_queue)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            row = self.get(row_id)
            action = self._action(row, rerun=False)
            if action == "send":
                self.conn.execute("UPDATE reminder_log SET status='sending', updated_at=? WHERE id=?", (_now(), row_id))
            self.conn.execute("COMMIT")
            return Claim(action, row, bytes(row["message"]))
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _action(row: sqlite3.Row, *, rerun: bool = True) -> str:
        status = row["status"]
        if status == "sent":
            return "duplicate"
        if status in ("queued", "superseded"):
            return "send" if (status == "queued" or rerun) else "duplicate"
        if status == "sending":  # another run has it (a crashed run's row is settled first)
            return "busy"
        if status == "failed":
            return "send" if rerun and row["category"] in RETRY_ON_RERUN else "failed"
        return "duplicate"

    def mark_sent(self, row_id: int, *, attempts: int, eml_path: str | None, note: str | None = None) -> None:
        now = _now()
        self.conn.execute(
            "UPDATE reminder_log SET status='sent', attempts=attempts+?, eml_path=?, error=?, category=NULL, "
            "sent_at=?, updated_at=? WHERE id=?",
            (attempts, eml_path, note, now, now, row_id),
        )

    def mark_queued(self, row_id: int, *, attempts: int, error: str, category: str) -> None:
        self.conn.execute(
            "UPDATE reminder_log SET status='queued', attempts=attempts+?, error=?, category=?, updated_at=? WHERE id=?",
            (attempts, error, category, _now(), row_id),
        )

    def mark_failed(self, row_id: int, *, attempts: int, error: str, category: str) -> None:
        self.conn.execute(
            "UPDATE reminder_log SET status='failed', attempts=attempts+?, error=?, category=?, reported_day=NULL, "
            "updated_at=? WHERE id=?",
            (attempts, error, category, _now(), row_id),
        )

    def supersede(self, unit: str, family: str, *, keep: set[int] = frozenset(), before: dt.date | None = None) -> int:
        """Queued messages of a unit's family that a newer message (or check) made obsolete."""
        sql = "UPDATE reminder_log SET status='superseded', updated_at=? WHERE unit=? AND family=? AND status='queued'"
        args: list[Any] = [_now(), unit, family]
        if keep:
            sql += f" AND id NOT IN ({','.join('?' * len(keep))})"
            args += sorted(keep)
        if before is not None:
            sql += " AND day < ?"
            args.append(before.isoformat())
        return self.conn.execute(sql, args).rowcount

    def mark_reported(self, row_ids: list[int], day: dt.date) -> None:
        if row_ids:
            self.conn.execute(
                f"UPDATE reminder_log SET reported_day=? WHERE reported_day IS NULL AND id IN ({','.join('?' * len(row_ids))})",  # noqa: S608
                [day.isoformat(), *row_ids],
            )

    # ---------------------------------------------------------------- guard baseline
    def last_file_count(self, root: str) -> int | None:
        row = self.conn.execute("SELECT files FROM reminder_scans WHERE root=?", (root,)).fetchone()
        return row["files"] if row else None

    def record_file_count(self, root: str, files: int, day: dt.date) -> None:
        self.conn.execute(
            "INSERT INTO reminder_scans (root, files, day, recorded_at) VALUES (?,?,?,?) "
            "ON CONFLICT(root) DO UPDATE SET files=excluded.files, day=excluded.day, recorded_at=excluded.recorded_at",
            (root, files, day.isoformat(), _now()),
        )
