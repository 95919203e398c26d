"""Real evidence files for the tests and the demo: ledgers, blank templates, figures
forms, PDFs, Word documents, link lists — and hostile files (corrupt, encrypted, empty,
disguised, HTML saved as .xls, the calamine-aborting huge cell, a zip bomb).

Only runtime dependencies (openpyxl, pypdf, python-docx, msoffcrypto-tool) and the
standard library; ``.xls`` (BIFF, via xlwt) lives in ``tests/helpers_xls.py``. Every
maker takes ``mtime`` (a datetime — naive means Asia/Shanghai — or a POSIX timestamp)
for the file's modification time, which is its submission time for duban, and returns
the path it wrote.

Layout of :func:`make_ledger_xlsx` (and :func:`ledger_rows`): an optional merged title
row, an optional subtitle row (填报单位/填报日期), the header row (two rows with
``two_level=True``), then the data rows: data row ``i`` (0-based) is Excel row
``ledger_header_row(...) + header height + i``.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from duban.evidence.blank_templates import bold as _bold
from duban.evidence.blank_templates import make_blank_template_xlsx
from duban.evidence.uscc import break_uscc, make_uscc
from duban.tasks_catalog.models import Column, Template

TZ = ZoneInfo("Asia/Shanghai")
MTime = dt.datetime | dt.date | float | int | None

__all__ = [
    "ledger_rows",
    "ledger_header_row",
    "make_ledger_xlsx",
    "make_blank_template_xlsx",
    "make_plain_table_xlsx",
    "make_figures_xlsx",
    "make_table_xlsx",
    "make_ods",
    "make_pdf",
    "make_docx",
    "make_txt_links",
    "make_url_shortcut",
    "make_corrupt",
    "make_encrypted_xlsx",
    "make_encrypted_pdf",
    "make_empty",
    "make_disguised",
    "make_html_as_xls",
    "make_slow_pdf",
    "make_huge_cell_xlsx",
    "make_zip_bomb_xlsx",
    "set_mtime",
]


# ---------------------------------------------------------------- common
def set_mtime(path: Path | str, mtime: MTime) -> None:
    """Set a file's modification (and access) time; None leaves it as written."""
    if mtime is None:
        return
    if isinstance(mtime, dt.datetime):
        ts = (mtime if mtime.tzinfo else mtime.replace(tzinfo=TZ)).timestamp()
    elif isinstance(mtime, dt.date):
        ts = dt.datetime.combine(mtime, dt.time(12, 0), tzinfo=TZ).timestamp()
    else:
        ts = float(mtime)
    os.utime(path, (ts, ts))


def _prepare(path: Path | str) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


_COMPANY_WORDS = [
    "恒信",
    "鲁泉",
    "泉城",
    "舜耕",
    "历山",
    "华诚",
    "明湖",
    "大观",
    "趵突",
    "千佛",
    "齐鲁",
    "泰和",
    "嘉禾",
    "永信",
    "中联",
    "润华",
    "鼎盛",
    "金桥",
    "新元",
    "宏达",
]
_COMPANY_TRADES = ["商贸", "科技", "物流", "建筑工程", "餐饮管理", "信息技术", "医药", "文化传媒", "食品", "置业"]
_PEOPLE = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴霞"]


def _company(i: int) -> str:
    return f"济南{_COMPANY_WORDS[i % 20]}{_COMPANY_TRADES[(i // 20) % 10]}有限公司" + (
        f"{i // 200 + 1}分公司" if i >= 200 else ""
    )


def _cell_value(col: Column, i: int, *, rows: int, seed: int, dates, yes_ratio) -> Any:
    name = col.name
    if col.type == "uscc":
        return make_uscc(seed * 1_000_003 + i)
    if col.type == "date":
        if dates is not None:
            return dates(i) if callable(dates) else dates
        return dt.date(2021, 4, 1) + dt.timedelta(days=i % 61)
    if col.type == "yesno":
        if yes_ratio is None:
            return "是"
        return "是" if i < round(rows * yes_ratio) else "否"
    if col.type == "number":
        return float(10 + (i * 37) % 990)
    if col.type == "url":
        return f"https://www.creditchina.gov.cn/gongshi/{seed}-{i + 1}.html"
    if name in ("序号", "编号"):
        return i + 1
    if "名称" in name or name in ("承诺人",):
        return _company(i + seed * 7)
    if "代表" in name or "负责人" in name:
        return _PEOPLE[i % len(_PEOPLE)]
    if "电话" in name:
        return f"0531-{86000000 + i:08d}"
    if "类型" in name:
        return ["审批替代型", "容缺受理型", "行业自律型", "主动型"][i % 4]
    if "月份" in name:
        return f"2021年{4 + i % 3}月"
    if "单位" in name or "部门" in name:
        return "济南市历下区发展和改革局"
    if "文书号" in name or "文号" in name:
        return f"历下许字〔2021〕{i + 1:04d}号"
    return f"{name}内容{i + 1}"


