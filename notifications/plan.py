"""Who gets which reminder today, and what it lists: the policy applied to a check result.

Pure functions of (catalog, check result, day, policy): no store, no mail. The output is
plain dicts that the templates render (templates run in a sandbox and never see the
catalog's objects).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from duban.evidence.layout import folder_for
from duban.results import CheckResult, Obligation
from duban.statuses import OPEN_STATUSES, STATUS_LABELS
from duban.tasks_catalog import Catalog
from duban.tasks_catalog.views import item_text, round_name

from . import workdays
from .outcome import NO_EMAIL, NOT_TODAY, REST_DAY, skip_reason
from .policy import Policy


@dataclass
class UnitPlan:
    unit: str
    full_name: str
    kind: str | None  # upcoming | overdue | escalation; None: nothing goes out today
    items: list[dict[str, Any]]  # listed open items, soonest due first
    to: list[tuple[str, str]]  # (display name, address)
    cc: list[tuple[str, str]]
    skip_reason: str | None = None
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def sends(self) -> bool:
        return self.kind is not None and self.skip_reason is None


def coordinator_addresses(catalog: Catalog) -> list[tuple[str, str]]:
    """campaign.coordinator_emails, else the coordinator unit's own emails."""
    camp = catalog.campaign
    emails = list(camp.coordinator_emails) or list(catalog.unit(camp.coordinator).emails)
    return [(camp.coordinator, e) for e in emails]


def show_folder(evidence_root: str, rel: PurePosixPath) -> str:
    """The upload folder under the evidence root, in the root's own separator style."""
    root = str(evidence_root or "")
    sep = "\\" if "\\" in root and "/" not in root.replace("\\\\", "") else "/"
    parts = list(rel.parts)
    return (root.rstrip("/\\") + sep + sep.join(parts)) if root else "/".join(parts)


def _requirements(rt, catalog: Catalog) -> tuple[list[str], list[dict[str, Any]]]:
    needs, templates, seen = [], [], set()
    for ev in rt.task.evidence:
        needs.append(item_text(ev, catalog, with_template=False))  # every constraint the checker applies
        if ev.template and ev.template not in seen:
            seen.add(ev.template)
            tpl = catalog.templates.get(ev.template)
            templates.append(
                {
                    "id": ev.template,
                    "title": tpl.title if tpl else "",
                    "blank_in_folder": bool(tpl and tpl.kind in ("ledger", "figures")),
                }
            )
    return needs, templates


def item_context(o: Obligation, catalog: Catalog, evidence_root: str, today: dt.date) -> dict[str, Any]:
    rt = catalog.task(o.task)
    rounds = rt.task.rounds
    due = o.due or o.round
    round_no = rounds.index(o.round) + 1 if o.round in rounds and len(rounds) > 1 else None
    unit = o.unit or ""  # reminders are only ever planned for a unit's obligations
    try:
        rel = folder_for(rt, unit, o.round)
    except ValueError:  # a round date the catalog does not list: the task folder
        rel = folder_for(rt, unit, None)
    needs, templates = _requirements(rt, catalog)
    overdue_days = workdays.workdays_between(due, today) if due else 0
    overdue = bool(due and due < today)
    days_left = workdays.workdays_between(today, due) if due and not overdue else None
    if overdue:
        timing = f"已逾期 {overdue_days} 个工作日"
    elif due == today:
        timing = "今日截止"
    elif days_left == 0:
        timing = "今天是截止前最后一个工作日"
    elif days_left is not None:
        timing = f"距截止还有 {days_left} 个工作日"
    else:
        timing = ""
    return {
        "task": rt.id,
        "title": rt.task.title,
        "text": rt.task.text,
        "round_no": round_no,
        "round_label": round_name(round_no - 1) if round_no else None,
        "rounds_total": len(rounds),
        "due": due,
        "due_label": workdays.cn_date(due),
        "due_weekday_label": workdays.cn_date(due, weekday=True),
        "status": o.status,
        "status_label": STATUS_LABELS.get(o.status, o.status),
        "problems": list(o.problems),
        "files": len(o.files),
        "folder": show_folder(evidence_root, rel),
        "needs": needs,
        "templates": templates,
        "supports": list(rt.supports),
        "overdue": overdue,
        "overdue_days": overdue_days if overdue else 0,
        "days_left": days_left,  # working days after today up to the due date
        "timing": timing,  # 已逾期 2 个工作日 / 今日截止 / 距截止还有 3 个工作日
    }


