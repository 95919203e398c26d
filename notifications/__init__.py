"""Reminders: one clear email per unit, on working days, never twice, never lost.

Public API (used by the flows and the CLI)::

    send_reminders(catalog, result, home, *, today=None, transport=None, dry_run=False, force=False,
                   guard=None, units=None, policy=None) -> RemindOutcome
    alert_coordinator(catalog, home, *, reason, transport=None, today=None) -> RemindOutcome
    flush_queue(catalog, home, transport=None) -> RemindOutcome

Modules, one job each: ``workdays`` (Chinese working days), ``policy`` (who is reminded
when), ``plan`` (what each unit's email lists), ``render`` (sandboxed Jinja2 -> MIME),
``transport`` (file outbox / SMTP via yagmail), ``sentlog`` (idempotency and queue in the
store), ``guard`` (a dropped share mails nobody), ``remind`` (the run).
"""

from duban.settings import SettingsError

from .guard import GuardResult, evaluate
from .outcome import ReminderRecord, RemindOutcome
from .policy import Policy, load_policy
from .remind import alert_coordinator, flush_queue, send_reminders
from .transport import (
    FileOutbox,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    Transport,
    transport_from_settings,
)

__all__ = [
    "send_reminders",
    "alert_coordinator",
    "flush_queue",
    "RemindOutcome",
    "ReminderRecord",
    "GuardResult",
    "evaluate",
    "Policy",
    "load_policy",
    "SettingsError",
    "Transport",
    "FileOutbox",
    "SmtpTransport",
    "TemporaryFailure",
    "PermanentFailure",
    "transport_from_settings",
]
