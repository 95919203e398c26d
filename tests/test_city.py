"""A city without a server: city.yaml read and checked (Chinese errors naming the district),
the deployments it generates (names, environments, queues, schedules of each district's own
rounds, concurrency, the district's own trigger, a pull step without the deploying machine's
path), ``duban schedule --check --city``, and the city report written from check results."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from duban.city import deploy
from duban.city.report import SHEETS, DistrictOutcome, build, write_city_report
from duban.city.spec import CityError, load_city
from duban.cli import cli
from duban.reports import load_settings
from duban.reports.html import outside_references
from duban.results import CheckResult, Obligation
from duban.tasks_catalog import load_catalog
from duban.tasks_catalog.roll import roll
from duban.testing.city import city_yaml, district_campaign
from duban.timeutil import TZ

LC = "历城区"


@pytest.fixture(scope="module")
def lc_campaign(tmp_path_factory) -> Path:
    return district_campaign(tmp_path_factory.mktemp("lc") / "campaign", LC, domain="licheng.example")


def two_districts(tmp_path: Path, lc_campaign: Path, **extra) -> Path:
    return city_yaml(
        tmp_path / "city" / "city.yaml",
        [
            {"name": "历下区", "evidence": str(tmp_path / "share-lx"), "coordinators": ["xyb@lixia.example"]},
            {"name": LC, "campaign": str(lc_campaign), "evidence": "shares/lc", "queue": "licheng", **extra},
        ],
        name="济南市",
        env={"DUBAN_SMTP_HOST": "smtp.jinan.example"},
    )


# ---------------------------------------------------------------- city.yaml
def test_a_city_file_names_each_district_its_campaign_share_queue_and_data_directory(tmp_path, lc_campaign):
    city = load_city(two_districts(tmp_path, lc_campaign))
    lx, lc = city.districts
    assert (city.name, city.pool, city.home) == ("济南市", "duban", tmp_path / "city" / "data")
    assert lx.campaign is None and lx.catalog.campaign.key == load_catalog().campaign.key  # the shipped list
    assert lc.campaign == lc_campaign and lc.catalog.find_unit("历城区工信局") is not None
    assert lc.evidence == str(tmp_path / "city" / "shares" / "lc")  # relative to city.yaml's folder
    assert (lx.home, lc.home) == (city.home / "历下区", city.home / LC)
    assert lc.deployment("recheck") == "recheck-历城区" and lc.queue == "licheng"
    env = lc.environment(city.env)
    assert env == {
        "DUBAN_SMTP_HOST": "smtp.jinan.example",
        "DUBAN_HOME": str(city.home / LC),
        "DUBAN_EVIDENCE": lc.evidence,
        "DUBAN_DISTRICT": LC,
        "DUBAN_CATALOG": str(lc_campaign),
    }
    assert lx.environment()["DUBAN_COORDINATOR_EMAILS"] == "xyb@lixia.example"
    assert "DUBAN_CATALOG" not in lx.environment()  # the example: the worker's installed duban has it


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"queu": "x"}, ["第 2 个区（历城区）", "未知字段 'queu'", "是不是 'queue'"]),
        ({"evidence": None}, ["第 2 个区（历城区）", "缺少 evidence"]),
        ({"coordinators": ["科长"]}, ["第 2 个区（历城区）", "'科长' 不是邮箱地址"]),
        ({"env": {"DUBAN_SMTP_PASSWORD": "x"}}, ["第 2 个区（历城区）", "DUBAN_SMTP_PASSWORD 是密码", "worker"]),
        ({"env": {"DUBAN_DATABASE_URL": "postgresql://u:p@h/db"}}, ["不能写在文件里"]),
        ({"name": "历城/区"}, ["不能用于部署名的字符 /"]),
        ({"campaign": "no-such-folder"}, ["第 2 个区（历城区）", "督办活动文件夹", "no-such-folder"]),
    ],
)
def test_mistakes_in_the_city_file_name_the_district_and_the_fix(tmp_path, lc_campaign, change, says):
    path = two_districts(tmp_path, lc_campaign)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["districts"][1].update(change)
    if "evidence" in change and change["evidence"] is None:
        del data["districts"][1]["evidence"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CityError) as e:
        load_city(path)
    msg = str(e.value)
    assert msg.startswith(f"城市文件有误：{path}") and "怎么改" in msg
    for part in says:
        assert part in msg, msg
    r = CliRunner().invoke(cli, ["city", "check", str(path)])
    assert r.exit_code != 0 and says[-1] in r.output and "Traceback" not in r.output


def test_the_same_campaign_twice_in_a_district_or_two_districts_in_one_data_directory_is_refused(tmp_path, lc_campaign):
    path = city_yaml(
        tmp_path / "city.yaml",
        [
            {"name": LC, "campaign": str(lc_campaign), "evidence": "a"},
            {"name": LC, "campaign": str(lc_campaign), "evidence": "b"},
        ],
    )
    with pytest.raises(CityError, match="列了不止一次"):
        load_city(path)
    path = city_yaml(
        tmp_path / "city.yaml",
        [
            {"name": "历下区", "evidence": "a", "home": "d"},
            {"name": LC, "campaign": str(lc_campaign), "evidence": "b", "home": "d"},
        ],
    )
    with pytest.raises(CityError, match="数据目录 .* 与 历下区 相同"):
        load_city(path)


# ---------------------------------------------------------------- the deployments
def test_each_district_gets_its_own_deployments_environment_queue_schedules_and_trigger(tmp_path, lc_campaign):
    rolled = roll(lc_campaign, shift_days=7, into=tmp_path / "lc-later").catalog  # 历城区's rounds a week later
    path = two_districts(tmp_path, rolled.root)
    city = load_city(path)
    proj = deploy.project(city)
    deps = {d["name"]: d for d in proj["deployments"]}
    assert set(deps) == {f"{f}-{d}" for f in ("round", "sweep", "recheck") for d in ("历下区", LC)} | {"city"}

    lc = deps[f"round-{LC}"]
    assert lc["entrypoint"] == "duban.flows.round.round_flow"  # a module path: any folder, no checkout
    assert lc["work_pool"] == {
        "name": "duban",
        "work_queue_name": "licheng",
        "job_variables": {
            "env": {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30", **city.districts[1].environment(city.env)}
        },
    }  # heartbeats every 30 s: a run whose worker is lost is marked Crashed (deploy.ensure_zombie_automation)
    assert lc["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}
    assert deps[f"sweep-{LC}"]["concurrency_limit"]["limit"] == 1 and "concurrency_limit" not in deps[f"recheck-{LC}"]
    from duban.flows.deployments import schedule_dates

    assert schedule_dates(lc["schedules"]) == rolled.round_dates()  # its own rounds
    assert schedule_dates(deps["round-历下区"]["schedules"]) == load_catalog().round_dates()
    # the district's uploads start only the district's recheck
    [trigger] = deps[f"recheck-{LC}"]["triggers"]
    assert trigger["match"] == {"prefect.resource.id": "duban.unit.*", "duban.district": LC}
    assert trigger["expect"] == ["duban.evidence.changed"] and trigger["parameters"]["receipt"] is True
    # no path of this machine in the pull step: it only enters the run's DUBAN_HOME, read on the worker
    assert proj["pull"] == [{"duban.flows.deployments.enter_home": {}}]
    # the city: the morning after the dates both districts share (none: the rounds differ by a week)
    assert deploy.common_round_dates(city) == sorted(set(load_catalog().round_dates()) & set(rolled.round_dates()))
    params = deps["city"]["parameters"]
    assert [d["deployment"] for d in params["districts"]] == ["recheck/recheck-历下区", f"recheck/recheck-{LC}"]


def test_the_city_flow_runs_the_morning_after_each_shared_round(tmp_path, lc_campaign):
    city = load_city(two_districts(tmp_path, lc_campaign))
    [entry] = deploy.city_entry(city)["schedules"]
    from duban.flows.deployments import schedule_dates

    assert schedule_dates([entry]) == [d + dt.timedelta(days=1) for d in load_catalog().round_dates()]
    assert "T080000" in entry["rrule"] and entry["timezone"] == "Asia/Shanghai"


def test_several_campaigns_in_one_district_are_keyed_by_campaign(tmp_path, lc_campaign):
    other = district_campaign(tmp_path / "second", LC, domain="licheng.example", campaign_id="2021-历城区-营商环境")
    city = load_city(
        city_yaml(
            tmp_path / "city.yaml",
            [
                {"name": LC, "campaign": str(lc_campaign), "evidence": "s1"},
                {"name": LC, "campaign": str(other), "evidence": "s2"},
            ],
            home=str(tmp_path / "data"),
        )
    )
    a, b = city.districts
    assert a.deployment("round") == "round-历城区-2021-历城区-信用示范"
    assert b.deployment("recheck") == "recheck-历城区-2021-历城区-营商环境"
    assert (a.home, b.home) == (
        tmp_path / "data" / LC / "2021-历城区-信用示范",
        tmp_path / "data" / LC / "2021-历城区-营商环境",
    )
    assert a.scope != b.scope and a.label == "历城区 · 2021-历城区-信用示范"
    names = [d["name"] for d in deploy.project(city)["deployments"]]
    assert len(names) == len(set(names)) == 7
    [trigger] = deploy.project(city)["deployments"][2]["triggers"]
    assert trigger["match"]["duban.campaign"] == "2021-历城区-信用示范"


def test_schedule_check_understands_a_city_file(tmp_path, lc_campaign):
    path = two_districts(tmp_path, lc_campaign)
    r = CliRunner().invoke(cli, ["city", "deploy", str(path), "--no-apply"])
    assert r.exit_code == 0, r.output
    written = path.parent / "prefect.yaml"
    assert deploy.is_city_file(written)
    r = CliRunner().invoke(cli, ["schedule", "--check", "--city", str(path)])
    assert r.exit_code == 0 and "一致（2 个区，7 个部署）" in r.output, r.output
    r = CliRunner().invoke(cli, ["schedule", "--check", "--path", str(written)])  # finds city.yaml beside it
    assert r.exit_code == 0, r.output

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["districts"].append({"name": "槐荫区", "evidence": "shares/hy"})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(cli, ["schedule", "--check", "--city", str(path)])
    assert r.exit_code != 0 and "缺少部署 round-槐荫区" in r.output and "duban city deploy" in r.output


# ---------------------------------------------------------------- the city report
def result_for(catalog, as_of, done_units: set[str]) -> CheckResult:
    """Every lead obligation of D20 and D06: met for ``done_units``, missing for the others."""
    obs = []
    for tid in ("D20", "D06"):
        rt = catalog.task(tid)
        for unit in rt.leads:
            for rnd in rt.task.deadline.rounds or [None]:
                obs.append(Obligation(tid, unit, rnd, rnd, "ok" if unit in done_units else "missing"))
    return CheckResult(as_of=as_of, evidence_root="/share", obligations=obs, stats={"files": 42})


def test_the_city_report_ranks_districts_compares_tasks_and_keeps_a_failed_district(tmp_path, lc_campaign):
    as_of = dt.datetime(2021, 6, 21, tzinfo=TZ)
    lx, lc = load_catalog(), load_catalog(lc_campaign)
    outcomes = [
        DistrictOutcome("历下区", "历下区", lx.campaign.key, result_for(lx, as_of, set()), lx, seconds=12.5, run="a"),
        DistrictOutcome(LC, LC, lc.campaign.key, result_for(lc, as_of, {"历城区工信局"}), lc, seconds=9.0, run="b"),
        DistrictOutcome("槐荫区", "槐荫区", "x", error="运行 c Crashed：Process exited with status code: 1"),
    ]
    report = build("济南市", outcomes, load_settings(), as_of=as_of, round_date=dt.date(2021, 6, 20))
    assert [(r.label, r.rank, r.state) for r in report.districts] == [
        (LC, 1, "完成"),
        ("历下区", 2, "完成"),
        ("槐荫区", None, "失败"),
    ]
    d20 = next(t for t in report.tasks if t.task == "D20")
    assert d20.completion(LC) == 1.0 and d20.completion("历下区") == 0.0 and d20.total.owed == 6
    worst = {label: [w for w in report.worst if w.label == label] for label in ("历下区", LC)}
    assert all(0 < len(ws) <= 5 for ws in worst.values()) and all(w.row.score == 0 for w in worst["历下区"])
    assert "历城区工信局" not in {w.row.unit for w in worst[LC]}  # it handed everything in

    paths = write_city_report(report, tmp_path / "home")
    assert paths.folder.parent == tmp_path / "home" / "city" / "2021-06-20"
    wb = load_workbook(paths.xlsx)
    assert wb.sheetnames == list(SHEETS)
    ranks = wb["各区排名"]
    assert [c.value for c in ranks[2]][:3] == ["排名", "区", "状态"]
    rows = [[c.value for c in r] for r in ranks.iter_rows(min_row=3)]
    assert [r[:3] for r in rows] == [[1, LC, "完成"], [2, "历下区", "完成"], [None, "槐荫区", "失败"]]
    assert "Crashed" in rows[2][-1]
    tasks = wb["任务完成率"]
    assert [c.value for c in tasks[2]][:5] == ["编号", "任务", LC, "历下区", "全市完成率"]

    html = paths.html.read_text(encoding="utf-8")
    assert outside_references(html) == []
    assert "济南市督办汇总 · 2021-06-20 轮次" in html and "槐荫区（运行 c Crashed" in html
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert [(d["label"], d["state"]) for d in data["districts"]] == [
        (LC, "completed"),
        ("历下区", "completed"),
        ("槐荫区", "failed"),
    ]
    assert data["districts"][2]["error"].startswith("运行 c Crashed") and data["tasks"][0]["completion"]


def test_a_report_with_every_district_failed_is_still_written(tmp_path):
    as_of = dt.datetime(2021, 6, 21, tzinfo=TZ)
    report = build("济南市", [DistrictOutcome("历下区", "历下区", "k", error="超时")], load_settings(), as_of=as_of)
    paths = write_city_report(report, tmp_path)
    assert paths.json.exists() and "没有完成检查的区" in paths.html.read_text(encoding="utf-8")
    assert paths.folder.parent.name == "adhoc"
