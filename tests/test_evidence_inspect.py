"""inspect_file(): real generated files (xlsx, xls, ods, csv, pdf, docx, doc, txt) -> Facts."""

import datetime as dt
import os
import zipfile

import openpyxl
import pytest
from helpers_files import make_fake_png, make_png
from helpers_xls import make_doc, make_encrypted_xls, make_ledger_xls, make_xls

from duban.evidence.facts import Facts
from duban.evidence.inspect import common as R
from duban.evidence.inspect import inspect_file
from duban.evidence.limits import Limits
from duban.evidence.spec import InspectSpec, LedgerSpec
from duban.evidence.uscc import make_uscc
from duban.tasks_catalog import load_catalog
from duban.tasks_catalog.models import DateWindow
from duban.testing import samples as S

L = Limits()


def spec8(templates):
    return InspectSpec((LedgerSpec(templates["附件8"], None, "是否获贷"),))


def only(facts: Facts):
    assert facts.ok, facts.reason
    assert len(facts.ledgers) == 1, facts.ledgers
    return facts.ledgers[0]


# ---------------------------------------------------------------- rejected files
def test_rejections_name_the_problem_and_the_fix(tmp_path, templates):
    sp = spec8(templates)
    cases = {
        S.make_encrypted_xlsx(tmp_path / "enc.xlsx"): ("encrypted-office", R.ENCRYPTED),
        S.make_encrypted_pdf(tmp_path / "enc.pdf"): ("pdf", R.ENCRYPTED),
        make_encrypted_xls(tmp_path / "enc.xls"): ("encrypted-office", R.ENCRYPTED),
        make_doc(tmp_path / "enc.doc", encrypted=True): ("encrypted-office", R.ENCRYPTED),
        S.make_corrupt(tmp_path / "bad.xlsx"): ("xlsx", R.CORRUPT),
        S.make_corrupt(tmp_path / "bad.pdf"): ("pdf", R.CORRUPT),
        S.make_corrupt(tmp_path / "bad.docx"): ("docx", R.CORRUPT),
        S.make_empty(tmp_path / "empty.xlsx"): ("empty", "空文件（0 字节）：请重新上传"),
        S.make_disguised(tmp_path / "pdf.xlsx", "pdf"): ("pdf", "扩展名为 .xlsx，但内容是 PDF：请改正扩展名或重新导出"),
        S.make_disguised(tmp_path / "png.pdf", "png"): ("image", "扩展名为 .pdf，但内容是图片：请改正扩展名或重新导出"),
        S.make_disguised(tmp_path / "csv.xlsx", "csv"): (
            "csv",
            "扩展名为 .xlsx，但内容是纯文本表格（CSV）：请用 Excel 打开后另存为 .xlsx",
        ),
        S.make_disguised(tmp_path / "text.xlsx", "txt"): (
            "txt",
            "扩展名为 .xlsx，但内容是纯文本：请改正扩展名或重新导出",
        ),
        S.make_html_as_xls(tmp_path / "web.xls"): (
            "html",
            "这是网页文件（HTML），不是 Excel：请用 Excel 打开后另存为 .xlsx",
        ),
        S.make_docx(tmp_path / "blank.docx", []): ("docx", "文档没有内容：请填写后重新上传"),
    }
    z = tmp_path / "材料.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.txt", "x")
    cases[z] = ("zip", "压缩包不计入佐证：请解压后上传其中的文件")
    junk = tmp_path / "junk.dat"
    junk.write_bytes(bytes(range(256)) * 4)
    cases[junk] = ("unknown", R.UNKNOWN)
    for path, (kind, reason) in cases.items():
        f = inspect_file(path, sp, L)
        assert (f.ok, f.kind, f.reason) == (False, kind, reason), path.name
        assert f.ledgers == [] and f.links == []


def test_size_limit_is_checked_before_opening(tmp_path, templates):
    p = S.make_ledger_xlsx(tmp_path / "l.xlsx", templates["附件8"], 50)
    f = inspect_file(p, spec8(templates), Limits(max_file_bytes=2048))
    assert (f.ok, f.kind, f.reason) == (
        False,
        "unknown",
        "文件过大（超过 2 KB）：请拆分或压缩内容后重新上传",
    )  # kind unread
    assert inspect_file(p, spec8(templates), L).ok
    assert R.TOO_BIG.format(size="200 MB") == "文件过大（超过 200 MB）：请拆分或压缩内容后重新上传"


