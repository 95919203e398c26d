"""Shared pieces of the CLI: the data directory, the catalog, user-facing errors."""

from __future__ import annotations

import sys

import click

from duban.home import Home


class UserError(click.ClickException):
    """A mistake the user can fix: printed as one message, exit code 2, no traceback."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.message}", err=True)


def home_of(ctx: click.Context) -> Home:
    return Home.resolve((ctx.find_root().obj or {}).get("home"))


def load_catalog_or_fail(path: str | None = None):
    """The catalog in use: ``path`` (--catalog) or DUBAN_CATALOG, else settings ``campaign:``,
    else the shipped 2021 example (``tasks_catalog.campaigns``)."""
    from duban.settings import SettingsError
    from duban.tasks_catalog import CatalogError
    from duban.tasks_catalog.campaigns import load_campaign

    ctx = click.get_current_context(silent=True)
    home = (ctx.find_root().obj or {}).get("home") if ctx else None
    try:
        return load_campaign(path, home)
    except (CatalogError, SettingsError) as e:
        raise UserError(str(e)) from None


def parse_round_date(value: str, catalog, hint: str = ""):
    """A catalog round date typed by the user (2021-06-20), or a UserError listing the rounds."""
    import datetime as dt

    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"无法识别的日期 '{value}'：请写成 2021-06-20") from None
    rounds = catalog.round_dates()
    if day not in rounds:
        raise UserError(
            f"{day.isoformat()} 不是任务清单中的截止日期；可选：{'、'.join(d.isoformat() for d in rounds)}{hint}"
        )
    return day


def run_cli(group: click.Group) -> int:
    try:
        group.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("已中止。", err=True)
        return 130
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except KeyboardInterrupt:
        click.echo("已中止。", err=True)
        return 130
    return 0


def catalog_option(f):
    return click.option(
        "--catalog",
        "catalog_dir",
        type=click.Path(file_okay=False, exists=True),
        default=None,
        help="活动（任务清单）文件夹（默认：环境变量 DUBAN_CATALOG，settings.yaml 的 campaign:，否则为随程序附带的 2021 年示例）",
    )(f)


def emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
