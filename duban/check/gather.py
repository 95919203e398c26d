"""The first phase of a check: walk the share, hash what changed, read what is new.

:func:`gather` streams the scanner's files (``evidence.scanner.walk_tree``) in batches:

- a file whose stat signature (size, mtime_ns, inode) is what the store last saw keeps its
  hash and, when the store holds facts for its content under its task's spec
  (``evidence_files.facts_spec``), its facts — no file is opened, no further query made;
- a changed or new file is hashed; a file over ``max_file_bytes`` is rejected from its size,
  never opened; duban's own blank forms are known by their hash (``evidence.skeleton``);
- per batch, one query asks when each new hash was first seen and one which facts are
  stored; the contents still unread go to the sandboxed pool as they are found — the pool
  is fed continuously, its workers never wait for a batch to finish;
- the workers' facts go to the store as JSON (never turned into objects here); only the
  rows that changed are written.

What gather hands on (:class:`Gathered`) is one small record per file — no facts: the
second phase (``check.run.evaluate``) reads them from the store one task at a time, so
neither phase holds every file's facts at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import NamedTuple

from duban.evidence import store as evstore
from duban.evidence.facts import FACTS_VERSION, Facts
from duban.evidence.limits import Limits
from duban.evidence.scanner import Scan, ScannedFile, Unreadable, walk_tree
from duban.evidence.share import Finding, Share, shown, stored
from duban.evidence.skeleton import Placed, misplaced_reason, placed_forms, task_templates
from duban.evidence.spec import InspectSpec, spec_for
from duban.home import Home
from duban.store import Store, scope_of
from duban.tasks_catalog import Catalog

Progress = Callable[[int, int], None]
BATCH = 256  # files resolved per round of store lookups
WRITE_EVERY = 500  # rows buffered before they are written


class GatheredFile(NamedTuple):
    """One evidence file: where it lies, whose and for what, and how to find what it holds."""

    rel: str  # relative to the evidence root, '/', undecodable bytes shown as \xNN
    unit: str  # the unit whose folder holds it
    task: str
    round: dt.date | None  # of its round folder; None = loose in the task folder
    # Submitted (POSIX) = the file's modification time, or when duban first saw its content if
    # that is earlier (a clerk's clock set in the future must not hide a real upload).
    submitted: float
    sha: str  # "" when not hashed (over the size limit)
    linked: bool = False  # reached through a link inside the unit's folder
    facts: Facts | None = None  # None: the stored facts of (sha, Gathered.spec_keys[task])


@dataclass
class Gathered:
    root: str
    files: list[GatheredFile]
    unrecognized: list[tuple[str, str]]
    stats: dict = field(default_factory=dict)
    unreadable: list[Unreadable] = field(default_factory=list)  # folders and files that could not be read
    spec_keys: dict[str, str] = field(default_factory=dict)  # task -> the spec its files' facts are stored under

    def facts_key(self, g: GatheredFile) -> tuple[str, str] | None:
        """Where a file's facts are stored (None: they travel with the file)."""
        return None if g.facts is not None else (g.sha, self.spec_keys[g.task])


