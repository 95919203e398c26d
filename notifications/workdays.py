"""Working days of the Chinese calendar: weekends, public holidays and make-up working days.

The answers come from ``duban.tasks_catalog.workcalendar``: the ``chinesecalendar`` package
(which follows the State Council's yearly holiday notice) for the years it knows, the
coordinator's ``calendar.yaml`` in the campaign folder for a year it does not know yet, and
weekends only — with a loud warning (:func:`calendar_warning`) — when neither has the year.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from duban.tasks_catalog import workcalendar
from duban.tasks_catalog.workcalendar import holiday_name, is_workday

__all__ = [
    "calendar_warning",
    "cn_date",
    "holiday_name",
    "is_makeup_workday",
    "is_workday",
    "next_workday",
    "workday_before",
    "workdays_between",
]


def calendar_warning(catalog: Any, today: dt.date | None = None) -> str | None:
    """The warning every run and the coordinator's digest show while a year of the campaign
    (or ``today``'s) has no known holiday arrangement; None when all is known."""
    years = {catalog.campaign.start.year, catalog.campaign.end.year, *(d.year for d in catalog.round_dates())}
    if today is not None:
        years.add(today.year)
    return workcalendar.warning_for_years(years)


def is_makeup_workday(day: dt.date) -> bool:
    """A Saturday or Sunday that is a working day (调休上班)."""
    return day.weekday() >= 5 and is_workday(day)


def workday_before(due: dt.date, n: int) -> dt.date:
    """The n-th working day strictly before ``due`` (n=0: ``due`` itself).

    3 working days before 2021-06-15 is 2021-06-09 (06-12..14 are weekend and the
    Dragon Boat Festival).
    """
    if n <= 0:
        return due
    day, left = due, n
    while left:
        day -= dt.timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days in the half-open interval (start, end]; 0 when end <= start.

    ``workdays_between(due, today)`` is how many working days an item is overdue.
    """
    if end <= start:
        return 0
    return sum(1 for i in range(1, (end - start).days + 1) if is_workday(start + dt.timedelta(days=i)))


def next_workday(day: dt.date) -> dt.date:
    """The first working day after ``day``."""
    day += dt.timedelta(days=1)
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


WEEKDAYS_CN = "一二三四五六日"


def cn_date(day: dt.date | None, *, weekday: bool = False) -> str:
    """2021-06-20 -> '6月20日' (with weekday: '6月20日（周日）')."""
    if day is None:
        return "未定"
    text = f"{day.month}月{day.day}日"
    return f"{text}（周{WEEKDAYS_CN[day.weekday()]}）" if weekday else text
