"""``duban schedule [--check] [--city city.yaml]``: write ``prefect.yaml`` from the catalog, or
check it. A city's prefect.yaml (``duban city deploy``) is checked against city.yaml and every
district's campaign: ``--city``, or found by itself beside a city's prefect.yaml."""

from __future__ import annotations

from pathlib import Path

import click

from .common import UserError, catalog_option, load_catalog_or_fail


@click.command("schedule")
@click.option("--check", "check_only", is_flag=True, help="只检查：prefect.yaml 与任务清单不一致时返回非零")
@click.option(
    "--path",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="prefect.yaml 的位置（默认：活动文件夹中；用随程序附带的示例时为当前文件夹）",
)
@click.option(
    "--city",
    "city_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="城市文件 city.yaml：生成或检查它旁边的、各区共用的 prefect.yaml（duban city deploy 生成的）",
)
@catalog_option
def command(check_only: bool, path: Path | None, city_file: Path | None, catalog_dir: str | None) -> None:
    """根据任务清单生成 prefect.yaml（round 在每个截止日当晚运行，sweep 每天早上，recheck 按需）。"""
    from duban.city import deploy as city_deploy
    from duban.flows import deployments

    if city_file is None and path is not None and city_deploy.is_city_file(path):
        city_file = path.parent / "city.yaml"
        if not city_file.is_file():
            raise UserError(f"{path} 是 duban city deploy 生成的城市部署文件：加 --city 指定它的 city.yaml")
    if city_file is not None:
        _city(city_file, path, check_only)
        return
    catalog = load_catalog_or_fail(catalog_dir)
    target = path or deployments.default_path(catalog)
    if check_only and city_deploy.is_city_file(target):
        raise UserError(f"{target} 是 duban city deploy 生成的城市部署文件：加 --city city.yaml 检查")
    dates = "、".join(d.isoformat() for d in catalog.round_dates())
    for warning in deployments.schedule_warnings(catalog):
        click.secho(f"注意：{warning}", fg="red", bold=True, err=True)
    if check_only:
        diffs = deployments.differences(catalog, target)
        if diffs:
            for d in diffs:
                click.echo(f"不一致：{d}", err=True)
            raise UserError(f"{target} 与任务清单不一致：运行 duban schedule 重新生成")
        click.echo(
            f"{target} 与任务清单一致（round：{dates} 23:58 北京时间（到 24 时检查）；sweep：督办期内每天 09:00；recheck：按需）"
        )
        return
    why = deployments.refuse_inside_package(target)
    if why:
        raise UserError(why)
    deployments.write(catalog, target)
    click.echo(
        f"已写入 {target}：round 在 {dates} 23:58（北京时间，到 24 时检查），sweep 督办期内每天 09:00，recheck 按需"
    )


def _city(city_file: Path, path: Path | None, check_only: bool) -> None:
    """The city's prefect.yaml: check it against city.yaml and the campaigns, or write it."""
    from duban.city import deploy as city_deploy
    from duban.city.spec import CityError, load_city
    from duban.flows import deployments

    try:
        city = load_city(city_file)
    except CityError as e:
        raise UserError(str(e)) from None
    target = path or city_deploy.default_path(city)
    for d in city.districts:
        for warning in deployments.schedule_warnings(d.catalog):
            click.secho(f"注意：{d.label}：{warning}", fg="red", bold=True, err=True)
    if check_only:
        diffs = city_deploy.differences(city, target)
        if diffs:
            for diff in diffs:
                click.echo(f"不一致：{diff}", err=True)
            raise UserError(
                f"{target} 与 {city.file} 及各区任务清单不一致：运行 duban city deploy {city.file} 重新生成并部署"
            )
        click.echo(f"{target} 与 {city.file} 一致（{len(city.districts)} 个区，{3 * len(city.districts) + 1} 个部署）")
        return
    city_deploy.write(city, target)
    click.echo(
        f"已写入 {target}：{len(city.districts)} 个区的部署和全市汇总 city（部署到服务器：duban city deploy {city.file}）"
    )
