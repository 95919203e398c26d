"""The sent-log: every reminder message, its state and its bytes, in the store.

One row per (district, campaign, unit, kind, day, content hash) — the UNIQUE key that makes
reminders idempotent: a message with the same key is never sent twice, however often a
round is re-run, and whichever worker runs it. A run *claims* a message before sending it:
an insert that only one process can win (the unique key), or, for a queued message, an
update that only succeeds while the row is still in the state the run saw — never a
read-then-write. Row states::

    sending     claimed by a run that is delivering it right now
    queued      a temporary failure: the next run (or flush_queue) delivers it (to
                ``pending_rcpts`` only, when the others already have it)
    sent        delivered (to the SMTP server, or written to the outbox: ``transport`` says which;
                a message only in the outbox is sent for real once SMTP is configured)
    failed      a permanent failure (refused address, bad login): not retried by the queue
    superseded  a newer message for the same unit replaced it before it could be delivered

The message bytes are kept so a queued message is delivered exactly as first composed
(same Message-ID). No password is ever written here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from duban.store import Scope, Store, metadata, scope_columns
from duban.timeutil import TZ

reminder_log = sa.Table(
    "reminder_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *scope_columns(),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("family", sa.Text, nullable=False),
    sa.Column("day", sa.Text, nullable=False),
    sa.Column("content_hash", sa.Text, nullable=False),
    sa.Column("to_addrs", sa.Text, nullable=False),
    sa.Column("cc_addrs", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("sender", sa.Text, nullable=False),
    sa.Column("items", sa.Integer, nullable=False, server_default="0"),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("category", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Column("message", sa.LargeBinary, nullable=False),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("eml_path", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.Column("sent_at", sa.Text),
    sa.Column("reported_day", sa.Text),
    # added later (stores written before get them on first use, see _ensure_columns)
    sa.Column("transport", sa.Text),  # what delivered it: outbox | smtp (NULL: before this was kept)
    sa.Column("pending_rcpts", sa.Text),  # JSON list: the recipients a queued message still has to reach
    sa.Column("source", sa.Text),  # a digest: the check result (JSON) it summarises, to render it again
    sa.UniqueConstraint("district", "campaign", "unit", "kind", "day", "content_hash", name="reminder_log_key"),
)
sa.Index("reminder_log_status", reminder_log.c.status)
sa.Index("reminder_log_day", reminder_log.c.day)

reminder_scans = sa.Table(
    "reminder_scans",
    metadata,
    sa.Column("district", sa.Text, nullable=False, server_default=""),
    sa.Column("root", sa.Text, nullable=False),
    sa.Column("files", sa.Integer, nullable=False),
    sa.Column("day", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("district", "root"),
)

STALE_SENDING = dt.timedelta(minutes=15)  # a 'sending' row older than this was left by a crashed run
RETRY_ON_RERUN = ("auth", "config", "sender")  # failures of the set-up, not of the message: a new run may retry
Row = Any  # a RowMapping of reminder_log: row["id"], row["status"] ...


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
    row: Row
    message: bytes  # what to deliver (the stored bytes when the row existed)


LATER_COLUMNS = ("transport", "pending_rcpts", "source")


def delivered_by(row: Row) -> str | None:
    """The transport that delivered a sent row: its record, or the .eml the file outbox left."""
    return row["transport"] or ("outbox" if row["eml_path"] else None)


class SentLog:
    """The sent-log of one district's campaign. ``transport``: the name of the transport this
    run delivers with (``outbox`` | ``smtp``): a message only written to the file outbox is not
    "already sent" once a real mail server is configured."""

    def __init__(self, store: Store, scope: Scope, transport: str | None = None):
        self.store, self.scope = store, scope
        self.t = reminder_log
        self.transport = transport
        store.ensure_columns(reminder_log, LATER_COLUMNS)

    def close(self) -> None:  # connections are pooled by the store
        pass

    def _select(self) -> Any:
        return sa.select(self.t).where(self.scope.where(self.t))

    def _one(self, q: Any) -> Row:
        with self.store.read() as conn:
            return conn.execute(q).mappings().first()

    def _all(self, q: Any) -> list[Row]:
        with self.store.read() as conn:
            return list(conn.execute(q).mappings())

    def _update(self, row_id: int, **values: Any) -> int:
        with self.store.begin() as conn:
            return conn.execute(sa.update(self.t).where(self.t.c.id == row_id).values(**values)).rowcount

    # ---------------------------------------------------------------- read
    def find(self, key: Key) -> Row:
        t = self.t
        return self._one(
            self._select().where(
                t.c.unit == key.unit,
                t.c.kind == key.kind,
                t.c.day == key.day.isoformat(),
                t.c.content_hash == key.content_hash,
            )
        )

    def get(self, row_id: int) -> Row:
        return self._one(sa.select(self.t).where(self.t.c.id == row_id))

    def is_empty(self) -> bool:
        """True when this district's campaign has no row at all (a new or emptied store)."""
        return self._one(sa.select(self.t.c.id).where(self.scope.where(self.t)).limit(1)) is None

    def already_sent(self, row: Row) -> bool:
        """Sent, by this run's kind of transport (an outbox copy does not count for SMTP)."""
        if row["status"] != "sent":
            return False
        return not (self.transport not in (None, "outbox") and delivered_by(row) == "outbox")

    def queued(self) -> list[Row]:
        return self._all(self._select().where(self.t.c.status == "queued").order_by(self.t.c.id))

    def settle_interrupted(self, delivered: Callable[[str], str | None]) -> int:
        """Rows a crashed run left in 'sending': sent if the transport can show it (the .eml
        exists), else failed as *uncertain* — reported to the coordinator, never resent, because
        the server may have accepted the message before the crash."""
        stale = (dt.datetime.now(TZ) - STALE_SENDING).replace(microsecond=0).isoformat()
        rows = self._all(self._select().where(self.t.c.status == "sending", self.t.c.updated_at < stale))
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
        t = self.t
        q = (
            sa.select(t.c.status, sa.func.count().label("n"))
            .where(self.scope.where(t), t.c.day == day.isoformat(), t.c.family == "unit", t.c.status != "superseded")
            .group_by(t.c.status)
        )
        return {r["status"]: r["n"] for r in self._all(q)}

    def unit_states(self, day: dt.date) -> dict[str, str]:
        """The state of each unit's reminder of a day (its latest row), for a digest rendered later."""
        t = self.t
        q = (
            self._select()
            .where(t.c.day == day.isoformat(), t.c.family == "unit", t.c.status != "superseded")
            .order_by(t.c.id)
        )
        return {r["unit"]: r["status"] for r in self._all(q)}

    def failures_to_report(self, day: dt.date) -> list[Row]:
        """Permanent failures not yet reported to the coordinator, or reported today (stable digests)."""
        t = self.t
        q = self._select().where(
            sa.or_(t.c.status == "failed", sa.and_(t.c.status == "sent", t.c.error.is_not(None))),
            t.c.family != "alert",
            sa.or_(t.c.reported_day.is_(None), t.c.reported_day == day.isoformat()),
        )
        return self._all(q.order_by(t.c.day, t.c.unit))

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
        source: str | None = None,
    ) -> Claim:
        """Take the right to deliver this message, or say why not (already sent, failed, busy)."""
        now = _now()
        values = dict(
            **self.scope.values(),
            unit=key.unit,
            kind=key.kind,
            family=family_of(key.kind),
            day=key.day.isoformat(),
            content_hash=key.content_hash,
            to_addrs=json.dumps(to, ensure_ascii=False),
            cc_addrs=json.dumps(cc, ensure_ascii=False),
            subject=subject,
            sender=sender,
            items=items,
            status="sending",
            message=message,
            filename=filename,
            created_at=now,
            updated_at=now,
            source=source,
        )
        with self.store.begin() as conn:
            # RETURNING gives the new row's id only to the process whose insert won
            won = conn.execute(self.store.insert_ignore(self.t).values(**values).returning(self.t.c.id)).first()
        row = self.find(key)
        if won is not None:
            return Claim("send", row, message)
        # composed again now: what goes out is this run's message (a digest queued during a
        # failure is rendered from the state at the time it is sent, never sent stale)
        fresh = {
            "message": message,
            "subject": subject,
            "to_addrs": values["to_addrs"],
            "cc_addrs": values["cc_addrs"],
            "source": source,
        }
        return self._take(row, rerun=True, fresh=fresh)

    def claim_row(self, row_id: int) -> Claim:
        """Take a queued row (flush_queue)."""
        return self._take(self.get(row_id), rerun=False)

    def _take(self, row: Row, *, rerun: bool, fresh: dict[str, Any] | None = None) -> Claim:
        """Move a row to 'sending' if it may be sent, atomically: only while it is still in the
        state this run saw (another worker that got there first wins, this one stands back)."""
        action = self._action(row, rerun=rerun)
        if action == "send":
            t = self.t
            values: dict[str, Any] = {"status": "sending", "updated_at": _now()}
            if fresh:
                values.update(fresh)
            with self.store.begin() as conn:
                won = conn.execute(
                    sa.update(t)
                    .where(t.c.id == row["id"], t.c.status == row["status"], t.c.updated_at == row["updated_at"])
                    .values(**values)
                    .returning(t.c.id)
                ).first()
            row = self.get(row["id"])
            if won is None:
                action = "busy" if row["status"] == "sending" else "duplicate"
        return Claim(action, row, bytes(row["message"]))

    def _action(self, row: Row, *, rerun: bool = True) -> str:
        status = row["status"]
        if status == "sent":  # only in the outbox while a mail server is now configured: send it for real
            return "send" if rerun and not self.already_sent(row) else "duplicate"
        if status in ("queued", "superseded"):
            return "send" if (status == "queued" or rerun) else "duplicate"
        if status == "sending":  # another run has it (a crashed run's row is settled first)
            return "busy"
        if status == "failed":
            return "send" if rerun and row["category"] in RETRY_ON_RERUN else "failed"
        return "duplicate"

    def mark_sent(
        self, row_id: int, *, attempts: int, eml_path: str | None, note: str | None = None, transport: str | None = None
    ) -> None:
        now = _now()
        self._update(
            row_id,
            status="sent",
            attempts=self.t.c.attempts + attempts,
            eml_path=eml_path,
            error=note,
            category=None,
            sent_at=now,
            updated_at=now,
            transport=transport or self.transport,
            pending_rcpts=None,
        )

    def mark_queued(
        self, row_id: int, *, attempts: int, error: str, category: str, pending: list[str] | None = None
    ) -> None:
        """Queued for the next run; ``pending``: only these recipients still need it (the others got it)."""
        self._update(
            row_id,
            status="queued",
            attempts=self.t.c.attempts + attempts,
            error=error,
            category=category,
            updated_at=_now(),
            pending_rcpts=json.dumps(pending, ensure_ascii=False) if pending else None,
        )

    def mark_failed(self, row_id: int, *, attempts: int, error: str, category: str) -> None:
        self._update(
            row_id,
            status="failed",
            attempts=self.t.c.attempts + attempts,
            error=error,
            category=category,
            reported_day=None,
            updated_at=_now(),
        )

    def supersede(
        self, unit: str, family: str, *, keep: set[int] | frozenset[int] = frozenset(), before: dt.date | None = None
    ) -> int:
        """Queued messages of a unit's family that a newer message (or check) made obsolete."""
        t = self.t
        q = sa.update(t).where(self.scope.where(t), t.c.unit == unit, t.c.family == family, t.c.status == "queued")
        if keep:
            q = q.where(t.c.id.not_in(sorted(keep)))
        if before is not None:
            q = q.where(t.c.day < before.isoformat())
        with self.store.begin() as conn:
            return conn.execute(q.values(status="superseded", updated_at=_now())).rowcount

    def mark_reported(self, row_ids: list[int], day: dt.date) -> None:
        if row_ids:
            t = self.t
            with self.store.begin() as conn:
                conn.execute(
                    sa.update(t)
                    .where(t.c.reported_day.is_(None), t.c.id.in_(row_ids))
                    .values(reported_day=day.isoformat())
                )

    # ---------------------------------------------------------------- guard baseline
    def last_file_count(self, root: str) -> int | None:
        t = reminder_scans
        row = self._one(sa.select(t.c.files).where(t.c.district == self.scope.district, t.c.root == root))
        return row["files"] if row else None

    def record_file_count(self, root: str, files: int, day: dt.date) -> None:
        with self.store.begin() as conn:
            conn.execute(
                self.store.upsert(reminder_scans, ["district", "root"], ["files", "day", "recorded_at"]),
                [
                    {
                        "district": self.scope.district,
                        "root": root,
                        "files": files,
                        "day": day.isoformat(),
                        "recorded_at": _now(),
                    }
                ],
            )
