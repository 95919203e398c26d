"""What the three flows share: where things are, the phases as coarse Prefect tasks, and
the run summary (logs, markdown + table artifacts, what the CLI prints).

Each phase is one Prefect task around one library call — ``duban.check.gather`` /
``evaluate``, ``notifications.send_reminders`` / ``alert_coordinator``,
``reports.write_report`` — so the Prefect overhead is a few task runs per flow run, never
one per file or per obligation. Big arguments (the catalog, the gathered facts, the check
result) are passed ``quote``-d so Prefect does not walk them looking for futures.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote as _quote

from duban.home import Home
from duban.results import CheckResult
from duban.statuses import STATUS_LABELS, STATUSES
from duban.store import DISTRICT_ENV
from duban.tasks_catalog import Catalog
from duban.tasks_catalog.campaigns import load_campaign
from duban.timeutil import TZ, parse_as_of

if TYPE_CHECKING:
    from duban.check.run import Gathered
    from duban.notifications.outcome import ReminderRecord, RemindOutcome
    from duban.reports import ReportPaths

T = TypeVar("T")


def quote(value: T) -> T:
    """Prefect's ``quote`` (the task gets the object as it is; Prefect does not walk it looking
    for futures), typed as the value it wraps — which is what the task receives."""
    return cast(T, _quote(value))


CATALOG_ENV = "DUBAN_CATALOG"  # tasks_catalog.campaigns reads it
COORDINATORS_ENV = "DUBAN_COORDINATOR_EMAILS"  # a city district's coordinator (comma-separated)
SUMMARY_COLUMNS = ("ok", "late", "partial", "missing", "pending", "confirm")
RECEIPT_STATUS = {
    "sent": "已发送",
    "duplicate": "这组文件已发过",
    "skipped": "没有新文件",
    "queued": "排队待发",
    "failed": "发送失败",
}

__all__ = [
    "run_phases",
    "RunSummary",
    "resolve_home",
    "resolve_evidence",
    "resolve_catalog",
    "calendar_warnings",
    "scheduled_now",
    "quote",
    "gather_task",
    "check_task",
    "remind_task",
    "alert_task",
    "report_task",
    "receipt_task",
    "publish",
]


# ---------------------------------------------------------------- where things are
def resolve_home(home: str | None) -> Home:
    """The ``home`` parameter, else ``DUBAN_HOME``, else ``./var`` (see ``duban.home``)."""
    return Home.resolve(home)


def resolve_catalog(home: Home | None = None) -> Catalog:
    """``DUBAN_CATALOG``, else ``campaign:`` in the home's settings.yaml, else the shipped example;
    as one district of a city runs it (:func:`for_district`)."""
    return for_district(load_campaign(None, home))


def for_district(catalog: Catalog, district: str | None = None, coordinators: list[str] | None = None) -> Catalog:
    """The campaign as the district running it names itself: a city's deployment sets
    ``DUBAN_DISTRICT`` (reports and emails say 历城区, not the district the list was written
    for) and ``DUBAN_COORDINATOR_EMAILS`` (the district's own coordinator gets the digest and
    the alerts); ``district`` / ``coordinators`` given here win. Without any, the catalog is
    returned as it is."""
    import dataclasses

    district = district or os.environ.get(DISTRICT_ENV, "").strip()
    emails = coordinators or [e.strip() for e in os.environ.get(COORDINATORS_ENV, "").split(",") if e.strip()]
    update: dict[str, Any] = {}
    if district and district != catalog.campaign.district:
        update["district"] = district
    if emails:
        update["coordinator_emails"] = emails
    if not update:
        return catalog
    return dataclasses.replace(catalog, campaign=catalog.campaign.model_copy(update=update))


def calendar_warnings(catalog: Catalog, day: dt.date) -> list[str]:
    """The loud warning every run carries while a year it touches has no known holiday
    arrangement (weekends only meanwhile); [] when all is known."""
    from duban.notifications.workdays import calendar_warning

    warning = calendar_warning(catalog, day)
    if warning:
        get_run_logger().warning("%s", warning)
    return [warning] if warning else []


def resolve_evidence(evidence_root: str | None, home: Home) -> str:
    """The ``evidence_root`` parameter, else ``DUBAN_EVIDENCE``, else ``settings.yaml``."""
    return home.evidence_root(evidence_root)


def scheduled_now() -> dt.datetime:
    """When this run was meant to happen (a scheduled run started late keeps its date), Asia/Shanghai."""
    try:
        from prefect.runtime import flow_run

        when = flow_run.scheduled_start_time
        if when is not None:
            return dt.datetime.fromtimestamp(when.timestamp(), TZ).replace(microsecond=0)
    except Exception:  # noqa: S110 (outside a flow run: now)
        pass
    return dt.datetime.now(TZ).replace(microsecond=0)


def aware(value: dt.datetime | dt.date | str | None) -> dt.datetime | None:
    return None if value is None else parse_as_of(value)


# ---------------------------------------------------------------- the run summary
@dataclass
class RunSummary:
    flow: str  # round | recheck | sweep
    state: str  # completed | held | skipped
    message: str  # one line, Chinese
    day: dt.date | None = None  # the reminder day
    round_date: dt.date | None = None
    as_of: dt.datetime | None = None
    evidence_root: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    units: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    reminders: list[dict[str, Any]] = field(default_factory=list)
    reminder_line: str = ""
    guard: dict[str, Any] | None = None
    report: dict[str, str] | None = None
    outbox: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    result: CheckResult | None = field(default=None, repr=False)  # in-process callers only

    @property
    def held(self) -> bool:
        return self.state == "held"

    @property
    def sent(self) -> list[dict[str, Any]]:
        return [m for m in self.reminders if m.get("status") == "sent"]

    def to_dict(self) -> dict[str, Any]:
        iso = lambda v: v.isoformat() if v else None
        return {
            "flow": self.flow,
            "state": self.state,
            "message": self.message,
            "day": iso(self.day),
            "round": iso(self.round_date),
            "as_of": iso(self.as_of),
            "evidence_root": self.evidence_root,
            "counts": dict(self.counts),
            "reminders": list(self.reminders),
            "reminder_line": self.reminder_line,
            "guard": self.guard,
            "report": self.report,
            "outbox": self.outbox,
            "stats": dict(self.stats),
            "warnings": list(self.warnings),
        }

    def state_object(self):
        """The Prefect state the flow ends in: ``Completed``, or a completed state named
        ``Held`` (reminders held back by the guard), ``Skipped`` (nothing to do today) or
        ``MailFailed`` (reminders were due but none could be delivered: check the mail settings)."""
        from prefect.states import Completed

        name = {"held": "Held", "skipped": "Skipped", "mail-failed": "MailFailed"}.get(self.state)
        return (
            Completed(name=name, message=self.message, data=self)
            if name
            else Completed(message=self.message, data=self)
        )


def unit_rows(catalog: Catalog, result: CheckResult) -> list[tuple[str, dict[str, int]]]:
    return result.unit_counts(catalog.units, SUMMARY_COLUMNS)


def fill_from_result(summary: RunSummary, catalog: Catalog, result: CheckResult) -> None:
    summary.result = result
    summary.counts = {s: n for s, n in result.counts().items() if n}
    summary.units = unit_rows(catalog, result)
    summary.stats = dict(result.stats)
    summary.stats["unrecognized"] = len(result.unrecognized)
    summary.stats["rejected"] = len(result.rejected)


def fill_from_outcome(summary: RunSummary, outcome) -> None:
    summary.reminders = [m.to_dict() for m in outcome.messages]
    summary.reminder_line = outcome.summary()
    summary.guard = outcome.guard.to_dict() if outcome.guard else None
    summary.warnings += list(outcome.warnings)
    if outcome.failed and not outcome.sent and summary.state == "completed":
        summary.state = "mail-failed"


# ---------------------------------------------------------------- phases
@task(name="gather", cache_policy=NO_CACHE, persist_result=False)
def gather_task(catalog: Catalog, evidence_root: str, home: Home) -> Gathered:
    """Scan the shared folder and read new or changed files (cached in the store)."""
    from duban.check import gather

    logger = get_run_logger()
    gathered = gather(catalog, evidence_root, home)
    s = gathered.stats
    logger.info(
        "扫描 %s：%s 个文件，新读取 %s 个，未识别 %s 个（%.1f 秒）",
        evidence_root,
        s.get("files", 0),
        s.get("inspected", 0),
        s.get("unrecognized", 0),
        s.get("gather_seconds", 0),
    )
    return gathered


@task(name="check", cache_policy=NO_CACHE, persist_result=False)
def check_task(
    catalog: Catalog,
    gathered,
    as_of: dt.datetime,
    home: Home,
    units: list[str] | None = None,
    tasks: list[str] | None = None,
) -> CheckResult:
    """Apply the rules: one obligation per (task, unit, round), stored as a check run."""
    from contextlib import nullcontext

    from duban.check import evaluate
    from duban.check.memo import of_share

    logger = get_run_logger()
    # a whole check judges again only the tasks whose files changed since the last one
    with nullcontext() if units or tasks else of_share(home, catalog, gathered.root) as memo:
        result = evaluate(catalog, gathered, as_of, home, units=units, tasks=tasks, memo=memo)
    counts = "，".join(f"{STATUS_LABELS[s]} {n}" for s, n in result.counts().items() if n)
    logger.info("截至 %s：%s", f"{as_of:%Y-%m-%d %H:%M}", counts or "没有事项")
    if result.stats.get("reused_tasks"):
        logger.info("%s 项任务的材料与上次检查相同，沿用上次判定", result.stats["reused_tasks"])
    if result.rejected:
        logger.warning("%s 个文件被拒绝（损坏、加密、空文件或类型不符），见报告", len(result.rejected))
    return result


# SMTP is not transactional: a retry after a timeout could duplicate a message, so duban's
# sent-log stays the source of truth (a message already sent is never sent again) and these
# retries only cover an unexpected error of the run itself (a locked store, a full disk).
@task(name="remind", cache_policy=NO_CACHE, persist_result=False, retries=2, retry_delay_seconds=[10, 60])
def remind_task(
    catalog: Catalog,
    result: CheckResult,
    home: Home,
    day: dt.date,
    dry_run: bool = False,
    force: bool = False,
    units: list[str] | None = None,
) -> RemindOutcome:
    """Send today's reminders (guarded, idempotent) and the coordinator's digest."""
    from duban.notifications import send_reminders

    logger = get_run_logger()
    outcome = send_reminders(catalog, result, home, today=day, dry_run=dry_run, force=force, units=units)
    if outcome.held and outcome.guard is not None:
        logger.warning("证据目录保护：未向任何单位发送提醒，已告警协调单位。%s", outcome.guard.reason)
    logger.info("提醒（%s）：%s", day.isoformat(), outcome.summary())
    for m in outcome.messages:
        if m.status in ("sent", "queued", "failed", "dry-run"):
            logger.info("  %s %s → %s：%s", m.kind, m.unit, ", ".join(m.to + m.cc), m.status)
    return outcome


@task(name="alert", cache_policy=NO_CACHE, persist_result=False, retries=2, retry_delay_seconds=[10, 60])
def alert_task(catalog: Catalog, home: Home, reason: str, day: dt.date, title: str) -> RemindOutcome:
    """One alert to the coordinator (idempotent per day and reason)."""
    from duban.notifications import alert_coordinator

    outcome = alert_coordinator(catalog, home, reason=reason, today=day, title=title)
    get_run_logger().warning("已告警协调单位：%s（%s）", title, outcome.summary())
    return outcome


@task(name="report", cache_policy=NO_CACHE, persist_result=False)
def report_task(
    catalog: Catalog,
    result: CheckResult,
    home: Home,
    round_date: dt.date | None,
    reminders: list[dict[str, Any]],
    label: str,
) -> ReportPaths:
    """Store the report (Excel + HTML + JSON) under the data directory and refresh the index."""
    from duban.reports import write_report

    paths = write_report(catalog, result, home, round_date=round_date, reminders=reminders, label=label)
    get_run_logger().info("报告已保存：%s", paths.html)
    return paths


def unit_files(catalog: Catalog, gathered: Gathered, unit: str) -> dict[str, str]:
    """The unit's files as they are now, for its receipt: every file under its folders (path ->
    content hash) and the ones that could not be placed (path -> "")."""
    files = {g.rel: g.sha for g in gathered.files if g.unit == unit}
    for rel, _why in gathered.unrecognized:
        found = catalog.find_unit(rel.split("/", 1)[0])
        if found is not None and found.name == unit:
            files.setdefault(rel, "")
    return files


@task(name="receipt", cache_policy=NO_CACHE, persist_result=False)
def receipt_task(
    catalog: Catalog, gathered: Gathered, result: CheckResult, home: Home, units: list[str], day: dt.date
) -> list[ReminderRecord]:
    """One receipt per unit for the files it has now (never twice for the same set of files),
    with the unit's personal desk link when the desk can rebuild it."""
    from duban import access
    from duban.notifications.receipt import send_receipt
    from duban.store import Store, scope_of

    logger = get_run_logger()
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    base_url = access.desk_settings(home)["base_url"]
    records: list[ReminderRecord] = []
    for unit in units:
        link = access.unit_link(store, scope, unit, base_url)
        rec = send_receipt(catalog, result, home, unit, files=unit_files(catalog, gathered, unit), link=link, today=day)
        logger.info("收件回执 %s：%s%s", unit, rec.status, f"（{rec.error}）" if rec.error else "")
        records.append(rec)
    return records


