"""Evidence state in the store: content hashes, inspection results, first-seen times and
every check run — so a re-check reads only new or changed files and history is kept.

Tables
- ``evidence_files``: one row per (district, root, path): the stat signature last seen and
  its content hash. An unchanged signature (size, mtime_ns, inode) reuses the hash without
  opening the file.
- ``evidence_contents``: one row per (district, content hash): when that district first saw it.
- ``inspections``: facts per (content hash, inspect-spec fingerprint) — content-addressed,
  shared by every district (the same bytes read against the same spec give the same facts).
- ``check_runs``: one row per check of a district's campaign: when, as of when, counters,
  the result JSON.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from duban.store import Scope, Store, chunks, metadata, scope_columns

from .facts import Facts

evidence_files = sa.Table(
    "evidence_files",
    metadata,
    sa.Column("district", sa.Text, nullable=False, server_default=""),
    sa.Column("root", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("mtime_ns", sa.BigInteger, nullable=False),
    sa.Column("inode", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("first_seen", sa.Text, nullable=False),
    sa.Column("last_seen", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("district", "root", "path"),
)
evidence_contents = sa.Table(
    "evidence_contents",
    metadata,
    sa.Column("district", sa.Text, nullable=False, server_default=""),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("first_seen", sa.Text, nullable=False),
    sa.Column("first_path", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("district", "sha256"),
)
inspections = sa.Table(
    "inspections",
    metadata,
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("facts", sa.Text, nullable=False),
    sa.Column("inspected_at", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("sha256", "spec"),
)
check_runs = sa.Table(
    "check_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *scope_columns(),
    sa.Column("started_at", sa.Text, nullable=False),
    sa.Column("as_of", sa.Text, nullable=False),
    sa.Column("evidence_root", sa.Text, nullable=False),
    sa.Column("units", sa.Text),
    sa.Column("tasks", sa.Text),
    sa.Column("files", sa.Integer, nullable=False),
    sa.Column("hashed", sa.Integer, nullable=False),
    sa.Column("inspected", sa.Integer, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("result", sa.Text, nullable=False),  # the result as reported (the coordinator's decisions applied)
    sa.Column("rules_result", sa.Text),  # the rules' own verdicts, before any decision (the desk re-applies today's)
)
RUN_LATER_COLUMNS = ("rules_result",)
sa.Index("check_runs_scope", check_runs.c.district, check_runs.c.campaign, check_runs.c.evidence_root)

CHUNK = 1 << 20


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def cached_hashes(store: Store, district: str, root: str) -> dict[str, tuple[int, int, int, str]]:
    t = evidence_files
    with store.read() as conn:
        rows = conn.execute(
            sa.select(t.c.path, t.c.size, t.c.mtime_ns, t.c.inode, t.c.sha256).where(
                t.c.district == district, t.c.root == root
            )
        )
        return {r.path: (r.size, r.mtime_ns, r.inode, r.sha256) for r in rows}


def remember_hashes(store: Store, district: str, root: str, rows: list[tuple[str, int, int, int, str]]) -> None:
    """rows: (path, size, mtime_ns, inode, sha256) for every file seen in this scan."""
    now = _now()
    files = [
        {
            "district": district,
            "root": root,
            "path": p,
            "size": s,
            "mtime_ns": m,
            "inode": i,
            "sha256": h,
            "first_seen": now,
            "last_seen": now,
        }
        for p, s, m, i, h in rows
    ]
    contents = [
        {"district": district, "sha256": h, "size": s, "first_seen": now, "first_path": p} for p, s, m, i, h in rows
    ]
    with store.begin() as conn:
        conn.execute(
            store.upsert(
                evidence_files, ["district", "root", "path"], ["size", "mtime_ns", "inode", "sha256", "last_seen"]
            ),
            files,
        )
        conn.execute(store.insert_ignore(evidence_contents), contents)


def cached_facts(store: Store, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Facts]:
    out: dict[tuple[str, str], Facts] = {}
    if not keys:
        return out
    t = inspections
    with store.read() as conn:
        for part in chunks(sorted({k[0] for k in keys})):
            for r in conn.execute(sa.select(t.c.sha256, t.c.spec, t.c.facts).where(t.c.sha256.in_(part))):
                key = (r.sha256, r.spec)
                if key in keys:
                    out[key] = Facts.from_dict(json.loads(r.facts))
    return out


def remember_facts(store: Store, items: list[tuple[str, str, Facts]]) -> None:
    now = _now()
    rows = [
        {"sha256": sha, "spec": spec, "facts": json.dumps(f.to_dict(), ensure_ascii=False), "inspected_at": now}
        for sha, spec, f in items
    ]
    with store.begin() as conn:
        conn.execute(store.upsert(inspections, ["sha256", "spec"], ["facts", "inspected_at"]), rows)


def record_run(
    store: Store,
    scope: Scope,
    *,
    started_at: str,
    as_of: str,
    root: str,
    units: Any,
    tasks: Any,
    files: int,
    hashed: int,
    inspected: int,
    seconds: float,
    result_json: str,
    rules_json: str | None = None,
) -> int:
    store.ensure_columns(check_runs, RUN_LATER_COLUMNS)
    with store.begin() as conn:
        res = conn.execute(
            check_runs.insert().values(
                **scope.values(),
                started_at=started_at,
                as_of=as_of,
                evidence_root=root,
                units=json.dumps(units, ensure_ascii=False) if units else None,
                tasks=json.dumps(tasks) if tasks else None,
                files=files,
                hashed=hashed,
                inspected=inspected,
                seconds=seconds,
                result=result_json,
                rules_result=rules_json,
            )
        )
        key = res.inserted_primary_key
        assert key is not None
        return int(key[0])


def last_run(store: Store, scope: Scope, root: str, before_id: int | None = None) -> Any:
    """The latest full check (no unit/task filter) of a root, optionally before a run id."""
    t = check_runs
    q = sa.select(t).where(scope.where(t), t.c.evidence_root == root, t.c.units.is_(None), t.c.tasks.is_(None))
    if before_id is not None:
        q = q.where(t.c.id < before_id)
    with store.read() as conn:
        return conn.execute(q.order_by(t.c.id.desc()).limit(1)).mappings().first()


def latest_run(store: Store, scope: Scope) -> Any:
    """The latest full check (no unit/task filter) of a district's campaign, whatever its root."""
    t = check_runs
    q = sa.select(t).where(scope.where(t), t.c.units.is_(None), t.c.tasks.is_(None))
    with store.read() as conn:
        return conn.execute(q.order_by(t.c.id.desc()).limit(1)).mappings().first()


