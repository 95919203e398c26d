"""``duban campaign roll``: every date moves, due dates stay on working days, each change is
listed; a year the calendar does not know uses calendar.yaml or says it is guessing."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from duban.tasks_catalog import load_catalog
from duban.tasks_catalog import workcalendar as wc
from duban.tasks_catalog.roll import RollFailed, roll

YEAR = wc.first_unknown_year()


@pytest.fixture
def campaign(tmp_path, catalog):
    folder = tmp_path / "2021"
    shutil.copytree(catalog.root, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    wc.forget()
    yield folder
    wc.forget()


def test_to_2026_due_dates_move_to_the_previous_working_day(campaign, catalog):
    result = roll(campaign, to_year=2026)
    cat = result.catalog
    assert cat.campaign.year == 2026 and (cat.campaign.start, cat.campaign.end) == (
        dt.date(2026, 5, 25),
        dt.date(2026, 6, 30),
    )
    assert cat.tasks["D06"].task.rounds == [dt.date(2026, 6, 18)]  # 06-20 Saturday, 06-19 端午
    assert all(wc.is_workday(d) for d in cat.round_dates())
    d06 = next(c for c in result.changes if c.file == "tasks/D06.yaml")
    assert (d06.old, d06.new) == (dt.date(2021, 6, 20), dt.date(2026, 6, 18))
    assert "6月20日（周六" in d06.why and "6月19日（端午）" in d06.why and "6月18日（周四）" in d06.why
    # every date moved: windows, completion dates, the template note's dates, nothing left in 2021
    d08 = cat.tasks["D08"].task.evidence[0].window
    assert (d08.start, d08.end) == (dt.date(2026, 4, 1), dt.date(2026, 5, 31))
    assert cat.tasks["S07"].task.evidence[0].completed_by == dt.date(2026, 5, 31)
    assert "2026-04-01" in cat.templates["双公示台账"].note
    for path in [campaign / "campaign.yaml", campaign / "templates.yaml", *(campaign / "tasks").glob("*.yaml")]:
        assert "2021-" not in path.read_text(encoding="utf-8"), path
    # comments kept; the verbatim source cells are not touched
    assert (campaign / "campaign.yaml").read_text(encoding="utf-8").startswith("# 督办活动总设置")
    assert cat.tasks["D06"].task.source.due == "6月20日前"
    # the same task list otherwise
    assert [(t, rt.leads) for t, rt in cat.tasks.items()] == [(t, rt.leads) for t, rt in catalog.tasks.items()]


def test_rounds_that_would_collide_stay_apart(campaign):
    """2021-06-18 and 2021-06-20 both land on 2026-06-18: within one task they must stay two
    rounds (the later moves to the next working day); across tasks sharing a date is fine."""
    d = campaign / "tasks" / "D33.yaml"
    d.write_text(d.read_text(encoding="utf-8").replace("2021-06-10", "2021-06-18"), encoding="utf-8")
    result = roll(campaign, to_year=2026)
    assert result.catalog.tasks["D33"].task.rounds == [dt.date(2026, 6, 18), dt.date(2026, 6, 22)]
    [moved] = [c for c in result.changes if c.file == "tasks/D33.yaml" and "重合" in c.why]
    assert moved.new == dt.date(2026, 6, 22)


def test_to_an_unknown_year_without_calendar_warns_and_uses_weekends(campaign):
    result = roll(campaign, to_year=YEAR, into=campaign.parent / "next")
    assert result.warnings and f"缺少 {YEAR} 年" in result.warnings[0]
    assert all(d.weekday() < 5 for d in result.catalog.round_dates())
    assert (campaign.parent / "next" / "campaign.yaml").exists()
    assert load_catalog(campaign).campaign.year == 2021  # --into leaves the original alone


def test_to_an_unknown_year_with_calendar_yaml(campaign):
    """A festival the coordinator typed into calendar.yaml is a rest day for the roll."""
    plain = dt.date(YEAR, 6, 20)
    due, _ = wc.previous_workday(plain)  # weekends only
    (campaign / "calendar.yaml").write_text(
        f"years:\n  {YEAR}:\n    confirmed: true\n    holidays:\n      - {{name: 端午节, from: {due}, to: {due}}}\n",
        encoding="utf-8",
    )
    result = roll(campaign, to_year=YEAR)
    assert result.warnings == []
    new = result.catalog.tasks["D06"].task.rounds[0]
    assert new < due and wc.is_workday(new)
    [change] = [c for c in result.changes if c.file == "tasks/D06.yaml"]
    assert "端午节" in change.why


def test_shift_days_and_the_campaign_key(campaign):
    text = (campaign / "campaign.yaml").read_text(encoding="utf-8")
    (campaign / "campaign.yaml").write_text("id: 2021-信用\n" + text, encoding="utf-8")
    result = roll(campaign, shift_days=7)
    assert result.catalog.campaign.start == dt.date(2021, 6, 1) and result.catalog.campaign.key == "2021-信用"
    result = roll(campaign, to_year=2026)
    assert result.catalog.campaign.key == "2026-信用"  # a new year's rows never mix with the old year's


def test_a_roll_that_cannot_load_changes_nothing(campaign):
    """A due date on the campaign's first day that lands on a Saturday moves before the
    start: the rolled campaign does not load, and nothing is changed."""
    d = campaign / "tasks" / "D06.yaml"
    d.write_text(d.read_text(encoding="utf-8").replace("2021-06-20", "2021-05-25"), encoding="utf-8")
    before = {p: p.read_bytes() for p in campaign.rglob("*.yaml")}
    with pytest.raises(RollFailed, match="二选一"):
        roll(campaign)
    with pytest.raises(RollFailed, match="未通过校验.*D06.*不在活动期间"):
        roll(campaign, shift_days=4)  # 2021-05-29 is a Saturday: D06 would be due 05-28, before the start
    assert {p: p.read_bytes() for p in campaign.rglob("*.yaml")} == before
    assert sorted(p.name for p in campaign.parent.iterdir()) == ["2021"]  # no temporary leftover
