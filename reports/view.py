"""What the Excel and HTML reports both show: the report's heading, the detail rows and the
reminder rows, with Chinese labels. One place, so the two formats cannot drift apart."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from duban.results import CheckResult, FileIssue, Obligation
from duban.statuses import KIND_LABELS, RECORD_STATUS_LABELS, STATUS_LABELS
from duban.timeutil import TZ

UNASSIGNED_UNIT = "（未指定）"


def fmt_time(t: dt.datetime | None) -> str:
    if t is None:
        return ""
    if t.tzinfo:
        t = t.astimezone(TZ)
    return t.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class ReportMeta:
    campaign: str
    district: str
    round: dt.date | None
    as_of: dt.datetime
    generated_at: dt.datetime
    label: str | None
    evidence_root: str

    @property
    def round_title(self) -> str:
        return f"{self.round.isoformat()} 轮次报告" if self.round else "临时核查报告"

    @property
    def title(self) -> str:
        return f"{self.campaign} · {self.round_title}"

    @property
    def subtitle_parts(self) -> list[str]:
        parts = [self.district, f"截至 {fmt_time(self.as_of)}", f"生成于 {fmt_time(self.generated_at)}", self.label]
        return [p for p in parts if p]

    @property
    def subtitle(self) -> str:
        return "　".join(self.subtitle_parts)


def meta_for(catalog, result: CheckResult, round_date, run_time, label) -> ReportMeta:
    camp = getattr(catalog, "campaign", None)
    return ReportMeta(
        camp.name if camp else "督办",
        camp.district if camp else "",
        round_date,
        result.as_of,
        run_time,
        label,
        result.evidence_root,
    )


@dataclass(frozen=True)
class DetailRow:
    task: str
    title: str
    unit: str
    round: dt.date | None
    due: dt.date | None
    status: str
    label: str
    problems: tuple[str, ...]
    files: tuple[str, ...]


def detail_rows(catalog, obligations: list[Obligation], *, unit_first: bool = False) -> list[DetailRow]:
    """One row per obligation, in catalog order of task, round, unit (or unit, due date, task)."""
    tpos = {t: i for i, t in enumerate(getattr(catalog, "tasks", {}) or {})}
    upos = {u: i for i, u in enumerate(getattr(catalog, "units", {}) or {})}

    def task_key(o):
        return tpos.get(o.task, len(tpos)), o.task

    def unit_key(o):
        return o.unit is None, upos.get(o.unit, len(upos)), o.unit or ""

    def key(o):
        day = o.round or dt.date.min
        return (*unit_key(o), o.due or dt.date.min, *task_key(o)) if unit_first else (*task_key(o), day, *unit_key(o))

    out = []
    for o in sorted(obligations, key=key):
        rt = catalog.tasks.get(o.task) if catalog is not None else None
        out.append(
            DetailRow(
                o.task,
                rt.task.title if rt else "",
                o.unit or UNASSIGNED_UNIT,
                o.round,
                o.due,
                o.status,
                STATUS_LABELS.get(o.status, o.status),
                tuple(o.problems),
                tuple(o.files),
            )
        )
    return out


def file_rows(issues: list[FileIssue]) -> list[tuple[str, str]]:
    return [(f.path, f.reason) for f in issues]


def _join(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple, set)):
        return "; ".join(str(x) for x in v)
    return str(v)


@dataclass(frozen=True)
class ReminderRow:
    unit: str
    kind: str
    to: str
    cc: str
    subject: str
    status: str
    error: str
    ok: bool
    sent: bool = False


def sent_count(rows: list[ReminderRow]) -> int:
    return sum(1 for r in rows if r.sent)


def reminder_rows(reminders: list[dict] | None) -> list[ReminderRow]:
    out = []
    for r in reminders or []:
        kind, status = str(r.get("kind") or ""), str(r.get("status") or "")
        out.append(
            ReminderRow(
                _join(r.get("unit")),
                KIND_LABELS.get(kind, kind),
                _join(r.get("to")),
                _join(r.get("cc")),
                _join(r.get("subject")),
                RECORD_STATUS_LABELS.get(status, status),
                _join(r.get("error")),
                not r.get("error") and status != "failed",
                status == "sent",
            )
        )
    return out
