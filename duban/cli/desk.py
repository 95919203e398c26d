"""``duban desk [--host 127.0.0.1] [--port 8765]``: the coordinator's web desk, and its accounts
and unit links::

    duban desk user add 王科长            # set a coordinator's password (asked twice, never echoed)
    duban desk token issue 区工信局        # a unit's personal read-only link
    duban desk token revoke 区工信局       # every link of that unit stops working at once
    duban desk token list
"""

from __future__ import annotations

import click

from .common import UserError, catalog_option, home_of, load_catalog_or_fail


def _context(ctx: click.Context, catalog_dir: str | None):
    from duban.store import Store, scope_of

    catalog = load_catalog_or_fail(catalog_dir)
    home = home_of(ctx)
    scope = scope_of(catalog, home)
    return catalog, home, scope, Store.open(home, scope)


def _settings(home):
    from duban import access
    from duban.settings import SettingsError

    try:
        return access.desk_settings(home)
    except SettingsError as e:
        raise UserError(str(e)) from None


@click.group("desk", invoke_without_command=True)
@click.option("--host", default=None, help="监听地址（默认 127.0.0.1，只允许本机访问；办公网访问写本机 IP 或 0.0.0.0）")
@click.option(
    "--port", default=None, type=click.IntRange(1, 65535), help="端口（默认 8765，或 settings.yaml 的 desk.port）"
)
@catalog_option
@click.pass_context
def command(ctx: click.Context, host: str | None, port: int | None, catalog_dir: str | None) -> None:
    """督办工作台（网页）：总览、单位、任务、督办记录、报告，协调人在此做决定。"""
    if ctx.invoked_subcommand is not None:
        return
    from duban import access
    from duban.desk import serve

    catalog, home, scope, store = _context(ctx, catalog_dir)
    settings = _settings(home)
    host = host or settings["host"]
    port = port or settings["port"]
    if not access.users(store, scope):
        click.echo("提示：还没有协调人账号，先运行 duban desk user add 用户名", err=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"注意：工作台监听 {host}，办公网内的其他电脑可以访问登录页", err=True)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 (a comparison, not a bind)
    click.echo(f"督办工作台：http://{shown}:{port}/（数据目录 {home.root}；按 Ctrl-C 停止）")
    serve(catalog, home, host=host, port=port)


@command.group("user")
def user_group() -> None:
    """协调人账号。"""


@user_group.command("add")
@click.argument("name", metavar="用户名")
@catalog_option
@click.pass_context
def user_add(ctx: click.Context, name: str, catalog_dir: str | None) -> None:
    """添加协调人账号，或为已有账号设置新密码（交互输入两次，不回显）。"""
    from duban import access
    from duban.desk import audit

    password = _ask_password()
    _catalog, _home, scope, store = _context(ctx, catalog_dir)
    try:
        new = access.set_user(store, scope, name, password)
    except ValueError as e:
        raise UserError(str(e)) from None
    audit.record(store, scope, "命令行", "user", f"{'添加账号' if new else '重设密码'} {name}")
    click.echo(f"{'已添加协调人账号' if new else '已为账号设置新密码'}：{name.strip()}")


def _ask_password() -> str:
    """The new password, typed twice without echo (click's own prompt says a mismatch in English)."""
    while True:
        first = click.prompt("密码", hide_input=True)
        if click.prompt("再输入一次", hide_input=True) == first:
            return first
        click.echo("两次输入的密码不一致，请重新输入。", err=True)


@command.group("token")
def token_group() -> None:
    """单位的个人链接（只读查看本单位的督办事项）。"""


def _token_change(ctx: click.Context, unit: str, by: str | None, catalog_dir: str | None, change):
    """Resolve the unit, apply ``change(store, scope, name, who)`` -> (result, audit text), audit it."""
    from duban.check.decisions import current_user
    from duban.desk import audit

    catalog, home, scope, store = _context(ctx, catalog_dir)
    try:
        name = catalog.unit(unit).name
    except KeyError as e:
        raise UserError(str(e.args[0])) from None
    who = by or current_user()
    result, text = change(store, scope, name, who)
    audit.record(store, scope, who, "token", text, unit=name)
    return home, name, result


@token_group.command("issue")
@click.argument("unit", metavar="单位")
@click.option("--by", "by", default=None, help="签发人（默认：当前登录用户）")
@catalog_option
@click.pass_context
def token_issue(ctx: click.Context, unit: str, by: str | None, catalog_dir: str | None) -> None:
    """为单位签发个人链接（旧链接在撤销前仍可用）。"""
    from duban import access

    home, name, token = _token_change(
        ctx,
        unit,
        by,
        catalog_dir,
        lambda store, scope, name, who: (access.issue_token(store, scope, name, by=who), f"签发 {name} 的链接"),
    )
    settings = _settings(home)
    base = settings["base_url"] or f"http://{settings['host']}:{settings['port']}"
    click.echo(f"{name} 的链接：{base}/u/{token}")
    if access.server_secret() is None:
        click.echo(
            f"注意：未设置服务器密钥（环境变量 {access.SECRET_ENV} 或 keyring set duban desk-secret），"
            "此链接只显示这一次，提醒邮件中不会附带；请现在复制给该单位",
            err=True,
        )


@token_group.command("revoke")
@click.argument("unit", metavar="单位")
@click.option("--by", "by", default=None, help="撤销人（默认：当前登录用户）")
@catalog_option
@click.pass_context
def token_revoke(ctx: click.Context, unit: str, by: str | None, catalog_dir: str | None) -> None:
    """撤销单位的全部链接（立即失效）。"""
    from duban import access

    def revoke(store, scope, name, who):
        n = access.revoke_tokens(store, scope, name, by=who)
        return n, f"撤销 {name} 的 {n} 个链接"

    _home, name, n = _token_change(ctx, unit, by, catalog_dir, revoke)
    click.echo(f"已撤销 {name} 的 {n} 个链接" if n else f"{name} 没有有效的链接")


@token_group.command("list")
@catalog_option
@click.pass_context
def token_list(ctx: click.Context, catalog_dir: str | None) -> None:
    """列出各单位的链接（只显示签发记录，不显示链接本身）。"""
    from duban import access

    _catalog, _home, scope, store = _context(ctx, catalog_dir)
    rows = access.tokens(store, scope)
    if not rows:
        click.echo("没有签发过链接。")
    for t in rows:
        state = f"已撤销（{t.revoked_at[:16]}）" if t.revoked_at else "有效"
        click.echo(f"#{t.id} {t.unit} · {t.created_by} {t.created_at[:16].replace('T', ' ')} · {state}")
