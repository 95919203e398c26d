"""What a reminder run did: one ReminderRecord per message considered, for the CLI,
the round report (``to_dict``) and the flows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from duban.statuses import RECORD_STATUSES, SKIP_LABELS

from .guard import GuardResult

REST_DAY, NOT_TODAY, NO_EMAIL = SKIP_LABELS["rest_day"], SKIP_LABELS["not_today"], SKIP_LABELS["no_email"]
NOT_SENT = "未发送"


def skip_reason(label: str, detail: str) -> str:
    """A reason for not sending, as people read it: the short label, then the detail."""
    return f"{label}：{detail}"


def split_reason(reason: str | None) -> tuple[str, str]:
    """(short label, detail) of a skip reason: (休息日不发送, 6月19日（周六）是休息日…); an
    unlabelled reason (the guard's) is (未发送, reason)."""
    head, _, detail = (reason or "").partition("：")
    return (head, detail) if head in SKIP_LABELS.values() else (NOT_SENT, reason or "")


def skip_label(reason: str | None) -> str:
    """The short label of a skip reason (休息日不发送 / 未到提醒日 / 未登记邮箱), else 未发送."""
    return split_reason(reason)[0]


@dataclass
class ReminderRecord:
    unit: str  # the unit mailed, or the coordinator's unit for digest/alert
    kind: str  # upcoming | overdue | escalation | digest | alert
    to: list[str]
    cc: list[str]
    subject: str
    status: str  # sent | queued | failed | duplicate | dry-run | skipped
    error: str | None = None  # why skipped / failed / still queued (never a password)
    eml_path: str | None = None  # the .eml written by the file outbox
    day: dt.date | None = None  # the reminder day
    items: int = 0  # open items listed
    preview: str = ""  # the first lines of the text part (dry-run display)
    log_id: int | None = None  # row in the sent-log

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "kind": self.kind,
            "to": list(self.to),
            "cc": list(self.cc),
            "subject": self.subject,
            "status": self.status,
            "error": self.error,
            "eml_path": self.eml_path,
            "day": self.day.isoformat() if self.day else None,
            "items": self.items,
            "reason": skip_label(self.error) if self.status == "skipped" else None,
        }


_OTHER = (("queued", "排队待重发"), ("failed", "失败"), ("duplicate", "已发过未重发"))


@dataclass
class RemindOutcome:
    day: dt.date | None = None
    messages: list[ReminderRecord] = field(default_factory=list)
    guard: GuardResult | None = None
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)

    # -- views
    def with_status(self, *statuses: str) -> list[ReminderRecord]:
        return [m for m in self.messages if m.status in statuses]

    @property
    def sent(self) -> list[ReminderRecord]:
        return self.with_status("sent")

    @property
    def queued(self) -> list[ReminderRecord]:
        return self.with_status("queued")

    @property
    def failed(self) -> list[ReminderRecord]:
        return self.with_status("failed")

    @property
    def duplicates(self) -> list[ReminderRecord]:
        return self.with_status("duplicate")

    @property
    def held(self) -> bool:
        """True when the guard held every unit reminder back."""
        return self.guard is not None and not self.guard.ok

    def for_unit(self, unit: str) -> list[ReminderRecord]:
        return [m for m in self.messages if m.unit == unit]

    def of_kind(self, *kinds: str) -> list[ReminderRecord]:
        return [m for m in self.messages if m.kind in kinds]

    def counts(self) -> dict[str, int]:
        c = dict.fromkeys(RECORD_STATUSES, 0)
        for m in self.messages:
            c[m.status] = c.get(m.status, 0) + 1
        return c

    def extend(self, other: RemindOutcome) -> RemindOutcome:
        self.messages += other.messages
        self.warnings += other.warnings
        return self

    def skipped_by_reason(self) -> dict[str, int]:
        """Messages not sent, by why: {休息日不发送: 30, 未到提醒日: 5}."""
        out: dict[str, int] = {}
        for m in self.with_status("skipped"):
            label = "证据目录异常，暂停发送" if self.held else skip_label(m.error)
            out[label] = out.get(label, 0) + 1
        return out

    def summary(self) -> str:
        """One Chinese line that says why nothing went out when nothing did:
        已发送 3 封，已发过未重发 2 封；未发送 30 封（休息日不发送 30 封）."""
        c = self.counts()
        why = "，".join(f"{label} {n} 封" for label, n in self.skipped_by_reason().items())
        not_sent = f"{c['skipped']} 封（{why}）" if c["skipped"] else "0 封"
        if self.dry_run:
            return (
                f"演练：将发送 {c['dry-run']} 封，已发过 {c['duplicate']} 封，不发送 {not_sent}（未实际发送任何邮件）"
            )
        parts = [f"已发送 {c['sent']} 封"]
        parts += [f"{label} {c[s]} 封" for s, label in _OTHER if c[s]]
        return "，".join(parts) + (f"；未发送 {not_sent}" if c["skipped"] else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat() if self.day else None,
            "dry_run": self.dry_run,
            "guard": self.guard.to_dict() if self.guard else None,
            "counts": self.counts(),
            "messages": [m.to_dict() for m in self.messages],
            "warnings": list(self.warnings),
        }
