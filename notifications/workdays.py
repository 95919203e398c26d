"""Working days of the Chinese calendar: weekends, public holidays and make-up working days.

Every answer comes from the ``chinesecalendar`` package (``chinese_calendar``), which
follows the State Council's yearly holiday notice — no hand-made list here. For a year the
installed package does not cover yet, the weekend rule stands in and a warning names the
fix (``pip install -U chinesecalendar``).
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache

import chinese_calendar

log = logging.getLogger(__name__)
_WARNED: set[int] = set()


@lru_cache(maxsize=4096)
def is_workday(day: dt.date) -> bool:
    """True on a working day (make-up Saturdays and Sundays included)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _WARNED:
            _WARNED.add(day.year)
            log.warning(
                "chinesecalendar 没有 %s 年的节假日数据，暂按周一至周五计算工作日；"
                "请升级：pip install -U chinesecalendar",
                day.year,
            )
        return day.weekday() < 5


def holiday_name(day: dt.date) -> str | None:
    """'端午' etc. for a public holiday (the calendar's Chinese name), None otherwise."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    if not (on_holiday and name):
        return None
    for holiday in chinese_calendar.Holiday:
        if holiday.value == name:
            return getattr(holiday, "chinese", None) or name
    return name


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
