"""Read a task list the way it arrives: a Word table, an Excel sheet, or the text that
copying the Word table gives — into plain rows (:class:`SourceRow`), cells verbatim.

The lists look alike whatever office sends them: a title line, then one table (or one per
section, 区直各部门 / 街道办事处) with the columns 序号 / 具体任务 / 责任部门 / 完成时限 /
佐证方式 (or 责任单位, 牵头单位 + 配合单位, 时间节点, 佐证材料 ...). Every reader turns its
format into the same stream of headings and table rows; :func:`_rows` finds the header,
the section rows and the tasks, whatever the format. A cell merged over several rows
(one unit for several tasks) belongs to each of them; line breaks inside a cell stay.

Bad input is a :class:`SourceError` whose message names the row and the cell, in Chinese:
no recognisable table, a task row with no task text, a number used twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

SUFFIXES = (".docx", ".xlsx", ".xlsm", ".txt", ".tsv", ".text")

# canonical column -> header words (normalised: NFKC, no spaces); the first match wins,
# so the more specific words come first
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("序号", "编号", "序"),
    "support": ("配合单位", "配合部门", "协办单位", "协助单位"),
    "units": ("责任部门", "责任单位", "牵头单位", "牵头部门", "责任主体", "承办单位", "主责单位", "责任科室"),
    "due": ("完成时限", "完成时间", "时间节点", "时间要求", "截止时间", "时限", "完成期限"),
    "evidence": ("佐证方式", "佐证材料", "佐证资料", "佐证", "报送材料", "材料要求", "成果形式"),
    "text": ("具体任务", "工作任务", "任务内容", "重点任务", "主要任务", "工作内容", "任务", "工作措施", "具体措施"),
}
CELL_NAMES = {
    "number": "序号",
    "text": "具体任务",
    "units": "责任部门",
    "support": "配合单位",
    "due": "完成时限",
    "evidence": "佐证方式",
}


class SourceError(ValueError):
    """The list cannot be read; ``str()`` is the whole message, in Chinese."""


@dataclass(frozen=True)
class SourceRow:
    section: str  # "departments" | "streets"
    number: int
    text: str
    units: str
    due: str
    evidence: str
    support: str = ""  # a separate 配合单位 column, when the list has one
    where: str = ""  # 第1个表格第5行 / 工作表“Sheet1”第5行 / 第12行
    number_guessed: bool = False  # the 序号 cell held no number: numbered by position
    section_stated: bool = True  # False when the document has no section heading before the row

    @property
    def id(self) -> str:
        return ("D" if self.section == "departments" else "S") + f"{self.number:02d}"


@dataclass
class SourceList:
    path: Path
    rows: list[SourceRow]
    title: str = ""  # the document's title line
    headers: dict[str, str] = field(default_factory=dict)  # column -> the header as written
    full_text: str = ""  # every cell and heading, for the year and attachment hints

    def cell_name(self, column: str) -> str:
        return self.headers.get(column) or CELL_NAMES[column]

    def year_hint(self) -> tuple[int | None, str]:
        """The campaign year the document states: a year in the title, else the latest year
        of a full date (2021年5月31日) anywhere in it. (None, "") when it names none."""
        m = re.search(r"(20\d{2})\s*年", self.title)
        if m:
            return int(m.group(1)), f"标题“{self.title}”写的是 {m.group(1)} 年"
        years = [int(y) for y in re.findall(r"(20\d{2})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日", self.full_text)]
        if years:
            return max(
                years
            ), f"文中完整日期的年份（{'、'.join(sorted({str(y) for y in years}))}）中最晚的是 {max(years)} 年"
        return None, ""


# ---------------------------------------------------------------- the stream every reader makes
@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class TableStart:
    pass


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    where: str


Item = Heading | TableStart | Row


def _norm(text: str) -> str:
    return re.sub(r"[\s*：:]", "", unicodedata.normalize("NFKC", text))


def section_of(text: str) -> str | None:
    """'streets' / 'departments' for a section heading (二、街道办事处 / 一、区直各部门)."""
    t = _norm(text)
    if len(t) > 30:
        return None
    if re.search(r"街道|镇|乡", t):
        return "streets"
    if re.search(r"区直|部门|单位|机关", t):
        return "departments"
    return None


def _header(cells: tuple[str, ...]) -> dict[str, int] | None:
    """Column positions when this row is a table header (the task column and one more)."""
    found: dict[str, int] = {}
    for pos, cell in enumerate(cells):
        word = _norm(cell)
        if not word or len(word) > 12:
            continue
        for key, words in COLUMNS.items():
            if key in found:
                continue
            if word in words or any(w in word for w in words if len(w) > 1):
                found[key] = pos
                break
    if "text" in found and len(found) >= 2:
        return found
    return None


def _looks_like_task(cells: tuple[str, ...], header: dict[str, int]) -> bool:
    """A row of a table that goes on without repeating the header: a number and a task."""
    pos, text = header.get("number"), header["text"]
    if len(cells) <= max(header.values()) or not cells[text]:
        return False
    return pos is None or bool(re.fullmatch(r"\d+[.、]?", unicodedata.normalize("NFKC", cells[pos]).strip()))


def _number(cell: str) -> int | None:
    m = re.search(r"\d+", unicodedata.normalize("NFKC", cell))
    return int(m.group()) if m else None


def _rows(items: Iterable[Item], path: Path) -> SourceList:
    """Headings, header rows, section rows and task rows, whatever the format."""
    out = SourceList(path, [])
    header: dict[str, int] | None = None
    last: dict[str, int] | None = None  # the previous table's header (a table split by a page)
    section, stated = "departments", False
    seen: dict[tuple[str, int], str] = {}
    texts: list[str] = []
    for item in items:
        if isinstance(item, Heading):
            texts.append(item.text)
            sec = section_of(item.text)
            if sec:
                section, stated = sec, True
            elif not out.title and not out.rows and item.text.strip():
                out.title = item.text.strip()
            continue
        if isinstance(item, TableStart):
            last, header = header or last, None
            continue
        cells = tuple(c.replace("[bookmark: _GoBack]", "").strip() for c in item.cells)
        texts += cells
        filled = [c for c in cells if c]
        if not filled:
            continue
        merged = len(set(filled)) == 1 and (len(filled) == 1 or len(filled) == len(cells))
        lone_task = header is not None and len(filled) == 1 and cells[header["text"]] == filled[0]
        if merged and not lone_task:
            sec = section_of(filled[0])  # a row merged across the table, or a lone cell
            if sec:
                section, stated = sec, True
            elif not out.title and not out.rows and header is None:
                out.title = filled[0]
            continue
        found = _header(cells)
        if found:
            if header is None or set(found) >= set(header):
                header = found
                out.headers = out.headers or {k: cells[p] for k, p in found.items()}
            continue
        if header is None and last is not None and _looks_like_task(cells, last):
            header = last
        if header is None:
            continue  # rows above the table's header (titles, notes)
        out.rows.append(_task_row(cells, header, section, item.where, out, seen, stated))
    out.full_text = "\n".join(texts)
    if not out.rows:
        raise SourceError(
            f"{path.name} 中没有找到任务表格：需要一个表头含“具体任务”（或“工作任务”）和“责任部门”"
            f"（或“责任单位”“完成时限”“佐证方式”）的表格。请检查是否选错了文件，或表格是不是被做成了图片"
        )
    return out


def _task_row(
    cells: tuple[str, ...], header: dict[str, int], section: str, where: str, out: SourceList, seen: dict, stated: bool
) -> SourceRow:
    def cell(key: str) -> str:
        pos = header.get(key)
        return cells[pos] if pos is not None and pos < len(cells) else ""

    text = cell("text")
    if not text:
        raise SourceError(
            f"{where}：“{out.cell_name('text')}”为空，但这一行写了其他内容（{'、'.join(c for c in cells if c)[:40]}）。"
            f"请在原文补上任务内容；如果这一行是上一项的续行，把它并入上一行"
        )
    number = _number(cell("number")) if "number" in header else None
    guessed = number is None
    if number is None:
        number = 1 + max((n for (s, n) in seen if s == section), default=0)
    key = (section, number)
    if key in seen:
        raise SourceError(
            f"{where}：“{out.cell_name('number')}” {number} 与{seen[key]}重复。请改正序号（每部分内从 1 起连续编号）"
        )
    seen[key] = where
    return SourceRow(
        section, number, text, cell("units"), cell("due"), cell("evidence"), cell("support"), where, guessed, stated
    )


# ---------------------------------------------------------------- the readers
def read_source(path: Path | str) -> SourceList:
    """The rows of a task list: .docx, .xlsx, or tab-separated text."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise SourceError(f"找不到文件 {path}")
    if suffix in (".doc", ".wps"):
        raise SourceError(f"{path.name} 是旧版 Word 格式：请用 Word 或 WPS “另存为” .docx 后再导入")
    if suffix in (".xls", ".et", ".csv"):
        raise SourceError(f"{path.name}：请用 Excel 或 WPS “另存为” .xlsx 后再导入")
    if suffix == ".docx":
        return _rows(_docx_items(path), path)
    if suffix in (".xlsx", ".xlsm"):
        return _rows(_xlsx_items(path), path)
    if suffix in (".txt", ".tsv", ".text", ""):
        return _rows(_text_items(_read_text(path)), path)
    raise SourceError(
        f"不支持的文件类型 {path.suffix}：请提供 .docx（Word 表格）、.xlsx（Excel）或 .txt（从 Word 复制的表格文字）"
    )


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise SourceError(f"{path.name} 不是 UTF-8 或 GBK 编码的文本：用记事本“另存为”UTF-8")