def gather(
    catalog: Catalog,
    evidence_root: Path | str,
    home: Home,
    *,
    limits: Limits | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Gathered:
    """Scan the share, hash new or changed files, inspect contents not read before (in
    sandboxed workers) and remember it all in the store. Raises ``EvidenceRootError`` when
    the root cannot be read."""
    t0 = time.perf_counter()
    scan = Scan(Path(evidence_root).resolve())
    walk = walk_tree(scan, catalog)  # raises here, before the store is touched, when the root cannot be read
    g = _Gatherer(catalog, scan, home, limits or limits_from_settings(home))
    jobs = g.jobs(walk)
    first = next(jobs, None)
    if first is not None:  # something to read: only now start the workers
        from itertools import chain

        from duban.evidence.sandbox import InspectorPool

        with InspectorPool(g.limits, workers=workers or 2) as pool:
            for done, (i, answer) in enumerate(pool.stream(chain([first], jobs)), 1):
                g.answer(i, answer)
                if progress:
                    progress(done, g.sent)
    return g.finish(time.perf_counter() - t0)


class _Item(NamedTuple):
    """A file on its way through a batch."""

    f: ScannedFile
    path: str  # stored form (the store's key)
    sha: str
    facts_spec: str | None  # the spec its content's facts are known under
    seen: float | None  # when the district first saw the content (None: to be asked)
    write: bool  # its row changed


def limits_from_settings(home: Home) -> Limits:
    """Reading bounds: the ``limits:`` section of ``settings.yaml`` over the defaults
    (``evidence/limits.py``), e.g. ``limits: {max_file_bytes: 524288000, timeout_s: 120}``."""
    return Limits.from_settings(home.settings)


class _Gatherer:
    def __init__(self, catalog: Catalog, scan: Scan, home: Home, limits: Limits):
        self.catalog, self.limits = catalog, limits
        self.root = scan.root
        self.share = Share(scan.root)
        self.scan = scan
        scope = scope_of(catalog, home)
        self.store = Store.open(home, scope)
        self.district, self.key = scope.district, stored(str(scan.root))
        self._placed: dict[str, Placed] | None = None
        self.templates = {tid: task_templates(catalog, tid) for tid in catalog.tasks}
        # facts are cached per (content, what it is read against, reading bounds, inspector
        # version): editing a template, raising a limit or a new inspector reads the files again
        self.specs: dict[str, InspectSpec] = {tid: spec_for(rt, catalog.templates) for tid, rt in catalog.tasks.items()}
        bounds = hashlib.sha256(
            json.dumps({**limits.to_dict(), "facts": FACTS_VERSION}, sort_keys=True).encode()
        ).hexdigest()[:8]
        self.spec_keys = {tid: f"{spec.fingerprint()}.{bounds}" for tid, spec in self.specs.items()}
        self.known = evstore.known_files(self.store, self.district, self.key)
        self.readers_started = False
        self.now = evstore.now_text()
        self.now_ts = _timestamp(self.now)
        self._too_big: Facts | None = None
        self.misplaced: dict[str, Facts] = {}
        self.files: list[GatheredFile | None] = []  # None: dropped (could not be read after all)
        self.rows: list[evstore.FileRow] = []
        self.contents: list[tuple[str, int, str]] = []
        self.new_content: set[str] = set()
        self.facts_out: list[tuple[str, str, str]] = []
        self.waiting: dict[tuple[str, str], list[tuple[int, _Item]]] = {}  # content being read -> its files
        self.job_keys: dict[int, tuple[str, str]] = {}
        self.sent = 0
        self.stats = {"mapped": 0, "skeleton": 0, "hashed": 0, "inspected": 0}

    # ------------------------------------------------------------ phase 1: walk, hash, look up
    def jobs(self, walk: Iterable[ScannedFile]) -> Iterator[tuple[str, InspectSpec]]:
        """(path, spec) of every content to read, found batch by batch as the walk goes on."""
        it = iter(walk)
        while batch := list(islice(it, BATCH)):
            self.stats["mapped"] += len(batch)
            yield from self._batch(batch)

    @property
    def placed(self) -> dict[str, Placed]:
        """duban's blank forms by hash (asked for when the first file needs it: making the forms of
        a new data directory takes openpyxl, which a check of an empty share never needs)."""
        if self._placed is None:
            self._placed = placed_forms(self.store, self.catalog)
        return self._placed

    def _batch(self, batch: list[ScannedFile]) -> Iterator[tuple[str, InspectSpec]]:
        if len(self.rows) + len(self.facts_out) >= WRITE_EVERY:
            self._flush()
        items = [item for f in batch if (item := self._item(f)) is not None]
        unseen = {i.sha for i in items if i.seen is None}
        seen = evstore.content_first_seen(self.store, self.district, unseen) if unseen else {}
        wanted = {
            (i.sha, self.spec_keys[i.f.task])
            for i in items
            if i.sha not in self.placed and i.facts_spec != self.spec_keys[i.f.task]
        }
        stored_now = evstore.facts_known(self.store, wanted - self.waiting.keys()) if wanted else set()
        for item in items:
            f, sha = item.f, item.sha
            if item.seen is None:
                item = item._replace(seen=seen.get(sha, self.now_ts))
                if sha not in seen and sha not in self.new_content:
                    self.new_content.add(sha)
                    self.contents.append((sha, f.size, item.path))
            placed = self.placed.get(sha)
            if placed is not None and placed.template in self.templates[f.task]:
                self.stats["skeleton"] += 1  # a blank form duban placed, where it placed it: not evidence
                self._row(item, item.facts_spec)
                continue
            index = len(self.files)
            facts = self._misplaced(placed) if placed is not None else None
            self.files.append(self._gathered(item, facts))
            key = (sha, self.spec_keys[f.task])
            if facts is not None or item.facts_spec == key[1]:
                self._row(item, item.facts_spec)
            elif key in stored_now:
                self._row(item, key[1])
            elif key in self.waiting:  # the same content is being read for another file
                self.waiting[key].append((index, item))
            else:
                self.waiting[key] = [(index, item)]
                self.job_keys[self.sent] = key
                self.sent += 1
                yield self.share_path(f.rel), self.specs[f.task]

    def _item(self, f: ScannedFile) -> _Item | None:
        """The file's hash: from the store when its signature is unchanged, else read."""
        if f.size > self.limits.max_file_bytes:  # decided from the size alone: never opened, never hashed
            self.files.append(GatheredFile(shown(f.rel), f.unit, f.task, f.round, f.mtime, "", f.linked, self._over()))
            return None
        path = stored(f.rel)
        old = self.known.pop(path, None)
        if old is not None and old.size == f.size and old.mtime_ns == f.mtime_ns and old.inode == f.inode:
            return _Item(f, path, old.sha256, old.facts_spec, old.first_seen, False)
        if not self.readers_started:  # a new or changed file will likely be read: start the readers
            from duban.evidence.forkserver import warm_up  # now, their imports overlap the walk and the hashing

            warm_up()
            self.readers_started = True
        got = self.share.hash(self.share_path(f.rel), rel=f.rel)
        if isinstance(got, Finding):  # gone or unreadable since the scan: this file only
            self.scan.cannot_read(got, f.unit, f.task, f.round)
            return None
        self.stats["hashed"] += 1
        if (got.size, got.mtime_ns, got.inode) != f.signature:  # changed since the scan
            f = f._replace(size=got.size, mtime_ns=got.mtime_ns, inode=got.inode)
        if old is not None and old.sha256 == got.sha256:  # touched, same content
            return _Item(f, path, got.sha256, old.facts_spec, old.first_seen, True)
        return _Item(f, path, got.sha256, None, None, True)

    def _gathered(self, item: _Item, facts: Facts | None) -> GatheredFile:
        f = item.f
        mtime = f.mtime
        submitted = mtime if item.seen is None or item.seen >= mtime else item.seen
        return GatheredFile(shown(f.rel), f.unit, f.task, f.round, submitted, item.sha, f.linked, facts)

    def _over(self) -> Facts:
        if self._too_big is None:
            from duban.evidence.inspect.common import too_big  # (the readers' package: not for a re-check)

            self._too_big = Facts.rejected("unknown", too_big(self.limits.max_file_bytes))
        return self._too_big

    def _misplaced(self, placed: Placed) -> Facts:
        """A blank form outside the folders it was placed in: handed in by a unit, counts for nothing."""
        if placed.template not in self.misplaced:
            self.misplaced[placed.template] = Facts.rejected("xlsx", misplaced_reason(placed))
        return self.misplaced[placed.template]

    def _row(self, item: _Item, facts_spec: str | None) -> None:
        if item.write or facts_spec != item.facts_spec:
            f = item.f
            self.rows.append((item.path, f.size, f.mtime_ns, f.inode, item.sha, facts_spec))

    def share_path(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    # ------------------------------------------------------------ phase 2: what the workers found
    def answer(self, job: int, answer) -> None:
        key = self.job_keys.pop(job)
        waits = self.waiting.pop(key)
        self.stats["inspected"] += 1
        if answer.transient:  # could not be read by the inspector: unreadable, not rejected
            reason = answer.facts.reason or "无法读取"
            for index, item in waits:
                f = item.f
                self.files[index] = None
                self.scan.cannot_read(Finding(shown(f.rel), reason), f.unit, f.task, f.round)
                self._row(item, item.facts_spec)
            return
        # facts that hold are remembered (a worker's crash or timeout too: the file is not read
        # again until it changes); a file that changed while it was read is read again next time
        first = waits[0][1].f
        if (answer.read or self._signature(first)) == first.signature:
            self.facts_out.append((key[0], key[1], answer.json))
            for _index, item in waits:
                self._row(item, key[1])
            return
        facts = answer.facts
        for index, item in waits:
            g = self.files[index]
            assert g is not None
            self.files[index] = g._replace(facts=facts)
            self._row(item, item.facts_spec)

    def _signature(self, f: ScannedFile) -> tuple[int, int, int] | None:
        st = self.share.stat(self.share_path(f.rel), rel=f.rel)
        return None if isinstance(st, Finding) else (st.st_size, st.st_mtime_ns, st.st_ino)

    # ------------------------------------------------------------ the end
    def _flush(self) -> None:
        """Facts first, then the rows that name them: a row never names facts the store does not hold."""
        if self.facts_out:
            evstore.remember_facts(self.store, self.facts_out)
            self.facts_out = []
        if self.rows or self.contents:
            evstore.write_files(self.store, self.district, self.key, self.rows, self.contents, self.now)
            self.rows, self.contents = [], []

    def finish(self, seconds: float) -> Gathered:
        self._flush()
        files = [g for g in self.files if g is not None]
        scan = self.scan
        return Gathered(
            str(self.root),
            files,
            [(u.rel, u.reason) for u in scan.unrecognized],
            {
                "files": len(files),
                "mapped": self.stats["mapped"],
                "skeleton": self.stats["skeleton"],
                "hashed": self.stats["hashed"],
                "inspected": self.stats["inspected"],
                "unrecognized": len(scan.unrecognized),
                "unreadable": len(scan.unreadable),
                "gather_seconds": round(seconds, 3),
            },
            scan.unreadable,
            dict(self.spec_keys),
        )


def _timestamp(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


__all__ = ["Gathered", "GatheredFile", "Progress", "gather", "limits_from_settings"]