def root_problem(evidence_root: str):
    """None when the root can be scanned, else the guard's verdict (missing / unreadable)."""
    from duban.evidence.scanner import root_problem as problem_of
    from duban.notifications.guard import evaluate as evaluate_guard

    if problem_of(evidence_root) is None:
        return None
    return evaluate_guard(Path(evidence_root), None, None)


def hold_for_root(
    summary: RunSummary, catalog: Catalog, home: Home, verdict, *, notify: bool, dry_run: bool, force: bool = False
) -> RunSummary:
    """The evidence root is missing or unreadable: nothing can be checked, no unit is
    reminded, the coordinator gets one alert (unless reminders are off)."""
    logger = get_run_logger()
    logger.warning("证据目录不可用，本次不检查、不提醒：%s", verdict.reason)
    summary.state = "held"
    summary.guard = verdict.to_dict()
    if force:
        summary.warnings.append("--force 不能代替证据目录：目录不存在或无法读取时无法检查")
    if notify and not dry_run:
        day = summary.day or dt.datetime.now(TZ).date()
        outcome = alert_task(quote(catalog), home, verdict.reason, day, "证据目录异常，今日未向各单位发送提醒")
        fill_from_outcome(summary, outcome)
        done = "已告警协调单位"
    elif notify:
        summary.reminder_line = "演练：将告警协调单位（未实际发送）"
        done = "演练，未告警"
    else:
        done = "未发送任何邮件"
    summary.message = f"证据目录不可用，未检查、未向任何单位发送提醒（{done}）：{verdict.reason}"
    return summary


