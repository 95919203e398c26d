"""`duban demo`: the generated tree has the cases it promises, and `duban demo --quick`
runs end to end in a fresh data directory with clean output (the CI smoke test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from duban.check import run_check
from duban.home import Home
from duban.tasks_catalog import load_catalog
from duban.testing.demo_tree import build_tree
from duban.timeutil import parse_as_of

DUBAN = Path(sys.executable).with_name("duban")


def test_demo_tree_has_the_promised_cases(tmp_path):
    cat = load_catalog()
    tree = build_tree(cat, tmp_path / "share")
    assert len(tree.files) > 500
    res = run_check(cat, tmp_path / "share", parse_as_of("2021-06-26"), Home.resolve(tmp_path / "home"))
    ob = {(o.task, o.unit, o.round.isoformat() if o.round else None): o for o in res.obligations}
    d20 = ob[("D20", "区工信局", "2021-06-04")]
    assert d20.status == "partial" and "199" in d20.problems[0] and "200" in d20.problems[0]
    assert ob[("D20", "区工信局", "2021-06-12")].status == "ok"
    assert ob[("D20", "区工信局", "2021-06-20")].status == "late"
    assert ob[("D23", "区工信局", "2021-06-20")].status == "partial"
    assert ob[("D23", "区发改局", "2021-06-20")].status == "ok"
    assert {o.status for o in res.obligations if o.unit in ("区税务局", "龙洞街道") and o.round} <= {
        "missing",
        "confirm",
    }
    rejected = " ".join(f.path for f in res.rejected)
    assert (
        "信用制度文件清单.docx" in rejected and "新闻报道清理台账.xlsx" in rejected and "联合奖惩案例.pdf" in rejected
    )
    unrecognized = {f.path for f in res.unrecognized}
    assert "区卫健局/诚信宣传活动总结.docx" in unrecognized and any(p.startswith("区教育局") for p in unrecognized)
    assert not any("~$" in p for p in unrecognized | {f.path for f in res.rejected})  # lock files ignored
    statuses = {o.status for o in res.obligations}
    assert {"ok", "late", "partial", "missing", "confirm"} <= statuses


@pytest.mark.prefect
def test_demo_quick_runs_end_to_end(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DUBAN_"))}
    r = subprocess.run(
        [str(DUBAN), "demo", "--quick", "--home", str(tmp_path / "var")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert "Traceback" not in r.stderr and "telemetry" not in r.stderr.lower(), r.stderr[-3000:]
    assert r.stderr.strip() == "", r.stderr[-3000:]
    out = r.stdout
    assert "第 1 轮 · 2021-06-04" in out and "第 2 轮 · 2021-06-10" in out and "第 3 轮" not in out
    assert "报告" in out and "发件箱" in out and "演示完成" in out
    demo = tmp_path / "var" / "demo"
    assert (demo / "reports" / "index.html").exists()
    assert len(list((demo / "reports").glob("2021-06-*/*/report.xlsx"))) == 2
    emls = list((demo / "outbox").rglob("*.eml"))
    assert emls and all(str(p.relative_to(tmp_path)) in out or p.parent.name in out for p in emls[:3])
    assert (demo / "共享文件夹" / "区工信局").is_dir()
