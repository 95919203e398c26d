"""One message to one unit outside the reminder run — a rejection (驳回通知), a receipt
(收件回执): rendered from the unit's templates, delivered through the configured transport
and settled in the sent-log exactly like a reminder, so it is never sent twice (the
``dedupe`` key says what "the same message" means for its kind) and shows in the audit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from duban.timeutil import TZ

from .outcome import ReminderRecord, RemindOutcome
from .plan import _campaign, coordinator_addresses
from .policy import load_policy
from .remind import Deliverer, _sender, open_sentlog
from .render import Renderer
from .settings import display_root
from .transport import Transport, transport_from_settings


def shown_root(home: Any) -> str:
    """The share as units reach it (for folders in the message); '' when none is configured."""
    try:
        return display_root(home) or home.evidence_root()
    except ValueError:  # no evidence root configured: folders are shown relative to the share
        return ""


def base_context(catalog: Any, unit: Any, today: dt.date) -> dict[str, Any]:
    from . import workdays

    return {
        "unit": {"name": unit.name, "full_name": unit.full_name},
        "today": today,
        "today_label": workdays.cn_date(today, weekday=True),
        "campaign": _campaign(catalog),
    }


def send_to_unit(
    catalog: Any,
    home: Any,
    unit_name: str,
    kind: str,
    context: dict[str, Any],
    *,
    dedupe: str,
    today: dt.date | None = None,
    items: int = 0,
    transport: Transport | None = None,
) -> ReminderRecord:
    """Render ``kind`` with ``context`` and deliver it to the unit's addresses, once per ``dedupe``."""
    unit = catalog.unit(unit_name)
    today = today or dt.datetime.now(TZ).date()
    outcome = RemindOutcome(day=today)
    transport = transport or transport_from_settings(home)
    sentlog = open_sentlog(catalog, home)
    renderer = Renderer(home)
    try:
        rendered = renderer.render(kind, context)
        sender, sender_name = _sender(catalog, transport)
        deliverer = Deliverer(sentlog, transport, load_policy(home), outcome)
        rec = deliverer.send(
            unit=unit.name,
            kind=kind,
            day=today,
            rendered=rendered,
            to=[(unit.full_name, e) for e in unit.emails],
            cc=[],
            sender=sender,
            sender_name=sender_name,
            reply_to=coordinator_addresses(catalog),
            items=items,
            dedupe=hashlib.sha256(dedupe.encode("utf-8")).hexdigest(),
        )
        if not unit.emails:
            rec.error = f"单位 {unit.name} 未登记邮箱：请在 units.yaml 中填写 emails"
        return rec
    finally:
        sentlog.close()
        transport.close()
