"""Usage mistakes said in Chinese.

click words its usage errors in English ("No such command 'chek'.", "Missing argument
'DATE'.", "Invalid value for '--as-of'"): :func:`show_usage_error` says the same in Chinese,
with the usage line and where the help is, and exits 2 like click does.
"""

from __future__ import annotations

import re

import click

from .help import usage_line

# click's words for what a value should be (BadParameter messages of its types)
_VALUE_MESSAGES = [
    (re.compile(r"^'?(.*?)'? is not a valid integer(?: range)?\.?$"), "'{0}' 不是整数"),
    (re.compile(r"^'?(.*?)'? is not a valid float(?: range)?\.?$"), "'{0}' 不是数字"),
    (re.compile(r"^'?(.*?)'? is not a valid boolean\.?$"), "'{0}' 不是 true / false"),
    (re.compile(r"^'?(.*?)'? is not one of (.*)\.$"), "'{0}' 不在可选值中，可选：{1}"),
    (re.compile(r"^'?(.*?)'? is not (.*)\.$"), "'{0}' 不在可选值中，可选：{1}"),
    (re.compile(r"^(?:File|Directory|Path) '(.*)' does not exist\.?$"), "'{0}' 不存在"),
    (re.compile(r"^File '(.*)' is a directory\.?$"), "'{0}' 是文件夹，这里要一个文件"),
    (re.compile(r"^Directory '(.*)' is a file\.?$"), "'{0}' 是文件，这里要一个文件夹"),
    (re.compile(r"^(?:File|Directory|Path) '(.*)' is not (?:readable|writable)\.?$"), "没有权限读写 '{0}'"),
]
_OPTION_MESSAGES = [
    (re.compile(r"^Option '(.*)' requires an argument\.$"), "选项 {0} 后面要写一个值"),
    (re.compile(r"^Option '(.*)' requires (\d+) arguments\.$"), "选项 {0} 后面要写 {1} 个值"),
    (re.compile(r"^Option '(.*)' does not take a value\.$"), "选项 {0} 后面不写值"),
    (re.compile(r"^Got unexpected extra arguments? \((.*)\)$"), "多出了参数：{0}"),
]


def _value_message(message: str) -> str:
    for rx, text in _VALUE_MESSAGES:
        m = rx.match(message.strip())
        if m:
            return text.format(*m.groups())
    return message


def _param_name(e: click.BadParameter) -> str:
    if e.param_hint is not None:
        hint = e.param_hint
        return " / ".join(hint) if not isinstance(hint, str) else hint
    if e.param is not None:
        if isinstance(e.param, click.Argument):
            return e.param.make_metavar(e.ctx) if e.ctx else (e.param.name or "").upper()
        return " / ".join(e.param.opts)
    return "参数"


def chinese(e: click.UsageError) -> str:
    """The Chinese sentence for one of click's usage errors."""
    if isinstance(e, click.NoSuchOption):
        hint = f"（是不是 {'、'.join(e.possibilities)}？）" if e.possibilities else ""
        return f"没有这个选项：{e.option_name}{hint}"
    if isinstance(e, click.exceptions.NoSuchCommand):
        hint = f"（是不是 {'、'.join(e.possibilities)}？）" if e.possibilities else ""
        available = (
            "、".join(e.ctx.command.list_commands(e.ctx)) if e.ctx and isinstance(e.ctx.command, click.Group) else ""
        )
        return f"没有这个命令：{e.command_name}{hint}" + (f"。可用的命令：{available}" if available else "")
    if isinstance(e, click.MissingParameter):
        kind = "参数" if isinstance(e.param, click.Argument) else "选项"
        name = _param_name(e)
        return f"缺少{kind} {name}" if name.isascii() else f"缺少{kind}：{name}"
    if isinstance(e, click.BadParameter):
        name = _param_name(e)
        return f"{name}{' ' if name.isascii() else ''}的值不对：{_value_message(e.message)}"
    for rx, text in _OPTION_MESSAGES:
        m = rx.match(e.message)
        if m:
            return text.format(*m.groups())
    m = re.match(r"^No such command '(.*)'\.$", e.message)
    if m:
        return f"没有这个命令：{m[1]}"
    return e.message


def _usage(ctx: click.Context) -> str:
    return usage_line(ctx.get_usage())  # (Chinese already from duban's commands: .help)


def show_usage_error(e: click.UsageError) -> None:
    """Print a usage error in Chinese: the error, the usage line, where the help is. A group
    run without its command (``duban campaign``) prints its help page, as click does."""
    if isinstance(e, click.exceptions.NoArgsIsHelpError):
        click.echo(e.ctx.get_help(), err=True, color=e.ctx.color)
        return
    lines = [f"错误：{chinese(e)}"]
    if e.ctx is not None:
        lines.append(_usage(e.ctx))
        lines.append(f"查看帮助：{e.ctx.command_path} -h")
    click.echo("\n".join(lines), err=True)
