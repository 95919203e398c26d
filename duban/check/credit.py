"""Which obligation each file handed in counts for — and, for every file that counts for
none, why. Nothing under the share vanishes from a check: a file is counted, rejected or
listed as unrecognized, each with a reason.

- A lead unit's file counts for its own obligation.
- A supporting unit's file (配合单位, filing its part in its own folder) counts for the
  lead's obligation as shared evidence and is listed there (the lead owes the task; DESIGN.md).
- One content counts for one unit per task: the same bytes filed by several units (a copy,
  a hard link) count for the unit whose own folder holds it (not reached through a link),
  else the earliest, else the first by path; each other copy is rejected with a problem that
  names where the same file also lies.

Everything here works on one task's files at a time (a file counts only for obligations of
its own task): ``check.run.evaluate`` hands the files over task by task, with their facts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from duban.evidence.facts import Facts
from duban.results import FileIssue, Obligation
from duban.tasks_catalog import Catalog

from .rules import Submitted, submitted_at


@dataclass(slots=True)
class Handed:
    """One gathered file as the credit sees it."""

    rel: str
    unit: str  # the unit whose folder holds it
    task: str
    round: dt.date | None
    at: dt.datetime
    facts: Facts
    sha: str
    linked: bool = False
    order: int = 0  # where it lies in the walk of the share: lists of files keep that order

    @property
    def key(self) -> tuple[bool, dt.datetime, str]:
        return (self.linked, self.at, self.rel)


def credited_units(catalog: Catalog, task: str, unit: str) -> tuple[str, ...]:
    """The units whose obligation a file of ``unit`` for ``task`` counts for."""
    rt = catalog.tasks[task]
    return (unit,) if unit in rt.leads or not rt.leads else tuple(rt.leads)


def assign(
    catalog: Catalog, handed: list[Handed]
) -> tuple[dict[tuple[str, str], list[Submitted]], list[tuple[Handed, FileIssue]]]:
    """(files by (task, credited unit), rejected files with their reasons)."""
    one_unit_per_content(catalog, handed)
    submitted: dict[tuple[str, str], list[Submitted]] = {}
    rejected: list[tuple[Handed, FileIssue]] = []
    for h in handed:
        for unit in credited_units(catalog, h.task, h.unit):
            submitted.setdefault((h.task, unit), []).append(Submitted(h.rel, h.round, h.at, h.facts, h.sha))
        if not h.facts.ok:
            rejected.append((h, FileIssue(h.rel, h.facts.reason or "无法读取")))
    return submitted, rejected


def one_unit_per_content(catalog: Catalog, handed: list[Handed]) -> None:
    """Copies of one content credited to different units: each copy but the owner's is rejected (in place)."""
    groups: dict[tuple[str, str], list[Handed]] = defaultdict(list)
    for h in handed:
        if h.facts.ok and h.sha:
            groups[(h.task, h.sha)].append(h)
    for group in groups.values():
        if len(group) < 2:
            continue  # the usual case: a content only one file has
        credited = {credited_units(catalog, h.task, h.unit) for h in group}
        if len(credited) < 2:
            continue  # one unit's copies: counted once by the rules
        owner = min(group, key=lambda h: h.key)
        mine = credited_units(catalog, owner.task, owner.unit)
        for h in group:
            if credited_units(catalog, h.task, h.unit) != mine:
                h.facts = Facts.rejected(
                    h.facts.kind,
                    f"与“{owner.rel}”是同一份文件（内容相同），已计入{'、'.join(mine)}，"
                    f"不再计入{h.unit}：请报送本单位自己的材料",
                )


# ---------------------------------------------------------------- nothing vanishes
def unaccounted(
    handed: list[Handed],
    obligations: list[Obligation],
    listed: set[str],
    units: set[str] | None = None,
    tasks: set[str] | None = None,
) -> list[tuple[Handed, FileIssue]]:
    """Files that no obligation lists and that were neither rejected nor listed otherwise,
    each with the reason it does not count (an extra copy, an empty table, not what the task asks)."""
    shown = {f for o in obligations for f in o.files} | listed
    out: list[tuple[Handed, FileIssue]] = []
    by_sha: dict[tuple[str, str, str], str] = {}
    for h in handed:
        if h.rel in shown and h.sha:
            by_sha.setdefault((h.task, h.unit, h.sha), h.rel)
    for h in handed:
        if h.rel in shown or (units and h.unit not in units) or (tasks and h.task not in tasks):
            continue  # (outside a partial re-check's scope)
        same = by_sha.get((h.task, h.unit, h.sha)) if h.sha else None
        if same:
            reason = f"与“{same}”内容相同，只计一次"
        elif h.facts.blank:
            reason = h.facts.blank
        else:
            reason = f"已收到，但不是任务 {h.task} 要求的材料，未计入：请对照说明.txt 报送"
        out.append((h, FileIssue(h.rel, reason)))
    return out


def handed_files(gathered: Iterable[tuple[int, Any]], as_of: dt.datetime, facts: Mapping[int, Facts]) -> list[Handed]:
    """The gathered files (with their place in the walk) that existed at the as-of time;
    ``facts`` by that place (files without facts are left out: the caller said why)."""
    out = []
    times: dict[float, dt.datetime] = {}  # many files of a folder share a modification time
    for order, g in gathered:
        at = times.get(g.submitted)
        if at is None:
            at = times[g.submitted] = submitted_at(g.submitted)
        if at > as_of or order not in facts:
            continue  # not handed in yet at this as-of time
        out.append(Handed(g.rel, g.unit, g.task, g.round, at, facts[order], g.sha, g.linked, order))
    return out
