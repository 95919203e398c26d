"""Task lists as they arrive, made from rows (the shipped source's, or a test's own): a Word
document with the table(s), an Excel workbook, the tab-separated text. For the importer's
tests (``duban campaign new --from``) and the README's new-campaign path.

The Word form is written the way offices write it: a title paragraph, a heading paragraph
per section (一、区直各部门 / 二、街道办事处) and one table per section — or a single table
with a merged row per section; a units cell merged down over consecutive tasks that share
it; line breaks inside cells kept as separate paragraphs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from duban.tasks_catalog.sources import SourceRow

HEADERS = ("序号", "具体任务", "责任部门", "完成时限", "佐证方式")
SECTIONS = {"departments": "一、区直各部门", "streets": "二、街道办事处"}


def _cells(row: SourceRow) -> tuple[str, ...]:
    return (str(row.number), row.text, row.units, row.due, row.evidence)


def _by_section(rows: Sequence[SourceRow]) -> dict[str, list[SourceRow]]:
    out: dict[str, list[SourceRow]] = {}
    for r in rows:
        out.setdefault(r.section, []).append(r)
    return out


def _set_text(cell, text: str) -> None:
    """A cell's text with each line as its own paragraph (what Word does on Enter)."""
    lines = text.split("\n")
    cell.text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


def _same_units_runs(rows: Sequence[SourceRow]) -> list[tuple[int, int]]:
    """(first, last) indexes of consecutive rows that share a units cell (two or more)."""
    runs, i = [], 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1].units and rows[j + 1].units == rows[i].units:
            j += 1
        if j > i:
            runs.append((i, j))
        i = j + 1
    return runs


def _merge_same_units(table, first_row: int, rows: Sequence[SourceRow]) -> None:
    """Merge the units cell down over consecutive rows that share it (the way a list writes
    one department once for several tasks)."""
    for i, j in _same_units_runs(rows):
        merged = table.cell(first_row + i, 2).merge(table.cell(first_row + j, 2))
        _set_text(merged, rows[i].units)


def write_docx(
    rows: Sequence[SourceRow], path: Path | str, *, title: str = "", one_table: bool = False, merge_units: bool = True
) -> Path:
    import docx

    path = Path(path)
    document = docx.Document()
    if title:
        document.add_paragraph(title)
    sections = _by_section(rows)
    if one_table:
        n = 1 + sum(1 + len(rs) for rs in sections.values())
        table = document.add_table(rows=n, cols=len(HEADERS))
        for c, h in enumerate(HEADERS):
            table.cell(0, c).text = h
        r = 1
        for section, rs in sections.items():
            merged = table.cell(r, 0).merge(table.cell(r, len(HEADERS) - 1))
            merged.text = SECTIONS[section]
            r += 1
            for row in rs:
                for c, text in enumerate(_cells(row)):
                    _set_text(table.cell(r, c), text)
                r += 1
            if merge_units:
                _merge_same_units(table, r - len(rs), rs)
    else:
        for section, rs in sections.items():
            document.add_paragraph(SECTIONS[section])
            table = document.add_table(rows=1 + len(rs), cols=len(HEADERS))
            for c, h in enumerate(HEADERS):
                table.cell(0, c).text = h
            for i, row in enumerate(rs, 1):
                for c, text in enumerate(_cells(row)):
                    _set_text(table.cell(i, c), text)
            if merge_units:
                _merge_same_units(table, 1, rs)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def write_xlsx(rows: Sequence[SourceRow], path: Path | str, *, title: str = "", merge_units: bool = True) -> Path:
    """One sheet: a merged title row, the header, a merged row per section, the tasks (a
    units cell shared by consecutive tasks merged down)."""
    import openpyxl

    path = Path(path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "任务分解"
    r = 1
    if title:
        ws.cell(1, 1, title)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
        r = 2
    for c, h in enumerate(HEADERS, 1):
        ws.cell(r, c, h)
    r += 1
    for section, rs in _by_section(rows).items():
        ws.cell(r, 1, SECTIONS[section])
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(HEADERS))
        r += 1
        first = r
        for row in rs:
            for c, text in enumerate(_cells(row), 1):
                ws.cell(r, c, int(text) if c == 1 else text)
            r += 1
        for i, j in _same_units_runs(rs) if merge_units else []:
            for k in range(i + 1, j + 1):
                ws.cell(first + k, 3).value = None
            ws.merge_cells(start_row=first + i, start_column=3, end_row=first + j, end_column=3)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


def write_tab_rows(rows: Sequence[SourceRow], path: Path | str, *, title: str = "") -> Path:
    """The other shape of copied text: one row per line, cells separated by tabs (a cell
    with a line break quoted, as Excel and WPS copy it)."""
    import csv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        if title:
            f.write(title + "\n")
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        for section, rs in _by_section(rows).items():
            f.write(SECTIONS[section] + "\n")
            w.writerow(HEADERS)
            for row in rs:
                w.writerow(_cells(row))
    return path
