"""The round report as an Excel workbook (openpyxl).

Every sheet has the same shape, so people and tests can rely on it: row 1 is a title
(campaign, round, as-of time), row 2 the Chinese header row, data from row 3; the header is
frozen, an auto-filter covers the table, widths follow the content. The columns are the
report's own (``view.py``): the HTML page shows the same headers in the same order.

Printed, each sheet is A4 (landscape when the table is wide), fitted to the page width, with
the header row repeated on every page, the campaign and round in the page header and
"第 N 页，共 M 页" in the footer; the print area is the table, so the title can never widen
the page. Text from outside (file names, problems, addresses) is always a string cell, never
a formula, with control characters made visible (``escape.visible``).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from duban.escape import visible
from duban.results import CheckResult

from .scoring import ReportSettings, Summary
from .view import (
    DETAIL_COLUMNS,
    FILE_COLUMNS,
    NOTE_COLUMNS,
    REMINDER_COLUMNS,
    TASK_COLUMNS,
    UNIT_COLUMNS,
    Column,
    ReportMeta,
    decision_columns,
    detail_rows,
    file_rows,
    fmt_time,
    note_rows,
    reminder_rows,
    sent_count,
)

TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3
SHEETS = ("总览", "任务", "明细", "未识别文件", "被拒文件", "提醒", "决定", "说明")

FORMATS = {"pct": "0.0%", "score": "0.0", "date": "yyyy-mm-dd"}
# column widths (Excel character units) by size: (narrowest, widest); numbers are narrow and
# let their header wrap
WIDTHS = {"num": (6, 8), "short": (6, 24), "title": (12, 32), "long": (14, 60)}
LINE_HEIGHT = 15  # points per line of 11-point text
TITLE_SIZE = 13
PORTRAIT_MAX = (
    120  # wider tables print landscape (A4 portrait holds ~100 character units at 100 %, ~120 fitted to 85 %)
)
LANDSCAPE_MAX = 170  # landscape holds ~135 at 100 %: long columns share what is left of 170 (fit to ~80 %)
LONG_MIN = 24
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


def _cell_value(col: Column, row: Any) -> Any:
    v = col.value(row)
    if col.kind == "lines":
        v = "\n".join(v)
    return None if v == "" else v


def _put(ws: Worksheet, r: int, c: int, value: Any):
    """Write one cell; text is always a string cell (``=1+1`` from a file name is shown, not computed)."""
    cell = ws.cell(r, c)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _widths(columns: Sequence[Column], values: list[list[Any]]) -> list[float]:
    """Each column's width: its content's, within its size's bounds; a table too wide for A4
    portrait prints landscape, its long columns sharing what the others leave of the page."""
    widths = [_column_width(col, v) for col, v in zip(columns, values)]
    if sum(widths) <= PORTRAIT_MAX:
        return widths
    longs = [i for i, col in enumerate(columns) if col.size == "long" and not col.numeric]
    if longs:
        rest = sum(w for i, w in enumerate(widths) if i not in longs)
        share = max((LANDSCAPE_MAX - rest) / len(longs), LONG_MIN)
        for i in longs:
            widths[i] = min(widths[i], share)
    return widths


def _column_width(col: Column, values: Iterable[Any]) -> float:
    narrow, wide = WIDTHS["num" if col.numeric else col.size]
    if col.numeric:
        return narrow + 2 if col.kind in ("pct", "score") else narrow
    if col.kind == "date":
        return 12
    content = max((_width(v) for v in values), default=0)
    if col.size == "short":  # a short column's header fits on one line
        content = max(content, _width(col.header))
    return min(max(content + 2, narrow), wide)


def _lines(value: Any, width: float) -> int:
    """How many lines ``value`` takes wrapped in a column ``width`` characters wide."""
    room = max(width - 1, 1)
    return sum(max(1, math.ceil(_width(line) / room)) for line in str(value).split("\n"))


def _fit_row_heights(ws: Worksheet, widths: list[float], first: int, last: int) -> None:
    """Heights for rows whose wrapped text needs more than one line. Spreadsheet programs do not
    all grow a row to its wrapped text on opening (LibreOffice keeps the default height and cuts
    the text), so the height is written with the row."""
    for r in range(first, last + 1):
        lines = 1
        for c, width in enumerate(widths, 1):
            value = ws.cell(r, c).value
            if value is not None and (r == HEADER_ROW or ws.cell(r, c).alignment.wrap_text):
                lines = max(lines, _lines(value, width))
        if lines > 1:
            ws.row_dimensions[r].height = LINE_HEIGHT * lines + 2


def _print_setup(ws: Worksheet, meta: ReportMeta, last_col: str, last_row: int, width: float) -> None:
    ws.print_area = f"A{TITLE_ROW}:{last_col}{last_row}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if width > PORTRAIT_MAX else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.7
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddHeader.center.text = f"{meta.title}（截至 {fmt_time(meta.as_of)}）".replace("&", "&&")
    ws.oddHeader.center.size = 9
    ws.oddFooter.left.text = "&A"  # the sheet's name
    ws.oddFooter.left.size = 9
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.size = 9


def _table(
    wb: Workbook,
    name: str,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Any],
    meta: ReportMeta,
    settings: ReportSettings,
    *,
    freeze_cols: int = 0,
) -> Worksheet:
    """A sheet: title row, header row, one row per item with the columns' values, formats and colours."""
    ws = wb.create_sheet(name)
    _write_rows(ws, columns, rows, settings)
    last_data = FIRST_DATA_ROW + len(rows) - 1
    values = [[ws.cell(r, c).value for r in range(FIRST_DATA_ROW, last_data + 1)] for c in range(1, len(columns) + 1)]
    widths = _widths(columns, values)
    _write_header(ws, columns, widths)
    _fit_row_heights(ws, widths, HEADER_ROW, last_data)
    _write_title(ws, title, widths)

    last, last_row = get_column_letter(len(columns)), HEADER_ROW + max(len(rows), 1)
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 1 + freeze_cols).coordinate
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{last_row}"
    _print_setup(ws, meta, last, last_row, sum(widths))
    return ws


