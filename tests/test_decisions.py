"""Decisions: the coordinator's accept / reject / waive / extend, stored with who, when and
why, withdrawable, and applied on top of the rules' verdicts (``duban.check.decisions``)."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.check import decisions
from duban.check.decisions import Decision, DecisionError
from duban.results import Obligation
from duban.store import Scope, Store
from duban.timeutil import TZ

D = dt.date
GX = "区工信局"
FILE = "区工信局/20-仓储物流数据归集/第二轮/台账.xlsx"


def at(day: int, hour: int = 9, month: int = 6) -> dt.datetime:
    return dt.datetime(2021, month, day, hour, tzinfo=TZ)


JUNE12, JUNE19, JUNE21 = D(2021, 6, 12), dt.datetime(2021, 6, 19, 9, tzinfo=TZ), dt.datetime(2021, 6, 21, 9, tzinfo=TZ)


def due_at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=TZ)


def decision(kind: str, *, made: dt.datetime = JUNE19, round: dt.date | None = JUNE12, **kw) -> Decision:
    kw.setdefault("note", "原因")
    return Decision(kw.pop("id", 1), kind, "D20", kw.pop("unit", GX), round, by="王科长", at=made, **kw)


def ob(status: str, *, files=(FILE,), problems=(), due: dt.date = JUNE12) -> Obligation:
    return Obligation("D20", GX, due, due, status, list(problems), list(files))


def apply(o: Obligation, *ds: Decision, as_of: dt.datetime = JUNE21, submitted=None) -> Obligation:
    (out,) = decisions.apply([o], ds, as_of, due_at=due_at, submitted=submitted or {FILE: at(11)})
    return out


# ---------------------------------------------------------------- waive
def test_waive_makes_it_waived_and_says_who_decided_it_and_why():
    o = ob("missing", files=(), problems=["缺少台账"])
    out = apply(o, decision("waive", note="本局无仓储物流业务"))
    assert out.status == "waived"
    assert out.problems == ["协调人 王科长 于 2021-06-19 决定：免报（本局无仓储物流业务）", "缺少台账"]
    assert o.status == "missing" and o.problems == ["缺少台账"]  # the rules' obligation is untouched


# ---------------------------------------------------------------- accept
def test_accept_is_ok_when_the_accepted_files_came_in_on_time():
    out = apply(ob("partial", problems=["台账有效数据 150 条，要求不少于 200 条"]), decision("accept", note="两份合并"))
    assert out.status == "ok"
    assert out.problems[0] == "协调人 王科长 于 2021-06-19 决定：认可（两份合并）"
    assert out.problems[1] == "台账有效数据 150 条，要求不少于 200 条"  # what the rules found stays visible


def test_accept_is_late_when_the_evidence_came_after_the_due_time():
    assert apply(ob("partial"), decision("accept"), submitted={FILE: at(14)}).status == "late"
    # nothing on file: the decision itself is when it was settled
    assert apply(ob("missing", files=()), decision("accept", made=at(19))).status == "late"
    assert apply(ob("pending", files=()), decision("accept", made=at(10)), as_of=at(10, 12)).status == "ok"


def test_accept_of_a_platform_item_is_ok_whenever_the_coordinator_confirms_it():
    assert apply(ob("confirm", files=()), decision("accept", made=at(25)), as_of=at(26)).status == "ok"


# ---------------------------------------------------------------- reject
def test_reject_keeps_it_open_with_the_reason_until_a_newer_file_arrives():
    out = apply(ob("ok"), decision("reject", note="台账是去年的数据"))
    assert out.status == "partial"
    assert out.problems == ["协调人 王科长 于 2021-06-19 决定：驳回（台账是去年的数据），请按要求重新报送"]

    newer = "区工信局/20-仓储物流数据归集/第二轮/台账-更正.xlsx"
    again = apply(ob("late", files=(FILE, newer)), decision("reject"), submitted={FILE: at(11), newer: at(20)})
    assert again.status == "late"  # the rules judge the new submission
    assert "此后已收到新材料，按规则重新判定" in again.problems[0]
    # a newer file the check cannot see yet (after its as-of time) does not lift the rejection
    later = apply(
        ob("ok", files=(FILE, newer)), decision("reject"), as_of=at(20, 8), submitted={FILE: at(11), newer: at(20)}
    )
    assert later.status == "partial"


def test_reject_before_the_due_date_is_pending_not_partial():
    o = ob("ok", due=D(2021, 6, 20))
    out = apply(o, decision("reject", made=at(15), round=D(2021, 6, 20)), as_of=at(16))
    assert out.status == "pending"


# ---------------------------------------------------------------- extend
def test_extend_turns_an_overdue_missing_into_pending_until_the_new_date():
    d = decision("extend", until=D(2021, 6, 25), note="系统故障")
    out = apply(ob("missing", files=()), d, as_of=at(21))
    assert (out.status, out.due, out.round) == ("pending", D(2021, 6, 25), D(2021, 6, 12))
    assert out.problems[0] == "协调人 王科长 于 2021-06-19 决定：延期至 6月25日（系统故障）"
    assert apply(ob("missing", files=()), d, as_of=at(26)).status == "missing"
    assert apply(ob("pending", files=()), d, as_of=at(26)).status == "missing"
    assert apply(ob("partial"), d, as_of=at(21)).status == "pending"


def test_extend_judges_a_late_submission_against_the_new_date():
    late = ob("late", problems=["第二轮（6月12日前）材料于 06月14日 10:00 提交，晚于截止时间 6月12日 24时"])
    d = decision("extend", until=D(2021, 6, 15))
    out = apply(late, d, submitted={FILE: at(14, 10)})
    assert out.status == "ok" and not any("晚于截止时间" in p for p in out.problems)
    assert apply(late, d, submitted={FILE: at(16)}).status == "late"


def test_extend_then_accept_is_judged_against_the_new_date():
    ext = decision("extend", id=1, made=at(13), until=D(2021, 6, 15))
    acc = decision("accept", id=2, made=at(16))
    assert apply(ob("partial"), ext, acc, submitted={FILE: at(14)}).status == "ok"


# ---------------------------------------------------------------- which obligations, when
def test_a_decision_without_round_covers_every_round_and_only_its_unit():
    obligations = [ob("missing", files=(), due=D(2021, 6, d)) for d in (4, 12, 20)] + [
        Obligation("D20", "区财政局", D(2021, 6, 12), D(2021, 6, 12), "missing")
    ]
    out = decisions.apply(obligations, [decision("waive", round=None)], at(21), due_at=due_at)
    assert [o.status for o in out] == ["waived", "waived", "waived", "missing"]
    one = decisions.apply(obligations, [decision("waive", round=D(2021, 6, 12))], at(21), due_at=due_at)
    assert [o.status for o in one] == ["missing", "waived", "missing", "missing"]


def test_the_latest_verdict_wins_and_applying_twice_changes_nothing():
    first = decision("waive", id=1, made=at(19, 9))
    second = decision("reject", id=2, made=at(19, 10))
    once = decisions.apply([ob("ok")], [second, first], at(21), due_at=due_at, submitted={FILE: at(11)})
    assert once[0].status == "partial"
    twice = decisions.apply(once, [second, first], at(21), due_at=due_at, submitted={FILE: at(11)})
    assert twice == once


def test_a_check_as_of_a_time_uses_the_decisions_in_force_then():
    d = decision("waive", made=at(19), withdrawn_by="王科长", withdrawn_at=at(22), withdraw_note="误操作")
    assert apply(ob("missing"), d, as_of=at(18)).status == "missing"  # not made yet
    assert apply(ob("missing"), d, as_of=at(20)).status == "waived"  # in force
    assert apply(ob("missing"), d, as_of=at(23)).status == "missing"  # withdrawn by then


# ---------------------------------------------------------------- the store
SCOPE = Scope("历下区", "2021-信用")


@pytest.fixture
def store(home) -> Store:
    return Store.open(home, SCOPE)


def test_decisions_are_stored_with_who_when_and_why_and_withdrawn_once(store):
    waive = decisions.add(store, SCOPE, "waive", "D20", GX, "本局无此项业务", by="王科长", at=at(19))
    ext = decisions.add(
        store,
        SCOPE,
        "extend",
        "D26",
        GX,
        "系统故障",
        round=D(2021, 6, 15),
        until=D(2021, 6, 25),
        by="王科长",
        at=at(19),
    )
    assert [d.kind for d in decisions.history(store, SCOPE)] == ["waive", "extend"]
    assert decisions.get(store, SCOPE, ext.id).until == D(2021, 6, 25)

    gone = decisions.withdraw(store, SCOPE, waive.id, "误操作", by="李主任", at=at(20))
    assert (gone.withdrawn_by, gone.withdrawn_at, gone.withdraw_note) == ("李主任", at(20), "误操作")
    assert [d.id for d in decisions.standing(store, SCOPE, at(19, 12))] == [waive.id, ext.id]
    assert [d.id for d in decisions.standing(store, SCOPE, at(21))] == [ext.id]
    assert len(decisions.history(store, SCOPE)) == 2  # the withdrawn one stays on record

    with pytest.raises(DecisionError, match="已于 2021-06-20 09:00 由 李主任 撤销"):
        decisions.withdraw(store, SCOPE, waive.id, "再撤一次")
    with pytest.raises(DecisionError, match="没有编号为 99 的决定"):
        decisions.withdraw(store, SCOPE, 99, "x")


def test_decisions_need_a_reason_and_stay_in_their_district(store, home):
    with pytest.raises(DecisionError, match="请写明理由"):
        decisions.add(store, SCOPE, "waive", "D20", GX, "  ")
    with pytest.raises(DecisionError, match="新的截止日期"):
        decisions.add(store, SCOPE, "extend", "D20", GX, "x")
    decisions.add(store, SCOPE, "waive", "D20", GX, "x")
    other = Scope("市中区", "2021-信用")
    assert decisions.history(Store.open(home, other), other) == []


def test_resolve_checks_the_request_against_the_catalog(catalog):
    assert decisions.resolve(catalog, "waive", "d20", "工信局") == ("D20", GX, None)
    with pytest.raises(DecisionError, match="不是任务 D20 的责任单位"):
        decisions.resolve(catalog, "waive", "D20", "区财政局")
    with pytest.raises(DecisionError, match="不是任务 D20 的轮次截止日期"):
        decisions.resolve(catalog, "waive", "D20", GX, D(2021, 6, 13))
    with pytest.raises(DecisionError, match="应晚于原截止日期"):
        decisions.resolve(catalog, "extend", "D20", GX, D(2021, 6, 12), D(2021, 6, 10))
    with pytest.raises(DecisionError, match="没有截止日期"):
        decisions.resolve(catalog, "reject", "D01", catalog.task("D01").leads[0])


def test_a_confirmation_reads_as_an_accept(catalog):
    from duban.check.confirmations import Confirmation

    d = decisions.from_confirmation(
        Confirmation("D14", "区委组织部", "王科长", "2021-06-20T10:00:00+08:00", "平台已归集")
    )
    out = decisions.apply(
        [Obligation("D14", "区委组织部", D(2021, 6, 23), D(2021, 6, 23), "confirm")], [d], at(21), due_at=due_at
    )
    assert out[0].status == "ok" and "认可（平台已归集）" in out[0].problems[0]
