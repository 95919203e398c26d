"""``duban remind [--evidence ROOT] --as-of T [--dry-run] [--force] [--unit U]``.

Runs the check (on ``--evidence``, else ``DUBAN_EVIDENCE``, else ``evidence_root`` in settings.yaml), then sends the day's reminders (one email per owing unit, the
coordinator's digest). ``--from-json CHECK.json`` reminds from a stored check result;
``--flush`` only retries messages queued by earlier runs.

Exit codes: 0 done · 2 a usage or data mistake · 3 held back by the guard (evidence root
missing, empty or shrunken: the coordinator was alerted) · 4 some reminders failed for good.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from .common import UserError, catalog_option, evidence_option, home_of, load_catalog_or_fail


class Held(click.ClickException):
    """The guard held the reminders back (or some failed): message shown, non-zero exit."""

    exit_code = 3

    def show(self, file=None) -> None:
        click.echo(f"注意：{self.message}", err=True)


class SomeFailed(Held):
    exit_code = 4


@click.command("remind")
@evidence_option("root")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    help="按哪个时间检查和提醒：2021-06-18（当天 24 时）或 2021-06-18T09:00；默认现在（--from-json 时默认取文件中的时间）",
)
@click.option(
    "--from-json",
    "from_json",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="不重新检查，按已保存的检查结果（duban check --json 的输出）提醒",
)
@click.option("--unit", "units", multiple=True, help="只提醒某些单位（可重复；此时不发督办日报）")
@click.option("--dry-run", is_flag=True, help="演练：列出将要发出的邮件（收件人、标题、开头几行），不发送、不记录")
@click.option(
    "--force",
    is_flag=True,
    help="证据目录看起来异常（为空、文件骤减），或数据库是新的而此前已发过提醒时，人工确认后仍然发送",
)
@click.option("--flush", is_flag=True, help="只重发之前排队未发出的邮件")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="把发送结果写成 JSON 文件；写 - 输出到屏幕",
)
@catalog_option
@click.pass_context
def command(
    ctx: click.Context,
    root: Path | None,
    as_of: str | None,
    from_json: Path | None,
    units,
    dry_run: bool,
    force: bool,
    flush: bool,
    json_path: Path | None,
    catalog_dir: str | None,
) -> None:
    """向尚未报齐材料的单位发送催报提醒（每个单位一封），并给协调单位发督办日报。"""
    from duban.settings import SettingsError
    from duban.store import StoreError

    try:
        _remind(ctx, root, as_of, from_json, units, dry_run, force, flush, json_path, catalog_dir)
    except (StoreError, SettingsError) as e:  # a damaged store, a misspelt setting: the message says the fix
        raise UserError(str(e)) from None


def _remind(ctx, root, as_of, from_json, units, dry_run, force, flush, json_path, catalog_dir) -> None:
    from duban.notifications import SettingsError, flush_queue, send_reminders
    from duban.timeutil import local, parse_as_of

    home = home_of(ctx, announce=True)
    catalog = load_catalog_or_fail(catalog_dir)
    if flush:
        try:
            outcome = flush_queue(catalog, home)
        except SettingsError as e:
            raise UserError(str(e)) from None
        _print(outcome)
        _finish(outcome, json_path)
        return
    if root is not None and from_json is not None:
        raise UserError("--evidence（先检查再提醒）与 --from-json（按已保存的检查结果提醒）只能选一个")
    if from_json is None:  # like every other command: --evidence, else DUBAN_EVIDENCE, else settings.yaml
        try:
            root = Path(home.evidence_root(root))
        except SettingsError as e:
            raise UserError(f"{e}（或用 --from-json 按已保存的检查结果提醒）") from None
    try:
        when = parse_as_of(as_of) if (as_of or root is not None) else None
    except ValueError as e:
        raise UserError(str(e)) from None
    unit_names = None
    if units:
        try:
            unit_names = [catalog.unit(u).name for u in units]
        except KeyError as e:
            raise UserError(str(e.args[0])) from None

    guard = None
    if from_json is not None:
        from duban.results import CheckResult

        try:
            result = CheckResult.load(from_json)
        except (ValueError, KeyError, json.JSONDecodeError) as e:
            raise UserError(f"{from_json} 不是有效的检查结果（duban check --json 的输出）：{e}") from None
    else:
        assert root is not None and when is not None  # the shared folder is resolved above
        result, guard = _check(catalog, root, when, home, unit_names)
    today = local(when).date() if when is not None else None
    try:
        outcome = send_reminders(
            catalog,
            result,
            home,
            today=today,
            dry_run=dry_run,
            force=force and guard is None,
            guard=guard,
            units=unit_names,
        )
    except SettingsError as e:
        raise UserError(str(e)) from None
    _print(outcome)
    _finish(outcome, json_path)


def _check(catalog, root: Path, when: dt.datetime, home, units):
    """Run the check; an unreadable root becomes a guard that holds every reminder."""
    from duban.notifications.guard import GuardResult, evaluate
    from duban.results import CheckResult

    try:
        from duban.check import EvidenceRootError, run_check
    except ImportError as e:  # pragma: no cover - the checker ships with duban
        raise UserError(f"检查模块不可用（{e}）：请用 --from-json 指定检查结果") from None
    try:
        return run_check(catalog, root, when, home, units=units), None
    except EvidenceRootError as e:
        guard = evaluate(root, None, None)
        if guard.ok:
            guard = GuardResult(False, f"{e}：今日不向各单位发送提醒。", "unreadable", root=str(root))
        empty = CheckResult(as_of=when, evidence_root=str(Path(root).resolve()), obligations=[])
        return empty, guard
    except KeyError as e:
        raise UserError(str(e.args[0])) from None


def _print(outcome) -> None:
    from duban.escape import visible
    from duban.notifications.outcome import split_reason
    from duban.notifications.workdays import cn_date
    from duban.statuses import KIND_LABELS, RECORD_STATUS_LABELS

    if outcome.day:
        click.echo(
            f"提醒日期：{outcome.day.isoformat()} {cn_date(outcome.day, weekday=True)}"
            + ("（演练，不发送）" if outcome.dry_run else "")
        )
    if outcome.guard is not None and not outcome.guard.ok:
        what = "发送保护" if outcome.guard.code == "new-store" else "证据目录保护"
        click.echo(f"{what}：{outcome.guard.reason}")
    skipped: dict[str, list[str]] = {}
    for m in outcome.messages:
        if m.status == "skipped":
            skipped.setdefault(m.error or "", []).append(m.unit)
            continue
        who = m.unit if m.kind not in ("digest", "alert") else f"协调单位 {m.unit}"
        click.echo(
            f"[{RECORD_STATUS_LABELS.get(m.status, m.status)}] {who} · {KIND_LABELS.get(m.kind, m.kind)}"
            + (f" · {m.items} 项" if m.items else "")
        )
        click.echo(f"    收件人：{'、'.join(m.to)}" + (f"    抄送：{'、'.join(m.cc)}" if m.cc else ""))
        click.echo(f"    标题：{visible(m.subject)}")
        if m.status == "dry-run" and m.preview:
            for line in m.preview.splitlines():
                if line.strip():
                    click.echo(f"    | {visible(line)}")
        if m.error:
            click.echo(f"    说明：{visible(m.error)}")
        if m.eml_path and m.status == "sent":
            click.echo(f"    邮件文件：{m.eml_path}")
    for reason, names in skipped.items():
        label, detail = split_reason(reason)
        click.echo(f"[{label}] {'、'.join(dict.fromkeys(names))}：{visible(detail)}")
    for w in outcome.warnings:
        click.echo(f"提示：{visible(w)}")
    if not outcome.messages:
        click.echo("今天没有需要发送的提醒。")
    click.echo(f"汇总：{outcome.summary()}")


def _finish(outcome, json_path: Path | None) -> None:
    if json_path is not None:
        text = json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2)
        if str(json_path) == "-":
            click.echo(text)
        else:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(text + "\n", encoding="utf-8")
            click.echo(f"发送结果已写入 {json_path}")
    if outcome.held and outcome.guard.code == "new-store":
        raise Held(f"没有向任何单位发送提醒：{outcome.guard.reason}")
    if outcome.held:
        raise Held("证据目录异常，没有向任何单位发送提醒，已告警协调单位。恢复目录后重新运行；确认无误可加 --force。")
    if outcome.failed:
        raise SomeFailed(f"{len(outcome.failed)} 封提醒发送失败（地址被拒收或邮件服务器登录失败），详见上面的说明。")
