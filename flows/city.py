"""The ``city`` flow: every district's check, side by side, and the city report.

Deployed by ``duban city deploy`` (scheduled at 08:00 the morning after each round date all
districts share; Run in the UI at any time):

1. **check each district, at once** — one Prefect task per district asks the server for a
   run of that district's own ``recheck-<区>`` deployment (no reminders; judged as of the same
   instant for everyone) and waits for it. Each run executes on a worker of the district's
   pool / queue, with the district's campaign, share and data directory (its deployment's
   environment): the city flow never reads a share itself;
2. **collect** — the district's run stored its check in the store (``check_runs``, rows keyed
   by district and campaign): the city flow reads the newest full check of that district that
   was judged as of the city's instant — from the shared PostgreSQL store (``DUBAN_DATABASE_URL``),
   or the district's own SQLite when all districts live on one host. Flow results are not
   needed (they are not persisted);
3. **report** — ``duban.city.report``: districts ranked, each task's completion across districts,
   the worst units of each district, as Excel + HTML + JSON under ``<home>/city/``.

A district whose run fails, times out, holds back (its share is unreachable) or has no
deployment keeps its row, marked 失败 with the reason: the report is never missing.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from duban.city.report import CityPaths, CityReport, DistrictOutcome, build, write_city_report
from duban.flows.common import RunSummary, for_district, publish, scheduled_now
from duban.home import Home
from duban.timeutil import TZ, parse_as_of

DISTRICT_TIMEOUT = 3600  # seconds a district's check may take (queued behind a busy worker included)


def resolve_as_of(
    districts: list[dict[str, Any]], round_date: dt.date | None, as_of: dt.datetime | str | None, now: dt.datetime
) -> tuple[dt.date | None, dt.datetime]:
    """(round, as-of instant) of the city: ``as_of`` as given; ``round_date`` at its close
    (24:00); neither (the schedule, 08:00 the morning after): yesterday's round at its close
    when yesterday was one, else now."""
    if as_of is not None:
        return round_date, parse_as_of(as_of)
    day = round_date or (now.date() - dt.timedelta(days=1))
    if round_date is not None or _is_common_round(districts, day):
        return day, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=TZ)
    return None, now


def _is_common_round(districts: list[dict[str, Any]], day: dt.date) -> bool:
    from duban.tasks_catalog import load_catalog

    try:
        return bool(districts) and all(day in load_catalog(d.get("campaign")).round_dates() for d in districts)
    except Exception:  # a campaign that does not load: the district's own run will say why
        return False


def _catalog(d: dict[str, Any]):
    """The district's campaign as its own runs see it (named for the district)."""
    from duban.tasks_catalog import load_catalog

    return for_district(load_catalog(d.get("campaign")), district=d["name"])


def _latest_check(d: dict[str, Any], as_of: dt.datetime):
    """The district's newest full check judged as of ``as_of`` (from its store), or None."""
    import json

    import sqlalchemy as sa

    from duban.evidence.store import check_runs
    from duban.results import CheckResult
    from duban.store import Scope, Store

    scope = Scope(d["name"], d["campaign_key"])
    store = Store.open(Home.resolve(d["home"]), scope)
    t = check_runs
    q = (
        sa.select(t.c.id, t.c.as_of, t.c.result, t.c.files)
        .where(scope.where(t), t.c.units.is_(None), t.c.tasks.is_(None))
        .order_by(t.c.id.desc())
        .limit(20)
    )
    with store.read() as conn:
        rows = conn.execute(q).all()
    for row in rows:
        if parse_as_of(row.as_of) == as_of:
            result = CheckResult.from_json(json.loads(row.result))
            result.run_id = row.id
            result.stats = {"files": row.files}
            return result
    return None


