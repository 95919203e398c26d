"""Evidence state in the store: content hashes, inspection results, first-seen times and
every check run — so a re-check reads only new or changed files and history is kept.

Tables
- ``evidence_files``: one row per (district, root, path): the stat signature last seen, its
  content hash and the spec its facts are stored under (``facts_spec``). An unchanged
  signature (size, mtime_ns, inode) reuses the hash without opening the file, and an
  unchanged spec the facts without asking ``inspections``. A re-check writes only the rows
  that changed (``last_seen``: when the row was last written); a path no longer in the
  share keeps its row (the desk still finds when a file of an older check was handed in).
- ``evidence_contents``: one row per (district, content hash): when that district first saw it.
- ``inspections``: facts per (content hash, inspect-spec fingerprint) — content-addressed,
  shared by every district (the same bytes read against the same spec give the same facts).
- ``check_runs``: one row per check of a district's campaign: when, as of when, counters,
  the result JSON.
- ``store_info``: the store's own id (what a memo of judged tasks is made with).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

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
    sa.Column("facts_spec", sa.Text),  # inspections holds (sha256, facts_spec); None: not known
    sa.PrimaryKeyConstraint("district", "root", "path"),
)
FILE_LATER_COLUMNS = ("facts_spec",)
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
store_info = sa.Table(
    "store_info",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


def now_text() -> str:
    """The time rows are stamped with (local, to the second)."""
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


PART = 2000  # rows fetched at a time (fetchmany, not one call per row)


class Known(NamedTuple):
    """What the store knows of one path of a root."""

    size: int
    mtime_ns: int
    inode: int
    sha256: str
    facts_spec: str | None
    first_seen: float | None  # POSIX time the district first saw this content


def known_files(store: Store, district: str, root: str) -> dict[str, Known]:
    """Every path of a root the store knows (stored form) -> :class:`Known`: one query, the
    content's first-seen time joined in."""
    f, c = evidence_files, evidence_contents
    store.ensure_columns(evidence_files, FILE_LATER_COLUMNS)
    q = (
        sa.select(f.c.path, f.c.size, f.c.mtime_ns, f.c.inode, f.c.sha256, f.c.facts_spec, c.c.first_seen)
        .select_from(f.outerjoin(c, sa.and_(c.c.district == f.c.district, c.c.sha256 == f.c.sha256)))
        .where(f.c.district == district, f.c.root == root)
    )
    seen = _Timestamps()
    specs: dict[str, str] = {}  # one string per spec, however many rows name it
    out: dict[str, Known] = {}
    with store.read() as conn:
        for rows in conn.execute(q).partitions(PART):
            for path, size, mtime, inode, sha, spec, first in rows:
                out[path] = Known(size, mtime, inode, sha, specs.setdefault(spec, spec) if spec else None, seen(first))
    return out


class _Timestamps:
    """ISO text -> POSIX seconds, each distinct text parsed once (a first check stamps
    thousands of rows with the same second)."""

    def __init__(self) -> None:
        self.cache: dict[str, float] = {}

    def __call__(self, text: str | None) -> float | None:
        return None if text is None else self.of(text)

    def of(self, text: str) -> float:
        out = self.cache.get(text)
        if out is None:
            out = self.cache[text] = dt.datetime.fromisoformat(text).timestamp()
        return out


FileRow = tuple[str, int, int, int, str, str | None]  # path, size, mtime_ns, inode, sha256, facts_spec


def write_files(
    store: Store, district: str, root: str, rows: list[FileRow], contents: list[tuple[str, int, str]], now: str
) -> None:
    """Rows that are new or changed (signature, hash or facts spec), and the contents first
    seen in this check (sha256, size, path): nothing else is written."""
    if not rows and not contents:
        return
    files = [
        {
            "district": district,
            "root": root,
            "path": p,
            "size": s,
            "mtime_ns": m,
            "inode": i,
            "sha256": h,
            "facts_spec": k,
            "first_seen": now,
            "last_seen": now,
        }
        for p, s, m, i, h, k in rows
    ]
    new = [{"district": district, "sha256": h, "size": s, "first_seen": now, "first_path": p} for h, s, p in contents]
    with store.begin() as conn:
        if files:
            conn.execute(
                store.upsert(
                    evidence_files,
                    ["district", "root", "path"],
                    ["size", "mtime_ns", "inode", "sha256", "facts_spec", "last_seen"],
                ),
                files,
            )
        if new:
            conn.execute(store.insert_ignore(evidence_contents), new)