def _sort_key(item: dict[str, Any]):
    return (item["due"] or dt.date.max, item["task"])


def plan_units(
    catalog: Catalog, result: CheckResult, today: dt.date, policy: Policy, *, units: list[str] | None = None
) -> tuple[list[UnitPlan], list[str]]:
    """One plan per unit that has open items to list today, then one per supporting unit whose
    shared tasks are on a lead's reminder today (kind ``support``); plus warnings (unknown units)."""
    wanted = {catalog.unit(u).name for u in units} if units else None
    plans: list[UnitPlan] = []
    warnings: list[str] = []
    order = {name: i for i, name in enumerate(catalog.units)}  # units.yaml order: departments, then streets
    for name, obligations in sorted(result.by_unit().items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])):
        unit = catalog.find_unit(name)
        if unit is None:
            warnings.append(f"检查结果中的单位 '{name}' 不在单位名录（units.yaml）中：未发送提醒")
            continue
        if wanted is not None and unit.name not in wanted:
            continue
        plan = _unit_plan(catalog, result, unit, obligations, today, policy)
        if plan is not None:
            plans.append(plan)
    # the 配合提醒 go first: a run records one delivery state per unit, and a unit that is both a
    # supporter and a lead must be shown in the digest with its own reminder's state
    return support_plans(catalog, plans, today) + plans, warnings


def _unit_plan(catalog: Catalog, result: CheckResult, unit, obligations, today: dt.date, policy: Policy):
    """What one unit is reminded of today: its open items within the reminder window, soonest
    due first — or None when it has none. The coordinator is copied on an escalation only when
    the policy says so (``escalation_copy: cc``); by default escalations go into the digest."""
    listed, triggered, escalated = [], False, False
    for o in obligations:
        if o.status not in OPEN_STATUSES:
            continue
        due = o.due or o.round
        if due is not None and due < today:
            days = workdays.workdays_between(due, today)
            triggered |= policy.overdue_today(days)
            escalated |= policy.escalated(days)
        elif due is not None and policy.in_window(due, today):
            triggered |= policy.upcoming_today(due, today)
        else:
            continue  # due further ahead than the reminder window
        listed.append(item_context(o, catalog, result.evidence_root, today))
    if not listed:
        return None
    listed.sort(key=_sort_key)
    n_overdue = sum(1 for i in listed if i["overdue"])
    kind = ("escalation" if escalated else "overdue") if n_overdue else "upcoming"
    to = [(unit.full_name, e) for e in unit.emails]
    cc = coordinator_addresses(catalog) if kind == "escalation" and policy.copies_coordinator else []
    cc = [(n, a) for n, a in cc if a not in {a for _, a in to}]
    skip = _skip_reason(today, policy, triggered, unit.name, to)
    plan = UnitPlan(unit.name, unit.full_name, kind, listed, to, cc, skip)
    plan.context = unit_context(catalog, plan, today, policy, result)
    return plan


def _skip_reason(today: dt.date, policy: Policy, triggered: bool, unit: str, to: list) -> str | None:
    """Why a unit with open items gets nothing today (None: it is reminded)."""
    if not workdays.is_workday(today):
        why = workdays.holiday_name(today)
        return skip_reason(
            REST_DAY,
            f"{workdays.cn_date(today, weekday=True)}是休息日{f'（{why}）' if why else ''}，各单位的提醒只在工作日发送",
        )
    if not triggered:
        return skip_reason(NOT_TODAY, f"今天不是该单位的提醒日（{policy.describe()}）")
    if not to:
        return skip_reason(NO_EMAIL, f"单位 {unit} 未登记邮箱，请在 units.yaml 中填写 emails")
    return None


