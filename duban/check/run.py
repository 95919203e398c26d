"""One check run: scan the evidence folder, inspect new or changed files, apply the rules.

Two phases, so the flows can run and log them separately (and the CLI can run both):

- :func:`gather` (``check.gather``) walks the folder (names and stat only), hashes files
  whose stat signature changed since the last scan, and inspects contents not yet inspected
  for their task's spec — in sandboxed worker processes. Everything is cached in the store,
  so a re-check with nothing changed opens no file.
- :func:`evaluate` turns the gathered files into obligations, one task at a time (each
  task's facts read from the store, judged, then let go; or, given a :class:`Memo`, the
  task as the last check judged it when its files and the as-of window are the same), and
  stores the run.

No Prefect here: this is the library core the CLI, the flows and the tests share.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from duban import replay
from duban.evidence import store as evstore
from duban.evidence.facts import Facts
from duban.evidence.limits import Limits
from duban.evidence.scanner import EvidenceRootError, Unreadable
from duban.evidence.share import stored
from duban.home import Home
from duban.results import CheckResult, FileIssue, Obligation
from duban.store import Store, scope_of
from duban.tasks_catalog import Catalog
from duban.timeutil import TZ

from . import confirmations, credit, decisions
from .gather import Gathered, GatheredFile, Progress, gather, limits_from_settings
from .memo import Memo, Part
from .rules import evaluate as evaluate_rules
from .rules import hold_unreadable, submitted_at

__all__ = [
    "EvidenceRootError",
    "Gathered",
    "GatheredFile",
    "basis",
    "gather",
    "evaluate",
    "run_check",
    "limits_from_settings",
]

MISSING_FACTS = "读取记录不完整（检查数据库中缺少该文件的读取结果），本次未判定：请重新检查"


def evaluate(
    catalog: Catalog,
    gathered: Gathered,
    as_of: dt.datetime,
    home: Home,
    *,
    units: list[str] | None = None,
    tasks: list[str] | None = None,
    record: bool = True,
    memo: Memo | None = None,
) -> CheckResult:
    """The obligations of the gathered files at ``as_of``, recorded as a check run. ``memo``:
    the tasks the last check of the same request judged, reused where they still hold (whole
    checks only), and this check's kept for the next (:mod:`duban.check.memo`)."""
    t0 = time.perf_counter()
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    # confirmations recorded before decisions existed (duban confirm now records an accept)
    confirmation_rows = confirmations.rows(store, scope)
    confirmed = confirmations.current(store, scope, as_of=as_of, made=confirmation_rows)
    history = decisions.history(store, scope)
    standing = [d for d in history if d.in_force(as_of)]
    unit_names = {catalog.unit(u).name for u in units} if units else None
    task_ids = {catalog.task(t).id for t in tasks} if tasks else None
    extended = decisions.extensions(standing)
    judged = _Judged(catalog, store, scope.district, gathered, as_of, confirmed, extended, unit_names, task_ids)
    made_basis = _basis(history, confirmation_rows)
    fixed = list(_fixed_instants(catalog, history, confirmations.instants(confirmation_rows)))
    if memo is not None and not unit_names and not task_ids:
        memo.begin(made_basis, gathered.root, evstore.store_id(store))
        judged.memo, judged.fixed = memo, fixed
    for task, files in _by_task(catalog, gathered, task_ids):
        judged.task(task, files, keep_times=any(d.task == task for d in standing))
    # the rules judge first; the coordinator's decisions in force at as_of override, and say so
    times = judged.times
    ruled = judged.ruled
    obligations = decisions.apply(ruled, standing, as_of, due_at=catalog.due_at, submitted=times)
    unreadable_now = gathered.unreadable + judged.unreadable
    hold_unreadable(catalog, obligations, unreadable_now)
    unreadable = [FileIssue(u.rel, u.reason) for u in unreadable_now]
    unrecognized = [FileIssue(r, why) for r, why in gathered.unrecognized]
    unrecognized += [issue for _, issue in sorted(judged.unaccounted, key=lambda x: x[0])]
    rejected = [issue for _, issue in sorted(judged.rejected, key=lambda x: x[0])]
    result = CheckResult(
        as_of=as_of,
        evidence_root=gathered.root,
        obligations=obligations,
        unrecognized=unrecognized + unreadable,
        rejected=rejected,
    )
    result.window = replay.window(as_of, _instants(gathered.files, fixed))
    result.basis = made_basis
    if unit_names:  # a partial re-check lists only what concerns its scope
        result.unrecognized = [u for u in result.unrecognized if _unit_of(u.path, catalog) in unit_names]
    result.stats = dict(gathered.stats, evaluate_seconds=round(time.perf_counter() - t0, 3))
    if judged.memo is not None:
        result.stats["reused_tasks"] = judged.memo.reused
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
            result_json=result.json_text(),
            rules_json=json.dumps([o.to_json() for o in ruled], ensure_ascii=False) if standing else None,
        )
    return result