def test_zip_bomb_refused_from_the_central_directory(tmp_path, templates):
    p = S.make_zip_bomb_xlsx(tmp_path / "bomb.xlsx", 120)
    assert p.stat().st_size < 1_000_000
    f = inspect_file(p, spec8(templates), L)
    assert (f.ok, f.reason) == (False, "表格解压后过大（疑似压缩炸弹），已拒绝")
    assert f.seconds < 0.5  # refused without inflating 120 MB
    small = S.make_zip_bomb_xlsx(tmp_path / "ratio.xlsx", 8)  # under the part cap, over the 200:1 ratio
    assert inspect_file(small, spec8(templates), L).reason == "表格解压后过大（疑似压缩炸弹），已拒绝"
    many = Limits(max_entries=3)
    f = inspect_file(S.make_ledger_xlsx(tmp_path / "l.xlsx", templates["附件8"], 2), spec8(templates), many)
    assert not f.ok and f.reason.startswith("文件内部条目过多")


# ---------------------------------------------------------------- ledgers: header and rows
def test_header_under_merged_title_and_subtitle_with_exact_rows(tmp_path, templates):
    p = S.make_ledger_xlsx(tmp_path / "l.xlsx", templates["附件8"], 200)
    lf = only(inspect_file(p, spec8(templates), L))
    assert (lf.sheet, lf.template, lf.header_row, lf.rows, lf.missing_headers) == ("台账", "附件8", 3, 200, [])
    short = S.make_ledger_xlsx(tmp_path / "s.xlsx", templates["附件8"], 199, numbered_blank_rows=30)
    assert only(inspect_file(short, spec8(templates), L)).rows == 199
    no_title = S.make_ledger_xlsx(tmp_path / "n.xlsx", templates["附件8"], 7, title=False, subtitle=False)
    assert (
        only(inspect_file(no_title, spec8(templates), L)).header_row,
        only(inspect_file(no_title, spec8(templates), L)).rows,
    ) == (
        1,
        7,
    )


def test_the_fullest_header_wins_wherever_it_lies_and_its_repeat_is_not_data(tmp_path, templates):
    """The header search stops at a header that matches every column: a partial header above
    it (a note line naming two columns) never wins, and the same header again lower down
    (a printed table's next page) is the repeat, not a second header or a data row."""
    heads = [c.name for c in templates["附件8"].columns]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["企业名称", "统一社会信用代码"])  # a note line that names two of the columns
    ws.append(["填报单位：区发改局"])
    ws.append(heads)
    for i in range(1, 4):
        ws.append([i, f"企业{i}", make_uscc(i), "2021-05", 100, "是", 50])
    ws.append(heads)  # the next printed page repeats the header
    for i in range(4, 6):
        ws.append([i, f"企业{i}", make_uscc(i), "2021-05", 100, "否", None])
    wb.save(tmp_path / "h.xlsx")
    lf = only(inspect_file(tmp_path / "h.xlsx", spec8(templates), L))
    assert (lf.header_row, lf.header_rows, lf.rows, lf.missing_headers) == (3, 1, 5, [])
    assert (lf.yes, lf.ratio_rows) == (3, 5)


def test_variant_full_width_and_line_broken_headers(tmp_path, templates):
    p = S.make_ledger_xlsx(tmp_path / "v.xlsx", templates["附件2-1"], 12, variant_headers=True)
    lf = only(inspect_file(p, InspectSpec((LedgerSpec(templates["附件2-1"]),)), L))
    assert (lf.header_row, lf.rows, lf.missing_headers) == (3, 12, [])
    p = S.make_ledger_xlsx(tmp_path / "m.xlsx", templates["附件2-1"], 12, messy_headers=True)
    heads = [c.value for c in openpyxl.load_workbook(p).active[3]]
    assert "序　号" in heads and "统一社会\n信用代码" in heads and "*承诺主体名称" in heads
    lf = only(inspect_file(p, InspectSpec((LedgerSpec(templates["附件2-1"]),)), L))
    assert (lf.header_row, lf.rows, lf.missing_headers) == (3, 12, [])


def test_two_level_header(tmp_path, templates):
    p = S.make_ledger_xlsx(tmp_path / "t.xlsx", templates["附件8"], 40, two_level=True, yes_ratio=0.5)
    lf = only(inspect_file(p, spec8(templates), L))
    assert (lf.header_row, lf.header_rows, lf.rows, lf.missing_headers) == (3, 2, 40, [])
    assert (lf.yes, lf.ratio_rows) == (20, 40)