# ---------------------------------------------------------------- the phases, in order
def run_phases(
    summary: RunSummary,
    catalog: Catalog,
    home: Home,
    *,
    title: str,
    key: str,
    notify: bool,
    report: bool,
    dry_run: bool = False,
    force: bool = False,
    units: list[str] | None = None,
    tasks: list[str] | None = None,
    receipts: bool = False,
):
    """What every flow does once it knows when and where: stop at an unusable share (one
    alert, no unit mailed), gather, check, remind, send the named units their receipts
    (``receipts``: after an upload), store the report, say it in one line, publish the
    artifacts. Returns the Prefect state the flow ends in."""
    root = summary.evidence_root or ""
    verdict = root_problem(root)
    if verdict is not None:
        hold_for_root(summary, catalog, home, verdict, notify=notify, dry_run=dry_run, force=force)
        publish(summary, title, key)
        return summary.state_object()

    as_of, day = summary.as_of, summary.day
    assert as_of is not None and day is not None, "a flow sets when and which day before the phases"
    gathered = gather_task(quote(catalog), root, home)
    result = check_task(quote(catalog), quote(gathered), as_of, home, units=units, tasks=tasks)
    fill_from_result(summary, catalog, result)
    if notify:
        # a reminder lists everything a unit owes: never remind from a task-scoped result (it would
        # mail part of the list and drop the unit's queued full reminder)
        full = result if not tasks else check_task(quote(catalog), quote(gathered), as_of, home, units=units)
        outcome = remind_task(quote(catalog), quote(full), home, day, dry_run=dry_run, force=force, units=units)
        fill_from_outcome(summary, outcome)
    if receipts and units:
        if dry_run:
            summary.warnings.append("演练：未发送收件回执")
        else:
            sent = receipt_task(quote(catalog), quote(gathered), quote(result), home, units, day)
            summary.reminders += [r.to_dict() for r in sent]
            line = "收件回执：" + "，".join(f"{r.unit} {RECEIPT_STATUS.get(r.status, r.status)}" for r in sent)
            summary.reminder_line = "；".join(x for x in (summary.reminder_line, line) if x)
    if report:
        paths = report_task(quote(catalog), quote(result), home, summary.round_date, quote(summary.reminders), title)
        summary.report = {
            "folder": str(paths.folder),
            "xlsx": str(paths.xlsx),
            "html": str(paths.html),
            "json": str(paths.json),
        }
        open_n = sum(summary.counts.get(s, 0) for s in ("missing", "partial"))
        summary.message = f"{title}：{len(result.obligations)} 项，未完成（未报送或材料不足）{open_n} 项" + (
            f"；{summary.reminder_line}" if summary.reminder_line else "；未发送提醒"
        )
    else:
        summary.message = f"{title}：{summary.reminder_line or '未发送提醒'}"
    if summary.guard and not summary.guard.get("ok", True):
        summary.state = "held"
        summary.message = (
            f"{title}：证据目录保护生效，未向各单位发送提醒，已告警协调单位。{summary.guard.get('reason', '')}"
        )
    publish(summary, title, key)
    return summary.state_object()