def basis(catalog: Catalog, home: Home) -> str:
    """What a check's answer takes from the store besides the files' facts: a digest of every
    decision and confirmation (a kept answer holds only while this is unchanged)."""
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    return _basis(decisions.history(store, scope), confirmations.rows(store, scope))


def _basis(history: list[decisions.Decision], confirmation_rows: list) -> str:
    return hashlib.sha256(
        repr((history, [tuple(r) for r in confirmation_rows])).encode("utf-8", "surrogateescape")
    ).hexdigest()


def _instants(files: Iterable[GatheredFile], fixed: list[dt.datetime | None]) -> Iterable[dt.datetime | None]:
    """Every instant the rules and decisions compare the as-of time with: when each of these
    files came in, and the ``fixed`` ones (:func:`_fixed_instants`). Between two of them the
    verdicts on these files do not change (``replay.window``)."""
    yield from {submitted_at(s) for s in {g.submitted for g in files}}
    yield from fixed


def _fixed_instants(
    catalog: Catalog, history: list[decisions.Decision], confirmed: list[dt.datetime]
) -> Iterable[dt.datetime | None]:
    """Every due time (extensions' too), when each decision and confirmation was made or withdrawn."""
    yield from (catalog.due_at(day) for day in catalog.round_dates())
    for d in history:
        yield d.at
        yield d.withdrawn_at
        if d.until is not None:
            yield catalog.due_at(d.until)
    yield from confirmed


def _unit_of(rel: str, catalog: Catalog) -> str | None:
    unit = catalog.find_unit(rel.split("/", 1)[0])
    return unit.name if unit else None


