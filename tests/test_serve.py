"""`duban serve` end to end: start it on a free port with a fresh data directory, wait until
its deployments are registered, ask the server for a `recheck` run (REST API, as the UI's
Run button does), see it complete and write its report; `duban recheck` and `duban run-round`
find the running serve and have their runs executed by its deployments; then stop serve with
SIGTERM: the child server stops too, no traceback, schedules left active."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port

from duban.evidence.init_folders import init_folders
from duban.evidence.layout import folder_for
from duban.tasks_catalog import load_catalog
from duban.testing import samples

pytestmark = pytest.mark.prefect
REPO = Path(__file__).resolve().parent.parent
DUBAN = Path(sys.executable).with_name("duban")


def api(url: str, method: str = "GET", body: dict | None = None, timeout: float = 10):
    req = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen, err: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"duban serve exited ({proc.returncode}) while waiting for {what}:\n{err.read_text()[-3000:]}")
        try:
            value = predicate()
            if value:
                return value
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}:\n{err.read_text()[-3000:]}")


def test_serve_registers_deployments_and_answers_a_recheck(tmp_path):
    cat = load_catalog()
    root, home = tmp_path / "share", tmp_path / "home"
    init_folders(root, cat, units=["区工信局"])
    d20 = cat.task("D20")
    samples.make_ledger_xlsx(
        root / folder_for(d20, "区工信局", dt.date(2021, 6, 4)) / "台账.xlsx",
        cat.template("附件7"),
        210,
        mtime=dt.datetime(2021, 6, 3, 10),
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DUBAN_"))}
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen(
            [str(DUBAN), "--home", str(home), "serve", "--port", str(port), "--evidence", str(root)],
            cwd=tmp_path,
            env=env,
            stdout=fo,
            stderr=fe,
        )
    try:

        def registered():
            deps = api(f"{base}/deployments/filter", "POST", {})
            return {d["name"]: d for d in deps} if len(deps) == 3 else None

        deps = wait_for(registered, 150, "the deployments", proc, err)
        assert set(deps) == {"round", "sweep", "recheck"}
        assert [s["schedule"].get("rrule", "").count(",") for s in deps["round"]["schedules"]] == [7]  # 8 dates
        assert "FREQ=DAILY" in deps["sweep"]["schedules"][0]["schedule"]["rrule"]
        assert deps["recheck"]["parameters"] == {"evidence_root": str(root)}

        run = wait_for(
            lambda: api(
                f"{base}/deployments/{deps['recheck']['id']}/create_flow_run",
                "POST",
                {"parameters": {"units": ["工信局"], "as_of": "2021-06-05T09:00:00"}},
            ),
            60,
            "the run request (a busy server answers 503)",
            proc,
            err,
        )

        def finished():
            fr = api(f"{base}/flow_runs/{run['id']}")
            return (
                fr if fr["state"] and fr["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None
            )

        fr = wait_for(finished, 120, "the recheck run", proc, err)
        assert fr["state"]["type"] == "COMPLETED", fr["state"]
        [report] = list((home / "reports" / "adhoc").glob("*/report.json"))
        data = json.loads(report.read_text(encoding="utf-8"))
        assert {o["unit"] for o in data["obligations"]} == {"区工信局"}
        assert {(o["task"], o["round"], o["status"]) for o in data["obligations"]} >= {("D20", "2021-06-04", "ok")}

        # `duban recheck` goes through the server's deployment when a server is configured
        cli = subprocess.run(
            [str(DUBAN), "--home", str(home), "recheck", "--task", "D20", "--as-of", "2021-06-05"],
            cwd=tmp_path,
            env=dict(env, PREFECT_API_URL=base),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 0, cli.stdout + cli.stderr
        assert "recheck/recheck" in cli.stderr and "Completed" in cli.stdout and "临时核查（D20）" in cli.stdout
        assert len(list((home / "reports" / "adhoc").glob("*/report.json"))) == 2

        # `duban run-round` finds the running serve of this data directory by itself (no
        # PREFECT_API_URL) and the round runs in the served deployment, not in the command
        cli = subprocess.run(
            [str(DUBAN), "--home", str(home), "run-round", "2021-06-04", "--as-of", "2021-06-05", "--no-notify"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 0, cli.stdout + cli.stderr
        assert f"在 Prefect 服务器 {base} 上运行部署 round/round" in cli.stderr, cli.stderr
        assert "正在启动内置 Prefect" not in cli.stderr
        run_id = re.search(r"runs/flow-run/([0-9a-f-]{36})", cli.stdout).group(1)
        fr = api(f"{base}/flow_runs/{run_id}")
        assert fr["deployment_id"] == deps["round"]["id"]
        assert fr["state"]["type"] == "COMPLETED" and fr["parameters"]["round_date"] == "2021-06-04"
        assert "Completed" in cli.stdout and "第 1 个截止日（6月4日）检查" in cli.stdout
        [report] = list((home / "reports" / "2021-06-04").glob("*/report.json"))
        assert ("D20", "2021-06-04", "ok") in {
            (o["task"], o["round"], o["status"]) for o in json.loads(report.read_text(encoding="utf-8"))["obligations"]
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    stderr = err.read_text(encoding="utf-8", errors="replace")
    assert proc.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr and "telemetry" not in stderr.lower(), stderr[-3000:]
    assert "已停止" in out.read_text(encoding="utf-8")
    with pytest.raises(OSError):  # the child server is gone
        api(f"{base}/health", timeout=2)
    db = sqlite3.connect(home / "prefect" / "prefect.db")
    try:
        assert set(db.execute("SELECT paused FROM deployment").fetchall()) == {(0,)}  # schedules not paused
        assert set(db.execute("SELECT active FROM deployment_schedule").fetchall()) == {(1,)}
    finally:
        db.close()
    assert not (home / "prefect" / "serve.json").exists()


def test_an_office_named_by_its_district_runs_its_own_sweep_through_serve(tmp_path):
    """With ``DUBAN_DISTRICT`` (or settings.yaml ``district:``) serve names its deployments
    ``sweep-历下区`` …; ``duban sweep`` finds that one, not a ``sweep/sweep`` the server lacks."""
    cat = load_catalog()
    root, home = tmp_path / "share", tmp_path / "home"
    init_folders(root, cat, units=["区工信局"])
    port = free_port()
    base = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DUBAN_"))}
    env["DUBAN_DISTRICT"] = "历下区"
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen(
            [str(DUBAN), "--home", str(home), "serve", "--port", str(port), "--evidence", str(root)],
            cwd=tmp_path,
            env=env,
            stdout=fo,
            stderr=fe,
        )
    try:
        names = wait_for(
            lambda: (
                names if len(names := {d["name"] for d in api(f"{base}/deployments/filter", "POST", {})}) == 3 else None
            ),
            150,
            "the deployments",
            proc,
            err,
        )
        assert names == {"round-历下区", "sweep-历下区", "recheck-历下区"}
        cli = subprocess.run(
            [str(DUBAN), "--home", str(home), "sweep", "--date", "2021-06-05", "--dry-run"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert cli.returncode == 0, cli.stdout + cli.stderr
        assert "sweep/sweep-历下区" in cli.stderr and "2021-06-05 是周末，不发提醒" in cli.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
