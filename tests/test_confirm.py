"""`duban confirm`: the coordinator's confirmation turns a platform-judged item into ok."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from duban.check import confirmations, decisions, run_check
from duban.home import Home
from duban.store import Store, scope_of
from duban.tasks_catalog import load_catalog
from duban.timeutil import TZ


def duban(home, *args):
    env = dict(os.environ, DUBAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "duban", *args], capture_output=True, text=True, env=env)


def test_confirm_records_who_when_note_and_changes_status(tmp_path):
    home = Home.resolve(tmp_path / "home")
    root = tmp_path / "share"
    root.mkdir()
    cat = load_catalog()
    as_of = dt.datetime(2021, 6, 24, 9, tzinfo=TZ)
    before = {(o.task, o.unit): o.status for o in run_check(cat, root, as_of, home, tasks=["D14"]).obligations}
    assert before == {("D14", "区发改局"): "confirm", ("D14", "区委组织部"): "confirm"}

    p = duban(home.root, "confirm", "d14", "--unit", "组织部", "--note", "平台显示已归集", "--by", "王科长")
    assert p.returncode == 0, p.stderr
    assert "已确认" in p.stdout and "区委组织部" in p.stdout and "王科长" in p.stdout
    now = dt.datetime.now(TZ)
    after = {(o.task, o.unit): o.status for o in run_check(cat, root, now, home, tasks=["D14"]).obligations}
    assert after == {("D14", "区发改局"): "confirm", ("D14", "区委组织部"): "ok"}
    dated = {(o.task, o.unit): o.status for o in run_check(cat, root, as_of, home, tasks=["D14"]).obligations}
    assert dated == before  # confirmed today: a check dated June 24 still waits for it
    scope = scope_of(cat, home)
    (d,) = decisions.history(Store.open(home, scope), scope)
    assert (d.kind, d.task, d.unit, d.by, d.note) == ("accept", "D14", "区委组织部", "王科长", "平台显示已归集")
    (ok,) = [o for o in run_check(cat, root, now, home, tasks=["D14"]).obligations if o.unit == "区委组织部"]
    assert "王科长" in ok.problems[0] and "平台显示已归集" in ok.problems[0]  # shown as the coordinator's decision

    p = duban(home.root, "confirm", "D14", "--unit", "区委组织部", "--note", "误确认", "--withdraw")
    assert p.returncode == 0 and "已撤销" in p.stdout
    later = dt.datetime.now(TZ)  # the withdrawal counts from when it was made
    again = {(o.task, o.unit): o.status for o in run_check(cat, root, later, home, tasks=["D14"]).obligations}
    assert again[("D14", "区委组织部")] == "confirm"


def test_confirm_refuses_evidence_tasks_and_strangers(tmp_path):
    p = duban(tmp_path, "confirm", "D20", "--note", "x")
    assert p.returncode == 2 and "不是系统判定事项" in p.stderr
    p = duban(tmp_path, "confirm", "D14", "--unit", "区工信局", "--note", "x")
    assert p.returncode == 2 and "不是任务 D14 的责任单位" in p.stderr
    p = duban(tmp_path, "confirm", "D14", "--note", "  ")
    assert p.returncode == 2 and "确认依据" in p.stderr
    p = duban(tmp_path, "confirm", "D99", "--note", "x")
    assert p.returncode == 2 and "未知任务" in p.stderr and "Traceback" not in p.stderr


def test_a_check_as_of_a_time_uses_the_confirmations_made_up_to_then(tmp_path):
    """Confirmed 6-22 10:00, withdrawn 6-25 09:00: a check of 6-21 waits, of 6-23 is ok, of 6-26 waits again."""
    home = Home.resolve(tmp_path / "home")
    root = tmp_path / "share"
    root.mkdir()
    cat = load_catalog()
    scope = scope_of(cat, home)
    store = Store.open(home, scope)
    confirmations.add(
        store, scope, "D14", "区委组织部", "平台显示已归集", by="王科长", at=dt.datetime(2021, 6, 22, 10, tzinfo=TZ)
    )
    confirmations.add(
        store,
        scope,
        "D14",
        "区委组织部",
        "误确认",
        by="王科长",
        at=dt.datetime(2021, 6, 25, 9, tzinfo=TZ),
        withdraw=True,
    )

    def status(day: int, hour: int = 23) -> str:
        as_of = dt.datetime(2021, 6, day, hour, 59, tzinfo=TZ)
        (o,) = run_check(cat, root, as_of, home, tasks=["D14"], units=["区委组织部"]).obligations
        return o.status

    assert [status(21), status(22, 9), status(22, 10), status(23), status(25, 8), status(26)] == [
        "confirm",
        "confirm",
        "ok",
        "ok",
        "ok",
        "confirm",
    ]