class _Judged:
    """Judges the files task by task and collects what it finds (files by their place in the
    walk of the share). A task is judged a part at a time — units that share no file — so that
    only one part's facts are held at once, not every file's of the largest task."""

    def __init__(
        self,
        catalog: Catalog,
        store: Store,
        district: str,
        gathered: Gathered,
        as_of: dt.datetime,
        confirmed: dict,
        extended: dict,
        units: set[str] | None,
        tasks: set[str] | None,
    ) -> None:
        self.catalog, self.store, self.district, self.gathered = catalog, store, district, gathered
        self.as_of, self.confirmed, self.extended = as_of, confirmed, extended
        self.units, self.tasks = units, tasks  # a partial re-check's scope (names, ids)
        self.ruled: list[Obligation] = []
        self.rejected: list[tuple[int, FileIssue]] = []
        self.unaccounted: list[tuple[int, FileIssue]] = []
        self.times: dict[str, dt.datetime] = {}
        self.unreadable: list = []  # files whose stored facts went missing
        self._elsewhere: set[str] | None = None
        self.memo: Memo | None = None  # tasks judged by the last check, and kept for the next
        self.fixed: list[dt.datetime | None] = []  # the instants of every task (due times, decisions ...)
        self._task_times: dict[str, dt.datetime] = {}

    def elsewhere(self) -> set[str]:
        """Paths listed as unrecognized or unreadable by the scan."""
        if self._elsewhere is None:
            g = self.gathered
            self._elsewhere = {r for r, _ in g.unrecognized} | {u.rel for u in g.unreadable}
        return self._elsewhere

    def task(self, task: str, files: list[tuple[int, GatheredFile]], *, keep_times: bool) -> None:
        """Every obligation of the task, in the catalog's order of units. ``keep_times``: note when
        its files came in (what the coordinator's decisions on it need). As the last check judged
        it when that still holds (``memo``), else judged, and kept for the next."""
        memo = self.memo
        self._task_times = {}
        if memo is None:
            self._judge(task, files, keep_times)
            return
        key = memo.key(self._memo_files(task, files), keep_times)
        order = {g.rel: o for o, g in files}
        part = memo.get(task, key, self.as_of, order)
        if part is not None:
            self.ruled += part.ruled
            self.rejected += [(order[i.path], i) for i in part.rejected]
            self.unaccounted += [(order[i.path], i) for i in part.unaccounted]
            self.times.update(part.times)
            return
        marks = (len(self.ruled), len(self.rejected), len(self.unaccounted), len(self.unreadable))
        self._judge(task, files, keep_times)
        if len(self.unreadable) > marks[3] or len(order) < len(files):
            return  # facts went missing, or two files with one path (a link): judged again next time
        window = replay.window(self.as_of, _instants((g for _, g in files), self.fixed))
        part = Part(
            self.ruled[marks[0] :],
            [i for _, i in self.rejected[marks[1] :]],
            [i for _, i in self.unaccounted[marks[2] :]],
            self._task_times,
        )
        memo.put(task, key, window, part)

    def _memo_files(self, task: str, files: list[tuple[int, GatheredFile]]) -> bytes:
        """A task's files as :meth:`Memo.key` digests them: each one's place, owner, round, when
        it came in, content (and the spec its facts are stored under, or the facts it carries),
        whether it was reached through a link or could not be read by the scan; in the order
        of the walk. (pickle: plain tuples of str, date and float, ~5x faster than text.)"""
        elsewhere = self.elsewhere()
        return pickle.dumps(
            (
                self.gathered.spec_keys.get(task),
                [g[:7] for _, g in files],  # rel, unit, task, round, submitted, sha, linked
                [i for i, (_, g) in enumerate(files) if g.rel in elsewhere],
                [(i, g.facts.to_json()) for i, (_, g) in enumerate(files) if g.facts is not None],
            ),
            protocol=5,
        )

    def _judge(self, task: str, files: list[tuple[int, GatheredFile]], keep_times: bool) -> None:
        rt = self.catalog.tasks[task]
        if rt.unassigned:  # nobody owes it: one obligation, whatever was filed
            self.ruled += self._part(task, files, self.units, {}, keep_times)
            return
        overrides = self._contested(task, files)
        made: dict[str | None, list[Obligation]] = {}
        covered: set[str] = set()
        for units, part in _parts(self.catalog, task, files):
            covered |= units
            wanted = units & self.units if self.units else units
            for o in self._part(task, part, wanted, overrides, keep_times):
                made.setdefault(o.unit, []).append(o)
        rest = {u for u in rt.leads if u not in covered and (not self.units or u in self.units)}
        if rest:  # the units that filed nothing for it
            for o in evaluate_rules(
                self.catalog, {}, self.as_of, self.confirmed, units=rest, tasks={task}, extended=self.extended
            ):
                made.setdefault(o.unit, []).append(o)
        self.ruled += [o for u in rt.leads for o in made.get(u, [])]

    def _part(
        self,
        task: str,
        files: list[tuple[int, GatheredFile]],
        units: set[str] | None,
        overrides: dict[int, Facts],
        keep_times: bool,
    ) -> list[Obligation]:
        """The obligations of ``units`` for the task, from the files credited to them; what was
        rejected or counts for nothing is collected."""
        handed = credit.handed_files(files, self.as_of, self._facts(files))
        for h in handed:
            if h.order in overrides:  # a copy of a file that counts for a unit of another part
                h.facts = overrides[h.order]
        submitted, refused = credit.assign(self.catalog, handed)
        obligations = (
            evaluate_rules(
                self.catalog, submitted, self.as_of, self.confirmed, units=units, tasks={task}, extended=self.extended
            )
            if units is None or units  # (an empty set: none of these units is in a partial re-check's scope)
            else []
        )
        self.rejected += [(h.order, issue) for h, issue in refused if not self.units or h.unit in self.units]
        listed = {issue.path for _, issue in refused} | self.elsewhere()
        self.unaccounted += [
            (h.order, issue) for h, issue in credit.unaccounted(handed, obligations, listed, self.units, self.tasks)
        ]
        if keep_times:
            times = {s.rel: s.at for files in submitted.values() for s in files}
            self.times.update(times)
            self._task_times.update(times)
        return obligations

    def _contested(self, task: str, files: list[tuple[int, GatheredFile]]) -> dict[int, Facts]:
        """The copies of a content filed for several units' obligations that do not count for
        theirs (``credit.one_unit_per_content``), decided over the whole task before it is judged
        a part at a time: {place in the walk: the rejection}. Only these files' facts are read."""
        credited: dict[str, set[tuple[str, ...]]] = {}
        for _, g in files:
            if g.sha:
                credited.setdefault(g.sha, set()).add(credit.credited_units(self.catalog, task, g.unit))
        shared = {sha for sha, units in credited.items() if len(units) > 1}
        if not shared:
            return {}
        copies = [(o, g) for o, g in files if g.sha in shared]
        facts = self._facts(copies, note=False)  # (a copy whose facts went missing is noted with its part)
        handed = credit.handed_files(copies, self.as_of, facts)
        credit.one_unit_per_content(self.catalog, handed)
        return {h.order: h.facts for h in handed if h.facts is not facts[h.order]}

    def _facts(self, files: list[tuple[int, GatheredFile]], *, note: bool = True) -> dict[int, Facts]:
        """The facts of these files, by their place in the walk: read from the store (or
        carried by the file). A file whose stored facts went missing is unreadable this time, and
        the store forgets it knew them, so the next check reads it again."""
        gathered = self.gathered
        keys = {k for _, g in files if (k := gathered.facts_key(g)) is not None}
        have = evstore.cached_facts(self.store, keys) if keys else {}
        out: dict[int, Facts] = {}
        lost: set[str] = set()
        for order, g in files:
            key = gathered.facts_key(g)
            facts = g.facts if key is None else have.get(key)
            if facts is None:
                lost.add(g.sha)
                if note:
                    self.unreadable.append(Unreadable(g.rel, MISSING_FACTS, g.unit, g.task, g.round))
                continue
            out[order] = facts
        if lost and note:
            evstore.forget_facts(self.store, self.district, stored(gathered.root), lost)
        return out


