"""The round report and the index as self-contained HTML pages (Jinja2, autoescape).

Everything is inline: CSS in a <style> block, charts as inline SVG computed here; no
scripts, fonts, images or any other outside request. Links only point at sibling files
(report.xlsx, report.json, other stored reports) by relative paths.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from duban.results import CheckResult

from . import view
from .scoring import ReportSettings, Summary, is_owed
from .view import ReportMeta, detail_rows, file_rows, fmt_time, reminder_rows, sent_count

TEMPLATES = Path(__file__).with_name("templates")
_OUTSIDE = [
    re.compile(p, re.I)
    for p in (
        r"https?://",
        r"""(?:href|src|action)\s*=\s*["']?\s*//""",
        r"\bsrc\s*=",
        r"url\(",
        r"@import",
        r"<script",
        r"<link\b",
        r"<iframe",
        r"<img\b",
    )
]


def outside_references(html: str) -> list[str]:
    """Every construct in ``html`` that could make a browser fetch something (should be none):
    URLs, src=, url(), @import, scripts, links, frames, images, and hrefs that are not
    plain relative paths."""
    found = [m.group(0) for rx in _OUTSIDE for m in rx.finditer(html)]
    for href in re.findall(r"""href\s*=\s*["']([^"']*)["']""", html, re.I):
        if ":" in href or href.startswith("/"):
            found.append(f"href={href}")
    return found


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=_pct, time=fmt_time)
    return env


# ---------------------------------------------------------------- charts (inline SVG geometry)
@dataclass(frozen=True)
class Bar:
    y: float
    label: str
    width: float
    value: str
    colour: str | None  # a colours entry name; None: nothing owed


@dataclass(frozen=True)
class Heading:
    y: float
    text: str


@dataclass(frozen=True)
class UnitChart:
    width: int
    height: int
    label_w: int
    bar_w: int
    bar_h: int
    top: int
    bars: list[Bar]
    headings: list[Heading]
    ticks: list[tuple[float, str]]


def unit_chart(summary: Summary) -> UnitChart:
    """Horizontal bars: completion % per unit, by group, highest first (ties in 总览 order)."""
    width, label_w, bar_w, row_h, bar_h, head_h, top = 420, 132, 228, 21, 14, 26, 22
    bars, headings = [], []
    y = top
    groups: dict[str, list] = {}
    for r in summary.units:
        groups.setdefault(r.group, []).append(r)
    for group, rows in groups.items():
        headings.append(Heading(y + 17, group))
        y += head_h
        for r in sorted(rows, key=lambda r: -(r.completion if r.completion is not None else -1)):
            w = (r.completion or 0) * bar_w
            bars.append(
                Bar(y, r.unit, round(w, 1), _pct(r.completion) if r.completion is not None else "无到期", r.light)
            )
            y += row_h
    ticks = [(label_w + bar_w * f, f"{int(f * 100)}%") for f in (0, 0.5, 1)]
    return UnitChart(width, int(y + 6), label_w, bar_w, bar_h, top, bars, headings, ticks)


@dataclass(frozen=True)
class TrendPoint:
    x: float
    label: str
    sub: str
    height: float
    value: str
    colour: str | None
    href: str


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    base: float
    plot_h: float
    left: int
    points: list[TrendPoint]
    line: str  # polyline points
    grid: list[tuple[float, str]]


def trend_chart(points: list[tuple[str, str, float | None, str | None, str]]) -> TrendChart:
    """Columns + line of completion per round, in round order: (label, sub, completion, colour, href)."""
    left, step, plot_h, top = 44, 72, 160, 16
    width = max(320, left + step * len(points) + 16)
    base = top + plot_h
    out, line = [], []
    for i, (label, sub, completion, colour, href) in enumerate(points):
        x = left + step * i + step / 2
        h = (completion or 0) * plot_h
        out.append(TrendPoint(x, label, sub, round(h, 1), _pct(completion), colour, href))
        if completion is not None:
            line.append(f"{x:.1f},{base - h:.1f}")
    grid = [(base - plot_h * f, f"{int(f * 100)}%") for f in (0, 0.5, 1)]
    return TrendChart(width, int(base + 44), base, plot_h, left, out, " ".join(line), grid)


# ---------------------------------------------------------------- pages
def render_report(
    catalog,
    result: CheckResult,
    summary: Summary,
    meta: ReportMeta,
    settings: ReportSettings,
    reminders: list[dict] | None,
    decisions: Sequence[Any] = (),
) -> str:
    todo = detail_rows(
        catalog,
        [o for o in result.obligations if o.status in ("partial", "missing") and is_owed(o, summary.day, settings)],
        unit_first=True,
    )
    reminder_list = reminder_rows(reminders)
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            meta=meta,
            summary=summary,
            settings=settings,
            chart=unit_chart(summary),
            details=detail_rows(catalog, result.obligations),
            todo=todo,
            unrecognized=file_rows(result.unrecognized),
            rejected=file_rows(result.rejected),
            reminders=reminder_list,
            sent=sent_count(reminder_list),
            rules=settings.rule_lines(),
            unit_columns=view.UNIT_COLUMNS,
            task_columns=view.TASK_COLUMNS,
            detail_columns=view.DETAIL_COLUMNS,
            todo_columns=view.TODO_COLUMNS,
            file_columns=view.FILE_COLUMNS,
            reminder_columns=view.REMINDER_COLUMNS,
            decisions=list(decisions),
            decision_columns=view.decision_columns(result.as_of),
        )
    )


def render_index(
    reports: list, trend: TrendChart, latest: dict, settings: ReportSettings, campaign: str, generated_at: dt.datetime
) -> str:
    return (
        _env()
        .get_template("index.html.j2")
        .render(
            reports=reports, trend=trend, latest=latest, settings=settings, campaign=campaign, generated_at=generated_at
        )
    )
