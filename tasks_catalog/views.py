"""Readable views of the catalog: what is owed, by whom and by when.

Used by ``duban catalog`` (table and JSON) and by ``duban init-folders`` (说明.txt).
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


def item_text(item: EvidenceItem, catalog: Catalog) -> str:
    """One evidence requirement as a clerk would read it."""
    parts = [item.label]
    if item.template:
        tpl = catalog.templates[item.template]
        parts.append(f"（模板：{tpl.id} {tpl.title}）")
    if item.kind == "ledger":
        parts.append(f"，有效数据不少于 {item.min} 条")
    elif item.kind == "figures":
        parts.append("，" + "；".join(f"{r.label}不低于 {r.min:.0%}" for r in item.ratios))
    elif item.min > 1:
        parts.append(f"，不少于 {item.min} {item.unit_word}")
    if item.ratio:
        parts.append(f"，“{item.ratio.column}”为“是”的比例不低于 {item.ratio.min:.0%}")
    if item.window:
        parts.append(f"，{item.window.column}须在 {item.window.start} 至 {item.window.end} 之间")
    if item.completed_by:
        parts.append(f"，须为 {item.completed_by} 前已履行完毕的")
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
