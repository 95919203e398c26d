"""Start-up: a command imports only what it uses (how long that takes is measured by
``benchmarks/bench_scale.py``; here, which heavy packages each command loads)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = {
    "rich",
    "sqlalchemy",
    "prefect",
    "pandas",
    "numpy",
    "jinja2",
    "openpyxl",
    "python_calamine",
    "pypdf",
    "docx",
    "yagmail",
    "httpx",
    "multiprocessing",  # the readers' pool: only when there is something to read
}

PROBE = """
import json, os, sys
sys.argv = ["duban", *json.loads(os.environ["PROBE_ARGS"])]
from duban.cli import main
try:
    main()
except SystemExit:
    pass
with open(os.environ["PROBE_OUT"], "w") as f:
    json.dump(sorted({m.split(".")[0] for m in sys.modules}), f)
"""


def loaded(tmp_path, *args: str) -> set[str]:
    """The heavy top-level packages a ``duban`` command imported, run in a fresh interpreter."""
    out = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "PREFECT_"))}
    env.update(PROBE_ARGS=json.dumps(list(args)), PROBE_OUT=str(out))
    p = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.exists(), p.stdout[-2000:] + p.stderr[-2000:]
    return set(json.loads(out.read_text())) & HEAVY


@pytest.mark.parametrize("args", [("--help",), ("catalog", "--json"), ("catalog", "--check")])
def test_catalog_and_help_load_no_heavy_package(tmp_path, args):
    assert loaded(tmp_path, *args) == set()


def test_check_loads_the_store_and_the_terminal_table_only(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    args = ("--home", str(tmp_path / "home"), "check", "--evidence", str(share), "--as-of", "2021-06-21")
    assert loaded(tmp_path, *args) == {"sqlalchemy", "rich"}
    assert loaded(tmp_path, *args[:-2], "--as-of", "2021-06-21", "--json", "-") == {"sqlalchemy"}


def test_a_recheck_with_nothing_changed_starts_no_reader(tmp_path):
    from duban.testing import samples

    share = tmp_path / "share"
    samples.make_pdf(share / "工信局" / "11" / "第一轮" / "案例.pdf")
    args = ("--home", str(tmp_path / "home"), "check", "--evidence", str(share), "--as-of", "2021-06-21", "--json", "-")
    assert "multiprocessing" in loaded(tmp_path, *args)  # the first check reads the PDF
    assert loaded(tmp_path, *args) == {"sqlalchemy"}
