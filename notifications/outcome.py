"""What a reminder run did: one ReminderRecord per message considered, for the CLI,
the round report (``to_dict``) and the flows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from duban.statuses import RECORD_STATUSES

from .guard import GuardResult


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
        }


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

    def summary(self) -> str:
        """One Chinese line: 已发送 3 封，排队 0 封，失败 0 封，已发过 2 封，未发送 1 封."""
        c = self.counts()
        if self.dry_run:
            return f"演练：将发送 {c['dry-run']} 封，已发过 {c['duplicate']} 封，不发送 {c['skipped']} 封（未实际发送任何邮件）"
        return (
            f"已发送 {c['sent']} 封，排队待重发 {c['queued']} 封，失败 {c['failed']} 封，"
            f"已发过未重发 {c['duplicate']} 封，未发送 {c['skipped']} 封"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat() if self.day else None,
            "dry_run": self.dry_run,
            "guard": self.guard.to_dict() if self.guard else None,
            "counts": self.counts(),
            "messages": [m.to_dict() for m in self.messages],
            "warnings": list(self.warnings),
        }
