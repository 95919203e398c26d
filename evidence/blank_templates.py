"""The blank templates (附件N) that units fill in, as .xlsx files duban writes itself.

``duban init-folders`` puts one in every folder where a ledger is owed and ``duban
templates export`` writes them all. The bytes are deterministic — the same template always
gives the same file — so a blank template handed back unmodified is recognisable by its
content hash and never counts as evidence.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from duban.tasks_catalog.models import Template

FIXED_TIME = dt.datetime(2021, 1, 1, 0, 0, 0)  # zip entries and document properties: same bytes every time


def template_filename(template_id: str, title: str) -> str:
    """``附件7-仓储物流数据（空白模板）.xlsx``: the name the blank template gets in the share."""
    return f"{template_id}-{title}（空白模板）.xlsx".replace("/", "／")


def bold(size: int = 11) -> Any:
    from openpyxl.styles import Font

    return Font(bold=True, size=size)


def make_blank_template_xlsx(path: Path | str, template: Template) -> Path:
    """The blank form units fill in: merged title row, bold header row, column widths,
    frozen header. Ledger templates get their columns; figures templates get a
    ``项目 / 金额（万元）`` table listing the fields. Deterministic: the same template
    always gives the same bytes (so an unmodified template is recognisable by its hash)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Side
    from openpyxl.utils import get_column_letter

    if template.kind not in ("ledger", "figures"):
        raise ValueError(f"template {template.id} is a {template.kind}: no blank spreadsheet to fill in")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "填报"
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    if template.kind == "ledger":
        heads = [c.name for c in template.columns]
        widths = [c.width for c in template.columns]
    else:
        units = {f.unit for f in template.fields}
        heads = ["项目", f"金额（{units.pop() if len(units) == 1 else '万元'}）"]
        widths = [40, 18]
    last = get_column_letter(len(heads))
    ws["A1"] = template.title
    ws["A1"].font = bold(16)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 30
    ws.append(heads)
    for k, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(k + 1)].width = w
        cell = ws.cell(row=2, column=k + 1)
        cell.font = bold()
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = box
    if template.kind == "figures":
        for f in template.fields:
            ws.append([f.name, None])
    ws.freeze_panes = "A3"
    wb.properties.creator = "duban"
    wb.properties.created = FIXED_TIME
    _save_deterministic(wb, p)
    return p


def _save_deterministic(wb: Any, path: Path) -> None:
    """Save with fixed timestamps (zip entries and docProps/core.xml)."""
    buf = io.BytesIO()
    wb.save(buf)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            content = zin.read(info)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)", rf"\g<1>{stamp}\g<3>", text)
                content = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zout.writestr(zi, content)
