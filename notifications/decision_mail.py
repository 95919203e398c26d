"""The unit is told at once when the coordinator rejects its submission (驳回通知).

``duban decide reject`` and the desk's reject button call :func:`send_rejection` right
after the decision is stored. The message names the task and round, the reason, the files
concerned and where to put the corrected material (``rejection.*.j2``, overridable in
``<home>/templates/`` like the reminders). One message per decision: pressing the button
twice, or a retry after a crash, never mails the unit twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from duban.results import Obligation
from duban.timeutil import TZ

from .outcome import ReminderRecord
from .plan import item_context
from .transport import Transport
from .unit_mail import base_context, send_to_unit, shown_root


def rejection_context(
    catalog: Any, home: Any, decision: Any, today: dt.date, link: str | None = None
) -> dict[str, Any]:
    """What rejection.*.j2 see: unit, campaign, decision (task, title, note, by, at_label, files),
    items (one per rejected round, as in the reminders: folder, needs, templates, due) and link."""
    rt = catalog.task(decision.task)
    rounds = [decision.round] if decision.round else list(rt.task.rounds)
    root = shown_root(home)
    items = [
        item_context(Obligation(rt.id, decision.unit, day, day, "partial", [decision.line]), catalog, root, today)
        for day in rounds
    ]
    return {
        **base_context(catalog, catalog.unit(decision.unit), today),
        "decision": {
            "id": decision.id,
            "task": rt.id,
            "title": rt.task.title,
            "note": decision.note,
            "by": decision.by,
            "at_label": f"{decision.at:%Y-%m-%d %H:%M}",
            "files": [f.rsplit("/", 1)[-1] for f in decision.files],
        },
        "items": items,
        "link": link,
    }


def send_rejection(
    catalog: Any,
    home: Any,
    decision: Any,
    *,
    link: str | None = None,
    transport: Transport | None = None,
    today: dt.date | None = None,
) -> ReminderRecord:
    """Mail the unit the rejection ``decision`` (a stored ``reject`` for one unit); idempotent per
    decision (the sent-log key carries the day of the decision, whatever day it is sent)."""
    if decision.kind != "reject" or not decision.unit or decision.id is None:
        raise ValueError("send_rejection needs a stored reject decision for one unit")
    today = today or decision.at.astimezone(TZ).date()
    context = rejection_context(catalog, home, decision, today, link)
    return send_to_unit(
        catalog,
        home,
        decision.unit,
        "rejection",
        context,
        dedupe=f"decision|{decision.id}",
        today=today,
        items=len(context["items"]),
        transport=transport,
    )