def _write_rows(ws: Worksheet, columns: Sequence[Column], rows: Sequence[Any], settings: ReportSettings) -> None:
    for r, row in enumerate(rows, FIRST_DATA_ROW):
        for c, col in enumerate(columns, 1):
            cell = _put(ws, r, c, _cell_value(col, row))
            cell.border = _BORDER
            cell.alignment = _WRAP if col.size in ("title", "long") and not col.numeric else _TOP
            if col.kind in FORMATS:
                cell.number_format = FORMATS[col.kind]
            colour = settings.colour(col.colour(row, settings))
            if colour is not None:
                cell.fill = _fill(colour.fill)
                cell.font = Font(color=colour.font)


def _write_header(ws: Worksheet, columns: Sequence[Column], widths: list[float]) -> None:
    for c, (col, width) in enumerate(zip(columns, widths), 1):
        cell = _put(ws, HEADER_ROW, c, col.header)
        cell.font = Font(name=_FONT, bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = width


def _write_title(ws: Worksheet, title: str, widths: list[float]) -> None:
    """The title spans the table (merged, wrapped): it never reaches past the last column."""
    cell = _put(ws, TITLE_ROW, 1, visible(title))
    cell.font = Font(name=_FONT, bold=True, size=TITLE_SIZE)
    cell.alignment = Alignment(vertical="center", wrap_text=True)
    if len(widths) > 1:
        ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=len(widths))
    lines = _lines(title, sum(widths) * 11 / TITLE_SIZE)
    ws.row_dimensions[TITLE_ROW].height = LINE_HEIGHT * TITLE_SIZE / 11 * lines + 4


def write_workbook(
    path: Path,
    catalog,
    result: CheckResult,
    summary: Summary,
    meta: ReportMeta,
    settings: ReportSettings,
    reminders: list[dict] | None,
    decisions: Sequence[Any] = (),
) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    head = f"{meta.title}（{meta.subtitle}）"
    total = summary.total

    def sheet(name: str, title: str, columns: Sequence[Column], rows: Sequence[Any], freeze_cols: int = 0):
        return _table(wb, name, title, columns, rows, meta, settings, freeze_cols=freeze_cols)

    overall = (
        f"应报 {total.owed} 项，完成 {total.completed} 项，完成率 {total.completion:.1%}"
        if total.completion is not None
        else "尚无到期事项"
    )
    # 总览: one row per unit (unassigned obligations have no unit and are not here)
    sheet("总览", f"{head}　{overall}", UNIT_COLUMNS, summary.units, 1)
    sheet("任务", head, TASK_COLUMNS, summary.tasks, 2)
    sheet("明细", head, DETAIL_COLUMNS, detail_rows(catalog, result.obligations), 3)
    sheet(
        "未识别文件",
        f"未识别文件：共 {len(result.unrecognized)} 个（不计入任何任务，请核对放置的文件夹）",
        FILE_COLUMNS,
        file_rows(result.unrecognized),
    )
    sheet(
        "被拒文件",
        f"被拒文件：共 {len(result.rejected)} 个（损坏、加密、空文件或内容与扩展名不符，不计入）",
        FILE_COLUMNS,
        file_rows(result.rejected),
    )
    rem = reminder_rows(reminders)
    sheet(
        "提醒",
        f"本次运行的提醒：已发送 {sent_count(rem)} 封，共 {len(rem)} 条记录（未发送的原因见“说明”列）",
        REMINDER_COLUMNS,
        rem,
    )
    sheet(
        "决定",
        f"协调人决定：共 {len(decisions)} 项（认可、驳回、免报、延期；规则先判，决定覆盖，见“明细”各项的问题说明）",
        decision_columns(result.as_of),
        list(decisions),
    )
    sheet("说明", head, NOTE_COLUMNS, note_rows(meta, settings))
    wb.active = 0
    wb.save(path)
    return path
