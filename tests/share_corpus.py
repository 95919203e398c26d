"""A hostile share, built with real files and real OS conditions (issue 10): one builder per
situation, each putting its files under its own unit and task so that every situation can
also live in one tree at once (``build_all``).

Permissions are real: :func:`unprivileged` runs a command without the privilege that lets
root read anything (as root: the capabilities CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH are
dropped with ``setpriv`` — the interpreter under /root is not reachable by the ``nobody``
user, so a uid switch cannot run it; as any other user the kernel already applies them).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers_files import make_fake_png, make_png
from helpers_xls import make_doc

from duban.evidence.blank_templates import make_blank_template_xlsx, template_filename
from duban.testing import samples
from duban.timeutil import TZ

ON_TIME = dt.datetime(2021, 6, 1, 10, tzinfo=TZ)
AS_OF = "2021-06-26"
AS_OF_DT = dt.datetime(2021, 6, 26, 23, 59, 59, tzinfo=TZ)


# ---------------------------------------------------------------- running without root's bypass
def unprivileged_prefix() -> list[str]:
    """The command prefix that runs a program without permission bypass (skips the test if none)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): cannot test file permissions")
    drop = "-dac_override,-dac_read_search"
    return [setpriv, "--bounding-set", drop, "--inh-caps", drop]


