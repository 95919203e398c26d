"""A unit's reminder carries its personal desk link (read-only page of its own obligations)
when the office has a desk address and a server secret; without them, no link and no error."""

from __future__ import annotations

from smtp_server import fast_policy, june18_result

from duban import access
from duban.notifications import send_reminders
from duban.store import Store, scope_of

GX = "区工信局"


def test_the_reminder_carries_the_units_own_link(catalog, home, evidence_root, smtp_server, monkeypatch):
    monkeypatch.setenv(access.SECRET_ENV, "an office secret of enough length")
    home.settings_file.write_text("desk:\n  base_url: https://duban.lixia.example\n", encoding="utf-8")
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    token = access.issue_token(store, scope, GX, by="王科长")
    send_reminders(catalog, june18_result(evidence_root), home, transport=smtp_server.transport(), policy=fast_policy())
    (mail,) = smtp_server.for_unit(GX)
    link = f"https://duban.lixia.example/u/{token}"
    assert f"贵单位的督办事项和报送情况可随时在此查看：{link}" in mail.text
    assert f'href="{link}"' in mail.html
    assert access.unit_for_token(store, scope, token) == GX
    others = [m for m in smtp_server.to_units() if m.unit != GX]
    assert others and all(token not in m.text for m in others)  # no other unit sees this link


def test_no_desk_address_no_link(catalog, home, evidence_root, smtp_server, monkeypatch):
    monkeypatch.delenv(access.SECRET_ENV, raising=False)
    send_reminders(catalog, june18_result(evidence_root), home, transport=smtp_server.transport(), policy=fast_policy())
    (mail,) = smtp_server.for_unit(GX)
    assert "/u/" not in mail.text and "可随时在此查看" not in mail.text


def test_the_digest_lists_the_days_decisions(catalog, home, evidence_root, smtp_server):
    """The coordinator's digest says what was overridden that day, by whom and why."""
    import datetime as dt

    from duban.check import decisions
    from duban.timeutil import TZ

    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    at = dt.datetime(2021, 6, 18, 8, 30, tzinfo=TZ)
    decisions.add(store, scope, "waive", "D26", GX, "本局无此项业务", by="王科长", at=at)
    decisions.add(
        store, scope, "accept", "D07", "区行政审批局", "一个文件含两个案例", by="王科长", at=at - dt.timedelta(days=2)
    )
    send_reminders(catalog, june18_result(evidence_root), home, transport=smtp_server.transport(), policy=fast_policy())
    (digest,) = smtp_server.of_kind("digest")
    assert (
        "今日协调人决定" in digest.text
        and "D26 融资监测平台问卷填报 · 区工信局：免报（本局无此项业务）王科长" in digest.text
    )
    assert "一个文件含两个案例" not in digest.text  # decided two days ago: in that day's digest, not today's
