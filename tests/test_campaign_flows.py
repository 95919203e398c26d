"""The flows and the campaign's calendar: a round run outside the campaign mails nobody
unless forced; the campaign named in settings.yaml is the one a flow runs; a year without a
holiday calendar is said in every run."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from duban.home import Home
from duban.tasks_catalog import CATALOG_DIR
from duban.tasks_catalog import workcalendar as wc
from duban.tasks_catalog.roll import roll
from duban.timeutil import TZ

pytestmark = pytest.mark.prefect


def emls(home: Home) -> list:
    return sorted(home.outbox.rglob("*.eml"))


def test_a_quick_run_long_after_the_campaign_mails_nobody(tmp_path, evidence_root, prefect_harness):
    """The UI's Run button with no parameters, years after the 2021 list: checked and
    reported, but no unit and no coordinator is mailed, and the state says why."""
    from duban.flows.round import round_flow

    home = Home.resolve(tmp_path / "home")
    state = round_flow(evidence_root=str(evidence_root), home=str(home.root), return_state=True)
    s = state.result()
    assert state.name == "Held" and "已过督办期" in state.message and "force=True" in state.message
    assert emls(home) == [] and s.reminders == []
    assert s.report is not None  # the check itself still ran and was stored
    assert any("已过督办期" in w for w in s.warnings)

    # forced on a working day long after the campaign (Wednesday 2026-12-02): units are never
    # reminded on a rest day, forced or not, so "today" would fail this on a weekend
    workday = dt.datetime(2026, 12, 2, 18, 0, tzinfo=TZ)
    forced = round_flow(evidence_root=str(evidence_root), home=str(home.root), force=True, as_of=workday)
    assert forced.state == "completed" and emls(home)  # after a human look, force sends


def test_a_flow_runs_the_campaign_the_settings_name_and_warns_about_its_calendar(
    tmp_path, evidence_root, prefect_harness
):
    from duban.flows.round import round_flow

    year = wc.first_unknown_year()
    folder = tmp_path / "next"
    shutil.copytree(CATALOG_DIR, tmp_path / "src", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    wc.forget()
    rolled = roll(tmp_path / "src", to_year=year, into=folder).catalog
    wc.forget()
    home = Home.resolve(tmp_path / "home")
    home.settings_file.write_text(f"campaign: '{folder}'\n", encoding="utf-8")
    first = rolled.round_dates()[0]
    s = round_flow(round_date=first, evidence_root=str(evidence_root), home=str(home.root), notify=False)
    assert s.round_date == first and first.year == year  # the rolled campaign, not the shipped one
    assert any(f"缺少 {year} 年" in w for w in s.warnings)
    (folder / "calendar.yaml").write_text(
        f"years:\n  {year}:\n    confirmed: true\n    holidays: []\n", encoding="utf-8"
    )
    s = round_flow(round_date=first, evidence_root=str(evidence_root), home=str(home.root), notify=False)
    assert not any("节假日" in w for w in s.warnings)
    wc.forget()


def test_sweep_says_the_calendar_warning_even_on_a_skipped_day(tmp_path, prefect_harness):
    from duban.flows.sweep import sweep_flow

    year = wc.first_unknown_year()
    folder = tmp_path / "next"
    shutil.copytree(CATALOG_DIR, tmp_path / "src", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    wc.forget()
    roll(tmp_path / "src", to_year=year, into=folder)
    home = Home.resolve(tmp_path / "home")
    home.settings_file.write_text(f"campaign: '{folder}'\n", encoding="utf-8")
    s = sweep_flow(day=dt.date(year, 1, 2), home=str(home.root))
    assert s.state == "skipped" and "不在督办期内" in s.message
    assert any(f"缺少 {year} 年" in w for w in s.warnings)
    wc.forget()
