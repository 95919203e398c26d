"""The ``recheck`` flow: the coordinator asks "check again now".

A unit emails "we uploaded the ledger". The coordinator presses Run on the ``recheck``
deployment in the Prefect UI (or types ``duban recheck --unit 区工信局``) and a minute later
sees the new status:

1. **gather** — scan the shared folder; only the new or changed files are read;
2. **check** — judge now (or at ``as_of``), for every unit or only the named units / tasks;
3. **remind** — off by default: a re-check answers the coordinator, it does not email units
   unless ``notify`` is on (then with the same guard and never-twice rule as the round);
4. **report** — an ad-hoc report under ``<home>/reports/adhoc/``, listed in the report
   index beside the round reports.

After an upload (``receipt=True``): the trigger on ``duban.evidence.changed`` (``duban watch``
saw a unit's folder settle) runs this flow for that unit; it re-checks the unit and sends it
one receipt — what arrived, what each file counted for or why not, what is still open — and
stores no report (the receipt is the answer; the desk shows the state). The same set of files
never gets two receipts, however often the trigger fires.

The markdown artifact of the run shows the counts and where the report is, so the answer
is in the UI without opening a file.
"""

from __future__ import annotations

import datetime as dt

from prefect import flow

from duban.flows.common import (
    RunSummary,
    resolve_catalog,
    resolve_evidence,
    resolve_home,
    run_phases,
    scheduled_now,
)
from duban.timeutil import parse_as_of


@flow(name="recheck", persist_result=False, log_prints=False)
def recheck_flow(
    units: list[str] | None = None,
    tasks: list[str] | None = None,
    notify: bool = False,
    as_of: dt.datetime | None = None,
    evidence_root: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    home: str | None = None,
    receipt: bool = False,
) -> RunSummary:
    """Re-check the evidence now, for all units or some units / tasks; store an ad-hoc report.

    Args:
        units: 只检查这些单位（单位名称或简称，如 区工信局、工信局）。不填：全部单位。
        tasks: 只检查这些任务（任务编号，如 D20、S02）。不填：全部任务。
        notify: 是否同时发送提醒邮件（默认不发，只出报告）。
        as_of: 按哪个时间检查（北京时间）。不填：现在。
        evidence_root: 共享文件夹（佐证材料根目录）。不填：环境变量 DUBAN_EVIDENCE 或 settings.yaml 的 evidence_root。
        dry_run: 演练：生成提醒但不发送（仅在发送提醒时有意义）。
        force: 证据目录文件数骤减时仍然发送提醒（人工核实后使用）。
        home: 数据目录（库、发件箱、报告）。不填：环境变量 DUBAN_HOME 或 ./var。
        receipt: 给所查单位发送收件回执（单位上传材料后由 duban watch 触发；同一组文件只发一次），不生成报告。
    """
    home_ = resolve_home(home)
    catalog = resolve_catalog(home_)
    # names as the catalog writes them; an unknown name fails the run with the list's own message
    try:
        unit_names = sorted({catalog.unit(u).name for u in units}) if units else None
        task_ids = sorted({catalog.task(t).id for t in tasks}) if tasks else None
    except KeyError as e:
        raise ValueError(str(e.args[0])) from None
    when = parse_as_of(as_of) if as_of is not None else scheduled_now()
    day = when.date()
    root = resolve_evidence(evidence_root, home_)
    if receipt and not unit_names:
        raise ValueError("发送收件回执需要指定单位（units）")
    scope = "、".join((unit_names or []) + (task_ids or [])) or "全部单位"
    title = f"{'收件回执' if receipt else '临时核查'}（{scope}）"
    summary = RunSummary("recheck", "completed", "", day=day, as_of=when, evidence_root=root, outbox=str(home_.outbox))

    return run_phases(
        summary,
        catalog,
        home_,
        title=title,
        key="recheck",
        notify=notify,
        report=not receipt,
        dry_run=dry_run,
        force=force,
        units=unit_names,
        tasks=task_ids,
        receipts=receipt,
    )
