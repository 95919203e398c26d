"""``duban check --evidence ROOT --as-of DATETIME [--json FILE]``."""

from __future__ import annotations

from pathlib import Path

import click

from .common import UserError, catalog_option, evidence_option, home_of, load_catalog_or_fail


@click.command("check")
@evidence_option("root")
@click.option(
    "--as-of",
    "as_of",
    default="now",
    show_default=True,
    help="按哪个时间检查：2021-06-20（当天 24 时）或 2021-06-20T18:00",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="把结果写成 JSON 文件（schema 1）；写 - 输出到屏幕",
)
@click.option("--unit", "units", multiple=True, help="只看某些单位（可重复）")
@click.option("--task", "tasks", multiple=True, help="只看某些任务（可重复）")
@click.option("--details/--no-details", default=True, help="列出每个单位未完成的事项")
@catalog_option
@click.pass_context
def command(
    ctx: click.Context,
    root: Path,
    as_of: str,
    json_path: Path | None,
    units,
    tasks,
    details: bool,
    catalog_dir: str | None,
) -> None:
    """检查共享文件夹中的佐证材料，给出每个单位、任务、轮次的状态。"""
    from duban.check import EvidenceRootError, run_check
    from duban.store import StoreError
    from duban.timeutil import parse_as_of

    catalog = load_catalog_or_fail(catalog_dir)
    try:
        when = parse_as_of(as_of)
    except ValueError as e:
        raise UserError(str(e)) from None
    home = home_of(ctx, announce=True)
    try:
        root = Path(home.evidence_root(root))
    except ValueError as e:
        raise UserError(str(e)) from None
    try:
        with _progress() as progress:
            result = run_check(
                catalog, root, when, home, units=list(units) or None, tasks=list(tasks) or None, progress=progress
            )
    except (EvidenceRootError, StoreError) as e:  # StoreError: a damaged, full or unreachable store
        raise UserError(str(e)) from None
    except KeyError as e:
        raise UserError(str(e.args[0])) from None
    except ValueError as e:  # a settings mistake (limits), named with its file
        raise UserError(str(e)) from None
    if json_path and str(json_path) == "-":
        click.echo(result.dumps())
        return
    from .summary import print_summary  # the terminal table (rich): not for --json -

    print_summary(catalog, result, details=details)
    if json_path:
        result.write_json(json_path)
        click.echo(f"JSON 结果已写入 {json_path}")


class _progress:
    """A progress bar for long inspections (only on a terminal, only when there is work)."""

    def __enter__(self):
        import sys

        self.bar = None
        self.task = None
        self.tty = sys.stderr.isatty()
        return self

    def __call__(self, done: int, total: int) -> None:
        if not self.tty:
            return
        if self.bar is None:
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("读取佐证材料", total=total)
        if self.task is not None:
            self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
