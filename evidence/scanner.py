"""Walk the shared evidence folder and map every file to (unit, task, round).

The scanner reads names and ``stat`` data only — one ``stat`` per file, never file contents
(hashing and inspection happen later, and only for new or changed files) — and only through
:class:`evidence.share.Share`, so a folder or file it cannot read is a finding, never an
exception. What it finds falls in three lists, and nothing else is dropped except Office
lock files, system files, hidden files and ``说明.txt``:

- ``files``: mapped to (unit, task, round) — a stream (:func:`walk_tree`) of compact
  records, so a check of 100,000 files never holds them all as objects;
- ``unrecognized``: cannot be mapped (a reason in Chinese for each);
- ``unreadable``: could not be read (no permission, gone during the scan, a link loop, a
  name too long ...), with the unit, task and round it belongs to as far as its place in
  the tree tells, so the check never judges those obligations ``missing``.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from duban.tasks_catalog import Catalog, ResolvedTask, Unit

from .layout import INSTRUCTIONS_FILE, parse_round_folder, parse_task_folder, parse_unit_folder
from .share import MAX_DEPTH, Entry, Finding, Share, encoding_note, is_clean, name_text, shown

IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store", INSTRUCTIONS_FILE.lower()}
TASK_DEPTH = MAX_DEPTH - 3  # subfolders read below a task folder (the root, unit and task take 3)


def is_ignored(name: str) -> bool:
    """Office lock files (``~$x.xlsx``), system files and hidden files never count."""
    low = name.lower()
    return name.startswith("~$") or name.startswith(".") or low in IGNORED_NAMES or low.endswith(".tmp")


class ScannedFile(NamedTuple):
    """One mapped file (a tuple: a walk makes one per file)."""

    rel: str  # relative to the evidence root, '/' separated, as the OS names it (surrogateescape)
    unit: str
    task: str
    round: dt.date | None  # from a round folder; None = loose in the task folder
    size: int
    mtime_ns: int
    inode: int
    linked: bool = False  # reached through a link (the file really lies elsewhere in the unit's folder)

    @property
    def mtime(self) -> float:
        """POSIX seconds (the submission time), as ``os.stat_result.st_mtime`` gives it."""
        return mtime_of(self.mtime_ns)

    @property
    def signature(self) -> tuple[int, int, int]:
        return (self.size, self.mtime_ns, self.inode)


def mtime_of(ns: int) -> float:
    """``st_mtime`` from ``st_mtime_ns``, computed the way the OS module does (same float)."""
    sec, nsec = divmod(ns, 1_000_000_000)
    return sec + nsec * 1e-9


@dataclass
class Unrecognized:
    rel: str  # shown form (undecodable bytes made visible)
    reason: str


@dataclass
class Unreadable:
    """A folder or file that could not be read, and whose obligations it may hold evidence for."""

    rel: str  # shown form
    reason: str
    unit: str | None = None  # None: not inside a recognised unit folder
    task: str | None = None  # None: any task of the unit
    round: dt.date | None = None  # None: any round of the task
    code: str = "io"


@dataclass
class Scan:
    root: Path
    files: list[ScannedFile] = field(default_factory=list)
    unrecognized: list[Unrecognized] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)

    def skip(self, rel: str, reason: str) -> None:
        self.unrecognized.append(Unrecognized(shown(rel), reason))

    def cannot_read(
        self, found: Finding, unit: str | None = None, task: str | None = None, rnd: dt.date | None = None
    ) -> None:
        self.unreadable.append(Unreadable(found.rel, found.reason, unit, task, rnd, found.code))


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
    where = shown(str(root))
    if not is_clean(str(root)):  # names inside may be anything; the root is what the office typed
        return EvidenceRootError(
            f"佐证材料根目录的路径 {where} 不是 UTF-8 编码：请把共享盘挂载到 UTF-8 名称的目录（如 /srv/share），"
            "并在 --evidence 或 evidence_root 中使用该路径"
        )
    share = Share(root)
    st = share.stat(root, rel=str(root))
    if isinstance(st, Finding):
        if st.code in ("vanished", "io") and not os.path.lexists(root):
            return EvidenceRootError(f"佐证材料根目录 {where} 不存在或无法访问（共享盘是否已断开？）", "missing")
        return EvidenceRootError(f"无法读取佐证材料根目录 {where}：{st.reason}")
    if not stat.S_ISDIR(st.st_mode):
        return EvidenceRootError(f"佐证材料根目录 {where} 不是文件夹：请检查 --evidence 参数或 evidence_root 设置")
    listed = share.entries(root, rel=str(root))
    if isinstance(listed, Finding):
        return EvidenceRootError(f"无法读取佐证材料根目录 {where}：{listed.reason}")
    return None


def check_root(root: Path) -> None:
    problem = root_problem(root)
    if problem is not None:
        raise problem


def scan_tree(root: Path, catalog: Catalog) -> Scan:
    """The whole scan at once (``files`` as a list): for tests and small trees."""
    scan = Scan(Path(root))
    scan.files = list(walk_tree(scan, catalog))
    return scan


def walk_tree(scan: Scan, catalog: Catalog) -> Iterator[ScannedFile]:
    """The mapped files under ``scan.root``, one at a time, in a stable order (unit, task,
    then folder by folder, names sorted); what cannot be mapped or read goes to ``scan``'s
    lists as the walk reaches it. Raises :class:`EvidenceRootError` before the first file
    when the root itself cannot be read."""
    check_root(scan.root)
    return _Scanner(Share(scan.root), catalog, scan).run()


class _Scanner:
    def __init__(self, share: Share, catalog: Catalog, scan: Scan):
        self.share, self.catalog = share, catalog
        self.scan = scan
        self.real_root = share.real(share.root) or share.root

    def run(self) -> Iterator[ScannedFile]:
        listed = self.share.entries(self.share.root)
        if isinstance(listed, Finding):  # the root was readable a moment ago
            self.scan.cannot_read(listed)
            return
        units = self._unit_folders(listed)
        for entry in listed:
            if is_ignored(entry.name):
                continue
            rel = entry.name
            if entry.error is not None:
                self.scan.cannot_read(self.share.finding(entry.path, entry.error, rel=rel))
                continue
            if not entry.is_dir:
                self.scan.skip(rel, "文件直接放在根目录，不属于任何单位：请放入本单位的文件夹")
                continue
            unit = units.get(entry.name)
            if unit is None:
                self._unknown_unit(entry)
                continue
            unit_real = self.share.real(entry.path)
            if unit_real is None or not _inside(unit_real, self.real_root):
                self.scan.skip(rel + "/", "单位文件夹是指向共享文件夹以外的链接，不计入：请把材料本身放进来")
                continue
            alias = self._aliased(entry, unit, unit_real, listed, units)
            if alias:
                self.scan.skip(rel + "/", alias)
                continue
            yield from self._unit(entry, rel, unit, unit_real)

    def _unit_folders(self, listed: list[Entry]) -> dict[str, Unit]:
        out = {}
        for e in listed:
            if e.is_dir and not is_ignored(e.name):
                unit = parse_unit_folder(name_text(e.name), self.catalog)
                if unit is not None:
                    out[e.name] = unit
        return out

    def _aliased(
        self, entry: Entry, unit: Unit, unit_real: Path, listed: list[Entry], units: dict[str, Unit]
    ) -> str | None:
        """A unit folder that is a link to another folder at the root (an alias made with a link)."""
        if not entry.is_link:
            return None
        for other in listed:
            if other.name == entry.name or other.is_link or other.name not in units:
                continue
            if self.share.real(other.path) == unit_real:
                owner = units[other.name]
                if owner.name == unit.name:
                    return f"与“{shown(other.name)}”是同一个文件夹（链接），其中的材料只读取一次"
                return (
                    f"单位文件夹是指向“{shown(other.name)}”（{owner.name}）的链接：同一份材料只计入一个单位，"
                    f"不计入{unit.name}。请把{unit.name}自己的材料放在本单位文件夹中"
                )
        return None

    def _unknown_unit(self, entry: Entry) -> None:
        note = encoding_note(entry.name)
        n, unreadable = self._count_files(entry.path)
        inside = f"内有 {n} 个文件" + ("，部分子文件夹无法读取" if unreadable else "")
        self.scan.skip(
            entry.name + "/",
            f"无法识别的单位文件夹 '{shown(entry.name)}'（{inside}）：请用单位名录中的名称或简称命名，如 区发改局、发改局"
            + (f"。{note}" if note else ""),
        )

    def _count_files(self, path: str) -> tuple[int, bool]:
        n, unreadable = 0, False
        for item in self.share.walk_files(path):
            if isinstance(item, Finding):
                unreadable = True
            elif not is_ignored(item[0]):
                n += 1
        return n, unreadable

    def _unit(self, entry: Entry, rel: str, unit: Unit, unit_real: Path) -> Iterator[ScannedFile]:
        listed = self.share.entries(entry.path, what="单位文件夹", rel=rel + "/")
        if isinstance(listed, Finding):
            self.scan.cannot_read(listed, unit.name)
            return
        for e in listed:
            erel = f"{rel}/{e.name}"
            if is_ignored(e.name):
                continue
            if e.error is not None:
                self.scan.cannot_read(self.share.finding(e.path, e.error, rel=erel), unit.name)
                continue
            if e.is_link and not _inside(self.share.real(e.path) or Path("/"), unit_real):
                self.scan.skip(erel, "这是指向本单位文件夹以外的链接，不计入：请把材料本身放入本单位文件夹")
                continue
            if not e.is_dir:
                self.scan.skip(
                    erel, "文件直接放在单位文件夹里，看不出属于哪项任务：请放入对应任务编号的文件夹（如 07）"
                )
                continue
            task, reason = parse_task_folder(name_text(e.name), unit, self.catalog)
            if task is None:
                self.scan.skip(erel + "/", reason or "无法识别的任务文件夹")
                continue
            if unit.name not in task.leads and unit.name not in task.supports:
                self.scan.skip(
                    erel + "/",
                    f"{unit.name} 不是任务 {task.id} 的责任单位，材料不计入：请确认任务编号（可运行 duban catalog --unit {unit.name} 查看本单位任务）",
                )
                continue
            yield from _TaskWalk(self, unit, task, unit_real).run(e.path, erel)


class _TaskWalk:
    """Everything below one task folder of one unit: round folders, subfolders, files."""

    def __init__(self, scanner: _Scanner, unit: Unit, task: ResolvedTask, unit_real: Path):
        self.s, self.unit, self.task, self.unit_real = scanner, unit, task, unit_real
        self.share, self.scan = scanner.share, scanner.scan
        self.multi = len(task.task.rounds) > 1
        self.unit_name, self.task_id = unit.name, task.id
        self.seen: set[tuple[int, int]] = set()  # folders read (device, inode): a link loop is read once

    def cannot_read(self, found: Finding, round_date: dt.date | None) -> None:
        self.scan.cannot_read(found, self.unit.name, self.task.id, round_date)

    def run(self, path: str, rel: str) -> Iterator[ScannedFile]:
        # iterative: (folder path, rel, round, depth, reached through a link)
        stack: list[tuple[str, str, dt.date | None, int, bool]] = [(path, rel, None, 0, False)]
        while stack:
            folder, frel, round_date, depth, linked = stack.pop()
            st = self.share.stat(folder, rel=frel + "/")
            if isinstance(st, Finding):
                self.cannot_read(st, round_date)
                continue
            if (st.st_dev, st.st_ino) in self.seen:
                self.scan.skip(frel + "/", "链接指向已读取过的文件夹（循环或重复链接），已跳过：请删除该链接")
                continue
            self.seen.add((st.st_dev, st.st_ino))
            what = "轮次文件夹" if round_date and depth == 1 else "任务文件夹" if depth == 0 else "文件夹"
            listed = self.share.entries(folder, what=what, rel=frel + "/")
            if isinstance(listed, Finding):
                self.cannot_read(listed, round_date)
                continue
            below: list[tuple[str, str, dt.date | None, int, bool]] = []
            for e in listed:
                if is_ignored(e.name):
                    continue
                erel = f"{frel}/{e.name}"
                found: ScannedFile | tuple[str, str, dt.date | None, int, bool] | None
                if e.error is None and not e.is_link and not e.is_dir:  # a plain file: the common case
                    found = self._file(e, erel, round_date, linked)
                else:
                    found = self._entry(e, erel, round_date, depth, linked)
                if isinstance(found, ScannedFile):
                    yield found
                elif found is not None:
                    below.append(found)
            stack.extend(reversed(below))

    def _entry(
        self, e: Entry, erel: str, round_date: dt.date | None, depth: int, linked: bool
    ) -> ScannedFile | tuple[str, str, dt.date | None, int, bool] | None:
        """A folder to walk (a tuple for the stack), a file, or None (skipped or unreadable)."""
        if e.error is not None:
            self.cannot_read(self.share.finding(e.path, e.error, rel=erel), round_date)
            return None
        if e.is_link:
            target = self.share.real(e.path)
            if target is None or not _inside(target, self.unit_real):
                self.scan.skip(
                    erel,
                    f"这是指向本单位文件夹以外（{shown(str(target)) if target else '无法解析'}）的链接，不计入：请把文件本身放入本单位文件夹",
                )
                return None
        if e.is_dir:
            if depth >= TASK_DEPTH:
                self.scan.skip(
                    erel + "/",
                    f"文件夹层级过深（任务文件夹下超过 {TASK_DEPTH} 层），未读取：请把材料放在较浅的文件夹中",
                )
                return None
            this_round = round_date
            if self.multi and round_date is None and depth == 0:
                parsed, reason = parse_round_folder(name_text(e.name), self.task, self.s.catalog.campaign.year)
                if reason:
                    self.scan.skip(erel + "/", reason)
                    return None
                this_round = parsed  # None: an ordinary subfolder, its files are loose
            return (e.path, erel, this_round, depth + 1, linked or e.is_link)
        return self._file(e, erel, round_date, linked or e.is_link)

    def _file(self, e: Entry, erel: str, round_date: dt.date | None, linked: bool) -> ScannedFile | None:
        st = self.share.stat(e.path, rel=erel)  # the one stat; follows links that stay inside the unit folder
        if isinstance(st, Finding):
            self.cannot_read(st, round_date)
            return None
        if not stat.S_ISREG(st.st_mode):
            self.scan.skip(erel, "不是普通文件（管道、设备等），已跳过")
            return None
        return ScannedFile(
            erel, self.unit_name, self.task_id, round_date, st.st_size, st.st_mtime_ns, st.st_ino, linked
        )


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False
