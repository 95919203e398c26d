"""The deployments and their schedules, derived from the catalog — never written by hand.

- ``round``: an RRULE with ``DTSTART`` and one ``RDATE`` per catalog due date, at 23:58
  Asia/Shanghai — the evening of each due date, nothing else;
- ``sweep``: every day of the campaign at 09:00 Asia/Shanghai (RRULE until campaign end); the flow itself skips rest days
  and days outside the campaign, so the schedule needs no holiday list;
- ``recheck``: no schedule; run on demand (Run in the UI, ``duban recheck``), its
  parameters shown with their descriptions in the UI's form.

``duban schedule`` writes these into ``prefect.yaml`` next to the campaign (the campaign
folder; the current folder for the shipped example; never inside the installed package —
:func:`default_path`, :func:`refuse_inside_package`) for the scale-out path
(``prefect deploy --all`` + ``prefect worker start --pool duban``), and
``duban schedule --check`` fails when that file and the catalog disagree. ``duban serve``
builds the same deployments in process (:func:`runner_deployments`); ``duban city deploy``
builds one set per district from the same pieces (:func:`deployment_entries`).

What a worker needs is the installed package, nothing at a path of the deploying machine:
entrypoints are module paths, and the one pull step (:func:`enter_home`) only enters the
run's data directory (``DUBAN_HOME`` on the worker, read at run time; created when missing). Without a ``pull:``
section Prefect would write the deploying checkout's absolute path into every deployment.

``recheck`` carries an event trigger: ``duban watch`` emits ``duban.evidence.changed`` when a
unit's folder has settled after an upload, and the trigger re-checks that unit and sends it
its receipt (``receipt: true``). With a district (a city, ``district:`` in settings.yaml) the
names and the trigger are the district's own — ``recheck-历下区`` answers only 历下区's uploads.

This module imports Prefect only in :func:`runner_deployments`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import yaml

from duban.tasks_catalog import CATALOG_DIR, Catalog
from duban.tasks_catalog.campaigns import is_example
from duban.tasks_catalog.health import schedule_warnings
from duban.tasks_catalog.yamlio import dump

__all__ = [
    "default_path",
    "refuse_inside_package",
    "schedule_warnings",
    "write",
    "differences",
    "runner_deployments",
    "deployment_name",
    "deployment_entries",
    "recheck_trigger",
    "enter_home",
    "PULL_STEPS",
]

TIMEZONE = "Asia/Shanghai"
ROUND_TIME = dt.time(23, 58)  # the flow waits for the close (24:00) and judges then
SWEEP_TIME = dt.time(9, 0)
WORK_POOL = "duban"
EVENT = "duban.evidence.changed"  # what `duban watch` emits (duban.watch.EVENT)
# the deployments that must never run twice at once for one district (a second round or sweep
# waits in the queue until the first has finished: concurrency_limit 1, collision ENQUEUE)
SERIAL = ("round", "sweep")
PREFECT_YAML = Path("prefect.yaml")  # the shipped example's: in the current folder unless told

# name -> (module, flow function). Entrypoints are module paths (duban.flows.round.round_flow):
# a worker with duban installed runs them from any folder, no checkout at a fixed path needed.
FLOWS = {
    "round": ("duban.flows.round", "round_flow"),
    "sweep": ("duban.flows.sweep", "sweep_flow"),
    "recheck": ("duban.flows.recheck", "recheck_flow"),
}

DESCRIPTIONS = {
    "round": "每个截止日 23:58（北京时间）启动，到 24 时截止时刻检查全部佐证材料，发送提醒，保存轮次报告。日期取自任务清单的各轮截止日期。",
    "sweep": "督办期内每天 09:00（北京时间）：工作日时，发送截止前提醒和逾期提醒，并给协调单位发督办日报；休息日自动跳过。",
    "recheck": "临时核查（协调人按需运行）：可只查部分单位或任务；默认不发提醒，总是生成报告。"
    "单位上传材料、文件夹静止后（duban watch），自动为该单位核查并发送收件回执。",
}

HEADER = """\
# prefect.yaml — duban's deployments. GENERATED from the catalog by `duban schedule`; do not edit by hand:
# change tasks_catalog/ and run `duban schedule` (CI runs `duban schedule --check`).
#
#   round    the evening of every due date in the catalog (RRULE DTSTART + RDATE, Asia/Shanghai)
#   sweep    every day 09:00 Asia/Shanghai; the flow skips rest days and days outside the campaign
#   recheck  no schedule: press Run in the UI, or `duban recheck`
#
#   recheck  also on `duban.evidence.changed` (duban watch): re-checks the unit that uploaded, sends its receipt
#
# One office: `duban serve` serves these deployments itself (no work pool needed).
# Workers: `prefect work-pool create duban --type process`, `prefect deploy --all` from this
# folder, then `prefect worker start --pool duban` wherever duban is installed (the pull step
# only enters DUBAN_HOME; no checkout path). Many districts: `duban city deploy city.yaml`.
# Removing a schedule here does not delete it on the server: `prefect deployment schedule clear`.
"""


def _stamp(day: dt.date, at: dt.time) -> str:
    return f"{day:%Y%m%d}T{at:%H%M%S}"


def round_rrule(catalog: Catalog, at: dt.time = ROUND_TIME) -> str:
    """``DTSTART:<first>`` + ``RDATE:<every round date>`` at ``at`` (local time of TIMEZONE)."""
    dates = catalog.round_dates()
    if not dates:
        raise ValueError("任务清单中没有任何截止日期，无法生成 round 的计划")
    return f"DTSTART:{_stamp(dates[0], at)}\nRDATE:" + ",".join(_stamp(d, at) for d in dates)


def sweep_rrule(catalog: Catalog, at: dt.time = SWEEP_TIME) -> str:
    """Every day of the campaign (campaign.yaml start..end) at ``at``; nothing after it."""
    c = catalog.campaign
    return f"DTSTART:{_stamp(c.start, at)}\nRRULE:FREQ=DAILY;UNTIL={_stamp(c.end, at)}"


def schedules(catalog: Catalog) -> dict[str, list[dict[str, Any]]]:
    return {
        "round": [{"rrule": round_rrule(catalog), "timezone": TIMEZONE, "active": True}],
        "sweep": [{"rrule": sweep_rrule(catalog), "timezone": TIMEZONE, "active": True}],
        "recheck": [],
    }


# ---------------------------------------------------------------- names, trigger, pull step
def deployment_name(flow: str, district: str | None = None, campaign: str | None = None) -> str:
    """``round`` for one office; ``round-历下区`` for a district of a city; ``round-历下区-<campaign>``
    when a district runs several campaigns. Names are global on a Prefect server: the district
    (and campaign) in the name keeps one district's deployments from overwriting another's."""
    parts = [flow, *(p for p in (district, campaign) if p)]
    return "-".join(p.replace("/", "-").strip() for p in parts)


def recheck_trigger(district: str | None = None, campaign: str | None = None) -> dict[str, Any]:
    """The event trigger of ``recheck`` (prefect.yaml form): a settled upload of one unit re-checks
    that unit and sends it one receipt. With a district (and campaign) only that district's
    events match — an upload in 历下区 never starts 历城区's recheck."""
    match: dict[str, str] = {"prefect.resource.id": "duban.unit.*"}
    if district:
        match["duban.district"] = district
    if campaign:
        match["duban.campaign"] = campaign
    return {
        "type": "event",
        "enabled": True,
        "match": match,
        "expect": [EVENT],
        "for_each": ["prefect.resource.id"],
        "posture": "Reactive",
        "threshold": 1,
        "within": 0,
        "parameters": {
            "units": ["{{ event.payload.unit }}"],
            "receipt": True,
            "evidence_root": "{{ event.payload.evidence_root }}",
        },
    }


