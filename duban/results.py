"""The result of a check: one Obligation per (task, unit, round), plus the files that
could not be used. This is the contract between the checker, the reminders, the reports
and the flows; its JSON form (``schema: 1``) is documented in DESIGN.md.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from duban.statuses import STATUSES

SCHEMA = 1


@dataclass
class Obligation:
    task: str  # D01..S07
    unit: str | None  # unit name as in units.yaml; None for unassigned tasks
    round: dt.date | None  # the round's due date; None for done/ongoing/unassigned
    due: dt.date | None
    status: str
    problems: list[str] = field(default_factory=list)  # plain Chinese, says by how much
    files: list[str] = field(default_factory=list)  # paths relative to the evidence root, '/'

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.task, self.unit or "", self.round.isoformat() if self.round else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "unit": self.unit,
            "round": self.round.isoformat() if self.round else None,
            "due": self.due.isoformat() if self.due else None,
            "status": self.status,
            "problems": list(self.problems),
            "files": list(self.files),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Obligation:
        date = lambda v: dt.date.fromisoformat(v) if v else None
        return cls(
            d["task"],
            d.get("unit"),
            date(d.get("round")),
            date(d.get("due")),
            d["status"],
            list(d.get("problems") or []),
            list(d.get("files") or []),
        )


@dataclass
class FileIssue:
    path: str  # relative to the evidence root
    reason: str  # plain Chinese: what is wrong and what to do


@dataclass
class CheckResult:
    as_of: dt.datetime
    evidence_root: str
    obligations: list[Obligation]
    unrecognized: list[FileIssue] = field(default_factory=list)
    rejected: list[FileIssue] = field(default_factory=list)
    run_id: int | None = None  # the check run's id in the store, when stored
    stats: dict[str, Any] = field(default_factory=dict)  # files scanned, opened, seconds ...
    # the as-of times this answer holds for (duban.replay.Window; not part of the JSON)
    window: Any = field(default=None, repr=False, compare=False)
    basis: str | None = field(default=None, repr=False, compare=False)  # digest of the decisions it applied

    def to_json(self) -> dict[str, Any]:
        head, lists = self._json_parts()
        return {**head, **{k: list(entries) for k, entries in lists.items()}}

    def _json_parts(self) -> tuple[dict[str, Any], dict[str, Iterator[dict[str, Any]]]]:
        """The JSON's plain fields, and its lists as entries made one at a time."""
        head: dict[str, Any] = {"schema": SCHEMA, "as_of": self.as_of.isoformat(), "evidence_root": self.evidence_root}
        lists: dict[str, Iterator[dict[str, Any]]] = {
            "obligations": (o.to_json() for o in self.obligations),
            "unrecognized": (asdict(f) for f in self.unrecognized),
            "rejected": (asdict(f) for f in self.rejected),
        }
        return head, lists

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)

    def json_text(self) -> str:
        """``json.dumps(self.to_json(), ensure_ascii=False)`` (what the store keeps), the same
        text made an entry at a time: json's encoder holds every small piece of a whole result's
        text until it joins them, and ``to_json`` every obligation's dict."""
        head, lists = self._json_parts()
        items = [f"{_text(k)}: {_text(v)}" for k, v in head.items()]
        items += [f"{_text(k)}: [{', '.join(_text(x) for x in entries)}]" for k, entries in lists.items()]
        return "{" + ", ".join(items) + "}"

    def write_json(self, path: Path | str) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(self.dumps() + "\n", encoding="utf-8")
        return p

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CheckResult:
        if d.get("schema") != SCHEMA:
            raise ValueError(f"unsupported check schema {d.get('schema')!r}")
        return cls(
            as_of=dt.datetime.fromisoformat(d["as_of"]),
            evidence_root=d["evidence_root"],
            obligations=[Obligation.from_json(o) for o in d["obligations"]],
            unrecognized=[FileIssue(**f) for f in d.get("unrecognized", [])],
            rejected=[FileIssue(**f) for f in d.get("rejected", [])],
        )

    @classmethod
    def load(cls, path: Path | str) -> CheckResult:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    # -- views used by reminders and reports
    def by_unit(self) -> dict[str, list[Obligation]]:
        out: dict[str, list[Obligation]] = {}
        for o in self.obligations:
            if o.unit:
                out.setdefault(o.unit, []).append(o)
        return out

    def unit_counts(self, units, statuses) -> list[tuple[str, dict[str, int]]]:
        """(unit, {status: n}) for each unit in ``units`` order that owes something here."""
        by_unit = self.by_unit()
        rows = []
        for unit in units:
            if by_unit.get(unit):
                c = dict.fromkeys(statuses, 0)
                for o in by_unit[unit]:
                    if o.status in c:
                        c[o.status] += 1
                rows.append((unit, c))
        return rows

    def counts(self) -> dict[str, int]:
        c = dict.fromkeys(STATUSES, 0)
        for o in self.obligations:
            c[o.status] = c.get(o.status, 0) + 1
        return c


def _text(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
