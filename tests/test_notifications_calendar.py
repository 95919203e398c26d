"""Reminder days follow the Chinese calendar: weekends, public holidays and make-up working days."""

from __future__ import annotations

import datetime as dt

import pytest
from smtp_server import (
    closed_port_transport,
    fast_policy,
    june18_result,
    single_item_result,
)

from duban.notifications import SettingsError, flush_queue, load_policy, send_reminders
from duban.notifications.workdays import is_makeup_workday, is_workday, workday_before, workdays_between

D = dt.date


def test_working_days_come_from_the_calendar():
    assert not is_workday(D(2021, 6, 14))  # Monday, Dragon Boat Festival
    assert is_workday(D(2021, 9, 18)) and is_makeup_workday(D(2021, 9, 18))  # a Saturday worked for Mid-Autumn
    assert not is_workday(D(2021, 9, 20))  # Monday, Mid-Autumn holiday
    assert workday_before(D(2021, 6, 15), 3) == D(2021, 6, 9)  # 12..14 are off
    assert workday_before(D(2021, 6, 15), 1) == D(2021, 6, 11)
    assert workday_before(D(2021, 9, 22), 1) == D(2021, 9, 18)  # the make-up Saturday counts
    assert workdays_between(D(2021, 6, 10), D(2021, 6, 15)) == 2  # 6-11 and 6-15


@pytest.mark.parametrize("day", [D(2021, 6, 12), D(2021, 6, 13), D(2021, 6, 14)])
def test_no_reminder_on_the_dragon_boat_weekend(catalog, home, evidence_root, smtp_server, day):
    result = june18_result(evidence_root)
    outcome = send_reminders(catalog, result, home, today=day, transport=smtp_server.transport(), policy=fast_policy())

    assert smtp_server.messages == []  # no unit reminder, no digest on a rest day
    skipped = [m for m in outcome.messages if m.status == "skipped"]
    assert skipped and all("休息日" in m.error for m in skipped)
    if day == D(2021, 6, 14):
        assert "端午" in skipped[0].error


def test_upcoming_reminders_count_working_days_across_the_holiday(catalog, home, evidence_root, smtp_server):
    """D26 (区工信局) is due Tuesday 6-15: reminded 3 working days before (6-09) and 1 before (6-11)."""
    sent_on = []
    for day in (D(2021, 6, 8), D(2021, 6, 9), D(2021, 6, 10), D(2021, 6, 11), D(2021, 6, 12), D(2021, 6, 14)):
        result = single_item_result(
            evidence_root, task="D26", unit="区工信局", due=D(2021, 6, 15), status="pending", as_of=day
        )
        before = len(smtp_server.to_units())
        send_reminders(catalog, result, home, transport=smtp_server.transport(), policy=fast_policy())
        if len(smtp_server.to_units()) > before:
            sent_on.append(day)
    assert sent_on == [D(2021, 6, 9), D(2021, 6, 11)]
    first = smtp_server.to_units()[0]
    assert first.kind == "upcoming"
    assert first.subject == "【督办提醒】区工信局：1项材料待报送，最近截止 6月15日"
    assert "距截止还有 3 个工作日" in first.text