def unprivileged(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 300):
    return subprocess.run(
        unprivileged_prefix() + args,
        capture_output=True,
        text=True,
        errors="replace",
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def duban_script(home: Path, args: list[str], *, prelude: str = "") -> list[str]:
    """``duban --home HOME ARGS`` as a Python program, with test-only set-up code run first
    (a hook of ``duban.evidence.share`` that moves a file at the moment it is opened)."""
    code = f"{prelude}\nimport sys\nfrom duban.cli import main\nsys.argv = ['duban', '--home', {str(home)!r}, *{args!r}]\nmain()\n"
    return [sys.executable, "-c", code]


# ---------------------------------------------------------------- raw names
def bpath(root: Path, *parts: str | bytes) -> bytes:
    """A path with some components as raw bytes (a GBK name written by a Windows share)."""
    out = os.fsencode(root)
    for p in parts:
        out += b"/" + (p if isinstance(p, bytes) else p.encode("utf-8"))
    return out


def gbk(text: str) -> bytes:
    return text.encode("gbk")


# ---------------------------------------------------------------- a deep folder (iterative: no recursion)
def make_deep(top: Path, levels: int) -> Path:
    path = str(top)
    os.makedirs(path, exist_ok=True)
    for _ in range(levels):
        path += "/d"
        os.mkdir(path)
    with open(path + "/最深处.pdf", "wb") as f:
        f.write(b"%PDF-1.4 deep")
    return Path(path)


def remove_deep(top: Path) -> None:
    """Remove a chain of nested 'd' folders from the bottom up (shutil.rmtree recurses)."""
    path = str(top)
    depth = 0
    while os.path.isdir(path + "/d"):
        path += "/d"
        depth += 1
    for name in os.listdir(path):
        os.unlink(os.path.join(path, name))
    for _ in range(depth):
        os.rmdir(path)
        path = path[: -len("/d")]


def rmtree(root: Path) -> None:
    """Remove a corpus tree: permissions restored, deep chains removed first (iteratively)."""
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            os.chmod(folder, 0o755)
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                if e.name == "深层":
                    remove_deep(Path(e.path))
                else:
                    stack.append(e.path)
    shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------- the situations
@dataclass
class Corpus:
    root: Path
    locked: list[Path] = field(default_factory=list)  # chmod 000 (restored by unlock)
    vanish: Path | None = None  # to be moved away between the scan and the hash (hook)
    to_fifo: Path | None = None  # to be replaced by a FIFO between the scan and the hash (hook)

    def lock(self) -> None:
        for p in self.locked:
            os.chmod(p, 0)

    def unlock(self) -> None:
        for p in self.locked:
            if p.exists() or p.is_dir():
                os.chmod(p, 0o755 if p.is_dir() else 0o644)

    def hook_prelude(self) -> str:
        """Test-only code for the check's process: the share module's hook moves one file away
        and swaps another for a FIFO at the moment duban opens them."""
        lines = ["import os", "import duban.evidence.share as share", "def _hook(path):"]
        if self.vanish:
            lines.append(
                f"    if path.endswith({self.vanish.name!r}) and os.path.exists(path): os.rename(path, path + '.moved')"
            )
        if self.to_fifo:
            lines.append(f"    if path.endswith({self.to_fifo.name!r}) and not os.path.exists(path + '.orig'):")
            lines.append("        os.rename(path, path + '.orig'); os.mkfifo(path)")
        lines += ["    return None", "share.before_open = _hook"]
        return "\n".join(lines)


def gbk_names(c: Corpus) -> None:
    """1: 区发改局/06-制度/制度文件.pdf with every name in GBK bytes."""
    folder = bpath(c.root, gbk("区发改局"), gbk("06-制度"))
    os.makedirs(folder)
    samples.make_pdf(os.fsdecode(folder + b"/" + gbk("制度文件.pdf")), pages=2, text=_unique(), mtime=ON_TIME)


def moved_during_check(c: Corpus) -> None:
    """2: 区委编办's D06 document is moved away between the scan and the hash; 区委宣传部's is
    swapped for a FIFO (which must not stall the round)."""
    c.vanish = samples.make_pdf(c.root / "区委编办" / "06" / "将被移走.pdf", text=_unique(), mtime=ON_TIME)
    c.to_fifo = samples.make_pdf(c.root / "区委宣传部" / "06" / "将变成管道.pdf", text=_unique(), mtime=ON_TIME)


def control_character_name(c: Corpus) -> None:
    samples.make_pdf(c.root / "区公安分局" / "06" / "制度\x1b[31m红字.pdf", text=_unique(), mtime=ON_TIME)


def deep_folder(c: Corpus) -> None:
    """4: a folder 1,100 levels deep inside 区商务局's D06 folder."""
    make_deep(c.root / "区商务局" / "06" / "深层", 1100)
    samples.make_pdf(c.root / "区商务局" / "06" / "制度.pdf", text=_unique(), mtime=ON_TIME)


def unreadable_folders(c: Corpus) -> None:
    """6: 区司法局's whole folder, 区工信局's D26 task folder and 区财政局's D06 file cannot be read."""
    samples.make_pdf(c.root / "区司法局" / "06" / "制度.pdf", text=_unique(), mtime=ON_TIME)
    samples.make_ledger_xlsx(c.root / "区工信局" / "26" / "问卷.xlsx", _tpl(c, "问卷回收台账"), 60, mtime=ON_TIME)
    f = samples.make_pdf(c.root / "区财政局" / "06" / "制度清单.pdf", text=_unique(), mtime=ON_TIME)
    c.locked += [c.root / "区司法局", c.root / "区工信局" / "26", f]


def distinct_rows(c: Corpus) -> None:
    """7: 区工信局 D20 — round 1 split over two files of different firms (100 + 100), round 2 an
    export and its update (120 + 120, 60 the same firms); D23 10 firms, the one with a loan
    listed again on two more sheets."""
    t7, t8 = _tpl(c, "附件7"), _tpl(c, "附件8")
    head = 3  # title, subtitle, header
    all7 = samples.ledger_rows(t7, 300)
    samples.make_table_xlsx(
        c.root / "区工信局" / "20" / "第一轮" / "前100家.xlsx", {"台账": all7[: head + 100]}, mtime=ON_TIME
    )
    samples.make_table_xlsx(
        c.root / "区工信局" / "20" / "第一轮" / "后100家.xlsx",
        {"台账": all7[:head] + all7[head + 100 : head + 200]},
        mtime=ON_TIME,
    )
    second = dt.datetime(2021, 6, 10, 10, tzinfo=TZ)
    samples.make_table_xlsx(
        c.root / "区工信局" / "20" / "第二轮" / "导出.xlsx", {"台账": all7[: head + 120]}, mtime=second
    )
    samples.make_table_xlsx(
        c.root / "区工信局" / "20" / "第二轮" / "更新.xlsx",
        {"台账": all7[:head] + all7[head + 60 : head + 180]},
        mtime=second,
    )
    rows8 = samples.ledger_rows(t8, 10, yes_ratio=0.1)  # 1 of 10 firms got a loan: 10%
    samples.make_table_xlsx(c.root / "区工信局" / "23" / "推荐名单.xlsx", {"名单": rows8}, mtime=ON_TIME)
    again = rows8[: head + 1]  # that firm again, on two sheets (counted per row: 3 of 12 = 25%)
    samples.make_table_xlsx(
        c.root / "区工信局" / "23" / "获贷企业.xlsx", {"获贷": again, "获贷2": again}, mtime=ON_TIME
    )


def fake_documents(c: Corpus) -> None:
    """8: 区应急管理局 D11 round 1 (2 cases owed) gets only things that are not documents."""
    folder = c.root / "区应急管理局" / "11" / "第一轮"
    tpl5 = _tpl(c, "附件5")
    make_blank_template_xlsx(folder / template_filename(tpl5.id, tpl5.title), tpl5)  # duban's blank form, wrong task
    samples.make_table_xlsx(folder / "空表.xlsx", {"Sheet1": []}, mtime=ON_TIME)
    samples.make_table_xlsx(
        folder / "只有表头.xlsx", {"案例": [["典型案例"], ["序号", "案例名称", "监管措施"]]}, mtime=ON_TIME
    )
    make_png(folder / "缩略图.png", 16, 16, mtime=ON_TIME)
    make_fake_png(folder / "假照片.png", mtime=ON_TIME)
    make_doc(folder / "空白.doc", " \r\t\r", mtime=ON_TIME)
    samples.make_docx(folder / "零宽字符.docx", ["\u200b\u200b\ufeff", "　 "], mtime=ON_TIME)
    for p in folder.iterdir():
        samples.set_mtime(p, ON_TIME)


def same_file_two_units(c: Corpus) -> None:
    """9: one PDF hard-linked into 区住建局's and 区城管局's D06 folders; 区卫健局's folder is a
    link to 区文旅局's."""
    a = samples.make_pdf(c.root / "区住建局" / "06" / "制度汇编.pdf", text="制度汇编", mtime=ON_TIME)
    (c.root / "区城管局" / "06").mkdir(parents=True)
    os.link(a, c.root / "区城管局" / "06" / "制度汇编.pdf")
    samples.make_pdf(c.root / "区文旅局" / "06" / "文旅制度.pdf", text=_unique(), mtime=ON_TIME)
    os.symlink("区文旅局", c.root / "区卫健局")


def supporting_unit(c: Corpus) -> None:
    """10: D12 (lead 区发改局, supported by 区商务局): the supporting unit files the ledger in its own folder."""
    samples.make_ledger_xlsx(c.root / "区商务局" / "12" / "企业材料清单.xlsx", _tpl(c, "附件5"), 5, mtime=ON_TIME)


def oversized_file(c: Corpus) -> None:
    """13: a sparse 300 MiB file over the 200 MiB limit, unreadable: rejected by size alone."""
    p = c.root / "区税务局" / "06" / "扫描件.pdf"
    p.parent.mkdir(parents=True)
    with open(p, "wb") as f:
        f.truncate(300 * 1024 * 1024)
    samples.set_mtime(p, ON_TIME)
    c.locked.append(p)


def placed_templates(c: Corpus) -> None:
    """12.6: the blank forms init-folders put in 区工信局's D20 round 3 folder are not reported."""
    tpl7 = _tpl(c, "附件7")
    make_blank_template_xlsx(c.root / "区工信局" / "20" / "第三轮" / template_filename(tpl7.id, tpl7.title), tpl7)


def a_fifo(c: Corpus) -> None:
    p = c.root / "区市场监管局" / "06" / "管道"
    p.parent.mkdir(parents=True)
    os.mkfifo(p)


SITUATIONS = [
    gbk_names,
    moved_during_check,
    control_character_name,
    deep_folder,
    unreadable_folders,
    distinct_rows,
    fake_documents,
    same_file_two_units,
    supporting_unit,
    oversized_file,
    placed_templates,
    a_fifo,
]

_CATALOG = None
_SERIAL = [0]


def _unique() -> str:
    """Text that makes each generated PDF different bytes (the same bytes in two units' folders
    is a situation of its own)."""
    _SERIAL[0] += 1
    return f"材料第 {_SERIAL[0]} 号"


def _tpl(c: Corpus, tid: str):
    from duban.tasks_catalog import load_catalog

    global _CATALOG
    _CATALOG = _CATALOG or load_catalog()
    return _CATALOG.templates[tid]


def build(root: Path, *situations) -> Corpus:
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    c = Corpus(root)
    for s in situations or SITUATIONS:
        s(c)
    return c
