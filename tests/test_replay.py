"""A re-check with nothing changed answers from the last check (duban.replay,
duban.cli.quick): the same answer as a whole check, and never once anything it depends on moved."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from duban import replay
from duban.cli import cli
from duban.testing import samples
from duban.timeutil import TZ

T = lambda m, d, h=12: dt.datetime(2021, m, d, h, 0, tzinfo=TZ)
KEPT = "均未变化，沿用其判定"
JUDGED = "新读取"


@pytest.fixture()
def share(tmp_path, catalog) -> Path:
    """区工信局: D20 on time in round 1 and short in round 3, two D11 cases, one bad file."""
    root = tmp_path / "share"
    t7 = catalog.templates["附件7"]
    gx = root / "工信局"
    samples.make_ledger_xlsx(gx / "20" / "第一轮" / "仓储物流.xlsx", t7, 200, mtime=T(6, 3))
    samples.make_ledger_xlsx(gx / "20" / "第三轮" / "仓储物流.xlsx", t7, 199, mtime=T(6, 19))
    samples.make_docx(gx / "11" / "第一轮" / "案例一.docx", ["案例一：分级分类监管"], mtime=T(6, 2))
    samples.make_pdf(gx / "11" / "第一轮" / "案例二.pdf", pages=2, mtime=T(6, 2))
    samples.make_corrupt(gx / "33" / "第一轮" / "材料.docx", mtime=T(6, 9))
    return root


def duban(home: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``duban`` as a user runs it (a fresh interpreter, the real command line)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "PREFECT_"))}
    p = subprocess.run(
        [sys.executable, "-m", "duban", "--home", str(home), *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    return p


def check(home: Path, root: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return duban(home, "check", "--evidence", str(root), *args, **kw)


def recheck(home: Path, root: Path, *args: str, env: dict | None = None):
    """``duban check`` through click in this process (what changes a kept answer is the same
    either way; the real command line is the subprocess tests above)."""
    r = CliRunner().invoke(cli, ["--home", str(home), "check", "--evidence", str(root), *args], env=env)
    assert r.exit_code == 0, r.output
    return r


def last(p) -> str:
    return p.stdout.rstrip("\n").splitlines()[-1]


def test_nothing_changed_prints_the_same_answer_without_judging_again(tmp_path, share):
    home = tmp_path / "home"
    first = check(home, share, "--as-of", "2021-06-21")
    again = check(home, share, "--as-of", "2021-06-21")
    assert JUDGED in last(first) and KEPT in last(again)
    assert last(again).startswith("扫描 5 个文件，与 ") and "duban check --full 可重新判定" in last(again)
    assert again.stdout.splitlines()[:-1] == first.stdout.splitlines()[:-1]  # heading, table, open items
    assert "材料不足 区工信局 D20 2021-06-20" in again.stdout and "材料.docx" in again.stdout
    full = check(home, share, "--as-of", "2021-06-21", "--full")
    assert JUDGED in last(full) and full.stdout.splitlines()[:-1] == first.stdout.splitlines()[:-1]
    assert again.stderr == full.stderr == f"数据目录：{home.resolve()}\n"


def test_a_kept_json_answer_is_the_whole_checks_answer(tmp_path, share):
    home = tmp_path / "home"
    check(home, share, "--as-of", "2021-06-21", "--json", "-")
    kept = check(home, share, "--as-of", "2021-06-21", "--json", "-")
    full = check(home, share, "--as-of", "2021-06-21", "--json", "-", "--full")
    assert json.loads(kept.stdout) == json.loads(full.stdout)
    out = tmp_path / "out" / "result.json"
    check(home, share, "--as-of", "2021-06-21", "--json", str(out))
    out.unlink()
    again = check(home, share, "--as-of", "2021-06-21", "--json", str(out))
    assert KEPT in again.stdout and f"JSON 结果已写入 {out}" in again.stdout
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(full.stdout)


def test_a_later_time_is_answered_until_it_passes_a_due_time_or_a_file(tmp_path, share):
    home = tmp_path / "home"
    check(home, share, "--as-of", "2021-06-21T10:00", "--json", "-")
    later = check(home, share, "--as-of", "2021-06-21T11:30", "--json", "-")
    assert json.loads(later.stdout)["as_of"] == "2021-06-21T11:30:00+08:00"
    full = check(home, share, "--as-of", "2021-06-21T11:30", "--json", "-", "--full")
    assert json.loads(later.stdout) == json.loads(full.stdout)
    # 06-19 12:00: the short round-3 ledger came in; before it, round 3 had nothing
    before = check(home, share, "--as-of", "2021-06-19T11:00", "--json", "-")
    after = check(home, share, "--as-of", "2021-06-19T13:00", "--json", "-")
    status = lambda p: {(o["task"], o["round"]): o["status"] for o in json.loads(p.stdout)["obligations"]}
    assert status(before)[("D20", "2021-06-20")] == "pending" and status(after)[("D20", "2021-06-20")] == "pending"
    assert json.loads(after.stdout) == json.loads(
        check(home, share, "--as-of", "2021-06-19T13:00", "--json", "-", "--full").stdout
    )
    late = check(home, share, "--as-of", "2021-06-21T00:00:01", "--json", "-")  # round 3 closed at 06-20 24:00
    assert status(late)[("D20", "2021-06-20")] == "partial"


def test_the_window_is_between_the_instants_compared():
    points = [T(6, 10), T(6, 20)]
    w = replay.window(T(6, 15), points)
    assert w.holds(T(6, 11)) and w.holds(T(6, 19, 23)) and not w.holds(T(6, 10)) and not w.holds(T(6, 20))
    exact = replay.window(T(6, 20), points)
    assert exact.holds(T(6, 20)) and not exact.holds(T(6, 20) + dt.timedelta(microseconds=1))
    open_end = replay.window(T(7, 1), points + [None])
    assert open_end.holds(T(12, 31)) and not open_end.holds(T(6, 20))


# ---------------------------------------------------------------- what makes it judge again
def _add_file(share: Path, home: Path) -> None:
    samples.make_pdf(share / "工信局" / "11" / "第二轮" / "案例三.pdf", mtime=T(6, 10))


def _rewrite(share: Path, home: Path) -> None:
    """Same name and size, new content and time: a clerk's corrected ledger."""
    p = share / "工信局" / "20" / "第三轮" / "仓储物流.xlsx"
    data = p.read_bytes()
    p.write_bytes(data)
    os.utime(p, (T(6, 18).timestamp(), T(6, 18).timestamp()))


