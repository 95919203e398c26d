"""The round report as an Excel workbook (openpyxl).

Every sheet has the same shape, so people and tests can rely on it: row 1 is a title
(campaign, round, as-of time), row 2 the Chinese header row, data from row 3; the header is
frozen, an auto-filter covers the table, widths follow the content.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from duban.results import CheckResult
from duban.statuses import STATUS_LABELS

from .scoring import ReportSettings, Summary
from .view import ReportMeta, detail_rows, file_rows, fmt_time, reminder_rows, sent_count

TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3
SHEETS = ("总览", "任务", "明细", "未识别文件", "被拒文件", "提醒", "说明")

UNIT_HEADERS = (
    "单位",
    "类别",
    "应报",
    "按时完成",
    "逾期完成",
    "材料不足",
    "未报送",
    "未到期",
    "待确认",
    "完成率",
    "得分",
    "排名",
)
TASK_HEADERS = (
    "编号",
    "任务",
    "截止",
    "责任单位数",
    "应报单位数",
    "已完成单位数",
    "完成率",
    "按时完成",
    "逾期完成",
    "材料不足",
    "未报送",
    "未到期",
    "待确认",
    "其他状态",
    "未完成单位",
)
DETAIL_HEADERS = ("任务编号", "任务", "单位", "轮次", "截止日期", "状态", "问题", "文件")
FILE_HEADERS = ("路径", "原因")
REMINDER_HEADERS = ("单位", "类型", "收件人", "抄送", "主题", "状态", "说明")
NOTE_HEADERS = ("项目", "内容")

PCT, SCORE, DATE = "0.0%", "0.0", "yyyy-mm-dd"
_HEADER_FILL = PatternFill("solid", start_color="D9E1F2", end_color="D9E1F2")
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOP = Alignment(vertical="top")
_WRAP = Alignment(vertical="top", wrap_text=True)
_FONT = "等线"  # Excel's default CJK font; others fall back gracefully


def _width(value: Any) -> int:
    if value is None:
        return 0
    lines = str(value).split("\n")
    return max(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line) for line in lines)


def _fill(hex_rgb: str) -> PatternFill:
    return PatternFill("solid", start_color=hex_rgb, end_color=hex_rgb)


def _table(
    wb: Workbook,
    name: str,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    formats: dict[int, str] | None = None,
    wrap: Iterable[int] = (),
    max_width: int = 50,
    freeze_cols: int = 0,
):
    """A sheet: title row, header row, data rows; returns the worksheet."""
    ws = wb.create_sheet(name)
    ws.append([title])
    ws.cell(TITLE_ROW, 1).font = Font(name=_FONT, bold=True, size=13)
    ws.append(list(headers))
    widths = [_width(h) for h in headers]
    wrap = set(wrap)
    formats = formats or {}
    n = 0
    for row in rows:
        ws.append(list(row))
        n += 1
        r = FIRST_DATA_ROW + n - 1
        for c, v in enumerate(row, 1):
            cell = ws.cell(r, c)
            cell.border = _BORDER
            cell.alignment = _WRAP if c in wrap else _TOP
            if c in formats:
                cell.number_format = formats[c]
            w = 8 if c in formats and formats[c] in (PCT, SCORE) else (10 if c in formats else _width(v))
            widths[c - 1] = max(widths[c - 1], w)
    for c in range(1, len(headers) + 1):
        cell = ws.cell(HEADER_ROW, c)
        cell.font = Font(name=_FONT, bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = min(max(widths[c - 1] + 2, 6), max_width)
    last = get_column_letter(len(headers))
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 1 + freeze_cols).coordinate
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(n, 1)}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def _colour_cell(cell, colour) -> None:
    if colour is not None:
        cell.fill = _fill(colour.fill)
        cell.font = Font(color=colour.font)


def write_workbook(
    path: Path,
    catalog,
    result: CheckResult,
    summary: Summary,
    meta: ReportMeta,
    settings: ReportSettings,
    reminders: list[dict] | None,
) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    head = f"{meta.title}（{meta.subtitle}）"
    total = summary.total

    # 总览: one row per unit (unassigned obligations have no unit and are not here)
    overall = (
        f"应报 {total.owed} 项，完成 {total.completed} 项，完成率 {total.completion:.1%}"
        if total.completion is not None
        else "尚无到期事项"
    )
    rows = [
        (
            r.unit,
            r.group,
            r.tally.owed,
            r.tally.n["ok"],
            r.tally.n["late"],
            r.tally.n["partial"],
            r.tally.n["missing"],
            r.tally.n["not_due"],
            r.tally.n["confirm"],
            r.completion,
            r.score,
            r.rank,
        )
        for r in summary.units
    ]
    ws = _table(wb, "总览", f"{head}　{overall}", UNIT_HEADERS, rows, formats={10: PCT, 11: SCORE}, freeze_cols=1)
    pct_col = UNIT_HEADERS.index("完成率") + 1
    for i, r in enumerate(summary.units):
        _colour_cell(ws.cell(FIRST_DATA_ROW + i, pct_col), settings.colour(r.light))

    # 任务: one row per task and round
    def others(d: dict[str, int]) -> str:
        return "、".join(f"{STATUS_LABELS.get(s, s)} {n}" for s, n in d.items())

    rows = [
        (
            t.task,
            t.title,
            t.deadline_text,
            t.units,
            t.tally.owed,
            t.tally.completed,
            t.completion,
            t.tally.n["ok"],
            t.tally.n["late"],
            t.tally.n["partial"],
            t.tally.n["missing"],
            t.tally.n["not_due"],
            t.tally.n["confirm"],
            others(t.others),
            "、".join(f"{u}（{STATUS_LABELS[s]}）" for u, s in t.open_units),
        )
        for t in summary.tasks
    ]
    ws = _table(wb, "任务", head, TASK_HEADERS, rows, formats={7: PCT}, wrap=(15,), freeze_cols=2)
    for i, t in enumerate(summary.tasks):
        _colour_cell(ws.cell(FIRST_DATA_ROW + i, 7), settings.colour(t.light))

    # 明细: one row per obligation
    details = detail_rows(catalog, result.obligations)
    rows = [
        (d.task, d.title, d.unit, d.round, d.due, d.label, "\n".join(d.problems), "\n".join(d.files)) for d in details
    ]
    ws = _table(
        wb, "明细", head, DETAIL_HEADERS, rows, formats={4: DATE, 5: DATE}, wrap=(7, 8), max_width=60, freeze_cols=3
    )
    for i, d in enumerate(details):
        _colour_cell(ws.cell(FIRST_DATA_ROW + i, 6), settings.status_colour(d.status))

    _table(
        wb,
        "未识别文件",
        f"未识别文件：共 {len(result.unrecognized)} 个（不计入任何任务，请核对放置的文件夹）",
        FILE_HEADERS,
        file_rows(result.unrecognized),
        wrap=(2,),
        max_width=70,
    )
    _table(
        wb,
        "被拒文件",
        f"被拒文件：共 {len(result.rejected)} 个（损坏、加密、空文件或内容与扩展名不符，不计入）",
        FILE_HEADERS,
        file_rows(result.rejected),
        wrap=(2,),
        max_width=70,
    )

    rem = reminder_rows(reminders)
    ws = _table(
        wb,
        "提醒",
        f"本次运行的提醒：已发送 {sent_count(rem)} 封，共 {len(rem)} 条记录（未发送的原因见“说明”列）",
        REMINDER_HEADERS,
        [(r.unit, r.kind, r.to, r.cc, r.subject, r.status, r.error) for r in rem],
        wrap=(5, 7),
        max_width=60,
    )
    red = settings.colour("red")
    for i, r in enumerate(rem):
        if not r.ok:
            _colour_cell(ws.cell(FIRST_DATA_ROW + i, 6), red)

    notes = [
        ("报告", meta.title),
        ("地区", meta.district),
        ("截至", fmt_time(meta.as_of)),
        ("生成时间", fmt_time(meta.generated_at)),
        ("说明", meta.label or ""),
        ("佐证根目录", meta.evidence_root),
    ]
    notes += [(f"计分规则 {i}", line) for i, line in enumerate(settings.rule_lines(), 1)]
    _table(wb, "说明", head, NOTE_HEADERS, notes, wrap=(2,), max_width=90)

    wb.active = 0
    wb.save(path)
    return path
