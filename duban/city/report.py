"""The city report: every district's latest check side by side, Excel + HTML + JSON.

Built from what one district's report already computes — ``duban.reports.summarize`` per
district (same scoring, same traffic light, one rule for the whole city: the city's
``report:`` settings) — and shown with the report's own column machinery
(``duban.reports.view.Column``: the workbook and the page iterate the same columns, the
workbook is written by the round report's sheet writer). Three tables:

- **各区排名**: one row per district (per district's campaign), ranked by score; a district
  whose run failed keeps its row, marked 失败 with the reason, unranked — never a missing report;
- **任务完成率**: per task, the completion in each district and across the city;
- **后进单位**: the units with the lowest score in each district (``WORST_UNITS`` per district).

Stored under ``<home>/city/<round date | adhoc>/<run time>/`` (``report.xlsx``,
``report.html``, ``report.json`` — written last), like the round reports.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from duban.reports.scoring import ReportSettings, Summary, Tally, UnitRow, rank, summarize
from duban.reports.view import Column, ReportMeta, fmt_time
from duban.results import CheckResult
from duban.tasks_catalog import Catalog

WORST_UNITS = 5
TEMPLATES = Path(__file__).with_name("templates")
CITY_DIR = "city"
SHEETS = ("各区排名", "任务完成率", "后进单位", "说明")


@dataclass
class DistrictOutcome:
    """What the city flow learned about one district: its check result, or why there is none."""

    label: str  # 历下区 (历下区 · <campaign> when a district runs several)
    district: str
    campaign: str  # the campaign's key
    result: CheckResult | None = None
    catalog: Catalog | None = field(default=None, repr=False)
    error: str | None = None  # why there is no result (the run failed, timed out, was not found)
    seconds: float | None = None  # the district's run, start to end
    run: str | None = None  # the flow run's name on the server

    @property
    def ok(self) -> bool:
        return self.result is not None and self.error is None


@dataclass
class DistrictRow:
    label: str
    outcome: DistrictOutcome
    summary: Summary | None
    rank: int | None = None
    light: str | None = None

    @property
    def tally(self) -> Tally | None:
        return self.summary.total if self.summary else None

    @property
    def score(self) -> float | None:
        return self.tally.score if self.tally else None

    @property
    def completion(self) -> float | None:
        return self.tally.completion if self.tally else None

    @property
    def state(self) -> str:
        return "完成" if self.summary else "失败"

    @property
    def units(self) -> int | None:
        return len(self.summary.units) if self.summary else None

    @property
    def files(self) -> int | None:
        r = self.outcome.result
        return r.stats.get("files") if r is not None and r.stats else None

    @property
    def note(self) -> str:
        if self.outcome.error:
            return self.outcome.error
        r = self.outcome.result
        return f"截至 {fmt_time(r.as_of)}" if r is not None else ""


@dataclass
class TaskAcross:
    """One task (all its rounds), district by district."""

    task: str
    title: str
    by: dict[str, Tally]
    total: Tally

    def completion(self, label: str) -> float | None:
        t = self.by.get(label)
        return t.completion if t else None


@dataclass
class WorstUnit:
    """One of a district's lowest-scoring units: its row of the district's own summary."""

    label: str
    row: UnitRow  # unit, group, tally, rank within its district (and group, as the district ranks)


@dataclass
class CityReport:
    city: str
    as_of: dt.datetime
    round: dt.date | None
    generated_at: dt.datetime
    settings: ReportSettings
    districts: list[DistrictRow]
    tasks: list[TaskAcross]
    worst: list[WorstUnit]

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.districts if r.summary]

    @property
    def total(self) -> Tally:
        out = Tally()
        for r in self.districts:
            if r.tally:
                out += r.tally
        return out

    @property
    def failed(self) -> list[DistrictRow]:
        return [r for r in self.districts if not r.summary]

    @property
    def title(self) -> str:
        when = f"{self.round.isoformat()} 轮次" if self.round else f"截至 {fmt_time(self.as_of)}"
        return f"{self.city}督办汇总 · {when}"


# ---------------------------------------------------------------- building it
def build(
    city: str,
    outcomes: list[DistrictOutcome],
    settings: ReportSettings,
    *,
    as_of: dt.datetime,
    round_date: dt.date | None = None,
    generated_at: dt.datetime | None = None,
    worst: int = WORST_UNITS,
) -> CityReport:
    """Score every district that has a result (``summarize``, the round report's own), rank them."""
    rows = []
    for o in outcomes:
        summary = summarize(o.catalog, o.result, settings) if o.ok and o.result is not None else None
        row = DistrictRow(o.label, o, summary)
        row.light = settings.light(row.completion)
        rows.append(row)
    rank(cast(list[UnitRow], rows))  # the round report's ranking: by score, ties share a place
    rows.sort(key=lambda r: (r.summary is None, r.rank is None, r.rank or 0, r.label))
    return CityReport(
        city,
        as_of,
        round_date,
        generated_at or dt.datetime.now(as_of.tzinfo).replace(microsecond=0),
        settings,
        rows,
        _tasks(rows),
        _worst(rows, worst),
    )


def _tasks(rows: list[DistrictRow]) -> list[TaskAcross]:
    by_task: dict[str, TaskAcross] = {}
    order: list[str] = []
    for r in rows:
        if not r.summary:
            continue
        for t in r.summary.tasks:
            if t.task not in by_task:
                by_task[t.task] = TaskAcross(t.task, t.title, {}, Tally())
                order.append(t.task)
            across = by_task[t.task]
            across.by.setdefault(r.label, Tally())
            across.by[r.label] += t.tally
            across.total += t.tally
    return [by_task[t] for t in sorted(order, key=lambda k: (k[0], k))]


def _worst(rows: list[DistrictRow], n: int) -> list[WorstUnit]:
    out = []
    for r in rows:
        if not r.summary:
            continue
        scored = [u for u in r.summary.units if u.tally.owed]
        scored.sort(key=lambda u: (u.score if u.score is not None else 0.0, u.completion or 0.0, u.unit))
        out += [WorstUnit(r.label, u) for u in scored[:n]]
    return out


# ---------------------------------------------------------------- columns (reports.view.Column)
def _maybe(get: Callable[[Any], Tally | None], pick: Callable[[Tally], Any]) -> Callable[[Any], Any]:
    return lambda r: pick(t) if (t := get(r)) is not None else None


def _light_of(value: Callable[[Any], float | None]):
    return lambda r, s: s.light(value(r))


def _count(header: str, bucket: str, get=lambda r: r.tally) -> Column:
    return Column(header, _maybe(get, lambda t: t.n[bucket]), "int")


DISTRICT_COLUMNS: list[Column] = [
    Column("排名", lambda r: r.rank, "int"),
    Column("区", lambda r: r.label),
    Column("状态", lambda r: r.state, tone=lambda r, s: None if r.summary else "red"),
    Column("应报", _maybe(lambda r: r.tally, lambda t: t.owed), "int"),
    Column("已完成", _maybe(lambda r: r.tally, lambda t: t.completed), "int"),
    Column("完成率", lambda r: r.completion, "pct", tone=lambda r, s: r.light),
    Column("得分", lambda r: r.score, "score"),
    _count("按时完成", "ok"),
    _count("逾期完成", "late"),
    _count("材料不足", "partial"),
    _count("未报送", "missing"),
    _count("待确认", "confirm"),
    Column("单位数", lambda r: r.units, "int"),
    Column("文件数", lambda r: r.files, "int"),
    Column("用时（秒）", lambda r: r.outcome.seconds, "score"),
    Column("说明", lambda r: r.note, size="long"),
]


def _district_completion(label: str) -> Column:
    def get(t: TaskAcross) -> float | None:
        return t.completion(label)

    return Column(label, get, "pct", tone=_light_of(get))


def task_columns(labels: list[str]) -> list[Column]:
    """编号, 任务, one completion column per district, then the city's."""
    per = [_district_completion(label) for label in labels]
    return [
        Column("编号", lambda t: t.task),
        Column("任务", lambda t: t.title, size="title"),
        *per,
        Column("全市完成率", lambda t: t.total.completion, "pct", tone=_light_of(lambda t: t.total.completion)),
        Column("应报", lambda t: t.total.owed, "int"),
        Column("已完成", lambda t: t.total.completed, "int"),
    ]


WORST_COLUMNS: list[Column] = [
    Column("区", lambda w: w.label),
    Column("单位", lambda w: w.row.unit),
    Column("类别", lambda w: w.row.group),
    Column("应报", lambda w: w.row.tally.owed, "int"),
    Column("已完成", lambda w: w.row.tally.completed, "int"),
    Column("完成率", lambda w: w.row.completion, "pct", tone=lambda w, s: w.row.light),
    Column("得分", lambda w: w.row.score, "score"),
    _count("未报送", "missing", lambda w: w.row.tally),
    _count("材料不足", "partial", lambda w: w.row.tally),
    Column("区内排名", lambda w: w.row.rank, "int"),
]

NOTE_COLUMNS: list[Column] = [Column("项目", lambda n: n[0]), Column("内容", lambda n: n[1], size="long")]


def note_rows(report: CityReport) -> list[tuple[str, str]]:
    done = [r.label for r in report.districts if r.summary]
    notes = [
        ("报告", report.title),
        ("截至", fmt_time(report.as_of)),
        ("生成时间", fmt_time(report.generated_at)),
        ("各区", f"{len(report.districts)} 个，完成检查 {len(done)} 个" + (f"：{'、'.join(done)}" if done else "")),
    ]
    if report.failed:
        notes.append(("未完成检查", "；".join(f"{r.label}：{r.outcome.error}" for r in report.failed)))
    notes.append(("排名", "按得分排名，得分相同名次相同；检查失败的区不排名，见“说明”列。"))
    return notes + [(f"计分规则 {i}", line) for i, line in enumerate(report.settings.rule_lines(), 1)]


# ---------------------------------------------------------------- the three files
@dataclass(frozen=True)
class CityPaths:
    folder: Path
    xlsx: Path
    html: Path
    json: Path


def _meta(report: CityReport) -> ReportMeta:
    label = f"{len(report.districts)} 个区"
    return ReportMeta(f"{report.city}督办汇总", report.city, report.round, report.as_of, report.generated_at, label, "")


def write_workbook(path: Path, report: CityReport) -> Path:
    from openpyxl import Workbook

    from duban.reports.excel import _table

    wb = Workbook()
    wb.remove(wb.active)
    meta, s = _meta(report), report.settings
    total = report.total
    overall = (
        f"全市应报 {total.owed} 项，完成率 {total.completion:.1%}" if total.completion is not None else "尚无到期事项"
    )
    _table(wb, SHEETS[0], f"{report.title}　{overall}", DISTRICT_COLUMNS, report.districts, meta, s, freeze_cols=2)
    _table(wb, SHEETS[1], report.title, task_columns(report.labels), report.tasks, meta, s, freeze_cols=2)
    _table(wb, SHEETS[2], f"{report.title}　各区得分最低的单位", WORST_COLUMNS, report.worst, meta, s, freeze_cols=2)
    _table(wb, SHEETS[3], report.title, NOTE_COLUMNS, note_rows(report), meta, s)
    wb.active = 0
    wb.save(path)
    return path


def _env() -> Environment:
    from duban.reports.html import TEMPLATES as REPORT_TEMPLATES

    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES)), FileSystemLoader(str(REPORT_TEMPLATES))]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=lambda x: "—" if x is None else f"{x * 100:.1f}%", time=fmt_time)
    return env