def run_by_id(store: Store, run_id: int) -> Any:
    with store.read() as conn:
        return conn.execute(sa.select(check_runs).where(check_runs.c.id == run_id)).mappings().first()


def content_first_seen(store: Store, district: str, shas: set[str]) -> dict[str, float]:
    """POSIX time this district first saw each content (whatever its path then)."""
    out: dict[str, float] = {}
    t = evidence_contents
    with store.read() as conn:
        for part in chunks(sorted(shas)):
            q = sa.select(t.c.sha256, t.c.first_seen).where(t.c.district == district, t.c.sha256.in_(part))
            for r in conn.execute(q):
                out[r.sha256] = dt.datetime.fromisoformat(r.first_seen).timestamp()
    return out


# ---------------------------------------------------------------- the blank forms duban writes
blank_forms = sa.Table(
    "blank_forms",
    metadata,
    sa.Column("fingerprint", sa.Text, primary_key=True),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
)


def known_blank_forms(store: Store) -> dict[str, tuple[str, int]]:
    """(sha256, size) of each blank template form by its fingerprint (``evidence.skeleton``)."""
    with store.read() as conn:
        return {r.fingerprint: (r.sha256, r.size) for r in conn.execute(sa.select(blank_forms))}


def remember_blank_forms(store: Store, forms: dict[str, tuple[str, int]]) -> None:
    if forms:
        rows = [{"fingerprint": k, "sha256": sha, "size": size} for k, (sha, size) in forms.items()]
        with store.begin() as conn:
            conn.execute(store.insert_ignore(blank_forms), rows)