def _remove(share: Path, home: Path) -> None:
    (share / "工信局" / "20" / "第一轮" / "仓储物流.xlsx").unlink()


def _settings(share: Path, home: Path) -> None:
    (home / "settings.yaml").write_text("limits:\n  max_rows: 150\n", encoding="utf-8")


def _decision(share: Path, home: Path) -> None:
    r = CliRunner().invoke(
        cli, ["--home", str(home), "decide", "waive", "D20", "--unit", "工信局", "--note", "本单位无仓储企业"]
    )
    assert r.exit_code == 0, r.output
    # a check in the decision's own second is answered for that second only (its as-of time is one
    # of the instants compared); people check later than that
    time.sleep(1.1)


def _link(share: Path, home: Path) -> None:
    (share / "工信局" / "11" / "第一轮" / "同一案例.pdf").symlink_to(share / "工信局" / "11" / "第一轮" / "案例二.pdf")


@pytest.mark.parametrize(
    "change, shows",
    [
        (_add_file, lambda out: "未报送 区工信局 D11 2021-06-12" not in out),
        (_rewrite, None),
        (_remove, lambda out: "未报送 区工信局 D20 2021-06-04" in out),
        (_settings, lambda out: "有效数据 150 条" in out),
        (_decision, lambda out: "区工信局 D20 2021-06-20" not in out),
        (_link, None),
    ],
    ids=["file added", "file rewritten", "file removed", "settings edited", "decision made", "link in the share"],
)
def test_any_change_judges_again(tmp_path, share, change, shows):
    """As-of now, as people run it: a decision made now is in force at the next check."""
    home = tmp_path / "home"
    recheck(home, share, "--as-of", "now")
    assert KEPT in last(recheck(home, share, "--as-of", "now"))
    change(share, home)
    again = recheck(home, share, "--as-of", "now")
    assert JUDGED in last(again)
    if shows:
        assert shows(again.stdout), again.stdout
    if change is not _link:  # a share with a link is never answered from a kept answer
        assert KEPT in last(recheck(home, share, "--as-of", "now"))
    else:
        assert JUDGED in last(recheck(home, share, "--as-of", "now"))


