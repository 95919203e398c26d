"""What ``duban check`` prints: a file name never drives the terminal (escape codes, bell,
cursor moves are shown as text)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from duban.timeutil import TZ


@pytest.fixture
def hostile_share(tmp_path):
    root = tmp_path / "share"
    task = root / "区工信局" / "20-仓储物流数据归集" / "第一轮"
    task.mkdir(parents=True)
    bad = task / "\x1b[2J\x1b[31m台账\x07.xlsx"
    bad.write_bytes(b"")  # empty: rejected, listed with its name
    june3 = dt.datetime(2021, 6, 3, 10, tzinfo=TZ).timestamp()
    os.utime(bad, (june3, june3))  # handed in before the check's as-of time
    (root / "区工信局" / "\x1b]0;owned\x07杂项").mkdir()  # not a task folder: unrecognized
    (root / "区工信局" / "\x1b]0;owned\x07杂项" / "a.txt").write_text("x", encoding="utf-8")
    return root


def test_check_shows_escape_codes_in_file_names_as_text(tmp_path, hostile_share):
    env = dict(os.environ, DUBAN_HOME=str(tmp_path / "home"), COLUMNS="200")
    p = subprocess.run(
        [sys.executable, "-m", "duban", "check", "--evidence", str(hostile_share), "--as-of", "2021-06-05"],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr.decode()
    out = p.stdout.decode("utf-8")
    assert "\x1b" not in out and "\x07" not in out  # nothing reaches the terminal as a control code
    assert "\\x1b[2J\\x1b[31m台账\\x07.xlsx" in out  # the rejected file, named visibly
    assert "\\x1b]0;owned\\x07杂项" in out  # the unrecognized folder too