def _messy(name: str, k: int) -> str:
    """How clerks type headers: ``序 号``, ``统一社会\\n信用代码``, ``*企业名称``, half-width brackets."""
    if len(name) == 2:
        return name[0] + "　" + name[1]
    if len(name) >= 6 and k % 2 == 0:
        cut = len(name) // 2
        return name[:cut] + "\n" + name[cut:]
    return "*" + name.replace("（", "(").replace("）", ")")


def ledger_header_row(*, title: bool = True, subtitle: bool = True) -> int:
    """1-based Excel row of the header in :func:`make_ledger_xlsx`'s layout."""
    return 1 + int(bool(title)) + int(bool(subtitle))


def ledger_rows(
    template: Template,
    rows: int,
    *,
    title: bool = True,
    subtitle: bool = True,
    variant_headers: bool = False,
    messy_headers: bool = False,
    drop_columns: Iterable[str] = (),
    bad_uscc_rows: Iterable[int] = (),
    duplicate_rows: Iterable[int] = (),
    dates: Callable[[int], Any] | None = None,
    yes_ratio: float | None = None,
    numbered_blank_rows: int = 0,
    total_row: bool = False,
    footer: bool = False,
    two_level: bool = False,
    seed: int = 0,
    unit_name: str = "",
) -> list[list[Any]]:
    """The cell matrix of a filled ledger (row 0 = Excel row 1).

    ``bad_uscc_rows`` / ``duplicate_rows`` are 0-based data-row indices: a bad row gets a
    wrong check character, a duplicate row repeats the code of the data row above it.
    """
    if template.kind != "ledger":
        raise ValueError(f"template {template.id} is a {template.kind}, not a ledger")
    drop = set(drop_columns)
    unknown = drop - {c.name for c in template.columns}
    if unknown:
        raise ValueError(f"template {template.id} has no column {sorted(unknown)}")
    cols = [c for c in template.columns if c.name not in drop]
    width = len(cols)
    out: list[list[Any]] = []
    if title:
        out.append([template.title] + [None] * (width - 1))
    if subtitle:
        sub: list[Any] = [None] * width
        sub[0] = f"填报单位（盖章）：{unit_name}"
        if width >= 3:
            sub[-2] = "填报日期：2021年6月"
        out.append(sub)
    heads = []
    for k, c in enumerate(cols):
        h = c.variants[0] if (variant_headers and c.variants) else c.name
        heads.append(_messy(h, k) if messy_headers else h)
    if two_level and width >= 3:
        out.append(heads[:-2] + ["填报情况", None])
        out.append([None] * (width - 2) + heads[-2:])
    else:
        out.append(heads)
    bad, dup = set(bad_uscc_rows), set(duplicate_rows)
    codes: list[str | None] = []
    for i in range(rows):
        row = []
        for c in cols:
            v = _cell_value(c, i, rows=rows, seed=seed, dates=dates, yes_ratio=yes_ratio)
            if c.type == "uscc":
                if i in dup and i > 0 and codes[i - 1]:
                    v = codes[i - 1]
                elif i in bad:
                    v = break_uscc(v)
                codes.append(v)
            row.append(v)
        out.append(row)
    seq = next((k for k, c in enumerate(cols) if c.name == "序号"), None)
    for j in range(numbered_blank_rows):
        row = [None] * width
        if seq is not None:
            row[seq] = rows + j + 1
        out.append(row)
    if total_row:
        out.append(["合计", f"共 {rows} 户"] + [None] * (width - 2))
    if footer:
        out.append([None] * width)
        out.append(["填报人：张伟", None, "联系电话：0531-86000000"] + [None] * (width - 3))
    return out


# ---------------------------------------------------------------- xlsx
def _write_sheet(ws, matrix: Sequence[Sequence[Any]]) -> None:
    for row in matrix:
        ws.append(list(row))


