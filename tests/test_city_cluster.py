"""A city on a real cluster (issue 13's "done when"): a Prefect server on loopback backed by a
real PostgreSQL, two process workers (``prefect worker start --type process``), two districts
with different shares and unit directories deployed by ``duban city deploy``, duban's store
on the same PostgreSQL (``DUBAN_DATABASE_URL`` in the workers' environment), mail to a real
SMTP server on loopback.

Each district's runs read only its own share and mail only its own units; a district's run
moved to the other worker re-reads nothing and sends nothing twice; the city flow's report
holds both districts; stopping one worker in the middle of a run leaves the other district's
run untouched, the stopped run is marked Crashed by the automation ``duban city deploy`` made
(its heartbeats stopped), and the district's round, run again on the remaining worker, sends
nothing twice. Every process started here is stopped and checked gone with ``ps``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
from smtp_server import SmtpServer

from duban.tasks_catalog import load_catalog
from duban.testing import samples
from duban.testing.city import city_yaml, district_campaign, district_share
from duban.testing.cluster import group_members, kill_group

pytestmark = [pytest.mark.prefect, pytest.mark.postgres]
DUBAN = Path(sys.executable).with_name("duban")
LX, LC = "历下区", "历城区"
ROUND = "2021-06-18"  # a Friday: overdue reminders and the digest go out
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def api(base: str, path: str, body=None, method: str | None = None):
    req = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


@pytest.fixture(scope="module")
def city(prefect_cluster, postgres, tmp_path_factory):
    """Two districts deployed on the cluster, a worker for each district's queue (both also take
    the default queue, where the city flow runs), the store on PostgreSQL, SMTP on loopback."""
    base = tmp_path_factory.mktemp("city")
    smtp = SmtpServer().start()
    try:
        lc_campaign = district_campaign(base / "campaign-lc", LC, domain="licheng.example")
        shares = {LX: district_share(base / "share-lx"), LC: district_share(base / "share-lc", LC)}
        city_file = city_yaml(
            base / "city" / "city.yaml",
            [
                {"name": LX, "evidence": str(shares[LX]), "queue": "lixia", "coordinators": ["xyb@lixia.example"]},
                {"name": LC, "campaign": str(lc_campaign), "evidence": str(shares[LC]), "queue": "licheng"},
            ],
            name="济南市",
            home=str(base / "data"),
            env={"DUBAN_SMTP_HOST": "127.0.0.1", "DUBAN_SMTP_PORT": str(smtp.port), "DUBAN_SMTP_SECURITY": "plain"},
        )
        deploy = subprocess.run(
            [str(DUBAN), "city", "deploy", str(city_file)],
            env=prefect_cluster.client_env(DUBAN_HOME=str(base / "deployer")),
            cwd=base,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        store = postgres.create_database("duban_city")
        workers = {
            LX: prefect_cluster.start_worker("w1", "duban", ["default", "lixia"], DUBAN_DATABASE_URL=store),
            LC: prefect_cluster.start_worker("w2", "duban", ["default", "licheng"], DUBAN_DATABASE_URL=store),
        }
        yield SimpleNamespace(
            base=base,
            api=prefect_cluster.api_url,
            smtp=smtp,
            shares=shares,
            catalogs={LX: load_catalog(), LC: load_catalog(lc_campaign)},
            homes={LX: base / "data" / LX, LC: base / "data" / LC},
            workers=workers,
            store=store,
            city_home=base / "data",
            deploy_output=deploy.stdout,
            city_file=city_file,
            env=prefect_cluster.client_env(DUBAN_HOME=str(base / "coordinator")),
        )
    finally:
        smtp.stop()


def deployment(c, flow: str, name: str) -> dict:
    return api(c.api, f"/deployments/name/{urllib.parse.quote(flow)}/{urllib.parse.quote(name)}")


def start_run(c, flow: str, name: str, parameters: dict, queue: str | None = None) -> str:
    body: dict = {"parameters": parameters}
    if queue:
        body["work_queue_name"] = queue
    return api(c.api, f"/deployments/{deployment(c, flow, name)['id']}/create_flow_run", body)["id"]


def wait(c, run_id: str, types=FINAL, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api(c.api, f"/flow_runs/{run_id}")
        if (run.get("state") or {}).get("type") in types:
            return run
        time.sleep(0.3)
    logs = "\n".join(w.text()[-2000:] for w in c.workers.values())
    pytest.fail(f"flow run {run_id} not in {types} after {timeout} s: {run.get('state')}\n{logs}")


def heartbeat(c, run_id: str, timeout: float = 60) -> dict:
    """The run's first ``prefect.flow-run.heartbeat`` event as the server recorded it."""
    query = {
        "filter": {
            "event": {"name": ["prefect.flow-run.heartbeat"]},
            "resource": {"id": [f"prefect.flow-run.{run_id}"]},
            "occurred": {"since": "2000-01-01T00:00:00Z"},
        },
        "limit": 1,
    }
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = api(c.api, "/events/filter", query)["events"]
        if events:
            return events[0]
        time.sleep(0.3)
    pytest.fail(f"no heartbeat from flow run {run_id} in {timeout} s")


