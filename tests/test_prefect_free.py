"""The library core never imports Prefect: the check, evidence, notifications and reports
(and the demo's tree builder) stay fast and testable without it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CODE = r"""
import importlib, pkgutil, sys
import duban.check, duban.results, duban.home, duban.store, duban.demo, duban.prefect_env
import duban.cli, duban.cli.check, duban.cli.schedule, flows.deployments
for pkg in ("evidence", "notifications", "reports", "tasks_catalog"):
    mod = importlib.import_module(pkg)
    for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
        importlib.import_module(info.name)
bad = sorted(m for m in sys.modules if m == "prefect" or m.startswith("prefect."))
print("PREFECT:" + ",".join(bad[:5]))
"""


def test_library_core_does_not_import_prefect():
    r = subprocess.run([sys.executable, "-c", CODE], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("PREFECT:"), r.stdout
