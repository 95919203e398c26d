"""``duban city``: many districts on one Prefect server (``duban.city``)::

    duban city check city.yaml            # read and check city.yaml and every district's campaign
    duban city deploy city.yaml           # write prefect.yaml beside it and apply it to PREFECT_API_URL
    duban city deploy city.yaml --no-apply   # only write it (for `prefect deploy --all` by hand)
    duban city run city.yaml [--round 2021-06-20]   # the city flow now, on the server; prints the report
    duban city watch city.yaml --district 历下区      # on the host that mounts 历下区's share: its receipts

The workers: ``prefect worker start --pool duban [--work-queue <queue>]`` on each host with
duban installed, ``DUBAN_DATABASE_URL`` (the shared store) and the SMTP password in its
environment.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import UserError, parse_date


def _load(path: Path):
    from duban.city.spec import CityError, load_city

    try:
        return load_city(path)
    except CityError as e:
        raise UserError(str(e)) from None


def _describe(city) -> None:
    from duban.city.deploy import common_round_dates

    click.echo(f"{city.name}：{len(city.districts)} 个区（工作池 {city.pool}，数据目录 {city.home}）")
    for d in city.districts:
        queue = f"，队列 {d.queue}" if d.queue else ""
        dates = "、".join(f"{x.month}月{x.day}日" for x in d.catalog.round_dates())
        click.echo(f"  {d.label}：{d.deployment('round')} / {d.deployment('sweep')} / {d.deployment('recheck')}{queue}")
        click.echo(
            f"      活动 {d.campaign or '（随程序附带的 2021 年示例）'}，共享文件夹 {d.evidence}，截止日 {dates}"
        )
    common = common_round_dates(city)
    if common:
        click.echo(
            "  city：各区共同截止日的次日 08:00（" + "、".join(f"{x.month}月{x.day}日" for x in common) + " 的次日）"
        )
    else:
        click.secho(
            "  注意：各区没有共同的截止日，city 没有计划（可在界面中或用 duban city run 手动运行）", fg="yellow"
        )


def _warnings(city) -> None:
    from duban.tasks_catalog.health import schedule_warnings

    for d in city.districts:
        for w in schedule_warnings(d.catalog):
            click.secho(f"注意：{d.label}：{w}", fg="red", bold=True, err=True)
        if not Path(d.evidence).is_dir():
            click.echo(f"提示：{d.label} 的共享文件夹 {d.evidence} 在本机不存在（worker 上必须有）", err=True)


def _server(ctx: click.Context) -> None:
    """Prefect configured for this data directory; a server is required (PREFECT_API_URL, or a
    running duban serve of this data directory)."""
    from duban import prefect_env

    from .flowrun import prepare

    prepare(ctx)
    if not prefect_env.api_url():
        raise UserError("没有设置 PREFECT_API_URL：先指向城市的 Prefect 服务器（http://服务器:4200/api）")


# every city command takes the city file (city.yaml) first
_city_file = click.argument("city_file", type=click.Path(dir_okay=False, path_type=Path), metavar="城市文件")


@click.group("city")
def command() -> None:
    """一个城市的多个区共用一个 Prefect 服务器：按区部署、按区运行、全市汇总。"""


@command.command("check")
@_city_file
def check(city_file: Path) -> None:
    """检查 city.yaml 和各区的督办活动。"""
    city = _load(city_file)
    _describe(city)
    _warnings(city)
    click.echo(f"{city.file} 无误")


@command.command("deploy")
@_city_file
@click.option(
    "--apply/--no-apply", default=True, show_default=True, help="写出 prefect.yaml 后部署到 PREFECT_API_URL 的服务器"
)
@click.option(
    "--path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="prefect.yaml 的位置（默认：city.yaml 旁边）",
)
@click.pass_context
def deploy(ctx: click.Context, city_file: Path, apply: bool, path: Path | None) -> None:
    """生成各区的部署（round-区名、sweep-区名、recheck-区名）和全市汇总 city，并部署到服务器。"""
    from duban.city import deploy as city_deploy

    city = _load(city_file)
    _describe(city)
    _warnings(city)
    if not apply:
        target = city_deploy.write(city, path)
        click.echo(f"已写入 {target}：在该文件夹运行 prefect deploy --all 部署")
        return
    from duban import prefect_env

    _server(ctx)
    click.echo(f"部署到 Prefect 服务器 {prefect_env.api_url()} ……", err=True)
    try:
        target = city_deploy.apply(city, path)
    except city_deploy.DeployError as e:
        raise UserError(str(e)) from None
    n = 3 * len(city.districts) + 1
    click.echo(f"已写入 {target} 并部署 {n} 个部署到 {prefect_env.api_url()}")
    queues = sorted({d.queue for d in city.districts if d.queue})
    hint = f"（或 --work-queue {'/'.join(queues)}）" if queues else ""
    click.echo(f"在每台 worker 上运行：prefect worker start --pool {city.pool}{hint}")


@command.command("run")
@_city_file
@click.option("--round", "round_date", default=None, help="汇总哪一轮（截止日期，如 2021-06-20）")
@click.option("--as-of", "as_of", default=None, help="按哪个时间检查（默认：该轮 24 时，或现在）")
@click.option("--timeout", default=3600, show_default=True, help="等待全市汇总完成的秒数")
@click.pass_context
def run(ctx: click.Context, city_file: Path, round_date: str | None, as_of: str | None, timeout: int) -> None:
    """在服务器上立即运行全市汇总（city 部署），等待完成并显示报告位置。"""
    from duban.city.deploy import CITY_FLOW

    from .flowrun import run_on_server

    city = _load(city_file)
    _server(ctx)
    params: dict = {}
    if round_date:
        params["round_date"] = parse_date(round_date).isoformat()
    if as_of:
        from duban.timeutil import parse_as_of

        try:
            params["as_of"] = parse_as_of(as_of).isoformat()
        except ValueError as e:
            raise UserError(str(e)) from None
    click.echo(f"{city.name}：{len(city.districts)} 个区", err=True)
    run_on_server(f"{CITY_FLOW}/{CITY_FLOW}", params, timeout)


@command.command("watch")
@_city_file
@click.option("--district", required=True, help="监视哪个区的共享文件夹")
@click.option("--campaign", "campaign_key", default=None, help="该区有多个督办活动时：哪一个（活动的 id）")
@click.option("--settle", type=click.FloatRange(0), default=60, show_default=True, help="单位文件夹静止多少秒后才报告")
@click.option("--poll/--no-poll", "poll", default=None, help="轮询共享文件夹（网络共享默认自动轮询）")
@click.pass_context
def watch(
    ctx: click.Context, city_file: Path, district: str, campaign_key: str | None, settle: float, poll: bool | None
) -> None:
    """在挂载该区共享文件夹的主机上运行：单位上传后通知服务器，由该区的 recheck 部署核查并发收件回执。"""
    from duban.watch import scoped_emitter
    from duban.watch import watch as watch_share

    city = _load(city_file)
    found = [d for d in city.districts if d.name == district and campaign_key in (None, d.campaign_key)]
    if len(found) != 1:
        names = "、".join(d.label for d in city.districts)
        raise UserError(
            f"{city.file} 中没有唯一的 {district}{f'（{campaign_key}）' if campaign_key else ''}："
            f"现有 {names}" + ("；该区有多个督办活动时加 --campaign 活动id" if len(found) > 1 else "")
        )
    d = found[0]
    _server(ctx)
    root = Path(d.evidence)
    if not root.is_dir():
        raise UserError(f"{d.label} 的共享文件夹 {root} 在本机不存在或无法访问：请在挂载它的主机上运行")
    click.echo(
        f"监视 {d.label} 的共享文件夹 {root}（静止 {settle:g} 秒后报告；触发 {d.deployment('recheck')}；Ctrl-C 停止）"
    )
    watch_share(
        d.catalog,
        root,
        settle=settle,
        poll="auto" if poll is None else poll,
        emit=scoped_emitter(d.scope),
        on_emit=lambda fp: click.echo(f"{fp.unit}：{fp.files} 个文件，已通知 {d.deployment('recheck')}"),
    )