def mails_to(c, domain: str) -> list:
    return [m for m in c.smtp.messages if any(a.endswith("@" + domain) for a in m.to + m.cc)]


def sent(c) -> Counter:
    """Each message by what makes it one reminder: kind, unit, day and recipients."""
    return Counter((m.kind, m.unit, str(m.message["X-Duban-Day"]), tuple(sorted(m.to + m.cc))) for m in c.smtp.messages)


def latest_report(home: Path, round_dir: str) -> dict:
    [latest] = [json.loads((home / "reports" / round_dir / "latest.json").read_text(encoding="utf-8"))]
    return json.loads((home / "reports" / round_dir / latest["run"] / "report.json").read_text(encoding="utf-8"))


def check_runs(c, district: str) -> list[dict]:
    import sqlalchemy as sa

    engine = sa.create_engine(c.store)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT district, campaign, evidence_root, files, hashed, inspected FROM check_runs "
                    "WHERE district = :d ORDER BY id"
                ),
                {"d": district},
            )
            return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


def test_the_deployments_are_the_districts_own(city):
    for district, queue in ((LX, "lixia"), (LC, "licheng")):
        for flow in ("round", "sweep", "recheck"):
            dep = deployment(city, flow, f"{flow}-{district}")
            assert dep["work_pool_name"] == "duban" and dep["work_queue_name"] == queue
            assert dep["entrypoint"] == f"duban.flows.{flow}.{flow}_flow"
            assert dep["pull_steps"] == [{"duban.flows.deployments.enter_home": {}}]  # no path of the deploying machine
            env = dep["job_variables"]["env"]
            assert env["DUBAN_DISTRICT"] == district and env["DUBAN_EVIDENCE"] == str(city.shares[district])
            assert "DUBAN_DATABASE_URL" not in env  # the workers' own environment holds it
            assert env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == "30"
        assert deployment(city, "round", f"round-{district}")["global_concurrency_limit"]["limit"] == 1
    assert deployment(city, "city", "city")["parameters"]["districts"][1]["deployment"] == f"recheck/recheck-{LC}"
    # the one automation that marks a lost run Crashed (runs tagged duban only)
    (zombie,) = [a for a in api(city.api, "/automations/filter", {}) if a["name"] == "duban：失联的运行标记为崩溃"]
    assert zombie["enabled"] and zombie["trigger"]["posture"] == "Proactive"
    assert zombie["trigger"]["match_related"] == {
        "prefect.resource.role": "tag",
        "prefect.resource.id": "prefect.tag.duban",
    }
    assert zombie["actions"][0]["type"] == "change-flow-run-state" and zombie["actions"][0]["state"] == "CRASHED"


def test_each_district_reads_only_its_share_and_mails_only_its_units(city):
    runs = {d: start_run(city, "round", f"round-{d}", {"round_date": ROUND}) for d in (LX, LC)}  # at once
    done = {d: wait(city, r) for d, r in runs.items()}
    for d, run in done.items():
        assert run["state"]["type"] == "COMPLETED", (d, run["state"])
        assert run["id"] in city.workers[d].text()  # each on the worker of its own queue
    for d, other in ((LX, LC), (LC, LX)):
        report = latest_report(city.homes[d], ROUND)
        assert report["evidence_root"] == str(city.shares[d])
        units = {o["unit"] for o in report["obligations"] if o["unit"]}
        assert units <= set(city.catalogs[d].units) and not units & set(city.catalogs[other].units)
        assert all(
            not f.startswith(tuple(city.catalogs[other].units)) for o in report["obligations"] for f in o["files"]
        )
        [row] = check_runs(city, d)
        assert (row["evidence_root"], row["campaign"]) == (str(city.shares[d]), city.catalogs[d].campaign.key)
    lx, lc = mails_to(city, "lixia.example"), mails_to(city, "licheng.example")
    assert lx and lc and len(lx) + len(lc) == len(city.smtp.messages)  # nobody else was mailed
    assert not set(map(id, lx)) & set(map(id, lc))  # no mail went to both districts
    assert {m.unit for m in lc if m.kind != "digest"} <= set(city.catalogs[LC].units)
    [lx_digest] = [m for m in lx if m.kind == "digest"]
    assert lx_digest.to == ["xyb@lixia.example"]  # city.yaml's coordinator for 历下区
    assert all("历下区" not in m.text for m in lc)  # nothing of the other district in 历城区's mail


