"""Times are Asia/Shanghai. Parsing of --as-of values and round dates.

One rule for a date typed without a time, in every command and flow: it means the end
of that day (23:59:59), the moment a round closes — whether it is written ``2021-06-20``,
``20210620``, ``2021/6/20``, ``2021.6.20`` or ``2021年6月20日``.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
END_OF_DAY = dt.time(23, 59, 59)
_DAY = re.compile(r"^(\d{4})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{2})(\d{2}))$")
DATE_HINT = "请写成 2021-06-20（当天 24 时）或 2021-06-20T18:00"


def parse_day(value: str) -> dt.date | None:
    """A date written without a time (``2021-06-20``, ``20210620``, ``2021/6/20``,
    ``2021年6月20日``), or None when ``value`` is not one (it may still be a date and time)."""
    m = _DAY.match(value.strip())
    if not m:
        return None
    year, month, day = int(m[1]), int(m[2] or m[4]), int(m[3] or m[5])
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"'{value}' 不是有效的日期：{DATE_HINT}") from None


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=TZ)


def parse_as_of(value: str | dt.datetime | dt.date | None) -> dt.datetime:
    """``2021-06-20`` (end of that day), ``2021-06-20T18:00``, ``2021-06-20 18:00:00+08:00`` or now.

    A date alone, however written, means the end of that day (23:59:59), the moment a round
    closes. Naive times are Asia/Shanghai.
    """
    if value is None or value == "now":
        return dt.datetime.now(TZ).replace(microsecond=0)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=TZ)
    if isinstance(value, dt.date):
        return end_of_day(value)
    text = str(value).strip()
    day = parse_day(text)
    if day is not None:
        return end_of_day(day)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"无法识别的时间 '{value}'：{DATE_HINT}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=TZ)


def local(ts: float | dt.datetime) -> dt.datetime:
    """A POSIX timestamp (file mtime) or aware datetime as Asia/Shanghai time."""
    if isinstance(ts, dt.datetime):
        return ts.astimezone(TZ)
    return dt.datetime.fromtimestamp(ts, TZ).replace(microsecond=0)


def iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
