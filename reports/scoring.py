"""Report settings (scoring, traffic light, colours) and the per-unit / per-task summary.

The rules live in ``reports/settings.yaml`` (documented there); a coordinator may override
any part of them in ``<home>/settings.yaml`` under ``report:``. This module only reads them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from duban.results import CheckResult, Obligation
from duban.settings import SettingsError, check_keys, load, read_yaml
from duban.statuses import STATUS_LABELS, STATUSES
from duban.timeutil import TZ

DEFAULTS_FILE = Path(__file__).with_name("settings.yaml")
GROUP_LABELS = {"departments": "区直部门", "streets": "街道办事处"}
OTHER_GROUP = "其他"
_HEX = re.compile(r"^[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class Colour:
    fill: str
    font: str
    bar: str


@dataclass(frozen=True)
class ReportSettings:
    points: dict[str, float]
    completed: tuple[str, ...]
    rank_within_group: bool
    green_at: float
    yellow_at: float
    colours: dict[str, Colour]
    status_colours: dict[str, str]

    def light(self, completion: float | None) -> str | None:
        """'green' / 'yellow' / 'red' for a completion fraction (None: nothing owed)."""
        if completion is None:
            return None
        pct = completion * 100
        if pct >= self.green_at - 1e-9:
            return "green"
        return "yellow" if pct >= self.yellow_at - 1e-9 else "red"

    def colour(self, name: str | None) -> Colour | None:
        return self.colours.get(name) if name else None

    def status_colour(self, status: str) -> Colour | None:
        return self.colour(self.status_colours.get(status))

    def rule_lines(self) -> list[str]:
        """The scoring rule in plain Chinese, printed in every report."""
        pts = "，".join(f"{STATUS_LABELS.get(s, s)} {_num(p)} 分" for s, p in self.points.items())
        done = "、".join(STATUS_LABELS.get(s, s) for s in self.completed)
        owed = "、".join(STATUS_LABELS.get(s, s) for s in self.points)
        return [
            f"应报：截止日期不晚于“截至”日期、状态为{owed}的事项（任务 × 单位 × 轮次）；未到期事项不计入。",
            f"完成率 = （{done}）÷ 应报。",
            f"得分 = 应报事项的平均分：{pts}；没有应报事项的单位不评分、不排名。",
            ("区直部门、街道办事处分别排名" if self.rank_within_group else "全部单位一起排名") + "；得分相同名次相同。",
            f"红黄绿灯：完成率 ≥ {_num(self.green_at)}% 绿，≥ {_num(self.yellow_at)}% 黄，其余红。",
        ]


def _num(x: float) -> str:
    return f"{x:g}"


# ---------------------------------------------------------------- loading
def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_settings(home: Any = None) -> ReportSettings:
    """The packaged defaults, overridden by ``<home>/settings.yaml`` ``report:`` if present."""
    data = read_yaml(DEFAULTS_FILE)
    source = DEFAULTS_FILE
    if home is not None:
        settings = load(Path(getattr(home, "settings_file", home)))
        section = settings.section("report")
        if section:
            data, source = _merge(data, section), settings.file
    return _validate(data, source)


def _validate(d: dict, src: Path) -> ReportSettings:
    def fail(entry: str, problem: str, fix: str) -> NoReturn:
        raise SettingsError(src, f"report 设置 {entry}：{problem}", fix)

    check_keys(d, ("scoring", "traffic_light", "colours", "status_colours"), file=src, where="report")

    for section in ("scoring", "traffic_light", "colours", "status_colours"):
        if d.get(section) is not None and not isinstance(d.get(section), dict):
            fail(section, "应当是“键: 值”的映射", f"参照 {DEFAULTS_FILE} 中 {section} 的写法")
    sc = d.get("scoring") or {}
    check_keys(sc, ("points", "completed", "rank_within_group"), file=src, where="report.scoring")
    points_raw = sc.get("points") or {}
    if not isinstance(points_raw, dict) or not points_raw:
        fail("scoring.points", "没有状态分值", "写成 ok: 100 这样的“状态: 分值”，每行一个")
    points: dict[str, float] = {}
    for s, p in points_raw.items():
        if s not in STATUSES:
            fail(f"scoring.points.{s}", f"未知状态 '{s}'", f"状态只能是 {', '.join(STATUSES)}")
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 100:
            fail(f"scoring.points.{s}", f"分值 '{p}' 不是 0-100 的数", "填写 0 到 100 之间的数字")
        points[s] = float(p)
    completed = sc.get("completed") or []
    if not isinstance(completed, list) or not completed:
        fail("scoring.completed", "应当列出算作完成的状态", "写成 [ok, late]")
    for s in completed:
        if s not in points:
            fail("scoring.completed", f"状态 '{s}' 不在 scoring.points 中", "completed 只能列 points 中已有的状态")
    tl = d.get("traffic_light") or {}
    check_keys(tl, ("green_at", "yellow_at"), file=src, where="report.traffic_light")
    green_at, yellow_at = tl.get("green_at", 100), tl.get("yellow_at", 60)
    for k, v in (("green_at", green_at), ("yellow_at", yellow_at)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 100:
            fail(f"traffic_light.{k}", f"'{v}' 不是 0-100 的百分数", "填写百分数，如 60")
    if yellow_at > green_at:
        fail("traffic_light", "yellow_at 大于 green_at", "黄灯下限应不高于绿灯下限")
    colours: dict[str, Colour] = {}
    for name, c in (d.get("colours") or {}).items():
        if not isinstance(c, dict):
            fail(
                f"colours.{name}", "应当写 fill、font、bar 三项", '写成 {fill: "C6EFCE", font: "006100", bar: "3C9A5F"}'
            )
        vals = {}
        for k in ("fill", "font", "bar"):
            v = str(c.get(k, "")).lstrip("#")
            if not _HEX.match(v):
                fail(f"colours.{name}.{k}", f"'{c.get(k)}' 不是六位十六进制颜色", '写成 "C6EFCE" 这样的六位颜色代码')
            vals[k] = v.upper()
        colours[name] = Colour(**vals)
    for need in ("green", "yellow", "red"):
        if need not in colours:
            fail("colours", f"缺少颜色 {need}", f"补上 {need}: {{fill: ..., font: ..., bar: ...}}")
    status_colours = dict(d.get("status_colours") or {})
    for s, name in status_colours.items():
        if s not in STATUSES:
            fail(f"status_colours.{s}", f"未知状态 '{s}'", f"状态只能是 {', '.join(STATUSES)}")
        if name not in colours:
            fail(f"status_colours.{s}", f"颜色 '{name}' 未在 colours 中定义", f"改为 {', '.join(colours)} 之一")
    rank_within_group = sc.get("rank_within_group", True)
    if not isinstance(rank_within_group, bool):
        fail(
            "scoring.rank_within_group",
            f"'{rank_within_group}' 不是 true/false",
            "写 true（分组排名）或 false（统一排名）",
        )
    return ReportSettings(
        points, tuple(completed), rank_within_group, float(green_at), float(yellow_at), colours, status_colours
    )


# ---------------------------------------------------------------- summary
# buckets an obligation falls in for the 总览 / 任务 columns
BUCKETS = ("ok", "late", "partial", "missing", "not_due", "confirm", "unreadable", "waived")


def as_of_day(as_of: dt.datetime) -> dt.date:
    return (as_of.astimezone(TZ) if as_of.tzinfo else as_of).date()


def is_owed(o: Obligation, day: dt.date, settings: ReportSettings) -> bool:
    """Counts in 应报: a unit's obligation whose due date is reached, with a scored status."""
    return o.unit is not None and o.due is not None and o.due <= day and o.status in settings.points