def test_a_run_moved_to_the_other_worker_re_reads_nothing_and_sends_nothing_twice(city):
    before = len(city.smtp.messages)
    run_id = start_run(city, "round", f"round-{LX}", {"round_date": ROUND}, queue="licheng")
    run = wait(city, run_id)
    assert run["state"]["type"] == "COMPLETED", run["state"]
    assert run_id in city.workers[LC].text() and run_id not in city.workers[LX].text()  # on the other worker
    assert len(city.smtp.messages) == before  # the shared sent-log: nothing twice
    first, again = check_runs(city, LX)[-2:]
    assert again["files"] == first["files"] and again["inspected"] == 0 and again["hashed"] == 0  # nothing re-read
    assert max(sent(city).values()) == 1


def duban(city, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DUBAN), *args], env=city.env, cwd=city.base, capture_output=True, text=True, timeout=timeout
    )


def test_recheck_of_a_district_runs_that_districts_deployment(city):
    r = duban(city, "recheck", "--district", LC, "--unit", "历城区工信局", "--task", "D20")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"运行部署 recheck/recheck-{LC}" in r.stderr and "临时核查（历城区工信局、D20）" in r.stdout
    run_id = re.search(r"runs/flow-run/([0-9a-f-]{36})", r.stdout).group(1)
    assert run_id in city.workers[LC].text()
    [report] = (city.homes[LC] / "reports" / "adhoc").glob("*/report.json")
    obligations = json.loads(report.read_text(encoding="utf-8"))["obligations"]
    assert {(o["task"], o["unit"]) for o in obligations} == {("D20", "历城区工信局")}
    r = duban(city, "recheck", "--district", "槐荫区")
    assert r.returncode != 0 and "没有部署 recheck/recheck-槐荫区" in r.stderr and f"recheck-{LC}" in r.stderr


def test_the_city_report_holds_both_districts(city):
    r = duban(city, "city", "run", str(city.city_file), "--round", ROUND)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2/2 个区完成检查" in r.stdout and "运行部署 city/city" in r.stderr
    run = api(city.api, f"/flow_runs/{re.search(r'runs/flow-run/([0-9a-f-]{36})', r.stdout).group(1)}")
    folder = city.city_home / "city" / ROUND
    latest = json.loads((folder / "latest.json").read_text(encoding="utf-8"))["run"]
    report = json.loads((folder / latest / "report.json").read_text(encoding="utf-8"))
    rows = {d["label"]: d for d in report["districts"]}
    assert set(rows) == {LX, LC} and all(r["state"] == "completed" and r["files"] > 500 for r in rows.values())
    assert sorted(r["rank"] for r in rows.values()) in ([1, 2], [1, 1])
    d20 = next(t for t in report["tasks"] if t["task"] == "D20")
    assert set(d20["completion"]) == {LX, LC}
    assert {w["district"] for w in report["worst_units"]} == {LX, LC}
    assert (folder / latest / "report.xlsx").exists() and (folder / latest / "report.html").exists()
    # the districts' checks ran on their own workers, judged as of the round's close
    children = api(city.api, "/flow_runs/filter", {"flow_runs": {"parent_flow_run_id": {"any_": [run["id"]]}}})
    assert {ch["parameters"]["as_of"] for ch in children} == {"2021-06-19T00:00:00+08:00"}
    assert sum(ch["id"] in city.workers[LX].text() for ch in children) == 1


