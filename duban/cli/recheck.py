"""``duban recheck [--unit U] [--task T] [--notify] [--evidence ROOT]``: check again now.

Through the server's ``recheck`` deployment when a Prefect server is in use
(``PREFECT_API_URL``, or the local server of a running ``duban serve``), so the run shows
in the UI; in this process otherwise.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import UserError, catalog_option, load_catalog_or_fail
from .flowrun import Held, MailFailed, echo_summary, evidence_root, finish, prepare, run_flow, where_prefect

DEPLOYMENT = "recheck/recheck"


@click.command("recheck")
@click.option("--unit", "units", multiple=True, help="只检查某些单位（可重复）")
@click.option("--task", "tasks", multiple=True, help="只检查某些任务（可重复）")
@click.option("--notify", is_flag=True, help="同时发送提醒（默认只检查、出报告）")
@click.option(
    "--evidence",
    "evidence",
    type=click.Path(path_type=Path),
    default=None,
    help="共享文件夹；默认取环境变量 DUBAN_EVIDENCE 或数据目录 settings.yaml 的 evidence_root",
)
@click.option("--as-of", "as_of", default=None, help="按哪个时间检查（默认：现在）")
@click.option("--dry-run", is_flag=True, help="演练：列出将发送的提醒，不发送")
@click.option("--force", is_flag=True, help="证据目录文件数骤减时仍然发送提醒（人工核实后使用）")
@click.option("--local", is_flag=True, help="即使配置了 Prefect 服务器，也在本进程内运行")
@click.option("--timeout", default=600, show_default=True, help="等待服务器上的运行完成的秒数")
@click.option("--details/--no-details", default=True, help="列出每个单位未完成的事项")
@catalog_option
@click.pass_context
def command(
    ctx: click.Context,
    units,
    tasks,
    notify: bool,
    evidence: Path | None,
    as_of: str | None,
    dry_run: bool,
    force: bool,
    local: bool,
    timeout: int,
    details: bool,
    catalog_dir: str | None,
) -> None:
    """临时核查：立即重新检查全部或部分单位、任务，生成报告（默认不发提醒）。"""
    from duban.timeutil import parse_as_of

    catalog = load_catalog_or_fail(catalog_dir)
    try:
        unit_names = sorted({catalog.unit(u).name for u in units}) or None
        task_ids = sorted({catalog.task(t).id for t in tasks}) or None
        when = parse_as_of(as_of) if as_of else None
    except KeyError as e:
        raise UserError(str(e.args[0])) from None
    except ValueError as e:
        raise UserError(str(e)) from None
    home = prepare(ctx, catalog_dir=catalog_dir, evidence=evidence)
    from duban import prefect_env

    params = {"units": unit_names, "tasks": task_ids, "notify": notify, "dry_run": dry_run, "force": force}
    if when is not None:
        params["as_of"] = when.isoformat()
    if prefect_env.api_url() and not local:
        if evidence is not None:
            params["evidence_root"] = str(Path(evidence).expanduser().resolve())
        if (ctx.find_root().obj or {}).get("home"):  # an explicit --home / DUBAN_HOME travels with the run
            params["home"] = str(home.root)
        _remote(params, timeout)
        return
    evidence_root(home)
    click.echo(f"临时核查（{where_prefect()}，数据目录 {home.root}）……", err=True)
    from duban.flows.recheck import recheck_flow

    params["as_of"] = when
    summary = run_flow(recheck_flow, home=str(home.root), **params)
    echo_summary(summary, catalog, details=details)
    finish(summary)


def _remote(params: dict, timeout: int) -> None:
    """Run the server's recheck deployment, wait, print its state and summary artifact."""
    from duban import prefect_env

    url = prefect_env.api_url()
    click.echo(f"在 Prefect 服务器 {url} 上运行部署 {DEPLOYMENT} ……", err=True)
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    try:
        run = run_deployment(DEPLOYMENT, parameters=params, timeout=timeout)
    except ObjectNotFound:
        raise UserError(
            f"服务器 {url} 上没有部署 {DEPLOYMENT}：先运行 duban serve（或 prefect deploy --all），"
            f"或加 --local 在本机运行"
        ) from None
    state = run.state
    for text in run_artifacts(run.id):
        click.echo(text.strip())
    ui = url.rstrip("/").removesuffix("/api")
    click.echo(f"运行 {run.name}：{state.name if state else '未知'}（{ui}/runs/flow-run/{run.id}）")
    if state is None or not state.is_final():
        raise UserError(f"{timeout} 秒内未完成：运行仍在服务器上进行，可在界面中查看")
    if not state.is_completed():
        raise UserError(f"运行未成功：{state.message or state.name}")
    if state.name == "Held":
        raise Held(state.message or "")
    if state.name == "MailFailed":
        raise MailFailed(state.message or "")


def run_artifacts(flow_run_id) -> list[str]:
    """The markdown artifacts a flow run created (its summary)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterType

    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]), type=ArtifactFilterType(any_=["markdown"])
            )
        )
    return [a.data for a in arts if isinstance(a.data, str)]
