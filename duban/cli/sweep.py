"""``duban sweep [--date D]``: the day's before-due and overdue reminders, now.

Through the server's ``sweep`` deployment when a Prefect server is in use (a running
``duban serve``, or ``PREFECT_API_URL``); in this process otherwise, or with ``--local``.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import catalog_option, evidence_option, load_catalog_or_fail, parse_date
from .flowrun import (
    echo_summary,
    evidence_root,
    finish,
    own_deployment,
    prepare,
    run_flow,
    run_on_server,
    server_params,
    use_server,
    where_prefect,
)


@click.command("sweep")
@click.option("--date", "day", default=None, help="提醒日期（默认今天），如 2021-06-16")
@evidence_option()
@click.option("--dry-run", is_flag=True, help="演练：列出将发送的提醒，不发送")
@click.option("--force", is_flag=True, help="证据目录文件数骤减时仍然发送提醒（人工核实后使用）")
@click.option("--local", is_flag=True, help="即使有 Prefect 服务器（duban serve），也在本进程内运行")
@click.option("--timeout", default=1800, show_default=True, help="等待服务器上的运行完成的秒数")
@catalog_option
@click.pass_context
def command(
    ctx: click.Context,
    day: str | None,
    evidence: Path | None,
    dry_run: bool,
    force: bool,
    local: bool,
    timeout: int,
    catalog_dir: str | None,
) -> None:
    """发送当天的截止前提醒和逾期提醒（休息日和督办期外自动跳过）。"""
    catalog = load_catalog_or_fail(catalog_dir)
    the_day = parse_date(day) if day else None
    home = prepare(ctx, catalog_dir=catalog_dir, evidence=evidence)
    if use_server(local):
        params = {"day": the_day, "dry_run": dry_run, "force": force}
        run_on_server(
            own_deployment("sweep", home, catalog.campaign.key), server_params(ctx, home, evidence, params), timeout
        )
        return
    evidence_root(home)
    click.echo(f"每日提醒（{where_prefect()}，数据目录 {home.root}）……", err=True)
    from duban.flows.sweep import sweep_flow

    summary = run_flow(sweep_flow, day=the_day, dry_run=dry_run, force=force, home=str(home.root))
    echo_summary(summary, catalog, table=False)
    finish(summary)
