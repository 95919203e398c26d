"""`duban catalog` (table, --unit, --json) and `duban templates export`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import openpyxl

from duban.evidence.facts import Facts
from duban.evidence.inspect import inspect_file
from duban.evidence.limits import Limits
from duban.evidence.spec import InspectSpec, LedgerSpec
from duban.tasks_catalog import load_catalog


def duban(*args, home=None):
    env = dict(os.environ, COLUMNS="200")
    if home:
        env["DUBAN_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "duban", *args], capture_output=True, text=True, env=env)


def test_catalog_table_lists_every_task():
    p = duban("catalog")
    assert p.returncode == 0, p.stderr
    for tid in ("D01", "D20", "D33", "S01", "S07"):
        assert tid in p.stdout
    assert "各街道办事处" in p.stdout and "06-25" in p.stdout


def test_catalog_for_one_unit_soonest_first():
    p = duban("catalog", "--unit", "工信局")
    assert p.returncode == 0, p.stderr
    assert "区工信局 的任务" in p.stdout
    rows = [line for line in p.stdout.splitlines() if line.startswith("│ D")]
    ids = [r.split("│")[1].strip() for r in rows]
    assert ids[0] in ("D11", "D13", "D20") and ids.index("D26") < ids.index("D06")
    assert "配合（另收配合提醒）" in p.stdout  # D12 support: told by a 配合提醒 of its own


def test_catalog_json_for_machines():
    p = duban("catalog", "--unit", "区工信局", "--json")
    data = json.loads(p.stdout)
    d20 = next(t for t in data["tasks"] if t["id"] == "D20")
    assert d20["rounds"] == ["2021-06-04", "2021-06-12", "2021-06-20"] and d20["role"] == "lead"
    assert d20["evidence"][0]["min"] == 200 and d20["evidence"][0]["template"] == "附件7"
    assert {t["id"] for t in data["tasks"] if t["role"] == "support"} == {"D12"}


def test_templates_export_writes_blank_ledgers(tmp_path):
    cat = load_catalog()
    p = duban("templates", "export", str(tmp_path / "模板"))
    assert p.returncode == 0, p.stderr
    files = sorted((tmp_path / "模板").glob("*.xlsx"))
    ledgers = [t for t in cat.templates.values() if t.kind in ("ledger", "figures")]
    assert len(files) == len(ledgers)
    t7 = cat.templates["附件7"]
    (path,) = [f for f in files if f.name.startswith("附件7-")]
    ws = openpyxl.load_workbook(path).active
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=4)]
    header_row = next(i for i, r in enumerate(values, 1) if r[:2] == ["序号", "企业名称"])
    assert values[0][0] and t7.title in values[0][0]  # title row
    assert [v for v in values[header_row - 1] if v] == [c.name for c in t7.columns]
    assert ws.freeze_panes == f"A{header_row + 1}"
    assert ws.column_dimensions["B"].width >= 20
    # the exported blank template counts as zero data rows for the checker
    facts: Facts = inspect_file(path, InspectSpec(ledgers=(LedgerSpec(t7),)), Limits())
    assert facts.ok and facts.ledgers[0].rows == 0 and not facts.ledgers[0].missing_headers
    again = duban("templates", "export", str(tmp_path / "模板"))
    assert "已存在未覆盖" in again.stdout


def test_catalog_json_is_kept_while_the_campaign_is_unchanged_and_never_stale(tmp_path):
    """The printed JSON is kept in the data directory; an edit, a new task file or a mistake
    shows at once (the mistake as the usual message, not the kept text)."""
    import shutil

    from duban.tasks_catalog import CATALOG_DIR

    folder = tmp_path / "活动"
    shutil.copytree(CATALOG_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__", "source"))
    home = tmp_path / "var"
    home.mkdir()

    def titles() -> dict[str, str]:
        p = duban("catalog", "--json", "--catalog", str(folder), home=home)
        assert p.returncode == 0, p.stderr
        return {t["id"]: t["title"] for t in json.loads(p.stdout)["tasks"]}

    first = titles()
    assert list((home / "cache").iterdir()) and titles() == first
    d20 = folder / "tasks" / "D20.yaml"
    d20.write_text(d20.read_text(encoding="utf-8").replace(first["D20"], "仓储物流企业台账（改）"), encoding="utf-8")
    assert titles()["D20"] == "仓储物流企业台账（改）"
    (folder / "tasks" / "D21.yaml").unlink()
    assert "D21" not in titles()
    d20.write_text(d20.read_text(encoding="utf-8").replace("id: D20", "id: D99"), encoding="utf-8")
    p = duban("catalog", "--json", "--catalog", str(folder), home=home)
    assert p.returncode == 2 and "D20.yaml" in p.stderr and not p.stdout