def bucket(o: Obligation, day: dt.date, settings: ReportSettings) -> str | None:
    """The 总览 column an obligation counts in: its status when owed, else 未到期 / 待确认, else None."""
    if is_owed(o, day, settings) or o.status in ("confirm", "unreadable", "waived"):
        return o.status  # 免报 and 无法读取 are counted apart: never owed, never scored
    if o.due is not None and (o.due > day or o.status == "pending"):
        return "not_due"
    return None  # done, ongoing, unassigned: not in the tallies


@dataclass
class Tally:
    owed: int = 0
    completed: int = 0
    points: float = 0.0
    n: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))

    def add(self, o: Obligation, day: dt.date, settings: ReportSettings) -> None:
        b = bucket(o, day, settings)
        if b in self.n:
            self.n[b] += 1
        if is_owed(o, day, settings):
            self.owed += 1
            self.points += settings.points[o.status]
            if o.status in settings.completed:
                self.completed += 1

    def __iadd__(self, other: Tally) -> Tally:
        self.owed += other.owed
        self.completed += other.completed
        self.points += other.points
        for b in BUCKETS:
            self.n[b] += other.n[b]
        return self

    @property
    def completion(self) -> float | None:
        return self.completed / self.owed if self.owed else None

    @property
    def score(self) -> float | None:
        return round(self.points / self.owed, 1) if self.owed else None


@dataclass
class UnitRow:
    unit: str
    group: str  # 区直部门 / 街道办事处 / 其他
    tally: Tally
    rank: int | None = None
    light: str | None = None

    @property
    def completion(self) -> float | None:
        return self.tally.completion

    @property
    def score(self) -> float | None:
        return self.tally.score


@dataclass
class TaskRow:
    task: str
    title: str
    due: dt.date | None  # the round's due date
    deadline_text: str  # 2021-06-20 / 已完成 / 长期工作 / 未明确
    units: int  # obligations in this task and round (one per unit)
    tally: Tally
    others: dict[str, int]  # statuses outside the tallies (done, ongoing, unassigned ...)
    open_units: list[tuple[str, str]]  # (unit, status) of partial / missing units
    light: str | None = None

    @property
    def completion(self) -> float | None:
        return self.tally.completion


