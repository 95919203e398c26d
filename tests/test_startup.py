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
import atexit, json, os, sys
sys.argv = ["duban", *json.loads(os.environ["PROBE_ARGS"])]

@atexit.register  # duban leaves with os._exit after the atexit handlers (duban.cli.leave)
def dump():
    with open(os.environ["PROBE_OUT"], "w") as f:
        json.dump(sorted({m.split(".")[0] for m in sys.modules}), f)

from duban.cli import main
main()
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


WARM_PROBE = """
import json, os, sys
import multiprocessing.forkserver as fs

started = []
ensure_running = fs.ensure_running

def recording():  # duban.evidence.forkserver.warm_up: what this process had imported by then
    started.append(sorted(m for m in ("sqlalchemy", "duban.check", "duban.store") if m in sys.modules))
    return ensure_running()

fs.ensure_running = recording
sys.argv = ["duban", *json.loads(os.environ["PROBE_ARGS"])]
import atexit
atexit.register(lambda: open(os.environ["PROBE_OUT"], "w").write(json.dumps(started)))
from duban.cli import main
main()
"""


def warmed_up(tmp_path, *args) -> list[list[str]]:
    """What the command had imported each time it asked for the readers' server (the check
    asks again when it finds the first file to read: then it is already running)."""
    out = tmp_path / "warm.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "PREFECT_"))}
    env.update(PROBE_ARGS=json.dumps(list(args)), PROBE_OUT=str(out))
    p = subprocess.run(
        [sys.executable, "-c", WARM_PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 0 and out.exists(), p.stdout[-2000:] + p.stderr[-2000:]
    return json.loads(out.read_text())


def test_a_recheck_after_an_upload_starts_the_readers_before_its_own_imports(tmp_path):
    """A changed share is likely read: the readers' server starts first (its imports overlap the
    check's own); an unchanged one judged again (--full) starts none."""
    from duban.testing import samples

    share = tmp_path / "share"
    pdf = samples.make_pdf(share / "工信局" / "11" / "第一轮" / "案例.pdf")
    args = ("--home", str(tmp_path / "home"), "check", "--evidence", str(share), "--as-of", "2021-06-21")
    assert warmed_up(tmp_path, *args)[0] == []  # a new data directory
    assert warmed_up(tmp_path, *args, "--full") == []  # nothing changed
    samples.make_pdf(pdf, pages=2, mtime=pdf.stat().st_mtime + 60)  # a unit hands in a new version
    assert warmed_up(tmp_path, *args)[0] == []  # before the store, the check's modules, anything


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


LEAVE = """
import atexit, sys, threading, time
from duban.cli import leave
atexit.register(lambda: print("atexit ran", flush=False))
print("said before leaving", end="")  # still in the buffer when leave() is called
if sys.argv[1] == "no-stdout":  # started with fd 1 closed (duban ... >&-), or under pythonw
    sys.stdout = None
if sys.argv[1] == "thread":
    threading.Thread(target=lambda: (time.sleep(0.3), print(" thread finished", end=""))).start()
leave(int(sys.argv[2]))
"""


@pytest.mark.parametrize("mode", ["alone", "thread", "no-stdout"])
def test_a_command_leaves_with_its_code_its_output_written_and_atexit_run(mode):
    done = subprocess.run([sys.executable, "-c", LEAVE, mode, "3"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    if mode == "no-stdout":
        assert "Traceback" not in done.stderr
        return
    assert done.stdout.startswith("said before leaving")
    assert "atexit ran" in done.stdout
    if mode == "thread":  # a thread still running is waited for, as by an ordinary exit
        assert "thread finished" in done.stdout
