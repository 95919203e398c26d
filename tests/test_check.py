"""The whole check on real evidence trees: real xlsx/xls/pdf/docx/txt files, real SQLite."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_xls import make_ledger_xls

from duban.check import run_check
from duban.evidence.init_folders import init_folders
from duban.home import Home
from duban.testing import samples
from duban.timeutil import TZ

D = lambda m, d: dt.date(2021, m, d)
T = lambda m, d, h=12: dt.datetime(2021, m, d, h, 0, tzinfo=TZ)


def build_tree(root: Path, catalog) -> None:
    """A small campaign: 区工信局 on time, late and short; a street office; bad files."""
    t7, t8, tq = catalog.templates["附件7"], catalog.templates["附件8"], catalog.templates["问卷回收台账"]
    gx = root / "工信局"
    samples.make_ledger_xlsx(gx / "20" / "第一轮" / "仓储物流.xlsx", t7, 200, mtime=T(6, 3))  # ok
    samples.make_ledger_xlsx(gx / "D20" / "第二轮" / "仓储物流.xlsx", t7, 230, mtime=T(6, 13))  # late
    samples.make_ledger_xlsx(gx / "任务20" / "第三轮" / "仓储物流.xlsx", t7, 199, mtime=T(6, 19))  # partial
    (gx / "任务20" / "第三轮" / "~$仓储物流.xlsx").write_bytes(b"lock")  # ignored
    samples.make_ledger_xlsx(gx / "26-问卷" / "问卷.xlsx", tq, 50, mtime=T(6, 14))  # ok
    samples.make_ledger_xlsx(gx / "23" / "推荐名单.xlsx", t8, 20, yes_ratio=0.1, mtime=T(6, 18))  # ratio short
    samples.make_docx(gx / "11" / "第一轮" / "案例一.docx", ["案例一：分级分类监管"], mtime=T(6, 2))
    samples.make_pdf(gx / "11" / "第一轮" / "案例二.pdf", pages=2, mtime=T(6, 2))  # ok (2 cases)
    samples.make_txt_links(gx / "33" / "第一轮" / "链接.txt", ["http://www.xinhuanet.com/a.html"], mtime=T(6, 9))
    samples.make_corrupt(gx / "33" / "第一轮" / "材料.docx", mtime=T(6, 9))  # rejected
    samples.make_encrypted_xlsx(gx / "06" / "制度.xlsx", "secret", mtime=T(6, 19))  # rejected
    samples.make_empty(gx / "10" / "制度.pdf", mtime=T(6, 19))  # rejected
    samples.make_disguised(gx / "13" / "第一轮" / "宣传.xlsx", mtime=T(6, 3))  # rejected
    samples.make_pdf(gx / "随手放的.pdf")  # unrecognized
    street = root / "解放路街道"
    for i in range(60):
        samples.make_pdf(street / "07" / "第一轮" / f"合同{i:02d}.pdf", text=f"合同 {i}", mtime=T(6, 8))
    make_ledger_xls(street / "05" / "名单.xls", t8, 10, yes_ratio=0.3, mtime=T(6, 18))  # .xls, ok
    samples.make_pdf(root / "不存在局" / "06" / "a.pdf")  # unrecognized


@pytest.fixture()
def tree(tmp_path, catalog):
    root = tmp_path / "share"
    build_tree(root, catalog)
    return root


def statuses(result):
    return {(o.task, o.unit, o.round): o for o in result.obligations}


def test_every_status_from_a_real_tree(tmp_path, tree, catalog):
    home = Home.resolve(tmp_path / "home")
    r = run_check(catalog, tree, T(6, 21), home)
    obs = statuses(r)
    gx = "区工信局"
    assert obs[("D20", gx, D(6, 4))].status == "ok"
    assert obs[("D20", gx, D(6, 12))].status == "late"
    short = obs[("D20", gx, D(6, 20))]
    assert short.status == "partial" and "台账有效数据 199 条，要求不少于 200 条" in short.problems[0]
    assert obs[("D26", gx, D(6, 15))].status == "ok"
    assert obs[("D23", gx, D(6, 20))].status == "partial" and "要求不低于 20%" in obs[("D23", gx, D(6, 20))].problems[0]
    assert obs[("D11", gx, D(6, 4))].status == "ok"
    assert obs[("D11", gx, D(6, 12))].status == "missing"
    assert obs[("S07", "解放路街道", D(6, 10))].status == "ok"
    assert obs[("S05", "解放路街道", D(6, 20))].status == "ok"
    assert obs[("D14", "区委组织部", D(6, 23))].status == "confirm"
    assert obs[("D01", "区发改局", None)].status == "done"
    assert obs[("D03", "区发改局", None)].status == "ongoing"
    assert obs[("D09", None, None)].status == "unassigned"
    assert obs[("S03", "解放路街道", D(6, 20))].status == "missing"
    pending = run_check(catalog, tree, T(6, 11), home)
    assert statuses(pending)[("D20", gx, D(6, 20))].status == "pending"
    assert {o.status for o in r.obligations} >= {
        "ok",
        "late",
        "partial",
        "missing",
        "done",
        "ongoing",
        "confirm",
        "unassigned",
    }


def test_bad_files_are_rejected_with_reasons_and_the_round_completes(tmp_path, tree, catalog):
    r = run_check(catalog, tree, T(6, 21), Home.resolve(tmp_path / "home"))
    rejected = {f.path: f.reason for f in r.rejected}
    assert set(rejected) == {
        "工信局/33/第一轮/材料.docx",
        "工信局/06/制度.xlsx",
        "工信局/10/制度.pdf",
        "工信局/13/第一轮/宣传.xlsx",
    }
    assert "加密" in rejected["工信局/06/制度.xlsx"]
    assert "空" in rejected["工信局/10/制度.pdf"]
    assert "损坏" in rejected["工信局/33/第一轮/材料.docx"] or "无法" in rejected["工信局/33/第一轮/材料.docx"]
    obs = statuses(r)
    d06 = obs[("D06", "区工信局", D(6, 20))]
    assert d06.status == "missing" and any("制度.xlsx" in p and "加密" in p for p in d06.problems)
    # D33 round 1 has a link but its document is corrupt: evidence there, short -> partial
    assert obs[("D33", "区工信局", D(6, 10))].status == "partial"
    unrec = {f.path for f in r.unrecognized}
    assert {"工信局/随手放的.pdf", "不存在局/"} <= unrec
    assert all(not p.endswith("~$仓储物流.xlsx") for p in unrec | set(rejected))


def test_second_check_opens_nothing_and_agrees(tmp_path, tree, catalog):
    home = Home.resolve(tmp_path / "home")
    first = run_check(catalog, tree, T(6, 21), home)
    second = run_check(catalog, tree, T(6, 21), home)
    conn = sqlite3.connect(home.db)
    conn.row_factory = sqlite3.Row
    runs = conn.execute("SELECT files, hashed, inspected FROM check_runs ORDER BY id").fetchall()
    assert runs[0]["hashed"] == runs[0]["files"] > 70 and runs[0]["inspected"] > 0
    assert (runs[1]["hashed"], runs[1]["inspected"]) == (0, 0)
    assert first.to_json() == second.to_json()
    # a changed file is read again, and only that one
    samples.make_ledger_xlsx(
        tree / "工信局" / "任务20" / "第三轮" / "仓储物流.xlsx", catalog.templates["附件7"], 201, mtime=T(6, 19, 13)
    )
    third = run_check(catalog, tree, T(6, 21), home)
    run3 = conn.execute("SELECT hashed, inspected FROM check_runs ORDER BY id DESC LIMIT 1").fetchone()
    assert (run3["hashed"], run3["inspected"]) == (1, 1)
    assert statuses(third)[("D20", "区工信局", D(6, 20))].status == "ok"


def test_init_folders_tree_owes_everything(tmp_path, catalog):
    root = tmp_path / "share"
    rep = init_folders(root, catalog)
    assert rep.created_files and (root / "区工信局" / "20-仓储物流数据归集" / "说明.txt").exists()
    blank = list((root / "区工信局" / "20-仓储物流数据归集" / "第一轮").glob("*.xlsx"))
    assert len(blank) == 1
    home = Home.resolve(tmp_path / "home")
    before = run_check(catalog, root, T(6, 1), home)
    after = run_check(catalog, root, T(6, 30), home)
    for result, expected in ((before, "pending"), (after, "missing")):
        assert not result.rejected and not result.unrecognized
        assert not [o for o in result.obligations if o.status in ("ok", "late", "partial")]
        dated = [o for o in result.obligations if o.due and not catalog.tasks[o.task].task.platform]
        assert dated and {o.status for o in dated} == {expected}
    mid = run_check(catalog, root, T(6, 12, 23), home)
    d20 = statuses(mid)
    assert (
        d20[("D20", "区工信局", D(6, 4))].status == "missing" and d20[("D20", "区工信局", D(6, 20))].status == "pending"
    )


def test_init_folders_never_overwrites(tmp_path, catalog):
    root = tmp_path / "share"
    init_folders(root, catalog, units=["区工信局"])
    note = root / "区工信局" / "20-仓储物流数据归集" / "说明.txt"
    note.write_text("单位自己写的说明", encoding="utf-8")
    mine = root / "区工信局" / "20-仓储物流数据归集" / "第一轮" / "我们的台账.xlsx"
    samples.make_ledger_xlsx(mine, catalog.templates["附件7"], 5)
    data = mine.read_bytes()
    rep = init_folders(root, catalog, units=["区工信局"])
    assert not rep.created_files and not rep.created_dirs and rep.kept > 0
    assert note.read_text(encoding="utf-8") == "单位自己写的说明" and mine.read_bytes() == data


def test_cli_check_json_contract(tmp_path, tree):
    out = tmp_path / "check.json"
    env = dict(os.environ, DUBAN_HOME=str(tmp_path / "home"))
    proc = subprocess.run(
        [sys.executable, "-m", "duban", "check", "--evidence", str(tree), "--as-of", "2021-06-21", "--json", str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "区工信局" in proc.stdout and "材料不足" in proc.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema"] == 1 and data["as_of"].startswith("2021-06-21T23:59:59")
    assert set(data) == {"schema", "as_of", "evidence_root", "obligations", "unrecognized", "rejected"}
    ob = next(o for o in data["obligations"] if o["task"] == "D20" and o["round"] == "2021-06-20")
    assert set(ob) == {"task", "unit", "round", "due", "status", "problems", "files"}
    assert ob["files"] == ["工信局/任务20/第三轮/仓储物流.xlsx"] and ob["status"] == "partial"
    assert all("\\" not in f["path"] for f in data["rejected"])
    missing = subprocess.run(
        [sys.executable, "-m", "duban", "check", "--evidence", str(tmp_path / "gone")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert missing.returncode == 2 and "不存在" in missing.stderr and "Traceback" not in missing.stderr


def test_the_stored_result_is_the_json_of_the_result(tmp_path, tree, catalog):
    """What the store keeps of a check (made an entry at a time) is exactly json.dumps of its
    to_json(), and reads back as the same result."""
    from duban.results import CheckResult

    result = run_check(catalog, tree, T(6, 21, 23), Home.resolve(tmp_path / "home"))
    assert result.rejected and result.unrecognized and len(result.obligations) > 100
    text = result.json_text()
    assert text == json.dumps(result.to_json(), ensure_ascii=False)
    with sqlite3.connect(tmp_path / "home" / "duban.sqlite") as db:
        (stored,) = db.execute("select result from check_runs where id = ?", (result.run_id,)).fetchone()
    assert stored == text and CheckResult.from_json(json.loads(stored)).to_json() == result.to_json()


def test_recheck_trusts_the_store_for_unchanged_files(tmp_path, tree, catalog):
    """Proof that a re-check opens nothing: garble a file's bytes but keep its size, mtime and
    inode — the re-check still sees the original facts (a real change moves mtime)."""
    home = Home.resolve(tmp_path / "home")
    first = run_check(catalog, tree, T(6, 21), home)
    target = tree / "工信局" / "20" / "第一轮" / "仓储物流.xlsx"
    st = target.stat()
    with open(target, "r+b") as f:
        f.write(b"\0" * st.st_size)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    second = run_check(catalog, tree, T(6, 21), home)
    assert second.to_json() == first.to_json()
    assert statuses(second)[("D20", "区工信局", D(6, 4))].status == "ok"


def test_a_clock_in_the_future_does_not_hide_an_upload(tmp_path, catalog):
    root = tmp_path / "share"
    now = dt.datetime.now(TZ)
    samples.make_ledger_xlsx(
        root / "工信局" / "26" / "问卷.xlsx", catalog.templates["问卷回收台账"], 50, mtime=now + dt.timedelta(days=3)
    )
    r = run_check(catalog, root, now + dt.timedelta(minutes=1), Home.resolve(tmp_path / "home"), tasks=["D26"])
    (o,) = r.obligations
    assert o.status == "late" and o.files == ["工信局/26/问卷.xlsx"]


def test_a_unit_recheck_lists_only_that_units_leftovers(tmp_path, tree, catalog):
    r = run_check(catalog, tree, T(6, 21), Home.resolve(tmp_path / "home"), units=["区工信局"])
    assert {u.path for u in r.unrecognized} == {"工信局/随手放的.pdf"}
    assert {o.unit for o in r.obligations} == {"区工信局"}
    assert r.rejected and all(f.path.startswith("工信局/") for f in r.rejected)


def test_init_folders_reuses_folders_units_renamed(tmp_path, catalog):
    root = tmp_path / "share"
    (root / "工信局" / "20" / "第1轮").mkdir(parents=True)
    (root / "工信局" / "D26 问卷").mkdir(parents=True)
    init_folders(root, catalog, units=["区工信局"])
    assert not (root / "区工信局").exists()
    assert not (root / "工信局" / "20-仓储物流数据归集").exists() and not (root / "工信局" / "20" / "第一轮").exists()
    assert (root / "工信局" / "20" / "第1轮" / "附件7-企业仓储物流（快递）信息归集模板（空白模板）.xlsx").exists()
    assert (root / "工信局" / "20" / "第二轮").is_dir() and (root / "工信局" / "D26 问卷" / "说明.txt").exists()
    note = (root / "工信局" / "06-信用制度文件梳理修订" / "说明.txt").read_text(encoding="utf-8-sig")
    assert "6月20日前（截止日当天 24 时前提交均算按时）" in note and "空白模板" not in note


def test_cli_check_takes_the_share_from_settings(tmp_path, tree):
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.yaml").write_text(f"evidence_root: {tree}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DUBAN_EVIDENCE"}
    env["DUBAN_HOME"] = str(home)
    p = subprocess.run(
        [sys.executable, "-m", "duban", "check", "--as-of", "2021-06-21", "--json", "-"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["evidence_root"] == str(tree.resolve())
    (home / "settings.yaml").write_text("", encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "duban", "check"], capture_output=True, text=True, env=env)
    assert p.returncode == 2 and "evidence_root" in p.stderr and "Traceback" not in p.stderr


def test_reading_limits_come_from_settings(tmp_path, catalog):
    root = tmp_path / "share"
    samples.make_ledger_xlsx(
        root / "工信局" / "26" / "问卷.xlsx", catalog.templates["问卷回收台账"], 50, mtime=T(6, 14)
    )
    home = Home.resolve(tmp_path / "home")
    home.settings_file.write_text("limits:\n  max_file_bytes: 1000\n", encoding="utf-8")
    r = run_check(catalog, root, T(6, 16), home, tasks=["D26"])
    (bad,) = r.rejected
    assert bad.path == "工信局/26/问卷.xlsx" and "过大" in bad.reason and r.obligations[0].status == "missing"
    home.settings_file.write_text("limits:\n  max_file_bytes: 10000000\n", encoding="utf-8")  # raised: read again
    r = run_check(catalog, root, T(6, 16), home, tasks=["D26"])
    assert not r.rejected and r.obligations[0].status == "ok"
    home.settings_file.write_text("limits:\n  max_file_size: 1000\n", encoding="utf-8")
    env = dict(os.environ, DUBAN_HOME=str(home.root))
    p = subprocess.run(
        [sys.executable, "-m", "duban", "check", "--evidence", str(root)], capture_output=True, text=True, env=env
    )
    assert p.returncode == 2 and "max_file_size" in p.stderr and "settings.yaml" in p.stderr


def test_a_recheck_writes_only_the_rows_that_changed(tmp_path, tree, catalog):
    home = Home.resolve(tmp_path / "home")
    run_check(catalog, tree, T(6, 21), home)
    conn = sqlite3.connect(home.db)
    conn.execute("UPDATE evidence_files SET last_seen = 'before'")
    conn.commit()
    run_check(catalog, tree, T(6, 21), home)
    assert conn.execute("SELECT count(*) FROM evidence_files WHERE last_seen != 'before'").fetchone() == (0,)
    samples.make_pdf(tree / "工信局" / "11" / "第一轮" / "案例二.pdf", pages=3, mtime=T(6, 2, 13))
    run_check(catalog, tree, T(6, 21), home)
    written = conn.execute("SELECT path FROM evidence_files WHERE last_seen != 'before'").fetchall()
    assert written == [("工信局/11/第一轮/案例二.pdf",)]


def test_a_file_changed_while_it_was_read_counts_as_read_and_is_read_again(tmp_path, catalog, monkeypatch):
    """The hash is taken first, the worker reads later: a file rewritten in between is judged
    by what the worker read, and its facts are not remembered under the old hash."""
    from duban.evidence import share

    root = tmp_path / "share"
    folder = root / "工信局" / "26"
    t = catalog.templates["问卷回收台账"]
    samples.make_ledger_xlsx(folder / "a.xlsx", t, 10, mtime=T(6, 14))
    samples.make_pdf(folder / "b.pdf", mtime=T(6, 14))

    def hook(path: str) -> None:  # b is hashed after a, before the workers read a
        if path.endswith("b.pdf"):
            samples.make_ledger_xlsx(folder / "a.xlsx", t, 50, mtime=T(6, 14, 13))

    home = Home.resolve(tmp_path / "home")
    monkeypatch.setattr(share, "before_open", hook)
    first = run_check(catalog, root, T(6, 21), home, tasks=["D26"])
    monkeypatch.setattr(share, "before_open", None)
    (o,) = first.obligations
    assert (o.unit, o.status) == ("区工信局", "ok")  # judged by the 50 rows the worker read (10 would be short)
    conn = sqlite3.connect(home.db)
    (old_sha,) = conn.execute("SELECT sha256 FROM evidence_files WHERE path LIKE '%a.xlsx'").fetchone()
    assert conn.execute("SELECT count(*) FROM inspections WHERE sha256 = ?", (old_sha,)).fetchone() == (0,)
    second = run_check(catalog, root, T(6, 21), home, tasks=["D26"])
    assert (second.stats["hashed"], second.stats["inspected"]) == (1, 1)
    assert [o.status for o in second.obligations] == ["ok"]


def test_facts_gone_from_the_store_are_read_again_never_guessed(tmp_path, tree, catalog):
    home = Home.resolve(tmp_path / "home")
    first = run_check(catalog, tree, T(6, 21), home)
    conn = sqlite3.connect(home.db)
    conn.execute(
        "DELETE FROM inspections WHERE sha256 = (SELECT sha256 FROM evidence_files WHERE path = ?)",
        ("工信局/20/第一轮/仓储物流.xlsx",),
    )
    conn.commit()
    second = run_check(catalog, tree, T(6, 21), home)
    o = statuses(second)[("D20", "区工信局", D(6, 4))]
    assert o.status == "unreadable" and "工信局/20/第一轮/仓储物流.xlsx" in o.problems[0]
    third = run_check(catalog, tree, T(6, 21), home)
    assert third.stats["inspected"] == 1 and third.to_json() == first.to_json()


def test_a_supporting_units_file_joins_the_leads_it_counts_for_into_one_part(monkeypatch):
    """A task is judged a part at a time; a file counts only for units of its own part: a
    supporting unit's file counts for every lead, so with it those leads are one part."""
    from types import SimpleNamespace

    from duban.check import run
    from duban.check.gather import GatheredFile

    monkeypatch.setattr(run, "PART_FILES", 1)  # every part on its own
    catalog = SimpleNamespace(tasks={"T": SimpleNamespace(leads=("甲局", "乙局"))})

    def files(*units):
        return [(i, GatheredFile(f"{u}/T/{i}.pdf", u, "T", None, 0.0, f"{i:064x}")) for i, u in enumerate(units)]

    apart = list(run._parts(catalog, "T", files("甲局", "乙局", "甲局")))
    assert [(units, [o for o, _ in part]) for units, part in apart] == [({"甲局"}, [0, 2]), ({"乙局"}, [1])]
    joined = list(run._parts(catalog, "T", files("甲局", "乙局", "丙办")))  # 丙办 supports: counts for both
    assert [(units, [o for o, _ in part]) for units, part in joined] == [({"甲局", "乙局"}, [0, 1, 2])]
    monkeypatch.setattr(run, "PART_FILES", 500)
    assert [len(part) for _, part in run._parts(catalog, "T", files("甲局", "乙局", "甲局"))] == [3]
