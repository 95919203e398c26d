"""``duban run-round DATE [--as-of T] [--dry-run] [--evidence ROOT] [--no-notify] [--force]``:
run one round's flow now (gather -> check -> remind -> report).

Through the server's ``round`` deployment when a Prefect server is in use (a running
``duban serve`` for this data directory, or ``PREFECT_API_URL``), so the run shows in the UI
and needs no temporary server; in this process otherwise, or with ``--local``
(``duban.cli.flowrun``).
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import UserError, catalog_option, load_catalog_or_fail, parse_round_date
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


@click.command("run-round")
@click.argument("date", metavar="截止日期")
@click.option(
    "--as-of", "as_of", default=None, help="按哪个时间检查（2021-06-20T18:00）；默认按该轮截止时刻（当天 24 时）"
)
@click.option(
    "--evidence",
    "evidence",
    type=click.Path(path_type=Path),
    default=None,
    help="共享文件夹；默认取环境变量 DUBAN_EVIDENCE 或数据目录 settings.yaml 的 evidence_root",
)
@click.option("--dry-run", is_flag=True, help="演练：列出将发送的提醒，不发送")
@click.option("--notify/--no-notify", default=True, help="是否发送提醒（默认发送）")
@click.option("--force", is_flag=True, help="证据目录文件数骤减时仍然发送提醒（人工核实后使用）")
@click.option("--details/--no-details", default=False, help="列出每个单位未完成的事项")
@click.option("--local", is_flag=True, help="即使有 Prefect 服务器（duban serve），也在本进程内运行")
@click.option("--timeout", default=1800, show_default=True, help="等待服务器上的运行完成的秒数")
@catalog_option
@click.pass_context
def command(
    ctx: click.Context,
    date: str,
    as_of: str | None,
    evidence: Path | None,
    dry_run: bool,
    notify: bool,
    force: bool,
    details: bool,
    local: bool,
    timeout: int,
    catalog_dir: str | None,
) -> None:
    """立即运行某一轮（按截止日期，如 2021-06-20）：检查、提醒、保存报告。"""
    from duban.timeutil import parse_as_of

    catalog = load_catalog_or_fail(catalog_dir)
    round_date = parse_round_date(date, catalog)
    try:
        when = parse_as_of(as_of) if as_of else None
    except ValueError as e:
        raise UserError(str(e)) from None
    home = prepare(ctx, catalog_dir=catalog_dir, evidence=evidence)
    if use_server(local):
        params = {"round_date": round_date, "notify": notify, "dry_run": dry_run, "force": force}
        run_on_server(
            own_deployment("round", home, catalog.campaign.key),
            server_params(ctx, home, evidence, params, as_of=when),
            timeout,
        )
        return
    evidence_root(home)
    click.echo(f"运行 {round_date.isoformat()} 这一轮（{where_prefect()}，数据目录 {home.root}）……", err=True)
    from duban.flows.round import round_flow

    summary = run_flow(
        round_flow, round_date=round_date, as_of=when, notify=notify, dry_run=dry_run, force=force, home=str(home.root)
    )
    echo_summary(summary, catalog, details=details)
    finish(summary)