@dataclass
class Summary:
    as_of: dt.datetime
    day: dt.date
    units: list[UnitRow]
    tasks: list[TaskRow]
    groups: dict[str, Tally]
    total: Tally
    counts: dict[str, int]  # every status, over every obligation
    light: str | None

    def to_json(self) -> dict[str, Any]:
        """The frozen numbers stored with a report (the index reads these, never recomputes)."""
        return {
            "owed": self.total.owed,
            "completed": self.total.completed,
            "completion": self.total.completion,
            "counts": dict(self.counts),
            "groups": {
                g: {"owed": t.owed, "completed": t.completed, "completion": t.completion}
                for g, t in self.groups.items()
            },
            "units": [
                {
                    "unit": r.unit,
                    "group": r.group,
                    "owed": r.tally.owed,
                    "completed": r.tally.completed,
                    "completion": r.completion,
                    "score": r.score,
                    "rank": r.rank,
                }
                for r in self.units
            ],
        }


def _deadline_text(catalog, task_id: str, due: dt.date | None) -> str:
    if due is not None:
        return due.isoformat()
    rt = catalog.tasks.get(task_id) if catalog is not None else None
    kind = rt.task.deadline.kind if rt is not None else None
    return {"done": "已完成", "ongoing": "长期工作", "unspecified": "未明确"}.get(kind or "", "—")


def rank(rows: Iterable[UnitRow]) -> None:
    """Competition ranking by score (1, 2, 2, 4); rows without a score get no rank."""
    scored = sorted((r for r in rows if r.score is not None), key=lambda r: -(r.score or 0.0))
    prev, prev_rank = None, 0
    for i, r in enumerate(scored, 1):
        if r.score != prev:
            prev, prev_rank = r.score, i
        r.rank = prev_rank


def summarize(catalog, result: CheckResult, settings: ReportSettings) -> Summary:
    day = as_of_day(result.as_of)
    unit_order = list(catalog.units) if catalog is not None else []
    task_order = list(catalog.tasks) if catalog is not None else []

    # per unit
    by_unit: dict[str, Tally] = {}
    for o in result.obligations:
        if o.unit:
            by_unit.setdefault(o.unit, Tally()).add(o, day, settings)

    def group_of(name: str) -> str:
        u = catalog.find_unit(name) if catalog is not None else None
        return GROUP_LABELS.get(u.group, OTHER_GROUP) if u else OTHER_GROUP

    rows = [UnitRow(u, group_of(u), t) for u, t in by_unit.items()]
    for r in rows:
        r.light = settings.light(r.completion)
    if settings.rank_within_group:
        for g in {r.group for r in rows}:
            rank(r for r in rows if r.group == g)
    else:
        rank(rows)
    group_order = [*GROUP_LABELS.values(), OTHER_GROUP]
    pos = {u: i for i, u in enumerate(unit_order)}
    rows.sort(
        key=lambda r: (group_order.index(r.group), r.rank is None, r.rank or 0, pos.get(r.unit, len(pos)), r.unit)
    )

    groups: dict[str, Tally] = {}
    for g in group_order:
        members = [r for r in rows if r.group == g]
        if members:
            t = groups[g] = Tally()
            for r in members:
                t += r.tally
    total = Tally()
    for t in groups.values():
        total += t

    # per task and round
    by_task: dict[tuple[str, dt.date | None], list[Obligation]] = {}
    for o in result.obligations:
        by_task.setdefault((o.task, o.due), []).append(o)
    tpos = {t: i for i, t in enumerate(task_order)}
    tasks: list[TaskRow] = []
    for (tid, due), obs in sorted(
        by_task.items(),
        key=lambda kv: (tpos.get(kv[0][0], len(tpos)), kv[0][0], kv[0][1] is not None, kv[0][1] or dt.date.min),
    ):
        t = Tally()
        others: dict[str, int] = {}
        open_units = []
        for o in obs:
            t.add(o, day, settings)
            if bucket(o, day, settings) is None:
                others[o.status] = others.get(o.status, 0) + 1
            if o.unit and o.status in ("partial", "missing") and is_owed(o, day, settings):
                open_units.append((o.unit, o.status))
        open_units.sort(key=lambda us: pos.get(us[0], len(pos)))
        rt = catalog.tasks.get(tid) if catalog is not None else None
        row = TaskRow(
            tid, rt.task.title if rt else "", due, _deadline_text(catalog, tid, due), len(obs), t, others, open_units
        )
        row.light = settings.light(t.completion)
        tasks.append(row)

    return Summary(result.as_of, day, rows, tasks, groups, total, result.counts(), settings.light(total.completion))
