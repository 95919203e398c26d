"""The catalog's concepts as pydantic models: campaign, unit, ledger template, task.

Every model forbids unknown fields, so a misspelt key in a YAML file is an error that
names the field, never a silently ignored setting. Cross-file checks (does this unit
exist, is this date inside the campaign) live in ``loader.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Group = Literal["departments", "streets"]
SECTION_PREFIX = {"departments": "D", "streets": "S"}
TASK_ID = re.compile(r"^[DS]\d{2}$")


def _email(e: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", e):
        raise ValueError(f"'{e}' 不是邮箱地址")
    if not e.isascii():
        raise ValueError(f"邮箱 '{e}' 含有中文或全角字符：只能用英文字母、数字和符号（中文域名请写成 xn-- 形式）")
    return e


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- campaign
class Campaign(Strict):
    id: str | None = None  # a short stable key (deployments, store rows, report folders); default from year + name
    name: str
    district: str
    year: int
    start: dt.date
    end: dt.date
    timezone: str = "Asia/Shanghai"
    coordinator: str  # the lead office's unit name
    coordinator_emails: list[str] = Field(default_factory=list)
    # how many units each group really has in the district (区直部门 21 个): a directory that
    # holds fewer is warned about by `duban catalog --check` (a group word would miss units)
    groups: dict[Group, int] = Field(default_factory=dict)

    @field_validator("coordinator_emails")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        return [_email(e) for e in v]

    due_time: dt.time = dt.time(23, 59, 59)  # 6月20日前 = through 23:59:59 that day

    @property
    def key(self) -> str:
        """The campaign's stable key: ``id``, else ``<year>-<name>``."""
        return self.id or f"{self.year}-{self.name}"

    @model_validator(mode="after")
    def _window(self) -> Campaign:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


# ---------------------------------------------------------------- units
class Unit(Strict):
    name: str  # as the task list writes it: 区发改局
    full_name: str
    aliases: list[str] = Field(default_factory=list)
    group: Group
    emails: list[str] = Field(default_factory=list)
    proposed: bool = False  # added by the importer (a name the directory lacked): to confirm

    @field_validator("emails")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        return [_email(e) for e in v]

    @property
    def names(self) -> list[str]:
        """Every spelling that means this unit (name, full name, aliases)."""
        return [self.name, self.full_name, *self.aliases]


class UnitDirectory(Strict):
    units: list[Unit]
    group_words: dict[str, list[Group]] = Field(default_factory=dict)


# ---------------------------------------------------------------- templates
ColumnType = Literal["text", "uscc", "date", "yesno", "number", "url"]


class Column(Strict):
    name: str
    variants: list[str] = Field(default_factory=list)
    type: ColumnType = "text"
    required: bool = True
    width: int = 16


class Field_(Strict):
    """One named figure in a figures form (D25's amounts)."""

    name: str
    variants: list[str] = Field(default_factory=list)
    unit: str = "万元"


class Template(Strict):
    id: str  # 附件2-1, 附件7, 数据表-D25 ...
    attachment: str | None = None  # 附件2
    title: str
    kind: Literal["ledger", "document", "figures"]
    columns: list[Column] = Field(default_factory=list)
    fields: list[Field_] = Field(default_factory=list)
    note: str | None = None
    placeholder: bool = False  # named by the list, its content not known yet (the importer's stand-in)

    @model_validator(mode="after")
    def _shape(self) -> Template:
        if self.kind == "ledger" and not self.columns:
            raise ValueError(f"ledger template {self.id} lists no columns")
        if self.kind == "figures" and not self.fields:
            raise ValueError(f"figures template {self.id} lists no fields")
        names = [c.name for c in self.columns]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"template {self.id} repeats column {sorted(dup)}")
        return self

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


# ---------------------------------------------------------------- tasks
class DateWindow(Strict):
    column: str
    start: dt.date
    end: dt.date


class YesRatio(Strict):
    column: str
    min: float = Field(ge=0, le=1)


class FigureRatio(Strict):
    label: str
    numerator: str
    denominator: str
    min: float = Field(ge=0, le=1)


EvidenceKind = Literal["document", "pdf", "ledger", "link", "figures"]


class EvidenceItem(Strict):
    """One thing a unit must hand in for a task (a task may owe several)."""

    kind: EvidenceKind
    label: str  # what to hand in, in the words a clerk understands
    min: int = Field(1, ge=0)  # files (document/pdf), data rows (ledger), links (link)
    template: str | None = None
    cumulative: bool = False  # count evidence of earlier rounds too
    window: DateWindow | None = None
    ratio: YesRatio | None = None
    ratios: list[FigureRatio] = Field(default_factory=list)
    completed_by: dt.date | None = None
    note: str | None = None  # why this reading of the text

    @model_validator(mode="after")
    def _shape(self) -> EvidenceItem:
        if self.kind == "figures" and not self.template:
            raise ValueError("a figures item needs a template (the form of its amounts)")
        if (self.window or self.ratio) and self.kind != "ledger":
            raise ValueError("window and ratio apply to ledgers only")
        if self.ratios and self.kind != "figures":
            raise ValueError("ratios apply to figures only")
        return self

    @property
    def unit_word(self) -> str:
        return {"ledger": "条", "link": "个", "pdf": "份", "document": "份", "figures": "项"}[self.kind]


class Deadline(Strict):
    kind: Literal["done", "ongoing", "rounds", "unspecified"]
    rounds: list[dt.date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rounds(self) -> Deadline:
        if self.kind == "rounds" and not self.rounds:
            raise ValueError("deadline kind 'rounds' needs at least one date")
        if self.kind != "rounds" and self.rounds:
            raise ValueError(f"deadline kind '{self.kind}' takes no round dates")
        if list(self.rounds) != sorted(set(self.rounds)):
            raise ValueError("round dates must be increasing and distinct")
        return self


class Source(Strict):
    """The task's four cells exactly as the source list writes them."""

    units: str = ""
    due: str = ""
    evidence: str = ""


class Task(Strict):
    id: str
    title: str  # a short name for folders and tables
    text: str  # 具体任务, verbatim
    source: Source
    lead: list[str] = Field(default_factory=list)  # unit names or group words
    support: list[str] = Field(default_factory=list)
    deadline: Deadline
    platform: bool = False  # 系统判定: the coordinator confirms
    evidence: list[EvidenceItem] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # reasons for readings of the text

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not TASK_ID.match(v):
            raise ValueError(f"task id '{v}' must look like D01..D33 or S01..S07")
        return v

    @property
    def section(self) -> Group:
        return "departments" if self.id.startswith("D") else "streets"

    @property
    def number(self) -> int:
        return int(self.id[1:])

    @property
    def rounds(self) -> list[dt.date]:
        return list(self.deadline.rounds)


class ResolvedTask(BaseModel):
    """A task with group words expanded to unit names (what the checker reads)."""

    model_config = ConfigDict(frozen=True)

    task: Task
    leads: tuple[str, ...]
    supports: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.task.id

    @property
    def unassigned(self) -> bool:
        return not self.leads
