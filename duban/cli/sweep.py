"""``duban sweep [--date D]``: the day's before-due and overdue reminders, now."""

from __future__ import annotations

from pathlib import Path

import click

from .common import catalog_option, evidence_option, load_catalog_or_fail, parse_date
from .flowrun import echo_summary, evidence_root, finish, prepare, run_flow, where_prefect


@click.command("sweep")
@click.option("--date", "day", default=None, help="提醒日期（默认今天），如 2021-06-16")
@evidence_option()
@click.option("--dry-run", is_flag=True, help="演练：列出将发送的提醒，不发送")
@click.option("--force", is_flag=True, help="证据目录文件数骤减时仍然发送提醒（人工核实后使用）")
@catalog_option
@click.pass_context
def command(
    ctx: click.Context, day: str | None, evidence: Path | None, dry_run: bool, force: bool, catalog_dir: str | None
) -> None:
    """发送当天的截止前提醒和逾期提醒（休息日和督办期外自动跳过）。"""
    catalog = load_catalog_or_fail(catalog_dir)
    the_day = parse_date(day) if day else None
    home = prepare(ctx, catalog_dir=catalog_dir, evidence=evidence)
    evidence_root(home)
    click.echo(f"每日提醒（{where_prefect()}，数据目录 {home.root}）……", err=True)
    from duban.flows.sweep import sweep_flow

    summary = run_flow(sweep_flow, day=the_day, dry_run=dry_run, force=force, home=str(home.root))
    echo_summary(summary, catalog, table=False)
    finish(summary)
