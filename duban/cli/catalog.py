"""``duban catalog``: the task list as a table, one unit's duties, JSON, or a check only."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import UserError, catalog_option, catalog_view_or_fail, home_of, load_catalog_or_fail


@click.command("catalog")
@click.option("--unit", "unit_name", default=None, help="只看一个单位的任务，如 --unit 区工信局")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（给程序用）")
@click.option("--check", "check_only", is_flag=True, help="只校验目录文件，不输出表格")
@click.option(
    "--evidence",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="校验时也查看共享文件夹中不在单位名录里的单位文件夹（默认：settings.yaml 的 evidence_root）",
)
@catalog_option
@click.pass_context
def command(
    ctx: click.Context,
    unit_name: str | None,
    as_json: bool,
    check_only: bool,
    evidence: Path | None,
    catalog_dir: str | None,
) -> None:
    """任务清单：每项任务的责任单位、截止轮次和佐证要求。"""
    if as_json and not unit_name and not check_only:  # kept as printed while the catalog is unchanged
        click.echo(catalog_view_or_fail(catalog_dir, "catalog-json", lambda catalog: _json(catalog, None)))
        return
    catalog = load_catalog_or_fail(catalog_dir)
    if check_only:
        _check(ctx, catalog, evidence)
        return

    pairs = [(rt, "lead") for rt in catalog.tasks.values()]
    unit = None
    if unit_name:
        try:
            unit = catalog.unit(unit_name)
        except KeyError as e:
            raise UserError(str(e.args[0])) from None
        pairs = catalog.tasks_for(unit.name)

    if as_json:
        click.echo(_json(catalog, unit))
        return
    from rich.console import Console  # the table only: --json and --check need no rich
    from rich.table import Table

    from duban.tasks_catalog.views import deadline_text, evidence_text, units_text

    console = Console(soft_wrap=False, width=None if Console().is_terminal else 160)
    title = f"{catalog.campaign.name}（{catalog.campaign.district}）"
    if unit:
        title = f"{unit.name} 的任务（{len(pairs)} 项）"
    table = Table(title=title, show_lines=True, expand=False)
    table.add_column("编号", no_wrap=True)
    table.add_column("任务", overflow="fold", min_width=8)
    if not unit:
        table.add_column("责任单位", overflow="fold", ratio=2)
    else:
        table.add_column("角色", no_wrap=True)
    table.add_column("完成时限", overflow="fold", ratio=1)
    table.add_column("佐证要求", overflow="fold", ratio=3)
    if unit:  # what one unit owes: soonest due first, standing duties last
        pairs = sorted(pairs, key=lambda p: (p[0].task.rounds[0].isoformat() if p[0].task.rounds else "9", p[0].id))
    for rt, role in pairs:
        who = ("牵头" if role == "lead" else "配合（另收配合提醒）") if unit else units_text(rt, catalog)
        table.add_row(rt.id, rt.task.title, who, deadline_text(rt), evidence_text(rt, catalog))
    console.print(table)
    if not unit:
        dates = "、".join(d.strftime("%m-%d") for d in catalog.round_dates())
        console.print(f"截止日期：{dates}。看一个单位：duban catalog --unit 区工信局")


def _json(catalog, unit) -> str:
    """The task list as JSON: every task, or one unit's with its role."""
    from duban.tasks_catalog.views import task_row

    pairs = catalog.tasks_for(unit.name) if unit else [(rt, "lead") for rt in catalog.tasks.values()]
    rows = []
    for rt, role in pairs:
        row = task_row(rt, catalog)
        if unit:
            row["role"] = role
        rows.append(row)
    payload = {"campaign": catalog.campaign.name, "unit": unit.name if unit else None, "tasks": rows}
    return json.dumps(payload, ensure_ascii=False, indent=2)


def _check(ctx: click.Context, catalog, evidence: Path | None) -> None:
    """Validated (the load did that); then what would make the campaign run wrong, loudly."""
    from duban.settings import SettingsError
    from duban.tasks_catalog.campaigns import is_example
    from duban.tasks_catalog.health import catalog_warnings

    n_d = sum(1 for t in catalog.tasks if t.startswith("D"))
    where = "随程序附带的示例" if is_example(catalog) else str(catalog.root)
    click.echo(f"活动：{catalog.campaign.name}（{catalog.campaign.year} 年，{where}）")
    click.echo(
        f"目录校验通过：{len(catalog.tasks)} 项任务（区直部门 {n_d} 项，街道 {len(catalog.tasks) - n_d} 项），"
        f"{len(catalog.units)} 个单位，{len(catalog.templates)} 个模板，"
        f"截止日期 {'、'.join(d.strftime('%m-%d') for d in catalog.round_dates())}。"
    )
    root = evidence
    if root is None:
        try:
            root = Path(home_of(ctx).evidence_root())
        except SettingsError:
            root = None
    for warning in catalog_warnings(catalog, root):
        click.secho(f"注意：{warning}", fg="red", bold=True, err=True)
