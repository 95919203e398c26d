"""What the flow commands share (run-round, recheck, sweep, demo, serve): Prefect set up
for embedded use before it is imported, and the printing of a flow run's summary."""

from __future__ import annotations

import os
from pathlib import Path

import click

from duban.home import Home

from .common import UserError, home_of

HELD_EXIT = 3  # the guard held the reminders back: done, but someone should look


class Held(click.ClickException):
    """The run completed but held the reminders back (its message is already printed)."""

    exit_code = HELD_EXIT

    def show(self, file=None) -> None:
        pass


class MailFailed(Held):
    """Reminders were due but none could be delivered (the message says why)."""

    exit_code = 4


def finish(summary) -> None:
    """Exit code for a completed run that still needs a human: 3 held back, 4 mail failed."""
    if summary.held:
        raise Held(summary.message)
    if summary.state == "mail-failed":
        raise MailFailed(summary.message)


def prepare(
    ctx: click.Context,
    *,
    quiet: bool = True,
    catalog_dir: str | None = None,
    evidence: Path | None = None,
    use_local_server: bool = True,
) -> Home:
    """The data directory, with Prefect configured for it (call before importing flows)."""
    from duban import prefect_env

    home = home_of(ctx)
    os.environ["DUBAN_HOME"] = str(home.root)  # flow runs started from here resolve the same home
    if catalog_dir:
        os.environ["DUBAN_CATALOG"] = str(Path(catalog_dir).resolve())
    if evidence is not None:
        os.environ["DUBAN_EVIDENCE"] = str(Path(evidence).expanduser().resolve())
    prefect_env.configure(home, quiet=quiet, use_local_server=use_local_server)
    return home


def where_prefect() -> str:
    from duban import prefect_env

    url = prefect_env.api_url()
    return f"Prefect 服务器 {url}" if url else "内置 Prefect（临时服务，无需安装服务器）"


def evidence_root(home: Home) -> str:
    """The evidence root the flow will use (checked here, so a missing setting is one line,
    not a failed flow run with a traceback)."""
    from duban.flows.common import resolve_evidence
    from duban.settings import SettingsError

    try:
        return resolve_evidence(None, home)
    except SettingsError as e:
        raise UserError(str(e)) from None


def run_flow(fn, **params):
    """Run a flow in this process; user mistakes become one-line errors."""
    from duban.settings import SettingsError

    try:
        return fn(**params)
    except SettingsError as e:
        raise UserError(str(e)) from None
    except ValueError as e:  # an unknown unit / task name, a bad date
        raise UserError(str(e)) from None


def echo_summary(summary, catalog=None, *, table: bool = True, details: bool = False) -> None:
    """The terminal view of a RunSummary: the per-unit table, reminders, report and outbox."""
    from duban.statuses import STATUS_LABELS

    if table and summary.result is not None and catalog is not None:
        from .summary import print_summary

        print_summary(catalog, summary.result, details=details)
    elif summary.counts:
        click.echo("状态：" + "，".join(f"{STATUS_LABELS[s]} {n}" for s, n in summary.counts.items()))
    echo_reminders(summary)
    if summary.report:
        click.echo(f"报告：{summary.report['html']}")
        click.echo(f"      {summary.report['xlsx']}")
    for w in summary.warnings:
        click.echo(f"注意：{w}")
    colour = {"held": "red", "skipped": "yellow", "mail-failed": "red"}.get(summary.state, "green")
    click.secho(summary.message, fg=colour, bold=summary.state in ("held", "mail-failed"))


def echo_reminders(summary) -> None:
    if not summary.reminder_line and not summary.reminders:
        return
    click.echo(f"提醒：{summary.reminder_line}")
    shown = [m for m in summary.reminders if m["status"] in ("sent", "queued", "failed", "dry-run")]
    for m in shown[:40]:
        to = ", ".join(m["to"] + m["cc"])
        click.echo(f"  {m['status']:8} {m['kind']:10} {m['unit']} → {to}")
    if len(shown) > 40:
        click.echo(f"  …… 另有 {len(shown) - 40} 封")
    paths = {Path(m["eml_path"]).parent for m in shown if m.get("eml_path")}
    if paths:
        click.echo("邮件（.eml）：" + "；".join(str(p) for p in sorted(paths)))
