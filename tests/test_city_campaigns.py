"""Several campaigns side by side (issue 15, item 6), and the receipt flag of ``recheck``.

One district, two campaigns (two folders, two shares, two coordinators' unit lists) on one
server and one store: their deployments, data directories (reports, outbox) and store rows are
keyed by campaign, and a real Prefect run of each reads only its own share and mails only its
own units — even though both lists name the same units on the same day (the sent-log of one
campaign never stops, nor counts for, the other's reminders).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json

import pytest
import sqlalchemy as sa

from duban.city.deploy import project
from duban.city.spec import load_city
from duban.home import Home
from duban.tasks_catalog import load_catalog
from duban.testing import samples
from duban.testing.city import city_yaml, district_campaign, district_share
from duban.timeutil import TZ

pytestmark = pytest.mark.prefect
LC = "历城区"
GX = "区工信局"


def recipients(home) -> set[str]:
    out = set()
    for path in Home.resolve(home).outbox.rglob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        out |= {a.addr_spec for h in ("To", "Cc") if msg[h] for a in msg[h].addresses}
    return out


def test_two_campaigns_of_one_district_run_side_by_side(tmp_path, prefect_harness, monkeypatch):
    from duban.flows.round import round_flow

    credit = district_campaign(tmp_path / "信用示范", LC, domain="licheng.example", campaign_id="2021-历城区-信用示范")
    business = district_campaign(
        tmp_path / "营商环境", LC, domain="yingshang.example", campaign_id="2021-历城区-营商环境"
    )
    shares = {
        "credit": district_share(tmp_path / "share-credit", LC),
        "business": district_share(tmp_path / "share-biz", LC, seed=7),
    }
    city = load_city(
        city_yaml(
            tmp_path / "city.yaml",
            [
                {"name": LC, "campaign": str(credit), "evidence": str(shares["credit"])},
                {"name": LC, "campaign": str(business), "evidence": str(shares["business"])},
            ],
            home=str(tmp_path / "data"),
        )
    )
    a, b = city.districts
    names = {d["name"] for d in project(city)["deployments"]}
    assert {f"round-{LC}-2021-历城区-信用示范", f"round-{LC}-2021-历城区-营商环境"} <= names  # keyed by campaign
    assert a.home != b.home and a.home.parent == b.home.parent == tmp_path / "data" / LC

    store = f"sqlite:///{tmp_path / 'shared.sqlite'}"  # one store for both, as on a server
    summaries = {}
    for d in (a, b):
        with monkeypatch.context() as m:
            for k, v in {**d.environment(city.env), "DUBAN_DATABASE_URL": store}.items():
                m.setenv(k, v)
            summaries[d.campaign_key] = round_flow(round_date=dt.date(2021, 6, 18))  # a real (ephemeral) Prefect run

    credit_sum, biz_sum = summaries[a.campaign_key], summaries[b.campaign_key]
    assert credit_sum.evidence_root == str(shares["credit"]) and biz_sum.evidence_root == str(shares["business"])
    assert credit_sum.sent and biz_sum.sent  # both campaigns' units were reminded, on the same day
    # the outbox and the reports are each campaign's own
    assert recipients(a.home) and all(r.endswith("@licheng.example") for r in recipients(a.home))
    assert recipients(b.home) and all(r.endswith("@yingshang.example") for r in recipients(b.home))
    for d, share in ((a, shares["credit"]), (b, shares["business"])):
        [report] = (d.home / "reports" / "2021-06-18").glob("*/report.json")
        data = json.loads(report.read_text(encoding="utf-8"))
        assert data["evidence_root"] == str(share)
        assert data["campaign"] == d.catalog.campaign.name
    # one store, rows keyed by campaign
    engine = sa.create_engine(store)
    with engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT campaign, evidence_root FROM check_runs ORDER BY id")).all()
        sent = dict(conn.execute(sa.text("SELECT campaign, count(*) FROM reminder_log GROUP BY campaign")).all())
    engine.dispose()
    assert [tuple(r) for r in runs] == [
        (a.campaign_key, str(shares["credit"])),
        (b.campaign_key, str(shares["business"])),
    ]
    assert sent.keys() == {a.campaign_key, b.campaign_key}
    assert sent[a.campaign_key] == len(credit_sum.sent) and sent[b.campaign_key] == len(biz_sum.sent)


def test_recheck_sends_the_units_one_receipt_and_no_report(tmp_path, prefect_harness, smtp_server):
    from duban.flows.recheck import recheck_flow

    cat = load_catalog()
    home = Home.resolve(tmp_path / "home")
    home.settings_file.write_text(
        f"smtp:\n  host: 127.0.0.1\n  port: {smtp_server.port}\n  security: plain\n", encoding="utf-8"
    )
    root = tmp_path / "share"
    when = dt.datetime(2021, 6, 11, 10, tzinfo=TZ)
    samples.make_ledger_xlsx(root / GX / "20" / "第二轮" / "台账.xlsx", cat.template("附件7"), 210, mtime=when)
    samples.make_docx(root / "区财政局" / "06" / "制度.docx", ["修订后的制度文件"], mtime=when)
    args = {"units": ["工信局"], "receipt": True, "evidence_root": str(root), "home": str(home.root), "as_of": when}

    s = recheck_flow(**args)
    assert s.report is None and not (home.reports / "adhoc").exists()  # the receipt is the answer
    [mail] = smtp_server.messages
    assert mail.kind == "receipt" and mail.unit == GX and "已收到 1 个文件" in mail.subject
    assert "收件回执：区工信局 已发送" in s.message
    again = recheck_flow(**args)  # the trigger fires again for the same files
    assert len(smtp_server.messages) == 1 and "这组文件已发过" in again.message
    dry = recheck_flow(**{**args, "dry_run": True})
    assert len(smtp_server.messages) == 1 and "演练：未发送收件回执" in dry.warnings
    with pytest.raises(ValueError, match="需要指定单位"):
        recheck_flow(receipt=True, evidence_root=str(root), home=str(home.root))
