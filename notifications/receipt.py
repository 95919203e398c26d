"""The receipt a unit gets minutes after it uploads (收件回执).

``duban watch`` sees a unit's folder settle and emits an event; the ``recheck`` flow it
triggers re-checks that unit and calls :func:`send_receipt` with the check result and the
unit's files as they are now. The receipt says what arrived (the files new or changed
since the unit's last receipt), what each of them counted for or why not, which rounds
are complete now, and what is still open — with the folder to put it in, as in the
reminders (``receipt.*.j2``).

Idempotent per set of files: the set (paths and versions) is fingerprinted, and a set that
already had a receipt never gets another one, whatever day it is and however often the
trigger fires — a burst of 50 files settles into one set and one receipt. The sets are
kept in ``receipts`` (what the next receipt compares with).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from duban.results import CheckResult, Obligation
from duban.statuses import OPEN_STATUSES, STATUS_LABELS
from duban.store import Store, metadata, scope_columns, scope_of
from duban.tasks_catalog.views import cn_date, round_name
from duban.timeutil import TZ, local

from .outcome import ReminderRecord
from .plan import item_context
from .transport import Transport
from .unit_mail import base_context, send_to_unit, shown_root

receipts = sa.Table(
    "receipts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *scope_columns(),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("fileset", sa.Text, nullable=False),  # sha256 of the sorted (path, version) list
    sa.Column("files", sa.Text, nullable=False),  # JSON {path: version}
    sa.Column("status", sa.Text, nullable=False),  # what the message did: sent | queued | failed | nothing-new ...
    sa.Column("created_at", sa.Text, nullable=False),
    sa.UniqueConstraint("district", "campaign", "unit", "fileset", name="receipts_key"),
)


def fileset_digest(files: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(sorted(files.items()), ensure_ascii=False).encode("utf-8")).hexdigest()


def files_in_result(catalog: Any, result: CheckResult, unit: str) -> dict[str, str]:
    """The unit's files a check result names (counted, unusable, unrecognized), without versions:
    the fallback when the caller has not the unit's full file list (``gather`` has it)."""
    paths = {f for o in result.obligations if o.unit == unit for f in o.files}
    for issue in result.rejected + result.unrecognized:
        found = catalog.find_unit(issue.path.split("/", 1)[0])
        if found is not None and found.name == unit:
            paths.add(issue.path)
    return dict.fromkeys(sorted(paths), "")


def _round_text(catalog: Any, o: Obligation) -> str:
    if o.round is None:
        return ""
    rounds = catalog.task(o.task).task.rounds
    name = f"{round_name(rounds.index(o.round))}，" if o.round in rounds and len(rounds) > 1 else ""
    return f"（{name}{cn_date(o.due or o.round)}前）"


def file_verdicts(catalog: Any, result: CheckResult, unit: str, paths: list[str]) -> list[dict[str, Any]]:
    """For each file: what it counted for, or why not, in the unit's words."""
    mine = [o for o in result.obligations if o.unit == unit]
    rejected = {f.path: f.reason for f in result.rejected}
    unrecognized = {f.path: f.reason for f in result.unrecognized}
    out = []
    for path in paths:
        name = path.split("/", 1)[-1]  # inside the unit's folder: 20/第二轮/台账.xlsx
        counted = [o for o in mine if path in o.files]
        if counted:
            text = "；".join(
                f"计入 {o.task} {catalog.task(o.task).task.title}{_round_text(catalog, o)}（{STATUS_LABELS.get(o.status, o.status)}）"
                for o in counted
            )
            out.append({"path": path, "name": name, "ok": True, "text": text})
        elif path in rejected:
            out.append({"path": path, "name": name, "ok": False, "text": f"无法使用：{rejected[path]}"})
        elif path in unrecognized:
            out.append({"path": path, "name": name, "ok": False, "text": f"未能识别：{unrecognized[path]}"})
        else:
            said = [p for o in mine for p in o.problems if path.rsplit("/", 1)[-1] in p]
            text = (
                "未计入：" + "；".join(dict.fromkeys(said))
                if said
                else "已收到，未计入任何事项（可能与已报送的文件重复，或不是该任务要求的材料）"
            )
            out.append({"path": path, "name": name, "ok": False, "text": text})
    return out


