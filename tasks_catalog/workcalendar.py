"""Working days of the Chinese calendar, for every year a campaign may touch.

Three sources, in this order, for each year:

1. the ``chinesecalendar`` package (``chinese_calendar``), which follows the State Council's
   yearly holiday notice — for the years it knows (1.11: 2004-2026);
2. the coordinator's own ``calendar.yaml`` in the campaign folder, typed from the notice
   for a year the package does not know yet (the notice comes each November, the package
   weeks later). ``duban campaign calendar 2027`` writes a template (:func:`template_text`):
   the weekends go without saying, the statutory festival days are filled in from the
   lunar calendar, and the bridging days and make-up working days are left to confirm;
3. otherwise weekends only — and :func:`warning` says so, loudly, in every run and in the
   coordinator's digest: a festival would be treated as a working day.

The calendars read from campaign folders are kept per year in this process
(:func:`register`): holiday arrangements are national, the same for every campaign.
``notifications.workdays`` and the roll-forward (``roll``) ask :func:`is_workday` and
:func:`holiday_name`; nothing else here is stateful.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chinese_calendar

log = logging.getLogger(__name__)

CALENDAR_FILE = "calendar.yaml"
WEEKDAYS_CN = "一二三四五六日"


@dataclass(frozen=True)
class YearCalendar:
    """One year's days off and make-up working days, as the coordinator typed them."""

    year: int
    holidays: dict[dt.date, str] = field(default_factory=dict)  # day off -> festival name
    workdays: frozenset[dt.date] = frozenset()  # Saturdays / Sundays worked (调休上班)
    confirmed: bool = False  # checked against the State Council's notice
    source: str = ""  # the calendar.yaml it came from

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


_REGISTRY: dict[int, YearCalendar] = {}
_CACHE: dict[dt.date, bool] = {}
_WARNED: set[int] = set()


# ---------------------------------------------------------------- what is known
def package_knows(year: int) -> bool:
    """True when the installed chinesecalendar has this year's holiday arrangement."""
    try:
        chinese_calendar.is_workday(dt.date(year, 7, 1))
    except NotImplementedError:
        return False
    return True


def first_unknown_year() -> int:
    """The first year after today's that the installed package does not know."""
    year = dt.date.today().year
    while package_knows(year):
        year += 1
    return year


def source_of(year: int) -> str:
    """'package', 'file' (a confirmed calendar.yaml), 'unconfirmed' (a calendar.yaml not yet
    checked against the notice) or 'weekends' (nothing: weekends only)."""
    if package_knows(year):
        return "package"
    cal = _REGISTRY.get(year)
    if cal is None:
        return "weekends"
    return "file" if cal.confirmed else "unconfirmed"


def register(calendars: dict[int, YearCalendar]) -> None:
    """Use these years' calendars from now on (a campaign folder's calendar.yaml)."""
    changed = False
    for year, cal in calendars.items():
        if _REGISTRY.get(year) != cal:
            _REGISTRY[year] = cal
            changed = True
    if changed:
        _CACHE.clear()


def forget(years: list[int] | None = None) -> None:
    """Drop registered calendars (tests; a campaign switched in a long-lived process)."""
    for year in list(_REGISTRY) if years is None else years:
        _REGISTRY.pop(year, None)
    if years is None:
        _WARNED.clear()
    else:
        _WARNED.difference_update(years)
    _CACHE.clear()


# ---------------------------------------------------------------- questions
def is_workday(day: dt.date) -> bool:
    """True on a working day (make-up Saturdays and Sundays included)."""
    hit = _CACHE.get(day)
    if hit is not None:
        return hit
    try:
        answer = bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        cal = _REGISTRY.get(day.year)
        if cal is not None:
            answer = cal.is_workday(day)
        else:
            if day.year not in _WARNED:
                _WARNED.add(day.year)
                log.warning("%s", warning_for_years([day.year]))
            answer = day.weekday() < 5
    _CACHE[day] = answer
    return answer


