"""A plausible check result for the whole catalog, for screenshots and size tests.

Deterministic (seeded by task, unit and round), no files needed: every dated evidence
obligation gets ok / late / partial / missing once due, pending before; platform tasks
await confirmation; done, ongoing and unassigned tasks keep their status.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from duban.results import CheckResult, FileIssue, Obligation
from duban.timeutil import parse_as_of


def _pick(*key) -> float:
    return int(hashlib.sha256("|".join(map(str, key)).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def sample_result(catalog, as_of: str | dt.datetime = "2021-06-20") -> CheckResult:
    as_of = parse_as_of(as_of)
    day = as_of.date()
    obs: list[Obligation] = []
    for tid, rt in catalog.tasks.items():
        t = rt.task
        if rt.unassigned:
            obs.append(Obligation(tid, None, None, None, "unassigned"))
            continue
        for unit in rt.leads:
            if t.deadline.kind in ("done", "ongoing", "unspecified"):
                obs.append(Obligation(tid, unit, None, None, "done" if t.deadline.kind == "done" else "ongoing"))
                continue
            for r in t.rounds:
                folder = f"{unit}/{tid}-{t.title}" + (f"/{r.month}月{r.day}日" if len(t.rounds) > 1 else "")
                if t.platform:
                    obs.append(Obligation(tid, unit, r, r, "confirm", ["系统判定事项，等待协调人确认"]))
                    continue
                x = _pick(tid, unit, r)
                if r > day:
                    status = "ok" if x < 0.15 else "pending"
                else:
                    status = "ok" if x < 0.62 else "late" if x < 0.74 else "partial" if x < 0.86 else "missing"
                problems, files = [], []
                if status in ("ok", "late", "partial"):
                    files = [f"{folder}/{t.title}台账.xlsx"]
                if status == "late":
                    problems = [f"最后一份材料于 {r + dt.timedelta(days=2)} 提交，晚于截止日期 {r}"]
                if status == "partial":
                    item = t.evidence[0] if t.evidence else None
                    need = max(item.min, 2) if item else 2
                    word = item.unit_word if item else "份"
                    problems = [f"{item.label if item else '佐证材料'}有效 {need - 1} {word}，要求不少于 {need} {word}"]
                if status == "missing":
                    problems = [f"未找到任何佐证材料，应放在 {folder}/"]
                obs.append(Obligation(tid, unit, r, r, status, problems, files))
    return CheckResult(
        as_of=as_of,
        evidence_root="/srv/share/信用示范创建",
        obligations=obs,
        unrecognized=[
            FileIssue("区工信局/杂项/会议照片.jpg", "无法识别任务文件夹“杂项”：请放入任务编号文件夹，如 D20"),
            FileIssue("新建文件夹/台账.xlsx", "无法识别单位文件夹“新建文件夹”：请放入本单位的文件夹"),
        ],
        rejected=[
            FileIssue("区财政局/D06/制度汇编.docx", "文件已损坏，无法打开：请重新导出后上传"),
            FileIssue("区商务局/D27/第一轮/承诺书.pdf", "文件已加密：请去掉密码后重新上传"),
        ],
    )
