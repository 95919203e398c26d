"""What the Excel and HTML reports both show: the report's heading and every table's rows
and columns, with Chinese labels. One place, so the two formats cannot drift apart.

Each table is a list of :class:`Column` — header, how to get the value from a row, its kind
(text, int, pct, score, date, status, lines), its size on the page and its colour rule. The
Excel writer and the HTML template both iterate the same list: same headers, same order, same
colours. Outside text (file names, problems, addresses, server replies) goes through
:func:`~.escape.visible` here, once, for both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from duban.escape import visible
from duban.results import CheckResult, FileIssue, Obligation
from duban.statuses import KIND_LABELS, RECORD_STATUS_LABELS, SKIP_LABELS, STATUS_LABELS
from duban.timeutil import TZ

from .scoring import ReportSettings, TaskRow

UNASSIGNED_UNIT = "（未指定）"
NONE = "—"


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
        return [visible(p) for p in parts if p]

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
        visible(result.evidence_root),
    )


# ---------------------------------------------------------------- columns
NUMERIC = ("int", "pct", "score")


@dataclass(frozen=True)
class Column:
    """One column of a report table, for both the workbook and the page.

    ``kind``: ``text`` · ``int`` · ``pct`` (a fraction, shown 66.7%) · ``score`` (one decimal) ·
    ``date`` · ``status`` (an obligation status, shown by its label and coloured by
    ``status_colours``) · ``lines`` (several texts, one per line).
    ``size``: ``short`` (one line) · ``title`` (a task title: wraps) · ``long`` (problems, paths,
    lists: wraps, wide). Numbers are always short.
    ``tone``: the colour (a ``colours`` name in the report settings) of a row's cell, or None.
    """

    header: str
    get: Callable[[Any], Any]
    kind: str = "text"
    size: str = "short"
    tone: Callable[[Any, ReportSettings], str | None] | None = None

    def value(self, row: Any) -> Any:
        """The typed value: a number, a date, a text or a tuple of texts (outside text made visible)."""
        v = self.get(row)
        if self.kind == "status":
            return STATUS_LABELS.get(v, visible(v))
        if self.kind == "lines":
            return tuple(visible(x) for x in v or ())
        if self.kind in (*NUMERIC, "date") or v is None:
            return v
        return visible(v)

    def text(self, row: Any) -> str:
        """The value as people read it: 66.7%, 63.3, 2021-06-20, — for nothing."""
        v = self.value(row)
        if v is None or v == ():
            return NONE if self.kind in (*NUMERIC, "date") else ""
        if self.kind == "pct":
            return f"{v * 100:.1f}%"
        if self.kind == "score":
            return f"{v:.1f}"
        if self.kind == "date":
            return v.isoformat()
        if self.kind == "lines":
            return "\n".join(v)
        return str(v)

    def colour(self, row: Any, settings: ReportSettings) -> str | None:
        if self.tone is not None:
            return self.tone(row, settings)
        if self.kind == "status":
            return settings.status_colours.get(self.get(row))
        return None

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC

    @property
    def css(self) -> str:
        """The HTML class of its cells: n (a number), nowrap, title or long."""
        if self.numeric:
            return "n"
        return {"short": "nowrap", "title": "title", "long": "long"}[self.size]


def _light(row: Any, settings: ReportSettings) -> str | None:
    return row.light


def _tally(header: str, bucket: str) -> Column:
    return Column(header, lambda r: r.tally.n[bucket], "int")


TALLY_COLUMNS = [
    _tally("按时完成", "ok"),
    _tally("逾期完成", "late"),
    _tally("材料不足", "partial"),
    _tally("未报送", "missing"),
    _tally("未到期", "not_due"),
    _tally("待确认", "confirm"),
    _tally("无法读取", "unreadable"),
    _tally("免报", "waived"),
]

# 总览: one row per unit (scoring.UnitRow)
UNIT_COLUMNS: list[Column] = [
    Column("单位", lambda r: r.unit),
    Column("类别", lambda r: r.group),
    Column("应报", lambda r: r.tally.owed, "int"),
    *TALLY_COLUMNS,
    Column("完成率", lambda r: r.completion, "pct", tone=_light),
    Column("得分", lambda r: r.score, "score"),
    Column("排名", lambda r: r.rank, "int"),
]


def _others(t: TaskRow) -> str:
    return "、".join(f"{STATUS_LABELS.get(s, s)} {n}" for s, n in t.others.items())


def _open_units(t: TaskRow) -> str:
    return "、".join(f"{u}（{STATUS_LABELS.get(s, s)}）" for u, s in t.open_units)


# 任务: one row per task and round (scoring.TaskRow)
TASK_COLUMNS: list[Column] = [
    Column("编号", lambda t: t.task),
    Column("任务", lambda t: t.title, size="title"),
    Column("截止", lambda t: t.deadline_text),
    Column("责任单位数", lambda t: t.units, "int"),
    Column("应报单位数", lambda t: t.tally.owed, "int"),
    Column("已完成单位数", lambda t: t.tally.completed, "int"),
    Column("完成率", lambda t: t.completion, "pct", tone=_light),
    *TALLY_COLUMNS,
    Column("其他状态", _others),
    Column("未完成单位", _open_units, size="long"),
]


@dataclass(frozen=True)
class DetailRow:
    task: str
    title: str
    unit: str
    round: dt.date | None
    due: dt.date | None
    status: str
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
                tuple(o.problems),
                tuple(o.files),
            )
        )
    return out


# 明细: one row per obligation
DETAIL_COLUMNS: list[Column] = [
    Column("任务编号", lambda d: d.task),
    Column("任务", lambda d: d.title, size="title"),
    Column("单位", lambda d: d.unit),
    Column("轮次", lambda d: d.round, "date"),
    Column("截止日期", lambda d: d.due, "date"),
    Column("状态", lambda d: d.status, "status"),
    Column("问题", lambda d: d.problems, "lines", "long"),
    Column("文件", lambda d: d.files, "lines", "long"),
]

# 需督办事项: what is short or missing, by unit (the page's to-do list)
TODO_COLUMNS: list[Column] = [
    Column("单位", lambda d: d.unit),
    Column("任务", lambda d: f"{d.task} {d.title}", size="title"),
    Column("截止日期", lambda d: d.due, "date"),
    Column("状态", lambda d: d.status, "status"),
    Column("问题", lambda d: d.problems, "lines", "long"),
]


@dataclass(frozen=True)
class FileRow:
    path: str
    reason: str


def file_rows(issues: list[FileIssue]) -> list[FileRow]:
    return [FileRow(f.path, f.reason) for f in issues]


# 未识别文件 / 被拒文件
FILE_COLUMNS: list[Column] = [
    Column("路径", lambda f: f.path, size="long"),
    Column("原因", lambda f: f.reason, size="long"),
]


def _texts(v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, (list, tuple, set)):
        return tuple(str(x) for x in v)
    return (str(v),)


@dataclass(frozen=True)
class ReminderRow:
    """One message of the run's reminders (a ``ReminderRecord.to_dict()``), as the report shows it."""

    unit: str
    kind: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    status: str  # sent | queued | failed | duplicate | dry-run | skipped
    error: str
    reason: str = ""  # why not sent: 休息日不发送 / 未到提醒日 / 未登记邮箱 (skipped only)
    items: int = 0

    @property
    def sent(self) -> bool:
        return self.status == "sent"

    @property
    def status_text(self) -> str:
        """已发送 · 发送失败 ·… and for a message not sent, why: 休息日不发送 / 未到提醒日."""
        if self.status == "skipped":
            return self.reason or RECORD_STATUS_LABELS["skipped"]
        return RECORD_STATUS_LABELS.get(self.status, self.status)

    @property
    def subject_text(self) -> str:
        if self.subject:
            return self.subject
        return f"（未生成邮件，{self.items} 项待报）" if self.items else "（未生成邮件）"

    @property
    def tone(self) -> str | None:
        """Red only for a real failure; yellow for what still needs a hand (queued, no address)."""
        if self.status == "failed":
            return "red"
        return "yellow" if self.status == "queued" or self.reason == SKIP_LABELS["no_email"] else None


