"""The reminder policy, as data: ``policy.yaml`` beside this module holds the defaults,
the ``reminders:`` section of ``<home>/settings.yaml`` overrides any of them.

The policy answers one question for each open item on a given day: is it due for a
reminder today, and of which kind. All day counts are working days (``workdays``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from duban.settings import SettingsError, check_keys, read_yaml
from duban.settings import load as load_settings

from . import workdays

POLICY_FILE = Path(__file__).with_name("policy.yaml")


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    before_due: tuple[int, ...] = (3, 1)  # working days before a due date
    overdue_every: int = Field(1, ge=1)  # an overdue reminder every N working days
    escalate_after: int = Field(2, ge=0)  # escalated once overdue by more than M working days
    escalation_copy: Literal["digest", "cc"] = "digest"  # where the coordinator hears of an escalation
    overdue_window: int = Field(10, ge=0)  # working days after the last round a round run may still remind
    send_digest: bool = True
    digest_on_rest_days: bool = False
    guard_min_fraction: float = Field(0.5, ge=0, le=1)
    retry_delays: tuple[float, ...] = (2.0, 10.0, 30.0)  # seconds between attempts within one run

    @field_validator("before_due")
    @classmethod
    def _before(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(n < 0 for n in v):
            raise ValueError("before_due 的天数不能为负数")
        return tuple(sorted(set(v), reverse=True))

    @field_validator("retry_delays")
    @classmethod
    def _delays(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(d < 0 for d in v):
            raise ValueError("retry_delays 的秒数不能为负数")
        return v

    # ------------------------------------------------------------ questions
    @property
    def window(self) -> int:
        """How many working days ahead a not-yet-due item is listed in a reminder."""
        return max(self.before_due, default=-1)

    def reminder_days(self, due: dt.date) -> list[dt.date]:
        """The days an upcoming reminder goes out for this due date, earliest first."""
        return sorted({workdays.workday_before(due, n) for n in self.before_due})

    def in_window(self, due: dt.date, today: dt.date) -> bool:
        """A not-yet-due item is listed from the earliest reminder day up to its due date."""
        if self.window < 0 or today > due:
            return False
        return today >= workdays.workday_before(due, self.window)

    def upcoming_today(self, due: dt.date, today: dt.date) -> bool:
        return today <= due and today in self.reminder_days(due)

    def overdue_today(self, days_overdue: int) -> bool:
        """Day 1, 1+N, 1+2N ... of being overdue (working days) is a reminder day."""
        return days_overdue >= 1 and (days_overdue - 1) % self.overdue_every == 0

    def escalated(self, days_overdue: int) -> bool:
        return days_overdue > self.escalate_after

    @property
    def copies_coordinator(self) -> bool:
        """An escalated unit's reminder is copied to the coordinator (``escalation_copy: cc``, or
        no digest to carry the escalations); otherwise escalations go into the one daily digest."""
        return self.escalation_copy == "cc" or not self.send_digest

    def describe(self) -> str:
        """When units are reminded, in one Chinese phrase."""
        before = "、".join(str(n) for n in sorted(self.before_due, reverse=True))
        every = "每个工作日" if self.overdue_every == 1 else f"每 {self.overdue_every} 个工作日"
        return (f"截止前第 {before} 个工作日、" if self.before_due else "") + f"逾期后{every}提醒"


def load_policy(home: Any = None, overrides: dict[str, Any] | None = None) -> Policy:
    """The packaged defaults, then ``<home>/settings.yaml`` ``reminders:``, then ``overrides``."""
    data = dict(read_yaml(POLICY_FILE))
    source: Path = POLICY_FILE
    if home is not None:
        settings = load_settings(Path(getattr(home, "settings_file", home)))
        local = settings.section("reminders")
        if local:
            check_keys(local, Policy.model_fields, file=settings.file, where="reminders")
            data.update(local)
            source = settings.file
    if overrides:
        data.update(overrides)
    try:
        return Policy.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        name = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            check_keys({name: None}, Policy.model_fields, file=source, where="reminders")
        raise SettingsError(
            source,
            f"reminders 中 '{name}' 的值 {err.get('input')!r} 不合适：{_why(err)}",
            f"参照 {POLICY_FILE.name} 中的说明和默认值",
        ) from None


_WHY = {
    "tuple_type": "应当是列表，如 [3, 1]",
    "list_type": "应当是列表，如 [3, 1]",
    "int_type": "应当是整数",
    "int_parsing": "应当是整数",
    "int_from_float": "应当是整数",
    "float_type": "应当是数字",
    "float_parsing": "应当是数字",
    "bool_type": "应当是 true 或 false",
    "bool_parsing": "应当是 true 或 false",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "应当大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "应当小于 {lt}",
}


def _why(err: Any) -> str:
    """pydantic's reason, in Chinese (our own validators already speak Chinese)."""
    if err["type"] == "value_error":
        return str(err.get("ctx", {}).get("error") or err["msg"])
    text = _WHY.get(err["type"])
    limits = {k: f"{v:g}" if isinstance(v, float) else v for k, v in (err.get("ctx") or {}).items()}
    return text.format(**limits) if text else err["msg"]
