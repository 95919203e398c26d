"""Why a reminder was not sent is said, in the run's summary line and in the report — and only
a real failure is coloured red."""

from __future__ import annotations

import datetime as dt

import openpyxl
from smtp_server import fast_policy, june18_result

from duban.notifications import send_reminders
from duban.reports import write_report

D = dt.date
RED = "FFC7CE"


def _fill(cell) -> str:
    return cell.fill.fgColor.rgb[-6:] if cell.fill and cell.fill.fill_type == "solid" else ""


def test_a_weekend_run_says_it_is_a_rest_day_and_nothing_is_red(catalog, home, evidence_root, smtp_server):
    saturday = D(2021, 6, 19)
    outcome = send_reminders(
        catalog,
        june18_result(evidence_root),
        home,
        today=saturday,
        transport=smtp_server.transport(),
        policy=fast_policy(),
    )
    skipped = outcome.with_status("skipped")
    assert skipped and smtp_server.messages == []
    assert outcome.summary() == f"已发送 0 封；未发送 {len(skipped)} 封（休息日不发送 {len(skipped)} 封）"

    paths = write_report(catalog, june18_result(evidence_root), home, reminders=[m.to_dict() for m in outcome.messages])
    ws = openpyxl.load_workbook(paths.xlsx)["提醒"]
    header = [c.value for c in ws[2]]
    rows = list(ws.iter_rows(min_row=3))
    status, subject, note = (header.index(h) for h in ("状态", "主题", "说明"))
    assert {r[status].value for r in rows} == {"休息日不发送"}
    assert all(_fill(r[status]) == "" for r in rows)  # a rest day is not a failure
    assert all(r[subject].value.startswith("（未生成邮件，") for r in rows)  # 主题 says what it would have been
    assert all("6月19日（周六）是休息日" in r[note].value for r in rows)
    html = paths.html.read_text(encoding="utf-8")
    assert "休息日不发送" in html and "l-red" not in html.split('id="reminders"')[1]


def test_a_working_day_names_each_reason_and_only_a_failure_is_red(catalog, home, evidence_root, smtp_server):
    outcome = send_reminders(
        catalog, june18_result(evidence_root), home, transport=smtp_server.transport(), policy=fast_policy()
    )
    assert outcome.summary() == "已发送 7 封；未发送 1 封（未到提醒日 1 封）"  # 解放路街道: not its reminder day
    again = send_reminders(
        catalog, june18_result(evidence_root), home, transport=smtp_server.transport(), policy=fast_policy()
    )
    assert again.summary() == "已发送 0 封，已发过未重发 7 封；未发送 1 封（未到提醒日 1 封）"

    records = [m.to_dict() for m in outcome.messages]
    records[0] = {**records[0], "status": "failed", "error": "550 mailbox unavailable"}
    ws = openpyxl.load_workbook(write_report(catalog, june18_result(evidence_root), home, reminders=records).xlsx)[
        "提醒"
    ]
    col = [c.value for c in ws[2]].index("状态")
    colours = {r[col].value: _fill(r[col]) for r in ws.iter_rows(min_row=3)}
    assert colours == {"发送失败": RED, "已发送": "", "未到提醒日": ""}