# one statement for every chunk: the list goes in as a parameter (not a literal coerced per value)
_SHAS: sa.BindParameter[list[str]] = sa.bindparam("shas", expanding=True)
_KNOWN = sa.select(inspections.c.sha256).where(
    inspections.c.spec == sa.bindparam("spec"), inspections.c.sha256.in_(_SHAS)
)
_FACTS = sa.select(inspections.c.sha256, inspections.c.facts).where(
    inspections.c.spec == sa.bindparam("spec"), inspections.c.sha256.in_(_SHAS)
)


def facts_known(store: Store, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (sha256, spec) pairs among ``keys`` whose facts are stored."""
    out: set[tuple[str, str]] = set()
    with store.read() as conn:
        for spec, shas in _by_spec(keys).items():
            for part in chunks(shas):
                out.update((sha, spec) for (sha,) in conn.execute(_KNOWN, {"spec": spec, "shas": part}).all())
    return out


def cached_facts(store: Store, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Facts]:
    """The stored facts of these (sha256, spec) pairs."""
    out: dict[tuple[str, str], Facts] = {}
    read = Facts.from_json
    with store.read() as conn:
        for spec, shas in _by_spec(keys).items():
            for part in chunks(shas):
                for sha, text in conn.execute(_FACTS, {"spec": spec, "shas": part}).all():
                    out[(sha, spec)] = read(text)
    return out


def forget_facts(store: Store, district: str, root: str, shas: set[str]) -> None:
    """The rows of a root holding these contents no longer claim their facts are stored
    (they went missing): the next check reads those files again."""
    t = evidence_files
    with store.begin() as conn:
        for part in chunks(sorted(shas)):
            conn.execute(
                t.update()
                .where(t.c.district == district, t.c.root == root, t.c.sha256.in_(part))
                .values(facts_spec=None)
            )


def _by_spec(keys: set[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for sha, spec in keys:
        out.setdefault(spec, []).append(sha)
    return {spec: sorted(shas) for spec, shas in out.items()}


def remember_facts(store: Store, items: Sequence[tuple[str, str, Facts | str]]) -> None:
    """(sha256, spec, facts or their JSON) for each content read."""
    now = now_text()
    rows = [
        {"sha256": sha, "spec": spec, "facts": f if isinstance(f, str) else f.to_json(), "inspected_at": now}
        for sha, spec, f in items
    ]
    if rows:
        with store.begin() as conn:
            # the first facts stored for a content and spec stand (two checks reading the same new
            # file at once, one timing out: both judge from, and remember judging from, the same)
            conn.execute(store.insert_ignore(inspections), rows)


def store_id(store: Store) -> str:
    """This store's own name, made when it is first asked for: a store deleted and made again,
    or another database, has another (what is kept from checks made with one store is not
    taken for another's)."""
    t = store_info
    q = sa.select(t.c.value).where(t.c.key == "id")
    with store.read() as conn:
        found = conn.execute(q).scalar()
    if found is None:
        with store.begin() as conn:  # (two processes at once: the first one's stands)
            conn.execute(store.insert_ignore(t).values(key="id", value=uuid.uuid4().hex))
            found = conn.execute(q).scalar_one()
    return str(found)


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
    seen = _Timestamps()
    with store.read() as conn:
        q = sa.select(t.c.sha256, t.c.first_seen).where(t.c.district == district, t.c.sha256.in_(_SHAS))
        for part in chunks(sorted(shas)):
            for sha, first in conn.execute(q, {"shas": part}).all():
                out[sha] = seen.of(first)
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
