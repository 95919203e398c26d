"""click's help pages in Chinese, laid out by display width.

click writes the frame of every help page in English — ``Usage: duban check [OPTIONS]``,
``Options:``, ``Commands:``, ``Show this message and exit.``, ``[default: now]``, the type
placeholders ``TEXT``, ``DIRECTORY`` — around duban's Chinese help texts, and wraps lines by
counting characters, where a Chinese character takes two columns: lines ran to ~107 columns,
and the first sentence of a command's help (click looks for a ``.``) was cut anywhere.
:class:`HelpFormatter` writes that frame in Chinese (``用法：duban check [选项]``, ``选项：``,
``显示本帮助并退出。``, ``[默认：now]``, ``--home 文件夹``) and wraps by display width, never
starting a line with a closing mark (``，。；）``); :func:`localize` gives a command, and every
subcommand under it, a context that uses it and a short help that is its help's first
sentence (to the first ``。``). The usage line of a usage error (:mod:`duban.cli.errors`) is
the same line. A command's arguments name their own placeholder in Chinese (``metavar=``:
``duban run-round [选项] 截止日期``, ``缺少参数：截止日期``), as click would print ``DATE``.
"""

from __future__ import annotations

import re
import unicodedata

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
    ("; ", "；"),
)
# click's placeholders for a value's type
_TYPES = {
    "TEXT": "文本",
    "DIRECTORY": "文件夹",
    "PATH": "路径",
    "FILE": "文件",
    "FILENAME": "文件",
    "INTEGER RANGE": "整数",
    "INTEGER": "整数",
    "FLOAT RANGE": "数字",
    "FLOAT": "数字",
    "BOOLEAN": "true/false",
}
_TYPE = re.compile(r"\b(" + "|".join(sorted(_TYPES, key=len, reverse=True)) + r")\b")
_CLOSING = set("，。；：、）》」』】！？,.;:)]}!?%")  # never at the start of a line
_OPENING = set("（《「『【“‘")  # never at the end of a line
_MARKS = set("，。；：、（）《》「」『』【】！？")
_TOKEN = re.compile(r"\s+|[\x21-\x7e]+|.", re.S)  # a run of spaces, of ASCII, or one other character


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


def width(text: str) -> int:
    """Columns a terminal gives ``text``: two for a wide (Chinese, full-width) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, columns: int, first: str = "", rest: str = "") -> list[str]:
    """One paragraph in lines of at most ``columns`` (a closing mark may hang one past it;
    a word longer than a line is cut)."""
    lines: list[str] = []
    line: list[str] = []
    used, indent = width(first), first
    for token in _TOKEN.findall(" ".join(text.split("\n"))):
        if token.isspace():
            if line:
                line.append(" ")
                used += 1
            continue
        w = width(token)
        if used + w > columns and line and not (token[0] in _CLOSING and used + w <= columns + 2):
            carry: list[str] = []  # what moves to the next line with the token
            if token[0] in _CLOSING:  # a mark that cannot hang: the character before it goes along
                while len(line) > 1 and line[-1][0] in _CLOSING:
                    carry.insert(0, line.pop())
                if len(line) > 1:
                    carry.insert(0, line.pop())
            elif len(line) > 1 and line[-1] in _OPENING:  # never at a line's end
                carry = [line.pop()]
            lines.append(indent + "".join(line).rstrip())
            line, indent = [t for t in carry if not t.isspace()], rest
            used = width(rest) + width("".join(line))
        while used + w > columns and not line and len(token) > 1:  # a word longer than a line
            cut = 0
            while cut < len(token) and used + width(token[: cut + 1]) <= columns:
                cut += 1
            cut = max(cut, 1)
            lines.append(indent + token[:cut])
            token, indent = token[cut:], rest
            used, w = width(rest), width(token)
        line.append(token)
        used += w
    if line or not lines:
        lines.append(indent + "".join(line).rstrip())
    return lines


def _joined(lines: list[str]) -> str:
    """A paragraph's lines as one text: joined by a space beside a Latin word, by nothing
    between two Chinese characters or at a Chinese mark."""
    out = ""
    for line in (x.strip() for x in lines):
        if out and line and (out[-1].isascii() or line[0].isascii()) and not ({out[-1], line[0]} & _MARKS):
            out += " "
        out += line
    return out


def wrap_paragraphs(text: str, columns: int, indent: str = "") -> list[str]:
    """Paragraphs (blank-line separated) wrapped apart; a paragraph that starts with a line
    holding only ``\\b`` is kept as written (click's convention)."""
    out: list[str] = []
    for k, para in enumerate(re.split(r"\n\s*\n", text.strip("\n"))):
        if k:
            out.append("")
        rows = para.splitlines()
        if rows and rows[0].strip() == "\b":
            out.extend(indent + row for row in rows[1:])
            continue
        extra = " " * (len(rows[0]) - len(rows[0].lstrip())) if rows else ""
        out.extend(wrap(_joined(rows), columns, indent + extra, indent + extra))
    return out


class HelpFormatter(click.HelpFormatter):
    """click's help frame in Chinese, wrapped by display width; duban's own texts unchanged."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        prefix = "用法：" if prefix is None else prefix
        head = f"{' ' * self.current_indent}{prefix}{prog} "
        args = _TYPE.sub(lambda m: _TYPES[m[1]], usage_args(args))
        columns = self.width - self.current_indent
        if columns >= width(head) + 20:
            lines = wrap(args, columns, head, " " * width(head))
        else:
            rest = " " * (max(self.current_indent, width(prefix)) + 4)
            lines = [head.rstrip(), *wrap(args, columns, rest, rest)]
        self.write("\n".join(lines) + "\n")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_SECTIONS.get(heading, heading)}：\n")

    def write_text(self, text: str) -> None:
        self.write("\n".join(wrap_paragraphs(text, self.width, " " * self.current_indent)) + "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(_TYPE.sub(lambda m: _TYPES[m[1]], first), _phrases(second)) for first, second in rows]
        if not rows:
            return
        first_col = min(max(width(first) for first, _ in rows), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_paragraphs(second, max(self.width - first_col - self.current_indent, 10))
            pad = " " * (first_col + self.current_indent)
            self.write("\n".join([lines[0], *(pad + line if line else "" for line in lines[1:])]) + "\n")


class Context(click.Context):
    formatter_class = HelpFormatter


def first_sentence(text: str | None) -> str | None:
    """A help text's first sentence (to the first ``。``, or its first paragraph), for lists."""
    if not text:
        return None
    para = _joined(text.strip().split("\n\n", 1)[0].splitlines())
    end = para.find("。")
    return para[: end + 1] if end >= 0 else para


def localize(command: click.Command) -> click.Command:
    """``command`` and every command under it write their help in Chinese, by display width."""
    command.context_class = Context
    if command.short_help is None:
        command.short_help = first_sentence(command.help)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localize(sub)
    return command
