"""The coordinator's decisions: explicit, audited overrides of what the rules decided.

The rules are the first judge. A coordinator who knows better records a **decision** for
one unit's obligation — a task, a unit, one round or every round — with who, when and a
note that says why:

- ``accept``  (认可) the submission counts although the rules could not judge it (one Word
  file holding two cases, one merged 60-page contract PDF): ``ok``, or ``late`` when the
  accepted evidence came in after the due time;
- ``reject``  (驳回) the submission passes the rules but is wrong: the obligation stays open
  (``partial`` once due, ``pending`` before) with the reason as its first problem, until a
  file newer than the rejection arrives — then the rules judge again;
- ``waive``   (免报) the unit owes nothing here (a department with no such business):
  ``waived`` — not open, never reminded, not scored;
- ``extend``  (延期) the unit's due date moves to ``until``: an overdue ``missing`` becomes
  ``pending`` until then, and ``late`` / ``ok`` are judged against the new date.

Decisions are rows in the store (``decisions``), scoped by district and campaign, never
deleted: a withdrawal fills ``withdrawn_by`` / ``withdrawn_at`` / ``withdraw_note`` on the
row, once. A check as of a time uses the decisions in force then (:func:`standing`), so
an old round re-checked today is judged as the coordinator had decided at that time.

:func:`apply` is pure: obligations in, obligations out, each overridden one saying so in
its problems ("协调人 王科长 于 2021-06-19 决定：免报（……）").

Confirmations of platform-judged items (``duban confirm``, :mod:`.confirmations`) are
accepts of a platform task; :func:`from_confirmation` reads one as a decision.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from duban.results import Obligation
from duban.store import Scope, Store, metadata, scope_columns
from duban.timeutil import TZ

from .confirmations import Confirmation
from .confirmations import _user as current_user  # the login name, for who decided

KINDS: tuple[str, ...] = ("accept", "reject", "waive", "extend")
KIND_LABELS: dict[str, str] = {"accept": "认可", "reject": "驳回", "waive": "免报", "extend": "延期"}
VERDICTS = ("accept", "reject", "waive")  # decide the status; at most one stands per obligation

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *scope_columns(),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("task", sa.Text, nullable=False),
    sa.Column("unit", sa.Text),  # None: every responsible unit (a confirmation of a whole task)
    sa.Column("round", sa.Text),  # ISO date; None: every round
    sa.Column("until", sa.Text),  # ISO date, extend only
    sa.Column("files", sa.Text),  # JSON list of the paths a decision is about (a rejected file), or None
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("decided_by", sa.Text, nullable=False),
    sa.Column("decided_at", sa.Text, nullable=False),
    sa.Column("withdrawn_by", sa.Text),
    sa.Column("withdrawn_at", sa.Text),
    sa.Column("withdraw_note", sa.Text),
)
sa.Index("decisions_scope", decisions.c.district, decisions.c.campaign, decisions.c.unit)


class DecisionError(ValueError):
    """A decision that cannot be recorded as asked; ``str()`` is the Chinese message with the fix."""


@dataclass(frozen=True)
class Decision:
    id: int | None
    kind: str
    task: str
    unit: str | None
    round: dt.date | None
    note: str
    by: str
    at: dt.datetime
    until: dt.date | None = None
    files: tuple[str, ...] = ()
    withdrawn_by: str | None = None
    withdrawn_at: dt.datetime | None = None
    withdraw_note: str | None = None

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def in_force(self, as_of: dt.datetime) -> bool:
        """Made by ``as_of`` and not withdrawn by then."""
        return self.at <= as_of and (self.withdrawn_at is None or self.withdrawn_at > as_of)

    def covers(self, o: Obligation) -> bool:
        return (
            o.task == self.task
            and o.unit is not None
            and self.unit in (None, o.unit)
            and (self.round is None or o.round == self.round)
        )

    @property
    def what(self) -> str:
        """延期至 6月25日 / 驳回 / 免报 / 认可."""
        if self.kind == "extend" and self.until:
            return f"延期至 {self.until.month}月{self.until.day}日"
        return self.label

    @property
    def line(self) -> str:
        """The sentence an overridden obligation carries in its problems."""
        return f"协调人 {self.by} 于 {self.at:%Y-%m-%d} 决定：{self.what}（{self.note}）"

    def to_json(self) -> dict[str, Any]:
        iso = lambda v: v.isoformat() if v is not None else None
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "task": self.task,
            "unit": self.unit,
            "round": iso(self.round),
            "until": iso(self.until),
            "files": list(self.files),
            "note": self.note,
            "by": self.by,
            "at": iso(self.at),
            "withdrawn_by": self.withdrawn_by,
            "withdrawn_at": iso(self.withdrawn_at),
            "withdraw_note": self.withdraw_note,
        }


# ---------------------------------------------------------------- the store
def _now(at: dt.datetime | None) -> dt.datetime:
    when = at or dt.datetime.now(TZ)
    return (when if when.tzinfo else when.replace(tzinfo=TZ)).astimezone(TZ).replace(microsecond=0)


def _decision(r: Any) -> Decision:
    date = lambda v: dt.date.fromisoformat(v) if v else None
    time = lambda v: dt.datetime.fromisoformat(v) if v else None
    return Decision(
        r.id,
        r.kind,
        r.task,
        r.unit,
        date(r.round),
        r.note,
        r.decided_by,
        dt.datetime.fromisoformat(r.decided_at),
        date(r.until),
        tuple(json.loads(r.files)) if r.files else (),
        r.withdrawn_by,
        time(r.withdrawn_at),
        r.withdraw_note,
    )


def add(
    store: Store,
    scope: Scope,
    kind: str,
    task: str,
    unit: str | None,
    note: str,
    *,
    round: dt.date | None = None,
    until: dt.date | None = None,
    files: Iterable[str] = (),
    by: str | None = None,
    at: dt.datetime | None = None,
) -> Decision:
    """Record a decision (names as the catalog writes them: see :func:`resolve`)."""
    if kind not in KINDS:
        raise DecisionError(f"未知的决定 '{kind}'：只能是 {'、'.join(f'{k}（{v}）' for k, v in KIND_LABELS.items())}")
    note = (note or "").strip()
    if not note:
        raise DecisionError("请写明理由（--note）：每个决定都记入督办记录，并显示在报告和工作台中")
    if (kind == "extend") != (until is not None):
        raise DecisionError(
            "延期须写明新的截止日期（--until 2021-06-25）" if kind == "extend" else "只有延期才写 --until"
        )
    by = (by or "").strip() or current_user()
    when = _now(at)
    paths = list(dict.fromkeys(files))
    with store.begin() as conn:
        res = conn.execute(
            decisions.insert()
            .values(
                **scope.values(),
                kind=kind,
                task=task,
                unit=unit,
                round=round.isoformat() if round else None,
                until=until.isoformat() if until else None,
                files=json.dumps(paths, ensure_ascii=False) if paths else None,
                note=note,
                decided_by=by,
                decided_at=when.isoformat(),
            )
            .returning(decisions.c.id)
        )
        new_id = int(res.scalar_one())
    return Decision(new_id, kind, task, unit, round, note, by, when, until, tuple(paths))


def withdraw(
    store: Store, scope: Scope, decision_id: int, note: str, *, by: str | None = None, at: dt.datetime | None = None
) -> Decision:
    """Withdraw a decision, once; the row stays (the history is the record)."""
    note = (note or "").strip()
    if not note:
        raise DecisionError("请写明撤销理由（--note）")
    by = (by or "").strip() or current_user()
    when = _now(at)
    t = decisions
    with store.begin() as conn:
        done = conn.execute(
            sa.update(t)
            .where(scope.where(t), t.c.id == decision_id, t.c.withdrawn_at.is_(None))
            .values(withdrawn_by=by, withdrawn_at=when.isoformat(), withdraw_note=note)
        ).rowcount
    found = get(store, scope, decision_id)
    if found is None:
        raise DecisionError(f"没有编号为 {decision_id} 的决定：用 duban decide list 查看全部决定及其编号")
    if not done:
        raise DecisionError(
            f"决定 {decision_id} 已于 {found.withdrawn_at:%Y-%m-%d %H:%M} 由 {found.withdrawn_by} 撤销，无需再撤销"
        )
    return found


def get(store: Store, scope: Scope, decision_id: int) -> Decision | None:
    t = decisions
    with store.read() as conn:
        row = conn.execute(sa.select(t).where(scope.where(t), t.c.id == decision_id)).first()
    return _decision(row) if row else None


def history(
    store: Store, scope: Scope, *, unit: str | None = None, task: str | None = None, kind: str | None = None
) -> list[Decision]:
    """Every decision, withdrawn ones too, oldest first (a decision for every unit shows under each)."""
    t = decisions
    q = sa.select(t).where(scope.where(t))
    if unit is not None:
        q = q.where(sa.or_(t.c.unit == unit, t.c.unit.is_(None)))
    if task is not None:
        q = q.where(t.c.task == task)
    if kind is not None:
        q = q.where(t.c.kind == kind)
    with store.read() as conn:
        return [_decision(r) for r in conn.execute(q.order_by(t.c.id))]


def standing(store: Store, scope: Scope, as_of: dt.datetime) -> list[Decision]:
    """The decisions in force at ``as_of``: made by then and not withdrawn by then."""
    return [d for d in history(store, scope) if d.in_force(as_of)]


def from_confirmation(c: Confirmation) -> Decision:
    """A confirmation of a platform-judged item (``duban confirm``) read as the accept it is."""
    return Decision(
        None, "accept", c.task, c.unit, None, c.note, c.confirmed_by, dt.datetime.fromisoformat(c.confirmed_at)
    )


# ---------------------------------------------------------------- checking a request against the catalog
def resolve(
    catalog: Any, kind: str, task: str, unit: str | None, round: dt.date | None = None, until: dt.date | None = None
) -> tuple[str, str | None, dt.date | None]:
    """(task id, unit name, round) as the catalog writes them, or a DecisionError saying what is wrong."""
    try:
        rt = catalog.task(task)
        name = catalog.unit(unit).name if unit else None
    except KeyError as e:
        raise DecisionError(str(e.args[0])) from None
    if name is not None and name not in rt.leads:
        raise DecisionError(f"{name} 不是任务 {rt.id} 的责任单位（责任单位：{'、'.join(rt.leads) or '未指定'}）")
    rounds = rt.task.rounds
    if round is not None and round not in rounds:
        listed = "、".join(d.isoformat() for d in rounds) or "无（该任务没有截止日期）"
        raise DecisionError(f"{round.isoformat()} 不是任务 {rt.id} 的轮次截止日期；可选：{listed}")
    if kind in ("reject", "extend") and not rounds:
        why = {"done": "已完成", "ongoing": "长期工作"}.get(rt.task.deadline.kind, "未写时限")
        raise DecisionError(f"任务 {rt.id} 没有截止日期（{why}），不能{KIND_LABELS[kind]}")
    if kind == "extend" and until is not None:
        first = round or rounds[0]
        if until <= first:
            raise DecisionError(f"延期后的截止日期 {until.isoformat()} 应晚于原截止日期 {first.isoformat()}")
    return rt.id, name, round


# ---------------------------------------------------------------- applying decisions (pure)
DueAt = Callable[[dt.date], dt.datetime]


def apply(
    obligations: Iterable[Obligation],
    standing_decisions: Iterable[Decision],
    as_of: dt.datetime,
    *,
    due_at: DueAt,
    submitted: Mapping[str, dt.datetime] | None = None,
) -> list[Obligation]:
    """The rules' obligations with the standing decisions applied (new objects; the input is untouched).

    ``due_at`` turns a due date into the moment it closes (``catalog.due_at``);
    ``submitted`` maps each evidence path (relative to the evidence root, as in
    ``Obligation.files``) to its submission time — what ``gather`` computes — so that a
    rejection lapses when a newer file arrives and an accepted or extended obligation is
    judged by when its files came in. Paths it does not know count as submitted at the
    decision time.

    Per obligation the latest ``extend`` moves the due date, then the latest of
    ``accept`` / ``reject`` / ``waive`` decides the status. Applying the same decisions
    twice gives the same obligations.
    """
    submitted = submitted or {}
    mine: list[Decision] = sorted((d for d in standing_decisions if d.in_force(as_of)), key=lambda d: (d.at, d.id or 0))
    out = []
    for o in obligations:
        covering = [d for d in mine if d.covers(o)]
        if not covering:
            out.append(o)
            continue
        o = replace(o, problems=list(o.problems), files=list(o.files))
        extend = [d for d in covering if d.kind == "extend"]
        verdict = [d for d in covering if d.kind in VERDICTS]
        if extend:
            _extend(o, extend[-1], as_of, due_at, submitted)
        if verdict:
            _VERDICT[verdict[-1].kind](o, verdict[-1], as_of, due_at, submitted)
        out.append(o)
    return out


def _say(o: Obligation, line: str) -> None:
    """Put the decision first in the problems, once."""
    if line in o.problems:
        o.problems.remove(line)
    o.problems.insert(0, line)


def _latest_file(o: Obligation, submitted: Mapping[str, dt.datetime], default: dt.datetime) -> dt.datetime | None:
    times = [submitted.get(f, default) for f in o.files]
    return max(times) if times else None


LATE_MARK = "晚于截止时间"  # the rules' sentence for a late round (rules._unit_obligations)


def _extend(o: Obligation, d: Decision, as_of, due_at: DueAt, submitted) -> None:
    if o.due is None or d.until is None:
        return
    o.due = d.until
    _say(o, d.line)
    closes = due_at(d.until)
    if o.status in ("missing", "partial") and as_of <= closes:
        o.status = "pending"
    elif o.status == "pending" and as_of > closes:
        o.status = "partial" if o.files else "missing"
    elif o.status == "late":
        last = _latest_file(o, submitted, d.at)
        if last is not None and last <= closes:
            o.status = "ok"
            o.problems = [p for p in o.problems if LATE_MARK not in p]


def _accept(o: Obligation, d: Decision, as_of, due_at: DueAt, submitted) -> None:
    _say(o, d.line)
    if o.status == "confirm" or o.due is None:  # the platform judged it: confirming late is no fault of the unit
        o.status = "ok"
        return
    came_in = _latest_file(o, submitted, d.at) or d.at  # the accepted evidence, else the decision itself
    o.status = "ok" if came_in <= due_at(o.due) else "late"


def _reject(o: Obligation, d: Decision, as_of, due_at: DueAt, submitted) -> None:
    newer = [f for f in o.files if d.at < submitted.get(f, d.at) <= as_of]
    if newer:  # the unit handed in something after the rejection: the rules judge again
        _say(o, f"{d.line}；此后已收到新材料，按规则重新判定")
        return
    _say(o, f"{d.line}，请按要求重新报送")
    o.status = "partial" if o.due is None or as_of > due_at(o.due) else "pending"


def _waive(o: Obligation, d: Decision, as_of, due_at: DueAt, submitted) -> None:
    _say(o, d.line)
    o.status = "waived"


_VERDICT = {"accept": _accept, "reject": _reject, "waive": _waive}


def extensions(standing_decisions: Iterable[Decision]) -> dict[tuple[str, str | None, dt.date | None], dt.date]:
    """(task, unit, round or None) -> the new due date: what the rules need to judge an extended round themselves."""
    out: dict[tuple[str, str | None, dt.date | None], dt.date] = {}
    for d in sorted(standing_decisions, key=lambda d: (d.at, d.id or 0)):
        if d.kind == "extend" and d.until is not None:
            out[(d.task, d.unit, d.round)] = d.until
    return out


@dataclass
class Overrides:
    """What one obligation's decisions were, for pages that list them beside the obligation."""

    standing: list[Decision] = field(default_factory=list)
    withdrawn: list[Decision] = field(default_factory=list)


def for_obligation(all_decisions: Iterable[Decision], o: Obligation, as_of: dt.datetime) -> Overrides:
    out = Overrides()
    for d in all_decisions:
        if d.covers(o):
            (out.standing if d.in_force(as_of) else out.withdrawn).append(d)
    return out