def test_overdue_every_working_day_then_escalated(catalog, home, evidence_root, smtp_server):
    """D07 round 1 (区行政审批局) was due Thursday 6-10 and nothing came."""
    kinds = {}
    for day in (D(2021, 6, 11), D(2021, 6, 12), D(2021, 6, 15), D(2021, 6, 16)):
        result = single_item_result(
            evidence_root,
            task="D07",
            unit="区行政审批局",
            due=D(2021, 6, 10),
            status="missing",
            as_of=day,
            problems=["未报送"],
        )
        send_reminders(
            catalog, result, home, transport=smtp_server.transport(), policy=fast_policy(), units=["区行政审批局"]
        )
        kinds[day] = [(m.kind, m.cc) for m in smtp_server.to_units() if m.message["X-Duban-Day"] == day.isoformat()]
    assert kinds[D(2021, 6, 11)] == [("overdue", [])]
    assert kinds[D(2021, 6, 12)] == []  # Saturday
    assert kinds[D(2021, 6, 15)] == [("overdue", [])]  # 2 working days overdue
    assert kinds[D(2021, 6, 16)] == [("escalation", [])]  # more than 2: escalated, into the coordinator's digest
    assert "逾期超过 2 个工作日的事项已列入区发改局的督办日报" in smtp_server.to_units()[-1].text

    # an office that wants every escalation copied says so in the policy
    result = single_item_result(
        evidence_root, task="D07", unit="区行政审批局", due=D(2021, 6, 10), status="missing", as_of=D(2021, 6, 17)
    )
    send_reminders(
        catalog,
        result,
        home,
        transport=smtp_server.transport(),
        policy=fast_policy(escalation_copy="cc"),
        units=["区行政审批局"],
    )
    assert smtp_server.to_units()[-1].cc == ["duban@lixia.example"]
    assert "逾期超过 2 个工作日的事项提醒同时抄送区发改局" in smtp_server.to_units()[-1].text


def test_a_make_up_working_day_gets_its_reminder(catalog, home, evidence_root, smtp_server):
    """A (synthetic) due date of Wednesday 2021-09-22, after the Mid-Autumn break: the last
    working day before it is the make-up Saturday 9-18, which gets the 1-day reminder."""
    for day in (D(2021, 9, 18), D(2021, 9, 19), D(2021, 9, 20)):
        result = single_item_result(
            evidence_root, task="D06", unit="区财政局", due=D(2021, 9, 22), status="pending", as_of=day
        )
        send_reminders(catalog, result, home, transport=smtp_server.transport(), policy=fast_policy())
    mails = smtp_server.to_units()
    assert [m.message["X-Duban-Day"] for m in mails] == ["2021-09-18"]
    assert mails[0].subject == "【督办提醒】区财政局：1项材料待报送，最近截止 9月22日"
    assert "距截止还有 1 个工作日" in mails[0].text  # 9-19..21 are off: 9-22 is the next working day


def test_policy_is_data_overridable_in_settings(home, tmp_path):
    home.settings_file.write_text("reminders:\n  before_due: [5, 2, 0]\n  escalate_after: 0\n", encoding="utf-8")
    policy = load_policy(home)
    assert policy.before_due == (5, 2, 0) and policy.escalate_after == 0
    assert policy.overdue_every == 1 and policy.send_digest  # the rest keep the packaged defaults

    home.settings_file.write_text("reminders:\n  escalate_afer: 3\n", encoding="utf-8")
    with pytest.raises(SettingsError) as e:
        load_policy(home)
    assert "settings.yaml" in str(e.value) and "escalate_after" in str(e.value)


def test_queued_reminders_wait_for_a_working_day(catalog, home, evidence_root, smtp_server):
    """Friday 6-11 the server is down; over the holiday nothing goes to units; Tuesday 6-15 the
    unit gets one up-to-date reminder (Friday's queued one is replaced, not sent as well)."""

    def result(day):
        return single_item_result(
            evidence_root, task="D07", unit="区行政审批局", due=D(2021, 6, 10), status="missing", as_of=day
        )

    friday = send_reminders(
        catalog, result(D(2021, 6, 11)), home, transport=closed_port_transport(), policy=fast_policy()
    )
    assert [m.status for m in friday.of_kind("overdue")] == ["queued"]
    for day in (D(2021, 6, 12), D(2021, 6, 14)):
        send_reminders(catalog, result(day), home, transport=smtp_server.transport(), policy=fast_policy())
        flush_queue(catalog, home, transport=smtp_server.transport(), today=day)
    assert smtp_server.to_units() == []

    send_reminders(catalog, result(D(2021, 6, 15)), home, transport=smtp_server.transport(), policy=fast_policy())
    mails = smtp_server.for_unit("区行政审批局")
    assert len(mails) == 1 and mails[0].message["X-Duban-Day"] == "2021-06-15"
    assert "已逾期 2 个工作日" in mails[0].text
