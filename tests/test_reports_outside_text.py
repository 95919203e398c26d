"""Outside text in the round report: a file named like a formula, with a terminal escape, a
control character or an undecodable byte is written as text — the report is still written,
the workbook holds no formula, the page no markup, and both show the same visible text."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile

import openpyxl
import pytest

from duban.home import Home
from duban.reports import write_report
from duban.results import CheckResult, FileIssue, Obligation
from duban.timeutil import TZ

FORMULA = '=HYPERLINK("http://evil.example/x","点我")'
NAMES = {
    "formula": f"区工信局/20-仓储物流数据归集/{FORMULA}.xlsx",
    "sum": "区工信局/=1+1.xlsx",
    "escape": "区工信局/\x1b[2J\x1b[31m红色\x07.xlsx",
    "control": "区工信局/换\x0b页\x0c名.docx",
    "gbk": "区工信局/\udcc7\udce5\udcb5\udca5.xlsx",  # 清单 in GBK, read without the charset
    "bidi": "区工信局/报告\u202excod.exe",
}
AS_OF = dt.datetime(2021, 6, 20, 23, 59, 59, tzinfo=TZ)


@pytest.fixture(scope="module")
def written(catalog, tmp_path_factory):
    d = dt.date(2021, 6, 20)
    result = CheckResult(
        AS_OF,
        "/srv/share/\x1b]0;pwned\x07",
        [
            Obligation("D20", "区工信局", d, d, "partial", [f"文件“{FORMULA}.xlsx”无法使用：=1+1"], [NAMES["formula"]]),
            Obligation("D26", "区工信局", d, d, "missing", [f"“{NAMES['escape']}”不是台账"], []),
        ],
        unrecognized=[FileIssue(NAMES[k], "无法识别任务文件夹") for k in ("sum", "escape", "gbk", "bidi")],
        rejected=[FileIssue(NAMES["control"], "文件已损坏")],
    )
    reminders = [
        {
            "unit": "区工信局",
            "kind": "overdue",
            "to": ["gxj@lixia.example"],
            "cc": [],
            "subject": "=1+1",
            "status": "failed",
            "error": "550 \x1b[31mno\x1b[0m",
        }
    ]
    home = Home.resolve(tmp_path_factory.mktemp("home"))
    paths = write_report(catalog, result, home, round_date=d, reminders=reminders, label="=SUM(A1:A9)")
    return paths


def test_every_text_cell_is_a_string_never_a_formula(written):
    with zipfile.ZipFile(written.xlsx) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 8
        for name in sheets:
            assert "<f>" not in z.read(name).decode("utf-8"), name  # no formula anywhere
    wb = openpyxl.load_workbook(written.xlsx)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in cells)
    paths = [r[0] for r in wb["未识别文件"].iter_rows(min_row=3, values_only=True)]
    assert "区工信局/=1+1.xlsx" in paths
    (detail,) = [r for r in wb["明细"].iter_rows(min_row=3, values_only=True) if r[0] == "D20"]
    assert detail[7] == NAMES["formula"]  # the file column shows the name as it is


def test_control_characters_and_undecodable_bytes_are_shown_not_obeyed(written):
    wb = openpyxl.load_workbook(written.xlsx)
    shown = [r[0] for r in wb["未识别文件"].iter_rows(min_row=3, values_only=True)]
    assert "区工信局/\\x1b[2J\\x1b[31m红色\\x07.xlsx" in shown
    assert "区工信局/\\xc7\\xe5\\xb5\\xa5.xlsx" in shown
    assert "区工信局/报告\\u202excod.exe" in shown
    assert [r[0] for r in wb["被拒文件"].iter_rows(min_row=3, values_only=True)] == ["区工信局/换\\x0b页\\x0c名.docx"]
    assert [r[6] for r in wb["提醒"].iter_rows(min_row=3, values_only=True)] == ["550 \\x1b[31mno\\x1b[0m"]

    html = written.html.read_text(encoding="utf-8")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202e]", html)
    for text in shown:
        assert text in html  # the page shows what the workbook shows
    assert "&#34;点我&#34;" in html or "&quot;点我&quot;" in html  # quotes escaped, no live link
    assert "evil.example" not in re.sub(r"<td[^>]*>.*?</td>", "", html, flags=re.S)  # only as cell text


def test_the_json_keeps_the_names_and_is_valid_utf8(written):
    raw = written.json.read_bytes()
    data = json.loads(raw.decode("utf-8"))  # strict UTF-8: no raw surrogate in the file
    assert NAMES["gbk"] in [u["path"] for u in data["unrecognized"]]  # the exact name, for machines
    assert NAMES["escape"] in [u["path"] for u in data["unrecognized"]]
