"""The flows under Prefect's test harness, on small evidence trees made of real files.

round: statuses, the outbox (.eml), the stored report, the artifacts, idempotence, and the
guard (a missing or shrunk root mails no unit and alerts the coordinator once);
recheck: scoped, no mail unless asked, report always; sweep: rest days skipped.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import shutil
from pathlib import Path

import pytest

from duban.check import run_check
from duban.evidence.init_folders import init_folders
from duban.evidence.layout import folder_for
from duban.home import Home
from duban.tasks_catalog import load_catalog
from duban.testing import samples
from duban.timeutil import TZ

pytestmark = pytest.mark.prefect

CAT = load_catalog()
UNITS = ["区工信局", "区发改局", "解放路街道"]


def T(m: int, d: int, h: int = 12) -> dt.datetime:
    return dt.datetime(2021, m, d, h, 0, tzinfo=TZ)


def build(root: Path) -> None:
    init_folders(root, CAT, units=UNITS)
    d20, d11, d13 = CAT.task("D20"), CAT.task("D11"), CAT.task("D13")
    r1 = dt.date(2021, 6, 4)
    samples.make_ledger_xlsx(
        root / folder_for(d20, "区工信局", r1) / "仓储物流.xlsx", CAT.template("附件7"), 250, mtime=T(6, 3)
    )  # ok
    samples.make_pdf(root / folder_for(d11, "区工信局", r1) / "案例1.pdf", mtime=T(6, 2))  # partial: 1 of 2
    samples.make_pdf(root / folder_for(d13, "区发改局", r1) / "活动1.pdf", text="活动一", mtime=T(6, 7))  # late
    samples.make_pdf(root / folder_for(d13, "区发改局", r1) / "活动2.pdf", text="活动二", mtime=T(6, 7))
    samples.make_corrupt(root / folder_for(d11, "区发改局", r1) / "案例.docx", mtime=T(6, 1))  # rejected


def status(result, task: str, unit: str, day: dt.date) -> str:
    [o] = [o for o in result.obligations if o.task == task and o.unit == unit and o.round == day]
    return o.status


def emls(home: Home, day: str | None = None) -> list[Path]:
    base = home.outbox / day if day else home.outbox
    return sorted(base.rglob("*.eml")) if base.exists() else []


@pytest.fixture()
def world(tmp_path):
    root = tmp_path / "share"
    build(root)
    return root, Home.resolve(tmp_path / "home")


# ---------------------------------------------------------------- pure parts (no server)
def test_resolve_round_parameters():
    from duban.flows.round import resolve_round

    d = dt.date(2021, 6, 20)
    rnd, when, day = resolve_round(CAT, d, None)
    assert (rnd, day) == (d, d) and when == dt.datetime(2021, 6, 21, 0, 0, tzinfo=TZ)  # judged as the round closes
    rnd, when, day = resolve_round(CAT, None, "2021-06-16T18:00")
    assert rnd == dt.date(2021, 6, 15) and day == dt.date(2021, 6, 16) and when.hour == 18
    rnd, when, day = resolve_round(CAT, None, None, now=T(6, 12, 21))  # a scheduled run on a due date
    assert rnd == dt.date(2021, 6, 12) and when == dt.datetime(2021, 6, 13, tzinfo=TZ)
    rnd, when, day = resolve_round(CAT, None, None, now=T(6, 1, 9))  # before the first round
    assert rnd is None and when == T(6, 1, 9)


def test_sweep_skips_rest_days_and_days_outside_the_campaign():
    from duban.flows.sweep import skip_reason

    assert "端午" in skip_reason(CAT, dt.date(2021, 6, 14))  # Dragon Boat Festival 2021: 06-12..14
    assert "周末" in skip_reason(CAT, dt.date(2021, 6, 19))
    assert "不在督办期内" in skip_reason(CAT, dt.date(2021, 7, 5))
    assert skip_reason(CAT, dt.date(2021, 6, 15)) is None


# ---------------------------------------------------------------- round
def test_round_flow_checks_reminds_and_reports(world, prefect_harness):
    from duban.flows.round import round_flow

    root, home = world
    r1, r2 = dt.date(2021, 6, 4), dt.date(2021, 6, 10)
    state = round_flow(round_date=r1, evidence_root=str(root), home=str(home.root), return_state=True)
    assert state.is_completed() and state.name == "Completed", state
    s = state.result()
    res = s.result
    assert status(res, "D20", "区工信局", r1) == "ok"
    assert status(res, "D11", "区工信局", r1) == "partial"
    assert status(res, "D13", "区发改局", r1) == "missing"  # handed in on 06-07: not yet at the close of 06-04
    assert status(res, "D20", "区工信局", dt.date(2021, 6, 12)) == "pending"
    assert [f.path for f in res.rejected] == ["区发改局/11-信用分级分类监管典型案例/第一轮/案例.docx"]
    # the stored report: the check's JSON plus the reminders of this run
    report = json.loads(Path(s.report["json"]).read_text(encoding="utf-8"))
    assert report["round"] == "2021-06-04" and Path(s.report["xlsx"]).exists() and Path(s.report["html"]).exists()
    stored = {(o["task"], o["unit"], o["round"]): o["status"] for o in report["obligations"]}
    assert stored[("D11", "区工信局", "2021-06-04")] == "partial"
    assert (home.reports / "index.html").exists()
    # 06-04 is a Friday and the due day itself: nobody is overdue yet, the coordinator gets the digest
    first = emls(home, "2021-06-04")
    assert [p.name.split("_")[1] for p in first] == ["digest"]

    s2 = round_flow(round_date=r2, evidence_root=str(root), home=str(home.root))
    res2 = s2.result
    assert status(res2, "D13", "区发改局", r1) == "late"
    assert status(res2, "D11", "区发改局", r1) in ("missing", "partial")
    assert "区发改局/11-信用分级分类监管典型案例/第一轮/案例.docx" in {f.path for f in res2.rejected}
    mails = emls(home, "2021-06-10")
    gx = [p for p in mails if "_区工信局_" in p.name]
    assert len(gx) == 1, [p.name for p in mails]
    msg = email.message_from_bytes(gx[0].read_bytes(), policy=email.policy.default)
    assert CAT.unit("区工信局").emails[0] in msg["To"] and "区工信局" in msg["Subject"]
    body = msg.get_body(("plain",)).get_content()
    assert "信用分级分类监管典型案例" in body
    assert s2.sent and all(m["eml_path"] for m in s2.sent)

    # re-running the round sends nothing twice, and stores a second report beside the first
    s3 = round_flow(round_date=r2, evidence_root=str(root), home=str(home.root))
    assert emls(home, "2021-06-10") == mails
    assert not s3.sent and any(m["status"] == "duplicate" for m in s3.reminders)
    assert s3.report["folder"] != s2.report["folder"] and Path(s2.report["json"]).exists()


def test_round_flow_artifacts(world, prefect_harness):
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from duban.flows.round import round_flow

    root, home = world
    state = round_flow(
        round_date=dt.date(2021, 6, 4), evidence_root=str(root), home=str(home.root), notify=False, return_state=True
    )
    assert state.is_completed()

    async def read():
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["round-2021-06-04", "round-2021-06-04-units"])
                )
            )

    import asyncio

    arts = {a.key: a for a in asyncio.run(read())}
    md = arts["round-2021-06-04"]
    assert md.type == "markdown" and "未报送" in md.data
    assert not any(line.startswith("    ") for line in md.data.splitlines())  # markdown must not be indented
    table = arts["round-2021-06-04-units"]
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert table.type == "table" and "区工信局" in {r["单位"] for r in rows}


def test_round_flow_guard_missing_root(tmp_path, prefect_harness):
    from duban.flows.round import round_flow

    home = Home.resolve(tmp_path / "home")
    state = round_flow(
        round_date=dt.date(2021, 6, 10),
        evidence_root=str(tmp_path / "dropped-share"),
        home=str(home.root),
        return_state=True,
    )
    assert state.is_completed() and state.name == "Held"  # no crash: a clear state
    s = state.result()
    mails = emls(home)
    assert [p.name.split("_")[1] for p in mails] == ["alert"]  # one alert to the coordinator, no unit mail
    msg = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
    assert CAT.campaign.coordinator_emails[0] in msg["To"]
    assert s.report is None and "不存在" in s.message
    # running it again does not alert twice the same day
    round_flow(round_date=dt.date(2021, 6, 10), evidence_root=str(tmp_path / "dropped-share"), home=str(home.root))
    assert emls(home) == mails


def test_round_flow_guard_shrunk_root(world, prefect_harness):
    from duban.flows.round import round_flow

    root, home = world
    round_flow(round_date=dt.date(2021, 6, 10), evidence_root=str(root), home=str(home.root))
    before = set(emls(home))
    for unit in ("区发改局", "解放路街道"):
        shutil.rmtree(root / unit)
    state = round_flow(round_date=dt.date(2021, 6, 15), evidence_root=str(root), home=str(home.root), return_state=True)
    assert state.name == "Held"
    s = state.result()
    new = [p.name.split("_")[1] for p in set(emls(home)) - before]
    assert new == ["alert"], new
    assert s.report and Path(s.report["json"]).exists()  # the check and the report still ran


# ---------------------------------------------------------------- recheck and sweep
def test_recheck_flow_scoped_no_mail_report_always(world, prefect_harness):
    from duban.flows.recheck import recheck_flow

    root, home = world
    s = recheck_flow(units=["工信局"], as_of=T(6, 11), evidence_root=str(root), home=str(home.root))
    assert {o.unit for o in s.result.obligations} == {"区工信局"}
    assert emls(home) == [] and not s.reminders
    assert Path(s.report["json"]).exists() and "/adhoc/" in s.report["json"].replace("\\", "/")
    with pytest.raises(ValueError, match="未知单位"):
        recheck_flow(units=["不存在的局"], evidence_root=str(root), home=str(home.root))


def test_recheck_of_one_task_reminds_with_the_whole_list(world, prefect_harness):
    from duban.flows.recheck import recheck_flow

    root, home = world
    s = recheck_flow(
        units=["工信局"], tasks=["D20"], notify=True, as_of=T(6, 7, 10), evidence_root=str(root), home=str(home.root)
    )
    assert {o.task for o in s.result.obligations} == {"D20"}  # the report is the task's
    (mail,) = [p for p in emls(home) if "区工信局" in p.name]
    body = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default).get_body(("plain",)).get_content()
    assert "【D11】" in body  # the unit's other open item is in its reminder too, not only the task re-checked


def test_sweep_flow(world, prefect_harness):
    from duban.flows.sweep import sweep_flow

    root, home = world
    state = sweep_flow(day=dt.date(2021, 6, 12), evidence_root=str(root), home=str(home.root), return_state=True)
    assert state.name == "Skipped" and emls(home) == []
    s = sweep_flow(day=dt.date(2021, 6, 9), evidence_root=str(root), home=str(home.root))
    kinds = {m["kind"] for m in s.sent}
    assert "upcoming" in kinds, s.reminders  # one working day before the 06-10 due date
    assert s.as_of == T(6, 9, 9) and emls(home, "2021-06-09")


def test_a_whole_recheck_judges_again_only_the_task_whose_files_changed(world, prefect_harness):
    from duban.flows.recheck import recheck_flow

    root, home = world
    first = recheck_flow(as_of=T(6, 11), evidence_root=str(root), home=str(home.root))
    assert not first.stats.get("reused_tasks")
    r1 = dt.date(2021, 6, 4)
    samples.make_pdf(root / folder_for(CAT.task("D11"), "区工信局", r1) / "案例2.pdf", text="案例二", mtime=T(6, 3))
    again = recheck_flow(as_of=T(6, 11), evidence_root=str(root), home=str(home.root))
    assert again.stats["reused_tasks"] == len(CAT.tasks) - 1  # D11 alone judged again
    assert (status(first.result, "D11", "区工信局", r1), status(again.result, "D11", "区工信局", r1)) == (
        "partial",
        "ok",
    )
    fresh = run_check(CAT, root, T(6, 11), home)  # every task judged afresh: the same answer
    assert [o.to_json() for o in again.result.obligations] == [o.to_json() for o in fresh.obligations]
