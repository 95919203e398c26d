"""``duban init-folders ROOT``: the folder skeleton, instructions and blank templates."""

from __future__ import annotations

from pathlib import Path

import click

from .common import catalog_option, load_catalog_or_fail


@click.command("init-folders")
@click.argument("root", type=click.Path(file_okay=False, path_type=Path), metavar="共享文件夹")
@click.option("--unit", "units", multiple=True, help="只为某些单位建文件夹（可重复）")
@catalog_option
def command(root: Path, units: tuple[str, ...], catalog_dir: str | None) -> None:
    """在给定的共享文件夹下为每个单位、任务和轮次建好文件夹、说明和空白模板。

    重复运行只补缺，不会覆盖、移动或删除任何已有文件。
    """
    from duban.evidence.init_folders import init_folders
    from duban.tasks_catalog.directory import proposed_units
    from duban.tasks_catalog.health import review_warning

    catalog = load_catalog_or_fail(catalog_dir)
    root.mkdir(parents=True, exist_ok=True)
    rep = init_folders(root, catalog, units=list(units) or None)
    click.echo(
        f"已在 {root} 下新建 {len(rep.created_dirs)} 个文件夹、{len(rep.created_files)} 个文件"
        f"（说明和空白模板）；已有的 {rep.kept} 个文件保持不动。"
    )
    click.echo(f"活动：{catalog.campaign.name}（{catalog.root}）")
    for warning in [review_warning(catalog), *proposed_units(catalog)]:
        if warning:
            click.secho(f"注意：{warning}", fg="yellow", err=True)
