"""The ``sweep`` flow: every working morning of the campaign, the reminders that fall due today.

Units do not wait for a due date to learn what they owe. Every day at 09:00 (Asia/Shanghai)
this flow wakes up and:

1. **skips** the day when it is not a working day of the Chinese calendar (weekends and
   public holidays; make-up working days count — ``notifications.workdays``, backed by
   ``chinesecalendar``) or when it lies outside the campaign (``campaign.yaml``: start to
   end — from before the first round, so the first round's before-due reminders go out, to
   after the last, so its overdue reminders do too);
2. **gathers** and **checks** the shared folder as of now;
3. **reminds**: the before-due reminders (by default 3 and 1 working days before a due
   date), the overdue reminders (every working day until met, the coordinator copied after
   two), and the coordinator's digest — each at most once, whatever else ran today.

No report is stored: the round flow stores one per due date and ``recheck`` on demand. The
guard holds here too: a missing, unreadable or emptied root mails no unit and alerts the
coordinator once.
"""

from __future__ import annotations

import datetime as dt

from prefect import flow

from duban.flows.common import (
    RunSummary,
    calendar_warnings,
    publish,
    resolve_catalog,
    resolve_evidence,
    resolve_home,
    run_phases,
    scheduled_now,
)
from duban.notifications.workdays import holiday_name, is_workday
from duban.tasks_catalog import Catalog
from duban.tasks_catalog.window import campaign_window
from duban.timeutil import TZ, parse_as_of

SWEEP_TIME = dt.time(9, 0)


def rest_reason(day: dt.date) -> str:
    name = holiday_name(day)
    return f"法定节假日（{name}）" if name else ("周末" if day.weekday() >= 5 else "休息日")


def skip_reason(catalog: Catalog, day: dt.date) -> str | None:
    start, end = campaign_window(catalog)
    if not start <= day <= end:
        return f"{day.isoformat()} 不在督办期内（{start.isoformat()} 至 {end.isoformat()}），不发提醒"
    if not is_workday(day):
        return f"{day.isoformat()} 是{rest_reason(day)}，不发提醒"
    return None


@flow(name="sweep", persist_result=False, log_prints=False)
def sweep_flow(
    day: dt.date | None = None,
    as_of: dt.datetime | None = None,
    evidence_root: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    home: str | None = None,
) -> RunSummary:
    """Send the day's before-due and overdue reminders (working days of the campaign only).

    Args:
        day: 提醒日期。不填：今天（定时运行时为计划日期）。
        as_of: 按哪个时间检查（北京时间）。不填：今天为现在；补跑以前的日期时为该日 09:00。
        evidence_root: 共享文件夹（佐证材料根目录）。不填：环境变量 DUBAN_EVIDENCE 或 settings.yaml 的 evidence_root。
        dry_run: 演练：生成提醒但不发送、不记入发送记录。
        force: 证据目录文件数骤减时仍然发送提醒（人工核实后使用）。
        home: 数据目录（库、发件箱、报告）。不填：环境变量 DUBAN_HOME 或 ./var。
    """
    home_ = resolve_home(home)
    catalog = resolve_catalog(home_)
    now = scheduled_now()
    if day is None:
        day = parse_as_of(as_of).date() if as_of is not None else now.date()
    if as_of is not None:
        when = parse_as_of(as_of)
    elif day == now.date():
        when = now
    else:
        when = dt.datetime.combine(day, SWEEP_TIME, tzinfo=TZ)
    title = f"每日提醒（{day.month}月{day.day}日）"
    summary = RunSummary("sweep", "completed", "", day=day, as_of=when)
    summary.warnings += calendar_warnings(catalog, day)

    why = skip_reason(catalog, day)
    if why:
        summary.state, summary.message = "skipped", why
        publish(summary, title, "sweep")
        return summary.state_object()

    root = resolve_evidence(evidence_root, home_)
    summary.evidence_root, summary.outbox = root, str(home_.outbox)
    return run_phases(
        summary, catalog, home_, title=title, key="sweep", notify=True, report=False, dry_run=dry_run, force=force
    )
