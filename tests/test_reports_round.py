"""Round reports for a known small situation on the real catalog: the workbook a coordinator
opens, the JSON a machine reads, the HTML page and index, and how runs are stored."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest

from duban.home import Home
from duban.reports import list_reports, rebuild_index, write_report
from duban.reports.html import outside_references
from duban.results import CheckResult, FileIssue, Obligation
from duban.timeutil import TZ

AS_OF = dt.datetime(2021, 6, 15, 23, 59, 59, tzinfo=TZ)
ROUND = dt.date(2021, 6, 15)
RUN = dt.datetime(2021, 6, 15, 23, 59, 59, tzinfo=TZ)
GREEN, YELLOW, RED = "C6EFCE", "FFEB9C", "FFC7CE"
D = dt.date


def ob(task, unit, day, status, problems=(), files=()):
    return Obligation(task, unit, day, day, status, list(problems), list(files))


def known_result() -> CheckResult:
    """As of 2021-06-15 evening (the D26 round):

    区行政审批局 D07 06-10 ok, D07 06-20 ok early (not due yet: not owed)  -> 1/1 100%
    区司法局     D11 06-04 ok                                                -> 1/1 100%
    区工信局     D20 06-04 ok, D20 06-12 late, D26 06-15 partial, D20 + D23 06-20 pending -> 2/3
    区发改局     D11 06-04 missing, D11 06-12 ok, D27 06-10 missing, D14 06-23 confirm, D01 done -> 1/3
    解放路街道   S03 06-10 ok, S07 06-10 missing                             -> 1/2
    千佛山街道   S02 06-18 pending                                           -> nothing owed yet
    D09 names no unit: unassigned
    """
    obs = [
        ob("D01", "区发改局", None, "done"),
        ob("D07", "区行政审批局", D(2021, 6, 10), "ok", files=["区行政审批局/07/第一轮/承诺书.pdf"]),
        ob("D07", "区行政审批局", D(2021, 6, 20), "ok", files=["区行政审批局/07/第二轮/承诺书.pdf"]),
        ob("D09", None, None, "unassigned", ["清单未写明责任单位：请协调人指定"]),
        ob("D11", "区司法局", D(2021, 6, 4), "ok", files=["区司法局/11/第一轮/案例.docx"]),
        ob("D11", "区发改局", D(2021, 6, 4), "missing", ["未找到任何佐证材料"]),
        ob("D11", "区发改局", D(2021, 6, 12), "ok", files=["区发改局/11/第二轮/案例.docx"]),
        ob("D14", "区发改局", D(2021, 6, 23), "confirm", ["系统判定：待协调人确认"]),
        ob("D20", "区工信局", D(2021, 6, 4), "ok", files=["区工信局/20/第一轮/仓储台账.xlsx"]),
        ob(
            "D20",
            "区工信局",
            D(2021, 6, 12),
            "late",
            ["2021-06-13 提交，晚于截止日期 2021-06-12"],
            ["区工信局/20/第二轮/仓储台账.xlsx"],
        ),
        ob("D20", "区工信局", D(2021, 6, 20), "pending"),
        ob("D23", "区工信局", D(2021, 6, 20), "pending"),
        ob(
            "D26",
            "区工信局",
            D(2021, 6, 15),
            "partial",
            ["有效问卷 45 份，要求不少于 50 份", "<b>未加粗</b>"],
            ["区工信局/26/问卷汇总.xlsx", "区工信局/26/问卷截图.pdf"],
        ),
        ob("D27", "区发改局", D(2021, 6, 10), "missing", ["未找到任何佐证材料"]),
        ob("S02", "千佛山街道", D(2021, 6, 18), "pending"),
        ob("S03", "解放路街道", D(2021, 6, 10), "ok", files=["解放路街道/3/第一轮/活动汇总.docx"]),
        ob("S07", "解放路街道", D(2021, 6, 10), "missing", ["合同台账 0 条，要求不少于 60 条"]),
    ]
    return CheckResult(
        AS_OF,
        "/srv/share/信用示范创建",
        obs,
        unrecognized=[FileIssue("区工信局/杂项/照片.jpg", "无法识别任务文件夹“杂项”")],
        rejected=[FileIssue("区财政局/06/制度.docx", "文件已损坏，无法打开")],
    )


REMINDERS = [
    {
        "unit": "区发改局",
        "kind": "overdue",
        "to": ["fgj@lixia.example"],
        "cc": ["duban@lixia.example"],
        "subject": "【督办提醒】区发改局：2 项逾期未报",
        "status": "sent",
        "error": None,
    },
    {
        "unit": "解放路街道",
        "kind": "overdue",
        "to": ["jfl@lixia.example"],
        "cc": [],
        "subject": "【督办提醒】解放路街道：1 项逾期未报",
        "status": "failed",
        "error": "550 mailbox unavailable",
    },
]


@pytest.fixture(scope="module")
def written(catalog, tmp_path_factory):
    home = Home.resolve(tmp_path_factory.mktemp("home"))
    result = known_result()
    paths = write_report(catalog, result, home, round_date=ROUND, reminders=REMINDERS, run_time=RUN)
    return home, result, paths


@pytest.fixture(scope="module")
def wb(written):
    return openpyxl.load_workbook(written[2].xlsx)


def table(ws) -> list[dict]:
    """Data rows (from row 3) as dicts keyed by the header row (row 2)."""
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def fill(cell) -> str:
    return cell.fill.fgColor.rgb[-6:] if cell.fill and cell.fill.fill_type == "solid" else ""


# ---------------------------------------------------------------- workbook
def test_workbook_has_the_sheets_and_chinese_headers(wb):
    assert wb.sheetnames == ["总览", "任务", "明细", "未识别文件", "被拒文件", "提醒", "决定", "说明"]
    headers = {ws.title: [c.value for c in ws[2]] for ws in wb}
    assert headers["总览"] == [
        "单位",
        "类别",
        "应报",
        "按时完成",
        "逾期完成",
        "材料不足",
        "未报送",
        "未到期",
        "待确认",
        "无法读取",
        "免报",
        "完成率",
        "得分",
        "排名",
    ]
    assert headers["任务"][:7] == ["编号", "任务", "截止", "责任单位数", "应报单位数", "已完成单位数", "完成率"]
    assert headers["明细"] == ["任务编号", "任务", "单位", "轮次", "截止日期", "状态", "问题", "文件"]
    assert headers["未识别文件"] == headers["被拒文件"] == ["路径", "原因"]
    assert headers["提醒"] == ["单位", "类型", "收件人", "抄送", "主题", "状态", "说明"]
    title = wb["总览"]["A1"].value
    assert "社会信用体系建设示范创建任务督办" in title and "2021-06-15" in title and "截至 2021-06-15 23:59" in title


def test_every_sheet_has_frozen_header_and_filter(wb):
    frozen = {ws.title: ws.freeze_panes for ws in wb}
    assert frozen == {
        "总览": "B3",
        "任务": "C3",
        "明细": "D3",
        "未识别文件": "A3",
        "被拒文件": "A3",
        "提醒": "A3",
        "决定": "A3",
        "说明": "A3",
    }
    assert wb["总览"].auto_filter.ref == "A2:N8"  # header + six units
    assert wb["明细"].auto_filter.ref == "A2:H19"  # header + 17 obligations
    for ws in wb:
        assert ws.auto_filter.ref.startswith("A2:")
        widths = [ws.column_dimensions[c].width for c in "AB"]
        assert all(6 <= w <= 90 for w in widths)
    assert wb["明细"].column_dimensions["B"].width >= 20  # task titles are readable


def test_overview_counts_scores_and_shared_ranks(wb):
    rows = table(wb["总览"])
    assert [r["单位"] for r in rows] == ["区行政审批局", "区司法局", "区工信局", "区发改局", "解放路街道", "千佛山街道"]
    by = {r["单位"]: r for r in rows}
    assert "（未指定）" not in by and None not in by  # unassigned tasks are not a unit

    gx = by["区工信局"]
    assert (gx["应报"], gx["按时完成"], gx["逾期完成"], gx["材料不足"], gx["未报送"], gx["未到期"]) == (
        3,
        1,
        1,
        1,
        0,
        2,
    )
    assert gx["完成率"] == pytest.approx(2 / 3) and gx["得分"] == pytest.approx(63.3)  # (100 + 60 + 30) / 3
    fg = by["区发改局"]
    assert (fg["应报"], fg["按时完成"], fg["未报送"], fg["待确认"]) == (3, 1, 2, 1)
    assert fg["完成率"] == pytest.approx(1 / 3) and fg["得分"] == pytest.approx(33.3)
    sp = by["区行政审批局"]
    assert (sp["应报"], sp["按时完成"], sp["未到期"], sp["完成率"]) == (
        1,
        1,
        1,
        1.0,
    )  # the early 06-20 one is not owed yet

    # departments and streets are ranked apart; equal scores share a rank, the next one skips
    assert [by[u]["排名"] for u in ("区行政审批局", "区司法局", "区工信局", "区发改局")] == [1, 1, 3, 4]
    assert by["解放路街道"]["排名"] == 1 and by["解放路街道"]["类别"] == "街道办事处"
    qf = by["千佛山街道"]
    assert (qf["应报"], qf["未到期"], qf["完成率"], qf["得分"], qf["排名"]) == (0, 1, None, None, None)


def test_overview_traffic_light_fills(wb):
    ws = wb["总览"]
    col = [c.value for c in ws[2]].index("完成率") + 1
    fills = {ws.cell(r, 1).value: fill(ws.cell(r, col)) for r in range(3, ws.max_row + 1)}
    assert fills["区行政审批局"] == GREEN  # 100%
    assert fills["区工信局"] == YELLOW  # 66.7%
    assert fills["区发改局"] == RED  # 33.3%
    assert fills["千佛山街道"] == ""  # nothing owed: no light
    assert ws.cell(3, col).number_format == "0.0%"


def test_detail_rows_have_chinese_statuses_problems_files_and_colours(wb):
    ws = wb["明细"]
    rows = table(ws)
    assert len(rows) == 17
    assert {r["状态"] for r in rows} == {
        "按时完成",
        "逾期完成",
        "材料不足",
        "未报送",
        "未到期",
        "已完成",
        "待确认",
        "待分配",
    }
    d26 = next(r for r in rows if r["任务编号"] == "D26")
    assert d26["单位"] == "区工信局" and d26["任务"] == "融资监测平台问卷填报"
    assert d26["截止日期"].date() == D(2021, 6, 15) and d26["状态"] == "材料不足"
    assert "有效问卷 45 份，要求不少于 50 份" in d26["问题"]
    assert d26["文件"].splitlines() == ["区工信局/26/问卷汇总.xlsx", "区工信局/26/问卷截图.pdf"]
    d09 = next(r for r in rows if r["任务编号"] == "D09")
    assert d09["单位"] == "（未指定）" and d09["状态"] == "待分配"

    status_col = 6
    colours = {
        (ws.cell(r, 1).value, ws.cell(r, 3).value, ws.cell(r, 4).value and ws.cell(r, 4).value.date()): fill(
            ws.cell(r, status_col)
        )
        for r in range(3, ws.max_row + 1)
    }
    assert colours[("D27", "区发改局", D(2021, 6, 10))] == RED
    assert colours[("D11", "区司法局", D(2021, 6, 4))] == GREEN
    assert colours[("D20", "区工信局", D(2021, 6, 12))] == YELLOW


def test_task_sheet_counts_units_per_task_and_round(wb):
    rows = table(wb["任务"])
    by = {(r["编号"], r["截止"]): r for r in rows}
    d11 = by[("D11", "2021-06-04")]
    assert (d11["应报单位数"], d11["已完成单位数"], d11["未完成单位"]) == (2, 1, "区发改局（未报送）")
    assert d11["完成率"] == pytest.approx(0.5)
    assert by[("D20", "2021-06-20")]["未到期"] == 1 and by[("D20", "2021-06-20")]["应报单位数"] == 0
    d09 = by[("D09", "长期工作")]
    assert d09["其他状态"] == "待分配 1" and d09["应报单位数"] == 0  # unassigned appears here, owes nothing
    assert by[("D01", "已完成")]["其他状态"] == "已完成 1"
    assert [r["编号"] for r in rows][:3] == ["D01", "D07", "D07"]  # catalog order, then round


def test_file_and_reminder_sheets(wb):
    assert table(wb["未识别文件"]) == [{"路径": "区工信局/杂项/照片.jpg", "原因": "无法识别任务文件夹“杂项”"}]
    assert table(wb["被拒文件"]) == [{"路径": "区财政局/06/制度.docx", "原因": "文件已损坏，无法打开"}]
    rem = table(wb["提醒"])
    assert [(r["单位"], r["类型"], r["状态"]) for r in rem] == [
        ("区发改局", "逾期提醒", "已发送"),
        ("解放路街道", "逾期提醒", "发送失败"),
    ]
    assert rem[0]["收件人"] == "fgj@lixia.example" and rem[0]["抄送"] == "duban@lixia.example"
    assert fill(wb["提醒"]["F4"]) == RED and fill(wb["提醒"]["F3"]) == ""
    assert wb["提醒"]["A1"].value.startswith("本次运行的提醒：已发送 1 封，共 2 条记录")  # a failure is not "sent"
    notes = "\n".join(str(r["内容"]) for r in table(wb["说明"]))
    assert "按时完成 100 分" in notes and "未报送 0 分" in notes  # the scoring rule travels with the report


# ---------------------------------------------------------------- JSON
def test_json_is_the_check_contract_plus_reminders(written):
    _, result, paths = written
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    check = result.to_json()
    assert {k: data[k] for k in check} == check
    assert data["reminders"] == REMINDERS
    assert data["round"] == "2021-06-15" and data["generated_at"] == RUN.isoformat()
    mode = lambda p: p.stat().st_mode & 0o777
    assert mode(paths.json) == mode(paths.html) == mode(paths.xlsx)  # another account can open all three
    assert CheckResult.from_json(data).to_json() == check  # a stored report is a valid check JSON again
    assert data["summary"]["owed"] == 10 and data["summary"]["completed"] == 6


# ---------------------------------------------------------------- storage
def test_runs_are_kept_and_latest_points_to_the_newest(catalog, tmp_path):
    home = Home.resolve(tmp_path)
    result = known_result()
    first = write_report(catalog, result, home, round_date=ROUND, run_time=RUN)
    before = {p.name: p.read_bytes() for p in first.folder.iterdir()}
    assert sorted(before) == ["report.html", "report.json", "report.xlsx"]
    assert first.folder == home.reports / "2021-06-15" / "20210615-235959"

    second = write_report(catalog, result, home, round_date=ROUND, run_time=RUN, label="补报后复查")  # same second
    assert second.folder.name == "20210615-235959-2"
    assert {p.name: p.read_bytes() for p in first.folder.iterdir()} == before  # untouched

    latest = json.loads((home.reports / "2021-06-15" / "latest.json").read_text(encoding="utf-8"))
    assert latest["run"] == "20210615-235959-2"
    later = write_report(catalog, result, home, round_date=ROUND, run_time=RUN + dt.timedelta(hours=1))
    older = write_report(catalog, result, home, round_date=ROUND, run_time=RUN - dt.timedelta(days=1))
    latest = json.loads((home.reports / "2021-06-15" / "latest.json").read_text(encoding="utf-8"))
    assert latest["run"] == later.folder.name  # rebuilding an older run does not move the pointer back
    assert older.folder.is_dir()

    adhoc = write_report(catalog, result, home, run_time=RUN)
    assert adhoc.folder.parent.name == "adhoc"
    listed = list_reports(home)
    assert [(r.round, r.folder.name) for r in listed] == [
        (ROUND, "20210614-235959"),
        (ROUND, "20210615-235959"),
        (ROUND, "20210615-235959-2"),
        (ROUND, "20210616-005959"),
        (None, "20210615-235959"),
    ]
    assert listed[2].label == "补报后复查" and listed[0].completion == pytest.approx(6 / 10)
    assert listed[0].counts["missing"] == 3 and listed[0].html.is_file() and listed[0].xlsx.is_file()


def test_a_failed_write_leaves_no_half_report(catalog, tmp_path, monkeypatch):
    from duban.reports import excel

    home = Home.resolve(tmp_path)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(excel, "write_workbook", boom)
    with pytest.raises(OSError):
        write_report(catalog, known_result(), home, round_date=ROUND, run_time=RUN)
    assert list((home.reports / "2021-06-15").iterdir()) == []
    assert list_reports(home) == []


# ---------------------------------------------------------------- HTML
def test_html_page_is_self_contained_and_shows_table_and_chart(written):
    _, _, paths = written
    html = paths.html.read_text(encoding="utf-8")
    assert outside_references(html) == []
    assert html.count('<rect class="b-') == 5  # a bar for each unit that owes something
    assert "区工信局" in html and "66.7%" in html and "材料不足" in html and "有效问卷 45 份" in html
    assert "&lt;b&gt;未加粗&lt;/b&gt;" in html and "<b>未加粗</b>" not in html  # problems are escaped
    assert "需督办事项（材料不足、未报送：4 项）" in html
    assert (
        '<meta name="viewport"' in html and "@media (max-width: 600px)" in html
    )  # cards on a phone (test_phone_width)
    assert "区工信局/杂项/照片.jpg" in html and "550 mailbox unavailable" in html


def test_index_lists_rounds_in_order_with_the_trend(catalog, tmp_path):
    home = Home.resolve(tmp_path)
    # written out of order: the trend must still read 06-04, 06-10, 06-15
    for day, n_ok in ((D(2021, 6, 15), 3), (D(2021, 6, 4), 1), (D(2021, 6, 10), 2)):
        obs = [
            ob("D11", u, D(2021, 6, 4), "ok" if i < n_ok else "missing")
            for i, u in enumerate(("区司法局", "区发改局", "区工信局", "区商务局"))
        ]
        as_of = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=TZ)
        write_report(catalog, CheckResult(as_of, "/srv/share", obs), home, round_date=day, run_time=as_of)
    write_report(
        catalog,
        CheckResult(AS_OF, "/srv/share", [ob("D11", "区司法局", D(2021, 6, 4), "ok")]),
        home,
        run_time=AS_OF + dt.timedelta(hours=1),
        label="临时复查",
    )
    index = rebuild_index(home)
    assert index == home.reports / "index.html"
    html = index.read_text(encoding="utf-8")
    assert outside_references(html) == []
    trend = html[html.index("各轮次完成率走势") : html.index("全部报告")]
    pos = [trend.index(s) for s in ("06-04", "06-10", "06-15")]
    assert pos == sorted(pos)
    assert [trend.index(s) for s in ("25.0%", "50.0%", "75.0%")] == sorted(
        trend.index(s) for s in ("25.0%", "50.0%", "75.0%")
    )
    assert "<polyline" in trend
    listing = html[html.index("全部报告") :]
    assert [listing.index(s) for s in ("2021-06-04", "2021-06-10", "2021-06-15", "临时核查")] == sorted(
        listing.index(s) for s in ("2021-06-04", "2021-06-10", "2021-06-15", "临时核查")
    )
    assert 'href="2021-06-10/20210610-235959/report.html"' in html and "临时复查" in html


def test_the_coordinators_decisions_show_in_the_report(catalog, tmp_path):
    """A waiver (免报) and an extension (延期) made before the report: counted apart in 总览, said in
    明细, listed with who / when / why in the 决定 sheet and section; a later withdrawal shows too."""
    from duban.check import decisions, run_check
    from duban.store import Store, scope_of

    home = Home.resolve(tmp_path / "home")
    share = tmp_path / "share"
    share.mkdir()
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    at = dt.datetime(2021, 6, 19, 10, tzinfo=TZ)
    waived = decisions.add(store, scope, "waive", "D26", "区工信局", "本局无此项业务", by="王科长", at=at)
    moved = decisions.add(
        store,
        scope,
        "extend",
        "D20",
        "区工信局",
        "平台故障",
        round=D(2021, 6, 20),
        until=D(2021, 6, 25),
        by="王科长",
        at=at,
    )
    decisions.withdraw(store, scope, moved.id, "平台已恢复", by="李主任", at=at + dt.timedelta(hours=2))
    result = run_check(catalog, share, dt.datetime(2021, 6, 21, 9, tzinfo=TZ), home, units=["区工信局"])
    by_key = {(o.task, o.round): o for o in result.obligations}
    assert by_key[("D26", D(2021, 6, 15))].status == "waived"
    assert by_key[("D20", D(2021, 6, 20))].status == "missing"  # the extension was withdrawn before the check

    paths = write_report(catalog, result, home, round_date=None)
    wb = openpyxl.load_workbook(paths.xlsx)
    overview = {r["单位"]: r for r in table(wb["总览"])}
    assert overview["区工信局"]["免报"] == 1
    d26 = next(r for r in table(wb["明细"]) if r["任务编号"] == "D26")
    assert d26["状态"] == "免报" and "协调人 王科长 于 2021-06-19 决定：免报（本局无此项业务）" in d26["问题"]
    made = {r["编号"]: r for r in table(wb["决定"])}
    assert made[waived.id]["决定"] == "免报" and made[waived.id]["理由"] == "本局无此项业务"
    assert made[waived.id]["决定人"] == "王科长" and made[waived.id]["状态"] == "有效"
    assert made[moved.id]["决定"] == "延期至 6月25日" and made[moved.id]["状态"].startswith("已撤销（李主任")
    page = paths.html.read_text(encoding="utf-8")
    assert "协调人决定（2 项）" in page and "本局无此项业务" in page and "平台已恢复" in page
