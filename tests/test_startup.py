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


def loaded(tmp_path, *args: str, with_light: bool = False) -> set[str]:
    """The heavy top-level packages a ``duban`` command imported, run in a fresh interpreter
    (``with_light``: click and the catalog's pydantic count as heavy too)."""
    out = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "PREFECT_"))}
    env.update(PROBE_ARGS=json.dumps(list(args)), PROBE_OUT=str(out))
    p = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.exists(), p.stdout[-2000:] + p.stderr[-2000:]
    return set(json.loads(out.read_text())) & (HEAVY | ({"click", "pydantic", "yaml"} if with_light else set()))


@pytest.mark.parametrize("args", [("--help",), ("catalog", "--json"), ("catalog", "--check")])
def test_catalog_and_help_load_no_heavy_package(tmp_path, args):
    assert loaded(tmp_path, *args) == set()


def test_check_loads_the_store_only_and_draws_its_table_itself(tmp_path):
    """rich only where the table is wider than the terminal (duban.cli.summary)."""
    share = tmp_path / "share"
    share.mkdir()
    args = ("--home", str(tmp_path / "home"), "check", "--evidence", str(share), "--as-of", "2021-06-21")
    assert loaded(tmp_path, *args) == {"sqlalchemy"}
    assert loaded(tmp_path, *args[:-2], "--as-of", "2021-06-21", "--json", "-") == {"sqlalchemy"}


def test_a_recheck_with_nothing_changed_starts_no_reader(tmp_path):
    from duban.testing import samples

    share = tmp_path / "share"
    samples.make_pdf(share / "工信局" / "11" / "第一轮" / "案例.pdf")
    args = ("--home", str(tmp_path / "home"), "check", "--evidence", str(share), "--as-of", "2021-06-21", "--json", "-")
    assert "multiprocessing" in loaded(tmp_path, *args)  # the first check reads the PDF
    assert loaded(tmp_path, *args, "--full") == {"sqlalchemy"}  # judged again: the store, no reader


def test_a_recheck_answered_from_the_last_one_loads_neither_click_nor_the_store(tmp_path):
    """duban.cli.quick: the kept answer is found and printed before the command line reaches click."""
    share = tmp_path / "share"
    share.mkdir()
    args = ("--home", str(tmp_path / "home"), "check", "--evidence", str(share), "--as-of", "2021-06-21")
    assert loaded(tmp_path, *args) == {"sqlalchemy"}
    assert loaded(tmp_path, *args, with_light=True) == set()


def test_catalog_json_kept_in_the_data_directory_loads_not_even_click(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    args = ("--home", str(home), "catalog", "--json")
    first = subprocess.run([sys.executable, "-m", "duban", *args], capture_output=True, text=True, timeout=120)
    assert loaded(tmp_path, *args, with_light=True) == set()  # read back from <home>/cache
    again = subprocess.run([sys.executable, "-m", "duban", *args], capture_output=True, text=True, timeout=120)
    assert first.returncode == again.returncode == 0 and again.stdout == first.stdout
    assert [t["id"] for t in json.loads(again.stdout)["tasks"]][:2] == ["D01", "D02"]
    assert loaded(tmp_path, "--home", str(home), "catalog", "--json", "--unit", "区工信局", with_light=True) >= {
        "click"
    }


def test_what_the_quick_reader_leaves_to_click(tmp_path):
    """Any other form of the command line is click's: the quick reader answers none of these."""
    from duban.cli.quick import _parse

    assert _parse(["check", "--evidence", "s", "--as-of=2021-06-21", "--unit", "工信局", "--no-details"]) == {
        "home": None,
        "evidence": "s",
        "as_of": "2021-06-21",
        "json": None,
        "catalog": None,
        "units": ["工信局"],
        "tasks": [],
        "details": False,
    }
    for argv in (
        ["check", "--full"],
        ["check", "--help"],
        ["check", "-h"],
        ["check", "--evidence"],
        ["check", "--bogus", "1"],
        ["--home", "h", "catalog", "--json"],
        ["-v", "check"],
        ["checks"],
        [],
    ):
        assert _parse(argv) is None, argv


def test_starting_the_readers_server_imports_nothing_of_duban_but_itself():
    """A first check starts the server its readers fork from before anything else (the
    readers' imports then overlap its own): warming up loads no catalog model, no store, no
    reader, in the caller."""
    code = (
        "import sys; from duban.evidence.forkserver import warm_up; "
        "print(sorted(m for m in sys.modules if m.startswith(('duban', 'pydantic', 'sqlalchemy', 'pypdf', 'python_calamine'))))"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "['duban', 'duban.evidence', 'duban.evidence.forkserver']"
