"""Mail and the store when things go wrong (issue 10, items 6, 11, 14-17): a unit whose folder
cannot be read is not chased; the guard counts evidence, not the skeleton; a misspelt settings
section stops the run; an outbox copy is not a sent email; 4xx is retried per recipient and a
server refusing everything is treated as down; a new store does not re-send a home's earlier
reminders; a damaged store says so; a digest says what is true when it goes out."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from click.testing import CliRunner
from smtp_server import JUNE18_MESSAGES, SmtpServer, closed_port_transport, fast_policy, june18_result

from duban.check import run_check
from duban.cli import cli
from duban.evidence.init_folders import init_folders
from duban.notifications import FileOutbox, flush_queue, send_reminders
from duban.testing import samples
from duban.timeutil import TZ

JUNE18 = dt.date(2021, 6, 18)
GX = "gxj@lixia.example"  # 区工信局
SPJ = "spj@lixia.example"  # 区行政审批局: escalated (the coordinator in Cc), copied on nobody else's mail
COORDINATOR = "duban@lixia.example"


def _run(catalog, home, root, transport, result=None, **kw):
    # escalations copied to the coordinator (escalation_copy: cc): the partial-delivery cases need a CC
    return send_reminders(
        catalog,
        result or june18_result(root),
        home,
        transport=transport,
        policy=fast_policy(escalation_copy="cc"),
        **kw,
    )


def duban(home, *args):
    return CliRunner().invoke(cli, ["--home", str(home.root), *args], catch_exceptions=False)


def duban_process(home, *args):
    return subprocess.run(
        [sys.executable, "-m", "duban", "--home", str(home.root), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


# ---------------------------------------------------------------- 6: an unreadable unit is not chased
def test_a_unit_whose_folder_cannot_be_read_is_not_reminded(catalog, home, evidence_root, smtp_server):
    result = june18_result(evidence_root)
    for o in result.obligations:
        if o.unit == "区工信局" and o.task == "D26":
            o.status = "unreadable"
            o.problems = ["无法读取“区工信局/26/”：任务文件夹没有读取权限：请共享盘管理员……"]
    outcome = _run(catalog, home, evidence_root, smtp_server.transport(), result)

    assert smtp_server.for_unit("区工信局") == []  # its other open items wait too: duban cannot see its folder
    assert sorted(m.unit for m in smtp_server.to_units()) == ["区发改局", "区行政审批局"]
    (skip,) = [m for m in outcome.for_unit("区工信局") if m.kind not in ("digest", "support")]  # 配合提醒 is about D12
    assert skip.status == "skipped" and "无法读取“区工信局/26/”" in skip.error
    digest = smtp_server.of_kind("digest")[0].text
    assert "1 个单位的文件夹或文件无法读取，今日未提醒、也未判为未报送：区工信局" in digest
    assert "无法读取：1" in digest  # the status count, with its Chinese label


# ---------------------------------------------------------------- 11: the guard counts evidence only
def test_a_share_wiped_down_to_its_skeleton_holds_reminders(catalog, home, tmp_path, smtp_server):
    root = tmp_path / "share"
    init_folders(root, catalog)  # 说明.txt and blank templates everywhere: the skeleton
    uploads = [
        samples.make_pdf(root / "区财政局" / f"06-信用制度文件梳理修订/制度{i}.pdf", text=f"制度 {i}")
        for i in range(10)
    ]
    first = run_check(catalog, root, dt.datetime(2021, 6, 18, 9, tzinfo=TZ), home)
    assert first.stats["files"] == 10 and first.stats["skeleton"] > 40  # placed forms known by hash
    _run(catalog, home, root, smtp_server.transport(), first)
    assert smtp_server.to_units()

    for p in uploads:  # the real evidence is gone; every 说明.txt and blank form is still there
        p.unlink()
    later = run_check(catalog, root, dt.datetime(2021, 6, 21, 9, tzinfo=TZ), home)
    sent_before = len(smtp_server.to_units())
    held = _run(catalog, home, root, smtp_server.transport(), later)
    assert held.held and held.guard.code == "shrunk"
    assert "现有 0 个佐证文件（不含说明和空白模板），上次有 10 个" in held.guard.reason
    assert len(smtp_server.to_units()) == sent_before


# ---------------------------------------------------------------- 14: settings and the transport that delivered
def test_a_misspelt_smtp_section_stops_the_run_naming_the_key(catalog, home, evidence_root):
    home.settings_file.write_text("smpt:\n  host: smtp.lixia.gov.cn\n", encoding="utf-8")
    r = duban(home, "remind", "--evidence", str(evidence_root), "--as-of", "2021-06-18T09:00")
    assert r.exit_code == 2
    assert "未知设置 'smpt'" in r.output and "是不是 'smtp'？" in r.output and str(home.settings_file) in r.output
    assert not list(home.outbox.rglob("*.eml"))


def test_a_reminder_only_written_to_the_outbox_is_sent_once_smtp_is_configured(
    catalog, home, evidence_root, smtp_server
):
    outbox = _run(catalog, home, evidence_root, FileOutbox(home.outbox))
    assert len(outbox.sent) == JUNE18_MESSAGES  # units, supporting units and the digest, as .eml files
    smtp = _run(catalog, home, evidence_root, smtp_server.transport())  # the spelling was fixed the same day
    assert sorted(m.unit for m in smtp_server.to_units()) == ["区发改局", "区工信局", "区行政审批局"]
    assert len(smtp.sent) == JUNE18_MESSAGES and not smtp.duplicates
    again = _run(catalog, home, evidence_root, smtp_server.transport())
    assert not again.sent and len(again.duplicates) == JUNE18_MESSAGES  # and never twice by SMTP
    assert len(smtp_server.to_units()) == 3


# ---------------------------------------------------------------- 15: 4xx per recipient; a server refusing everything
def test_a_temporary_refusal_of_the_units_address_is_retried_for_that_address_only(
    catalog, home, evidence_root, smtp_server
):
    smtp_server.recorder.refuse_times[SPJ] = [1, "450 4.2.1 mailbox busy, try again"]
    outcome = _run(catalog, home, evidence_root, smtp_server.transport())
    got = smtp_server.for_unit("区行政审批局")
    assert [m.rcpt_tos for m in got] == [[COORDINATOR], [SPJ]]  # the CC once, then the unit on the retry
    (rec,) = outcome.for_unit("区行政审批局")
    assert rec.status == "sent" and rec.error is None


def test_a_unit_address_refused_for_now_all_run_is_queued_for_that_address(catalog, home, evidence_root, smtp_server):
    smtp_server.recorder.refuse_times[SPJ] = [3, "452 4.2.2 mailbox full"]  # the try and both retries
    outcome = _run(catalog, home, evidence_root, smtp_server.transport())
    (rec,) = outcome.for_unit("区行政审批局")
    assert rec.status == "queued"
    assert "收件地址暂时拒收（已尝试 3 次）：spj@lixia.example（452 4.2.2 mailbox full）（抄送已送达）" in rec.error
    flushed = flush_queue(catalog, home, transport=smtp_server.transport(), today=JUNE18)
    assert [m.unit for m in flushed.sent] == ["区行政审批局"]
    assert [m.rcpt_tos for m in smtp_server.for_unit("区行政审批局")] == [[COORDINATOR], [SPJ]]  # CC not mailed twice


def test_the_next_run_sends_a_partly_delivered_reminder_to_the_rest_only(catalog, home, evidence_root, smtp_server):
    smtp_server.recorder.refuse_times[SPJ] = [3, "452 4.2.2 mailbox full"]
    _run(catalog, home, evidence_root, smtp_server.transport())
    again = _run(catalog, home, evidence_root, smtp_server.transport())  # the round re-run the same evening
    (rec,) = again.for_unit("区行政审批局")
    assert rec.status == "sent"
    assert [m.rcpt_tos for m in smtp_server.for_unit("区行政审批局")] == [[COORDINATOR], [SPJ]]


def test_a_server_refusing_everything_for_now_is_treated_as_down(catalog, home, evidence_root, smtp_server):
    smtp_server.recorder.refuse_everyone = "451 4.3.0 temporary local problem"
    outcome = _run(catalog, home, evidence_root, smtp_server.transport())
    assert {m.status for m in outcome.messages if m.status != "skipped"} == {"queued"}
    tried = [m for m in outcome.messages if m.status == "queued" and "已尝试 3 次" in (m.error or "")]
    assert len(tried) == 3  # the first three messages were tried (with their retries) ...
    rest = [m for m in outcome.messages if m.status == "queued" and m not in tried]
    assert rest and all("视为暂时不可用" in m.error for m in rest)  # ... the rest waits without trying
    smtp_server.recorder.refuse_everyone = None
    flush_queue(catalog, home, transport=smtp_server.transport(), today=JUNE18)
    assert sorted(m.unit for m in smtp_server.to_units()) == ["区发改局", "区工信局", "区行政审批局"]


# ---------------------------------------------------------------- 16: a new store; a damaged store
@pytest.mark.prefect  # duban in child processes: each run opens the store as a new process would
def test_a_new_store_does_not_resend_what_this_home_already_sent(catalog, home, evidence_root):
    args = ["remind", "--evidence", str(evidence_root), "--as-of", "2021-06-18T09:00"]
    assert duban_process(home, *args).returncode == 0
    sent = sorted(home.outbox.rglob("*.eml"))
    assert sent
    for p in home.root.glob("duban.sqlite*"):  # the store is deleted (or a new one configured)
        p.unlink()
    held = duban_process(home, *args)
    assert held.returncode == 3
    assert "没有任何发送记录" in held.stderr + held.stdout and "最近一次 2021-06-18" in held.stderr
    assert "--force" in held.stderr
    assert sorted(home.outbox.rglob("*.eml")) == sent  # nothing written again
    forced = duban_process(home, *args, "--force")
    assert forced.returncode == 0 and "已强制发送" in forced.stdout


def test_a_damaged_store_gives_a_clear_message_in_every_command(catalog, home, evidence_root):
    home.db.write_bytes(b"this is not a database, it was overwritten by a backup tool" * 100)
    for args in (
        ["check", "--evidence", str(evidence_root), "--as-of", "2021-06-18"],
        ["remind", "--evidence", str(evidence_root), "--as-of", "2021-06-18T09:00"],
        ["remind", "--flush"],
    ):
        r = duban(home, *args)
        assert r.exit_code == 2, r.output
        assert "错误：数据库文件已损坏" in r.output and "Traceback" not in r.output


# ---------------------------------------------------------------- 17: a digest is rendered when it is sent
def test_a_digest_rendered_during_a_failure_is_not_sent_stale(catalog, home, evidence_root):
    server = SmtpServer(password="right").start()
    try:
        wrong = server.transport(user=COORDINATOR, password="wrong")
        failed = _run(catalog, home, evidence_root, wrong)
        assert failed.failed and not server.messages  # the login failed: every reminder and the digest
        fixed = _run(catalog, home, evidence_root, server.transport(user=COORDINATOR, password="right"))
        assert len(fixed.sent) == JUNE18_MESSAGES
        (digest,) = server.of_kind("digest")
        assert "发送失败" not in digest.subject and "发送问题" not in digest.text
        assert "区工信局：逾期督办，3 项，已发送" in digest.text
    finally:
        server.stop()


def test_a_queued_digest_is_rendered_again_when_the_queue_is_flushed(catalog, home, evidence_root, smtp_server):
    _run(catalog, home, evidence_root, closed_port_transport())  # the server was down: all queued
    flush_queue(catalog, home, transport=smtp_server.transport(), today=JUNE18)
    (digest,) = smtp_server.of_kind("digest")
    assert "区工信局：逾期督办，3 项，已发送" in digest.text
    assert "排队" not in digest.text


def test_a_stale_digest_of_an_earlier_day_is_not_sent(catalog, home, evidence_root, smtp_server):
    _run(catalog, home, evidence_root, closed_port_transport())
    flushed = flush_queue(catalog, home, transport=smtp_server.transport(), today=JUNE18 + dt.timedelta(days=3))
    assert smtp_server.of_kind("digest") == [] and all(m.kind != "digest" for m in flushed.messages)
