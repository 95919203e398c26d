"""``duban watch [--evidence ROOT] [--settle SECONDS] [--poll/--no-poll]``: follow the share and
tell the Prefect server when a unit's folder has settled after an upload (``duban.watch``).

Needs a Prefect server (``duban serve`` running for this data directory, or
``PREFECT_API_URL``): the ``recheck`` deployment's trigger on the event re-checks the unit
and sends it its receipt.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import UserError, catalog_option, load_catalog_or_fail
from .flowrun import evidence_root, prepare


@click.command("watch")
@click.option(
    "--evidence",
    "evidence",
    type=click.Path(path_type=Path),
    default=None,
    help="共享文件夹；默认取环境变量 DUBAN_EVIDENCE 或 settings.yaml 的 evidence_root",
)
@click.option(
    "--settle",
    type=click.FloatRange(0),
    default=None,
    help="单位文件夹静止多少秒后才报告（默认 60，或 desk.watch_settle）",
)
@click.option("--poll/--no-poll", "poll", default=None, help="轮询共享文件夹（网络共享默认自动轮询）")
@catalog_option
@click.pass_context
def command(
    ctx: click.Context, evidence: Path | None, settle: float | None, poll: bool | None, catalog_dir: str | None
):
    """监视共享文件夹：单位上传材料并静止一段时间后，通知 Prefect 服务器为该单位重新检查并发回执。"""
    from duban import access, prefect_env
    from duban.settings import SettingsError
    from duban.store import scope_of
    from duban.watch import scoped_emitter, should_poll, watch

    catalog = load_catalog_or_fail(catalog_dir)
    home = prepare(ctx, catalog_dir=catalog_dir, evidence=evidence)
    root = Path(evidence_root(home))
    if not root.is_dir():
        raise UserError(f"共享文件夹 {root} 不存在或无法访问：请检查路径和网络共享是否已挂载")
    if not prefect_env.api_url():
        raise UserError("duban watch 需要 Prefect 服务器接收事件：先运行 duban serve，或设置 PREFECT_API_URL")
    try:
        settings = access.desk_settings(home)
    except SettingsError as e:
        raise UserError(str(e)) from None
    settle = settings["watch_settle"] if settle is None else settle
    mode = settings["watch_poll"] if poll is None else poll
    how = "轮询" if should_poll(root, mode) else "文件系统通知"
    click.echo(f"监视 {root}（{how}，静止 {settle:g} 秒后报告；Prefect 服务器 {prefect_env.api_url()}；Ctrl-C 停止）")
    watch(
        catalog,
        root,
        settle=settle,
        poll=mode,
        emit=scoped_emitter(scope_of(catalog, home)),
        on_emit=lambda fp: click.echo(f"{fp.unit}：{fp.files} 个文件，已通知重新检查"),
    )
