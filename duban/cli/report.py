"""``duban report``: list stored round reports, rebuild one from a stored check, rebuild the index."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import UserError, catalog_option, emit, home_of, load_catalog_or_fail, parse_round_date


def _parse_round(value: str | None, catalog):
    if value in (None, "", "adhoc"):
        return None
    return parse_round_date(value, catalog, "（不属于任何轮次的报告请省略 --round）")


def _load_check(path: Path):
    from duban.results import CheckResult

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data, CheckResult.from_json(data)
    except UnicodeDecodeError:
        raise UserError(f"{path} 不是 UTF-8 编码的 JSON 文件") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{path} 不是有效的 JSON（第 {e.lineno} 行）：请用 `duban check --json` 重新生成") from None
    except (KeyError, TypeError, ValueError) as e:
        raise UserError(f"{path} 不是 duban 检查结果（schema 1）：{e}。请用 `duban check --json FILE` 生成") from None


def _pct(x) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _list(home) -> None:
    from rich.cells import cell_len

    from duban.reports import list_reports
    from duban.reports.view import fmt_time

    reports = list_reports(home)
    if not reports:
        emit(f"还没有报告（{home.reports}）。报告在每轮检查后生成，或用 duban report --from-json 从检查结果生成。")
        return
    head = ("轮次", "生成时间", "截至", "完成/应报", "完成率", "文件夹", "说明")
    rows = [
        (
            r.round.isoformat() if r.round else "临时核查",
            fmt_time(r.run_time),
            fmt_time(r.as_of),
            f"{r.completed}/{r.owed}",
            _pct(r.completion),
            r.folder.relative_to(home.reports).as_posix(),
            r.label or "",
        )
        for r in reports
    ]
    widths = [max(cell_len(row[i]) for row in (head, *rows)) for i in range(len(head))]
    right = {3, 4}

    def line(row) -> str:
        cells = [
            (" " * (w - cell_len(c)) + c) if i in right else (c + " " * (w - cell_len(c)))
            for i, (c, w) in enumerate(zip(row, widths))
        ]
        return "  ".join(cells).rstrip()

    emit(f"已存档的报告（{len(reports)} 份），位于 {home.reports}：")
    emit("\n".join(line(r) for r in (head, *rows)))
    emit(f"索引：{home.reports / 'index.html'}")


@click.command("report")
@click.option("--list", "list_", is_flag=True, help="列出已存档的报告（不带其他选项时的默认动作）")
@click.option(
    "--from-json",
    "from_json",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="由检查结果 JSON（duban check --json 的输出或存档的 report.json）重新生成一份报告",
)
@click.option("--round", "round_", metavar="截止日期", help="报告所属轮次的截止日期，如 2021-06-20；省略则归为临时核查")
@click.option("--label", help="写在报告上的说明，如“区工信局补报后复查”")
@click.option("--rebuild-index", is_flag=True, help="重新生成报告索引 index.html")
@catalog_option
@click.pass_context
def command(
    ctx: click.Context,
    list_: bool,
    from_json: Path | None,
    round_: str | None,
    label: str | None,
    rebuild_index: bool,
    catalog_dir: str | None,
) -> None:
    """轮次报告：列出存档、由检查结果重建报告（Excel + 网页 + JSON）、重建索引。"""
    from duban.settings import SettingsError

    home = home_of(ctx, announce=bool(from_json or rebuild_index))
    if round_ and not from_json:
        raise UserError("--round 只能与 --from-json 一起使用")
    try:
        if from_json:
            from duban.reports import write_report

            catalog = load_catalog_or_fail(catalog_dir)
            data, result = _load_check(from_json)
            round_date = _parse_round(round_ if round_ is not None else data.get("round"), catalog)
            paths = write_report(
                catalog,
                result,
                home,
                round_date=round_date,
                reminders=data.get("reminders") or [],
                label=label or f"由 {from_json.name} 重建",
            )
            emit(
                f"已生成报告（{'轮次 ' + round_date.isoformat() if round_date else '临时核查'}）：\n"
                f"  Excel：{paths.xlsx}\n  网页：{paths.html}\n  JSON：{paths.json}\n"
                f"  索引：{home.reports / 'index.html'}"
            )
        if rebuild_index:
            from duban.reports import rebuild_index as _rebuild

            emit(f"已重建索引：{_rebuild(home)}")
        if list_ or not (from_json or rebuild_index):
            _list(home)
    except SettingsError as e:
        raise UserError(str(e)) from None