def _text_items(text: str) -> Iterator[Item]:
    """Two shapes of copied text: one cell per tab-indented line with a blank line between
    rows (the shipped source), or one row per line with tab-separated cells."""
    lines = text.splitlines()
    if any(re.match(r"^\t\s*序\s*号\s*$", line) for line in lines):
        yield from _cell_per_line(lines)
    else:
        yield from _row_per_line(text)


def _cell_per_line(lines: list[str]) -> Iterator[Item]:
    block: list[str] = []
    start = 0
    for i, line in enumerate(lines, 1):
        if line.startswith("\t"):
            if not block:
                start = i
            block.append(line[1:])
        elif not line.strip():
            if block:
                yield Row(tuple(block), f"第 {start} 行")
                block = []
        elif block:  # a cell that wrapped onto the next line
            block[-1] += "\n" + line
        else:
            yield Heading(line)
            yield TableStart()
    if block:
        yield Row(tuple(block), f"第 {start} 行")


def _row_per_line(text: str) -> Iterator[Item]:
    line_no = 1
    for record in csv.reader(io.StringIO(text), delimiter="\t"):
        where = f"第 {line_no} 行"
        line_no += 1 + sum(c.count("\n") for c in record)
        cells = list(record)
        if len(cells) <= 1:
            if cells and cells[0].strip():
                yield Heading(cells[0])
                yield TableStart()
            continue
        yield Row(tuple(cells), where)