def holiday_name(day: dt.date) -> str | None:
    """'端午' etc. for a public holiday (the calendar's Chinese name), None otherwise."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        cal = _REGISTRY.get(day.year)
        return cal.holidays.get(day) if cal else None
    if not (on_holiday and name):
        return None
    for holiday in chinese_calendar.Holiday:
        if holiday.value == name:
            return getattr(holiday, "chinese", None) or name
    return name


def day_label(day: dt.date) -> str:
    """'6月20日（周六）', or '6月19日（端午）' on a holiday that falls on a weekday."""
    name = holiday_name(day)
    if name and day.weekday() < 5:
        return f"{day.month}月{day.day}日（{name}）"
    what = f"周{WEEKDAYS_CN[day.weekday()]}" + (f"，{name}假期" if name else "")
    return f"{day.month}月{day.day}日（{what}）"


def previous_workday(day: dt.date) -> tuple[dt.date, list[dt.date]]:
    """``day`` itself when it is a working day, else the working day before it, with the
    rest days passed over (latest first)."""
    skipped: list[dt.date] = []
    while not is_workday(day):
        skipped.append(day)
        day -= dt.timedelta(days=1)
    return day, skipped


# ---------------------------------------------------------------- warnings
def warning_for_years(years: list[int] | set[int]) -> str | None:
    """The loud warning for the years among ``years`` whose days off are not known for sure
    (None when every year is known): what duban does meanwhile and how to fix it."""
    weekends = sorted(y for y in set(years) if source_of(y) == "weekends")
    unconfirmed = sorted(y for y in set(years) if source_of(y) == "unconfirmed")
    parts = []
    if weekends:
        ys = "、".join(str(y) for y in weekends)
        parts.append(
            f"工作日历缺少 {ys} 年的节假日安排（已安装的 chinesecalendar 不含该年，活动文件夹中也没有 {CALENDAR_FILE}）："
            f"暂时只把周末当作休息日，法定节假日会被当作工作日（节日期间可能照发提醒、截止日可能落在假日）。"
            f"国务院办公厅公布安排后：运行 duban campaign calendar {weekends[0]} 生成 {CALENDAR_FILE}，按通知核对后把 confirmed 改为 true；"
            f"或升级 pip install -U chinesecalendar"
        )
    if unconfirmed:
        ys = "、".join(str(y) for y in unconfirmed)
        files = "、".join(sorted({_REGISTRY[y].source for y in unconfirmed}))
        parts.append(
            f"{files} 中 {ys} 年的节假日安排尚未核对（confirmed: false）：暂按其中的日期计算工作日；"
            f"请对照国务院办公厅的放假通知补全连休和调休上班日，再把 confirmed 改为 true"
        )
    return "；".join(parts) or None


# ---------------------------------------------------------------- calendar.yaml
class CalendarFileError(ValueError):
    """A mistake in calendar.yaml; ``str()`` is the whole message, in Chinese."""


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise CalendarFileError(f"{where}：'{value}' 不是有效日期，写成 2027-06-09 的格式") from None


def parse_calendar(data: Any, source: str) -> dict[int, YearCalendar]:
    """The years of a calendar.yaml (already read as YAML), checked; CalendarFileError names
    the year, the entry and the fix."""
    if not isinstance(data, dict) or not isinstance(data.get("years"), dict):
        raise CalendarFileError(f"{source}：应以 'years:' 开头，下面每年一节（如 2027:）")
    out: dict[int, YearCalendar] = {}
    for key, body in data["years"].items():
        try:
            year = int(key)
        except (TypeError, ValueError):
            raise CalendarFileError(f"{source}：'{key}' 不是年份") from None
        where = f"{source} 的 {year} 年"
        if not isinstance(body, dict):
            raise CalendarFileError(f"{where}：应写 confirmed、holidays、workdays 三项")
        unknown = set(body) - {"confirmed", "holidays", "workdays"}
        if unknown:
            raise CalendarFileError(f"{where}：未知的项 {sorted(unknown)}；可用：confirmed、holidays、workdays")
        holidays: dict[dt.date, str] = {}
        for i, h in enumerate(body.get("holidays") or []):
            if not isinstance(h, dict) or "name" not in h or "from" not in h:
                raise CalendarFileError(f"{where}：holidays 第 {i + 1} 项应写成 {{name: 端午节, from: 日期, to: 日期}}")
            first = _date(h["from"], f"{where} holidays 第 {i + 1} 项")
            last = _date(h.get("to", h["from"]), f"{where} holidays 第 {i + 1} 项")
            if last < first:
                raise CalendarFileError(f"{where}：holidays 第 {i + 1} 项（{h['name']}）的 to 早于 from")
            for n in range((last - first).days + 1):
                holidays[first + dt.timedelta(days=n)] = str(h["name"])
        workdays = frozenset(_date(d, f"{where} workdays") for d in body.get("workdays") or [])
        stray = sorted(d for d in list(holidays) + list(workdays) if d.year != year)
        if stray:
            raise CalendarFileError(f"{where}：日期 {stray[0]} 不在 {year} 年")
        both = sorted(set(holidays) & workdays)
        if both:
            raise CalendarFileError(f"{where}：{both[0]} 同时写在 holidays 和 workdays 中")
        weekdays = sorted(d for d in workdays if d.weekday() < 5)
        if weekdays:
            raise CalendarFileError(
                f"{where}：workdays 只写调休上班的周六、周日，{weekdays[0]} 是周{WEEKDAYS_CN[weekdays[0].weekday()]}"
            )
        out[year] = YearCalendar(year, holidays, workdays, bool(body.get("confirmed", False)), source)
    return out


def read_calendar_file(path: Path) -> dict[int, YearCalendar]:
    """calendar.yaml beside a campaign ({} when there is none)."""
    import yaml

    from .yamlio import load

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = load(text)
    except yaml.YAMLError as e:
        raise CalendarFileError(f"{path}：YAML 格式错误：{getattr(e, 'problem', e)}") from None
    return parse_calendar(data, str(path))


# ---------------------------------------------------------------- the template
def statutory_days(year: int) -> list[tuple[str, dt.date, dt.date]]:
    """The festival days the law fixes (国务院《全国年节及纪念日放假办法》, 2025 revision),
    from the solar and lunar calendars: (name, first day, last day)."""
    from lunardate import LunarDate

    def lunar(month: int, day: int) -> dt.date:
        return LunarDate(year, month, day).to_solar_date()

    new_year = lunar(1, 1)
    try:
        qingming = [d for d, name in chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 10))]
        tomb = qingming[0] if qingming else dt.date(year, 4, 5)
    except Exception:
        tomb = dt.date(year, 4, 5)
    return [
        ("元旦", dt.date(year, 1, 1), dt.date(year, 1, 1)),
        ("春节", new_year - dt.timedelta(days=1), new_year + dt.timedelta(days=2)),  # 除夕 to 初三
        ("清明节", tomb, tomb),
        ("劳动节", dt.date(year, 5, 1), dt.date(year, 5, 2)),
        ("端午节", lunar(5, 5), lunar(5, 5)),
        ("中秋节", lunar(8, 15), lunar(8, 15)),
        ("国庆节", dt.date(year, 10, 1), dt.date(year, 10, 3)),
    ]


def template_text(year: int) -> str:
    """A calendar.yaml section for ``year`` to confirm against the published notice."""
    lines = [
        f"  {year}:",
        "    # 按国务院办公厅《关于" + str(year) + "年部分节假日安排的通知》核对：",
        "    # 1. holidays 已填法定节日当天（按公历和农历推算），请按通知改成完整的放假区间（含连休的周末）；",
        "    # 2. workdays 填调休上班的周六、周日；",
        "    # 3. 核对无误后把 confirmed 改为 true（在此之前每次运行都会提醒）。",
        "    confirmed: false",
        "    holidays:",
    ]
    for name, first, last in statutory_days(year):
        span = f"{first.isoformat()}" if first == last else f"{first.isoformat()} 至 {last.isoformat()}"
        days = "、".join(
            f"周{WEEKDAYS_CN[(first + dt.timedelta(days=n)).weekday()]}" for n in range((last - first).days + 1)
        )
        lines.append(
            f"      - {{name: {name}, from: {first.isoformat()}, to: {last.isoformat()}}}  # 法定 {span}（{days}），连休待按通知补全"
        )
    lines += [
        "    workdays: []   # 调休上班的周末，如 [" + f"{year}-02-20" + "]",
        "",
    ]
    return "\n".join(lines)


FILE_HEADER = """\
# 工作日历：已安装的 chinesecalendar 还不认识的年份，由协调人按国务院办公厅的放假通知填写。
# duban 计算提醒日、逾期天数、顺延截止日时，对这些年份使用本文件（周末以外的休息日写在 holidays，
# 调休上班的周末写在 workdays）。chinesecalendar 认识的年份以软件包为准。
years:
"""


def write_template(path: Path, year: int) -> bool:
    """Add ``year``'s template to ``path`` (created when absent). False when the file
    already has that year (nothing is overwritten)."""
    existing = read_calendar_file(path) if path.exists() else {}
    if year in existing:
        return False
    text = path.read_text(encoding="utf-8") if path.exists() else FILE_HEADER
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + template_text(year), encoding="utf-8")
    return True
