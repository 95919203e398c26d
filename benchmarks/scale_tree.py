"""District trees for ``bench_scale.py``: ``init-folders`` on the shipped catalog, filled with
template ledgers, PDFs and Word files where every file has distinct content.

Speed comes from reuse, not from faking: a few real base files per evidence item are made
once with ``duban.testing.samples`` (through the demo tree's own ``Builder.item``, so ledgers
follow their template, date window and yes-ratio), with a marker where the unit's name goes
(the ledger's 填报单位 line, the Word file's first paragraph). Each file of the tree is a base
file with the marker replaced by the unit and a serial number — a one-member rewrite of
the zip, ~1 ms — so every file hashes differently and must be read, and its parsed
content differs too. PDFs are written whole (``samples.make_pdf`` is hand-written and fast);
the rare figures forms are made one by one.

A third of the files are ledgers (and the odd figures form), a third PDFs, a third Word
files, each kind spread round-robin over the (unit, task, round) folders whose task asks for
it; every modification time is the day before the due date, 10:00. A built tree is cached under ``<work>/tree-<files>/`` with a stamp, so a
re-run reuses it; a changed generator (``GENERATOR``) rebuilds.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from duban.evidence.init_folders import init_folders
from duban.evidence.layout import folder_for
from duban.tasks_catalog import Catalog, EvidenceItem, ResolvedTask
from duban.testing import samples
from duban.testing.demo_tree import Builder, _safe

GENERATOR = 3  # bump when the tree's content changes: cached trees are rebuilt
MARKER = "@@UNIT@@"
VARIANTS = 3  # base files per evidence item (different row counts)


@dataclass(frozen=True)
class Slot:
    """One evidence item of one obligation folder (unit, task, round)."""

    rt: ResolvedTask
    unit: str
    due: dt.date
    folder: Path
    k: int  # the item's index in the task's evidence list
    item: EvidenceItem


@dataclass
class Tree:
    root: Path  # the evidence root (share)
    files: int  # files duban sees (evidence + blank templates)
    kinds: dict[str, int]
    megabytes: float
    built_seconds: float | None  # None: reused from the cache

    def ledger(self) -> Path:
        """One evidence ledger, for the one-file-changed figure."""
        for p in sorted(self.root.rglob("*.xlsx")):
            if "-" in p.stem and p.stem.rsplit("-", 1)[1].isdigit():
                return p
        raise LookupError("no ledger in the tree")


class ZipVariant:
    """A zip file (xlsx, docx) held in memory; ``render(text)`` writes a copy whose marker
    member says ``text`` instead of the marker."""

    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as z:
            self.members = [(i, z.read(i)) for i in z.infolist()]
        self.marked = [k for k, (_, data) in enumerate(self.members) if MARKER.encode() in data]
        if not self.marked:
            raise ValueError(f"{path}: no marker to vary")

    def render(self, path: Path, text: str) -> None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for k, (info, data) in enumerate(self.members):
                if k in self.marked:
                    data = data.replace(MARKER.encode(), text.encode("utf-8"))
                z.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
        path.write_bytes(buf.getvalue())


def slots(catalog: Catalog, root: Path) -> dict[str, list[Slot]]:
    """Every (folder, item) by the kind of file written for it: ``xlsx`` for ledgers and
    figures forms, ``pdf`` for documents and PDFs, ``docx`` for documents and link lists."""
    out: dict[str, list[Slot]] = {"xlsx": [], "pdf": [], "docx": []}
    for rt in catalog.tasks.values():
        if rt.task.deadline.kind != "rounds" or rt.task.platform or not rt.task.evidence:
            continue
        for unit in rt.leads:
            for due in rt.task.rounds:
                for k, item in enumerate(rt.task.evidence):
                    slot = Slot(rt, unit, due, root / folder_for(rt, unit, due), k, item)
                    if item.kind in ("ledger", "figures"):
                        out["xlsx"].append(slot)
                    if item.kind in ("document", "pdf"):
                        out["pdf"].append(slot)
                    if item.kind in ("document", "link"):
                        out["docx"].append(slot)
    return out


class Filler:
    """Writes the evidence files: base variants made once, then one cheap copy per file."""

    def __init__(self, catalog: Catalog, scratch: Path):
        self.catalog, self.scratch = catalog, scratch
        self.builder = Builder(catalog, scratch)
        self.bases: dict[tuple[str, int, str], list[ZipVariant]] = {}

    def _bases(self, slot: Slot, kind: str) -> list[ZipVariant]:
        key = (slot.rt.id, slot.k, kind)
        if key not in self.bases:
            made = []
            for v in range(VARIANTS):
                folder = self.scratch / f"{slot.rt.id}-{slot.k}-{kind}-{v}"
                if kind == "docx":
                    path = samples.make_docx(folder / "base.docx", [MARKER, slot.item.label, f"第 {v + 1} 稿"])
                else:
                    before = len(self.builder.tree.files)
                    self.builder.item(folder, MARKER, slot.rt, slot.item, 0, dt.datetime.combine(slot.due, dt.time(10)))
                    path = self.builder.tree.files[before]
                made.append(ZipVariant(path))
            self.bases[key] = made
        return self.bases[key]

    def write(self, slot: Slot, kind: str, serial: int) -> Path:
        path = slot.folder / f"{_safe(slot.item.label)[:20]}-{serial:06d}.{kind}"
        text = f"{slot.unit}（第{serial}份）"
        if slot.item.kind == "figures":
            tpl = self.catalog.template(slot.item.template)
            samples.make_figures_xlsx(path, tpl, {f.name: 1000.0 + serial + j for j, f in enumerate(tpl.fields)})
        elif kind == "pdf":
            samples.make_pdf(path, 1 + serial % 3, f"{text}\n{slot.item.label}\n编号 {serial}")
        else:
            self._bases(slot, kind)[serial % VARIANTS].render(path, text)
        samples.set_mtime(path, dt.datetime.combine(slot.due - dt.timedelta(days=1), dt.time(10)))
        return path


def count_files(root: Path) -> tuple[int, dict[str, int], float]:
    """Files duban sees (instructions and hidden files aside), by extension, and megabytes."""
    from duban.evidence.scanner import is_ignored

    n, kinds, size = 0, {}, 0
    for p in root.rglob("*"):
        if p.is_file() and not is_ignored(p.name):
            n += 1
            kinds[p.suffix.lstrip(".")] = kinds.get(p.suffix.lstrip("."), 0) + 1
            size += p.stat().st_size
    return n, kinds, size / 1e6


def build(catalog: Catalog, root: Path, files: int) -> None:
    """``init-folders`` + evidence files until duban sees ``files`` files."""
    init_folders(root, catalog)
    templates = count_files(root)[0]
    by_kind = slots(catalog, root)
    kinds = list(by_kind)
    with tempfile.TemporaryDirectory(prefix="bench-bases-") as scratch:
        filler = Filler(catalog, Path(scratch))
        for serial in range(max(files - templates, 0)):
            kind = kinds[serial % len(kinds)]
            every = by_kind[kind]
            filler.write(every[(serial // len(kinds)) % len(every)], kind, serial)


def tree(catalog: Catalog, work: Path, files: int, log=print) -> Tree:
    """The cached tree of ``files`` files under ``work`` (built when missing or stale)."""
    base = work / f"tree-{files}"
    stamp = base / "tree.json"
    want = {"generator": GENERATOR, "files": files, "campaign": catalog.campaign.key}
    try:
        have = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        have = None
    if have and {k: have.get(k) for k in want} == want and (base / "share").is_dir():
        return Tree(base / "share", have["seen"], have["kinds"], have["megabytes"], None)
    log(f"building a tree of {files} files under {base} ...")
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    t0 = time.perf_counter()
    tmp = base / "share.tmp"
    build(catalog, tmp, files)
    tmp.rename(base / "share")
    seconds = time.perf_counter() - t0
    seen, kinds, mb = count_files(base / "share")
    stamp.write_text(json.dumps(dict(want, seen=seen, kinds=kinds, megabytes=round(mb, 1))), encoding="utf-8")
    return Tree(base / "share", seen, kinds, round(mb, 1), seconds)


def vary(path: Path, serial: int) -> None:
    """Give one tree file new content (and a later mtime): the one-file-changed figure."""
    st = path.stat()
    data = path.read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename.endswith(".xml"):
                body = re.sub("（(改\\d+)?第".encode(), f"（改{serial}第".encode(), body, count=1)
            dst.writestr(info.filename, body, compress_type=zipfile.ZIP_DEFLATED)
    path.write_bytes(buf.getvalue())
    samples.set_mtime(path, st.st_mtime + 1)