def _docx_items(path: Path) -> Iterator[Item]:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(str(path))
    except Exception as e:
        raise SourceError(
            f"无法打开 {path.name}（{type(e).__name__}）：文件可能损坏或加了密码。请用 Word 打开后另存为 .docx 再试"
        ) from None
    t = 0
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            if block.text.strip():
                yield Heading(block.text)
        elif isinstance(block, Table):
            t += 1
            yield TableStart()
            for r, row in enumerate(block.rows, 1):
                yield Row(tuple(c.text for c in row.cells), f"第 {t} 个表格第 {r} 行")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_items(path: Path) -> Iterator[Item]:
    try:
        import openpyxl

        wb = openpyxl.load_workbook(str(path), data_only=True)
    except Exception as e:
        raise SourceError(
            f"无法打开 {path.name}（{type(e).__name__}）：文件可能损坏或加了密码。请用 Excel 打开后另存为 .xlsx 再试"
        ) from None
    for ws in wb.worksheets:
        grid = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        for rng in ws.merged_cells.ranges:  # a merged cell belongs to every row and column it spans
            value = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(grid) else ""
            for r in range(rng.min_row - 1, min(rng.max_row, len(grid))):
                for c in range(rng.min_col - 1, min(rng.max_col, len(grid[r]))):
                    grid[r][c] = value
        if section_of(ws.title):
            yield Heading(ws.title)
        yield TableStart()
        for r, cells in enumerate(grid, 1):
            yield Row(tuple(cells), f"工作表“{ws.title}”第 {r} 行")
