"""``duban init-folders``: lay out the shared folder for every unit, task and round.

Creates ``<root>/<unit>/<NN-task title>/[第N轮/]`` for every task a unit leads, a
``说明.txt`` in each task folder (the task text, what to hand in, due dates, template),
and the blank template ``.xlsx`` where a ledger is required. It only ever adds: an
existing folder or file — anything a unit put there — is never overwritten, moved or
deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from duban.tasks_catalog import Catalog, ResolvedTask
from duban.tasks_catalog.views import cn_date, deadline_text, item_text, round_name, units_text

from .blank_templates import make_blank_template_xlsx, template_filename
from .layout import INSTRUCTIONS_FILE, parse_round_folder, parse_task_folder, parse_unit_folder, task_folder_name


@dataclass
class InitReport:
    created_dirs: list[Path] = field(default_factory=list)
    created_files: list[Path] = field(default_factory=list)
    kept: int = 0  # files that already existed and were left alone


def instructions(rt: ResolvedTask, catalog: Catalog, unit: str) -> str:
    t = rt.task
    lines = [
        f"任务 {t.id}：{t.title}",
        "",
        "【具体任务】",
        t.text,
        "",
        f"【责任单位】{units_text(rt, catalog)}",
        f"【完成时限】{deadline_text(rt)}" + ("（截止日当天 24 时前提交均算按时）" if t.rounds else ""),
        "",
        "【需要报送】",
    ]
    if t.platform:
        lines.append(f"系统判定事项，由{catalog.campaign.coordinator}确认，无需上传材料。")
    elif not t.evidence:
        lines.append("无需报送材料。")
    for item in t.evidence:
        lines.append(f"- {item_text(item, catalog)}")
    if len(t.rounds) > 1:
        lines += ["", "【放在哪里】每一轮的材料放进对应的轮次文件夹："]
        lines += [f"- {round_name(i)}：{cn_date(d)}前" for i, d in enumerate(t.rounds)]
    else:
        lines += ["", "【放在哪里】材料直接放在本文件夹中。"]
    if any(i.kind in ("ledger", "figures") and i.template for i in t.evidence):
        where = "各轮次文件夹" if len(t.rounds) > 1 else "本文件夹"
        lines += ["", f"台账请使用{where}中的空白模板填写（不要改动表头）；空白模板本身不计入。"]
    if any(i.kind == "link" for i in t.evidence):
        lines += ["链接可写在 .txt、Word 或 Excel 文件里。"]
    lines += ["文件请勿加密码、不要压缩打包。", f"本单位：{unit}。有疑问请联系{catalog.campaign.coordinator}。", ""]
    return "\n".join(lines)


def init_folders(root: Path, catalog: Catalog, *, units: list[str] | None = None) -> InitReport:
    """Lay out (or complete) the skeleton. A folder a unit already made or renamed in any
    accepted form (``发改局``, ``07``, ``第1轮`` ...) is reused, never duplicated."""
    report = InitReport()
    root = Path(root)
    wanted = {catalog.unit(u).name for u in units} if units else None
    unit_dirs = _existing(root, lambda name: getattr(parse_unit_folder(name, catalog), "name", None))
    for rt in catalog.tasks.values():
        for unit in rt.leads:
            if wanted and unit not in wanted:
                continue
            udir = unit_dirs.setdefault(unit, root / unit)
            u = catalog.units[unit]
            tasks_here = _existing(udir, lambda name, u=u: getattr(parse_task_folder(name, u, catalog)[0], "id", None))
            base = tasks_here.get(rt.id, udir / task_folder_name(rt))
            _mkdir(base, report)
            _write_new(base / INSTRUCTIONS_FILE, instructions(rt, catalog, unit).encode("utf-8-sig"), report)
            rounds = rt.task.rounds
            targets = [base]
            if len(rounds) > 1:
                year = catalog.campaign.year
                have = _existing(base, lambda name, rt=rt, year=year: parse_round_folder(name, rt, year)[0])
                targets = [have.get(d, base / round_name(i)) for i, d in enumerate(rounds)]
            for folder in targets:
                _mkdir(folder, report)
                for item in rt.task.evidence:
                    if item.template and catalog.templates[item.template].kind in ("ledger", "figures"):
                        tpl = catalog.templates[item.template]
                        path = folder / template_filename(tpl.id, tpl.title)
                        if path.exists():
                            report.kept += 1
                        else:
                            make_blank_template_xlsx(path, tpl)
                            report.created_files.append(path)
    return report


def _existing(folder: Path, key) -> dict:
    """Existing subfolders of ``folder`` by what their names mean (first one wins, sorted)."""
    out: dict = {}
    if folder.is_dir():
        for p in sorted(folder.iterdir()):
            if p.is_dir() and not p.name.startswith("."):
                k = key(p.name)
                if k is not None:
                    out.setdefault(k, p)
    return out


def _mkdir(path: Path, report: InitReport) -> None:
    if not path.exists():
        path.mkdir(parents=True)
        report.created_dirs.append(path)


def _write_new(path: Path, data: bytes, report: InitReport) -> None:
    if path.exists():
        report.kept += 1
        return
    with open(path, "xb") as f:  # never overwrite, even in a race
        f.write(data)
    report.created_files.append(path)
