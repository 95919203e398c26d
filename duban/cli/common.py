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


def home_of(ctx: click.Context, *, announce: bool = False, warn_new: bool = True) -> Home:
    """The data directory of this run. A new, empty one gets a warning (duban run from another
    folder would otherwise start afresh in a new ./var without a word); ``announce`` says where
    it is (commands that write to it)."""
    chosen = (ctx.find_root().obj or {}).get("home")
    home = Home.resolve(chosen)
    if warn_new and not any(home.root.iterdir()):
        source = "--home 或 DUBAN_HOME 指定" if chosen else "默认：当前文件夹下的 var"
        click.secho(
            f"注意：数据目录 {home.root}（{source}）是新建的空目录，里面没有之前的检查记录、发送记录和报告。"
            "如果它们在别处，请回到原来的文件夹运行，或用 --home / 环境变量 DUBAN_HOME 指定数据目录。",
            err=True,
            fg="yellow",
        )
    elif announce:
        click.echo(f"数据目录：{home.root}", err=True)
    return home


def load_catalog_or_fail(path: str | None = None):
    """The catalog in use: ``path`` (--catalog) or DUBAN_CATALOG, else settings ``campaign:``,
    else the shipped 2021 example (``tasks_catalog.campaigns``)."""
    from duban.settings import SettingsError
    from duban.tasks_catalog import CatalogError
    from duban.tasks_catalog.campaigns import load_campaign

    try:
        return load_campaign(path, _home_option())
    except (CatalogError, SettingsError) as e:
        raise UserError(str(e)) from None


def catalog_view_or_fail(path: str | None, name: str, render) -> str:
    """``render(catalog)`` for the catalog in use, kept in the data directory's cache while the
    catalog's files are unchanged (read back without loading the catalog at all)."""
    from duban.settings import SettingsError
    from duban.tasks_catalog.campaigns import campaign_root
    from duban.tasks_catalog.loader import CatalogError, catalog_view

    try:
        return catalog_view(campaign_root(path, _home_option()), cache_dir(), name, render)
    except (CatalogError, SettingsError) as e:
        raise UserError(str(e)) from None


def cache_dir():
    """``<data directory>/cache``: what commands derive from the catalog. None while the data
    directory does not exist (a command that only reads never creates ./var)."""
    from duban.tasks_catalog.campaigns import settings_path

    folder = settings_path(_home_option()).parent
    return folder / "cache" if folder.is_dir() else None


def _home_option() -> str | None:
    ctx = click.get_current_context(silent=True)
    return (ctx.find_root().obj or {}).get("home") if ctx else None


def parse_round_date(value: str, catalog, hint: str = ""):
    """A catalog round date typed by the user (2021-06-20, 20210620 ...), or a UserError listing the rounds."""
    day = parse_date(value)
    rounds = catalog.round_dates()
    if day not in rounds:
        raise UserError(
            f"{day.isoformat()} 不是任务清单中的截止日期；可选：{'、'.join(d.isoformat() for d in rounds)}{hint}"
        )
    return day


def parse_date(value: str):
    """A day typed by the user, in any form ``duban.timeutil.parse_day`` reads, or a UserError."""
    from duban.timeutil import parse_day

    try:
        day = parse_day(value)
    except ValueError as e:
        raise UserError(str(e)) from None
    if day is None:
        raise UserError(f"无法识别的日期 '{value}'：请写成 2021-06-20")
    return day


def run_cli(group: click.Group) -> int:
    try:
        group.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("已中止。", err=True)
        return 130
    except click.UsageError as e:  # click's own words are English: say it in Chinese
        from .errors import show_usage_error

        show_usage_error(e)
        return e.exit_code
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


def evidence_option(name: str = "evidence"):
    """``--evidence ROOT``, the shared folder, for every command that reads it (passed as ``name``)."""

    def decorate(f):
        from pathlib import Path

        return click.option(
            "--evidence",
            name,
            type=click.Path(path_type=Path),
            default=None,
            help="共享文件夹（佐证材料根目录）；默认取环境变量 DUBAN_EVIDENCE 或数据目录 settings.yaml 的 evidence_root",
        )(f)

    return decorate


def emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
