"""The terminal summary of a check: per unit ok / late / short / missing / pending.

File names and the problems quoting them come from the share: they are printed through
``escape.visible`` (an escape sequence in a file name is shown as ``\\x1b[2J``, never sent to
the terminal) and, where rich markup is on, with the markup escaped too."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from duban.escape import visible
from duban.results import CheckResult
from duban.statuses import STATUS_LABELS
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


def print_summary(
    catalog: Catalog, result: CheckResult, *, details: bool = True, console: Console | None = None
) -> None:
    console = console or Console(width=None if Console().is_terminal else 140)
    table = Table(title=f"佐证检查（截至 {result.as_of:%Y-%m-%d %H:%M}）", show_lines=False)
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
    stats = result.stats
    if stats:
        console.print(
            f"[dim]扫描 {stats.get('files', 0)} 个文件，新读取 {stats.get('inspected', 0)} 个，"
            f"用时 {stats.get('gather_seconds', 0) + stats.get('evaluate_seconds', 0):.1f} 秒[/]"
        )
