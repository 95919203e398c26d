"""The guard: a dropped or emptied evidence share must not email every unit that it is late.

``evaluate`` looks at the evidence root before any reminder goes out. When the root is
missing or unreadable, empty, or holds far fewer evidence files than at the last run,
reminders to units are held back and the coordinator gets one alert instead (``--force``
overrides after a human look). Only evidence counts: a share whose uploads were wiped while
the skeleton (``说明.txt``, the blank templates) stayed is a shrunken share.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from duban.evidence.scanner import is_ignored, root_problem
from duban.evidence.share import Finding, Share
from duban.evidence.share import shown as show
from duban.evidence.skeleton import Placed


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


def count_evidence(root: Path, placed: dict[str, Placed] | None = None) -> tuple[int, bool]:
    """(evidence files under ``root``, whether there is any file at all).

    Evidence only: ``说明.txt``, lock, system and hidden files and the blank forms duban
    placed (``placed``: by size, then by hash) are the skeleton of the share, and a share
    whose real evidence was wiped but whose skeleton remains must not pass. The walk is
    iterative and as deep as the check reads (a folder 1,100 levels deep costs nothing).
    Raises ``OSError`` when the root itself cannot be listed."""
    share = Share(root)
    sizes = {p.size for p in (placed or {}).values()}
    total, anything = 0, False
    for item in share.walk_files(root):
        if isinstance(item, Finding):
            if item.rel in (".", show(str(root))):
                raise OSError(item.reason)
            continue
        name, path = item
        anything = True
        if is_ignored(name) or _is_placed(share, path, sizes, placed):
            continue
        total += 1
    return total, anything


def _is_placed(share: Share, path: str, sizes: set[int], placed: dict[str, Placed] | None) -> bool:
    if not placed:
        return False
    st = share.stat(path)
    if isinstance(st, Finding) or st.st_size not in sizes:
        return False
    got = share.hash(path)
    return not isinstance(got, Finding) and got.sha256 in placed


def evaluate(
    evidence_root: Path,
    files_now: int | None,
    files_last: int | None,
    *,
    min_fraction: float = 0.5,
    placed: dict[str, Placed] | None = None,
) -> GuardResult:
    """Is it safe to remind units from a check of ``evidence_root``?

    ``files_now``: evidence files in the root now (counted here when None, see
    :func:`count_evidence`); ``files_last``: evidence files at the last run that sent
    reminders (None: no earlier run, nothing to compare); ``placed``: the blank forms duban
    put in the share (not evidence).
    """
    root = Path(evidence_root)
    shown = show(str(evidence_root))
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
        counted, anything = count_evidence(root, placed)
    except OSError as e:
        return GuardResult(
            False,
            f"证据目录 {shown} 无法读取（{e.strerror or e}）：{hold}。请检查共享盘权限后重新运行。",
            "unreadable",
            None,
            files_last,
            shown,
        )
    if files_now is None:
        files_now = counted
    empty = not anything
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
            f"证据目录 {shown} 现有 {files_now} 个佐证文件（不含说明和空白模板），上次有 {files_last} 个，"
            f"少于 {min_fraction:.0%}：{hold}。请确认文件是否被误删或移走；"
            f"确认无误可加 --force。",
            "shrunk",
            files_now,
            files_last,
            shown,
        )
    return GuardResult(True, "", "ok", files_now, files_last, shown)
