"""Mistakes on the command line are answered in Chinese, whichever library noticed them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ENGLISH = ("Error:", "Usage:", "No such", "Missing", "Invalid value", "Input should", "Try '", "requires an")


def duban(tmp_path, *args):
    env = dict(os.environ, DUBAN_HOME=str(tmp_path / "home"))
    return subprocess.run([sys.executable, "-m", "duban", *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["chek"], "没有这个命令：chek"),
        (["run-round"], "缺少参数：截止日期"),
        (["campaign", "calendar", "abc"], "年份的值不对：'abc' 不是整数"),
        (["check", "--bogus"], "没有这个选项：--bogus"),
        (["check", "--as-of"], "选项 --as-of 后面要写一个值"),
        (["remind", "--from-json", "/nonexistent/c.json"], "--from-json 的值不对：'/nonexistent/c.json' 不存在"),
        (["confirm", "D14"], "缺少选项 --note"),
        (["catalog", "extra"], "多出了参数：extra"),
    ],
)
def test_usage_mistakes_are_said_in_chinese(tmp_path, args, said):
    p = duban(tmp_path, *args)
    assert p.returncode == 2
    assert said in p.stderr
    assert not any(word in p.stderr for word in ENGLISH), p.stderr


def test_a_command_typo_lists_the_commands_and_where_help_is(tmp_path):
    p = duban(tmp_path, "chek")
    assert "可用的命令：catalog、" in p.stderr
    assert "duban [选项] 命令 [参数]..." in p.stderr and "查看帮助：" in p.stderr and "duban -h" in p.stderr


def test_a_badly_typed_setting_is_explained_in_chinese(tmp_path, evidence_root):
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.yaml").write_text("reminders:\n  before_due: 3\n", encoding="utf-8")
    p = duban(tmp_path, "remind", "--evidence", str(evidence_root), "--as-of", "2021-06-18", "--dry-run")
    assert p.returncode == 2
    assert "reminders 中 'before_due' 的值 3 不合适：应当是列表，如 [3, 1]" in p.stderr
    assert not any(word in p.stderr for word in ENGLISH), p.stderr