def test_blank_templates_count_zero_rows(tmp_path, templates):
    numbered = S.make_ledger_xlsx(tmp_path / "n.xlsx", templates["附件8"], 0, numbered_blank_rows=100)
    lf = only(inspect_file(numbered, spec8(templates), L))
    assert (lf.header_row, lf.rows, lf.missing_headers) == (3, 0, [])
    blank = S.make_blank_template_xlsx(tmp_path / "b.xlsx", templates["附件8"])
    lf = only(inspect_file(blank, spec8(templates), L))
    assert (lf.header_row, lf.rows, lf.missing_headers) == (2, 0, [])


def test_missing_header_is_listed(tmp_path, templates):
    p = S.make_ledger_xlsx(
        tmp_path / "m.xlsx", templates["附件8"], 10, drop_columns=["统一社会信用代码", "获贷金额（万元）"]
    )
    lf = only(inspect_file(p, spec8(templates), L))
    assert lf.missing_headers == ["统一社会信用代码"]  # 获贷金额 is optional
    assert lf.rows == 10 and lf.header_row == 3
    other = S.make_plain_table_xlsx(tmp_path / "o.xlsx", 5)
    lf = only(inspect_file(other, spec8(templates), L))
    assert (lf.header_row, lf.rows) == (0, 0)
    assert lf.missing_headers == ["企业名称", "统一社会信用代码", "推荐月份", "融资需求（万元）", "是否获贷"]


def test_total_row_ends_the_table_and_footer_is_not_data(tmp_path, templates):
    p = S.make_ledger_xlsx(tmp_path / "t.xlsx", templates["附件8"], 25, total_row=True, footer=True)
    assert only(inspect_file(p, spec8(templates), L)).rows == 25
    p = S.make_ledger_xlsx(tmp_path / "f.xlsx", templates["附件8"], 25, footer=True)
    assert only(inspect_file(p, spec8(templates), L)).rows == 25


def test_row_limit_truncates(tmp_path, templates):
    p = S.make_ledger_xlsx(tmp_path / "l.xlsx", templates["附件8"], 120)
    lf = only(inspect_file(p, spec8(templates), Limits(max_rows=50)))
    assert (lf.rows, lf.truncated) == (50, True)
    assert only(inspect_file(p, spec8(templates), L)).truncated is False


# ---------------------------------------------------------------- USCC, dates, yes/no
def test_uscc_invalid_and_duplicates_with_excel_rows(tmp_path, templates):
    p = S.make_ledger_xlsx(tmp_path / "u.xlsx", templates["附件8"], 30, bad_uscc_rows=[0, 4], duplicate_rows=[7, 8])
    lf = only(inspect_file(p, spec8(templates), L))
    # data row i is Excel row 4 + i (title, subtitle, header above)
    assert lf.invalid_uscc_count == 2
    assert lf.invalid_uscc[0].startswith("第4行 ") and lf.invalid_uscc[0].endswith("）")
    assert "校验位错误（末位应为" in lf.invalid_uscc[0] and lf.invalid_uscc[1].startswith("第8行 ")
    code = make_uscc(6)
    assert lf.duplicate_uscc == [f"{code}（第10、11、12行）"]
    assert (lf.duplicate_uscc_count, lf.duplicate_extra_rows) == (1, 2)


def test_detail_lists_are_capped_but_counts_are_full(tmp_path, templates):
    p = S.make_ledger_xlsx(tmp_path / "u.xlsx", templates["附件8"], 60, bad_uscc_rows=range(45))
    lf = only(inspect_file(p, spec8(templates), L))
    assert lf.invalid_uscc_count == 45 and len(lf.invalid_uscc) == 20


