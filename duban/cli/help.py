"""click's help pages in Chinese.

click writes the frame of every help page in English — ``Usage: duban check [OPTIONS]``,
``Options:``, ``Commands:``, ``Show this message and exit.``, ``[default: now]`` — around
duban's Chinese help texts. :class:`HelpFormatter` writes that frame in Chinese
(``用法：duban check [选项]``, ``选项：``, ``显示本帮助并退出。``, ``[默认：now]``);
:func:`localize` gives a command, and every subcommand under it, a context that uses it. The
usage line of a usage error (:mod:`duban.cli.errors`) is the same line.
"""

from __future__ import annotations

import click

_WORDS = (("[OPTIONS]", "[选项]"), ("COMMAND", "命令"), ("[ARGS]...", "[参数]..."))
_SECTIONS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
_PHRASES = (
    ("Show this message and exit.", "显示本帮助并退出。"),
    ("Show the version and exit.", "显示版本号并退出。"),
    ("[default: ", "[默认："),
    ("[env var: ", "[环境变量："),
    ("[required]", "[必填]"),
    ("; default: ", "；默认："),
    ("; required", "；必填"),
)


def usage_args(args: str) -> str:
    """click's placeholders of a usage line in Chinese: ``[OPTIONS] COMMAND [ARGS]...``."""
    for en, zh in _WORDS:
        args = args.replace(en, zh)
    return args


def usage_line(usage: str) -> str:
    """A usage line click wrote in English (``Usage: duban [OPTIONS] ...``), in Chinese."""
    return usage_args(usage.replace("Usage: ", "用法：", 1))


def _phrases(text: str) -> str:
    for en, zh in _PHRASES:
        text = text.replace(en, zh)
    return text


class HelpFormatter(click.HelpFormatter):
    """click's help frame in Chinese; duban's own texts pass through unchanged."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, usage_args(args), "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_SECTIONS.get(heading, heading)}：\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(first, _phrases(second)) for first, second in rows], col_max, col_spacing)


class Context(click.Context):
    formatter_class = HelpFormatter


def localize(command: click.Command) -> click.Command:
    """``command`` and every command under it write their help frame in Chinese."""
    command.context_class = Context
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localize(sub)
    return command
