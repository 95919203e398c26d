"""The state "now", as the desk shows it.

The newest stored full check of the district's campaign (``check_runs.result``), with the
obligations of newer partial re-checks (one unit, one task) laid over it, and the
decisions in force now applied (:func:`duban.check.decisions.apply`, with the files'
submission times read back from the store). Nothing here scans the share: the desk's
"立即重新检查" button runs a real check, which stores a new run.

The views below turn that into what each page lists; every text in them is plain data,
escaped by the page templates.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from duban.check import decisions
from duban.check.submissions import submission_times
from duban.evidence.store import RUN_LATER_COLUMNS, check_runs
from duban.notifications.sentlog import reminder_log
from duban.reports import Summary, load_settings, summarize
from duban.results import CheckResult, FileIssue, Obligation
from duban.statuses import KIND_LABELS, OPEN_STATUSES, RECORD_STATUS_LABELS, STATUS_LABELS
from duban.store import Scope, Store
from duban.tasks_catalog.views import cn_date, round_name
from duban.timeutil import TZ


@dataclass
class Now:
    """The state at ``at``: ``result`` has the decisions applied; None before the first check."""

    at: dt.datetime
    result: CheckResult | None
    run_id: int | None = None
    run_started: dt.datetime | None = None
    submitted: dict[str, dt.datetime] = field(default_factory=dict)
    history: list[decisions.Decision] = field(default_factory=list)  # every decision, withdrawn ones too
    summary: Summary | None = None
    settings: Any = None


def _runs(store: Store, scope: Scope) -> list[Any]:
    """The newest full run and the partial runs after it, oldest first."""
    t = check_runs
    store.ensure_columns(t, RUN_LATER_COLUMNS)
    cols = (t.c.id, t.c.started_at, t.c.units, t.c.tasks, t.c.result, t.c.rules_result)
    with store.read() as conn:
        full = conn.execute(
            sa.select(*cols)
            .where(scope.where(t), t.c.units.is_(None), t.c.tasks.is_(None))
            .order_by(t.c.id.desc())
            .limit(1)
        ).first()
        q = sa.select(*cols).where(scope.where(t))
        if full is not None:
            q = q.where(t.c.id > full.id)
        partial = conn.execute(q.order_by(t.c.id)).all()
    return ([full] if full is not None else []) + list(partial)


def _merge(runs: list[Any]) -> CheckResult | None:
    result: CheckResult | None = None
    for run in runs:
        r = CheckResult.from_json(json.loads(run.result))
        if run.rules_result:  # the rules' own verdicts: today's decisions are applied afresh (a withdrawal undoes)
            r.obligations = [Obligation.from_json(o) for o in json.loads(run.rules_result)]
        r.run_id = run.id
        if result is None or result.evidence_root != r.evidence_root:
            result = r
            continue
        fresh = {o.key for o in r.obligations}
        units = set(json.loads(run.units)) if run.units else None
        result.obligations = [o for o in result.obligations if o.key not in fresh] + r.obligations
        result.rejected = _overlay(result.rejected, r.rejected, units)
        result.unrecognized = _overlay(result.unrecognized, r.unrecognized, units)
        result.as_of, result.run_id = r.as_of, run.id
    return result


def _overlay(old: list[FileIssue], new: list[FileIssue], units: set[str] | None) -> list[FileIssue]:
    """A partial run's file issues replace those of the units it re-checked (a task-only run: by path)."""
    if units is None:
        seen = {f.path for f in new}
        return [f for f in old if f.path not in seen] + new
    return [f for f in old if f.path.split("/", 1)[0] not in units] + new


def load_now(catalog: Any, home: Any, store: Store, scope: Scope, *, at: dt.datetime | None = None) -> Now:
    at = at or dt.datetime.now(TZ).replace(microsecond=0)
    runs = _runs(store, scope)
    history = decisions.history(store, scope)
    settings = load_settings(home)
    raw = _merge(runs)
    if raw is None:
        return Now(at, None, history=history, settings=settings)
    submitted = submission_times(store, scope, raw.evidence_root)
    raw.obligations = decisions.apply(
        raw.obligations, [d for d in history if d.in_force(at)], at, due_at=catalog.due_at, submitted=submitted
    )
    started = dt.datetime.fromisoformat(runs[-1].started_at)
    return Now(at, raw, raw.run_id, started, submitted, history, summarize(catalog, raw, settings), settings)


