"""The audit log: every check run, email, decision and desk event, with who and when.

Most of it is already in the store — ``check_runs`` (evidence), ``reminder_log`` (the
sent-log), ``decisions`` (the check) — and is read from there; the desk adds its own
events (logins, failed logins, a re-check started from the page, links issued or revoked,
accounts added) to ``desk_events``. :func:`entries` merges all of them, newest first,
filtered by unit, kind and date.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa

from duban.check import decisions
from duban.evidence.store import check_runs
from duban.notifications.sentlog import reminder_log
from duban.statuses import KIND_LABELS, RECORD_STATUS_LABELS
from duban.store import Scope, Store, metadata, scope_columns
from duban.timeutil import TZ

desk_events = sa.Table(
    "desk_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *scope_columns(),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("who", sa.Text, nullable=False),
    # login | login_failed | login_locked | logout | recheck | token | user
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("unit", sa.Text),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
)

KINDS: dict[str, str] = {"check": "检查", "email": "邮件", "decision": "决定", "login": "登录", "desk": "工作台"}
EVENT_KIND = {"login": "login", "login_failed": "login", "login_locked": "login", "logout": "login"}
EVENT_LABELS = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_locked": "登录暂停（密码输错过多）",
    "logout": "退出",
    "recheck": "重新检查",
    "token": "单位链接",
    "user": "账号",
}
LIMIT = 500


def record(store: Store, scope: Scope, who: str, event: str, detail: str = "", unit: str | None = None) -> None:
    with store.begin() as conn:
        conn.execute(
            desk_events.insert().values(
                **scope.values(),
                at=dt.datetime.now(TZ).replace(microsecond=0).isoformat(),
                who=who,
                event=event,
                unit=unit,
                detail=detail,
            )
        )


def failed_logins(
    store: Store, scope: Scope, *, within: dt.timedelta, who: str | None = None, host: str | None = None
) -> int:
    """Failed logins in the last ``within`` (of one account name, or from one client address)."""
    t = desk_events
    since = (dt.datetime.now(TZ) - within).replace(microsecond=0).isoformat()
    q = sa.select(sa.func.count()).select_from(t).where(scope.where(t), t.c.event == "login_failed", t.c.at >= since)
    if who is not None:
        q = q.where(t.c.who == who)
    if host is not None:
        q = q.where(t.c.detail == host)
    with store.read() as conn:
        return int(conn.execute(q).scalar_one())


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    kind: str  # check | email | decision | login | desk
    who: str
    unit: str
    text: str

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


def _time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    t = dt.datetime.fromisoformat(text)
    return (t if t.tzinfo else t.replace(tzinfo=TZ)).astimezone(TZ)


def _checks(store: Store, scope: Scope) -> list[Entry]:
    t = check_runs
    q = sa.select(t.c.started_at, t.c.as_of, t.c.units, t.c.tasks, t.c.files, t.c.seconds).where(scope.where(t))
    out = []
    with store.read() as conn:
        for r in conn.execute(q):
            units = json.loads(r.units) if r.units else []
            tasks = json.loads(r.tasks) if r.tasks else []
            what = "、".join(units + tasks) or "全部单位"
            as_of = _time(r.as_of)
            text = f"检查{what}（截至 {as_of:%Y-%m-%d %H:%M}）：{r.files} 个文件，用时 {r.seconds:.1f} 秒"
            out.append(Entry(_time(r.started_at) or as_of, "check", "系统", "、".join(units), text))  # type: ignore[arg-type]
    return out


def _emails(store: Store, scope: Scope) -> list[Entry]:
    t = reminder_log
    q = sa.select(t.c.unit, t.c.kind, t.c.subject, t.c.status, t.c.error, t.c.to_addrs, t.c.created_at, t.c.sent_at)
    out = []
    with store.read() as conn:
        for r in conn.execute(q.where(scope.where(t))):
            state = RECORD_STATUS_LABELS.get(r.status, r.status)
            to = "、".join(json.loads(r.to_addrs))
            text = f"{KIND_LABELS.get(r.kind, r.kind)}：{r.subject}（{state}，收件人 {to}）" + (
                f"：{r.error}" if r.error else ""
            )
            out.append(Entry(_time(r.sent_at or r.created_at), "email", "系统", r.unit, text))  # type: ignore[arg-type]
    return out


def _decisions(store: Store, scope: Scope) -> list[Entry]:
    out = []
    for d in decisions.history(store, scope):
        rnd = f"{d.round.isoformat()} 轮" if d.round else "全部轮次"
        unit = d.unit or "全部责任单位"
        out.append(Entry(d.at, "decision", d.by, d.unit or "", f"#{d.id} {d.what} {d.task}（{unit}，{rnd}）：{d.note}"))
        if d.withdrawn_at:
            out.append(
                Entry(
                    d.withdrawn_at,
                    "decision",
                    d.withdrawn_by or "",
                    d.unit or "",
                    f"撤销 #{d.id} {d.what} {d.task}（{unit}）：{d.withdraw_note}",
                )
            )
    return out


def _desk(store: Store, scope: Scope) -> list[Entry]:
    t = desk_events
    out = []
    with store.read() as conn:
        for r in conn.execute(sa.select(t).where(scope.where(t))):
            label = EVENT_LABELS.get(r.event, r.event)
            text = f"{label}：{r.detail}" if r.detail else label
            out.append(Entry(_time(r.at), EVENT_KIND.get(r.event, "desk"), r.who, r.unit or "", text))  # type: ignore[arg-type]
    return out


def entries(
    store: Store,
    scope: Scope,
    *,
    unit: str | None = None,
    kind: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = LIMIT,
) -> list[Entry]:
    """Everything that happened, newest first, filtered (a unit's filter keeps the entries about it)."""
    sources = {"check": _checks, "email": _emails, "decision": _decisions, "login": _desk, "desk": _desk}
    wanted = [sources[kind]] if kind in sources else list(dict.fromkeys(sources.values()))
    out: list[Entry] = []
    for source in wanted:
        out += source(store, scope)
    if kind:
        out = [e for e in out if e.kind == kind]
    if unit:
        out = [e for e in out if unit in e.unit.split("、") or (e.kind == "decision" and not e.unit)]
    if since:
        out = [e for e in out if e.at.date() >= since]
    if until:
        out = [e for e in out if e.at.date() <= until]
    out.sort(key=lambda e: e.at, reverse=True)
    return out[:limit]
