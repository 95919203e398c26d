"""Named amounts (a figures template's fields, e.g. D25's three loan volumes) from a
spreadsheet (a label cell and a number in the same row) or from text
(``信易贷平台发放贷款规模：1200万元``), converted to the field's unit (元/万元/亿元)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from duban.tasks_catalog.models import Template

from .common import convert, loose_label, norm_label, parse_number, unit_in

MAX_LABEL_ROWS = 2000  # rows of each sheet searched for labels
_ENUM = re.compile(r"^(?:\d{1,2}|[一二三四五六七八九十]{1,3})[.、)]")  # "1." "一、" before a label


def _candidates(templates: Iterable[Template]) -> list[tuple[str, str, str]]:
    """(normalised label, field name, field unit), longest labels first."""
    out = []
    for t in templates:
        for f in t.fields:
            for label in (f.name, *f.variants):
                out.append((norm_label(label), f.name, f.unit))
    out.sort(key=lambda c: -len(c[0]))
    return out


# ---------------------------------------------------------------- spreadsheets
def figures_from_rows(sheets: Sequence[Sequence[Sequence[object]]], templates: Sequence[Template]) -> dict[str, float]:
    cands = _candidates(templates)
    if not cands:
        return {}
    exact = {c[0]: c for c in cands}
    loose = {loose_label(c[0]): c for c in cands}
    found: dict[str, float] = {}
    for rows in sheets:
        col_units: dict[int, str] = {}  # money unit named in a header cell above ("金额（万元）")
        for row in rows[:MAX_LABEL_ROWS]:
            for ci, v in enumerate(row):
                if not isinstance(v, str) or not v.strip():
                    continue
                lab = _ENUM.sub("", norm_label(v))
                hit = exact.get(lab) or loose.get(loose_label(lab))
                if hit is None:
                    u = unit_in(lab)
                    if u and len(lab) <= 20 and parse_number(v) is None:
                        col_units[ci] = u
                    continue
                _, name, field_unit = hit
                if name in found:
                    continue
                for cj in range(ci + 1, len(row)):
                    num = parse_number(row[cj])
                    if num is None:
                        continue
                    value, unit = num
                    unit = unit or unit_in(lab) or col_units.get(cj) or field_unit
                    found[name] = round(convert(value, unit, field_unit), 6)
                    break
    return found


# ---------------------------------------------------------------- text
_NUMBER = r"([-+]?\d[\d,]*(?:\.\d+)?)\s*(亿元|万元|元|亿|万)?"


def figures_from_text(text: str, templates: Sequence[Template]) -> dict[str, float]:
    cands = _candidates(templates)
    if not cands or not text:
        return {}
    text = unicodedata.normalize("NFKC", text)
    hits = []
    for lab, name, unit in cands:
        # the label may be written with spaces or line breaks inside; allow them
        pat = r"\s*".join(re.escape(ch) for ch in lab)
        for m in re.finditer(pat, text):
            hits.append((m.start(), m.end(), name, unit))
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    starts = [h[0] for h in hits]
    found: dict[str, float] = {}
    last_end = -1
    for start, end, name, field_unit in hits:
        if start < last_end:  # inside a longer label already taken
            continue
        last_end = end
        if name in found:
            continue
        after = re.compile(r"([^\d\n]{0,16}?)" + _NUMBER).match(text, end)
        if not after:
            continue
        gap, num, unit = after.group(1), after.group(2), after.group(3)
        if any(end <= s < after.start(2) for s in starts) or text[after.end() : after.end() + 1] in ("%", "‰"):
            continue  # the number belongs to another label, or is a percentage
        try:
            value = float(num.replace(",", ""))
        except ValueError:
            continue
        unit = {"万": "万元", "亿": "亿元"}.get(unit, unit) or unit_in(gap) or field_unit
        found[name] = round(convert(value, unit, field_unit), 6)
    return found