def sent_count(rows: list[ReminderRow]) -> int:
    return sum(1 for r in rows if r.sent)


def reminder_rows(reminders: list[dict] | None) -> list[ReminderRow]:
    return [
        ReminderRow(
            "、".join(_texts(r.get("unit"))),
            str(r.get("kind") or ""),
            _texts(r.get("to")),
            _texts(r.get("cc")),
            str(r.get("subject") or ""),
            str(r.get("status") or ""),
            str(r.get("error") or ""),
            str(r.get("reason") or ""),
            int(r.get("items") or 0),
        )
        for r in reminders or []
    ]


# 提醒: the messages of the run that made the report
REMINDER_COLUMNS: list[Column] = [
    Column("单位", lambda r: r.unit),
    Column("类型", lambda r: KIND_LABELS.get(r.kind, r.kind)),
    Column("收件人", lambda r: r.to, "lines", "long"),
    Column("抄送", lambda r: r.cc, "lines", "long"),
    Column("主题", lambda r: r.subject_text, size="long"),
    Column("状态", lambda r: r.status_text, tone=lambda r, s: r.tone),
    Column("说明", lambda r: r.error, size="long"),
]


def _decision_state(d: Any, as_of: dt.datetime) -> str:
    if d.withdrawn_at is not None and d.withdrawn_at <= as_of:
        return f"已撤销（{d.withdrawn_by}，{fmt_time(d.withdrawn_at)}：{d.withdraw_note or ''}）"
    return "有效"


# 决定: the coordinator's decisions made by the report's as-of time (duban.check.decisions.Decision)
def decision_columns(as_of: dt.datetime) -> list[Column]:
    return [
        Column("编号", lambda d: d.id, "int"),
        Column("决定", lambda d: d.what),
        Column("任务", lambda d: d.task),
        Column("单位", lambda d: d.unit or "全部责任单位"),
        Column("轮次", lambda d: d.round, "date"),
        Column("理由", lambda d: d.note, size="long"),
        Column("决定人", lambda d: d.by),
        Column("时间", lambda d: fmt_time(d.at)),
        Column("状态", lambda d: _decision_state(d, as_of), size="long"),
    ]


# 说明 (the workbook's last sheet): what the report is and how it scores
NOTE_COLUMNS: list[Column] = [
    Column("项目", lambda n: n[0]),
    Column("内容", lambda n: n[1], size="long"),
]


def note_rows(meta: ReportMeta, settings: ReportSettings) -> list[tuple[str, str]]:
    notes = [
        ("报告", meta.title),
        ("地区", meta.district),
        ("截至", fmt_time(meta.as_of)),
        ("生成时间", fmt_time(meta.generated_at)),
        ("说明", meta.label or ""),
        ("佐证根目录", meta.evidence_root),
    ]
    return notes + [(f"计分规则 {i}", line) for i, line in enumerate(settings.rule_lines(), 1)]