def test_an_upload_in_one_district_gets_a_receipt_from_that_district_only(city, prefect_cluster):
    def recheck_runs(district: str) -> int:
        dep = deployment(city, "recheck", f"recheck-{district}")
        return len(api(city.api, "/flow_runs/filter", {"flow_runs": {"deployment_id": {"any_": [dep["id"]]}}}))

    before = {d: recheck_runs(d) for d in (LX, LC)}
    watcher = prefect_cluster._start(
        "watch-lc",
        [str(DUBAN), "city", "watch", str(city.city_file), "--district", LC, "--settle", "1", "--poll"],
        city.env,
    )
    deadline = time.monotonic() + 60
    while "监视 历城区" not in watcher.text() and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)  # primed: what is there now is not news
    unit = "历城区工信局"
    [folder] = [p for p in (city.shares[LC] / unit).iterdir() if p.is_dir() and p.name.startswith("20")]
    samples.make_docx(folder / "补充材料.docx", ["补充的工作情况说明"], mtime=dt.datetime.now().astimezone())
    deadline = time.monotonic() + 180
    while not [m for m in city.smtp.messages if m.kind == "receipt"] and time.monotonic() < deadline:
        assert watcher.alive(), watcher.text()[-2000:]
        time.sleep(0.5)
    [receipt] = [m for m in city.smtp.messages if m.kind == "receipt"]
    assert receipt.unit == unit and all(a.endswith("@licheng.example") for a in receipt.to)
    assert "补充材料.docx" in receipt.text
    assert recheck_runs(LC) == before[LC] + 1 and recheck_runs(LX) == before[LX]  # only 历城区's recheck
    watcher.stop()


def test_stopping_one_worker_mid_run_leaves_the_other_district_unaffected(city):
    before, lx_before = sent(city), len(mails_to(city, "lixia.example"))
    params = {"round_date": "2021-06-20", "as_of": "2021-06-21T09:00:00+08:00"}  # Monday's reminders
    # 历下区's mail server takes its messages but holds the reply: however fast the check, the
    # run is caught in the middle of sending (the last stop's test raced the round's speed)
    held = {a for u in city.catalogs[LX].units.values() for a in u.emails} | {"xyb@lixia.example"}
    city.smtp.recorder.slow_for.update(dict.fromkeys(held, 600.0))
    try:
        runs = {d: start_run(city, "round", f"round-{d}", params) for d in (LX, LC)}
        wait(city, runs[LX], types=("RUNNING",), timeout=120)
        heartbeat(city, runs[LX])  # the server has heard from the run: it is "in the middle"
        deadline = time.monotonic() + 240
        while len(mails_to(city, "lixia.example")) == lx_before:  # until its first message is held
            assert time.monotonic() < deadline, "历下区's run sent nothing: " + city.workers[LX].text()[-2000:]
            time.sleep(0.2)
        # the machine is lost: the run (its own session, started by the worker) is frozen first so
        # that it cannot notice its worker going and report a crash itself, then both are killed
        worker = city.workers[LX]
        infrastructure = str(api(city.api, f"/flow_runs/{runs[LX]}")["infrastructure_pid"])  # "[host:]pid"
        run_pid = int(infrastructure.rsplit(":", 1)[-1])
        os.killpg(run_pid, signal.SIGSTOP)
        worker.kill()
        kill_group(run_pid)
    finally:
        city.smtp.recorder.slow_for.clear()
    assert not worker.alive() and worker.group_members() == [] and group_members(run_pid) == []
    lc = wait(city, runs[LC])
    assert lc["state"]["type"] == "COMPLETED", lc["state"]  # 历城区 did not notice
    assert latest_report(city.homes[LC], "2021-06-20")["as_of"].startswith("2021-06-21T09:00")
    lx = api(city.api, f"/flow_runs/{runs[LX]}")
    assert lx["state"]["type"] == "RUNNING"  # stopped in the middle: it never finishes

    # its heartbeats stopped with it: the automation `duban city deploy` made marks it Crashed
    # (90 s without a heartbeat), which frees the district's round slot (concurrency 1); the
    # round, run again on the remaining worker, sends nothing the stopped run had sent
    crashed = wait(city, runs[LX], types=("CRASHED",), timeout=240)
    assert "没有心跳" in crashed["state"]["message"], crashed["state"]
    again = wait(city, start_run(city, "round", f"round-{LX}", params, queue="licheng"))
    assert again["state"]["type"] == "COMPLETED", again["state"]
    after = sent(city)
    assert max(after.values()) == 1, [k for k, n in after.items() if n > 1]
    assert set(before) <= set(after)
    api(
        city.api,
        f"/flow_runs/{runs[LX]}/set_state",
        {"state": {"type": "CANCELLED", "name": "Cancelled"}, "force": True},
    )
