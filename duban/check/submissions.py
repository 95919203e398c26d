"""When each evidence file was handed in, read back from the store.

:func:`duban.check.run.gather` decides a file's submission time as its modification time,
or when duban first saw its content if that is earlier; it keeps both in the store
(``evidence_files``, ``evidence_contents``). A page that shows a stored check later (the
desk) needs those times again — a rejection lapses when a newer file arrives, an accepted
or extended round is judged by when its files came in — without rescanning the share.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from duban.evidence.store import evidence_contents, evidence_files
from duban.store import Scope, Store

from .rules import submitted_at


def submission_times(store: Store, scope: Scope, root: str) -> dict[str, dt.datetime]:
    """Path relative to ``root`` -> submission time (Asia/Shanghai), for every file last seen there."""
    f, c = evidence_files, evidence_contents
    q = (
        sa.select(f.c.path, f.c.mtime_ns, c.c.first_seen)
        .select_from(f.outerjoin(c, sa.and_(c.c.district == f.c.district, c.c.sha256 == f.c.sha256)))
        .where(f.c.district == scope.district, f.c.root == root)
    )
    out: dict[str, dt.datetime] = {}
    with store.read() as conn:
        for r in conn.execute(q):
            when = r.mtime_ns / 1e9
            if r.first_seen:
                when = min(when, dt.datetime.fromisoformat(r.first_seen).timestamp())
            out[r.path] = submitted_at(when)
    return out