# No ``{{ $DUBAN_HOME }}`` here: ``prefect deploy`` would fill it in from the deploying
# machine's environment (measured with 3.9.1). The step reads it on the worker, at run time.
PULL_STEPS: list[dict[str, Any]] = [{"duban.flows.deployments.enter_home": {}}]


def enter_home(home: str | None = None) -> dict[str, str]:
    """Prefect pull step, run by a worker before each flow run: enter the run's data directory
    (``DUBAN_HOME`` of the deployment's environment or the worker's, read when the run starts;
    created when missing). That it imports at all proves duban is installed on the worker — a
    checkout installed with ``pip install -e`` or a wheel, at any path."""
    from duban.home import Home

    root = Home.resolve(home or None).root
    os.chdir(root)
    return {"directory": str(root)}


def deployment_entries(
    catalog: Catalog,
    *,
    district: str | None = None,
    campaign: str | None = None,
    pool: str = WORK_POOL,
    queue: str | None = None,
    env: dict[str, str] | None = None,
    tags: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The ``round``, ``sweep`` and ``recheck`` deployments of one campaign, prefect.yaml form:
    schedules from the catalog's own rounds, the district's names and trigger, its work queue
    and environment (``job_variables.env``: DUBAN_HOME, DUBAN_CATALOG, DUBAN_EVIDENCE ...),
    round and sweep one at a time."""
    plan = schedules(catalog)
    out = []
    for name, (module, func) in FLOWS.items():
        entry: dict[str, Any] = {
            "name": deployment_name(name, district, campaign),
            "description": DESCRIPTIONS[name],
            "entrypoint": f"{module}.{func}",
            "tags": list(tags or ["duban", catalog.campaign.district]),
            "parameters": {},
            "schedules": plan[name],
            "work_pool": {
                "name": pool,
                "work_queue_name": queue,
                "job_variables": {"env": dict(env)} if env else {},
            },
        }
        if name in SERIAL:
            entry["concurrency_limit"] = {"limit": 1, "collision_strategy": "ENQUEUE"}
        if name == "recheck":
            entry["triggers"] = [recheck_trigger(district, campaign)]
        out.append(entry)
    return out


def project(catalog: Catalog) -> dict[str, Any]:
    """The content of ``prefect.yaml`` as data."""
    return {
        "name": "duban",
        "build": None,
        "push": None,
        "pull": PULL_STEPS,
        "deployments": deployment_entries(catalog),
    }


def render(catalog: Catalog) -> str:
    return HEADER + "\n" + dump(project(catalog))


def default_path(catalog: Catalog) -> Path:
    """Where ``duban schedule`` writes: next to the campaign (``<campaign>/prefect.yaml``);
    for the example shipped inside the package, the current folder."""
    return PREFECT_YAML if is_example(catalog) else catalog.root / "prefect.yaml"


def _package_dirs() -> list[Path]:
    import duban

    return [Path(duban.__file__).resolve().parent, CATALOG_DIR.resolve(), Path(__file__).resolve().parent]


def refuse_inside_package(path: Path) -> str | None:
    """Why ``path`` must not be written (it lies inside the installed duban), else None."""
    where = Path(path).absolute().resolve()
    for pkg in _package_dirs():
        if where == pkg or pkg in where.parents:
            return f"{where} 在 duban 程序的安装目录（{pkg}）里：升级或重装会丢失它。换个位置（--path），或在活动文件夹中运行"
    return None


def write(catalog: Catalog, path: Path = PREFECT_YAML) -> Path:
    why = refuse_inside_package(path)
    if why:
        raise ValueError(why)
    path.write_text(render(catalog), encoding="utf-8")
    return path


def differences(catalog: Catalog, path: Path = PREFECT_YAML) -> list[str]:
    """What differs between the file and the catalog ([] when they agree)."""
    return project_differences(project(catalog), path, "duban schedule")


def project_differences(want: dict[str, Any], path: Path, regenerate: str) -> list[str]:
    """What differs between the prefect.yaml at ``path`` and the project ``want`` ([] when they
    agree), in Chinese; ``regenerate`` is the command that writes it again."""
    if not path.exists():
        return [f"{path} 不存在：运行 {regenerate} 生成"]
    try:
        have = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        return [f"{path} 不是有效的 YAML：{e}"]
    if not isinstance(have, dict):
        return [f"{path} 的内容不是 prefect.yaml 的格式：运行 {regenerate} 重新生成"]
    if have == want:
        return []
    out = []
    have_deps = {d.get("name"): d for d in have.get("deployments") or [] if isinstance(d, dict)}
    for d in want["deployments"]:
        got = have_deps.pop(d["name"], None)
        if got is None:
            out.append(f"缺少部署 {d['name']}")
            continue
        for k, v in d.items():
            if got.get(k) == v:
                continue
            if k == "schedules":
                out.append(
                    f"部署 {d['name']} 的计划日期不一致：应为 {', '.join(x.isoformat() for x in schedule_dates(v))}；"
                    f"文件中为 {', '.join(x.isoformat() for x in schedule_dates(got.get(k) or []))}"
                )
            else:
                out.append(f"部署 {d['name']} 的 {k} 不一致：应为 {v!r}，文件中为 {got.get(k)!r}")
    out += [f"多余的部署 {n}" for n in have_deps]
    for k in ("name", "build", "push", "pull"):
        if have.get(k) != want[k]:
            out.append(f"{k} 不一致：应为 {want[k]!r}，文件中为 {have.get(k)!r}")
    return out or ["文件格式与生成结果不同"]


def schedule_dates(entries: list[dict[str, Any]]) -> list[dt.date]:
    """The local dates an rrule schedule entry fires on (dateutil; for messages and tests)."""
    from dateutil.rrule import rrulestr

    days: set[dt.date] = set()
    for e in entries:
        if isinstance(e, dict) and e.get("rrule"):
            try:
                days |= {t.date() for t in rrulestr(e["rrule"], forceset=True)}
            except (ValueError, TypeError):
                continue
    return sorted(days)


# ---------------------------------------------------------------- in-process (duban serve)
def runner_deployments(
    catalog: Catalog,
    *,
    parameters: dict[str, Any] | None = None,
    district: str | None = None,
    tags: list[str] | None = None,
) -> list:
    """The three deployments as ``RunnerDeployment`` objects for ``prefect.serve``.

    Same schedules, descriptions and recheck trigger as ``prefect.yaml``; the entrypoints are
    module paths (``duban.flows.round.round_flow``) so the served runs work from any working
    directory. ``district`` names them as a city does (``round-历下区``) and narrows the trigger
    to that district's uploads; ``tags`` mark who serves them (``duban serve`` puts its host
    and data directory there, so another process can tell it is not its own).
    """
    import importlib

    from prefect.deployments.runner import EntrypointType
    from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger
    from prefect.schedules import Cron, RRule

    plan = schedules(catalog)
    out = []
    for name, (module, func) in FLOWS.items():
        flow = getattr(importlib.import_module(module), func)
        scheds = [
            RRule(s["rrule"], timezone=s["timezone"]) if "rrule" in s else Cron(s["cron"], timezone=s["timezone"])
            for s in plan[name]
        ]
        triggers = None
        if name == "recheck":
            spec = recheck_trigger(district, catalog.campaign.key if district else None)
            spec.pop("type")
            triggers = [DeploymentEventTrigger(**spec)]
        out.append(
            flow.to_deployment(
                name=deployment_name(name, district),
                description=DESCRIPTIONS[name],
                tags=list(tags or ["duban"]),
                schedules=scheds or None,
                parameters=dict(parameters or {}),
                triggers=triggers,
                concurrency_limit=1 if name in SERIAL else None,
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return out
