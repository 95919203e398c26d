"""``duban run-round DATE [--as-of T] [--dry-run] [--evidence ROOT] [--no-notify] [--force]``:
run one round's flow now (gather -> check -> remind -> report)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import UserError, catalog_option, load_catalog_or_fail, parse_round_date
from .flowrun import echo_summary, evidence_root, finish, prepare, run_flow, where_prefect


@click.command("run-round")
@click.argument("date")
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
    catalog_dir: str | None,
) -> None:
    """立即运行某一轮（DATE 为截止日期，如 2021-06-20）：检查、提醒、保存报告。"""
    from duban.timeutil import parse_as_of

    catalog = load_catalog_or_fail(catalog_dir)
    round_date = parse_round_date(date, catalog)
    try:
        when = parse_as_of(as_of) if as_of else None
    except ValueError as e:
        raise UserError(str(e)) from None
    home = prepare(ctx, catalog_dir=catalog_dir, evidence=evidence)
    evidence_root(home)
    click.echo(f"运行 {round_date.isoformat()} 这一轮（{where_prefect()}，数据目录 {home.root}）……", err=True)
    from duban.flows.round import round_flow

    summary = run_flow(
        round_flow, round_date=round_date, as_of=when, notify=notify, dry_run=dry_run, force=force, home=str(home.root)
    )
    echo_summary(summary, catalog, details=details)
    finish(summary)
