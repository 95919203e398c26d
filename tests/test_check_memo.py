"""Tasks judged by one check are reused by the next where they still hold (duban.check.memo):
whatever changed — a file, the as-of time, a decision, the memo itself — the answer is the one
a check judging every task gives, and only the tasks whose inputs moved are judged again."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_check import build_tree

from duban.check import confirmations, decisions, run_check
from duban.check.memo import Memo
from duban.home import Home
from duban.store import _CREATED, Store, close_all, scope_of
from duban.tasks_catalog.loader import CATALOG_DIR
from duban.testing import samples
from duban.timeutil import TZ

D = lambda m, d: dt.date(2021, m, d)
T = lambda m, d, h=12: dt.datetime(2021, m, d, h, 0, tzinfo=TZ)


@pytest.fixture()
def tree(tmp_path, catalog) -> Path:
    root = tmp_path / "share"
    build_tree(root, catalog)
    return root


@pytest.fixture()
def memo_path(tmp_path) -> Path:
    return tmp_path / "home" / "cache" / "check-test.parts"


def with_memo(catalog, tree, home, as_of, path, *, inputs="inputs-1", reuse=True, units=None):
    """A check that reuses (and keeps) judged tasks, and how many it reused."""
    memo = Memo(path, inputs, reuse=reuse)
    with memo:
        result = run_check(catalog, tree, as_of, home, memo=memo, units=units)
    return result, memo.reused


def same_as_judging_everything(catalog, tree, home, as_of, result) -> None:
    whole = run_check(catalog, tree, as_of, home)
    assert result.to_json() == whole.to_json()


def status(result, task, unit, round_):
    return next(o for o in result.obligations if (o.task, o.unit, o.round) == (task, unit, round_)).status


def test_a_recheck_judges_again_only_the_task_whose_file_changed(tmp_path, tree, catalog, memo_path):
    home = Home.resolve(tmp_path / "home")
    tasks = len(catalog.tasks)
    first, reused = with_memo(catalog, tree, home, T(6, 21), memo_path)
    assert reused == 0 and memo_path.exists()
    assert status(first, "D20", "区工信局", D(6, 20)) == "partial"
    again, reused = with_memo(catalog, tree, home, T(6, 21), memo_path)
    assert reused == tasks
    assert again.to_json() == first.to_json()
    # 区工信局 hands in a complete D20 ledger for round 3: D20 alone is judged again
    samples.make_ledger_xlsx(
        tree / "工信局" / "任务20" / "第三轮" / "仓储物流.xlsx", catalog.templates["附件7"], 201, mtime=T(6, 19, 13)
    )
    third, reused = with_memo(catalog, tree, home, T(6, 21), memo_path)
    assert reused == tasks - 1
    assert status(third, "D20", "区工信局", D(6, 20)) == "ok"
    same_as_judging_everything(catalog, tree, home, T(6, 21), third)
    # a file taken away (D11's second case): D11 alone
    (tree / "工信局" / "11" / "第一轮" / "案例二.pdf").unlink()
    fourth, reused = with_memo(catalog, tree, home, T(6, 21), memo_path)
    assert reused == tasks - 1
    assert (status(third, "D11", "区工信局", D(6, 4)), status(fourth, "D11", "区工信局", D(6, 4))) == ("ok", "partial")
    same_as_judging_everything(catalog, tree, home, T(6, 21), fourth)
    # the same case filed again by another unit for D11: D11 judges which copy counts
    other = tree / "商务局" / "11" / "第一轮"
    other.mkdir(parents=True)
    (other / "案例.docx").write_bytes((tree / "工信局" / "11" / "第一轮" / "案例一.docx").read_bytes())
    samples.set_mtime(other / "案例.docx", T(6, 3))
    fifth, reused = with_memo(catalog, tree, home, T(6, 21), memo_path)
    assert reused == tasks - 1
    copy = next(o for o in fifth.obligations if (o.task, o.unit, o.round) == ("D11", "区商务局", D(6, 4)))
    assert any("工信局/11/第一轮/案例一.docx" in p for p in copy.problems), copy.problems
    same_as_judging_everything(catalog, tree, home, T(6, 21), fifth)


def test_a_later_as_of_time_reuses_a_task_only_between_the_same_instants(tmp_path, tree, catalog, memo_path):
    home = Home.resolve(tmp_path / "home")
    tasks = len(catalog.tasks)
    with_memo(catalog, tree, home, T(6, 11), memo_path)
    # an hour later, no due time and no file's arrival in between: every task holds
    later, reused = with_memo(catalog, tree, home, T(6, 11, 13), memo_path)
    assert reused == tasks
    same_as_judging_everything(catalog, tree, home, T(6, 11, 13), later)
    # past round 2's due time (June 12) and files that came in since (D20's June 13 ledger):
    # judged again, and late work shows
    after, reused = with_memo(catalog, tree, home, T(6, 21), memo_path)
    assert reused < tasks
    assert status(after, "D20", "区工信局", D(6, 12)) == "late"
    same_as_judging_everything(catalog, tree, home, T(6, 21), after)


def test_a_decision_or_other_inputs_make_every_task_judged_again(tmp_path, tree, catalog, memo_path):
    home = Home.resolve(tmp_path / "home")
    with_memo(catalog, tree, home, T(6, 21), memo_path)
    scope = scope_of(catalog, home)
    decisions.add(
        Store.open(home, scope), scope, "extend", "D20", "区工信局", "系统故障，延期三天",
        round=D(6, 20), until=D(6, 23), at=T(6, 20, 9),
    )  # fmt: skip
    decided, reused = with_memo(catalog, tree, home, T(6, 21), memo_path)
    assert reused == 0
    assert status(decided, "D20", "区工信局", D(6, 20)) != "partial"  # the extension shows
    same_as_judging_everything(catalog, tree, home, T(6, 21), decided)
    # with the extension standing, D20 keeps when its files came in: reused, the same
    again, reused = with_memo(catalog, tree, home, T(6, 21), memo_path)
    assert reused == len(catalog.tasks)
    same_as_judging_everything(catalog, tree, home, T(6, 21), again)
    # a confirmation: every task judged again
    confirmations.add(Store.open(home, scope), scope, "D14", "区委组织部", "平台显示已归集", at=T(6, 20, 10))
    confirmed, reused = with_memo(catalog, tree, home, T(6, 21), memo_path)
    assert reused == 0
    assert {o.status for o in confirmed.obligations if (o.task, o.unit) == ("D14", "区委组织部")} == {"ok"}
    same_as_judging_everything(catalog, tree, home, T(6, 21), confirmed)
    # other inputs (a changed catalog, settings or code: another digest): nothing reused
    _, reused = with_memo(catalog, tree, home, T(6, 21), memo_path, inputs="inputs-2")
    assert reused == 0
    # --full judges every task and keeps them for the next check
    kept = memo_path.stat().st_mtime_ns
    _, reused = with_memo(catalog, tree, home, T(6, 21), memo_path, inputs="inputs-2", reuse=False)
    assert memo_path.stat().st_mtime_ns != kept
    _, reused = with_memo(catalog, tree, home, T(6, 21), memo_path, inputs="inputs-2")
    assert reused == len(catalog.tasks)


def test_a_damaged_memo_costs_only_time_and_a_partial_check_leaves_it_alone(tmp_path, tree, catalog, memo_path):
    home = Home.resolve(tmp_path / "home")
    with_memo(catalog, tree, home, T(6, 21), memo_path)
    kept = memo_path.read_bytes()
    # a partial re-check (one unit) neither reuses nor rewrites the memo
    part, reused = with_memo(catalog, tree, home, T(6, 21), memo_path, units=["区工信局"])
    assert reused == 0 and memo_path.read_bytes() == kept
    assert {o.unit for o in part.obligations} == {"区工信局"}
    # lines cut short or garbled: those tasks are judged, the rest reused, the answer whole
    lines = kept.split(b"\n")
    lines[1] = lines[1][:40]
    lines[2] = lines[2].replace(b'"ruled"', b'"rules"')
    memo_path.write_bytes(b"\n".join(lines))
    fixed, reused = with_memo(catalog, tree, home, T(6, 21), memo_path)
    assert reused == len(catalog.tasks) - 2
    same_as_judging_everything(catalog, tree, home, T(6, 21), fixed)
    memo_path.write_bytes(b"\x00\xff not a memo")
    _, reused = with_memo(catalog, tree, home, T(6, 21), memo_path)
    assert reused == 0
    # a memo that cannot be written (a file where its folder should be): the check goes on
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    result, _ = with_memo(catalog, tree, home, T(6, 21), blocked / "check-test.parts")
    assert status(result, "D20", "区工信局", D(6, 20)) == "partial"
    assert blocked.read_text() == "not a folder"


def test_duban_check_says_how_many_tasks_it_reused_and_answers_as_full(tmp_path, tree):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "PREFECT_"))}

    def check(*args: str) -> list[str]:
        cmd = [sys.executable, "-m", "duban", "--home", str(home), "check", "--evidence", str(tree), *args]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr[-2000:]
        return p.stdout.rstrip("\n").splitlines()

    first = check("--as-of", "2021-06-21")
    assert "沿用上次判定" not in first[-1]
    samples.make_docx(tree / "工信局" / "11" / "第一轮" / "案例三.docx", ["案例三：信用修复"], mtime=T(6, 5))
    again = check("--as-of", "2021-06-21")
    assert again[-1].startswith("扫描 74 个文件，新读取 1 个，39 项任务未变、沿用上次判定，用时 ")
    full = check("--as-of", "2021-06-21", "--full")
    assert "沿用" not in full[-1]
    assert again[:-1] == full[:-1]


def test_the_desk_and_the_flows_keep_a_memo_per_share_whatever_their_process(tmp_path, tree, catalog, monkeypatch):
    from duban.check.memo import of_share
    from duban.desk.rechecker import Rechecker

    home = Home.resolve(tmp_path / "home")
    home.settings_file.write_text(f"evidence_root: {tree}\n", encoding="utf-8")
    desk = Rechecker(catalog, home, clock=lambda: T(6, 21))
    for _ in range(2):  # the desk's button, twice
        assert desk.start("协调人")
        desk.wait(120)
        assert desk.state.error is None and desk.state.files == 73
    (kept,) = (home.root / "cache").glob("judged-*.parts")

    def reused() -> int:
        with of_share(home, catalog, str(tree)) as memo:
            run_check(catalog, tree, T(6, 21), home, memo=memo)
        return memo.reused

    # a flow run's process (its own run ids in the environment) finds what the desk kept
    monkeypatch.setenv("PREFECT__FLOW_RUN_ID", "0b5e3c1e-run")
    assert reused() == len(catalog.tasks)
    assert [p.name for p in (home.root / "cache").glob("*judged*")] == [kept.name]  # one memo, no leftovers
    # a serve-run process (its DUBAN_HOME, DUBAN_EVIDENCE ... set) shares it too
    monkeypatch.setenv("DUBAN_HOME", str(home.root))
    monkeypatch.setenv("DUBAN_EVIDENCE", str(tree))
    assert reused() == len(catalog.tasks)
    # another district's name for the campaign, another store: nothing reused
    monkeypatch.setenv("DUBAN_DISTRICT", "历城区")
    assert reused() == 0
    monkeypatch.delenv("DUBAN_DISTRICT")
    assert reused() == 0  # (the memo now holds the 历城区 check's verdicts)
    assert reused() == len(catalog.tasks)
    close_all()
    for made in _CREATED.values():  # (as in a new process: the tables are made again)
        made.clear()
    for f in home.root.glob(home.db.name + "*"):  # the store deleted (every file is read again)
        f.unlink()
    assert reused() == 0


def test_an_edited_catalog_or_settings_file_makes_duban_check_judge_everything_again(tmp_path, tree):
    home = tmp_path / "home"
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, catalog, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "PREFECT_"))}

    def check() -> list[str]:
        cmd = [sys.executable, "-m", "duban", "--home", str(home), "check", "--evidence", str(tree)]
        cmd += ["--as-of", "2021-06-21", "--catalog", str(catalog)]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr[-2000:]
        return p.stdout.rstrip("\n").splitlines()

    first = check()
    assert any("材料不足" in line and "D20" in line and "2021-06-20" in line for line in first)
    (tree / "工信局" / "随手放的.pdf").unlink()  # the share changed: the check runs, every task reused
    assert "40 项任务未变、沿用上次判定" in check()[-1]
    d20 = catalog / "tasks" / "D20.yaml"
    text = d20.read_text(encoding="utf-8")
    assert "  min: 200\n" in text
    d20.write_text(text.replace("  min: 200\n", "  min: 150\n"), encoding="utf-8")
    (tree / "工信局" / "另一个.pdf").write_bytes(b"")  # (the share changed again)
    edited = check()
    assert "沿用" not in edited[-1]
    assert not any("材料不足" in line and "D20" in line and "2021-06-20" in line for line in edited)
    (home / "settings.yaml").write_text("# 一个设置文件\n", encoding="utf-8")
    (tree / "工信局" / "另一个.pdf").unlink()
    assert "沿用" not in check()[-1]