def test_date_window_counts_dates_in_every_form(tmp_path, templates):
    tpl = templates["双公示台账"]
    forms = {
        0: dt.date(2021, 3, 15),
        1: dt.datetime(2021, 6, 1, 9, 30),
        2: "2021年5月1日",
        3: "2021/5/2",
        4: "2021.5.3",
        5: "2021年6月3日",
        6: "不详",
        7: "2021-03",
        8: 44317.0,
        9: "20210701",
    }
    p = S.make_ledger_xlsx(tmp_path / "d.xlsx", tpl, 15, dates=lambda i: forms.get(i, dt.date(2021, 4, 20)))
    spec = InspectSpec(
        (LedgerSpec(tpl, DateWindow(column="决定日期", start=dt.date(2021, 4, 1), end=dt.date(2021, 5, 31))),)
    )
    lf = only(inspect_file(p, spec, L))
    assert lf.rows == 15
    # outside: 2021-03-15, 2021-06-01, 2021-06-03, March 2021, 2021-07-01; 44317 = 2021-05-01 is inside
    assert lf.outside_window_count == 5
    assert lf.outside_window == [
        "第4行 2021-03-15",
        "第5行 2021-06-01",
        "第9行 2021-06-03",
        "第11行 2021-03",
        "第13行 2021-07-01",
    ]
    assert lf.bad_dates == 1


def test_yes_ratio_reads_the_usual_spellings(tmp_path, templates):
    p = S.make_ledger_xlsx(tmp_path / "y.xlsx", templates["附件8"], 200, yes_ratio=0.25)
    lf = only(inspect_file(p, spec8(templates), L))
    assert (lf.yes, lf.ratio_rows, lf.rows) == (50, 200, 200)
    words = ["是", "√", "已获贷", "Y", 1, "否", "×", "未获贷", "N", 0, "待定", None]
    rows = [["序号", "企业名称", "统一社会信用代码", "推荐月份", "融资需求（万元）", "是否获贷"]]
    rows += [[i + 1, f"企业{i}", make_uscc(i), "5月", 100, w] for i, w in enumerate(words)]
    lf = only(inspect_file(S.make_table_xlsx(tmp_path / "w.xlsx", {"S": rows}), spec8(templates), L))
    assert (lf.yes, lf.ratio_rows, lf.rows) == (5, 10, 12)


# ---------------------------------------------------------------- other spreadsheet formats
def test_xls_via_xlwt(tmp_path, templates):
    p = make_ledger_xls(
        tmp_path / "l.xls", templates["附件8"], 199, yes_ratio=0.2, bad_uscc_rows=[2], numbered_blank_rows=5
    )
    f = inspect_file(p, spec8(templates), L)
    lf = only(f)
    assert f.kind == "xls"
    assert (lf.header_row, lf.rows, lf.yes, lf.invalid_uscc_count) == (3, 199, 40, 1)
    assert lf.invalid_uscc[0].startswith("第6行 ")


def test_xls_dates_in_window(tmp_path, templates):
    tpl = templates["双公示台账"]
    p = make_ledger_xls(tmp_path / "d.xls", tpl, 10, dates=lambda i: dt.date(2021, 3 + i % 2, 10))
    spec = InspectSpec(
        (LedgerSpec(tpl, DateWindow(column="决定日期", start=dt.date(2021, 4, 1), end=dt.date(2021, 5, 31))),)
    )
    lf = only(inspect_file(p, spec, L))
    assert (lf.rows, lf.outside_window_count, lf.bad_dates) == (10, 5, 0)


def test_ods(tmp_path, templates):
    tpl = templates["双公示台账"]
    rows = S.ledger_rows(tpl, 20, dates=lambda i: dt.date(2021, 6, 5) if i < 3 else dt.date(2021, 4, 5))
    p = S.make_ods(tmp_path / "l.ods", {"台账": rows})
    spec = InspectSpec(
        (LedgerSpec(tpl, DateWindow(column="决定日期", start=dt.date(2021, 4, 1), end=dt.date(2021, 5, 31))),)
    )
    f = inspect_file(p, spec, L)
    lf = only(f)
    assert f.kind == "ods"
    assert (lf.header_row, lf.rows, lf.outside_window_count) == (3, 20, 3)


def test_wps_et_read_as_spreadsheet(tmp_path, templates):
    f = inspect_file(make_ledger_xls(tmp_path / "l.et", templates["附件8"], 9), spec8(templates), L)
    assert f.kind == "et" and only(f).rows == 9
    f = inspect_file(S.make_ledger_xlsx(tmp_path / "x.et", templates["附件8"], 8), spec8(templates), L)
    assert f.kind == "et" and only(f).rows == 8


def test_xlsx_named_xls_is_read_for_what_it_is(tmp_path, templates):
    f = inspect_file(S.make_ledger_xlsx(tmp_path / "l.xls", templates["附件8"], 6), spec8(templates), L)
    assert (f.ok, f.kind, only(f).rows) == (True, "xlsx", 6)


