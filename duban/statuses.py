"""The shared vocabulary of states, with the Chinese labels people see.

Two families, used from the check up to the reports and the desk:

- **obligation statuses** — one per (task, unit, round), decided by the check
  (``DESIGN.md``, "Obligation status");
- **reminder kinds and outcomes** — what a reminder run did with each message.

Every writer (terminal, email, Excel, HTML, the desk) takes its labels from here, so a
word is changed in one place.
"""

from __future__ import annotations

from typing import Literal

# ---------------------------------------------------------------- obligations
Status = Literal[
    "ok", "late", "partial", "missing", "pending", "done", "ongoing", "confirm", "unassigned", "unreadable", "waived"
]
STATUSES: tuple[str, ...] = (
    "ok",
    "late",
    "partial",
    "missing",
    "pending",
    "done",
    "ongoing",
    "confirm",
    "unassigned",
    "unreadable",
    "waived",  # 免报: the coordinator waived it for this unit (a decision); not open, not scored
)
# statuses that mean "the unit still owes something" (reminders go out for these). Not
# ``unreadable``: duban could not read where the evidence may be, so it does not chase the
# unit (and holds the unit's whole reminder, see notifications.remind) — it tells the coordinator.
OPEN_STATUSES: tuple[str, ...] = ("partial", "missing", "pending")
STATUS_LABELS: dict[str, str] = {
    "ok": "按时完成",
    "late": "逾期完成",
    "partial": "材料不足",
    "missing": "未报送",
    "pending": "未到期",
    "done": "已完成",
    "ongoing": "长期工作",
    "confirm": "待确认",
    "unassigned": "待分配",
    "unreadable": "无法读取",
    "waived": "免报",
}

# ---------------------------------------------------------------- reminders
KINDS: tuple[str, ...] = ("upcoming", "overdue", "escalation", "support", "digest", "alert", "rejection", "receipt")
KIND_LABELS: dict[str, str] = {
    "upcoming": "到期提醒",
    "overdue": "逾期提醒",
    "escalation": "逾期督办",
    "support": "配合提醒",
    "digest": "督办日报",
    "alert": "告警",
    "rejection": "驳回通知",
    "receipt": "收件回执",
}
RECORD_STATUSES: tuple[str, ...] = ("sent", "queued", "failed", "duplicate", "dry-run", "skipped")
RECORD_STATUS_LABELS: dict[str, str] = {
    "sent": "已发送",
    "queued": "已排队（待重发）",
    "failed": "发送失败",
    "duplicate": "已发过，未重发",
    "dry-run": "演练（未发送）",
    "skipped": "未发送",
}
# why a unit's reminder was not sent: the short label its reason starts with ("休息日不发送：…")
SKIP_LABELS: dict[str, str] = {"rest_day": "休息日不发送", "not_today": "未到提醒日", "no_email": "未登记邮箱"}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)
