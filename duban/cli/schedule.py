"""``duban schedule [--check]``: write ``prefect.yaml`` from the catalog, or check it."""

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
@catalog_option
def command(check_only: bool, path: Path | None, catalog_dir: str | None) -> None:
    """根据任务清单生成 prefect.yaml（round 在每个截止日当晚运行，sweep 每天早上，recheck 按需）。"""
    from duban.flows import deployments

    catalog = load_catalog_or_fail(catalog_dir)
    target = path or deployments.default_path(catalog)
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
