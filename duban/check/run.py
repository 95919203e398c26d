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
from duban.evidence.facts import FACTS_VERSION, Facts
from duban.evidence.inspect.common import too_big
from duban.evidence.limits import Limits
from duban.evidence.scanner import EvidenceRootError, Scan, ScannedFile, Unreadable, scan_tree
from duban.evidence.share import Finding, Share, shown, stored
from duban.evidence.skeleton import Placed, misplaced_reason, placed_forms, task_templates
from duban.evidence.spec import spec_for
from duban.home import Home
from duban.results import CheckResult, FileIssue
from duban.store import Store, scope_of
from duban.tasks_catalog import Catalog
from duban.timeutil import TZ

from . import confirmations, credit, decisions
from .rules import evaluate as evaluate_rules
from .rules import hold_unreadable

Progress = Callable[[int, int], None]

__all__ = ["EvidenceRootError", "Gathered", "GatheredFile", "gather", "evaluate", "run_check"]


@dataclass
class GatheredFile:
    """One evidence file: where it lies, whose and for what, and what it holds."""

    rel: str  # relative to the evidence root, '/', undecodable bytes shown as \xNN
    unit: str  # the unit whose folder holds it
    task: str
    round: str | None  # ISO date of its round folder; None = loose in the task folder
    # Submitted (POSIX) = the file's modification time, or when duban first saw its content if
    # that is earlier (a clerk's clock set in the future must not hide a real upload).
    submitted: float
    facts: dict
    sha: str  # "" when not hashed (over the size limit)
    linked: bool = False  # reached through a link inside the unit's folder


@dataclass
class Gathered:
    root: str
    files: list[GatheredFile]
    unrecognized: list[tuple[str, str]]
    stats: dict = field(default_factory=dict)
    unreadable: list[Unreadable] = field(default_factory=list)  # folders and files that could not be read


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
    share = Share(root)
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    key = stored(str(root))
    placed = placed_forms(store, catalog)  # the blank forms init-folders places, by hash
    cache = evstore.cached_hashes(store, scope.district, key)
    rows, hashed = [], 0
    kept: list[tuple[ScannedFile, str]] = []
    for f in scan.files:
        if f.size > limits.max_file_bytes:  # decided from the size alone: never opened, never hashed
            kept.append((f, ""))
            continue
        sig = cache.get(stored(f.rel))
        if sig and sig[:3] == (f.size, f.mtime_ns, f.inode):
            sha = sig[3]
        else:
            got = share.hash(f.path, rel=f.rel)
            if isinstance(got, Finding):  # gone or unreadable since the scan: this file only
                scan.cannot_read(got, f.unit, f.task, f.round)
                continue
            sha, hashed = got.sha256, hashed + 1
            if (got.size, got.mtime_ns, got.inode) != (f.size, f.mtime_ns, f.inode):  # changed since the scan
                f.size, f.mtime_ns, f.inode, f.mtime = got.size, got.mtime_ns, got.inode, got.mtime_ns / 1e9
        rows.append((stored(f.rel), f.size, f.mtime_ns, f.inode, sha))
        kept.append((f, sha))
    if rows:
        evstore.remember_hashes(store, scope.district, key, rows)
    evidence = [(f, sha) for f, sha in kept if not _skeleton(catalog, placed, f, sha)]
    seen = evstore.content_first_seen(store, scope.district, {sha for _, sha in evidence if sha})

    # facts are cached per (content, what it is read against, reading bounds, inspector version):
    # editing a template, raising a limit or a new inspector makes duban read the affected files again
    specs = {tid: spec_for(rt, catalog.templates) for tid, rt in catalog.tasks.items()}
    bounds = hashlib.sha256(
        json.dumps({**limits.to_dict(), "facts": FACTS_VERSION}, sort_keys=True).encode()
    ).hexdigest()[:8]
    spec_key = {tid: f"{spec.fingerprint()}.{bounds}" for tid, spec in specs.items()}
    wanted = {(sha, spec_key[f.task]) for f, sha in evidence if sha}
    facts = evstore.cached_facts(store, wanted)
    todo: dict[tuple[str, str], ScannedFile] = {}
    for f, sha in evidence:
        k = (sha, spec_key[f.task])
        if sha and k not in facts and k not in todo:
            todo[k] = f
    if todo:
        facts.update(_inspect(store, share, todo, specs, limits, workers, progress))
    files = []
    for f, sha in evidence:
        fa = _facts_of(f, sha, facts.get((sha, spec_key[f.task])), placed, limits)
        if fa.transient:  # could not be read by the inspector: unreadable, not rejected
            scan.cannot_read(Finding(shown(f.rel), fa.reason or "无法读取"), f.unit, f.task, f.round)
            continue
        files.append(
            GatheredFile(
                shown(f.rel),
                f.unit,
                f.task,
                f.round.isoformat() if f.round else None,
                min(f.mtime, seen.get(sha, f.mtime)),
                fa.to_dict(),
                sha,
                f.linked,
            )
        )
    return Gathered(
        str(root),
        files,
        [(u.rel, u.reason) for u in scan.unrecognized],
        {
            "files": len(files),
            "mapped": len(scan.files),
            "skeleton": len(kept) - len(evidence),
            "hashed": hashed,
            "inspected": len(todo),
            "unrecognized": len(scan.unrecognized),
            "unreadable": len(scan.unreadable),
            "gather_seconds": round(time.perf_counter() - t0, 3),
        },
        scan.unreadable,
    )