def make_ledger_xlsx(
    path: Path | str,
    template: Template,
    rows: int,
    *,
    title: bool = True,
    subtitle: bool = True,
    variant_headers: bool = False,
    messy_headers: bool = False,
    drop_columns: Iterable[str] = (),
    bad_uscc_rows: Iterable[int] = (),
    duplicate_rows: Iterable[int] = (),
    dates: Callable[[int], Any] | None = None,
    yes_ratio: float | None = None,
    numbered_blank_rows: int = 0,
    total_row: bool = False,
    footer: bool = False,
    two_level: bool = False,
    seed: int = 0,
    unit_name: str = "",
    sheet_name: str = "台账",
    extra_sheets: Mapping[str, Sequence[Sequence[Any]]] | None = None,
    mtime: MTime = None,
) -> Path:
    """A filled ledger for ``template`` with ``rows`` data rows (see :func:`ledger_rows`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    p = _prepare(path)
    matrix = ledger_rows(
        template,
        rows,
        title=title,
        subtitle=subtitle,
        variant_headers=variant_headers,
        messy_headers=messy_headers,
        drop_columns=drop_columns,
        bad_uscc_rows=bad_uscc_rows,
        duplicate_rows=duplicate_rows,
        dates=dates,
        yes_ratio=yes_ratio,
        numbered_blank_rows=numbered_blank_rows,
        total_row=total_row,
        footer=footer,
        two_level=two_level,
        seed=seed,
        unit_name=unit_name,
    )
    cols = [c for c in template.columns if c.name not in set(drop_columns)]
    wb = Workbook(write_only=rows > 5000)
    ws = wb.create_sheet(sheet_name) if wb.write_only else wb.active
    if not wb.write_only:
        ws.title = sheet_name
    _write_sheet(ws, matrix)
    if not wb.write_only:
        last = get_column_letter(len(cols))
        r = 1
        if title:
            ws.merge_cells(f"A1:{last}1")
            ws["A1"].font = _bold(16)
            ws["A1"].alignment = Alignment(horizontal="center")
            r += 1
        if subtitle:
            r += 1
        header = r
        if two_level and len(cols) >= 3:
            for k in range(len(cols) - 2):
                ws.merge_cells(start_row=header, start_column=k + 1, end_row=header + 1, end_column=k + 1)
            ws.merge_cells(start_row=header, start_column=len(cols) - 1, end_row=header, end_column=len(cols))
        for k, c in enumerate(cols):
            ws.column_dimensions[get_column_letter(k + 1)].width = c.width
        for cell in ws[header]:
            cell.font = _bold()
            cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        for k, c in enumerate(cols):
            if c.type == "date":
                for row in ws.iter_rows(min_row=header + 1, min_col=k + 1, max_col=k + 1):
                    for cell in row:
                        if isinstance(cell.value, (dt.date, dt.datetime)):
                            cell.number_format = "yyyy-mm-dd"
    for name, m in (extra_sheets or {}).items():
        _write_sheet(wb.create_sheet(name), m)
    wb.save(p)
    set_mtime(p, mtime)
    return p


def make_table_xlsx(path: Path | str, sheets: Mapping[str, Sequence[Sequence[Any]]], *, mtime: MTime = None) -> Path:
    """Any cell matrices, one per sheet (row 0 = Excel row 1)."""
    from openpyxl import Workbook

    p = _prepare(path)
    wb = Workbook()
    wb.remove(wb.active)
    for name, m in sheets.items():
        _write_sheet(wb.create_sheet(name), m)
    wb.save(p)
    set_mtime(p, mtime)
    return p


def make_plain_table_xlsx(
    path: Path | str,
    rows: int = 10,
    *,
    header: Sequence[str] = ("名称", "内容", "日期"),
    title: str | None = None,
    mtime: MTime = None,
) -> Path:
    """A table with no template: optional title, one header row, ``rows`` data rows."""
    m: list[list[Any]] = [[title]] if title else []
    m.append(list(header))
    for i in range(rows):
        m.append(
            [
                _company(i)
                if k == 0
                else (dt.date(2021, 5, 1) + dt.timedelta(days=i) if "日期" in h else f"{h}{i + 1}")
                for k, h in enumerate(header)
            ]
        )
    return make_table_xlsx(path, {"Sheet1": m}, mtime=mtime)


def make_figures_xlsx(
    path: Path | str,
    template: Template,
    values: Mapping[str, float],
    *,
    unit: str = "万元",
    title: bool = True,
    use_variants: bool = False,
    mtime: MTime = None,
) -> Path:
    """A figures form: ``项目 | 金额（unit）`` rows; ``values`` maps field names to amounts in ``unit``."""
    if template.kind != "figures":
        raise ValueError(f"template {template.id} is a {template.kind}, not a figures form")
    m: list[list[Any]] = [[template.title, None]] if title else []
    m.append(["项目", f"金额（{unit}）"])
    for f in template.fields:
        if f.name in values:
            m.append([f.variants[0] if use_variants and f.variants else f.name, values[f.name]])
    return make_table_xlsx(path, {"数据表": m}, mtime=mtime)


# ---------------------------------------------------------------- ods (hand-written OpenDocument)
def _xml(s: Any) -> str:
    from xml.sax.saxutils import escape

    return escape(str(s), {'"': "&quot;"})


def make_ods(path: Path | str, sheets: Mapping[str, Sequence[Sequence[Any]]], *, mtime: MTime = None) -> Path:
    """An OpenDocument spreadsheet from cell matrices (strings, numbers, dates)."""
    p = _prepare(path)
    body = []
    for name, m in sheets.items():
        body.append(f'<table:table table:name="{_xml(name)}">')
        for row in m:
            cells = []
            for v in row:
                if v is None or v == "":
                    cells.append("<table:table-cell/>")
                elif isinstance(v, bool):
                    cells.append(
                        f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(v).lower()}">'
                        f"<text:p>{v}</text:p></table:table-cell>"
                    )
                elif isinstance(v, (int, float)):
                    cells.append(
                        f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p>'
                        "</table:table-cell>"
                    )
                elif isinstance(v, (dt.date, dt.datetime)):
                    iso = v.isoformat()
                    cells.append(
                        f'<table:table-cell office:value-type="date" office:date-value="{iso}">'
                        f"<text:p>{iso}</text:p></table:table-cell>"
                    )
                else:
                    lines = "".join(f"<text:p>{_xml(ln)}</text:p>" for ln in str(v).split("\n"))
                    cells.append(f'<table:table-cell office:value-type="string">{lines}</table:table-cell>')
            body.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
        body.append("</table:table>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        "<office:body><office:spreadsheet>"
        + "".join(body)
        + "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(p, "w") as z:
        z.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    set_mtime(p, mtime)
    return p


# ---------------------------------------------------------------- pdf (hand-written)
def _pdf_bytes(pages: int, text: str | None, links: Sequence[str], extra_ops: str = "") -> bytes:
    """A small valid PDF: Helvetica for ASCII lines, STSong-Light (UniGB-UCS2-H) for Chinese."""
    objs: dict[int, bytes] = {}
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objs[4] = (
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 5 0 R >>] >>"
    )
    objs[5] = (
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"
    )
    kids = []
    n = 6
    lines = (text or "").split("\n") if text else []
    for pg in range(pages):
        page_id, content_id = n, n + 1
        n += 2
        ops = [f"BT /F1 10 Tf 72 800 Td (duban sample page {pg + 1} of {pages}) Tj ET"]
        y = 770
        if pg == 0:
            for ln in lines + list(links):
                if ln.isascii():
                    esc = ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                    ops.append(f"BT /F1 12 Tf 72 {y} Td ({esc}) Tj ET")
                else:
                    ops.append(f"BT /F2 12 Tf 72 {y} Td <{ln.encode('utf-16-be').hex().upper()}> Tj ET")
                y -= 18
        if pg == 0 and extra_ops:
            ops.append(extra_ops)
        stream = "\n".join(ops).encode("latin-1")
        objs[content_id] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
        annots = b""
        if pg == 0 and links:
            ids = []
            for k, url in enumerate(links):
                objs[n] = (
                    b"<< /Type /Annot /Subtype /Link /Rect [72 %d 400 %d] /Border [0 0 0] "
                    b"/A << /S /URI /URI (%s) >> >>"
                    % (770 - 18 * (len(lines) + k) - 4, 770 - 18 * (len(lines) + k) + 12, url.encode("ascii"))
                )
                ids.append(n)
                n += 1
            annots = b" /Annots [" + b" ".join(b"%d 0 R" % i for i in ids) + b"]"
        objs[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R%s >>" % (content_id, annots)
        )
        kids.append(page_id)
    objs[2] = b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % pages
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for i in sorted(objs):
        offsets[i] = len(out)
        out += b"%d 0 obj\n" % i + objs[i] + b"\nendobj\n"
    xref = len(out)
    size = max(objs) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for i in range(1, size):
        out += b"%010d 00000 n \n" % offsets[i] if i in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def make_pdf(
    path: Path | str, pages: int = 1, text: str | None = None, *, links: Sequence[str] = (), mtime: MTime = None
) -> Path:
    """A PDF of ``pages`` pages; ``text`` (lines, Chinese allowed) and ``links`` (as text and
    as link annotations) on the first page."""
    if pages < 1:
        raise ValueError("a PDF has at least one page")
    p = _prepare(path)
    p.write_bytes(_pdf_bytes(pages, text, links))
    set_mtime(p, mtime)
    return p


# ---------------------------------------------------------------- docx
def make_docx(
    path: Path | str,
    paragraphs: Sequence[str],
    links: Sequence[str | tuple[str, str]] = (),
    *,
    table: Sequence[Sequence[Any]] | None = None,
    mtime: MTime = None,
) -> Path:
    """A Word document: paragraphs, then one hyperlink paragraph per link (``url`` or
    ``(shown text, url)`` — a hyperlink relationship, not just text), then an optional table."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = _prepare(path)
    d = docx.Document()
    for para in paragraphs:
        d.add_paragraph(para)
    for link in links:
        shown, url = (link, link) if isinstance(link, str) else link
        par = d.add_paragraph()
        r_id = d.part.relate_to(url, RT.HYPERLINK, is_external=True)
        h = OxmlElement("w:hyperlink")
        h.set(qn("r:id"), r_id)
        run = OxmlElement("w:r")
        t = OxmlElement("w:t")
        t.text = shown
        run.append(t)
        h.append(run)
        par._p.append(h)
    if table:
        width = max(len(r) for r in table)
        tb = d.add_table(rows=len(table), cols=width)
        for i, row in enumerate(table):
            for j, v in enumerate(row):
                tb.cell(i, j).text = "" if v is None else str(v)
    d.save(str(p))
    set_mtime(p, mtime)
    return p


