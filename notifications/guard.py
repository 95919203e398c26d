"""The guard: a dropped or emptied evidence share must not email every unit that it is late.

``evaluate`` looks at the evidence root before any reminder goes out. When the root is
missing or unreadable, empty, or holds far fewer files than at the last run, reminders to
units are held back and the coordinator gets one alert instead (``--force`` overrides
after a human look).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from duban.evidence.scanner import root_problem


@dataclass(frozen=True)
class GuardResult:
    ok: bool
    reason: str  # plain Chinese, for the coordinator ("" when ok)
    code: str = "ok"  # ok | missing | unreadable | empty | shrunk | unmapped | forced
    files_now: int | None = None
    files_last: int | None = None
    root: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def count_files(root: Path) -> int:
    """Regular files under ``root`` (every file counts: instructions, templates, evidence).

    Raises ``OSError`` when the root itself cannot be listed.
    """
    total = 0
    errors: list[OSError] = []
    for _dirpath, _dirs, files in os.walk(root, onerror=errors.append):
        total += len(files)
    if errors and errors[0].filename and Path(errors[0].filename) == Path(root):
        raise errors[0]
    return total


def has_any_file(root: Path) -> bool:
    return any(files for _dirpath, _dirs, files in os.walk(root))


def evaluate(
    evidence_root: Path, files_now: int | None, files_last: int | None, *, min_fraction: float = 0.5
) -> GuardResult:
    """Is it safe to remind units from a check of ``evidence_root``?

    ``files_now``: files in the root now (counted here when None); ``files_last``: files
    at the last run that sent reminders (None: no earlier run, nothing to compare).
    """
    root = Path(evidence_root)
    shown = str(evidence_root)
    hold = "今日不向各单位发送提醒"
    problem = root_problem(root)
    if problem is not None:
        return GuardResult(
            False,
            f"{problem.reason}：{hold}。恢复后重新运行；确认无误可加 --force。",
            problem.code,
            None,
            files_last,
            shown,
        )
    try:
        if files_now is None:
            files_now = count_files(root)
            empty = files_now == 0
        else:  # the caller's count may be evidence files only: empty means no file at all
            empty = files_now == 0 and not has_any_file(root)
    except OSError as e:
        return GuardResult(
            False,
            f"证据目录 {shown} 无法读取（{e.strerror or e}）：{hold}。请检查共享盘权限后重新运行。",
            "unreadable",
            None,
            files_last,
            shown,
        )
    if empty:
        return GuardResult(
            False,
            f"证据目录 {shown} 是空的（一个文件也没有）：{hold}。"
            f"如果共享盘被清空或挂载错误，请先恢复；确认无误可加 --force。",
            "empty",
            0,
            files_last,
            shown,
        )
    if files_last and files_now < min_fraction * files_last:
        return GuardResult(
            False,
            f"证据目录 {shown} 现有 {files_now} 个文件，上次有 {files_last} 个，"
            f"少于 {min_fraction:.0%}：{hold}。请确认文件是否被误删或移走；"
            f"确认无误可加 --force。",
            "shrunk",
            files_now,
            files_last,
            shown,
        )
    return GuardResult(True, "", "ok", files_now, files_last, shown)
