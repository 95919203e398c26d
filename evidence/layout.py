"""The shared-folder convention: ``<root>/<unit>/<task>/<round>/<files>``.

Both directions live here: the canonical names ``duban init-folders`` creates, and the
parsing of every form a clerk may type (DESIGN.md, "Folder convention"):

- unit: the unit's name, full name or any alias (``区发改局``, ``发改局``);
- task: ``7``, ``07``, ``D07``, ``任务7``, ``第7项``, optionally followed by a title
  (``07-信用承诺``, ``7 信用承诺``); the number is in the unit's own section;
- round (tasks with several rounds): ``第一轮``, ``第1轮`` ... or the due date
  (``2021-06-10``, ``0610``, ``6月10日``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import PurePosixPath

from duban.tasks_catalog import Catalog, ResolvedTask, Unit
from duban.tasks_catalog.views import CN_NUM, round_name

INSTRUCTIONS_FILE = "说明.txt"


# ---------------------------------------------------------------- canonical names
def task_folder_name(task: ResolvedTask) -> str:
    return f"{task.task.number:02d}-{task.task.title}"


def folder_for(task: ResolvedTask, unit: Unit | str, round_date: dt.date | None = None) -> PurePosixPath:
    """Where a unit puts evidence for a task (and round), relative to the evidence root."""
    name = unit.name if isinstance(unit, Unit) else unit
    p = PurePosixPath(name) / task_folder_name(task)
    rounds = task.task.rounds
    if round_date is not None and len(rounds) > 1:
        p = p / round_name(rounds.index(round_date))
    return p


# ---------------------------------------------------------------- parsing
def _clean(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip()


_TASK = re.compile(r"^(?:(?P<sec>[DdSs])|任务|第)?\s*0*(?P<num>\d{1,2})(?:\s*项)?(?!\d)(?P<rest>.*)$")
_TITLE_SEP = re.compile(r"^(?:$|[\s\-_—.、:：()（）\[\]【】]|[^\d])")


def parse_task_folder(name: str, unit: Unit, catalog: Catalog) -> tuple[ResolvedTask | None, str | None]:
    """The task a folder name means for this unit, or (None, reason in Chinese)."""
    m = _TASK.match(_clean(name))
    if not m or not _TITLE_SEP.match(m.group("rest")):
        return None, f"文件夹名 '{name}' 看不出任务编号：请用任务序号命名，如 07、D07、任务7、第7项"
    prefix = "D" if unit.group == "departments" else "S"
    sec = (m.group("sec") or prefix).upper()
    if sec != prefix:
        return None, f"'{name}' 是{'街道' if sec == 'S' else '区直部门'}的任务编号，{unit.name} 的任务以 {prefix} 开头"
    tid = f"{prefix}{int(m.group('num')):02d}"
    task = catalog.tasks.get(tid)
    if task is None:
        return None, f"任务 {tid} 不在任务清单中：请检查文件夹编号"
    return task, None


_ROUND_CN = re.compile(r"^第\s*(?P<n>[一二三四五六七八九十]|\d{1,2})\s*轮")
_DATE_FORMS = [
    re.compile(r"^(?P<y>20\d\d)[-./年]?(?P<m>\d{1,2})[-./月]?(?P<d>\d{1,2})日?"),
    re.compile(r"^(?P<m>\d{1,2})月(?P<d>\d{1,2})日?"),
    re.compile(r"^(?P<m>\d{2})(?P<d>\d{2})(?!\d)"),
    re.compile(r"^(?P<m>\d{1,2})[-.](?P<d>\d{1,2})(?!\d)"),
]


def parse_round_folder(name: str, task: ResolvedTask, year: int) -> tuple[dt.date | None, str | None]:
    """The round date a folder name means for a task, or (None, reason in Chinese)."""
    text = _clean(name)
    rounds = task.task.rounds
    m = _ROUND_CN.match(text)
    if m:
        n = m.group("n")
        idx = CN_NUM.index(n) if n in CN_NUM else int(n) - 1
        if 0 <= idx < len(rounds):
            return rounds[idx], None
        return None, f"任务 {task.id} 只有 {len(rounds)} 轮，没有'{name}'：请放入 " + "、".join(
            round_name(i) for i in range(len(rounds))
        )
    for rx in _DATE_FORMS:
        m = rx.match(text)
        if not m:
            continue
        try:
            day = dt.date(
                int(m.group("y")) if "y" in m.groupdict() and m.group("y") else year,
                int(m.group("m")),
                int(m.group("d")),
            )
        except ValueError:
            break
        if day in rounds:
            return day, None
        return None, f"任务 {task.id} 没有截止日期为 {day.isoformat()} 的一轮：应为 " + "、".join(
            f"{round_name(i)}（{d.month}月{d.day}日）" for i, d in enumerate(rounds)
        )
    return None, None  # not a round folder name at all


def parse_unit_folder(name: str, catalog: Catalog) -> Unit | None:
    return catalog.find_unit(_clean(name))