# ---------------------------------------------------------------- artifacts
def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(summary: RunSummary, title: str) -> str:
    lines = [f"# {title}", "", f"**{_md_escape(summary.message)}**", ""]
    if summary.as_of:
        lines.append(f"- 截至：{summary.as_of:%Y-%m-%d %H:%M}（北京时间）")
    if summary.evidence_root:
        lines.append(f"- 证据目录：`{summary.evidence_root}`")
    if summary.stats:
        s = summary.stats
        lines.append(
            f"- 扫描 {s.get('files', 0)} 个文件，新读取 {s.get('inspected', 0)} 个，"
            f"未识别 {s.get('unrecognized', 0)} 个，被拒绝 {s.get('rejected', 0)} 个"
        )
    lines.append("")
    if summary.counts:
        lines += ["| 状态 | 数量 |", "|---|---:|"]
        lines += [f"| {STATUS_LABELS[s]} | {summary.counts[s]} |" for s in STATUSES if summary.counts.get(s)]
        lines.append("")
    if summary.reminder_line:
        lines += [f"**提醒**：{_md_escape(summary.reminder_line)}", ""]
    sent = [m for m in summary.reminders if m.get("status") in ("sent", "queued", "failed", "dry-run")]
    if sent:
        lines += ["| 单位 | 类型 | 收件人 | 结果 |", "|---|---|---|---|"]
        lines += [
            f"| {_md_escape(m['unit'])} | {m['kind']} | {_md_escape(', '.join(m['to'] + m['cc']))} | {m['status']} |"
            for m in sent
        ]
        lines.append("")
    if summary.report:
        lines += [f"**报告**：`{summary.report['html']}`（Excel：`{summary.report['xlsx']}`）", ""]
    if summary.outbox and summary.sent:
        lines += [f"**邮件**（发件箱）：`{summary.outbox}`", ""]
    if summary.warnings:
        lines += ["**注意**：", ""] + [f"- {_md_escape(w)}" for w in summary.warnings] + [""]
    return "\n".join(lines)


def artifact_key(*parts: str) -> str:
    import re

    key = "-".join(p for p in parts if p)
    return re.sub(r"[^a-z0-9-]+", "-", key.lower()).strip("-") or "duban"


def publish(summary: RunSummary, title: str, key: str) -> None:
    """Log the outcome and attach a markdown summary and a per-unit table to the flow run."""
    logger = get_run_logger()
    (logger.warning if summary.state == "held" else logger.info)(summary.message)
    create_markdown_artifact(markdown(summary, title), key=artifact_key(key), description=summary.message[:200])
    if summary.units:
        reminded: dict[str, str] = {}
        for m in summary.reminders:
            if m.get("status") in ("sent", "queued", "dry-run") and m.get("kind") != "digest":
                reminded.setdefault(m["unit"], m["kind"])
        rows = [
            {"单位": unit, **{STATUS_LABELS[s]: c[s] for s in SUMMARY_COLUMNS}, "提醒": reminded.get(unit, "")}
            for unit, c in summary.units
        ]
        create_table_artifact(rows, key=artifact_key(key, "units"), description=f"{title}：各单位状态")
