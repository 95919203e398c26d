"""``duban campaign``: make a campaign from a task list, review what was guessed, roll a
campaign to another year, write a working-day calendar, add units.

    duban campaign new 2027-信用示范 --from 任务清单.docx --year 2027
    duban campaign review 2027-信用示范
    duban campaign roll 2027-信用示范 --to-year 2028
    duban campaign calendar 2027
    duban campaign add-unit 区退役军人事务局 --group departments
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import UserError, home_of, load_catalog_or_fail


@click.group("campaign")
def command() -> None:
    """督办活动（一份任务清单）：从清单新建、核对推定、顺延到新的一年、工作日历、补充单位。"""


def campaign_option(help: str):
    return click.option(
        "--campaign", "folder", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None, help=help
    )


def _active(ctx: click.Context, folder: Path | None, *, editable: bool = False):
    """The campaign named on the command line, else the one in use (settings ``campaign:``)."""
    from duban.tasks_catalog.campaigns import is_example

    catalog = load_catalog_or_fail(str(folder) if folder else None)
    if editable and is_example(catalog):
        raise UserError(
            "当前使用的是随程序安装的 2021 年示例，不能直接修改：先用 duban campaign new 文件夹 --from 任务清单 "
            "建立自己的活动（或在 settings.yaml 中用 campaign: 指向它），或用 --campaign 指定活动文件夹"
        )
    return catalog


# ---------------------------------------------------------------- new
@command.command("new")
@click.argument("folder", type=click.Path(path_type=Path), metavar="活动文件夹")
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="任务清单：Word 表格（.docx）、Excel（.xlsx）或从 Word 复制的表格文字（.txt）",
)
@click.option(
    "--year", type=click.IntRange(2000, 2100), default=None, help="活动年份（不写则从文档中的标题或日期判断）"
)
@click.option(
    "--base",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="沿用哪个活动的单位名录和模板（默认：当前使用的活动，没有则用 2021 年示例）",
)
@click.option("--id", "campaign_id", default=None, help="活动的简短标识（默认：文件夹名）")
@click.option("--no-use", is_flag=True, help="只建文件夹，不把 settings.yaml 的 campaign: 指向它")
@click.pass_context
def new(
    ctx: click.Context,
    folder: Path,
    source: Path,
    year: int | None,
    base: Path | None,
    campaign_id: str | None,
    no_use: bool,
) -> None:
    """从任务清单新建活动文件夹（campaign.yaml、units.yaml、templates.yaml、tasks/、review.yaml）。"""
    from duban.tasks_catalog.campaigns import use_campaign
    from duban.tasks_catalog.health import calendar_warning
    from duban.tasks_catalog.importer import ImportFailed, import_list

    base_dir = base or load_catalog_or_fail().root
    try:
        result = import_list(source, folder, year=year, base=base_dir, campaign_id=campaign_id)
    except ImportFailed as e:
        raise UserError(str(e)) from None
    cat = result.catalog
    n_d = sum(1 for t in cat.tasks if t.startswith("D"))
    dates = "、".join(d.isoformat() for d in cat.round_dates()) or "无"
    click.echo(
        f"已从 {source.name} 导入 {len(cat.tasks)} 项任务（区直部门 {n_d} 项，街道 {len(cat.tasks) - n_d} 项）到 {result.folder}"
    )
    click.echo(f"活动：{cat.campaign.name}（{cat.campaign.year} 年），截止日期：{dates}")
    for w in result.warnings:
        click.secho(f"注意：{w}", fg="yellow", err=True)
    if result.proposed:
        click.secho(
            f"单位名录中没有的 {len(result.proposed)} 个名称已作为新单位加入 units.yaml（proposed: true）：{'、'.join(result.proposed)}",
            fg="yellow",
        )
    open_n = sum(1 for e in result.review if not e.ok)
    click.echo(f"有 {open_n} 处是推定的，请逐条核对：duban campaign review {result.folder}")
    cal = calendar_warning(cat)
    if cal:
        click.secho(f"注意：{cal}", fg="red", bold=True, err=True)
    if not no_use:
        home = home_of(ctx)
        previous = use_campaign(home, result.folder)
        was = f"（原为 {previous}）" if previous and Path(previous) != result.folder else ""
        click.echo(
            f"已在 {home.settings_file} 中设置 campaign: {result.folder}{was}，之后的命令和定时任务都使用这个活动"
        )


# ---------------------------------------------------------------- review
@command.command("review")
@click.argument(
    "folder", type=click.Path(file_okay=False, exists=True, path_type=Path), required=False, metavar="[活动文件夹]"
)
@click.option("--all", "show_all", is_flag=True, help="也列出已核对（ok: true）的条目")
@click.pass_context
def review(ctx: click.Context, folder: Path | None, show_all: bool) -> None:
    """列出导入时推定、需要协调人核对的地方（review.yaml）；不写活动文件夹则为当前活动。"""
    from duban.tasks_catalog.review import REVIEW_FILE, read_review

    catalog = _active(ctx, folder)
    try:
        entries = read_review(catalog.root)
    except ValueError as e:
        raise UserError(str(e)) from None
    shown = [e for e in entries if show_all or not e.ok]
    done = sum(1 for e in entries if e.ok)
    if not entries:
        click.echo(f"{catalog.root} 没有待核对清单（{REVIEW_FILE}）：不是由 duban campaign new 导入的，或已全部删去")
        return
    click.echo(
        f"{catalog.campaign.name}：待核对 {len(entries) - done} 条，已核对 {done} 条（{catalog.root / REVIEW_FILE}）"
    )
    for i, entry in enumerate(shown, 1):
        mark = "✓ " if entry.ok else ""
        click.echo(f"{i:>3}. {mark}{entry.line()}")
    if len(entries) - done:
        click.echo(
            f"核对方法：推定正确，把 {REVIEW_FILE} 中该条的 ok 改为 true；不正确，改 tasks/编号.yaml（或 units.yaml、"
            "templates.yaml）后再改 ok。改完运行 duban catalog --check"
        )


# ---------------------------------------------------------------- roll
@command.command("roll")
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path), metavar="活动文件夹")
@click.option("--to-year", type=click.IntRange(2000, 2100), default=None, help="顺延到哪一年（如 2027）")
@click.option("--shift-days", type=int, default=None, help="所有日期前后移动的天数（如 7、-3）")
@click.option(
    "--into", type=click.Path(path_type=Path), default=None, help="写到新的活动文件夹（不写则原地修改该活动文件夹）"
)
@click.option("--use", is_flag=True, help="把 settings.yaml 的 campaign: 指向顺延后的活动")
@click.pass_context
def roll(
    ctx: click.Context, folder: Path, to_year: int | None, shift_days: int | None, into: Path | None, use: bool
) -> None:
    """把活动的所有日期顺延到新的一年（或移动 N 天）；截止日落在周末或节假日时提前到前一个工作日。"""
    from duban.tasks_catalog.campaigns import is_example, use_campaign
    from duban.tasks_catalog.roll import RollFailed
    from duban.tasks_catalog.roll import roll as roll_campaign

    if is_example(load_catalog_or_fail(str(folder))) and into is None:
        raise UserError("随程序安装的 2021 年示例不能原地修改：加 --into 新文件夹")
    try:
        result = roll_campaign(folder, to_year=to_year, shift_days=shift_days, into=into)
    except RollFailed as e:
        raise UserError(str(e)) from None
    cat = result.catalog
    moved = [c for c in result.changes if c.old != c.new]
    click.echo(f"已顺延 {len(moved)} 个日期，写入 {result.folder}（{cat.campaign.name}，{cat.campaign.year} 年）")
    click.echo(f"截止日期：{'、'.join(d.isoformat() for d in cat.round_dates())}")
    if result.adjusted:
        click.echo(f"其中 {len(result.adjusted)} 个截止日落在休息日，已调整：")
        for c in result.adjusted:
            click.echo(f"  {c.line()}")
    others = [c for c in moved if not c.why]
    if others:
        click.echo("其余日期按原样顺延：")
        for c in others:
            click.echo(f"  {c.line()}")
    for w in result.warnings:
        click.secho(f"注意：{w}", fg="red", bold=True, err=True)
    if (result.folder / "prefect.yaml").exists() or (into is None and (folder / "prefect.yaml").exists()):
        click.echo("计划已变：运行 duban schedule 重新生成 prefect.yaml；duban serve 重启后按新日期运行")
    if use:
        home = home_of(ctx)
        use_campaign(home, result.folder)
        click.echo(f"已在 {home.settings_file} 中设置 campaign: {result.folder}")


# ---------------------------------------------------------------- calendar
@command.command("calendar")
@click.argument("year", type=click.IntRange(2000, 2100), metavar="年份")
@campaign_option("写到哪个活动文件夹（默认：当前活动）")
@click.pass_context
def calendar(ctx: click.Context, year: int, folder: Path | None) -> None:
    """为 chinesecalendar 还不认识的年份写 calendar.yaml 模板（法定节日已按公历、农历推算，待按放假通知核对）。"""
    from duban.tasks_catalog.workcalendar import CALENDAR_FILE, package_knows, statutory_days, write_template

    if package_knows(year):
        click.echo(f"已安装的 chinesecalendar 已包含 {year} 年的节假日安排，以它为准，不需要 {CALENDAR_FILE}")
        return
    catalog = _active(ctx, folder, editable=True)
    path = catalog.root / CALENDAR_FILE
    if not write_template(path, year):
        raise UserError(f"{path} 中已有 {year} 年：直接编辑该文件（不会覆盖）")
    click.echo(f"已在 {path} 中写入 {year} 年的模板（confirmed: false）：")
    for name, first, last in statutory_days(year):
        span = first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"
        click.echo(f"  {name}：{span}（法定）")
    click.echo(
        "请按国务院办公厅的放假通知补全连休日期和调休上班的周末（workdays），核对无误后把 confirmed 改为 true；"
        "在此之前每次运行都会提醒。改完运行 duban catalog --check"
    )


# ---------------------------------------------------------------- add-unit
@command.command("add-unit")
@click.argument("names", nargs=-1, required=True, metavar="单位名称...")
@click.option(
    "--group", type=click.Choice(["departments", "streets"]), required=True, help="departments 区直部门；streets 街道"
)
@campaign_option("加到哪个活动的单位名录（默认：当前活动）")
@click.pass_context
def add_unit(ctx: click.Context, names: tuple[str, ...], group: str, folder: Path | None) -> None:
    """把单位加入活动的单位名录（units.yaml）；已有的名称（或简称）跳过。"""
    from duban.tasks_catalog import CatalogError
    from duban.tasks_catalog.directory import add_units

    catalog = _active(ctx, folder, editable=True)
    try:
        added = add_units(catalog, list(names), group)
    except CatalogError as e:
        raise UserError(str(e)) from None
    skipped = [n for n in names if n not in added]
    if added:
        click.echo(f"已加入 {catalog.root / 'units.yaml'}：{'、'.join(added)}。请补上全称（full_name）、简称和邮箱")
    if skipped:
        click.echo(f"已在名录中，跳过：{'、'.join(skipped)}")
