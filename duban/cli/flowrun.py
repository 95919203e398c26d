"""What the flow commands share (run-round, recheck, sweep, demo, serve): Prefect set up
for embedded use before it is imported, the choice between a running server and this
process, and the printing of a flow run's summary.

A flow command runs its flow on a Prefect server when one is in use — ``PREFECT_API_URL``,
or the local server of a ``duban serve`` running for this data directory — by asking for a
run of the server's deployment (``round/round``, ``sweep/sweep``, ``recheck/recheck``): the
serving process picks it up within a second (``PREFECT_RUNNER_POLL_FREQUENCY``, see
``duban.prefect_env``), the run shows in the UI, and the command follows it to the end.
Otherwise (or with ``--local``) it runs the flow in this process, on a temporary Prefect
server that takes 10-20 s to start — and says so before it starts.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from duban.home import HOME_ENV, Home

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
    os.environ[HOME_ENV] = str(home.root)  # flow runs started from here resolve the same home
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


def use_server(local: bool = False) -> bool:
    """Run through a server's deployment: a server is in use and ``--local`` was not given
    (call after :func:`prepare`, which finds a running ``duban serve``)."""
    from duban import prefect_env

    return bool(prefect_env.api_url()) and not local


def server_params(ctx: click.Context, home: Home, evidence: Path | None, params: dict, as_of=None) -> dict:
    """Flow parameters for a run on the server (JSON: dates as ISO text); an explicit
    ``--as-of``, ``--evidence`` and ``--home`` / ``DUBAN_HOME`` travel with the run (the serving
    process may have been started with other ones)."""
    out = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in params.items()}
    if as_of is not None:
        out["as_of"] = as_of.isoformat()
    if evidence is not None:
        out["evidence_root"] = str(Path(evidence).expanduser().resolve())
    if (ctx.find_root().obj or {}).get("home"):
        out["home"] = str(home.root)
    return out


def run_flow(fn, **params):
    """Run a flow in this process; user mistakes become one-line errors."""
    from duban import prefect_env
    from duban.settings import SettingsError

    if not prefect_env.api_url():
        click.echo("正在启动内置 Prefect（约 10–20 秒；常驻运行 duban serve 可免去这段等待）……", err=True)
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


# ---------------------------------------------------------------- a run on the server
QUEUED_HINT_AFTER = 20  # seconds a run may wait for the serving process before we say so
POLL = 0.5
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def run_on_server(deployment: str, params: dict, timeout: int) -> None:
    """Ask the server for a run of ``deployment`` (as the UI's Run button does), follow it to
    the end, print its summary and state; exit codes as for a run in this process (3 held
    back, 4 mail failed). Plain REST calls (``prefect_env.api``): no Prefect import here."""
    from duban import prefect_env

    url = prefect_env.api_url() or ""
    ui = url.rstrip("/").removesuffix("/api")
    click.echo(f"在 Prefect 服务器 {url} 上运行部署 {deployment} ……", err=True)
    flow, name = deployment.split("/")
    try:
        dep = prefect_env.api(f"/deployments/name/{prefect_env.quote(flow)}/{prefect_env.quote(name)}")
        run = prefect_env.api(f"/deployments/{dep['id']}/create_flow_run", {"parameters": params})
        link = f"{ui}/runs/flow-run/{run['id']}"
        click.echo(f"已提交运行 {run['name']}（{link}），等待执行……", err=True)
        run = _follow(run["id"], timeout)
        summaries = _summaries(run["id"])
    except prefect_env.ApiError as e:
        if e.status == 404:
            raise UserError(
                f"服务器 {url} 上没有部署 {deployment}：先运行 duban serve（或 prefect deploy --all），"
                f"或加 --local 在本机运行"
            ) from None
        raise UserError(f"Prefect 服务器 {url} 出错（{e}）：检查服务器，或加 --local 在本机运行") from None
    for text in summaries:
        click.echo(text.strip())
    state = run.get("state") or {}
    click.echo(f"运行 {run['name']}：{state.get('name', '未知')}（{link}）")
    if state.get("type") not in FINAL:
        raise UserError(f"{timeout} 秒内未完成：运行仍在服务器上进行，可在界面中查看")
    if state["type"] != "COMPLETED":
        raise UserError(f"运行未成功：{state.get('message') or state.get('name')}")
    if state.get("name") == "Held":
        raise Held(state.get("message") or "")
    if state.get("name") == "MailFailed":
        raise MailFailed(state.get("message") or "")


def own_district(home, given: str | None = None) -> str | None:
    """The district this office names its deployments by: ``given`` (``--district``), else
    ``DUBAN_DISTRICT``, else settings.yaml ``district:``; None for a single office."""
    from duban.settings import SettingsError
    from duban.store import DISTRICT_ENV

    if given:
        return given.strip() or None
    try:
        value = os.environ.get(DISTRICT_ENV) or home.settings.value("district")
    except SettingsError as e:
        raise UserError(str(e)) from None
    return str(value).strip() if value else None


def own_deployment(flow: str, home, campaign: str) -> str:
    """This office's served deployment of ``flow``: ``round/round``, or the district's own
    (``round/round-历下区``) when the office names its deployments by its district."""
    district = own_district(home)
    return find_deployment(flow, district, campaign) if district else f"{flow}/{flow}"


def find_deployment(flow: str, district: str | None = None, campaign: str | None = None) -> str:
    """The server's deployment of ``flow`` for a district: ``recheck/recheck-历下区-<campaign>``
    (a district running several campaigns), else ``recheck/recheck-历下区``; ``recheck/recheck``
    without a district. Not there: one message listing the ``flow`` deployments the server has."""
    from duban import prefect_env
    from duban.flows.deployments import deployment_name

    names = [deployment_name(flow, district, campaign), deployment_name(flow, district)] if district else [flow]
    try:
        for name in dict.fromkeys(names):
            try:
                prefect_env.api(f"/deployments/name/{prefect_env.quote(flow)}/{prefect_env.quote(name)}")
                return f"{flow}/{name}"
            except prefect_env.ApiError as e:
                if e.status != 404:
                    raise
        found = prefect_env.api("/deployments/filter", {"flows": {"name": {"any_": [flow]}}, "limit": 200})
    except prefect_env.ApiError as e:
        raise UserError(
            f"Prefect 服务器 {prefect_env.api_url()} 出错（{e}）：检查服务器，或加 --local 在本机运行"
        ) from None
    have = "、".join(sorted(d["name"] for d in found)) or "没有"
    raise UserError(
        f"服务器 {prefect_env.api_url()} 上没有部署 {flow}/{names[0]}（现有的 {flow} 部署：{have}）："
        "检查区名，或先运行 duban city deploy / duban serve"
    )


def _follow(flow_run_id: str, timeout: float) -> dict:
    """The flow run, polled until it ends or ``timeout`` passes; says when it starts, and
    when it waits long for a process to pick it up."""
    from duban import prefect_env

    deadline = time.monotonic() + timeout
    hint_at = time.monotonic() + QUEUED_HINT_AFTER
    seen = None
    while True:
        run = prefect_env.api(f"/flow_runs/{flow_run_id}")
        kind = (run.get("state") or {}).get("type")
        if kind != seen and kind == "RUNNING":
            click.echo("正在执行……", err=True)
        seen = kind
        if kind in FINAL or time.monotonic() > deadline:
            return run
        if hint_at and time.monotonic() > hint_at and kind in ("SCHEDULED", "PENDING"):
            click.echo("运行仍在排队：请确认 duban serve（或 Prefect worker）正在运行", err=True)
            hint_at = 0
        time.sleep(POLL)


def _summaries(flow_run_id: str) -> list[str]:
    """The markdown artifacts the flow run created (its summary), oldest first."""
    from duban import prefect_env

    arts = prefect_env.api(
        "/artifacts/filter",
        {
            "artifacts": {"flow_run_id": {"any_": [flow_run_id]}, "type": {"any_": ["markdown"]}},
            "sort": "CREATED_DESC",
        },
    )
    return [a["data"] for a in reversed(arts) if isinstance(a.get("data"), str)]