def test_csv_ledger(tmp_path, templates):
    rows = S.ledger_rows(templates["附件8"], 15, title=False, subtitle=False, bad_uscc_rows=[1])
    p = tmp_path / "l.csv"
    p.write_text("\n".join(",".join("" if v is None else str(v) for v in r) for r in rows), encoding="utf-8-sig")
    f = inspect_file(p, spec8(templates), L)
    lf = only(f)
    assert f.kind == "csv"
    assert (lf.header_row, lf.rows, lf.invalid_uscc_count) == (1, 15, 1)


# ---------------------------------------------------------------- several ledgers, plain tables
def test_sheet_goes_to_the_template_it_matches_best(tmp_path, templates):
    spec = InspectSpec((LedgerSpec(templates["附件2-1"]), LedgerSpec(templates["附件2-2"])))
    p = S.make_ledger_xlsx(tmp_path / "22.xlsx", templates["附件2-2"], 30)
    f = inspect_file(p, spec, L)
    by = {lf.template: lf for lf in f.ledgers}
    assert (by["附件2-2"].header_row, by["附件2-2"].rows) == (3, 30)
    assert (by["附件2-1"].header_row, by["附件2-1"].rows) == (0, 0)
    both = S.make_ledger_xlsx(
        tmp_path / "both.xlsx", templates["附件2-1"], 11, extra_sheets={"履约": S.ledger_rows(templates["附件2-2"], 13)}
    )
    by = {lf.template: lf for lf in inspect_file(both, spec, L).ledgers}
    assert (by["附件2-1"].sheet, by["附件2-1"].rows, by["附件2-2"].sheet, by["附件2-2"].rows) == (
        "台账",
        11,
        "履约",
        13,
    )


def test_plain_tables_one_per_non_empty_sheet(tmp_path):
    p = S.make_table_xlsx(
        tmp_path / "p.xlsx",
        {
            "一": [
                ["某某情况统计表"],
                ["单位", "事项", "日期"],
                *[[f"单位{i}", "事项", "2021-05-01"] for i in range(9)],
            ],
            "空": [],
            "二": [["序号", "名称"], [1, "甲"], [2, None], [3, "丙"]],
        },
    )
    f = inspect_file(p, InspectSpec((LedgerSpec(None),)), L)
    got = [(lf.sheet, lf.template, lf.header_row, lf.rows) for lf in f.ledgers]
    assert got == [("一", None, 2, 9), ("二", None, 1, 2)]


# ---------------------------------------------------------------- pdf, word, text, links
def test_pdf_pages_text_and_links(tmp_path):
    p = S.make_pdf(
        tmp_path / "a.pdf",
        4,
        "济南市历下区信用承诺书\nsee http://www.jinan.gov.cn/a.html.",
        links=["https://www.creditchina.gov.cn/x"],
    )
    f = inspect_file(p, InspectSpec(links=True), L)
    assert (f.ok, f.kind, f.pages) == (True, "pdf", 4)
    assert f.text_chars > 20
    assert f.links == ["http://www.jinan.gov.cn/a.html", "https://www.creditchina.gov.cn/x"]


def test_a_pdf_for_a_task_that_reads_no_pdf_text_is_opened_for_its_pages_only(tmp_path, templates):
    """Text is read where a task uses it (links, figures); elsewhere the verdict is the same
    without it: a PDF that opens and has pages counts, a damaged or encrypted one does not."""
    p = S.make_pdf(tmp_path / "a.pdf", 4, "承诺书 http://www.jinan.gov.cn/a.html", links=["https://x.cn/y"])
    plain = inspect_file(p, InspectSpec(), L)
    assert (plain.ok, plain.kind, plain.pages, plain.text_chars, plain.links) == (True, "pdf", 4, 0, [])
    figures = inspect_file(p, InspectSpec(figures=(templates["数据表-D25"],)), L)
    assert figures.text_chars > 10
    for bad, reason in (
        (S.make_corrupt(tmp_path / "bad.pdf"), R.CORRUPT),
        (S.make_encrypted_pdf(tmp_path / "e.pdf"), R.ENCRYPTED),
    ):
        assert [inspect_file(bad, spec, L).reason for spec in (InspectSpec(), InspectSpec(links=True))] == [reason] * 2


