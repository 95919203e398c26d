"""Reminders delivered to a real SMTP server on loopback, decoded as a mail client would."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3

from smtp_server import (
    JUNE18_MESSAGES,
    PROBLEM_D20,
    SmtpServer,
    closed_port_transport,
    fast_policy,
    june18_result,
)

from duban.notifications import flush_queue, send_reminders

JUNE18 = dt.date(2021, 6, 18)


def _run(catalog, home, root, transport, policy=None, **kw):
    return send_reminders(catalog, june18_result(root), home, transport=transport, policy=policy or fast_policy(), **kw)


def test_one_message_per_owing_unit_with_the_right_recipients(catalog, home, evidence_root, smtp_server):
    outcome = _run(catalog, home, evidence_root, smtp_server.transport())

    units = sorted(m.unit for m in smtp_server.to_units())
    assert units == ["区发改局", "区工信局", "区行政审批局"]  # 解放路街道 (not a reminder day), 区财政局 (ok) get none
    gx = smtp_server.for_unit("区工信局")[0]
    assert gx.kind == "escalation"
    assert gx.to == ["gxj@lixia.example"]
    assert gx.cc == []  # overdue 4 working days > 2: escalated, and listed in the coordinator's digest
    assert set(gx.rcpt_tos) == {"gxj@lixia.example"}
    fg = smtp_server.for_unit("区发改局")[0]
    assert fg.kind == "upcoming"
    assert fg.to == ["fgj@lixia.example"] and fg.cc == []
    # D12's supporting units each get a message of their own with the shared task only
    support = {m.to[0]: m for m in smtp_server.of_kind("support")}
    assert set(support) == {"swuj@lixia.example", "gxj@lixia.example", "scjgj@lixia.example"}
    assert all("【D12】" in m.text and "【D20】" not in m.text and m.cc == [] for m in support.values())
    digest = smtp_server.of_kind("digest")
    assert len(digest) == 1 and digest[0].to == ["duban@lixia.example"]
    assert all(m.status == "sent" for m in outcome.messages if m.status != "skipped")


def test_subject_and_body_survive_in_chinese_with_items_and_numbers(catalog, home, evidence_root, smtp_server):
    _run(catalog, home, evidence_root, smtp_server.transport())
    gx = smtp_server.for_unit("区工信局")[0]

    raw_subject = gx.raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in raw_subject.lower()  # RFC 2047 encoded-words on the wire, not raw 8-bit
    assert gx.subject == "【逾期督办】区工信局：3项材料待报送，其中2项已逾期（最长4个工作日），最早截止 6月12日"
    assert gx.message.get_content_type() == "multipart/alternative"
    text, html = gx.text, gx.html
    for body in (text, html):
        assert "济南市历下区工业和信息化局" in body
        assert PROBLEM_D20 in body
        assert "仓储物流数据归集" in body and "第二轮" in body
        assert "附件7" in body and "企业仓储物流（快递）信息归集模板" in body
        assert "已逾期 4 个工作日" in body
    assert f"{evidence_root}/区工信局/20-仓储物流数据归集/第二轮" in text
    assert "在依法依规获得市场主体授权前提下" in text  # the task text itself
    # soonest due first: round 2 (6-12), D26 (6-15), round 3 (6-20)
    assert text.index("6月12日") < text.index("【D26】") < text.index("第三轮")
    assert "不少于 50 条" in text  # what D26 requires
    assert "<table" in html and "<td" in html


def test_digest_gives_the_coordinator_the_whole_picture(catalog, home, evidence_root, smtp_server):
    _run(catalog, home, evidence_root, smtp_server.transport())
    digest = smtp_server.of_kind("digest")[0]
    assert digest.subject.startswith("【督办日报】6月18日（周五）：")
    text = digest.text
    assert "区工信局：逾期 2 项" in text
    assert "区行政审批局：逾期 1 项" in text
    assert "D09 信用异议与信用修复协同" in text and "D17" in text  # unassigned tasks
    assert "D14" in text and "区委组织部" in text  # platform item awaiting confirmation
    assert "材料不足：1" in text and "待分配：2" in text
    assert "区发改局：到期提醒，1 项，已发送" in text


def test_rerunning_the_same_round_sends_nothing_new(catalog, home, evidence_root, smtp_server):
    _run(catalog, home, evidence_root, smtp_server.transport())
    first = len(smtp_server.messages)
    again = _run(catalog, home, evidence_root, smtp_server.transport())
    third = _run(catalog, home, evidence_root, smtp_server.transport())

    assert len(smtp_server.messages) == first == JUNE18_MESSAGES
    assert {m.status for m in again.messages + third.messages} <= {"duplicate", "skipped"}
    assert len(again.duplicates) == JUNE18_MESSAGES


def test_server_down_queues_and_next_run_delivers_each_exactly_once(catalog, home, evidence_root, smtp_server):
    down = _run(catalog, home, evidence_root, closed_port_transport())
    assert len(down.queued) == JUNE18_MESSAGES and not down.sent  # the run completed; nothing lost
    assert "无法连接 SMTP 服务器" in down.queued[0].error
    assert smtp_server.messages == []

    up = _run(catalog, home, evidence_root, smtp_server.transport())
    assert sorted(m.unit for m in smtp_server.to_units()) == ["区发改局", "区工信局", "区行政审批局"]
    assert len(smtp_server.of_kind("digest")) == 1  # yesterday's queued digest was replaced, not sent as well
    assert len(up.sent) == JUNE18_MESSAGES

    _run(catalog, home, evidence_root, smtp_server.transport())
    flushed = flush_queue(catalog, home, transport=smtp_server.transport(), today=JUNE18)
    assert len(smtp_server.messages) == JUNE18_MESSAGES and flushed.messages == []


def test_flush_queue_delivers_queued_messages_once(catalog, home, evidence_root, smtp_server):
    _run(catalog, home, evidence_root, closed_port_transport())
    flushed = flush_queue(catalog, home, transport=smtp_server.transport(), today=JUNE18)
    assert len(flushed.sent) == JUNE18_MESSAGES
    assert sorted(m.unit for m in smtp_server.to_units()) == ["区发改局", "区工信局", "区行政审批局"]
    assert flush_queue(catalog, home, transport=smtp_server.transport(), today=JUNE18).messages == []
    later = _run(catalog, home, evidence_root, smtp_server.transport())
    assert len(smtp_server.to_units()) == 3  # no unit mailed twice
    assert {m.status for m in later.of_kind("upcoming", "overdue", "escalation") if m.status != "skipped"} == {
        "duplicate"
    }


def test_refused_address_fails_once_and_is_reported_to_the_coordinator(catalog, home, evidence_root, smtp_server):
    smtp_server.recorder.refuse["spj@lixia.example"] = "550 5.1.1 mailbox unavailable"
    copy = fast_policy(escalation_copy="cc")  # the coordinator copied on escalations, as some offices want
    outcome = _run(catalog, home, evidence_root, smtp_server.transport(), copy)

    failed = outcome.failed
    assert [m.unit for m in failed] == ["区行政审批局"]
    assert "550" in failed[0].error and "spj@lixia.example" in failed[0].error
    # the unit got nothing; the coordinator's copy (escalation Cc) still went through
    assert [m.rcpt_tos for m in smtp_server.for_unit("区行政审批局")] == [["duban@lixia.example"]]
    digest = smtp_server.of_kind("digest")[0]
    assert "发送问题" in digest.text and "spj@lixia.example" in digest.text and "550" in digest.text
    assert "封提醒发送失败" in digest.subject

    again = _run(catalog, home, evidence_root, smtp_server.transport(), copy)
    assert smtp_server.recorder.refused_attempts == ["spj@lixia.example"]  # not retried
    assert [m.status for m in again.for_unit("区行政审批局")] == ["failed"]
    assert len(smtp_server.of_kind("digest")) == 1


def test_bad_login_fails_without_leaking_the_password(catalog, home, evidence_root, monkeypatch, caplog):
    server = SmtpServer(password="right-password").start()
    try:
        secret = "Wr0ng-pass-9531"
        monkeypatch.setenv("DUBAN_SMTP_PASSWORD", secret)
        caplog.set_level(logging.DEBUG)
        outcome = _run(catalog, home, evidence_root, server.transport(user="duban@lixia.example"))

        assert server.messages == []
        assert len(outcome.failed) == JUNE18_MESSAGES
        assert all("登录被拒绝" in m.error for m in outcome.failed)
        assert len({peer for _, _, peer in server.logins}) == 1  # one login session, not one per message
        dumped = json.dumps(outcome.to_dict(), ensure_ascii=False)
        assert secret not in dumped and secret not in caplog.text
        assert secret.encode() not in home.db.read_bytes()
        assert not any(secret.encode() in p.read_bytes() for p in home.root.rglob("*") if p.is_file())

        # the password is fixed: a re-run the same day delivers (a set-up failure is not final)
        monkeypatch.setenv("DUBAN_SMTP_PASSWORD", "right-password")
        fixed = _run(catalog, home, evidence_root, server.transport(user="duban@lixia.example"))
        assert len(fixed.sent) == JUNE18_MESSAGES
        assert sorted(m.unit for m in server.to_units()) == ["区发改局", "区工信局", "区行政审批局"]
    finally:
        server.stop()


def test_sent_log_records_every_message_once(catalog, home, evidence_root, smtp_server):
    _run(catalog, home, evidence_root, smtp_server.transport())
    _run(catalog, home, evidence_root, smtp_server.transport())
    conn = sqlite3.connect(home.db)
    rows = conn.execute("SELECT unit, kind, day, status FROM reminder_log ORDER BY unit, kind").fetchall()
    conn.close()
    assert rows == [
        ("区发改局", "digest", "2021-06-18", "sent"),
        ("区发改局", "upcoming", "2021-06-18", "sent"),
        ("区商务局", "support", "2021-06-18", "sent"),
        ("区工信局", "escalation", "2021-06-18", "sent"),
        ("区工信局", "support", "2021-06-18", "sent"),
        ("区市场监管局", "support", "2021-06-18", "sent"),
        ("区行政审批局", "escalation", "2021-06-18", "sent"),
    ]


def _age_sending_rows(home, minutes=20):
    conn = sqlite3.connect(home.db)
    old = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(minutes=minutes)).isoformat()
    conn.execute("UPDATE reminder_log SET updated_at=? WHERE status='sending'", (old,))
    conn.commit()
    conn.close()


def test_a_reply_lost_after_the_content_went_out_is_never_resent(catalog, home, evidence_root, smtp_server):
    """SMTP is not transactional: the server has the message but its reply times out.
    Retrying would mail the unit twice; the message is recorded as uncertain and reported."""
    smtp_server.recorder.slow_for["spj@lixia.example"] = 3.0
    first = _run(catalog, home, evidence_root, smtp_server.transport(timeout=1))
    (spj,) = first.for_unit("区行政审批局")
    assert spj.status == "failed" and "发送结果不确定" in spj.error
    assert len(smtp_server.for_unit("区行政审批局")) == 1  # no retry within the run
    assert sorted(m.unit for m in first.sent if m.kind not in ("digest", "support")) == ["区发改局", "区工信局"]
    smtp_server.recorder.slow_for.clear()
    second = _run(catalog, home, evidence_root, smtp_server.transport())
    flush_queue(catalog, home, transport=smtp_server.transport(), today=JUNE18)
    assert len(smtp_server.for_unit("区行政审批局")) == 1  # nor on the next run
    assert second.for_unit("区行政审批局")[0].status == "failed"
    assert any("区行政审批局" in m.text and "发送结果不确定" in m.text for m in smtp_server.of_kind("digest"))


def _power_cut_before_the_next_record(monkeypatch):
    """The run dies right after a message left, before the sent-log records it."""
    from duban.notifications.sentlog import SentLog

    real = SentLog.mark_sent

    def crash_once(self, row_id, **kw):
        monkeypatch.setattr(SentLog, "mark_sent", real)
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(SentLog, "mark_sent", crash_once)


def test_a_crash_between_send_and_record_does_not_mail_twice(catalog, home, evidence_root, smtp_server, monkeypatch):
    _power_cut_before_the_next_record(monkeypatch)
    try:
        _run(catalog, home, evidence_root, smtp_server.transport())
    except KeyboardInterrupt:
        pass
    delivered = len(smtp_server.messages)
    assert delivered == 1  # the first message reached the server, the run died before recording it
    _age_sending_rows(home)  # the next run comes after the crashed one is clearly gone
    again = _run(catalog, home, evidence_root, smtp_server.transport())
    flush_queue(catalog, home, transport=smtp_server.transport(), today=JUNE18)
    counts = {}
    for m in smtp_server.messages:
        counts[(m.kind, m.unit)] = counts.get((m.kind, m.unit), 0) + 1
    assert max(counts.values()) == 1  # nothing delivered twice
    assert [m for m in again.messages if m.status == "failed" and "中断" in (m.error or "")]


def test_the_outbox_settles_an_interrupted_write_as_sent(catalog, home, evidence_root, monkeypatch):
    _power_cut_before_the_next_record(monkeypatch)
    try:
        send_reminders(catalog, june18_result(evidence_root), home, policy=fast_policy())
    except KeyboardInterrupt:
        pass
    assert len(list(home.outbox.rglob("*.eml"))) == 1
    _age_sending_rows(home)
    send_reminders(catalog, june18_result(evidence_root), home, policy=fast_policy())
    assert len(list(home.outbox.rglob("*.eml"))) == JUNE18_MESSAGES  # the written one counted as sent, the rest once
    conn = sqlite3.connect(home.db)
    assert {r[0] for r in conn.execute("SELECT status FROM reminder_log")} == {"sent"}
    conn.close()


def test_the_coordinator_gets_one_digest_a_day(catalog, home, evidence_root, smtp_server):
    morning = june18_result(evidence_root)
    send_reminders(catalog, morning, home, transport=smtp_server.transport(), policy=fast_policy())
    evening = june18_result(evidence_root)
    evening.as_of = evening.as_of.replace(hour=23, minute=59)  # the round run after the morning sweep
    evening.obligations = [o for o in evening.obligations if o.unit != "区行政审批局"]  # and things moved
    send_reminders(catalog, evening, home, transport=smtp_server.transport(), policy=fast_policy())
    assert len(smtp_server.of_kind("digest")) == 1