def test_an_edited_catalog_or_another_environment_judges_again(tmp_path, share, catalog):
    home = tmp_path / "home"
    mine = tmp_path / "catalog"
    shutil.copytree(catalog.root, mine, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    recheck(home, share, "--as-of", "2021-06-21", "--catalog", str(mine))
    assert KEPT in last(recheck(home, share, "--as-of", "2021-06-21", "--catalog", str(mine)))
    campaign = mine / "campaign.yaml"
    campaign.write_text(campaign.read_text(encoding="utf-8") + "\n# 备注\n", encoding="utf-8")
    assert JUDGED in last(recheck(home, share, "--as-of", "2021-06-21", "--catalog", str(mine)))
    assert KEPT in last(recheck(home, share, "--as-of", "2021-06-21", "--catalog", str(mine)))
    other = recheck(home, share, "--as-of", "2021-06-21", "--catalog", str(mine), env={"DUBAN_DISTRICT": "历下区"})
    assert JUDGED in last(other)


def test_the_click_command_answers_the_same_way(tmp_path, share):
    """``duban check`` through click (as CliRunner and a form the quick reader leaves to it run it)."""
    home = tmp_path / "home"
    args = ["--home", str(home), "check", "--evidence", str(share), "--as-of", "2021-06-21"]
    first = CliRunner().invoke(cli, args)
    again = CliRunner().invoke(cli, args)
    assert first.exit_code == again.exit_code == 0, first.output + again.output
    assert JUDGED in first.output.splitlines()[-1] and KEPT in again.output.splitlines()[-1]
    assert again.output.splitlines()[1:-1] == first.output.splitlines()[1:-1]


def test_a_store_on_postgresql_is_always_judged(tmp_path, share, postgres_url):
    home = tmp_path / "home"
    env = {"DUBAN_DATABASE_URL": postgres_url}
    check(home, share, "--as-of", "2021-06-21", env=env)
    assert JUDGED in last(check(home, share, "--as-of", "2021-06-21", env=env))
    assert not list(home.glob("cache/check-*.json"))
    assert replay.sqlite_path(postgres_url) is None


LISTINGS = """
import atexit, os, sys
from duban import replay

listed = []
_share_digest = replay._share_digest
replay._share_digest = lambda root: listed.append(root) or _share_digest(root)
atexit.register(lambda: print(f"listed {len(listed)}", file=sys.stderr))
sys.argv = ["duban", *sys.argv[1:]]
from duban.cli import main
main()
"""


def test_a_check_lists_the_share_once_and_still_sees_what_changed(tmp_path, share):
    """The quick reader, the click command and the kept answer share one listing of the share
    (each used to walk it: three walks before the check's own)."""
    home = tmp_path / "home"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "PREFECT_"))}

    def run(*extra: str) -> subprocess.CompletedProcess:
        args = ["--home", str(home), "check", "--evidence", str(share), "--as-of", "2021-06-21", *extra]
        p = subprocess.run(
            [sys.executable, "-c", LISTINGS, *args], env=base, capture_output=True, text=True, timeout=120
        )
        assert p.returncode == 0, p.stderr[-2000:]
        return p

    first = run()
    assert JUDGED in last(first) and "listed 1" in first.stderr
    kept = run()
    assert KEPT in last(kept) and "listed 1" in kept.stderr
    _remove(share, home)
    again = run()
    assert JUDGED in last(again) and "listed 1" in again.stderr
    assert "未报送 区工信局 D20 2021-06-04" in again.stdout
    assert KEPT in last(run())  # the answer kept names the share as it is now


def test_a_command_that_only_reads_the_store_leaves_the_kept_answer_standing(tmp_path, share):
    """Every command closes its store on the way out (SQLite folds its WAL back), also when it
    leaves without the interpreter's teardown: ``decide list`` between two checks changes nothing."""
    home = tmp_path / "home"
    assert JUDGED in last(check(home, share, "--as-of", "2021-06-21"))
    listed = duban(home, "decide", "list")
    assert "决定" in listed.stdout + listed.stderr
    assert not list(home.glob("*-wal")), sorted(p.name for p in home.iterdir())
    assert KEPT in last(check(home, share, "--as-of", "2021-06-21"))