def _by_task(
    catalog: Catalog, gathered: Gathered, task_ids: set[str] | None
) -> Iterable[tuple[str, list[tuple[int, GatheredFile]]]]:
    """Every task of the catalog (of a partial re-check's tasks) with its files, in catalog order."""
    files: dict[str, list[tuple[int, GatheredFile]]] = {}
    for order, g in enumerate(gathered.files):
        if not task_ids or g.task in task_ids:
            files.setdefault(g.task, []).append((order, g))
    for task in catalog.tasks:
        if not task_ids or task in task_ids:
            yield task, files.pop(task, [])


PART_FILES = 500  # parts are judged together until they hold this many files (fewer store queries)


def _parts(
    catalog: Catalog, task: str, files: list[tuple[int, GatheredFile]]
) -> Iterator[tuple[set[str], list[tuple[int, GatheredFile]]]]:
    """(units, their files): a task's files split where no file counts for units of two parts
    (a supporting unit's file counts for every lead: those leads are one part), parts put
    together up to :data:`PART_FILES` files; files in the order of the walk."""
    parent: dict[str, str] = {}

    def root(u: str) -> str:
        while parent.setdefault(u, u) != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    credited: dict[str, tuple[str, ...]] = {}
    for _, g in files:
        if g.unit not in credited:
            cu = credited[g.unit] = credit.credited_units(catalog, task, g.unit)
            for u in cu:
                parent[root(u)] = root(cu[0])
    groups: dict[str, list[tuple[int, GatheredFile]]] = {}
    for order, g in files:
        groups.setdefault(root(credited[g.unit][0]), []).append((order, g))
    members: dict[str, set[str]] = {}
    for u in list(parent):
        members.setdefault(root(u), set()).add(u)
    units: set[str] = set()
    batch: list[tuple[int, GatheredFile]] = []
    for r, part in groups.items():
        units |= members[r]
        batch += part
        if len(batch) >= PART_FILES:
            yield units, sorted(batch, key=lambda x: x[0])
            units, batch = set(), []
    if batch:
        yield units, sorted(batch, key=lambda x: x[0])


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
    memo: Memo | None = None,
) -> CheckResult:
    """Scan, inspect and judge: the whole check in one call."""
    gathered = gather(catalog, evidence_root, home, limits=limits, workers=workers, progress=progress)
    return evaluate(catalog, gathered, as_of, home, units=units, tasks=tasks, memo=memo)
