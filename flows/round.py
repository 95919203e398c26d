"""The ``round`` flow: the evening of each due date, check everything, remind, store the report.

The district's task list has eight due dates between 4 and 25 June 2021. On the evening of
each one, this flow runs by itself (``prefect.yaml`` schedules it from the catalog):

1. **gather** — scan the shared folder ``<root>/<unit>/<task>/<round>/``, read the files
   that are new or changed since the last scan (everything else comes from the store);
2. **check** — judge every (task, unit, round) as the round closes: ``ok``, ``late``,
   ``partial`` (with by how much), ``missing``, ``pending`` ...;
3. **remind** — one email per unit that still owes something today, per the reminder
   policy (working days only, never the same reminder twice), and the coordinator's digest;
4. **report** — the round report (Excel, HTML, JSON) under ``<home>/reports/<round>/``.

A dropped network share must not email 35 units that they are late: when the evidence
root is missing or unreadable the flow stops before the check, alerts the coordinator once,
and ends in a completed state named ``Held``; when the root holds far fewer files than last
time, the check and the report still run but no unit is reminded (``Held`` again).
``force=True`` sends anyway after a human look.

A run whose reminder day lies outside the campaign — before the first round, or after the
last round's close plus the policy's ``overdue_window`` (working days) — checks and stores
the report but mails nobody unless ``force`` is set, and says so in its state message: a
"Quick run" in the UI long after the campaign judges "as of now" and would otherwise tell
every unit that it is late.

Run it from the command line with ``duban run-round 2021-06-20`` (``--dry-run`` to see the
emails without sending), or press Run on the ``round`` deployment in the Prefect UI.
"""

from __future__ import annotations

import datetime as dt
import time

from prefect import flow

from duban.flows.common import (
    RunSummary,
    calendar_warnings,
    resolve_catalog,
    resolve_evidence,
    resolve_home,
    run_phases,
    scheduled_now,
)
from duban.tasks_catalog import Catalog
from duban.tasks_catalog.window import outside_window
from duban.timeutil import parse_as_of


def round_close(catalog: Catalog, round_date: dt.date) -> dt.datetime:
    """The first instant after the round's due time (due dates are inclusive to 23:59:59):
    judged at this instant, anything not handed in is ``missing`` and counts in the report."""
    return catalog.due_at(round_date) + dt.timedelta(seconds=1)


def resolve_round(
    catalog: Catalog, round_date: dt.date | None, as_of: dt.datetime | str | None, now: dt.datetime | None = None
) -> tuple[dt.date | None, dt.datetime, dt.date]:
    """(round date, as-of time, reminder day) for the flow's parameters.

    - ``round_date`` alone: judged as the round closes; reminders are those of that day.
    - ``as_of`` alone: the latest round due on or before that day; reminders of that day.
    - both: as given. Neither (a scheduled run): the round due today, judged as it closes;
      on a day with no round, the latest round, judged now.
    """
    rounds = catalog.round_dates()
    if as_of is not None:
        when = parse_as_of(as_of)
        day = when.date()
        if round_date is None:
            before = [d for d in rounds if d <= day]
            round_date = before[-1] if before else None
        return round_date, when, day
    if round_date is not None:
        return round_date, round_close(catalog, round_date), round_date
    now = now or scheduled_now()
    today = now.date()
    if today in rounds:
        return today, round_close(catalog, today), today
    before = [d for d in rounds if d <= today]
    return (before[-1] if before else None), now, today


CLOSE_WAIT = dt.timedelta(minutes=5)


def wait_for_close(when: dt.datetime, now: dt.datetime | None = None, sleep=time.sleep) -> dt.datetime:
    """Never judge a round before it has closed. The schedule fires at 23:58 on the due date:
    wait the last minutes and judge at the close. Run by hand earlier in the day, judge as of
    now (items not handed in yet are then ``pending``, not ``missing``)."""
    now = now or dt.datetime.now(when.tzinfo)
    if when <= now:
        return when
    if when - now <= CLOSE_WAIT:
        sleep((when - now).total_seconds())
        return when
    return now.replace(microsecond=0)


def round_label(catalog: Catalog, round_date: dt.date | None) -> str:
    if round_date is None:
        return "轮次检查"
    rounds = catalog.round_dates()
    return (
        f"第 {rounds.index(round_date) + 1} 个截止日（{round_date.month}月{round_date.day}日）检查"
        if round_date in rounds
        else f"{round_date.isoformat()} 检查"
    )


@flow(name="round", persist_result=False, log_prints=False)
def round_flow(
    round_date: dt.date | None = None,
    as_of: dt.datetime | None = None,
    evidence_root: str | None = None,
    notify: bool = True,
    dry_run: bool = False,
    force: bool = False,
    home: str | None = None,
) -> RunSummary:
    """Check every unit's evidence at a due date, send the reminders, store the round report.

    Args:
        round_date: 轮次截止日期（如 2021-06-20）。不填：定时运行时取当天的截止日期。
        as_of: 按哪个时间检查（北京时间）。不填：按该轮截止时刻（当天 24 时）检查。
        evidence_root: 共享文件夹（佐证材料根目录）。不填：环境变量 DUBAN_EVIDENCE 或 settings.yaml 的 evidence_root。
        notify: 是否发送提醒邮件（各单位提醒、协调单位日报和告警）。
        dry_run: 演练：生成提醒但不发送、不记入发送记录。
        force: 人工核实后仍然发送提醒：证据目录文件数骤减时，或运行日期不在督办期内时。
        home: 数据目录（库、发件箱、报告）。不填：环境变量 DUBAN_HOME 或 ./var。
    """
    home_ = resolve_home(home)
    catalog = resolve_catalog(home_)
    rnd, when, day = resolve_round(catalog, round_date, as_of)
    if as_of is None:
        when = wait_for_close(when)
    root = resolve_evidence(evidence_root, home_)
    title = round_label(catalog, rnd)
    key = f"round-{rnd.isoformat()}" if rnd else "round"
    summary = RunSummary(
        "round", "completed", "", day=day, round_date=rnd, as_of=when, evidence_root=root, outbox=str(home_.outbox)
    )
    summary.warnings += calendar_warnings(catalog, day)
    outside = window_guard(catalog, home_, day) if notify and not force else None
    if outside:
        summary.warnings.append(outside)

    state = run_phases(
        summary,
        catalog,
        home_,
        title=title,
        key=key,
        notify=notify and not outside,
        report=True,
        dry_run=dry_run,
        force=force,
    )
    if outside and summary.state == "completed":
        summary.state = "held"
        summary.message = f"{outside}。{summary.message}"
        return summary.state_object()
    return state


def window_guard(catalog: Catalog, home, day: dt.date) -> str | None:
    """Why this run must not remind anyone (its day is outside the campaign), else None."""
    from duban.notifications.policy import load_policy

    why = outside_window(catalog, day, load_policy(home).overdue_window)
    return f"{why}：未向任何单位发送提醒（核实后确需发送，用 force=True 重新运行）" if why else None
