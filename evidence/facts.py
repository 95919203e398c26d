"""What an inspector found in one file: plain, picklable data, stored by content hash.

Inspectors (``evidence.inspect``) produce :class:`Facts`; the rules
(``duban.check.rules``) turn facts into obligation statuses and problems. Facts hold
numbers and short Chinese details (with Excel row numbers); they never decide a status.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class LedgerFacts:
    """One worksheet read as a ledger against one template (or as a plain table)."""

    sheet: str
    template: str | None  # the template id whose headers this sheet matched; None = plain table
    header_row: int  # 1-based Excel row of the header (0 when no header was found)
    rows: int  # non-empty data rows under the header
    missing_headers: list[str] = field(default_factory=list)  # required template columns not found
    invalid_uscc: list[str] = field(default_factory=list)  # "第5行 9137…：校验位错误" (at most 20 listed)
    invalid_uscc_count: int = 0
    duplicate_uscc: list[str] = field(default_factory=list)  # "9137…（第5、9行）"
    duplicate_uscc_count: int = 0  # codes that appear more than once
    outside_window: list[str] = field(default_factory=list)  # "第7行 2021-03-02" (at most 20 listed)
    outside_window_count: int = 0
    bad_dates: int = 0  # date cells that could not be read as dates
    yes: int = 0  # rows whose ratio column says yes (是/已获贷/√ ...)
    ratio_rows: int = 0  # rows with a readable yes/no in the ratio column
    truncated: bool = False  # stopped at the row limit
    header_rows: int = 1  # 2 when the header spans two rows (merged group titles above the column names)
    duplicate_extra_rows: int = 0  # rows whose code already appeared in an earlier row


@dataclass
class Facts:
    """Everything duban learned from one file's content."""

    kind: str  # detected from content: pdf docx doc wps xlsx xls et ods csv txt html image zip unknown
    #          empty encrypted-office (see evidence.sniff)
    ok: bool  # False = rejected: counts for nothing
    reason: str | None = None  # why rejected, in Chinese, with the fix
    pages: int | None = None  # PDF pages
    text_chars: int = 0  # characters of text found (Word, PDF, txt)
    ledgers: list[LedgerFacts] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # http(s) URLs found in the content
    figures: dict[str, float] = field(default_factory=dict)  # figures-template field -> amount
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Facts:
        d = dict(d)
        d["ledgers"] = [LedgerFacts(**x) for x in d.get("ledgers", [])]
        return cls(**d)

    @classmethod
    def rejected(cls, kind: str, reason: str) -> Facts:
        return cls(kind=kind, ok=False, reason=reason)
