"""Coordinator confirmations of platform-judged items (系统判定): who, when, note.

A confirmation for (task, unit) turns that obligation from ``confirm`` into ``ok``; a
confirmation with no unit confirms the task for every responsible unit. Confirmations
are only ever added (a withdrawal is a new row with ``withdrawn = 1``): the history is
the record for the inspection.
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass

import sqlalchemy as sa

from duban.store import Scope, Store, metadata, scope_columns
from duban.timeutil import TZ

confirmations = sa.Table(
    "confirmations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *scope_columns(),
    sa.Column("task", sa.Text, nullable=False),
    sa.Column("unit", sa.Text),
    sa.Column("round", sa.Text),
    sa.Column("confirmed_by", sa.Text, nullable=False),
    sa.Column("confirmed_at", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("withdrawn", sa.Integer, nullable=False, server_default="0"),
)


@dataclass(frozen=True)
class Confirmation:
    task: str
    unit: str | None
    confirmed_by: str
    confirmed_at: str
    note: str


def add(
    store: Store,
    scope: Scope,
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
    with store.begin() as conn:
        conn.execute(
            confirmations.insert().values(
                **scope.values(),
                task=task,
                unit=unit,
                confirmed_by=by,
                confirmed_at=when,
                note=note,
                withdrawn=int(withdraw),
            )
        )
    return Confirmation(task, unit, by, when, note)


def current(
    store: Store, scope: Scope, *, as_of: dt.datetime | None = None, made: list | None = None
) -> dict[tuple[str, str | None], Confirmation]:
    """The standing confirmations: (task, unit or None) -> the latest one not withdrawn.

    ``as_of``: as they stood at that time — confirmations and withdrawals made later do not
    exist yet (a check dated June 20 run in July shows what the coordinator had confirmed by
    June 20). ``made``: the :func:`rows` already read (else they are read here)."""
    out: dict[tuple[str, str | None], Confirmation] = {}
    for r in rows(store, scope) if made is None else made:
        if as_of is not None and _made_after(r.confirmed_at, as_of):
            continue
        key = (r.task, r.unit)
        if r.withdrawn:
            out.pop(key, None)
        else:
            out[key] = Confirmation(r.task, r.unit, r.confirmed_by, r.confirmed_at, r.note)
    return out


def rows(store: Store, scope: Scope) -> list:
    """Every confirmation and withdrawal, oldest first (as stored)."""
    t = confirmations
    with store.read() as conn:
        return list(conn.execute(sa.select(t).where(scope.where(t)).order_by(t.c.id)))


def instants(made: list) -> list[dt.datetime]:
    """When each of these ``rows`` was made: what ``current(as_of=...)`` compares with."""
    return [_aware(r.confirmed_at) for r in made]


def _aware(text: str) -> dt.datetime:
    made = dt.datetime.fromisoformat(text)
    return made if made.tzinfo else made.replace(tzinfo=TZ)


def _made_after(confirmed_at: str, as_of: dt.datetime) -> bool:
    return _aware(confirmed_at) > as_of


def is_confirmed(
    confirmed: dict[tuple[str, str | None], Confirmation], task: str, unit: str | None
) -> Confirmation | None:
    return confirmed.get((task, unit)) or confirmed.get((task, None))


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some service environments
        return "unknown"