def support_plans(catalog: Catalog, plans: list[UnitPlan], today: dt.date) -> list[UnitPlan]:
    """A supporting unit (配合) hears of a shared task when its lead is reminded of it: one short
    message per supporting unit and day, listing only the shared items on today's lead reminders
    (from every lead it supports) — never a copy of a lead's whole list."""
    shared: dict[str, list[dict[str, Any]]] = {}
    for p in plans:
        if not p.sends or p.kind == "support":
            continue
        for item in p.items:
            for s in item["supports"]:
                if s != p.unit:
                    shared.setdefault(s, []).append({**item, "lead": p.unit, "lead_full_name": p.full_name})
    order = {name: i for i, name in enumerate(catalog.units)}
    out = []
    for name in sorted(shared, key=lambda n: order.get(n, len(order))):
        unit = catalog.unit(name)
        items = sorted(shared[name], key=_sort_key)
        to = [(unit.full_name, e) for e in unit.emails]
        skip = None if to else skip_reason(NO_EMAIL, f"单位 {unit.name} 未登记邮箱，请在 units.yaml 中填写 emails")
        plan = UnitPlan(unit.name, unit.full_name, "support", items, to, [], skip)
        plan.context = support_context(catalog, plan, today)
        out.append(plan)
    return out


def _campaign(catalog: Catalog) -> dict[str, Any]:
    c = catalog.campaign
    return {
        "name": c.name,
        "district": c.district,
        "coordinator": c.coordinator,
        "coordinator_emails": [a for _, a in coordinator_addresses(catalog)],
    }


def unit_context(
    catalog: Catalog, plan: UnitPlan, today: dt.date, policy: Policy, result: CheckResult
) -> dict[str, Any]:
    items = plan.items
    overdue = [i for i in items if i["overdue"]]
    upcoming = [i for i in items if not i["overdue"]]
    dated = [i["due"] for i in items if i["due"]]
    return {
        "kind": plan.kind,
        "unit": {"name": plan.unit, "full_name": plan.full_name},
        "today": today,
        "today_label": workdays.cn_date(today, weekday=True),
        "items": items,
        "overdue_items": overdue,
        "upcoming_items": upcoming,
        "n_items": len(items),
        "n_overdue": len(overdue),
        "nearest_due_label": workdays.cn_date(min(dated)) if dated else "未定",
        "next_due_label": workdays.cn_date(min(i["due"] for i in upcoming if i["due"]))
        if any(i["due"] for i in upcoming)
        else None,
        "max_overdue_days": max((i["overdue_days"] for i in overdue), default=0),
        "escalated": plan.kind == "escalation",
        "escalate_after": policy.escalate_after,
        "coordinator_copied": bool(plan.cc),  # escalation_copy: cc — else it is in the coordinator's digest
        "cc_units": [],  # supporting units get their own message (support), never a copy of this list
        "evidence_root": result.evidence_root,
        "campaign": _campaign(catalog),
    }


def support_context(catalog: Catalog, plan: UnitPlan, today: dt.date) -> dict[str, Any]:
    dated = [i["due"] for i in plan.items if i["due"]]
    return {
        "kind": "support",
        "unit": {"name": plan.unit, "full_name": plan.full_name},
        "today": today,
        "today_label": workdays.cn_date(today, weekday=True),
        "items": plan.items,
        "n_items": len(plan.items),
        "leads": list(dict.fromkeys(i["lead"] for i in plan.items)),
        "nearest_due_label": workdays.cn_date(min(dated)) if dated else "未定",
        "campaign": _campaign(catalog),
    }


