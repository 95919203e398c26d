"""The terminal summary of a check: per unit ok / late / short / missing / pending.

File names and the problems quoting them come from the share: they are printed through
``escape.visible`` (an escape sequence in a file name is shown as ``\\x1b[2J``, never sent to
the terminal) and, where rich markup is on, with the markup escaped too."""

from __future__ import annotations

import datetime as dt
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
    return f"扫描 {stats.get('files', 0)} 个文件，新读取 {stats.get('inspected', 0)} 个，用时 {seconds:.1f} 秒"


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
    """The body as the terminal would show it (with its colours when it is a terminal)."""
    c = make_console()
    with c.capture() as captured:
        print_body(catalog, result, details=details, console=c)
    return captured.get()


def print_body(catalog: Catalog, result: CheckResult, *, details: bool, console: Console) -> None:
    from rich.markup import escape
    from rich.table import Table

    from duban.escape import visible

    table = Table(show_lines=False)
    table.add_column("单位", no_wrap=True)
    for s in COLUMNS:
        table.add_column(STATUS_LABELS[s], justify="right", style=STYLE[s])
    for unit, c in unit_counts(catalog, result):
        table.add_row(unit, *[str(c[s]) if c[s] else "·" for s in COLUMNS])
    console.print(table)
    counts = result.counts()
    console.print("合计：" + "，".join(f"{STATUS_LABELS[s]} {n}" for s, n in counts.items() if n))
    if details:
        open_items = [o for o in result.obligations if o.status in ("partial", "missing", "late")]
        lines = [
            f"[{STYLE.get(o.status, 'white')}]{STATUS_LABELS[o.status]}[/] {o.unit} {o.task}"
            f"{' ' + o.due.isoformat() if o.due else ''}：{escape(visible('；'.join(o.problems)) or '—')}"
            for o in sorted(open_items, key=lambda o: (o.unit or "", o.due or o.round or 0, o.task))
        ]
        if lines:  # one print: rich renders one long text faster than hundreds of short ones
            console.print("\n".join(lines), highlight=False, markup=True)
    if result.unrecognized:
        console.print(f"[yellow]未识别的文件/文件夹 {len(result.unrecognized)} 个：[/]")
        for f in result.unrecognized[:30]:
            console.print(f"  {visible(f.path)}：{visible(f.reason)}", highlight=False, markup=False)
    if result.rejected:
        console.print(f"[red]被拒绝的文件 {len(result.rejected)} 个：[/]")
        for f in result.rejected[:30]:
            console.print(f"  {visible(f.path)}：{visible(f.reason)}", highlight=False, markup=False)