def receipt_context(
    catalog: Any,
    home: Any,
    result: CheckResult,
    unit: str,
    received: list[str],
    today: dt.date,
    link: str | None = None,
) -> dict[str, Any]:
    """What receipt.*.j2 see: files (name, ok, text), completed (the rounds the new files completed),
    items (still open, as in the reminders), n_files, n_open, checked_label, link."""
    root = shown_root(home)
    mine = [o for o in result.obligations if o.unit == unit]
    completed = [
        {
            "task": o.task,
            "title": catalog.task(o.task).task.title,
            "round": _round_text(catalog, o),
            "status_label": STATUS_LABELS[o.status],
        }
        for o in mine
        if o.status in ("ok", "late") and any(f in o.files for f in received)
    ]
    still_open = sorted((o for o in mine if o.status in OPEN_STATUSES), key=lambda o: (o.due or dt.date.max, o.task))
    return {
        **base_context(catalog, catalog.unit(unit), today),
        "files": file_verdicts(catalog, result, unit, received),
        "n_files": len(received),
        "completed": completed,
        "items": [item_context(o, catalog, root, today) for o in still_open],
        "n_open": len(still_open),
        "checked_label": f"{local(result.as_of):%Y-%m-%d %H:%M}",
        "link": link,
    }


def _last_files(store: Store, scope: Any, unit: str) -> dict[str, str] | None:
    """The files of the unit's last receipt (None: it never had one)."""
    t = receipts
    with store.read() as conn:
        row = conn.execute(
            sa.select(t.c.files).where(scope.where(t), t.c.unit == unit).order_by(t.c.id.desc()).limit(1)
        ).first()
    return json.loads(row.files) if row else None


def send_receipt(
    catalog: Any,
    result: CheckResult,
    home: Any,
    unit: str,
    *,
    files: Mapping[str, str] | None = None,
    link: str | None = None,
    transport: Transport | None = None,
    today: dt.date | None = None,
) -> ReminderRecord:
    """Send ``unit`` its receipt for the files it has now (``files``: path -> version, e.g. the
    content hash; default: the files ``result`` names). A set that had a receipt gets none;
    a set with nothing new (files only removed) is remembered and not mailed."""
    name = catalog.unit(unit).name
    now_files = dict(files) if files is not None else files_in_result(catalog, result, name)
    digest = fileset_digest(now_files)
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    last = _last_files(store, scope, name)
    today = today or dt.datetime.now(TZ).date()
    received = sorted(p for p, v in now_files.items() if last is None or last.get(p) != v)
    # the set is claimed before anything is mailed: a set that had its receipt, a second recheck
    # racing on the same upload, or a run after a crash between the send and its record finds
    # the row and sends nothing
    row_id = _claim(store, scope, name, digest, now_files, "sending" if received else "nothing-new")
    if row_id is None:
        return ReminderRecord(name, "receipt", [], [], "", "duplicate", error="这组文件已发过回执", day=today)
    if not received:
        return ReminderRecord(name, "receipt", [], [], "", "skipped", error="没有新收到的文件", day=today)
    context = receipt_context(catalog, home, result, name, received, today, link)
    rec = send_to_unit(
        catalog,
        home,
        name,
        "receipt",
        context,
        dedupe=f"receipt|{digest}",
        today=today,
        items=len(received),
        transport=transport,
    )
    with store.begin() as conn:
        conn.execute(sa.update(receipts).where(receipts.c.id == row_id).values(status=rec.status))
    return rec


def _claim(store: Store, scope: Any, unit: str, digest: str, files: Mapping[str, str], status: str) -> int | None:
    """Insert the unit's row for this set of files; its id, or None when another run has it."""
    with store.begin() as conn:
        row = conn.execute(
            store.insert_ignore(receipts)
            .values(
                **scope.values(),
                unit=unit,
                fileset=digest,
                files=json.dumps(dict(files), ensure_ascii=False),
                status=status,
                created_at=dt.datetime.now(TZ).replace(microsecond=0).isoformat(),
            )
            .returning(receipts.c.id)
        ).first()
    return None if row is None else row[0]
