"""What an inspector found in one file: plain, picklable data, stored by content hash.

Inspectors (``evidence.inspect``) produce :class:`Facts`; the rules
(``duban.check.rules``) turn facts into obligation statuses and problems. Facts hold
numbers and short Chinese details (with Excel row numbers); they never decide a status.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Bumped whenever an inspector learns something new about a file: facts cached under an
# older version are read again (the cache key includes it).
FACTS_VERSION = 2


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
    # One key per usable data row (valid code, inside the date window), in sheet order: the
    # USCC where the template has one, else the whole normalised row — hashed (16 hex). The
    # rules count distinct keys across all of a unit's files and sheets for a round, so the
    # same firm in an export and its update, or on two sheets, counts once. None: facts
    # made before rows were keyed (counted the old way).
    row_keys: list[str] | None = None
    row_yes: str = ""  # per row key: 'y' yes, 'n' no, '-' unreadable (the ratio column)


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
    blank: str | None = None  # opens fine but holds nothing to read (an unfilled table): why, in Chinese
    image_size: tuple[int, int] | None = None  # pixels (width, height) of an image
    transient: bool = False  # the file could not be read this time (gone, no permission): not cached
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Facts:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        d["ledgers"] = [LedgerFacts(**_known(LedgerFacts, x)) for x in d.get("ledgers", [])]
        if d.get("image_size") is not None:
            d["image_size"] = tuple(d["image_size"])
        return cls(**d)

    @classmethod
    def rejected(cls, kind: str, reason: str) -> Facts:
        return cls(kind=kind, ok=False, reason=reason)


def _known(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}
