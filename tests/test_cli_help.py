"""Help pages are Chinese around Chinese texts: click's frame (usage, headings, its own
options' help, defaults) is translated by duban.cli.help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DUBAN = str(Path(sys.executable).with_name("duban"))  # the installed command: its usage line names it

ENGLISH = (
    "Usage:",
    "Options:",
    "Commands:",
    "Arguments:",
    "Show this message",
    "Show the version",
    "[default:",
)


def duban(tmp_path, *args):
    env = dict(os.environ, DUBAN_HOME=str(tmp_path / "home"))
    return subprocess.run([DUBAN, *args], capture_output=True, text=True, env=env, timeout=60)


def test_the_main_help_page_is_chinese_from_usage_to_commands(tmp_path):
    p = duban(tmp_path, "--help")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "用法：duban [选项] 命令 [参数]..."
    assert "选项：" in lines and "命令：" in lines
    assert any(line.split() == ["-h,", "--help", "显示本帮助并退出。"] for line in lines), p.stdout
    assert any("--version" in line and "显示版本号并退出。" in line for line in lines), p.stdout
    assert any(line.strip().startswith("check ") and "检查共享文件夹中的佐证材料" in line for line in lines)
    assert not any(word in p.stdout for word in ENGLISH), p.stdout


@pytest.mark.parametrize(
    ("args", "usage", "said"),
    [
        (["check", "-h"], "用法：duban check [选项]", "[默认：now]"),
        (["campaign", "--help"], "用法：duban campaign [选项] 命令 [参数]...", "顺延到新的一年"),
        (["campaign", "roll", "-h"], "用法：duban campaign roll [选项] FOLDER", "把活动的所有日期顺延到新的一年"),
        (["city", "-h"], "用法：duban city [选项] 命令 [参数]...", "全市汇总"),
    ],
)
def test_a_command_help_page_is_chinese_down_to_subcommands(tmp_path, args, usage, said):
    p = duban(tmp_path, *args)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == usage
    assert said in p.stdout and "显示本帮助并退出。" in p.stdout
    assert not any(word in p.stdout for word in ENGLISH), p.stdout


def test_the_version_is_the_name_and_the_number(tmp_path):
    p = duban(tmp_path, "--version")
    assert p.returncode == 0
    name, number = p.stdout.split()
    assert name == "duban" and number[0].isdigit()
