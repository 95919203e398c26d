"""Where units reach the share: the one notifications setting that is not a section."""

from __future__ import annotations

import os
from typing import Any

DISPLAY_ENV = "DUBAN_EVIDENCE_DISPLAY"


def display_root(home: Any) -> str | None:
    """How units reach the shared folder (``\\\\server\\信用示范创建`` or ``Z:\\信用示范创建``),
    shown in reminders instead of the server-side path: ``DUBAN_EVIDENCE_DISPLAY`` or
    ``evidence_display_root:`` in ``<home>/settings.yaml``. None = the path duban scanned."""
    value = os.environ.get(DISPLAY_ENV) or home.settings.value("evidence_display_root")
    return str(value) if value else None
