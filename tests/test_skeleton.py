"""The blank forms duban places (``evidence/skeleton.py``): known without writing them when the
shipped table ``evidence/blank_forms.json`` holds them, and the table is what openpyxl writes."""

from __future__ import annotations

import json
import subprocess
import sys

from duban.evidence import skeleton
from duban.evidence.init_folders import init_folders
from duban.tasks_catalog import load_catalog


def test_the_shipped_table_is_what_the_installed_openpyxl_writes():
    fresh = skeleton.shipped_table(load_catalog())
    shipped = json.loads(skeleton.SHIPPED.read_text(encoding="utf-8"))
    if shipped["openpyxl"] == fresh["openpyxl"]:  # a shipped template edited: run scripts/blank_forms.py
        assert shipped["forms"] == fresh["forms"], "evidence/blank_forms.json is stale: run scripts/blank_forms.py"
    assert len(fresh["forms"]) == 8  # every ledger and figures template of the shipped catalog
    # an entry is only ever used for the very form it was made from: the same answer either way
    assert all(shipped["forms"].get(k, v) == v for k, v in fresh["forms"].items())


FIRST_CHECK = """
import sys
from pathlib import Path
from duban.evidence import skeleton
skeleton.SHIPPED = Path(sys.argv[3])
from duban.check.gather import gather
from duban.home import Home
from duban.tasks_catalog import load_catalog
g = gather(load_catalog(), sys.argv[1], Home.resolve(sys.argv[2]))
print(g.stats["skeleton"], "openpyxl" in sys.modules)
"""


def test_a_new_data_directory_knows_the_placed_forms_without_writing_them(tmp_path):
    catalog = load_catalog()
    share = tmp_path / "share"
    init_folders(share, catalog, units=["区工信局", "区商务局"])
    placed = sum(1 for p in share.rglob("*（空白模板）.xlsx"))
    assert placed > 0
    table = tmp_path / "forms.json"
    table.write_text(json.dumps(skeleton.shipped_table(catalog)), encoding="utf-8")

    def first_check(home: str, forms) -> list[str]:
        r = subprocess.run(
            [sys.executable, "-c", FIRST_CHECK, str(share), str(tmp_path / home), str(forms)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        return r.stdout.split()

    # with the table: every placed form is skeleton, and openpyxl is never imported
    assert first_check("a", table) == [str(placed), "False"]
    # without it (an edited template, another openpyxl): the forms are written, the same answer
    assert first_check("b", tmp_path / "missing.json") == [str(placed), "True"]
