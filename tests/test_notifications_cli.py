"""``duban remind``: what the coordinator types and reads."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from smtp_server import (
    june18_result,
)

from duban.cli import cli


def _remind(home, *args, env=None):
    base = {"DUBAN_SMTP_HOST": "", "DUBAN_SMTP_PASSWORD": ""}
    return CliRunner().invoke(cli, ["--home", str(home.root), "remind", *args], env={**base, **(env or {})})


def _fast(home):
    home.settings_file.write_text("reminders:\n  retry_delays: [0]\n", encoding="utf-8")


def test_dry_run_shows_what_would_go_out_and_sends_nothing(home, evidence_root, tmp_path, smtp_server):
    check = june18_result(evidence_root).write_json(tmp_path / "check.json")
    env = {"DUBAN_SMTP_HOST": "127.0.0.1", "DUBAN_SMTP_PORT": str(smtp_server.port), "DUBAN_SMTP_SECURITY": "plain"}
    r = _remind(home, "--from-json", str(check), "--dry-run", env=env)

    assert r.exit_code == 0, r.output
    assert "（演练，不发送）" in r.output
    assert "[演练（未发送）] 区工信局 · 逾期督办 · 3 项" in r.output
    assert "抄送：duban@lixia.example" not in r.output  # the escalation is in the coordinator's digest, not a copy
    assert "[演练（未发送）] 区商务局 · 配合提醒 · 1 项" in r.output
    assert "标题：【逾期督办】区工信局：3项材料待报送，其中2项已逾期（最长4个工作日），最早截止 6月12日" in r.output
    assert "| 济南市历下区工业和信息化局：" in r.output  # the first lines of the body
    assert "演练：将发送 7 封" in r.output
    assert smtp_server.messages == []
    assert list(home.outbox.rglob("*.eml")) == []


def test_from_json_sends_through_smtp_settings_then_rerun_sends_nothing(home, evidence_root, tmp_path, smtp_server):
    _fast(home)
    check = june18_result(evidence_root).write_json(tmp_path / "check.json")
    env = {"DUBAN_SMTP_HOST": "127.0.0.1", "DUBAN_SMTP_PORT": str(smtp_server.port), "DUBAN_SMTP_SECURITY": "plain"}
    first = _remind(home, "--from-json", str(check), env=env)
    assert first.exit_code == 0, first.output
    assert "[已发送] 区工信局" in first.output
    assert "汇总：已发送 7 封；未发送 1 封（未到提醒日 1 封）" in first.output
    assert (
        "[未到提醒日] 解放路街道：今天不是该单位的提醒日（截止前第 3、1 个工作日、逾期后每个工作日提醒）"
        in first.output
    )
    assert len(smtp_server.messages) == 7

    again = _remind(home, "--from-json", str(check), env=env)
    assert "[已发过，未重发] 区工信局" in again.output and "已发过未重发 7 封" in again.output
    assert len(smtp_server.messages) == 7


def test_evidence_runs_the_check_then_reminds_one_unit(home, evidence_root, monkeypatch):
    import duban.check

    calls = []

    def fake_run_check(catalog, root, as_of, home, *, units=None, tasks=None, progress=None):
        calls.append((root, as_of, units))
        return june18_result(evidence_root)

    monkeypatch.setattr(duban.check, "run_check", fake_run_check)
    _fast(home)
    r = _remind(home, "--evidence", str(evidence_root), "--as-of", "2021-06-18T09:00", "--unit", "工信局")

    assert r.exit_code == 0, r.output
    assert calls[0][0] == evidence_root and calls[0][1].date() == dt.date(2021, 6, 18)
    assert calls[0][2] == ["区工信局"]  # the alias resolved to the unit's name
    emls = sorted(p.name for p in home.outbox.rglob("*.eml"))
    assert len(emls) == 1 and "escalation_区工信局" in emls[0]  # one unit, no digest
    assert "邮件文件：" in r.output


def test_missing_root_exits_3_and_alerts_the_coordinator(home, tmp_path):
    _fast(home)
    root = tmp_path / "断开的共享盘"
    r = _remind(home, "--evidence", str(root), "--as-of", "2021-06-18")

    assert r.exit_code == 3
    assert "证据目录保护" in r.output and "不存在或无法访问" in r.output
    assert "没有向任何单位发送提醒，已告警协调单位" in r.output
    emls = [p.name for p in home.outbox.rglob("*.eml")]
    assert len(emls) == 1 and "_alert_" in emls[0]


def test_unknown_unit_and_missing_source_are_clear_errors(home, tmp_path):
    r = _remind(home, "--from-json", str(june18_result(tmp_path).write_json(tmp_path / "c.json")), "--unit", "区工信厅")
    assert r.exit_code == 2 and "未知单位 '区工信厅'" in r.output
    r = _remind(home)
    assert r.exit_code == 2 and "--evidence" in r.output and "--from-json" in r.output


def test_evidence_root_comes_from_settings_like_every_other_command(home, evidence_root, tmp_path):
    """No --evidence: ``evidence_root`` in settings.yaml is checked (a real check of that folder)."""
    home.settings_file.write_text(f"evidence_root: '{evidence_root}'\nreminders:\n  retry_delays: [0]\n", "utf-8")
    r = _remind(home, "--as-of", "2021-06-18T09:00", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "[演练（未发送）] 区工信局" in r.output  # the folder in settings was checked: its units owe

    gone = tmp_path / "断开的共享盘"
    home.settings_file.write_text(f"evidence_root: '{gone}'\nreminders:\n  retry_delays: [0]\n", "utf-8")
    r = _remind(home, "--as-of", "2021-06-18")
    assert r.exit_code == 3 and str(gone) in r.output  # the guard held: it looked where settings point

    check = june18_result(evidence_root).write_json(tmp_path / "c.json")
    r = _remind(home, "--evidence", str(evidence_root), "--from-json", str(check))
    assert r.exit_code == 2 and "只能选一个" in r.output