def test_docx_text_and_links_incl_relationships(tmp_path):
    p = S.make_docx(
        tmp_path / "a.docx",
        ["典型案例：某企业守信激励（详见http://www.jinan.gov.cn/case/1.html）。"],
        links=[("信用中国公示", "https://www.creditchina.gov.cn/gs/2")],
    )
    f = inspect_file(p, InspectSpec(), L)
    assert (f.ok, f.kind) == (True, "docx")
    assert f.links == ["http://www.jinan.gov.cn/case/1.html", "https://www.creditchina.gov.cn/gs/2"]
    assert f.text_chars >= 30


def test_doc_and_wps_ole(tmp_path):
    f = inspect_file(make_doc(tmp_path / "a.doc", "承诺书正文 http://www.jinan.gov.cn/p"), InspectSpec(), L)
    assert (f.ok, f.kind, f.links) == (True, "doc", ["http://www.jinan.gov.cn/p"])
    assert f.text_chars == len(
        "承诺书正文http://www.jinan.gov.cn/p"
    )  # read through the piece table: the space is no text
    f = inspect_file(make_doc(tmp_path / "a.wps"), InspectSpec(), L)
    assert (f.ok, f.kind) == (True, "wps")


def test_txt_links_in_gb18030_with_chinese_punctuation(tmp_path):
    p = tmp_path / "链接.txt"
    p.write_bytes(
        "公示网址：http://www.jinan.gov.cn/a，另见（https://b.gov.cn/x?id=1）。重复：http://www.jinan.gov.cn/a\n"
        "还有www.creditchina.gov.cn/c；".encode("gb18030")
    )
    f = inspect_file(p, InspectSpec(), L)
    assert (f.ok, f.kind) == (True, "txt")
    assert f.links == ["http://www.jinan.gov.cn/a", "https://b.gov.cn/x?id=1", "http://www.creditchina.gov.cn/c"]


def test_links_from_spreadsheet_cells_hyperlinks_and_url_shortcuts(tmp_path, templates):
    p = S.make_ledger_xlsx(tmp_path / "l.xlsx", templates["附件5"], 3)
    wb = openpyxl.load_workbook(p)
    ws = wb.active
    ws["B4"].hyperlink = "https://www.jinan.gov.cn/hidden"
    wb.save(p)
    f = inspect_file(p, InspectSpec((LedgerSpec(templates["附件5"]),)), L)
    assert f.links == [f"https://www.creditchina.gov.cn/gongshi/0-{i}.html" for i in (1, 2, 3)] + [
        "https://www.jinan.gov.cn/hidden"
    ]
    u = S.make_url_shortcut(tmp_path / "公示.url", "https://www.creditchina.gov.cn/xyxx/1")
    assert inspect_file(u, InspectSpec(), L).links == ["https://www.creditchina.gov.cn/xyxx/1"]