def _skeleton(catalog: Catalog, placed: dict[str, Placed], f: ScannedFile, sha: str) -> bool:
    """A blank form duban placed, where it placed it (a task that uses that template)."""
    return sha in placed and placed[sha].template in task_templates(catalog, f.task)


def _facts_of(f: ScannedFile, sha: str, facts: Facts | None, placed: dict[str, Placed], limits: Limits) -> Facts:
    if not sha:
        return Facts.rejected("unknown", too_big(limits.max_file_bytes))
    if sha in placed:  # a blank form outside the folders it was placed in: handed in by a unit
        return Facts.rejected("xlsx", misplaced_reason(placed[sha]))
    assert facts is not None
    return facts


def _inspect(
    store: Store,
    share: Share,
    todo: dict[tuple[str, str], ScannedFile],
    specs: dict,
    limits: Limits,
    workers: int | None,
    progress: Progress | None,
) -> dict[tuple[str, str], Facts]:
    """Inspect in the sandboxed pool; remember facts that hold (a file that changed or could
    not be read while being inspected is read again next time)."""
    from duban.evidence.sandbox import InspectorPool

    keys = list(todo)
    results: list[Facts] = []
    with InspectorPool(limits, workers=workers or 2) as pool:
        batch = 64
        for i in range(0, len(keys), batch):
            part = keys[i : i + batch]
            results += pool.inspect([(todo[k].path, specs[todo[k].task]) for k in part])
            if progress:
                progress(min(i + batch, len(keys)), len(keys))
    keep = []
    for k, fa in zip(keys, results):
        f = todo[k]
        st = share.stat(f.path, rel=f.rel)
        steady = not isinstance(st, Finding) and (st.st_size, st.st_mtime_ns, st.st_ino) == (
            f.size,
            f.mtime_ns,
            f.inode,
        )
        if not fa.transient and steady:
            keep.append((k[0], k[1], fa))
    evstore.remember_facts(store, keep)
    return dict(zip(keys, results))


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
    handed = credit.handed_files(gathered.files, as_of)
    submitted, rejected = credit.assign(catalog, handed)
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    # confirmations recorded before decisions existed (duban confirm now records an accept)
    confirmed = confirmations.current(store, scope, as_of=as_of)
    standing = decisions.standing(store, scope, as_of)
    unit_names = {catalog.unit(u).name for u in units} if units else None
    task_ids = {catalog.task(t).id for t in tasks} if tasks else None
    obligations = evaluate_rules(
        catalog,
        submitted,
        as_of,
        confirmed,
        units=unit_names,
        tasks=task_ids,
        extended=decisions.extensions(standing),
    )
    # the rules judge first; the coordinator's decisions in force at as_of override, and say so
    times = {s.rel: s.at for files in submitted.values() for s in files}
    ruled = obligations
    obligations = decisions.apply(ruled, standing, as_of, due_at=catalog.due_at, submitted=times)
    hold_unreadable(catalog, obligations, gathered.unreadable)
    unreadable = [FileIssue(u.rel, u.reason) for u in gathered.unreadable]
    unrecognized = [FileIssue(r, why) for r, why in gathered.unrecognized]
    listed = {f.path for f in rejected + unrecognized + unreadable}
    unrecognized += credit.unaccounted(handed, obligations, listed, unit_names, task_ids)
    result = CheckResult(
        as_of=as_of,
        evidence_root=gathered.root,
        obligations=obligations,
        unrecognized=unrecognized + unreadable,
        rejected=rejected,
    )
    if unit_names or task_ids:  # a partial re-check lists only what concerns its scope
        owner = {g.rel: (g.unit, g.task) for g in gathered.files}
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
            rules_json=json.dumps([o.to_json() for o in ruled], ensure_ascii=False) if standing else None,
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