def render_html(report: CityReport) -> str:
    return (
        _env()
        .get_template("city.html.j2")
        .render(
            report=report,
            settings=report.settings,
            total=report.total,
            notes=note_rows(report),
            district_columns=DISTRICT_COLUMNS,
            task_columns=task_columns(report.labels),
            worst_columns=WORST_COLUMNS,
        )
    )


def to_json(report: CityReport) -> dict[str, Any]:
    def tally(t: Tally | None) -> dict[str, Any] | None:
        if t is None:
            return None
        return {"owed": t.owed, "completed": t.completed, "completion": t.completion, "score": t.score, "counts": t.n}

    return {
        "schema": 1,
        "city": report.city,
        "title": report.title,
        "round": report.round.isoformat() if report.round else None,
        "as_of": report.as_of.isoformat(),
        "generated_at": report.generated_at.isoformat(),
        "total": tally(report.total),
        "districts": [
            {
                "label": r.label,
                "district": r.outcome.district,
                "campaign": r.outcome.campaign,
                "state": "completed" if r.summary else "failed",
                "error": r.outcome.error,
                "rank": r.rank,
                "run": r.outcome.run,
                "seconds": r.outcome.seconds,
                "files": r.files,
                "units": r.units,
                **(tally(r.tally) or {}),
            }
            for r in report.districts
        ],
        "tasks": [
            {
                "task": t.task,
                "title": t.title,
                "completion": {label: t.completion(label) for label in report.labels},
                "total": tally(t.total),
            }
            for t in report.tasks
        ],
        "worst_units": [
            {
                "district": w.label,
                "unit": w.row.unit,
                "group": w.row.group,
                "rank": w.row.rank,
                **(tally(w.row.tally) or {}),
            }
            for w in report.worst
        ],
    }


def write_city_report(report: CityReport, home: Path) -> CityPaths:
    """Write the three files into a new run folder under ``<home>/city/`` (never an existing one)."""
    from duban.reports import storage

    folder = storage.new_run_folder(Path(home) / CITY_DIR, report.round, report.generated_at)
    F = storage.FILES
    paths = CityPaths(folder, folder / F["xlsx"], folder / F["html"], folder / F["json"])
    try:
        write_workbook(paths.xlsx, report)
        storage.write_atomic(paths.html, render_html(report))
        storage.write_json(paths.json, to_json(report))  # last: its presence marks a finished report
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    storage.update_latest(folder, report.generated_at, report.as_of)
    return paths