# ---------------------------------------------------------------- views
def round_label(catalog: Any, o: Obligation) -> str:
    if o.round is None:
        return "长期" if o.status == "ongoing" else "—"
    rounds = catalog.task(o.task).task.rounds
    i = rounds.index(o.round) if o.round in rounds else None
    name = f"{round_name(i)}，" if i is not None and len(rounds) > 1 else ""
    due = o.due or o.round
    moved = f"（原 {cn_date(o.round)}）" if due != o.round else ""
    return f"{name}{cn_date(due)}前{moved}"


def _under(unit: str, issues: list[FileIssue]) -> list[FileIssue]:
    return [f for f in issues if f.path.split("/", 1)[0] == unit or f.path.startswith(unit + "/")]


def obligation_view(catalog: Any, now: Now, o: Obligation) -> dict[str, Any]:
    rt = catalog.task(o.task)
    over = decisions.for_obligation(now.history, o, now.at)
    return {
        "task": o.task,
        "title": rt.task.title,
        "text": rt.task.text,
        "unit": o.unit,
        "round": o.round.isoformat() if o.round else "",
        "round_label": round_label(catalog, o),
        "due": o.due,
        "status": o.status,
        "status_label": STATUS_LABELS.get(o.status, o.status),
        "open": o.status in OPEN_STATUSES,
        "problems": list(o.problems),
        "files": [
            {
                "path": f,
                "name": f.rsplit("/", 1)[-1],
                "at": f"{now.submitted[f]:%m-%d %H:%M}" if f in now.submitted else "",
            }
            for f in o.files
        ],
        "dated": bool(rt.task.rounds),
        "decisions": over.standing,
        "withdrawn": over.withdrawn,
    }


def _sort_key(o: Obligation) -> tuple:
    return (o.status not in OPEN_STATUSES, o.due or dt.date.max, o.task)


def unit_view(catalog: Any, now: Now, store: Store, scope: Scope, unit: str) -> dict[str, Any]:
    """Everything one unit's page lists."""
    result = now.result
    mine = sorted((o for o in result.obligations if o.unit == unit), key=_sort_key) if result else []
    counts: dict[str, int] = {}
    for o in mine:
        counts[o.status] = counts.get(o.status, 0) + 1
    row = next((r for r in now.summary.units if r.unit == unit), None) if now.summary else None
    return {
        "unit": catalog.unit(unit),
        "obligations": [obligation_view(catalog, now, o) for o in mine],
        "counts": [(STATUS_LABELS[s], n, s) for s, n in sorted(counts.items(), key=lambda kv: _order(kv[0]))],
        "row": row,
        "bad_files": _under(unit, result.rejected) + _under(unit, result.unrecognized) if result else [],
        "reminders": reminders_for(store, scope, unit),
        "decisions": [
            d for d in now.history if d.unit == unit or (d.unit is None and unit in catalog.task(d.task).leads)
        ],
    }


def _order(status: str) -> int:
    return list(STATUS_LABELS).index(status) if status in STATUS_LABELS else 99


def reminders_for(store: Store, scope: Scope, unit: str, limit: int = 50) -> list[dict[str, Any]]:
    """The unit's messages in the sent-log, newest first."""
    t = reminder_log
    q = (
        sa.select(t.c.kind, t.c.day, t.c.subject, t.c.status, t.c.sent_at, t.c.created_at)
        .where(scope.where(t), t.c.unit == unit)
        .order_by(t.c.id.desc())
        .limit(limit)
    )
    with store.read() as conn:
        return [
            {
                "kind": KIND_LABELS.get(r.kind, r.kind),
                "day": r.day,
                "subject": r.subject,
                "status": RECORD_STATUS_LABELS.get(r.status, r.status),
                "at": (r.sent_at or r.created_at or "")[:16].replace("T", " "),
            }
            for r in conn.execute(q)
        ]


def task_view(catalog: Any, now: Now, task_id: str) -> dict[str, Any]:
    rt = catalog.task(task_id)
    result = now.result
    mine = [o for o in result.obligations if o.task == rt.id] if result else []
    upos = {u: i for i, u in enumerate(catalog.units)}
    rounds = []
    for row in [r for r in now.summary.tasks if r.task == rt.id] if now.summary else []:
        obs = sorted((o for o in mine if o.due == row.due), key=lambda o: upos.get(o.unit, 99))
        rounds.append({"row": row, "obligations": [obligation_view(catalog, now, o) for o in obs]})
    return {"rt": rt, "rounds": rounds}