# ---------------------------------------------------------------- text
def make_txt_links(
    path: Path | str, urls: Sequence[str], *, text: str = "公示链接如下：", encoding: str = "utf-8", mtime: MTime = None
) -> Path:
    """A text file listing links, one per line, after a line of ``text``."""
    p = _prepare(path)
    body = "\n".join([text, *[f"{i + 1}. {u}" for i, u in enumerate(urls)]]) + "\n"
    p.write_bytes(body.encode(encoding))
    set_mtime(p, mtime)
    return p


def make_url_shortcut(path: Path | str, url: str, *, mtime: MTime = None) -> Path:
    """A Windows internet shortcut (.url)."""
    p = _prepare(path)
    p.write_bytes(f"[InternetShortcut]\r\nURL={url}\r\n".encode("ascii"))
    set_mtime(p, mtime)
    return p


# ---------------------------------------------------------------- hostile files
def _sample_xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["企业名称", "统一社会信用代码"])
    for i in range(200):
        ws.append([_company(i), make_uscc(i)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_corrupt(path: Path | str, *, mtime: MTime = None) -> Path:
    """A damaged file of the kind its extension says: a truncated PDF, a truncated Office
    zip (no central directory), or an OLE header followed by garbage."""
    p = _prepare(path)
    ext = p.suffix.lower()
    if ext == ".pdf":
        data = _pdf_bytes(3, "damaged", ())
        p.write_bytes(data[: len(data) // 3])
    elif ext in (".doc", ".xls", ".et", ".wps", ".ppt"):
        rng = random.Random(7)
        p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(rng.randrange(256) for _ in range(4096)))
    else:
        if ext == ".docx":
            tmp = p.with_name(p.name + ".tmp.docx")
            make_docx(tmp, ["损坏的文档" * 50])
            data = tmp.read_bytes()
            tmp.unlink()
        else:
            data = _sample_xlsx_bytes()
        p.write_bytes(data[: len(data) * 2 // 3])
    set_mtime(p, mtime)
    return p


def make_encrypted_xlsx(path: Path | str, password: str = "1234", *, mtime: MTime = None) -> Path:  # noqa: S107
    """A real password-protected workbook (ECMA-376 agile encryption, as Excel writes it)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    p = _prepare(path)
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(_sample_xlsx_bytes())).encrypt(password, out)
    p.write_bytes(out.getvalue())
    set_mtime(p, mtime)
    return p


def make_encrypted_pdf(path: Path | str, password: str = "1234", *, mtime: MTime = None) -> Path:  # noqa: S107
    """A PDF with a user (open) password."""
    from pypdf import PdfReader, PdfWriter

    p = _prepare(path)
    w = PdfWriter()
    for page in PdfReader(io.BytesIO(_pdf_bytes(2, "secret", ()))).pages:
        w.add_page(page)
    w.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    with open(p, "wb") as f:
        w.write(f)
    set_mtime(p, mtime)
    return p


def make_empty(path: Path | str, *, mtime: MTime = None) -> Path:
    p = _prepare(path)
    p.write_bytes(b"")
    set_mtime(p, mtime)
    return p


def make_disguised(path: Path | str, content: str = "pdf", *, mtime: MTime = None) -> Path:
    """A file whose content is not what its name says: ``content`` is pdf, txt, csv, png or docx."""
    p = _prepare(path)
    if content == "pdf":
        data = _pdf_bytes(1, "not a spreadsheet", ())
    elif content == "txt":
        data = "这是一段说明文字，不是表格。\n".encode()
    elif content == "csv":
        data = ("企业名称,统一社会信用代码\n" + "".join(f"{_company(i)},{make_uscc(i)}\n" for i in range(5))).encode(
            "utf-8"
        )
    elif content == "png":
        data = (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
            b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
        )
    elif content == "docx":
        tmp = p.with_name(p.name + ".tmp.docx")
        make_docx(tmp, ["伪装成其他格式的 Word 文档"])
        data = tmp.read_bytes()
        tmp.unlink()
    else:
        raise ValueError(f"unknown content '{content}': pdf, txt, csv, png or docx")
    p.write_bytes(data)
    set_mtime(p, mtime)
    return p


def make_html_as_xls(path: Path | str, *, mtime: MTime = None) -> Path:
    """An HTML table saved with an .xls name, as many web systems 'export to Excel'."""
    p = _prepare(path)
    rows = "".join(f"<tr><td>{i + 1}</td><td>{_company(i)}</td><td>{make_uscc(i)}</td></tr>" for i in range(10))
    html = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8"></head><body>'
        f"<table><tr><th>序号</th><th>企业名称</th><th>统一社会信用代码</th></tr>{rows}</table></body></html>"
    )
    p.write_bytes(html.encode("utf-8"))
    set_mtime(p, mtime)
    return p


_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


def _minimal_xlsx(path: Path, sheet_xml_writer: Callable[[Any], None]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            sheet_xml_writer(f)


def make_slow_pdf(path: Path | str, ops: int = 300_000, *, mtime: MTime = None) -> Path:
    """A valid one-page PDF whose content stream holds ``ops`` text operators: pypdf needs
    seconds to extract its text (a stand-in for the pathological files the timeout is for)."""
    p = _prepare(path)
    body = "\n".join(f"BT /F1 8 Tf {72 + (i % 50)} {100 + (i % 600)} Td (slow {i % 97}) Tj ET" for i in range(ops))
    p.write_bytes(_pdf_bytes(1, None, (), extra_ops=body))
    set_mtime(p, mtime)
    return p


def make_huge_cell_xlsx(path: Path | str, *, mtime: MTime = None) -> Path:
    """~1 KB: a cell at A1 and one at XFD1048576 (no <dimension>). python-calamine allocates
    the whole 17-billion-cell range (~0.5 TB) and aborts the process (calamine#693)."""
    p = _prepare(path)

    def sheet(f):
        f.write(
            (
                _SHEET_HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
                '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + _SHEET_TAIL
            ).encode()
        )

    _minimal_xlsx(p, sheet)
    set_mtime(p, mtime)
    return p


def make_zip_bomb_xlsx(path: Path | str, uncompressed_mb: int = 300, *, mtime: MTime = None) -> Path:
    """A well-formed xlsx whose one worksheet inflates to ``uncompressed_mb`` MiB (a single
    enormous cell): ~1000:1, so 300 MiB fits in ~300 KB."""
    p = _prepare(path)
    chunk = b"A" * (1 << 20)

    def sheet(f):
        f.write((_SHEET_HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>').encode())
        for _ in range(uncompressed_mb):
            f.write(chunk)
        f.write(("</t></is></c></row>" + _SHEET_TAIL).encode())

    _minimal_xlsx(p, sheet)
    set_mtime(p, mtime)
    return p
