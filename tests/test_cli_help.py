"""Help pages are Chinese around Chinese texts: click's frame (usage, headings, its own
options' help, defaults) is translated by duban.cli.help."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from duban.cli.help import width

DUBAN = str(Path(sys.executable).with_name("duban"))  # the installed command: its usage line names it

ENGLISH = (
    "Usage:",
    "Options:",
    "Commands:",
    "[required]",
    "[env var:",
    " TEXT",
    " DIRECTORY",
    " PATH",
    " INTEGER",
    "Show this message",
    "Show the version",
    "[default:",
)


# capitals a help page may show: names of formats and protocols (environment variables are
# matched whole: DUBAN_HOME is not a word of capitals only)
ACRONYMS = {"JSON", "API", "IP", "URL", "PDF", "HTML", "SMTP", "CSV", "UTC", "ID", "OK"}


def duban(tmp_path, *args, columns: int = 80):
    env = dict(os.environ, DUBAN_HOME=str(tmp_path / "home"), COLUMNS=str(columns))
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
        (["campaign", "roll", "-h"], "用法：duban campaign roll [选项] 活动文件夹", "把活动的所有日期顺延到新的一年"),
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


def test_a_group_run_without_its_command_shows_its_help_page_only(tmp_path):
    p = duban(tmp_path, "campaign")
    assert p.returncode == 2
    assert p.stderr.startswith("用法：duban campaign [选项] 命令 [参数]...")
    assert "错误" not in p.stderr and p.stderr.count("用法：") == 1
    assert "roll  " in p.stderr


def test_required_options_defaults_and_value_types_are_said_in_chinese(tmp_path):
    p = duban(tmp_path, "city", "watch", "-h")
    assert p.returncode == 0, p.stderr
    assert "--district 文本" in p.stdout and "[必填]" in p.stdout
    assert "[默认：60；x>=0]" in p.stdout
    assert not any(word in p.stdout for word in ENGLISH), p.stdout


def pages(tmp_path, args: tuple[str, ...], columns: int):
    """Every help page under ``duban *args``: (args, text)."""
    out = duban(tmp_path, *args, "-h", columns=columns).stdout
    yield args, out
    lines = out.splitlines()
    if "命令：" in lines:
        for line in lines[lines.index("命令：") + 1 :]:
            if line.startswith("  ") and not line.startswith("   "):
                yield from pages(tmp_path, (*args, line.split()[0]), columns)


@pytest.mark.parametrize("columns", [80, 60])
def test_every_help_page_fits_the_terminal_counting_chinese_as_two_columns(tmp_path, columns):
    seen = 0
    for args, text in pages(tmp_path, (), columns):
        seen += 1
        assert text.startswith("用法：duban"), (args, text)
        for line in text.splitlines():
            assert width(line) <= columns, (args, line)
            assert not line.strip().startswith(tuple("，。；：、）")), (args, line)
            assert not line.rstrip().endswith("（"), (args, line)
        assert not any(word in text for word in ENGLISH), (args, text)
        # placeholders (arguments, option values) are Chinese: only names and acronyms stay Latin
        latin = set(re.findall(r"\b[A-Z][A-Z]+\b", text)) - ACRONYMS
        assert not latin, (args, latin, text)
    assert seen >= 40  # every command and subcommand was read
