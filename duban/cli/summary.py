"""The terminal summary of a check: per unit ok / late / short / missing / pending.

File names and the problems quoting them come from the share: they are printed through
``escape.visible`` (an escape sequence in a file name is shown as ``\\x1b[2J``, never sent to
the terminal) and, where rich markup is on, with the markup escaped too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from duban.statuses import STATUS_LABELS

if TYPE_CHECKING:
    from rich.console import Console

    from duban.results import CheckResult
    from duban.tasks_catalog import Catalog

COLUMNS = ("ok", "late", "partial", "missing", "pending", "confirm")
STYLE = {
    "ok": "green",
    "late": "yellow",
    "partial": "dark_orange",
    "missing": "red",
    "pending": "cyan",
    "confirm": "magenta",
}


def unit_counts(catalog: Catalog, result: CheckResult) -> list[tuple[str, dict[str, int]]]:
    return result.unit_counts(catalog.units, COLUMNS)


def heading(as_of: dt.datetime) -> str:
    return f"佐证检查（截至 {as_of:%Y-%m-%d %H:%M}）"


def stats_line(stats: dict[str, Any]) -> str | None:
    """What the check read and how long it took."""
    if not stats:
        return None
    seconds = stats.get("gather_seconds", 0) + stats.get("evaluate_seconds", 0)
    reused = f"{stats['reused_tasks']} 项任务未变、沿用上次判定，" if stats.get("reused_tasks") else ""
    return f"扫描 {stats.get('files', 0)} 个文件，新读取 {stats.get('inspected', 0)} 个，{reused}用时 {seconds:.1f} 秒"


def replayed_line(files: int, made_at: str, seconds: float) -> str:
    """The stats line of an answer kept from an earlier check (``duban.replay``)."""
    made = made_at.replace("T", " ")[:16]
    return (
        f"扫描 {files} 个文件，与 {made} 的检查相比均未变化，沿用其判定（duban check --full 可重新判定），"
        f"用时 {seconds:.1f} 秒"
    )


def make_console() -> Console:
    from rich.console import Console

    return Console(width=None if Console().is_terminal else 140)


def print_summary(
    catalog: Catalog, result: CheckResult, *, details: bool = True, console: Console | None = None
) -> None:
    """Heading, the per-unit table and the open items, and what the check read."""
    from rich.markup import escape

    console = console or make_console()
    console.print(heading(result.as_of), highlight=False, markup=False)
    print_body(catalog, result, details=details, console=console)
    line = stats_line(result.stats)
    if line:
        console.print(f"[dim]{escape(line)}[/]")


def render_body(catalog: Catalog, result: CheckResult, *, details: bool = True) -> str:
    """The body as the terminal would show it (with its colours when it is a terminal).

    Drawn here, not by rich (importing rich and laying out its table was ~0.12 s of every
    check); a table wider than the terminal is left to rich, which narrows its columns."""
    import shutil
    import sys

    color = _colors(sys.stdout)
    width = shutil.get_terminal_size((140, 24)).columns if color else 140
    body = _plain_body(catalog, result, details=details, color=color, width=width)
    if body is None:
        c = make_console()
        with c.capture() as captured:
            print_body(catalog, result, details=details, console=c)
        return captured.get()
    return body


# rich's colours for the styles above, as SGR codes
_SGR = {
    "green": "32",
    "yellow": "33",
    "dark_orange": "38;5;208",
    "red": "31",
    "cyan": "36",
    "magenta": "35",
    "white": "37",
    "bold": "1",
}


def _colors(stream: Any) -> bool:
    """Whether to colour: a terminal (as rich decides: FORCE_COLOR forces it, NO_COLOR and TERM=dumb turn it off)."""
    import os

    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR") or os.environ.get("TERM", "").lower() in ("dumb", "unknown"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _cells(text: str) -> int:
    """Terminal cells of a text: East Asian wide characters take two."""
    import unicodedata

    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1 for ch in text)


def _plain_body(catalog: Catalog, result: CheckResult, *, details: bool, color: bool, width: int) -> str | None:
    """The body drawn as rich draws it (its heavy-head table), None when the table is wider than ``width``."""

    def paint(text: str, style: str | None) -> str:
        return f"\x1b[{_SGR[style]}m{text}\x1b[0m" if color and style in _SGR else text

    head = ["单位"] + [STATUS_LABELS[s] for s in COLUMNS]
    rows = _rows(catalog, result)
    widths = [max(_cells(r[i]) for r in [head, *rows]) for i in range(len(head))]
    if sum(widths) + 3 * len(widths) + 1 > width:
        return None
    styles = [None] + [STYLE[s] for s in COLUMNS]

    def line(left: str, fill: str, cross: str, right: str) -> str:
        return left + cross.join(fill * (w + 2) for w in widths) + right

    def cells(row: list[str], bar: str, header: bool) -> str:
        out = []
        for i, (text, w) in enumerate(zip(row, widths, strict=True)):
            pad = " " * (w - _cells(text))
            text = paint(text, "bold") if header else paint(text, styles[i])
            out.append(f" {text}{pad} " if i == 0 else f" {pad}{text} ")
        return bar + bar.join(out) + bar

    lines = [line("┏", "━", "┳", "┓"), cells(head, "┃", True), line("┡", "━", "╇", "┩")]
    lines += [cells(r, "│", False) for r in rows]
    lines.append(line("└", "─", "┴", "┘"))
    lines.append(_total(result))
    if details:
        lines += _open_items(result, paint, str)
    for title, style, listed in _file_lists(result):
        lines += [paint(title, style), *listed]
    return "\n".join(lines) + "\n"


def print_body(catalog: Catalog, result: CheckResult, *, details: bool, console: Console) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_lines=False)
    table.add_column("单位", no_wrap=True)
    for s in COLUMNS:
        table.add_column(STATUS_LABELS[s], justify="right", style=STYLE[s])
    for row in _rows(catalog, result):
        table.add_row(*row)
    console.print(table)
    console.print(_total(result))
    if details:
        lines = _open_items(result, lambda text, style: f"[{style}]{text}[/]", escape)
        if lines:  # one print: rich renders one long text faster than hundreds of short ones
            console.print("\n".join(lines), highlight=False, markup=True)
    for title, style, listed in _file_lists(result):
        console.print(f"[{style}]{title}[/]")
        for line in listed:
            console.print(line, highlight=False, markup=False)


def _rows(catalog: Catalog, result: CheckResult) -> list[list[str]]:
    """The table's rows: a unit and its counts per status ("·" for none)."""
    return [[unit] + [str(c[s]) if c[s] else "·" for s in COLUMNS] for unit, c in unit_counts(catalog, result)]


