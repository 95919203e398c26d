"""``duban confirm TASK [--unit U] --note ...``: the coordinator confirms a platform-judged item.

A confirmation is recorded as the coordinator's ``accept`` decision (``duban decide``), so it
shows with who, when and why in the reports, the desk and the audit log, and is withdrawn
like any decision (``--withdraw``)."""

from __future__ import annotations

import click

from .common import UserError, catalog_option, home_of, load_catalog_or_fail


@click.command("confirm")
@click.argument("task", metavar="任务编号")
@click.option("--unit", "unit_name", default=None, help="只确认一个单位（默认：该任务的全部责任单位）")
@click.option("--note", required=True, help="确认依据，如“平台显示已全量登记”")
@click.option("--by", "by", default=None, help="确认人（默认：当前登录用户）")
@click.option("--withdraw", is_flag=True, help="撤销此前的确认")
@catalog_option
@click.pass_context
def command(
    ctx: click.Context,
    task: str,
    unit_name: str | None,
    note: str,
    by: str | None,
    withdraw: bool,
    catalog_dir: str | None,
) -> None:
    """协调人确认系统判定事项（确认后状态为“按时完成”）。"""
    import datetime as dt

    from duban.check import decisions
    from duban.store import Store, scope_of
    from duban.timeutil import TZ

    if not note.strip():
        raise UserError("请用 --note 写明确认依据（如“平台显示已全量登记”），确认记录是督办检查的凭据")
    catalog = load_catalog_or_fail(catalog_dir)
    try:
        rt = catalog.task(task)
        unit = catalog.unit(unit_name).name if unit_name else None
    except KeyError as e:
        raise UserError(str(e.args[0])) from None
    if not rt.task.platform:
        raise UserError(f"任务 {rt.id} 不是系统判定事项，它的完成情况由佐证材料检查决定，无需确认")
    if unit and unit not in rt.leads:
        raise UserError(f"{unit} 不是任务 {rt.id} 的责任单位（责任单位：{'、'.join(rt.leads) or '未指定'}）")
    home = home_of(ctx, announce=True)
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    who = unit or "全部责任单位"
    if withdraw:
        standing = [
            d
            for d in decisions.standing(store, scope, dt.datetime.now(TZ))
            if d.kind == "accept" and d.task == rt.id and d.unit == unit and d.id is not None
        ]
        if not standing:
            raise UserError(f"{rt.id}（{who}）没有可撤销的确认：用 duban decide list 查看全部决定")
        for d in standing:
            decisions.withdraw(store, scope, int(d.id or 0), note, by=by)
        click.echo(f"已撤销：{rt.id} {rt.task.title}（{who}）的确认；理由：{note}")
        return
    # a confirmation is the coordinator's accept of a platform-judged item: one kind of decision
    d = decisions.add(store, scope, "accept", rt.id, unit, note, by=by)
    click.echo(
        f"已确认（决定 #{d.id}）：{rt.id} {rt.task.title}（{who}），{d.by} 于 {d.at:%Y-%m-%d %H:%M}；依据：{note}"
    )
