"""Walk the shared evidence folder and map every file to (unit, task, round).

The scanner reads names and ``stat`` data only — never file contents (hashing and
inspection happen later, and only for new or changed files). Anything it cannot map is
returned as *unrecognized* with a reason in Chinese; nothing is dropped silently except
Office lock files, system files and hidden files.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from duban.tasks_catalog import Catalog, ResolvedTask, Unit

from .layout import INSTRUCTIONS_FILE, parse_round_folder, parse_task_folder, parse_unit_folder

IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store", INSTRUCTIONS_FILE.lower()}


def is_ignored(name: str) -> bool:
    """Office lock files (``~$x.xlsx``), system files and hidden files never count."""
    low = name.lower()
    return name.startswith("~$") or name.startswith(".") or low in IGNORED_NAMES or low.endswith(".tmp")


@dataclass
class ScannedFile:
    rel: str  # relative to the evidence root, '/' separated
    path: Path  # absolute path to read (the link target for links that stay inside)
    unit: str
    task: str
    round: dt.date | None  # from a round folder; None = loose in the task folder
    size: int
    mtime: float  # POSIX seconds: the submission time
    mtime_ns: int
    inode: int


@dataclass
class Unrecognized:
    rel: str
    reason: str


@dataclass
class Scan:
    root: Path
    files: list[ScannedFile] = field(default_factory=list)
    unrecognized: list[Unrecognized] = field(default_factory=list)


class EvidenceRootError(Exception):
    """The evidence root is missing or unreadable: no round may proceed on it."""

    def __init__(self, reason: str, code: str = "unreadable"):
        super().__init__(reason)
        self.reason, self.code = reason, code


def root_problem(root: Path | str) -> EvidenceRootError | None:
    """Why the evidence root cannot be scanned (``code`` missing | unreadable), or None.

    The one readability check of the share: the scanner, the guard and the flows all ask here.
    """
    root = Path(root)
    if not root.exists():
        return EvidenceRootError(f"佐证材料根目录 {root} 不存在或无法访问（共享盘是否已断开？）", "missing")
    if not root.is_dir():
        return EvidenceRootError(f"佐证材料根目录 {root} 不是文件夹：请检查 --evidence 参数或 evidence_root 设置")
    try:
        with os.scandir(root) as it:
            next(it, None)
    except OSError as e:
        return EvidenceRootError(f"无法读取佐证材料根目录 {root}（{e.strerror or e}）：请检查共享盘权限")
    return None


def check_root(root: Path) -> None:
    problem = root_problem(root)
    if problem is not None:
        raise problem


def scan_tree(root: Path, catalog: Catalog) -> Scan:
    root = Path(root)
    check_root(root)
    scan = Scan(root)
    real_root = root.resolve()
    for entry in _entries(root):
        rel = entry.name
        if is_ignored(entry.name):
            continue
        if not _is_dir(entry):
            scan.unrecognized.append(Unrecognized(rel, "文件直接放在根目录，不属于任何单位：请放入本单位的文件夹"))
            continue
        unit = parse_unit_folder(entry.name, catalog)
        if unit is None:
            n = _count_files(Path(entry.path))
            scan.unrecognized.append(
                Unrecognized(
                    rel + "/",
                    f"无法识别的单位文件夹 '{entry.name}'（内有 {n} 个文件）：请用单位名录中的名称或简称命名，如 区发改局、发改局",
                )
            )
            continue
        unit_real = Path(entry.path).resolve()
        if entry.is_symlink() and not _inside(unit_real, real_root):
            scan.unrecognized.append(
                Unrecognized(rel + "/", "单位文件夹是指向共享文件夹以外的链接，不计入：请把材料本身放进来")
            )
            continue
        _scan_unit(Path(entry.path), rel, unit, unit_real, catalog, scan)
    return scan


def _scan_unit(path: Path, rel: str, unit: Unit, unit_real: Path, catalog: Catalog, scan: Scan) -> None:
    for entry in _entries(path):
        erel = f"{rel}/{entry.name}"
        if is_ignored(entry.name):
            continue
        if entry.is_symlink() and not _inside(Path(entry.path).resolve(), unit_real):
            scan.unrecognized.append(
                Unrecognized(erel, "这是指向本单位文件夹以外的链接，不计入：请把材料本身放入本单位文件夹")
            )
            continue
        if not _is_dir(entry):
            scan.unrecognized.append(
                Unrecognized(erel, "文件直接放在单位文件夹里，看不出属于哪项任务：请放入对应任务编号的文件夹（如 07）")
            )
            continue
        task, reason = parse_task_folder(entry.name, unit, catalog)
        if task is None:
            scan.unrecognized.append(Unrecognized(erel + "/", reason or "无法识别的任务文件夹"))
            continue
        if unit.name not in task.leads and unit.name not in task.supports:
            scan.unrecognized.append(
                Unrecognized(
                    erel + "/",
                    f"{unit.name} 不是任务 {task.id} 的责任单位，材料不计入：请确认任务编号（可运行 duban catalog --unit {unit.name} 查看本单位任务）",
                )
            )
            continue
        _scan_task(Path(entry.path), erel, unit, task, None, unit_real, catalog, scan, depth=0)


def _scan_task(
    path: Path,
    rel: str,
    unit: Unit,
    task: ResolvedTask,
    round_date: dt.date | None,
    unit_real: Path,
    catalog: Catalog,
    scan: Scan,
    depth: int,
) -> None:
    multi = len(task.task.rounds) > 1
    for entry in _entries(path):
        erel = f"{rel}/{entry.name}"
        if is_ignored(entry.name):
            continue
        if entry.is_symlink():
            target = Path(entry.path).resolve()
            if not _inside(target, unit_real):
                scan.unrecognized.append(
                    Unrecognized(
                        erel, f"这是指向本单位文件夹以外（{target}）的链接，不计入：请把文件本身放入本单位文件夹"
                    )
                )
                continue
        if _is_dir(entry):
            if depth > 8:
                scan.unrecognized.append(Unrecognized(erel + "/", "文件夹层级过深，未读取"))
                continue
            this_round = round_date
            if multi and round_date is None and depth == 0:
                parsed, reason = parse_round_folder(entry.name, task, catalog.campaign.year)
                if reason:
                    scan.unrecognized.append(Unrecognized(erel + "/", reason))
                    continue
                this_round = parsed  # None: an ordinary subfolder, its files are loose
            _scan_task(Path(entry.path), erel, unit, task, this_round, unit_real, catalog, scan, depth + 1)
            continue
        try:
            st = os.stat(entry.path)  # follows links that stay inside the unit folder
        except OSError as e:
            scan.unrecognized.append(Unrecognized(erel, f"无法读取文件信息：{e.strerror or e}"))
            continue
        if not stat.S_ISREG(st.st_mode):
            scan.unrecognized.append(Unrecognized(erel, "不是普通文件，已跳过"))
            continue
        scan.files.append(
            ScannedFile(
                erel,
                Path(entry.path),
                unit.name,
                task.id,
                round_date,
                st.st_size,
                st.st_mtime,
                st.st_mtime_ns,
                st.st_ino,
            )
        )


def _entries(path: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=True)
    except OSError:
        return False


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def _count_files(path: Path) -> int:
    n = 0
    for _, _, files in os.walk(path):
        n += sum(1 for f in files if not is_ignored(f))
    return n
