"""The workbook as it prints: converted to PDF by LibreOffice Calc (Debian's libreoffice-calc),
the way a coordinator prints it for leadership. A4, the table filling the page width, the
header row repeated on every page, page numbers, nothing cut off."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pypdf
import pytest

from duban.home import Home
from duban.reports import write_report
from duban.reports.view import UNIT_COLUMNS
from duban.testing.report_sample import sample_result

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice Calc not installed (make test installs libreoffice-calc)"),
]
A4 = (595, 842)  # points, portrait
SHEETS = ("总览", "任务", "明细", "未识别文件", "被拒文件", "提醒", "决定", "说明")
REMINDERS = [
    {
        "unit": "区工信局",
        "kind": "overdue",
        "to": ["gxj@lixia.example"],
        "cc": ["fgj@lixia.example"],
        "subject": "【逾期提醒】区工信局：3项材料待报送，其中2项已逾期，最早截止 6月12日",
        "status": "sent",
        "error": None,
    }
]


@pytest.fixture(scope="module")
def pdf(catalog, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("print")
    paths = write_report(
        catalog,
        sample_result(catalog, "2021-06-20"),
        Home.resolve(tmp / "home"),
        round_date=dt.date(2021, 6, 20),
        reminders=REMINDERS,
    )
    cmd = [
        SOFFICE,
        f"-env:UserInstallation={(tmp / 'lo-profile').as_uri()}",  # a private profile: no clash with others
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(tmp),
        str(paths.xlsx),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    out = tmp / "report.pdf"
    assert proc.returncode == 0 and out.is_file(), proc.stderr
    return pypdf.PdfReader(out)


def _pages(pdf) -> list[dict]:
    """Per page: its size, its text without spaces, the sheet and page numbers in its footer, and
    the position of every text run."""
    out = []
    for page in pdf.pages:
        runs: list[tuple[float, float, str]] = []

        def visit(text, cm, tm, font, size, runs=runs):
            if text.strip():
                runs.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5], text))

        text = page.extract_text(visitor_text=visit)
        flat = re.sub(r"\s+", "", text)
        m = re.search(f"({'|'.join(SHEETS)})第(\\d+)页，共(\\d+)页", flat)  # the footer: sheet, page of pages
        out.append(
            {
                "size": (round(float(page.mediabox.width)), round(float(page.mediabox.height))),
                "text": flat,
                "sheet": m[1] if m else None,
                "numbers": (int(m[2]), int(m[3])) if m else None,
                "runs": runs,
            }
        )
    return out


def test_pages_are_a4_numbered_and_every_sheet_starts_on_its_own(pdf):
    pages = _pages(pdf)
    n = len(pages)
    assert [p["numbers"] for p in pages] == [(i, n) for i in range(1, n + 1)]  # 第 i 页，共 n 页
    assert all(p["size"] in (A4, A4[::-1]) for p in pages)
    sheets = [p["sheet"] for p in pages]
    assert list(dict.fromkeys(sheets)) == list(SHEETS)  # every sheet, in order, each from a new page
    counts = {s: sheets.count(s) for s in SHEETS}
    # 35 units fit on one page; the short sheets take one each; the long ones a few
    assert counts["总览"] == 1 and counts["未识别文件"] == counts["被拒文件"] == counts["提醒"] == counts["决定"] == 1
    assert counts["说明"] == 1
    assert 1 <= counts["任务"] <= 6 and 2 <= counts["明细"] <= 40
    assert n == sum(counts.values())


def test_the_overview_fills_page_one_with_every_column_header(pdf):
    first = _pages(pdf)[0]
    assert first["size"] == A4  # fourteen short columns: portrait
    for col in UNIT_COLUMNS:
        assert col.header in first["text"], col.header
    assert "社会信用体系建设示范创建任务督办·2021-06-20轮次报告" in first["text"]  # the page header
    header_y = max(y for x, y, t in first["runs"] if t.strip() == "单位")
    row = sorted(x for x, y, t in first["runs"] if abs(y - header_y) < 2)
    assert row[-1] - row[0] > 0.75 * A4[0]  # the table spans the page, not half of it


def test_wide_sheets_print_landscape_with_their_header_on_every_page(pdf):
    pages = _pages(pdf)
    task_pages = [p for p in pages if p["sheet"] == "任务"]
    assert task_pages and all(p["size"] == A4[::-1] for p in task_pages)
    for p in task_pages:
        assert "编号任务截止" in p["text"] and "未完成单位" in p["text"]  # the header row repeats
    # the last column is not cut: a long list of open units prints whole
    assert "区卫健局（未报送）、区委组织部（未报送）、区地方金融监管局（未报送）" in "".join(
        p["text"] for p in task_pages
    )
    reminder = next(p for p in pages if "本次运行的提醒" in p["text"])
    assert "【逾期提醒】区工信局：3项材料待报送" in reminder["text"]
