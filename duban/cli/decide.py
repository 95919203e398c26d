"""``duban decide accept|reject|waive|extend TASK --unit U [--round R] --note ... [--until DATE]``,
``duban decide list``, ``duban decide withdraw ID --note ...``: the coordinator's decisions.

Each is stored with who, when and why (``duban.check.decisions``); ``reject`` mails the
unit the reason at once. The next check, report and the desk show the override.
"""

from __future__ import annotations

import datetime as dt

import click

from .common import UserError, catalog_option, home_of, load_catalog_or_fail

HELP = {
    "accept": "认可：规则无法判断的材料（如一个文件包含两个案例）按完成计",
    "reject": "驳回：材料符合规则但内容不对，事项保持未完成，并立即邮件告知单位理由",
    "waive": "免报：该单位无需报送此项（不提醒、不计分）",
    "extend": "延期：把该单位此项的截止日期推迟到 --until",
}


def _date(value: str | None, what: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"无法识别的{what} '{value}'：请写成 2021-06-20") from None


def _open(ctx: click.Context, catalog_dir: str | None):
    from duban.store import Store, scope_of

    catalog = load_catalog_or_fail(catalog_dir)
    home = home_of(ctx)
    scope = scope_of(catalog, home)
    return catalog, home, scope, Store.open(home, scope)


def _record(ctx, kind, task, unit, round_text, note, until_text, files, by, mail, catalog_dir) -> None:
    from duban.check import decisions

    catalog, home, scope, store = _open(ctx, catalog_dir)
    try:
        task_id, unit_name, rnd = decisions.resolve(
            catalog, kind, task, unit, _date(round_text, "轮次日期"), _date(until_text, "日期")
        )
        d = decisions.add(
            store, scope, kind, task_id, unit_name, note, round=rnd, until=_date(until_text, "日期"), files=files, by=by
        )
    except decisions.DecisionError as e:
        raise UserError(str(e)) from None
    where = f"{d.task} {catalog.task(d.task).task.title}（{d.unit}，{d.round.isoformat() + ' 轮' if d.round else '全部轮次'}）"
    click.echo(f"已记录决定 #{d.id}：{d.what} {where}，{d.by} 于 {d.at:%Y-%m-%d %H:%M}；理由：{d.note}")
    if kind == "reject" and mail:
        _mail_rejection(catalog, home, scope, store, d)
    _say_when_dates_move(d)


def _mail_rejection(catalog, home, scope, store, d) -> None:
    from duban import access
    from duban.notifications.decision_mail import send_rejection

    link = access.unit_link(store, scope, d.unit, access.desk_settings(home)["base_url"])
    rec = send_rejection(catalog, home, d, link=link)
    if rec.status == "sent":
        click.echo(f"已通知 {d.unit}：{rec.subject}（{'、'.join(rec.to)}）")
    elif rec.status == "duplicate":
        click.echo(f"驳回通知此前已发给 {d.unit}，未重发")
    else:
        click.echo(f"驳回通知未能发出（{rec.status}）：{rec.error or ''}", err=True)


def _decision_command(kind: str) -> click.Command:
    @click.command(kind, help=HELP[kind])
    @click.argument("task", metavar="任务编号")
    @click.option("--unit", "unit", required=True, help="单位名称或简称")
    @click.option(
        "--round", "round_text", default=None, help="只针对某一轮（该轮截止日期，如 2021-06-12）；默认全部轮次"
    )
    @click.option("--note", required=True, help="理由（必填，记入督办记录）")
    @click.option("--by", "by", default=None, help="决定人（默认：当前登录用户）")
    @catalog_option
    @click.pass_context
    def command(ctx, task, unit, round_text, note, by, catalog_dir, until=None, files=(), mail=True):
        _record(ctx, kind, task, unit, round_text, note, until, files, by, mail, catalog_dir)

    if kind == "extend":
        command = click.option("--until", "until", required=True, help="新的截止日期，如 2021-06-25")(command)
    if kind == "reject":
        command = click.option("--file", "files", multiple=True, help="被驳回的文件（共享文件夹内的相对路径，可重复）")(
            command
        )
        command = click.option("--mail/--no-mail", "mail", default=True, help="是否立即邮件告知单位（默认发送）")(
            command
        )
    return command


@click.group("decide")
def command() -> None:
    """协调人的决定：认可、驳回、免报、延期，及查看、撤销。"""


for _kind in HELP:
    command.add_command(_decision_command(_kind))


@command.command("list")
@click.option("--unit", "unit", default=None, help="只看某个单位")
@click.option("--task", "task", default=None, help="只看某个任务")
@click.option("--all", "show_all", is_flag=True, help="包括已撤销的决定")
@catalog_option
@click.pass_context
def list_command(ctx, unit, task, show_all, catalog_dir) -> None:
    """列出决定（默认只列现行有效的）。"""
    from duban.check import decisions

    catalog, _home, scope, store = _open(ctx, catalog_dir)
    try:
        unit_name = catalog.unit(unit).name if unit else None
        task_id = catalog.task(task).id if task else None
    except KeyError as e:
        raise UserError(str(e.args[0])) from None
    rows = [d for d in decisions.history(store, scope, unit=unit_name, task=task_id) if show_all or not d.withdrawn]
    if not rows:
        click.echo("没有决定。")
        return
    for d in rows:
        rnd = d.round.isoformat() if d.round else "全部轮次"
        line = f"#{d.id} {d.what} {d.task} {d.unit or '全部责任单位'} {rnd} · {d.by} {d.at:%Y-%m-%d %H:%M} · {d.note}"
        if d.withdrawn:
            line += f"（已于 {d.withdrawn_at:%Y-%m-%d %H:%M} 由 {d.withdrawn_by} 撤销：{d.withdraw_note}）"
        click.echo(line)


@command.command("withdraw")
@click.argument("decision_id", type=int, metavar="决定编号")
@click.option("--note", required=True, help="撤销理由（必填）")
@click.option("--by", "by", default=None, help="撤销人（默认：当前登录用户）")
@catalog_option
@click.pass_context
def withdraw_command(ctx, decision_id, note, by, catalog_dir) -> None:
    """撤销一个决定（记录保留，此后检查按规则判定）。"""
    from duban.check import decisions

    _catalog, _home, scope, store = _open(ctx, catalog_dir)
    try:
        d = decisions.withdraw(store, scope, decision_id, note, by=by)
    except decisions.DecisionError as e:
        raise UserError(str(e)) from None
    click.echo(f"已撤销决定 #{d.id}（{d.what} {d.task} {d.unit or '全部责任单位'}），{d.withdrawn_by}；理由：{note}")
    _say_when_dates_move(d)


def _say_when_dates_move(d) -> None:
    """An extension moves a date the rules judge by: the stored check keeps the old dates until
    the next one (the desk checks again by itself)."""
    if d.kind == "extend":
        click.echo(
            "截止日期已变更：工作台和报告在下次检查后按新日期判定（立即生效请运行 duban check 或 duban recheck）"
        )
