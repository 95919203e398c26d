"""Readable views of the catalog: what is owed, by whom and by when.

Used by ``duban catalog`` (table and JSON), ``duban init-folders`` (说明.txt) and the reminder
emails (what each item needs): the rules are worded once, in :func:`item_text`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .loader import Catalog
from .models import EvidenceItem, ResolvedTask

DEADLINE_WORDS = {"done": "已完成", "ongoing": "长期工作", "unspecified": "未写时限"}
CN_NUM = "一二三四五六七八九十"


def round_name(index: int) -> str:
    """0 -> 第一轮: how the list and the share name a task's rounds."""
    return f"第{CN_NUM[index]}轮" if index < len(CN_NUM) else f"第{index + 1}轮"


def cn_date(d: dt.date) -> str:
    return f"{d.month}月{d.day}日"


def deadline_text(rt: ResolvedTask) -> str:
    t = rt.task
    if t.deadline.kind != "rounds":
        return DEADLINE_WORDS[t.deadline.kind]
    if len(t.rounds) == 1:
        return f"{cn_date(t.rounds[0])}前"
    return "，".join(f"{round_name(i)}{cn_date(d)}前" for i, d in enumerate(t.rounds))


def _day(d: dt.date, other: dt.date | None = None) -> str:
    """6月1日, or 2020年12月1日 when the other end of a range is in another year."""
    return cn_date(d) if other is None or other.year == d.year else f"{d.year}年{cn_date(d)}"


def item_text(item: EvidenceItem, catalog: Catalog, *, with_template: bool = True) -> str:
    """One evidence requirement as a clerk reads it, with every constraint the checker applies:
    the template, the minimum count (what counts), the date window, the yes/no ratio, the
    figures and their ratios, the completion date, whether rounds add up, the file kind.

    The one wording of the rules: the reminder email, 说明.txt and ``duban catalog`` all use it
    (``with_template=False`` where the template is shown on a line of its own)."""
    tpl = catalog.templates.get(item.template) if item.template else None
    parts = [item.label]
    if tpl is not None and with_template:
        parts.append(f"（模板：{tpl.id} {tpl.title}）")
    if item.kind == "ledger":
        parts.append(f"，有效数据不少于 {max(item.min, 1)} 条")
        if tpl is not None and any(c.type == "uscc" for c in tpl.columns):
            parts.append("（统一社会信用代码有误或重复的行不计）")
    elif item.kind == "figures":
        if tpl is not None:
            parts.append(f"，填写{'、'.join(f.name for f in tpl.fields)}")
        parts += [f"，{r.label}不低于 {r.min:.0%}" for r in item.ratios]
    elif item.kind == "link":
        parts.append(f"，不少于 {max(item.min, 1)} 个（网址写在 .txt、Word 或 Excel 文件中）")
    elif item.min > 1:
        parts.append(f"，不少于 {item.min} {item.unit_word}")
    if item.kind == "pdf" and "PDF" not in item.label.upper():
        parts.append("，须为 PDF 文件")
    if item.window:
        w = item.window
        parts.append(f"，{w.column}须在 {_day(w.start, w.end)}至{_day(w.end, w.start)}之间（区间外的行不计）")
    if item.ratio:
        parts.append(f"，“{item.ratio.column}”为“是”的比例不低于 {item.ratio.min:.0%}")
    if item.completed_by:
        parts.append(f"，须为截至{_day(item.completed_by)}已履行完毕的")
    if item.cumulative:
        parts.append("（各轮累计计数）")
    return "".join(parts)


def evidence_text(rt: ResolvedTask, catalog: Catalog) -> str:
    t = rt.task
    if t.platform:
        return "系统判定（由协调人确认）"
    if not t.evidence:
        return "无需报送材料"
    return "；".join(item_text(i, catalog) for i in t.evidence)


def task_row(rt: ResolvedTask, catalog: Catalog) -> dict[str, Any]:
    t = rt.task
    return {
        "id": t.id,
        "title": t.title,
        "text": t.text,
        "lead": list(rt.leads),
        "support": list(rt.supports),
        "unassigned": rt.unassigned,
        "deadline": t.deadline.kind,
        "rounds": [d.isoformat() for d in t.rounds],
        "deadline_text": deadline_text(rt),
        "platform": t.platform,
        "evidence": [i.model_dump(mode="json", exclude_none=True) for i in t.evidence],
        "evidence_text": evidence_text(rt, catalog),
        "notes": list(t.notes),
    }


def units_text(rt: ResolvedTask, catalog: Catalog) -> str:
    if rt.unassigned:
        return "（未指定，待分配）"
    for group in ("departments", "streets"):
        members = [u.name for u in catalog.units_in(group)]
        if set(members) <= set(rt.leads) and len(rt.leads) == len(members):
            text = "各区直部门" if group == "departments" else "各街道办事处"
            break
    else:
        text = "、".join(rt.leads)
    if rt.supports:
        text += f"（牵头）；配合：{'、'.join(rt.supports)}"
    return text
