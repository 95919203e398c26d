"""``duban templates export DIR``: the blank ledger templates units fill in."""

from __future__ import annotations

from pathlib import Path

import click

from .common import catalog_option, load_catalog_or_fail


@click.group("templates")
def command() -> None:
    """台账模板（附件）。"""


@command.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), metavar="文件夹")
@click.option("--overwrite", is_flag=True, help="覆盖已存在的同名文件")
@catalog_option
def export(directory: Path, overwrite: bool, catalog_dir: str | None) -> None:
    """把每个台账模板导出为空白 .xlsx（标题行、表头、列宽、冻结表头）。"""
    from duban.evidence.blank_templates import make_blank_template_xlsx, template_filename

    catalog = load_catalog_or_fail(catalog_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written = skipped = 0
    for tpl in catalog.templates.values():
        if tpl.kind not in ("ledger", "figures"):
            continue
        path = directory / template_filename(tpl.id, tpl.title)
        if path.exists() and not overwrite:
            skipped += 1
            continue
        make_blank_template_xlsx(path, tpl)
        written += 1
        click.echo(f"  {path}")
    click.echo(
        f"已导出 {written} 个模板到 {directory}"
        + (f"；{skipped} 个已存在未覆盖（加 --overwrite 覆盖）" if skipped else "")
    )
