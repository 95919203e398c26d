"""What an inspector found in one file: plain, picklable data, stored by content hash.

Inspectors (``evidence.inspect``) produce :class:`Facts`; the rules
(``duban.check.rules``) turn facts into obligation statuses and problems. Facts hold
numbers and short Chinese details (with Excel row numbers); they never decide a status.

Stored as compact JSON (:meth:`Facts.to_json`: fields at their default value are left
out, so a PDF's facts are a few dozen bytes) and read back with :meth:`Facts.from_json`
without a per-call look at the dataclass fields — a re-check reads every file's facts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields
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
    row_keys: Sequence[str] | None = None  # a list as read; RowKeys as loaded from the store
    row_yes: str = ""  # per row key: 'y' yes, 'n' no, '-' unreadable (the ratio column)


class RowKeys(Sequence[str]):
    """A ledger's row keys held as one string (each key is 16 hex characters): what a check
    loads for thousands of ledgers at once. A list of 200 keys is ~15 KB of str objects; this
    is ~3.3 KB. Compares equal to the list it was made from; stored as that list."""

    WIDTH = 16
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    @classmethod
    def of(cls, keys: list[str]) -> Sequence[str]:
        """Packed when every key has the width (keys made by ``sheet.row_key``), else the list itself."""
        w = cls.WIDTH
        return cls("".join(keys)) if all(len(k) == w for k in keys) else keys

    def __len__(self) -> int:
        return len(self.text) // self.WIDTH

    def __getitem__(self, i):
        if isinstance(i, slice):
            return list(self)[i]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        return self.text[i * self.WIDTH : (i + 1) * self.WIDTH]

    def __iter__(self) -> Iterator[str]:
        t, w = self.text, self.WIDTH
        return (t[i : i + w] for i in range(0, len(t), w))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RowKeys):
            return self.text == other.text
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"RowKeys({list(self)!r})"


@dataclass
class Facts:
    """Everything duban learned from one file's content."""

    kind: str  # detected from content: pdf docx doc wps xlsx xls et ods csv txt html image zip unknown
    #          empty encrypted-office (see evidence.sniff)
    ok: bool  # False = rejected: counts for nothing
    reason: str | None = None  # why rejected, in Chinese, with the fix
    pages: int | None = None  # PDF pages
    # characters of text found (Word, txt, html; a PDF's only when its task reads PDF text:
    # for links or figures — see InspectSpec.text)
    text_chars: int = 0
    ledgers: list[LedgerFacts] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # http(s) URLs found in the content
    figures: dict[str, float] = field(default_factory=dict)  # figures-template field -> amount
    blank: str | None = None  # opens fine but holds nothing to read (an unfilled table): why, in Chinese
    image_size: tuple[int, int] | None = None  # pixels (width, height) of an image
    transient: bool = False  # the file could not be read this time (gone, no permission): not cached
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        _unpack_keys(out["ledgers"])
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Facts:
        """Facts from a mapping (keys it does not know are ignored, missing ones take their default)."""
        if not _FACT_FIELDS.issuperset(d):
            d = {k: v for k, v in d.items() if k in _FACT_FIELDS}
        if "kind" not in d or "ok" not in d:
            raise TypeError("facts need their kind and ok")
        # the dataclass's own fields filled in directly (a re-check reads every file's facts)
        out = object.__new__(cls)
        out.__dict__.update(_FACT_PLAIN, ledgers=[], links=[], figures={})
        out.__dict__.update(d)
        if d.get("ledgers"):
            out.ledgers = [_ledger(x) for x in d["ledgers"]]
        if d.get("image_size") is not None:
            out.image_size = tuple(d["image_size"])
        return out

    def to_json(self) -> str:
        """Compact JSON: only the fields that differ from their default."""
        out = _compact(self, _FACT_DEFAULTS)
        if self.ledgers:
            out["ledgers"] = _unpack_keys([_compact(lf, _LEDGER_DEFAULTS) for lf in self.ledgers])
        return json.dumps(out, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Facts:
        """Facts from :meth:`to_json` (or from the full form older versions stored)."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def rejected(cls, kind: str, reason: str) -> Facts:
        return cls(kind=kind, ok=False, reason=reason)


_NO_DEFAULT = object()


def _defaults(cls: type) -> dict[str, Any]:
    out = {}
    for f in fields(cls):
        if f.default is not MISSING:
            out[f.name] = f.default
        elif f.default_factory is not MISSING:
            out[f.name] = f.default_factory()
        else:
            out[f.name] = _NO_DEFAULT
    return out


_FACT_DEFAULTS = _defaults(Facts)
_LEDGER_DEFAULTS = _defaults(LedgerFacts)
_FACT_FIELDS = frozenset(_FACT_DEFAULTS)
_FACT_PLAIN = {k: v for k, v in _FACT_DEFAULTS.items() if k not in ("ledgers", "links", "figures", "kind", "ok")}
_LEDGER_FIELDS = frozenset(_LEDGER_DEFAULTS)


def _compact(obj: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """The object's fields that differ from their default (a 0.0 and a 0 are the same default)."""
    out = {}
    for name, default in defaults.items():
        v = getattr(obj, name)
        if default is _NO_DEFAULT or v != default or type(v) is not type(default):
            out[name] = v
    return out


def _unpack_keys(ledgers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ledgers as dicts with their row keys as the list they are stored as (in place)."""
    for lf in ledgers:
        if isinstance(lf.get("row_keys"), RowKeys):
            lf["row_keys"] = list(lf["row_keys"])
    return ledgers


def _ledger(d: dict[str, Any]) -> LedgerFacts:
    if not _LEDGER_FIELDS.issuperset(d):
        d = {k: v for k, v in d.items() if k in _LEDGER_FIELDS}
    keys = d.get("row_keys")
    if keys:
        d["row_keys"] = RowKeys.of(keys)
    return LedgerFacts(**d)
