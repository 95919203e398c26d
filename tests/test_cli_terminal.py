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


def run_in_terminal(args: list[str], env: dict[str, str], cols: int) -> str:
    """Run a command with a real pseudo-terminal of ``cols`` columns as its stdout; what it printed."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")}
    p = subprocess.Popen(args, stdout=follower, stderr=subprocess.PIPE, env=dict(env, TERM="xterm-256color"))
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed with the command
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert p.wait(timeout=120) == 0, p.stderr.read().decode() if p.stderr else ""
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_on_a_terminal_the_table_is_coloured_and_file_names_still_cannot_drive_it(tmp_path, hostile_share):
    env = dict(os.environ, DUBAN_HOME=str(tmp_path / "home"))
    args = [sys.executable, "-m", "duban", "check", "--evidence", str(hostile_share), "--as-of", "2021-06-05"]
    out = run_in_terminal(args, env, cols=200)
    assert "┃ \x1b[1m单位\x1b[0m" in out and "\x1b[1m按时完成\x1b[0m" in out  # the header in bold
    assert "\x1b[31m被拒绝的文件 1 个：\x1b[0m" in out
    assert "\\x1b[2J\\x1b[31m台账\\x07.xlsx" in out and "\x1b[2J" not in out and "\x07" not in out
    # a terminal narrower than the table: rich narrows the columns to fit
    narrow = run_in_terminal([*args, "--full"], env, cols=60)
    import re

    from duban.cli.summary import _cells

    table = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in narrow.splitlines() if line[:1] in "┏┃┡│└"]
    assert len(table) > 30 and max(_cells(line) for line in table) == 60, table[:3]


def test_the_table_drawn_without_rich_is_the_table_rich_draws(tmp_path, hostile_share, catalog):
    from duban.check import run_check
    from duban.cli import summary
    from duban.home import Home

    result = run_check(catalog, hostile_share, dt.datetime(2021, 6, 21, 23, tzinfo=TZ), Home.resolve(tmp_path / "h"))
    console = summary.make_console()
    with console.capture() as captured:
        summary.print_body(catalog, result, details=True, console=console)
    drawn = summary._plain_body(catalog, result, details=True, color=False, width=140)
    assert drawn is not None
    table = lambda text: text[: text.index("合计：")]
    assert table(drawn) == table(captured.get()) and table(drawn).count("\n") == len(catalog.units) + 4
    # a problem longer than a line is one line (rich breaks it where the width ends)
    long = [line for line in drawn.splitlines() if line.startswith(("未报送", "材料不足")) and len(line) > 70]
    assert long and all(line in drawn.splitlines() for line in long)
    assert summary._plain_body(catalog, result, details=True, color=False, width=60) is None  # too narrow: rich's
