"""The guard: a missing, empty or shrunken evidence root mails no unit, and the coordinator
gets one alert instead."""

from __future__ import annotations

import datetime as dt
import shutil

from smtp_server import (
    fast_policy,
    june18_result,
)

from duban.notifications import evaluate, send_reminders


def _run(catalog, home, root, server, **kw):
    return send_reminders(catalog, june18_result(root), home, transport=server.transport(), policy=fast_policy(), **kw)


def test_missing_root_mails_no_unit_and_alerts_the_coordinator_once(catalog, home, tmp_path, smtp_server):
    root = tmp_path / "断开的共享盘"
    outcome = _run(catalog, home, root, smtp_server)
    _run(catalog, home, root, smtp_server)  # the round is re-run the same day

    assert smtp_server.to_units() == [] and smtp_server.of_kind("digest") == []
    alerts = smtp_server.of_kind("alert")
    assert len(alerts) == 1
    assert alerts[0].to == ["duban@lixia.example"]
    assert alerts[0].subject == "【督办告警】证据目录异常，今日未向各单位发送提醒"
    assert str(root) in alerts[0].text and "不存在或无法访问" in alerts[0].text
    assert "区工信局" in alerts[0].text  # the units held back are named
    assert outcome.held and outcome.guard.code == "missing"
    assert {m.status for m in outcome.of_kind("upcoming", "overdue", "escalation")} == {"skipped"}


def test_empty_root_mails_no_unit(catalog, home, tmp_path, smtp_server):
    root = tmp_path / "空目录"
    (root / "区工信局").mkdir(parents=True)  # folders, but not one file
    outcome = _run(catalog, home, root, smtp_server)

    assert smtp_server.to_units() == []
    assert [m.kind for m in smtp_server.messages] == ["alert"]
    assert "是空的" in smtp_server.messages[0].text
    assert outcome.guard.code == "empty"


def test_shrunken_root_holds_reminders_until_forced(catalog, home, evidence_root, smtp_server):
    for i in range(12):
        (evidence_root / "区财政局" / f"材料{i}.pdf").write_bytes(b"%PDF")
    _run(catalog, home, evidence_root, smtp_server)  # a healthy run: 14 evidence files remembered (not 说明.txt)
    assert len(smtp_server.to_units()) == 3

    shutil.rmtree(evidence_root / "区财政局")
    next_day = june18_result(evidence_root)
    next_day.as_of += dt.timedelta(days=3)  # Monday 6-21
    held = send_reminders(catalog, next_day, home, transport=smtp_server.transport(), policy=fast_policy())
    assert held.held and held.guard.code == "shrunk"
    assert len(smtp_server.to_units()) == 3  # nobody new was mailed
    alert = smtp_server.of_kind("alert")
    assert len(alert) == 1 and "现有 1 个佐证文件（不含说明和空白模板），上次有 14 个" in alert[0].text

    forced = send_reminders(
        catalog, next_day, home, transport=smtp_server.transport(), policy=fast_policy(), force=True
    )
    assert not forced.held
    # after a human look, the reminders go out (S02, due 6-18, is now overdue for 解放路街道 too)
    assert sorted(m.unit for m in forced.of_kind("upcoming", "overdue", "escalation") if m.status == "sent") == [
        "区发改局",
        "区工信局",
        "区行政审批局",
        "解放路街道",
    ]
    assert len(smtp_server.to_units()) == 3 + 4
    assert any("已强制发送" in w for w in forced.warnings)


def test_guard_from_the_caller_is_obeyed(catalog, home, evidence_root, smtp_server):
    guard = evaluate(evidence_root, files_now=10, files_last=100)
    outcome = _run(catalog, home, evidence_root, smtp_server, guard=guard)
    assert not guard.ok and "少于 50%" in guard.reason
    assert outcome.held and smtp_server.to_units() == []
    assert len(smtp_server.of_kind("alert")) == 1


def test_evaluate_explains_each_case_in_chinese(tmp_path):
    assert evaluate(tmp_path / "无", None, None).code == "missing"
    assert evaluate(tmp_path, None, None).code == "empty"
    (tmp_path / "a.txt").write_text("x")
    assert evaluate(tmp_path, None, None).ok
    # the caller's count may be evidence files only: 0 evidence in a laid-out root is not "empty"
    assert evaluate(tmp_path, 0, None).ok
    shrunk = evaluate(tmp_path, 4, 10)
    assert not shrunk.ok and "现有 4 个佐证文件（不含说明和空白模板），上次有 10 个" in shrunk.reason
    assert evaluate(tmp_path, 5, 10).ok  # exactly half is not "under half"
    file_root = tmp_path / "a.txt"
    assert evaluate(file_root, None, None).code == "unreadable"


def test_dry_run_under_the_guard_sends_nothing_at_all(catalog, home, tmp_path, smtp_server):
    outcome = _run(catalog, home, tmp_path / "无", smtp_server, dry_run=True)
    assert smtp_server.messages == []
    assert [m.status for m in outcome.of_kind("alert")] == ["dry-run"]


def test_alert_coordinator_sends_one_alert_per_day_and_reason(catalog, home, smtp_server):
    from duban.notifications import alert_coordinator

    day = dt.date(2021, 6, 18)
    for _ in range(2):
        alert_coordinator(
            catalog, home, reason="检查流程失败：数据库被锁定", transport=smtp_server.transport(), today=day
        )
    alert_coordinator(catalog, home, reason="检查流程失败：磁盘已满", transport=smtp_server.transport(), today=day)

    alerts = smtp_server.of_kind("alert")
    assert [a.to for a in alerts] == [["duban@lixia.example"], ["duban@lixia.example"]]
    assert "数据库被锁定" in alerts[0].text and "磁盘已满" in alerts[1].text
    assert alerts[0].subject.startswith("【督办告警】")


def test_a_root_with_no_unit_folder_at_all_mails_no_unit(catalog, home, tmp_path, smtp_server):
    """The first run has no earlier scan to compare with: a share pointing at the wrong folder
    (files, but not one unit folder) must still not mail 35 units that they are late."""
    from duban.results import FileIssue

    root = tmp_path / "上级目录"
    (root / "旧材料").mkdir(parents=True)
    (root / "旧材料" / "a.pdf").write_bytes(b"%PDF-1.4")
    result = june18_result(root)
    result.stats = {"files": 0}
    result.unrecognized = [FileIssue("旧材料/", "无法识别的单位文件夹")]
    outcome = send_reminders(catalog, result, home, transport=smtp_server.transport(), policy=fast_policy())
    assert smtp_server.to_units() == [] and outcome.guard.code == "unmapped"
    assert len(smtp_server.of_kind("alert")) == 1 and "指错" in smtp_server.of_kind("alert")[0].text
    forced = send_reminders(catalog, result, home, transport=smtp_server.transport(), policy=fast_policy(), force=True)
    assert forced.sent and smtp_server.to_units()
