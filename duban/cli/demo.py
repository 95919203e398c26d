"""``duban demo [--home DIR] [--rounds N|all] [--quick]``: the whole campaign on generated evidence.

No setup: embedded Prefect (one ephemeral server for the whole demo), SQLite, file outbox.
Everything goes under ``<home>/demo/`` (its own data directory, so a demo never mixes with
an office's real sent-log and reports); a new demo replaces the previous one.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import click

from .common import UserError, home_of, load_catalog_or_fail

MARKER = ".duban-demo"
KEEP = {"prefect"}  # the demo's Prefect database survives a new demo (no migrations again)
QUICK_ROUNDS = 2


def _show(p: Path | str) -> str:
    p = Path(p)
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def _reset(demo_dir: Path) -> None:
    if demo_dir.exists() and any(demo_dir.iterdir()):
        if not (demo_dir / MARKER).exists():
            raise UserError(f"{demo_dir} 已存在且不是演示目录（缺少 {MARKER}）：请换一个 --home，或移走该文件夹")
        for child in demo_dir.iterdir():
            if child.name in KEEP:
                continue
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    demo_dir.mkdir(parents=True, exist_ok=True)
    (demo_dir / MARKER).write_text("duban demo: this folder is replaced by the next `duban demo`\n", encoding="utf-8")


@click.command("demo")
@click.option(
    "--home",
    "home_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="数据目录（默认：duban --home、DUBAN_HOME 或 ./var）；演示的一切都放在其中的 demo/ 下",
)
@click.option("--rounds", "rounds", default="all", show_default=True, help="运行前几轮：数字或 all")
@click.option("--quick", is_flag=True, help=f"快速冒烟测试：只运行前 {QUICK_ROUNDS} 轮")
@click.pass_context
def command(ctx: click.Context, home_dir: Path | None, rounds: str, quick: bool) -> None:
    """演示：生成一个逼真的共享文件夹，按模拟日期逐轮运行整个督办期（检查、提醒、报告）。"""
    from duban.home import Home

    t_start = time.perf_counter()
    catalog = load_catalog_or_fail()
    all_rounds = catalog.round_dates()
    if quick:
        selected = all_rounds[:QUICK_ROUNDS]
    elif rounds.strip().lower() == "all":
        selected = all_rounds
    else:
        try:
            n = int(rounds)
        except ValueError:
            raise UserError(f"--rounds 应为数字或 all，而不是 '{rounds}'") from None
        if not 1 <= n <= len(all_rounds):
            raise UserError(f"--rounds 应在 1 到 {len(all_rounds)} 之间")
        selected = all_rounds[:n]

    base = Home.resolve(home_dir) if home_dir else home_of(ctx, warn_new=False)
    demo_dir = base.root / "demo"
    _reset(demo_dir)
    home = Home.resolve(demo_dir)
    root = demo_dir / "共享文件夹"

    # embedded defaults, whatever this shell has configured: the demo's own ephemeral Prefect
    from duban import prefect_env
    from duban.home import HOME_ENV

    os.environ.pop("PREFECT_API_URL", None)
    os.environ["PREFECT_HOME"] = str(home.prefect)
    os.environ[HOME_ENV] = str(home.root)
    os.environ.pop("DUBAN_CATALOG", None)
    prefect_env.configure(home, quiet=True, use_local_server=False)

    from duban.testing.demo_tree import build_tree

    click.secho(f"duban 演示：{catalog.campaign.district}{catalog.campaign.name}", bold=True)
    click.echo(f"数据目录：{_show(home.root)}（内置 Prefect、SQLite、发件箱 .eml，无需任何配置）")
    t0 = time.perf_counter()
    tree = build_tree(catalog, root)
    click.echo(
        f"生成共享文件夹 {_show(root)}：{len(catalog.units)} 个单位，{len(tree.files)} 个佐证文件"
        f"（提交时间模拟为 2021 年 6 月），用时 {time.perf_counter() - t0:.1f} 秒。其中："
    )
    for case in tree.cases:
        click.echo(f"  · {case}")
    click.echo(
        f"\n逐轮运行 round 流程（{len(selected)}/{len(all_rounds)} 个截止日，每轮在截止日当晚按截止时刻检查）"
        + ("" if quick else "，两轮之间的工作日早上运行 sweep 流程（截止前提醒、逾期提醒、督办日报）")
        + "："
    )

    from duban.flows.round import round_flow
    from duban.flows.sweep import sweep_flow

    click.echo("正在启动内置 Prefect（约 10–20 秒，首轮会稍慢）……")
    summaries = []
    previous = None
    for i, day in enumerate(selected):
        if not quick:
            for morning in _sweep_days(previous, day, all_rounds):
                _print_sweep(morning, sweep_flow(day=morning, evidence_root=str(root), home=str(home.root)))
        t0 = time.perf_counter()
        summary = round_flow(round_date=day, evidence_root=str(root), home=str(home.root))
        summaries.append(summary)
        _print_round(i, day, summary, time.perf_counter() - t0)
        previous = day

    _print_files(home, root, tree, summaries)
    click.echo(
        f"\n演示完成，共用时 {time.perf_counter() - t_start:.0f} 秒。"
        f"打开 {_show(home.reports / 'index.html')} 查看各轮报告和完成率走势。"
    )


WEEK = "一二三四五六日"
SWEEP_LEAD_DAYS = 5  # the first sweeps: this many calendar days before the first round


def _sweep_days(previous, day, rounds):
    """Working days after ``previous`` (or a few days before the first round) and before
    ``day`` that are not themselves due dates (the round flow mails on those)."""
    from duban.notifications.workdays import is_workday

    start = previous + dt.timedelta(days=1) if previous else day - dt.timedelta(days=SWEEP_LEAD_DAYS)
    out = []
    d = start
    while d < day:
        if d not in rounds and is_workday(d):
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def _print_sweep(day, summary) -> None:
    from duban.statuses import KIND_LABELS

    sent = [m for m in summary.reminders if m["status"] == "sent"]
    head = f"  {day.month}月{day.day}日（周{WEEK[day.weekday()]}）早上 sweep："
    if not sent:
        click.echo(head + "今天没有要发的提醒")
        return
    by_kind: dict[str, list[str]] = {}
    for m in sent:
        by_kind.setdefault(m["kind"], []).append(m["unit"])
    click.echo(
        head
        + "；".join(
            f"{KIND_LABELS.get(k, k)} {len(v)} 封"
            + (f"（{'、'.join(v[:3])}{' 等' if len(v) > 3 else ''}）" if k != "digest" else "")
            for k, v in by_kind.items()
        )
    )


def _print_round(i: int, day, summary, seconds: float) -> None:
    from duban.statuses import KIND_LABELS, STATUS_LABELS

    click.echo("")
    click.secho(f"第 {i + 1} 轮 · {day.isoformat()}（周{WEEK[day.weekday()]}）截止", bold=True, nl=False)
    click.echo(f"  [{seconds:.1f} 秒]")
    result = summary.result
    if result is None:
        click.secho(f"  {summary.message}", fg="red")
        return
    due_now = [o for o in result.obligations if o.round == day and o.unit]
    counts: dict[str, int] = {}
    for o in due_now:
        counts[o.status] = counts.get(o.status, 0) + 1
    order = ("ok", "late", "partial", "missing", "confirm")
    click.echo(
        f"  本轮到期 {len(due_now)} 项：" + "，".join(f"{STATUS_LABELS[s]} {counts[s]}" for s in order if counts.get(s))
    )
    click.echo("  全部事项：" + " · ".join(f"{STATUS_LABELS[s]} {n}" for s, n in summary.counts.items()))
    if result.rejected or result.unrecognized:
        click.echo(f"  被拒绝的文件 {len(result.rejected)} 个，未识别 {len(result.unrecognized)} 个（详见报告）")
    sent = [m for m in summary.reminders if m["status"] == "sent"]
    if summary.held:
        click.secho(f"  {summary.message}", fg="red")
    if not sent:
        click.echo(f"  提醒：今天没有要发的提醒（{summary.reminder_line or '未发送'}）")
    else:
        click.echo(f"  提醒：已发送 {len(sent)} 封")
        by_kind: dict[str, list[dict]] = {}
        for m in sent:
            by_kind.setdefault(m["kind"], []).append(m)
        for kind, msgs in by_kind.items():
            names = [f"{m['unit']}（{m['items']} 项）" if m.get("items") else m["unit"] for m in msgs]
            shown = "、".join(names[:8]) + (f" 等 {len(names)} 个单位" if len(names) > 8 else "")
            click.echo(f"    {KIND_LABELS.get(kind, kind)} → {shown}")
        folders = sorted({str(Path(m["eml_path"]).parent) for m in sent if m.get("eml_path")})
        click.echo("  邮件：" + "；".join(_show(f) for f in folders))
    if summary.report:
        click.echo(f"  报告：{_show(summary.report['html'])}")


def _print_files(home, root: Path, tree, summaries) -> None:
    click.echo("")
    click.secho("演示写入的文件：", bold=True)
    click.echo(f"  共享文件夹 {_show(root)}/：{len(tree.files)} 个佐证文件，另有各单位的说明.txt 和空白模板")
    click.echo(f"  报告索引   {_show(home.reports / 'index.html')}")
    for s in summaries:
        if s.report:
            click.echo(f"  报告       {_show(s.report['xlsx'])}")
            click.echo(f"             {_show(s.report['html'])}")
            click.echo(f"             {_show(s.report['json'])}")
    emls = sorted(home.outbox.rglob("*.eml"))
    by_day: dict[str, list[Path]] = {}
    for p in emls:
        by_day.setdefault(p.parent.name, []).append(p)
    click.echo(f"  发件箱     {_show(home.outbox)}/：{len(emls)} 封 .eml（可用邮件程序打开）")
    for day, files in by_day.items():
        click.echo(f"    {day}/：{len(files)} 封，如 {files[0].name}")
    click.echo(f"  数据库     {_show(home.db)}（检查记录、文件读取缓存、发送记录）")