# ---------------------------------------------------------------- the coordinator's digest
def digest_context(
    catalog: Catalog,
    result: CheckResult,
    today: dt.date,
    plans: list[UnitPlan],
    policy: Policy,
    *,
    statuses: dict[str, str],
    day_counts: dict[str, int],
    failures: list[dict[str, Any]],
    warnings: list[str],
    decided: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """What the coordinator's digest shows. ``decided``: the coordinator's decisions of the day
    (``Decision.to_json()``), listed so the office sees what was overridden and by whom."""
    from duban.statuses import KIND_LABELS, RECORD_STATUS_LABELS

    counts = result.counts()
    by_unit: dict[str, dict[str, Any]] = {}
    for o in result.obligations:
        if not o.unit or o.status not in OPEN_STATUSES:
            continue
        due = o.due or o.round
        u = by_unit.setdefault(o.unit, {"unit": o.unit, "open": 0, "overdue": 0, "max_days": 0, "nearest": None})
        u["open"] += 1
        if due and due < today:
            u["overdue"] += 1
            u["max_days"] = max(u["max_days"], workdays.workdays_between(due, today))
        if due and (u["nearest"] is None or due < u["nearest"]):
            u["nearest"] = due
    for u in by_unit.values():
        u["nearest_label"] = workdays.cn_date(u["nearest"])
    overdue_units = sorted((u for u in by_unit.values() if u["overdue"]), key=lambda u: (-u["max_days"], u["unit"]))
    unassigned_ids = sorted(
        {o.task for o in result.obligations if o.status == "unassigned"}
        | {t.id for t in catalog.tasks.values() if t.unassigned}
    )
    confirm = sorted(
        (o for o in result.obligations if o.status == "confirm"),
        key=lambda o: (o.due or dt.date.max, o.task, o.unit or ""),
    )
    escalations = escalation_groups(catalog, result, today, policy)
    return {
        "today": today,
        "today_label": workdays.cn_date(today, weekday=True),
        "as_of_label": result.as_of.strftime("%Y-%m-%d %H:%M"),
        "escalations": escalations,
        "n_escalated_items": sum(len(g["entries"]) for g in escalations),
        "escalate_after": policy.escalate_after,
        "coordinator_copied": policy.copies_coordinator,
        "evidence_root": result.evidence_root,
        "campaign": _campaign(catalog),
        "counts": [{"status": s, "label": STATUS_LABELS[s], "n": n} for s, n in counts.items() if n],
        "total": len(result.obligations),
        "n_units_open": len(by_unit),
        "overdue_units": [{**u, "escalated": policy.escalated(u["max_days"])} for u in overdue_units],
        "reminders": [
            {
                "unit": p.unit,
                "kind": p.kind,
                "kind_label": KIND_LABELS.get(p.kind or "", "提醒"),
                "n_items": len(p.items),
                "status": statuses.get(p.unit, "skipped"),
                "status_label": RECORD_STATUS_LABELS.get(statuses.get(p.unit, "skipped"), ""),
                "skip_reason": p.skip_reason,
            }
            for p in plans
            if p.sends and p.kind != "support"
        ],
        "support_units": [p.unit for p in plans if p.sends and p.kind == "support"],
        "day_counts": day_counts,
        "unassigned": [
            {"task": tid, "title": catalog.task(tid).task.title, "text": catalog.task(tid).task.text}
            for tid in unassigned_ids
        ],
        "confirm": [
            {
                "task": o.task,
                "unit": o.unit or "",
                "title": catalog.task(o.task).task.title,
                "due_label": workdays.cn_date(o.due) if o.due else "长期",
            }
            for o in confirm
        ],
        "failures": failures,
        "no_email": sorted(p.unit for p in plans if not p.to and p.kind),
        "unrecognized": len(result.unrecognized),
        "rejected": len(result.rejected),
        "file_issues": [{"path": f.path, "reason": f.reason} for f in (result.rejected + result.unrecognized)[:10]],
        "decided": [
            {**d, "unit": d.get("unit") or "全部责任单位", "title": _title(catalog, d["task"])} for d in decided or []
        ],
        # a year the calendar does not know comes first: reminder days may be wrong until it is typed in
        "warnings": [w for w in [workdays.calendar_warning(catalog, today)] if w] + list(warnings),
    }


def _title(catalog: Catalog, task: str) -> str:
    rt = catalog.tasks.get(task)
    return rt.task.title if rt else ""


def escalation_groups(catalog: Catalog, result: CheckResult, today: dt.date, policy: Policy) -> list[dict[str, Any]]:
    """The escalated items (overdue by more than ``escalate_after`` working days), grouped by
    unit: the unit with the oldest item first, each unit's items oldest first."""
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for o in result.obligations:
        due = o.due or o.round
        if not o.unit or o.status not in OPEN_STATUSES or due is None or due >= today:
            continue
        days = workdays.workdays_between(due, today)
        if not policy.escalated(days):
            continue
        rt = catalog.task(o.task)
        rounds = rt.task.rounds
        by_unit.setdefault(o.unit, []).append(
            {
                "task": o.task,
                "title": rt.task.title,
                "round_label": round_name(rounds.index(o.round)) if o.round in rounds and len(rounds) > 1 else None,
                "due": due,
                "due_label": workdays.cn_date(due),
                "overdue_days": days,
                "status_label": STATUS_LABELS.get(o.status, o.status),
                "problems": list(o.problems),
            }
        )
    order = {name: i for i, name in enumerate(catalog.units)}
    groups = [
        {"unit": unit, "entries": sorted(items, key=_sort_key), "max_days": max(i["overdue_days"] for i in items)}
        for unit, items in by_unit.items()
    ]
    groups.sort(key=lambda g: (g["entries"][0]["due"], order.get(g["unit"], len(order)), g["unit"]))
    return groups
