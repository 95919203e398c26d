"""The ``duban`` click group: one module per command, imported only when used, so
``duban catalog`` does not pay for Prefect."""

from __future__ import annotations

import importlib

import click

from duban.home import HOME_ENV

from .help import Context, localize

# command name -> module under duban.cli that defines a click command called `command`
COMMANDS = {
    "catalog": "catalog",
    "templates": "templates",
    "init-folders": "init_folders",
    "check": "check",
    "confirm": "confirm",
    "decide": "decide",
    "remind": "remind",
    "report": "report",
    "run-round": "run_round",
    "recheck": "recheck",
    "sweep": "sweep",
    "serve": "serve",
    "desk": "desk",
    "watch": "watch",
    "schedule": "schedule",
    "demo": "demo",
    "campaign": "campaign",
    "city": "city",
}


class LazyGroup(click.Group):
    context_class = Context  # help pages in Chinese (.help)

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        module = COMMANDS.get(name)
        if module is None:
            return None
        return localize(importlib.import_module(f"duban.cli.{module}").command)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    envvar=HOME_ENV,
    type=click.Path(file_okay=False),
    default=None,
    help="数据目录（库、发件箱、报告），默认 ./var；也可用环境变量 DUBAN_HOME",
)
@click.version_option(package_name="duban", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, home: str | None) -> None:
    """duban（督办）：任务清单督办——目录、佐证检查、催报提醒、轮次报告。"""
    ctx.ensure_object(dict)
    ctx.obj["home"] = home