def test_documents_duban_cannot_read_inside_are_kept_but_garbage_is_not(tmp_path):
    pptx = tmp_path / "宣传.pptx"
    with zipfile.ZipFile(pptx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("ppt/presentation.xml", "<p:presentation/>")
    rtf = tmp_path / "承诺书.doc"
    rtf.write_bytes(rb"{\rtf1\ansi \f0 Credit commitment}")
    for p in (pptx, rtf):
        f = inspect_file(p, InspectSpec(), L)
        assert (f.ok, f.kind) == (True, "unknown"), p.name
    fake = tmp_path / "承诺书.pdf"
    fake.write_bytes(bytes(range(256)) * 4)
    assert inspect_file(fake, InspectSpec(), L).reason == R.CORRUPT
    f = inspect_file(tmp_path, InspectSpec(), L)  # a folder is not a file
    assert not f.ok and "不是普通文件" in f.reason


def test_word_files_with_only_whitespace_or_zero_width_characters_are_empty(tmp_path):
    blank_doc = inspect_file(make_doc(tmp_path / "空白.doc", " \r\t\u3000\r"), InspectSpec(), L)
    zero_width = inspect_file(S.make_docx(tmp_path / "零宽.docx", ["\u200b\u200c\ufeff", "\u3000 "]), InspectSpec(), L)
    fields_only = inspect_file(make_doc(tmp_path / "域代码.wps", "\x13\x14\x15\x07\r"), InspectSpec(), L)
    for f in (blank_doc, zero_width, fields_only):
        assert (f.ok, f.reason) == (False, "文档没有内容：请填写后重新上传")


def test_real_pictures_count_thumbnails_and_fakes_do_not(tmp_path):
    f = inspect_file(make_png(tmp_path / "照片.png", 320, 200), InspectSpec(), L)
    assert (f.ok, f.kind, f.image_size) == (True, "image", (320, 200))
    tiny = inspect_file(S.make_disguised(tmp_path / "一像素.png", "png"), InspectSpec(), L)  # a 1x1 placeholder
    assert (tiny.ok, tiny.reason) == (False, "图片只有 1×1 像素，看不出内容，不计入：请上传清晰的照片或扫描件")
    fake = inspect_file(make_fake_png(tmp_path / "假图片.png"), InspectSpec(), L)
    assert (fake.ok, fake.reason) == (False, R.FAKE_IMAGE)


# ---------------------------------------------------------------- figures
def test_figures_from_xlsx_converted_to_the_field_unit(tmp_path, templates):
    tpl = templates["数据表-D25"]
    spec = InspectSpec((), (tpl,))
    p = S.make_figures_xlsx(
        tmp_path / "f.xlsx",
        tpl,
        {"信易贷平台发放贷款规模": 0.12, "企业信用贷款规模": 1.5, "企业贷款总规模": 5},
        unit="亿元",
        use_variants=True,
    )
    assert inspect_file(p, spec, L).figures == {
        "信易贷平台发放贷款规模": 1200.0,
        "企业信用贷款规模": 15000.0,
        "企业贷款总规模": 50000.0,
    }
    blank = S.make_blank_template_xlsx(tmp_path / "b.xlsx", tpl)
    assert inspect_file(blank, spec, L).figures == {}


def test_figures_from_txt_and_docx(tmp_path, templates):
    tpl = templates["数据表-D25"]
    spec = InspectSpec((), (tpl,))
    p = tmp_path / "数据.txt"
    p.write_text(
        "辖区企业信用贷款规模占全部企业贷款规模的比例应达到30%。\n"
        "信易贷平台发放贷款规模：1,200万元\n企业信用贷款规模为1.5亿元；\n全部企业贷款规模 50000000000 元",
        "utf-8",
    )
    assert inspect_file(p, spec, L).figures == {
        "信易贷平台发放贷款规模": 1200.0,
        "企业信用贷款规模": 15000.0,
        "企业贷款总规模": 5000000.0,
    }
    d = S.make_docx(
        tmp_path / "数据.docx",
        ["贷款数据如下："],
        table=[["项目", "金额（万元）"], ["信易贷平台发放贷款规模", "1200"], ["企业信用贷款规模", "15000"]],
    )
    assert inspect_file(d, spec, L).figures == {"信易贷平台发放贷款规模": 1200.0, "企业信用贷款规模": 15000.0}


# ---------------------------------------------------------------- contracts
def test_facts_round_trip_through_dict(tmp_path, templates):
    p = S.make_ledger_xlsx(
        tmp_path / "u.xlsx", templates["附件8"], 20, bad_uscc_rows=[1], duplicate_rows=[3], yes_ratio=0.5
    )
    f = inspect_file(p, spec8(templates), L)
    assert Facts.from_dict(f.to_dict()) == f


def test_limits_from_dict():
    assert Limits.from_dict({"max_rows": 10, "timeout_s": 5}) == Limits(max_rows=10, timeout_s=5)
    assert Limits.from_dict({}) == Limits() and Limits().max_file_bytes == 200 * 1024 * 1024
    with pytest.raises(ValueError, match="max_row"):
        Limits.from_dict({"max_row": 10})
    with pytest.raises(ValueError, match="memory_mb"):
        Limits.from_dict({"memory_mb": -1})
    with pytest.raises(ValueError, match="max_rows"):
        Limits.from_dict({"max_rows": "many"})


def test_blank_template_is_deterministic_with_title_header_widths_and_frozen_header(tmp_path, templates):
    a = S.make_blank_template_xlsx(tmp_path / "a.xlsx", templates["附件7"])
    os.utime(a, (0, 0))
    b = S.make_blank_template_xlsx(tmp_path / "b.xlsx", templates["附件7"])
    assert a.read_bytes() == b.read_bytes()
    ws = openpyxl.load_workbook(b).active
    assert ws["A1"].value == templates["附件7"].title and "A1:G1" in [str(r) for r in ws.merged_cells.ranges]
    assert [c.value for c in ws[2]] == [c.name for c in templates["附件7"].columns]
    assert ws.freeze_panes == "A3" and ws.column_dimensions["B"].width == 30
    with pytest.raises(ValueError):
        S.make_blank_template_xlsx(tmp_path / "c.xlsx", templates["附件3"])


def test_makers_set_the_modification_time(tmp_path, templates):
    when = dt.datetime(2021, 6, 20, 23, 59, 59)  # naive = Asia/Shanghai
    p = S.make_pdf(tmp_path / "a.pdf", mtime=when)
    assert p.stat().st_mtime == dt.datetime(2021, 6, 20, 15, 59, 59, tzinfo=dt.UTC).timestamp()
    q = S.make_ledger_xlsx(tmp_path / "l.xlsx", templates["附件8"], 2, mtime=1_600_000_000.0)
    assert q.stat().st_mtime == 1_600_000_000.0
    x = make_xls(tmp_path / "x.xls", {"S": [["a"]]}, mtime=1_600_000_001)
    assert x.stat().st_mtime == 1_600_000_001


# ---------------------------------------------------------------- ledgers as clerks really send them
def _d23_spec():
    from duban.evidence.spec import spec_for

    cat = load_catalog()
    return cat, spec_for(cat.tasks["D23"], cat.templates)


def _d23_rows(n, start=0, loaned=()):
    from duban.evidence.uscc import make_uscc

    return [
        [
            start + i + 1,
            f"企业{start + i}",
            make_uscc(start + i),
            "2021-05",
            100,
            "是" if (start + i) in loaned else "否",
            None,
        ]
        for i in range(n)
    ]


HEAD8 = ["序号", "企业名称", "统一社会信用代码", "推荐月份", "融资需求（万元）", "是否获贷", "获贷金额（万元）"]


def test_a_ledger_split_over_sheets_counts_every_sheet(tmp_path):
    cat, spec = _d23_spec()
    p = S.make_table_xlsx(tmp_path / "名单.xlsx", {"5月": [HEAD8] + _d23_rows(12), "6月": [HEAD8] + _d23_rows(8, 12)})
    facts = inspect_file(p, spec, Limits())
    assert sorted(lf.rows for lf in facts.ledgers if lf.template == "附件8") == [8, 12]


def test_example_subtotal_and_repeated_header_rows_are_not_data(tmp_path):
    cat, spec = _d23_spec()
    example = ["示例", "某某科技有限公司", "91370102MA3XXXXXXX", "2021-05", 50, "是", 20]
    rows = (
        [HEAD8, example]
        + _d23_rows(3, loaned={0})
        + [["小计", None, None, None, 300, None, None], HEAD8]
        + _d23_rows(2, 3, loaned={3})
        + [["合计", None, None, None, 500, None, None]]
    )
    p = S.make_table_xlsx(tmp_path / "名单.xlsx", {"Sheet1": rows})
    (lf,) = [lf for lf in inspect_file(p, spec, Limits()).ledgers if lf.template == "附件8"]
    assert lf.rows == 5 and lf.invalid_uscc_count == 0
    assert (lf.yes, lf.ratio_rows) == (2, 5)  # the repeated header's 是否获贷 is not a "yes"


def test_chinese_punctuation_around_links_is_not_part_of_them():
    from duban.evidence.inspect.links import find_links

    text = "见www.jinan.gov.cn，（http://news.example/a?id=1）。另见ｈｔｔｐ：／／ｗｗｗ．ｘ．ｃｎ／ａ；链接：http://c.cn/q"
    assert find_links(text) == [
        "http://www.jinan.gov.cn",
        "http://news.example/a?id=1",
        "http://www.x.cn/a",
        "http://c.cn/q",
    ]


def test_a_header_repeated_in_half_its_cells_is_skipped_and_less_is_data(tmp_path):
    """A page's repeated header counts when at least half its labels recur (spaces, full-width
    and ``*`` aside); a row sharing fewer is a data row like any other."""
    cat, spec = _d23_spec()
    half = ["序 号", "企业名称*", "统一社会信用代码：", "推荐月份", None, None, None]  # 4 of 7
    fewer = ["1", "企业名称", "91370102MA3C4E5X8Y", "推荐月份", 10, "否", None]  # 2 labels: data
    rows = [HEAD8] + _d23_rows(2) + [half] + _d23_rows(2, 2) + [fewer]
    p = S.make_table_xlsx(tmp_path / "名单.xlsx", {"Sheet1": rows})
    (lf,) = [lf for lf in inspect_file(p, spec, Limits()).ledgers if lf.template == "附件8"]
    assert lf.rows == 5
