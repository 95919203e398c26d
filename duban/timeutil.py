"""Times are Asia/Shanghai. Parsing of --as-of values and round dates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def parse_as_of(value: str | dt.datetime | dt.date | None) -> dt.datetime:
    """``2021-06-20`` (end of that day), ``2021-06-20T18:00``, ``2021-06-20 18:00:00+08:00`` or now.

    A date alone means the end of that day (23:59:59), the moment a round closes.
    Naive times are Asia/Shanghai.
    """
    if value is None or value == "now":
        return dt.datetime.now(TZ).replace(microsecond=0)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=TZ)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(23, 59, 59), tzinfo=TZ)
    text = str(value).strip()
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(23, 59, 59), tzinfo=TZ)
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"无法识别的时间 '{value}'：请写成 2021-06-20 或 2021-06-20T18:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=TZ)


def local(ts: float | dt.datetime) -> dt.datetime:
    """A POSIX timestamp (file mtime) or aware datetime as Asia/Shanghai time."""
    if isinstance(ts, dt.datetime):
        return ts.astimezone(TZ)
    return dt.datetime.fromtimestamp(ts, TZ).replace(microsecond=0)


def iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
