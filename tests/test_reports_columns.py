"""The report's columns are described once (reports/view.py): the Excel sheets and the HTML
tables show the same headers in the same order, and the same values."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import openpyxl
import pytest

from duban.home import Home
from duban.reports import write_report
from duban.testing.report_sample import sample_result

REMINDERS = [
    {
        "unit": "区工信局",
        "kind": "overdue",
        "to": ["gxj@lixia.example"],
        "cc": ["fgj@lixia.example"],
        "subject": "【逾期提醒】区工信局",
        "status": "failed",
        "error": "550 mailbox unavailable",
    }
]
# HTML section (the id of the heading before the table, or its text) -> workbook sheet
SHARED = {
    "units": "总览",
    "tasks": "任务",
    "details": "明细",
    "files": "未识别文件",
    "被拒文件": "被拒文件",
    "reminders": "提醒",
}


class Tables(HTMLParser):
    """Every <table>: the heading before it, its header cells, its rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self.heading = ""
        self.cell: list[str] | None = None
        self.in_h2 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h2":
            self.in_h2, self.heading = True, a.get("id") or ""
        elif tag == "table":
            self.tables.append({"heading": self.heading, "headers": [], "rows": []})
        elif tag == "tr" and self.tables:
            self.row: list[str] = []
        elif tag in ("th", "td"):
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag):
        if tag == "h2":
            self.in_h2 = False
        elif tag in ("th", "td") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.tables:
            t = self.tables[-1]
            if t["headers"]:
                t["rows"].append(self.row)
            else:
                t["headers"] = self.row

    def handle_data(self, data):
        if self.in_h2 and not self.heading:
            self.heading = data.split("（")[0]
        if self.cell is not None:
            self.cell.append(data)


@pytest.fixture(scope="module")
def report(catalog, tmp_path_factory):
    home = Home.resolve(tmp_path_factory.mktemp("home"))
    paths = write_report(
        catalog, sample_result(catalog, "2021-06-20"), home, round_date=dt.date(2021, 6, 20), reminders=REMINDERS
    )
    parser = Tables()
    parser.feed(paths.html.read_text(encoding="utf-8"))
    return openpyxl.load_workbook(paths.xlsx), {t["heading"]: t for t in parser.tables}


def test_each_sheet_and_its_html_table_have_the_same_headers_in_the_same_order(report):
    wb, tables = report
    assert set(SHARED) <= set(tables)
    for heading, sheet in SHARED.items():
        assert [c.value for c in wb[sheet][2]] == tables[heading]["headers"], sheet


def test_the_same_rows_show_the_same_values(report):
    wb, tables = report
    for heading, sheet in SHARED.items():
        ws = wb[sheet]
        html_rows = tables[heading]["rows"]
        assert len(html_rows) == ws.max_row - 2, sheet
        for xrow, hrow in zip(ws.iter_rows(min_row=3), html_rows):
            for cell, text in zip(xrow, hrow):
                if cell.value is None:
                    assert text in ("", "—"), (sheet, cell.coordinate)  # the page marks an empty number —
                else:
                    assert _shown(cell) == text, (sheet, cell.coordinate)


def _shown(cell) -> str:
    """A workbook cell as its number format shows it."""
    v = cell.value
    if cell.number_format == "0.0%":
        return f"{v * 100:.1f}%"
    if cell.number_format == "0.0":
        return f"{v:.1f}"
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    return str(v)