def _total(result: CheckResult) -> str:
    return "合计：" + "，".join(f"{STATUS_LABELS[s]} {n}" for s, n in result.counts().items() if n)


def _file_lists(result: CheckResult) -> list[tuple[str, str, list[str]]]:
    """(title, style, lines) of the files not recognised and the files rejected (30 of each shown),
    the names shown visibly."""
    from duban.escape import visible

    return [
        (f"{title} {len(files)} 个：", style, [f"  {visible(f.path)}：{visible(f.reason)}" for f in files[:30]])
        for title, style, files in (
            ("未识别的文件/文件夹", "yellow", result.unrecognized),
            ("被拒绝的文件", "red", result.rejected),
        )
        if files
    ]


def _open_items(result: CheckResult, mark: Callable[[str, str], str], esc: Callable[[str], str]) -> list[str]:
    """A line per open obligation (short, missing, late), by unit and due date: its status
    (``mark``-ed with its style) and its problems, shown visibly (and ``esc``-aped for markup)."""
    from duban.escape import visible

    open_items = [o for o in result.obligations if o.status in ("partial", "missing", "late")]
    return [
        f"{mark(STATUS_LABELS[o.status], STYLE.get(o.status, 'white'))} {o.unit} {o.task}"
        f"{' ' + o.due.isoformat() if o.due else ''}：{esc(visible('；'.join(o.problems)) or '—')}"
        for o in sorted(open_items, key=lambda o: (o.unit or "", o.due or o.round or 0, o.task))
    ]
