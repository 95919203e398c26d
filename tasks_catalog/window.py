"""When a campaign is alive: the guards that keep runs in step with the calendar.

- :func:`campaign_window` — the days the daily sweep may remind (campaign.yaml start..end,
  stretched to cover every round);
- :func:`reminder_window` / :func:`outside_window` — the days a ``round`` run may send
  reminders: from the first round's date to the last round's close plus the policy's
  overdue window (working days). A "Quick run" of ``round`` long after the campaign judges
  "as of now" and would otherwise mail every unit that it is late;
- :func:`no_round_ahead` — the loud warning for ``duban serve``, ``catalog --check`` and
  ``schedule --check`` when every round date is in the past (the schedules will never fire).
"""

from __future__ import annotations

import datetime as dt

from duban.timeutil import TZ

from .loader import Catalog
from .workcalendar import is_workday


def campaign_window(catalog: Catalog) -> tuple[dt.date, dt.date]:
    camp = catalog.campaign
    rounds = catalog.round_dates()
    return min([camp.start, *rounds[:1]]), max([camp.end, *rounds[-1:]])


def workdays_after(day: dt.date, n: int) -> dt.date:
    """The n-th working day after ``day`` (``day`` itself for n <= 0)."""
    left = n
    while left > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def reminder_window(catalog: Catalog, overdue_workdays: int) -> tuple[dt.date, dt.date] | None:
    """(first round date, last day overdue reminders may go out); None without rounds."""
    rounds = catalog.round_dates()
    if not rounds:
        return None
    return rounds[0], workdays_after(rounds[-1], overdue_workdays)


def outside_window(catalog: Catalog, day: dt.date, overdue_workdays: int) -> str | None:
    """Why a round run's reminders for ``day`` must not go out (None when inside)."""
    window = reminder_window(catalog, overdue_workdays)
    if window is None:
        return f"任务清单“{catalog.campaign.name}”没有任何截止日期：round 不发送提醒"
    first, last = window
    if day < first:
        return f"{day.isoformat()} 早于第一个截止日 {first.isoformat()}：round 不发送提醒（截止前的提醒由每日的 sweep 发送）"
    if day > last:
        return (
            f"{day.isoformat()} 已过督办期：最后一个截止日 {catalog.round_dates()[-1].isoformat()} "
            f"之后 {overdue_workdays} 个工作日（至 {last.isoformat()}）内才催报"
        )
    return None


def rounds_ahead(catalog: Catalog, now: dt.datetime | None = None) -> list[dt.date]:
    """Round dates whose close is still to come."""
    now = now or dt.datetime.now(TZ)
    return [d for d in catalog.round_dates() if catalog.due_at(d) > now]


def no_round_ahead(catalog: Catalog, now: dt.datetime | None = None) -> str | None:
    """The warning when no round date is ahead (None when one is)."""
    now = now or dt.datetime.now(TZ)
    if rounds_ahead(catalog, now):
        return None
    rounds = catalog.round_dates()
    last = f"最后一个是 {rounds[-1].isoformat()}" if rounds else "清单中没有截止日期"
    year = now.year + (1 if now.month >= 7 else 0)
    return (
        f"任务清单“{catalog.campaign.name}”（{catalog.root}）中没有今后的截止日期（{last}）：定时检查和提醒都不会再运行。"
        f"开始新一期督办：duban campaign new 文件夹 --from 任务清单.docx；"
        f"沿用这份清单：duban campaign roll {catalog.root} --to-year {year} --into 新文件夹"
    )
