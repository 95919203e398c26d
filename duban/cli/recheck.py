"""``duban recheck [--unit U] [--task T] [--notify] [--evidence ROOT] [--district D]``: check again now.

Through the server's ``recheck`` deployment when a Prefect server is in use
(``PREFECT_API_URL``, or the local server of a running ``duban serve``), so the run shows
in the UI; in this process otherwise (``duban.cli.flowrun``).

On a city's server every district has its own ``recheck-<区>`` deployment (``duban city
deploy``): ``--district 历下区`` runs that one, with the district's own campaign, share and
data directory (its deployment's environment). Unit and task names are then checked by the
district's run against the district's own list.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import UserError, catalog_option, load_catalog_or_fail
from .flowrun import (
    echo_summary,
    evidence_root,
    find_deployment,
    finish,
    own_district,
    prepare,
    run_flow,
    run_on_server,
    server_params,
    use_server,
    where_prefect,
)

FLOW = "recheck"


@click.command("recheck")
@click.option("--unit", "units", multiple=True, help="只检查某些单位（可重复）")
@click.option("--task", "tasks", multiple=True, help="只检查某些任务（可重复）")
@click.option("--notify", is_flag=True, help="同时发送提醒（默认只检查、出报告）")
@click.option(
    "--evidence",
    "evidence",
    type=click.Path(path_type=Path),
    default=None,
    help="共享文件夹；默认取环境变量 DUBAN_EVIDENCE 或数据目录 settings.yaml 的 evidence_root",
)
@click.option("--as-of", "as_of", default=None, help="按哪个时间检查（默认：现在）")
@click.option("--dry-run", is_flag=True, help="演练：列出将发送的提醒，不发送")
@click.option("--force", is_flag=True, help="证据目录文件数骤减时仍然发送提醒（人工核实后使用）")
@click.option("--local", is_flag=True, help="即使配置了 Prefect 服务器，也在本进程内运行")
@click.option("--timeout", default=600, show_default=True, help="等待服务器上的运行完成的秒数")
@click.option("--details/--no-details", default=True, help="列出每个单位未完成的事项")
@click.option("--district", default=None, help="在服务器上运行该区的 recheck 部署（一个城市的多个区共用服务器时）")
@catalog_option
@click.pass_context
def command(
    ctx: click.Context,
    units,
    tasks,
    notify: bool,
    evidence: Path | None,
    as_of: str | None,
    dry_run: bool,
    force: bool,
    local: bool,
    timeout: int,
    details: bool,
    district: str | None,
    catalog_dir: str | None,
) -> None:
    """临时核查：立即重新检查全部或部分单位、任务，生成报告（默认不发提醒）。"""
    from duban.timeutil import parse_as_of

    catalog = load_catalog_or_fail(catalog_dir)
    try:
        if district:  # another district's list: its own run checks the names
            unit_names = sorted({u.strip() for u in units}) or None
            task_ids = sorted({t.strip().upper() for t in tasks}) or None
        else:
            unit_names = sorted({catalog.unit(u).name for u in units}) or None
            task_ids = sorted({catalog.task(t).id for t in tasks}) or None
        when = parse_as_of(as_of) if as_of else None
    except KeyError as e:
        raise UserError(str(e.args[0])) from None
    except ValueError as e:
        raise UserError(str(e)) from None
    home = prepare(ctx, catalog_dir=catalog_dir, evidence=evidence)
    params = {"units": unit_names, "tasks": task_ids, "notify": notify, "dry_run": dry_run, "force": force}
    if district and not use_server(local):
        raise UserError(
            "--district 运行服务器上该区的部署：先设置 PREFECT_API_URL（城市的 Prefect 服务器），不要加 --local"
        )
    if use_server(local):
        name = find_deployment(FLOW, own_district(home, district), catalog.campaign.key)
        sent = server_params(ctx, home, evidence, params, as_of=when)
        if district:  # the district's deployment has its own data directory: this one stays here
            sent.pop("home", None)
        run_on_server(name, sent, timeout)
        return
    evidence_root(home)
    click.echo(f"临时核查（{where_prefect()}，数据目录 {home.root}）……", err=True)
    from duban.flows.recheck import recheck_flow

    summary = run_flow(recheck_flow, home=str(home.root), as_of=when, **params)
    echo_summary(summary, catalog, details=details)
    finish(summary)
