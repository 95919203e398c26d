"""prefect.yaml is generated from the catalog: the committed file matches it, and its
schedules fire exactly on the catalog's due dates (parsed the way Prefect's scheduler does)."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from click.testing import CliRunner

from duban.cli import cli
from duban.flows import deployments
from duban.tasks_catalog import load_catalog

CAT = load_catalog()
SH = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parent.parent


def committed() -> dict:
    return yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))


def by_name() -> dict[str, dict]:
    return {d["name"]: d for d in committed()["deployments"]}


def test_committed_prefect_yaml_matches_the_catalog():
    assert deployments.differences(CAT, REPO / "prefect.yaml") == []
    assert (REPO / "prefect.yaml").read_text(encoding="utf-8") == deployments.render(CAT)
    r = CliRunner().invoke(cli, ["schedule", "--check"])
    assert r.exit_code == 0, r.output
    assert set(by_name()) == {"round", "sweep", "recheck"}


def test_round_schedule_fires_exactly_on_the_catalog_rounds():
    from prefect.server.schemas.schedules import RRuleSchedule

    [entry] = by_name()["round"]["schedules"]
    assert entry["timezone"] == "Asia/Shanghai" and entry["active"] is True
    schedule = RRuleSchedule(rrule=entry["rrule"], timezone=entry["timezone"])
    dates = asyncio.run(
        schedule.get_dates(n=100, start=dt.datetime(2021, 1, 1, tzinfo=SH), end=dt.datetime(2022, 1, 1, tzinfo=SH))
    )
    local = [d.astimezone(SH) for d in dates]
    assert [d.date() for d in local] == CAT.round_dates()
    assert {(d.hour, d.minute) for d in local} == {(23, 58)}  # just before each due date closes
    # and the same with dateutil alone
    assert deployments.schedule_dates([entry]) == CAT.round_dates()


def test_sweep_runs_every_morning_and_recheck_is_on_demand():
    from prefect.server.schemas.schedules import RRuleSchedule

    [entry] = by_name()["sweep"]["schedules"]
    sweep = RRuleSchedule(rrule=entry["rrule"], timezone=entry["timezone"])
    dates = asyncio.run(
        sweep.get_dates(n=100, start=dt.datetime(2021, 1, 1, tzinfo=SH), end=dt.datetime(2022, 1, 1, tzinfo=SH))
    )
    days = [d.astimezone(SH).date() for d in dates]
    camp = CAT.campaign
    assert days == [camp.start + dt.timedelta(days=i) for i in range((camp.end - camp.start).days + 1)]
    assert all(d.astimezone(SH).hour == 9 for d in dates)  # every campaign morning, none after it
    assert by_name()["recheck"]["schedules"] == []


def test_entrypoints_load_and_recheck_parameters_are_described():
    import os

    from prefect.flows import load_flow_from_entrypoint
    from prefect.utilities.callables import parameter_schema

    cwd = os.getcwd()
    os.chdir(REPO)  # prefect deploy runs from the repository top
    try:
        flows = {d["name"]: load_flow_from_entrypoint(d["entrypoint"]) for d in committed()["deployments"]}
    finally:
        os.chdir(cwd)
    assert {n: f.name for n, f in flows.items()} == {"round": "round", "sweep": "sweep", "recheck": "recheck"}
    props = parameter_schema(flows["recheck"]).model_dump()["properties"]
    assert {"units", "tasks", "notify", "as_of", "evidence_root"} <= set(props)
    assert all(p.get("description") for p in props.values()), props


def test_check_fails_when_the_file_and_the_catalog_disagree(tmp_path):
    stale = tmp_path / "prefect.yaml"
    shutil.copy(REPO / "prefect.yaml", stale)
    text = stale.read_text(encoding="utf-8").replace("20210618T235800,", "")
    stale.write_text(text, encoding="utf-8")
    diffs = deployments.differences(CAT, stale)
    assert diffs and "2021-06-18" in diffs[0]
    r = CliRunner().invoke(cli, ["schedule", "--check", "--path", str(stale)])
    assert r.exit_code != 0
    r = CliRunner().invoke(cli, ["schedule", "--path", str(stale)])
    assert r.exit_code == 0 and deployments.differences(CAT, stale) == []


def test_a_round_is_never_judged_before_it_closes():
    from duban.flows.round import wait_for_close

    close = dt.datetime(2021, 6, 20, 23, 59, 59, tzinfo=SH) + dt.timedelta(seconds=1)
    slept = []
    # the scheduled start at 23:58 waits for the close, then judges at the close
    assert wait_for_close(close, now=close - dt.timedelta(minutes=2), sleep=slept.append) == close
    assert slept == [120.0]
    # by hand in the afternoon: judged as of now, so today's items are pending, not missing
    afternoon = dt.datetime(2021, 6, 20, 15, 0, tzinfo=SH)
    assert wait_for_close(close, now=afternoon, sleep=slept.append) == afternoon and len(slept) == 1
    # a past round (the demo, a re-run): judged at its close
    assert wait_for_close(close, now=close + dt.timedelta(days=3), sleep=slept.append) == close
