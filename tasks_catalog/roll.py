"""Roll a campaign forward: ``duban campaign roll DIR --to-year 2027`` (or ``--shift-days N``).

Every date moves: campaign start and end, round due dates, date windows, completion dates
(and the dates written in templates.yaml notes). A due date that lands on a weekend or a
public holiday moves back to the previous working day — 2021-06-20 rolled to 2026 is a
Saturday inside the Dragon Boat holiday (the 19th is 端午), so it becomes 2026-06-18 — and
every change is listed. The working days come from ``workcalendar``: for a year the
installed chinesecalendar does not know, the campaign's calendar.yaml, else weekends only
and a warning.

The YAML files are edited as text, date by date, so the coordinator's comments stay. The
result is written to a temporary copy, loaded with the ordinary loader, and only then put
in place (or into ``--into NEWDIR``); a failed roll changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .loader import Catalog, CatalogError, load_catalog
from .workcalendar import day_label, previous_workday, warning_for_years

ISO = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
FILES = ("campaign.yaml", "templates.yaml")


class RollFailed(ValueError):
    """The campaign could not be rolled; ``str()`` is the whole message, in Chinese."""


@dataclass
class Change:
    file: str  # tasks/D06.yaml
    field: str  # 截止日期 / 开始日期 / 日期区间 ...
    old: dt.date
    new: dt.date
    why: str = ""  # why a due date moved off the plain shift

    def line(self) -> str:
        return f"{self.file} {self.field}：{self.old.isoformat()} → {self.new.isoformat()}" + (
            f"（{self.why}）" if self.why else ""
        )


@dataclass
class RollResult:
    folder: Path
    catalog: Catalog
    changes: list[Change]
    warnings: list[str] = field(default_factory=list)

    @property
    def adjusted(self) -> list[Change]:
        return [c for c in self.changes if c.why]


def shifter(catalog: Catalog, *, to_year: int | None, shift_days: int | None) -> Callable[[dt.date], dt.date]:
    if (to_year is None) == (shift_days is None):
        raise RollFailed("请二选一：--to-year 年份，或 --shift-days 天数")
    if shift_days is not None:
        return lambda d: d + dt.timedelta(days=shift_days)
    years = (to_year or 0) - catalog.campaign.year

    def move(d: dt.date) -> dt.date:
        try:
            return d.replace(year=d.year + years)
        except ValueError:  # 2 月 29 日 in a year without one
            return d.replace(year=d.year + years, day=28)

    return move


def due_date(plain: dt.date) -> tuple[dt.date, str]:
    """A due date on a working day: the previous working day when ``plain`` is a rest day."""
    day, skipped = previous_workday(plain)
    if not skipped:
        return day, ""
    rest = "、".join(day_label(d) for d in skipped)
    return day, f"{rest}休息，提前到前一个工作日 {day_label(day)}"


def _field(key: str) -> str:
    return {
        "start": "开始日期",
        "end": "结束日期",
        "completed_by": "履行完毕日期",
        "rounds": "截止日期",
    }.get(key, "日期")


def roll_text(text: str, file: str, move: Callable[[dt.date], dt.date]) -> tuple[str, list[Change]]:
    """Move every ISO date in one YAML file's text; dates listed under ``rounds:`` are due
    dates (kept on working days and in order within their list)."""
    changes: list[Change] = []
    out: list[str] = []
    in_rounds: int | None = None  # indentation of the rounds: key we are under
    last_due: dt.date | None = None
    key = ""
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        m = re.match(r"([A-Za-z_]+)\s*:", stripped.removeprefix("- "))
        listed = stripped.startswith("- ") and indent >= (in_rounds or 0)
        if in_rounds is not None and stripped.strip() and not stripped.startswith("#") and not listed:
            in_rounds = None
        if m:
            key = m.group(1)
            if key == "rounds":
                in_rounds, last_due = indent, None
        due = key == "rounds" and (in_rounds is not None or "[" in stripped)

        def repl(match: re.Match[str], due: bool = due, line_key: str = key) -> str:
            nonlocal last_due
            old = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            new, why = move(old), ""
            if due:
                new, why = due_date(new)
                if last_due is not None and new <= last_due:
                    new = last_due + dt.timedelta(days=1)
                    new, why2 = _next_working(new)
                    why = f"与上一轮重合，顺延到 {day_label(new)}" + (f"；{why2}" if why2 else "")
                last_due = new
            changes.append(Change(file, _field(line_key), old, new, why))
            return new.isoformat()

        out.append(ISO.sub(repl, line) if not stripped.startswith("#") else line)
    return "".join(out), changes


def _next_working(day: dt.date) -> tuple[dt.date, str]:
    from .workcalendar import is_workday

    skipped = []
    while not is_workday(day):
        skipped.append(day)
        day += dt.timedelta(days=1)
    return day, ("、".join(day_label(d) for d in skipped) + "休息") if skipped else ""


def _campaign_fields(text: str, catalog: Catalog, to_year: int | None) -> str:
    """year (and an id or name that carries the old year) follow the dates."""
    if to_year is None:
        return text
    old = str(catalog.campaign.year)
    text = re.sub(r"(?m)^(year\s*:\s*)\d{4}", lambda m: m.group(1) + str(to_year), text)
    for key in ("id", "name"):
        text = re.sub(
            rf"(?m)^({key}\s*:\s*)(.*)$", lambda m: m.group(1) + m.group(2).replace(old, str(to_year)), text, count=1
        )
    return text


def roll(
    folder: Path | str,
    *,
    to_year: int | None = None,
    shift_days: int | None = None,
    into: Path | str | None = None,
) -> RollResult:
    """Roll the campaign in ``folder`` (in place, or into a new folder ``into``)."""
    folder = Path(folder).absolute()
    try:
        catalog = load_catalog(folder)
    except CatalogError as e:
        raise RollFailed(str(e)) from None
    target = Path(into).absolute() if into else folder
    if into and target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise RollFailed(f"{target} 已存在且不是空文件夹：换一个文件夹名（不会覆盖已有的活动）")
    move = shifter(catalog, to_year=to_year, shift_days=shift_days)
    new_years = {move(catalog.campaign.start).year, move(catalog.campaign.end).year}
    warnings = [w for w in [warning_for_years(new_years)] if w]
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.rolling-", dir=target.parent))
    work = tmp / "c"
    try:
        shutil.copytree(folder, work, ignore=shutil.ignore_patterns("prefect.yaml"))
        changes: list[Change] = []
        files = [work / f for f in FILES] + sorted((work / "tasks").glob("*.yaml"))
        for path in files:
            if not path.exists():
                continue
            rel = path.relative_to(work).as_posix()
            text, got = roll_text(path.read_text(encoding="utf-8"), rel, move)
            if rel == "campaign.yaml":
                text = _campaign_fields(text, catalog, to_year)
            yaml.safe_load(text)  # still YAML
            path.write_text(text, encoding="utf-8")
            changes += got
        try:
            load_catalog(work)
        except CatalogError as e:
            raise RollFailed(f"顺延后的活动未通过校验，未做任何修改：{e}") from None
        if target == folder:
            old = tmp / "old"
            folder.rename(old)
            try:
                work.rename(folder)
            except OSError:
                old.rename(folder)  # put the original back before the temporary folder goes
                raise
        else:
            if target.exists():
                target.rmdir()
            work.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return RollResult(target, load_catalog(target), changes, warnings)
