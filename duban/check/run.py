"""One check run: scan the evidence folder, inspect new or changed files, apply the rules.

Two phases, so the flows can run and log them separately (and the CLI can run both):

- :func:`gather` walks the folder (names and stat only), hashes files whose stat
  signature changed since the last scan, and inspects contents not yet inspected for
  their task's spec — in sandboxed worker processes. Everything is cached in the store,
  so a re-check with nothing changed opens no file.
- :func:`evaluate` turns the gathered facts into obligations and stores the run.

No Prefect here: this is the library core the CLI, the flows and the tests share.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from duban.evidence import store as evstore
from duban.evidence.facts import Facts
from duban.evidence.limits import Limits
from duban.evidence.scanner import EvidenceRootError, Scan, scan_tree
from duban.evidence.spec import spec_for
from duban.home import Home
from duban.results import CheckResult, FileIssue
from duban.store import Store, scope_of
from duban.tasks_catalog import Catalog
from duban.timeutil import TZ

from . import confirmations
from .rules import Submitted, submitted_at
from .rules import evaluate as evaluate_rules

Progress = Callable[[int, int], None]

__all__ = ["EvidenceRootError", "Gathered", "gather", "evaluate", "run_check"]


@dataclass
class Gathered:
    root: str
    # rel, unit, task, round, submitted (POSIX), facts, sha256. Submitted = the file's modification
    # time, or when duban first saw its content if that is earlier (a clerk's clock set in
    # the future must not hide a real upload from a check made now).
    files: list[tuple[str, str, str, str | None, float, dict, str]]
    unrecognized: list[tuple[str, str]]
    stats: dict = field(default_factory=dict)


def gather(
    catalog: Catalog,
    evidence_root: Path | str,
    home: Home,
    *,
    limits: Limits | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Gathered:
    t0 = time.perf_counter()
    limits = limits or limits_from_settings(home)
    root = Path(evidence_root).resolve()
    scan: Scan = scan_tree(root, catalog)
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    key = str(root)
    cache = evstore.cached_hashes(store, scope.district, key)
    rows, hashed = [], 0
    shas: dict[str, str] = {}
    for f in scan.files:
        sig = cache.get(f.rel)
        if sig and sig[:3] == (f.size, f.mtime_ns, f.inode):
            sha = sig[3]
        else:
            sha = evstore.sha256_file(f.path)
            hashed += 1
        shas[f.rel] = sha
        rows.append((f.rel, f.size, f.mtime_ns, f.inode, sha))
    if rows:
        evstore.remember_hashes(store, scope.district, key, rows)
    seen = evstore.content_first_seen(store, scope.district, set(shas.values()))

    # facts are cached per (content, what it is read against, reading bounds): editing a
    # template or raising a limit makes duban read the affected files again
    specs = {tid: spec_for(rt, catalog.templates) for tid, rt in catalog.tasks.items()}
    bounds = hashlib.sha256(json.dumps(limits.to_dict(), sort_keys=True).encode()).hexdigest()[:8]
    spec_key = {tid: f"{spec.fingerprint()}.{bounds}" for tid, spec in specs.items()}
    wanted = {(shas[f.rel], spec_key[f.task]) for f in scan.files}
    facts = evstore.cached_facts(store, wanted)
    todo: dict[tuple[str, str], tuple[Path, object]] = {}
    for f in scan.files:
        k = (shas[f.rel], spec_key[f.task])
        if k not in facts and k not in todo:
            todo[k] = (f.path, specs[f.task])
    if todo:
        from duban.evidence.sandbox import InspectorPool

        keys = list(todo)
        results: list[Facts] = []
        with InspectorPool(limits, workers=workers or 2) as pool:
            batch = 64
            for i in range(0, len(keys), batch):
                part = keys[i : i + batch]
                results += pool.inspect([todo[k] for k in part])
                if progress:
                    progress(min(i + batch, len(keys)), len(keys))
        evstore.remember_facts(store, [(k[0], k[1], fa) for k, fa in zip(keys, results)])
        facts.update(zip(keys, results))
    files = [
        (
            f.rel,
            f.unit,
            f.task,
            f.round.isoformat() if f.round else None,
            min(f.mtime, seen.get(shas[f.rel], f.mtime)),
            facts[(shas[f.rel], spec_key[f.task])].to_dict(),
            shas[f.rel],
        )
        for f in scan.files
    ]
    return Gathered(
        str(root),
        files,
        [(u.rel, u.reason) for u in scan.unrecognized],
        {
            "files": len(scan.files),
            "hashed": hashed,
            "inspected": len(todo),
            "unrecognized": len(scan.unrecognized),
            "gather_seconds": round(time.perf_counter() - t0, 3),
        },
    )


def evaluate(
    catalog: Catalog,
    gathered: Gathered,
    as_of: dt.datetime,
    home: Home,
    *,
    units: list[str] | None = None,
    tasks: list[str] | None = None,
    record: bool = True,
) -> CheckResult:
    t0 = time.perf_counter()
    submitted: dict[tuple[str, str], list[Submitted]] = {}
    rejected: list[FileIssue] = []
    for rel, unit, task, rnd, when, fd, sha in gathered.files:
        facts = Facts.from_dict(fd)
        at = submitted_at(when)
        if at > as_of:
            continue  # not handed in yet at this as-of time
        submitted.setdefault((task, unit), []).append(
            Submitted(rel, dt.date.fromisoformat(rnd) if rnd else None, at, facts, sha)
        )
        if not facts.ok:
            rejected.append(FileIssue(rel, facts.reason or "无法读取"))
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    confirmed = confirmations.current(store, scope, as_of=as_of)
    unit_names = {catalog.unit(u).name for u in units} if units else None
    task_ids = {catalog.task(t).id for t in tasks} if tasks else None
    obligations = evaluate_rules(catalog, submitted, as_of, confirmed, units=unit_names, tasks=task_ids)
    result = CheckResult(
        as_of=as_of,
        evidence_root=gathered.root,
        obligations=obligations,
        unrecognized=[FileIssue(r, why) for r, why in gathered.unrecognized],
        rejected=rejected,
    )
    if unit_names or task_ids:  # a partial re-check lists only what concerns its scope
        owner = {rel: (unit, task) for rel, unit, task, *_ in gathered.files}
        result.rejected = [
            r
            for r in rejected
            if (not unit_names or owner[r.path][0] in unit_names) and (not task_ids or owner[r.path][1] in task_ids)
        ]
        if unit_names:
            result.unrecognized = [u for u in result.unrecognized if _unit_of(u.path, catalog) in unit_names]
    result.stats = dict(gathered.stats, evaluate_seconds=round(time.perf_counter() - t0, 3))
    if record:
        result.run_id = evstore.record_run(
            store,
            scope,
            started_at=dt.datetime.now(TZ).isoformat(timespec="seconds"),
            as_of=as_of.isoformat(),
            root=gathered.root,
            units=sorted(unit_names) if unit_names else None,
            tasks=sorted(task_ids) if task_ids else None,
            files=gathered.stats.get("files", 0),
            hashed=gathered.stats.get("hashed", 0),
            inspected=gathered.stats.get("inspected", 0),
            seconds=gathered.stats.get("gather_seconds", 0) + result.stats["evaluate_seconds"],
            result_json=result.dumps(),
        )
    return result


def _unit_of(rel: str, catalog: Catalog) -> str | None:
    unit = catalog.find_unit(rel.split("/", 1)[0])
    return unit.name if unit else None


def run_check(
    catalog: Catalog,
    evidence_root: Path | str,
    as_of: dt.datetime,
    home: Home,
    *,
    units: list[str] | None = None,
    tasks: list[str] | None = None,
    progress: Progress | None = None,
    limits: Limits | None = None,
    workers: int | None = None,
) -> CheckResult:
    """Scan, inspect and judge: the whole check in one call."""
    gathered = gather(catalog, evidence_root, home, limits=limits, workers=workers, progress=progress)
    return evaluate(catalog, gathered, as_of, home, units=units, tasks=tasks)


def limits_from_settings(home: Home) -> Limits:
    """Reading bounds: the ``limits:`` section of ``settings.yaml`` over the defaults
    (``evidence/limits.py``), e.g. ``limits: {max_file_bytes: 524288000, timeout_s: 120}``."""
    return Limits.from_settings(home.settings)
