"""Load and validate the catalog: campaign, unit directory, templates and tasks.

Every mistake becomes one :class:`CatalogError` whose message names the file, the entry
and what to change — in Chinese, because the coordinator edits these files. Nothing
here raises a bare traceback for a data mistake.

One loader, one validation path: :func:`load_catalog` parses the YAML (libyaml) and
validates every entry with the pydantic models, every time (~10 ms for the 2021 list once
the models are imported; rebuilding the objects from a cache with ``model_construct`` was
measured at ~6 ms: not worth a second way to make a catalog). What a command prints from
the catalog can be kept, though (:func:`catalog_view`, ``catalog_cache``): importing this
module costs no pydantic and no YAML, so ``duban catalog --json`` with an unchanged catalog
loads neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import catalog_cache

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .models import Campaign, EvidenceItem, ResolvedTask, Task, Template, Unit

CATALOG_DIR = Path(__file__).parent


class CatalogError(Exception):
    """A mistake in a catalog file. ``str(err)`` is the whole message for the user."""

    def __init__(self, file: Path | str, entry: str | None, problem: str, fix: str | None = None):
        self.file, self.entry, self.problem, self.fix = str(file), entry, problem, fix
        where = f"{self.file}" + (f"，条目 {entry}" if entry else "")
        msg = f"目录文件有误：{where}：{problem}"
        if fix:
            msg += f"\n  怎么改：{fix}"
        super().__init__(msg)


# ---------------------------------------------------------------- pydantic -> Chinese
def _loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _explain(err: Any, model: type[BaseModel]) -> tuple[str, str]:
    kind, loc = err["type"], _loc(err["loc"])
    got = err.get("input")
    if kind == "extra_forbidden":
        import difflib

        allowed = _allowed_fields(model, err["loc"][:-1])
        guess = difflib.get_close_matches(str(err["loc"][-1]), allowed, n=1)
        hint = f"是不是 '{guess[0]}'？" if guess else ""
        return (f"未知字段 '{loc}'", f"{hint}可用字段：{', '.join(allowed)}")
    if kind == "missing":
        return (f"缺少必填字段 '{loc}'", f"补上 {loc}")
    if kind in ("greater_than_equal", "greater_than"):
        return (
            f"'{loc}' 的值 {got} 不能为负数或低于下限（{err['ctx'].get('ge', err['ctx'].get('gt'))}）",
            "改为不小于下限的数",
        )
    if kind == "less_than_equal":
        return (f"'{loc}' 的值 {got} 超过上限 {err['ctx']['le']}", "比例写成小数，例如 20% 写 0.2")
    if kind.startswith("date") or kind.startswith("time"):
        return (f"'{loc}' 的值 '{got}' 不是有效日期", "日期写成 2021-06-20 的格式")
    if kind == "literal_error":
        return (f"'{loc}' 的值 '{got}' 不在可选范围内", f"只能是 {err['ctx']['expected']}")
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type", "int_from_float"):
        return (f"'{loc}' 的值 '{got}' 不是数字", "填写阿拉伯数字")
    if kind in ("list_type",):
        return (f"'{loc}' 应当是列表", "写成 [a, b] 或每行一个 '- a'")
    if kind == "value_error":
        return (f"'{loc}'：{str(err['msg']).removeprefix('Value error, ')}", "按提示改正该字段")
    return (f"'{loc}'：{err['msg']}", "按 README 中的字段说明修改")


def _allowed_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    from pydantic import BaseModel

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        f = getattr(current, "model_fields", {}).get(part)
        if f is None:
            break
        ann = f.annotation
        for arg in getattr(ann, "__args__", ()) or (ann,):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
                break
    return list(getattr(current, "model_fields", {}))


def _validate(model: type[BaseModel], data: Any, file: Path, entry: str | None):
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        problem, fix = _explain(first, model)
        more = len(e.errors()) - 1
        if more:
            problem += f"（另有 {more} 处问题）"
        raise CatalogError(file, entry, problem, fix) from None


def _read_yaml(path: Path) -> Any:
    import yaml

    from .yamlio import load as load_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(path, None, "文件不存在", "检查目录路径，或从仓库恢复该文件") from None
    except UnicodeDecodeError:
        raise CatalogError(path, None, "不是 UTF-8 编码", "用记事本“另存为”UTF-8 编码") from None
    try:
        return load_yaml(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"第 {mark.line + 1} 行" if mark else ""
        raise CatalogError(
            path,
            None,
            f"YAML 格式错误 {line}：{getattr(e, 'problem', e)}",
            "检查缩进（用空格，不要用 Tab）、冒号后的空格和引号是否成对",
        ) from None


# ---------------------------------------------------------------- the catalog
@dataclass
class Catalog:
    root: Path
    campaign: Campaign
    units: dict[str, Unit]
    group_words: dict[str, list[str]]
    templates: dict[str, Template]
    tasks: dict[str, ResolvedTask]
    _names: dict[str, str] = field(default_factory=dict, repr=False)

    # -- units
    def find_unit(self, name: str) -> Unit | None:
        """A unit by its name, full name or any alias (spaces ignored)."""
        key = self._names.get(_norm(name))
        return self.units[key] if key else None

    def unit(self, name: str) -> Unit:
        u = self.find_unit(name)
        if u is None:
            import difflib

            guess = difflib.get_close_matches(name, list(self._names), n=3)
            raise KeyError(f"未知单位 '{name}'" + (f"（相近：{'、'.join(guess)}）" if guess else ""))
        return u

    def units_in(self, group: str) -> list[Unit]:
        return [u for u in self.units.values() if u.group == group]

    # -- tasks
    def task(self, task_id: str) -> ResolvedTask:
        tid = task_id.strip().upper()
        if tid not in self.tasks:
            raise KeyError(f"未知任务 '{task_id}'（任务编号为 D01..D33、S01..S07）")
        return self.tasks[tid]

    def tasks_for(self, unit: str) -> list[tuple[ResolvedTask, str]]:
        """(task, role) pairs a unit takes part in; role is 'lead' or 'support'."""
        name = self.unit(unit).name
        out = []
        for rt in self.tasks.values():
            if name in rt.leads:
                out.append((rt, "lead"))
            elif name in rt.supports:
                out.append((rt, "support"))
        return out

    def round_dates(self) -> list[dt.date]:
        return sorted({d for rt in self.tasks.values() for d in rt.task.rounds})

    def due_at(self, day: dt.date) -> dt.datetime:
        """The last instant that still counts as on time for a due date."""
        from zoneinfo import ZoneInfo

        return dt.datetime.combine(day, self.campaign.due_time, tzinfo=ZoneInfo(self.campaign.timezone))

    @property
    def tz(self):
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.campaign.timezone)

    def template(self, template_id: str) -> Template:
        return self.templates[template_id]


def _norm(name: str) -> str:
    return "".join(str(name).split())


def catalog_view(root: Path | str | None, cache: Path | None, name: str, render: Callable[[Catalog], str]) -> str:
    """``render(catalog)`` — a text a command prints — kept in ``cache`` (a folder of the data
    directory) while the catalog's files are unchanged: read back from there without loading
    the catalog. A catalog with a mistake is never kept (loading it raises)."""
    root = Path(root) if root else CATALOG_DIR
    key = catalog_cache.fingerprint(root) if cache is not None else ""
    if cache is not None:
        kept = catalog_cache.read(cache, name, root, key)
        if kept is not None:
            return kept
    text = render(load_catalog(root))
    if cache is not None:
        catalog_cache.write(cache, name, root, key, text)
    return text


def kept_view(root: Path | str | None, cache: Path | None, name: str) -> str | None:
    """The text ``catalog_view`` kept for this catalog folder, if its files are unchanged."""
    if cache is None:
        return None
    root = Path(root) if root else CATALOG_DIR
    return catalog_cache.read(cache, name, root, catalog_cache.fingerprint(root))


def load_catalog(root: Path | str | None = None) -> Catalog:
    """Read every catalog file under ``root`` (default: the packaged ``tasks_catalog``)."""
    from .models import Campaign, Task, Template, Unit, UnitDirectory

    root = Path(root) if root else CATALOG_DIR
    # campaign
    cpath = root / "campaign.yaml"
    campaign = _validate(Campaign, _read_yaml(cpath) or {}, cpath, None)
    _register_calendar(root)

    # units
    upath = root / "units.yaml"
    raw = _read_yaml(upath) or {}
    if not isinstance(raw, dict) or "units" not in raw:
        raise CatalogError(upath, None, "没有 units 列表", "文件应以 'units:' 开头，下面每个单位一项")
    for i, entry in enumerate(raw.get("units") or []):
        label = entry.get("name", f"第 {i + 1} 个单位") if isinstance(entry, dict) else f"第 {i + 1} 个单位"
        _validate(Unit, entry, upath, label)
    directory = _validate(UnitDirectory, raw, upath, None)
    units: dict[str, Unit] = {}
    names: dict[str, str] = {}
    for u in directory.units:
        if u.name in units:
            raise CatalogError(upath, u.name, f"单位 '{u.name}' 重复出现", "删除重复的一项，或改名")
        units[u.name] = u
        for n in u.names:
            key = _norm(n)
            if key in names and names[key] != u.name:
                raise CatalogError(
                    upath,
                    u.name,
                    f"名称或简称 '{n}' 同时属于 '{names[key]}' 和 '{u.name}'",
                    "每个简称只能指向一个单位：删掉其中一个",
                )
            names[key] = u.name
    group_words = {w: list(g) for w, g in directory.group_words.items()}
    if campaign.coordinator not in units:
        raise CatalogError(
            cpath, "coordinator", f"协调单位 '{campaign.coordinator}' 不在单位名录中", f"改为 {upath.name} 中的单位名称"
        )

    # templates
    tpath = root / "templates.yaml"
    traw = _read_yaml(tpath) or {}
    templates: dict[str, Template] = {}
    for i, entry in enumerate((traw or {}).get("templates") or []):
        label = entry.get("id", f"第 {i + 1} 个模板") if isinstance(entry, dict) else f"第 {i + 1} 个模板"
        tpl = _validate(Template, entry, tpath, label)
        if tpl.id in templates:
            raise CatalogError(tpath, tpl.id, f"模板编号 '{tpl.id}' 重复", "每个模板编号只能出现一次")
        templates[tpl.id] = tpl

    # tasks
    tasks: dict[str, ResolvedTask] = {}
    loaded: list[tuple[Path, Task]] = []
    seen_in: dict[str, Path] = {}
    for path in sorted((root / "tasks").glob("*.yaml")):
        data = _read_yaml(path)
        if not isinstance(data, dict):
            raise CatalogError(path, None, "文件内容不是一个任务", "参照其他任务文件的格式，以 'id: D01' 开头")
        task = _validate(Task, data, path, str(data.get("id") or path.stem))
        if task.id in seen_in:
            raise CatalogError(
                path,
                task.id,
                f"任务编号 {task.id} 重复（已在 {seen_in[task.id].name} 中定义）",
                "每个任务编号只能出现一次：改正编号或删除重复的文件",
            )
        seen_in[task.id] = path
        loaded.append((path, task))
    for path, task in loaded:
        if path.stem.upper() != task.id:
            raise CatalogError(
                path,
                task.id,
                f"文件名 {path.name} 与任务编号 {task.id} 不一致",
                f"把文件改名为 {task.id}.yaml，或改正 id",
            )
        tasks[task.id] = _resolve(task, path, campaign, units, names, group_words, templates)
    if not tasks:
        raise CatalogError(root / "tasks", None, "没有任何任务文件", "每个任务一个 YAML 文件，如 tasks/D01.yaml")

    return Catalog(root, campaign, units, group_words, templates, dict(sorted(tasks.items())), names)


def _register_calendar(root: Path) -> None:
    """The campaign's own working-day calendar (calendar.yaml), for the years the installed
    chinesecalendar does not know yet."""
    from .workcalendar import CALENDAR_FILE, CalendarFileError, read_calendar_file, register

    path = root / CALENDAR_FILE
    try:
        register(read_calendar_file(path))
    except CalendarFileError as e:
        raise CatalogError(
            path, None, str(e).removeprefix(f"{path}："), "按 duban campaign calendar 生成的模板格式修改"
        ) from None


def _resolve(
    task: Task,
    path: Path,
    campaign: Campaign,
    units: dict[str, Unit],
    names: dict[str, str],
    group_words: dict[str, list[str]],
    templates: dict[str, Template],
) -> ResolvedTask:
    def expand(words: list[str], role: str) -> list[str]:
        out: list[str] = []
        for w in words:
            if w in group_words:
                out += [u.name for u in units.values() if u.group in group_words[w]]
                continue
            key = names.get(_norm(w))
            if key is None:
                import difflib

                guess = difflib.get_close_matches(w, list(names) + list(group_words), n=3)
                raise CatalogError(
                    path,
                    task.id,
                    f"{role} 中的单位 '{w}' 不在单位名录中",
                    "改为 units.yaml 中的名称、简称或集合词（各区直部门、各街道办事处）"
                    + (f"；相近的有：{'、'.join(guess)}" if guess else ""),
                )
            out.append(key)
        return list(dict.fromkeys(out))

    leads = expand(task.lead, "lead")
    supports = [s for s in expand(task.support, "support") if s not in leads]
    for name in leads + supports:
        if units[name].group != task.section:
            raise CatalogError(
                path,
                task.id,
                f"单位 '{name}' 属于 {units[name].group}，不能承担 {task.section} 的任务 {task.id}",
                "区直部门只承担 D 开头的任务，街道只承担 S 开头的任务",
            )
    for d in task.rounds:
        if not (campaign.start <= d <= campaign.end):
            raise CatalogError(
                path,
                task.id,
                f"截止日期 {d} 不在活动期间 {campaign.start} 至 {campaign.end} 内",
                "改正日期（年份是否写成了 2021？），或在 campaign.yaml 中调整活动起止日期",
            )
    for i, item in enumerate(task.evidence):
        _check_item(item, f"{task.id} evidence[{i}]", path, templates)
    from .models import ResolvedTask

    return ResolvedTask(task=task, leads=tuple(leads), supports=tuple(supports))


def _check_item(item: EvidenceItem, entry: str, path: Path, templates: dict[str, Template]) -> None:
    if item.template is None:
        if item.kind == "figures":
            raise CatalogError(
                path, entry, "figures 需要指定 template", "写上 templates.yaml 中 kind: figures 的模板编号"
            )
        return
    tpl = templates.get(item.template)
    if tpl is None:
        import difflib

        guess = difflib.get_close_matches(item.template, list(templates), n=3)
        raise CatalogError(
            path,
            entry,
            f"模板 '{item.template}' 不存在",
            "改为 templates.yaml 中的模板编号" + (f"，如 {'、'.join(guess)}" if guess else ""),
        )
    if item.kind == "ledger" and tpl.kind != "ledger":
        raise CatalogError(
            path,
            entry,
            f"台账要求引用的模板 '{tpl.id}' 不是台账模板（kind: {tpl.kind}）",
            "引用 kind: ledger 的模板，或把本项改为 kind: document",
        )
    if item.kind == "figures" and tpl.kind != "figures":
        raise CatalogError(path, entry, f"模板 '{tpl.id}' 不是数据表模板", "引用 kind: figures 的模板")
    cols = {c.name for c in tpl.columns}
    for what, col in (("window", item.window and item.window.column), ("ratio", item.ratio and item.ratio.column)):
        if col and col not in cols:
            raise CatalogError(
                path,
                entry,
                f"{what} 使用的列 '{col}' 不在模板 {tpl.id} 中",
                f"改为模板中的列名：{'、'.join(sorted(cols))}",
            )
    if item.window and item.window.end < item.window.start:
        raise CatalogError(path, entry, "window 的结束日期早于开始日期", "交换 start 与 end")
    fields = {f.name for f in tpl.fields}
    for r in item.ratios:
        for f in (r.numerator, r.denominator):
            if f not in fields:
                raise CatalogError(
                    path,
                    entry,
                    f"比例 '{r.label}' 使用的数据项 '{f}' 不在模板 {tpl.id} 中",
                    f"改为：{'、'.join(sorted(fields))}",
                )