@task(name="district", cache_policy=NO_CACHE, persist_result=False)
def district_task(d: dict[str, Any], as_of: dt.datetime, timeout: int) -> DistrictOutcome:
    """Run the district's recheck deployment as of the city's instant and read its check back."""
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    logger = get_run_logger()
    out = DistrictOutcome(d["label"], d["name"], d["campaign_key"])
    t0 = time.monotonic()
    try:
        run = cast(  # called from a sync task: the FlowRun itself
            FlowRun,
            run_deployment(
                d["deployment"],
                parameters={"as_of": as_of.isoformat(), "notify": False},
                timeout=timeout,
                poll_interval=2,
                as_subflow=True,
            ),
        )
    except ObjectNotFound:
        out.error = f"服务器上没有部署 {d['deployment']}（运行 duban city deploy）"
        return out
    out.seconds = round(time.monotonic() - t0, 1)
    out.run = run.name
    state = run.state
    if state is None or not state.is_final():
        out.error = f"{timeout} 秒内未完成（运行 {run.name} 仍在排队或执行）"
    elif not state.is_completed():
        out.error = f"运行 {run.name} {state.name}：{(state.message or '').strip()[:300]}"
    elif state.name == "Held":
        out.error = f"检查被搁置：{(state.message or '').strip()[:300]}"
    if out.error:
        logger.warning("%s：%s", d["label"], out.error)
        return out
    try:
        out.catalog = _catalog(d)
        out.result = _latest_check(d, as_of)
    except Exception as e:  # the store or the campaign could not be read from here
        out.error = f"无法读取检查结果：{e}"
        return out
    if out.result is None:
        out.error = f"运行 {run.name} 已完成，但库中没有它截至 {as_of:%Y-%m-%d %H:%M} 的检查记录"
    else:
        logger.info(
            "%s：%s 个文件，%s 项（%.1f 秒）",
            d["label"],
            out.result.stats.get("files"),
            len(out.result.obligations),
            out.seconds,
        )
    return out


@task(name="city-report", cache_policy=NO_CACHE, persist_result=False)
def city_report_task(city: str, outcomes: list[DistrictOutcome], home: str | None, as_of: dt.datetime, round_date):
    from duban.reports import load_settings

    home_ = Home.resolve(home)
    report = build(city, outcomes, load_settings(home_), as_of=as_of, round_date=round_date)
    return report, write_city_report(report, home_.root)


@flow(name="city", persist_result=False, log_prints=False)
def city_flow(
    districts: list[dict[str, Any]],
    city: str = "全市",
    home: str | None = None,
    round_date: dt.date | None = None,
    as_of: dt.datetime | None = None,
    timeout: int = DISTRICT_TIMEOUT,
) -> RunSummary:
    """Check every district through its own deployment, at once, and write the city report.

    Args:
        districts: 各区（duban city deploy 根据 city.yaml 生成：区名、部署、活动、数据目录）。
        city: 城市名称（报告标题）。
        home: 全市报告的数据目录（报告在其下 city/ 中）。不填：环境变量 DUBAN_HOME 或 ./var。
        round_date: 汇总哪一轮（截止日期，如 2021-06-20）：按该日 24 时检查各区。不填：定时运行时取前一天的共同截止日。
        as_of: 按哪个时间检查（北京时间）。不填：见 round_date；都不是截止日时为现在。
        timeout: 每个区的检查最多等待多少秒。
    """
    logger = get_run_logger()
    rnd, when = resolve_as_of(districts, round_date, as_of, scheduled_now())
    logger.info("全市汇总：%s 个区，截至 %s", len(districts), f"{when:%Y-%m-%d %H:%M}")
    futures = [district_task.submit(d, when, timeout) for d in districts]
    outcomes = [f.result() for f in futures]
    report, paths = cast(tuple[CityReport, CityPaths], city_report_task(city, outcomes, home, when, rnd))
    failed = [o for o in outcomes if not o.ok]
    title = f"{city}汇总"
    summary = RunSummary("city", "completed", "", day=when.date(), round_date=rnd, as_of=when)
    summary.report = {
        "folder": str(paths.folder),
        "xlsx": str(paths.xlsx),
        "html": str(paths.html),
        "json": str(paths.json),
    }
    total = report.total
    done = f"{len(outcomes) - len(failed)}/{len(outcomes)} 个区完成检查"
    rate = f"，全市完成率 {total.completion:.1%}" if total.completion is not None else ""
    summary.message = f"{title}：{done}{rate}" + (f"；失败：{'、'.join(o.label for o in failed)}" if failed else "")
    summary.warnings = [f"{o.label}：{o.error}" for o in failed]
    publish(summary, title, "city")
    return summary.state_object()
