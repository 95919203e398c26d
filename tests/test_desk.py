"""The desk over real HTTP (uvicorn on loopback, httpx): who may see and change what, and
what the pages say. The browser walk-through is in ``test_desk_browser.py``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import httpx
import pytest

from duban import access
from duban.check import decisions
from duban.desk import audit
from duban.testing.desk import COORDINATOR, DESK_NOW, PASSWORD, running_desk

GX = quote("区工信局")


@pytest.fixture
def desk(catalog, desk_home):
    with running_desk(catalog, desk_home.home, now=DESK_NOW) as url:
        yield url


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@contextmanager
def logged_in(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as client:
        page = client.get("/login")
        r = client.post("/login", data={"csrf": csrf_of(page.text), "name": COORDINATOR, "password": PASSWORD})
        assert r.status_code == 200 and "督办总览" in r.text
        yield client


def test_pages_need_a_login_and_a_wrong_password_gets_none(desk, desk_home):
    with httpx.Client(base_url=desk, timeout=30) as c:
        r = c.get(f"/unit/{GX}")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        page = c.get("/login")
        assert page.headers["x-frame-options"] == "DENY" and page.headers["referrer-policy"] == "no-referrer"
        bad = c.post("/login", data={"csrf": csrf_of(page.text), "name": COORDINATOR, "password": "wrong-password"})
        assert bad.status_code == 303 and bad.headers["location"].startswith("/login")
        assert c.get("/").status_code == 303
    (failed,) = audit.entries(desk_home.store, desk_home.scope, kind="login")
    assert failed.who == COORDINATOR and "登录失败" in failed.text


def test_guessing_passwords_locks_the_name_for_a_while(desk, desk_home):
    """Five wrong passwords in 15 minutes: the sixth try is refused even with the right
    password, the page says why, the audit log shows it; other names are not locked."""
    with httpx.Client(base_url=desk, timeout=30, follow_redirects=True) as c:
        for _ in range(5):
            page = c.get("/login")
            c.post("/login", data={"csrf": csrf_of(page.text), "name": COORDINATOR, "password": "guess"})
        page = c.get("/login")
        r = c.post("/login", data={"csrf": csrf_of(page.text), "name": COORDINATOR, "password": PASSWORD})
        assert "督办总览" not in r.text and "密码输错次数过多，请 15 分钟后再试" in r.text
        assert c.get("/", follow_redirects=False).status_code == 303
        page = c.get("/login")
        other = c.post("/login", data={"csrf": csrf_of(page.text), "name": "另一位", "password": "x"})
        assert "用户名或密码不对" in other.text  # judged, not locked
    texts = [e.text for e in audit.entries(desk_home.store, desk_home.scope, kind="login")]
    assert sum("登录失败" in t for t in texts) == 6 and sum("登录暂停（密码输错过多）" in t for t in texts) == 1


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(desk, desk_home):
    with logged_in(desk) as c:
        form = {"task": "D20", "round": "2021-06-12", "kind": "waive", "note": "伪造的请求"}
        assert c.post(f"/unit/{GX}/decide", data=form).status_code == 403
        assert c.post(f"/unit/{GX}/decide", data={**form, "csrf": "forged"}).status_code == 403
        assert c.post("/recheck", data={}).status_code == 403
        ok = c.post(f"/unit/{GX}/decide", data={**form, "csrf": csrf_of(c.get("/").text), "note": "本局无此业务"})
        assert ok.status_code == 200 and "已记录决定 #1：免报 D20（区工信局）" in ok.text
    with httpx.Client(base_url=desk, timeout=30) as anonymous:  # no session at all
        assert anonymous.post(f"/unit/{GX}/decide", data=form).status_code == 403
    assert [d.note for d in decisions.history(desk_home.store, desk_home.scope)] == ["本局无此业务"]


def test_outside_text_is_shown_as_text(desk, desk_home):
    with logged_in(desk) as c:
        csrf = csrf_of(c.get("/").text)
        note = '<script>alert("x")</script>'
        c.post(
            f"/unit/{GX}/decide",
            data={"csrf": csrf, "task": "D20", "round": "2021-06-12", "kind": "accept", "note": note},
        )
        page = c.get(f"/unit/{GX}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_a_unit_link_shows_its_own_page_only_until_revoked(desk, desk_home):
    with httpx.Client(base_url=desk, timeout=30) as c:
        own = c.get(f"/u/{desk_home.token}")
        assert own.status_code == 200 and "济南市历下区工业和信息化局" in own.text
        assert "仓储物流台账.xlsx" in own.text and "财政局专有制度文件" not in own.text
        assert "协调人决定（认可" not in own.text and 'action="/recheck"' not in own.text  # read-only
        other = c.get(f"/unit/{quote('区财政局')}")
        assert other.status_code == 303 and "财政局专有制度文件" not in other.text
        assert c.get("/u/" + "x" * 43).status_code == 404
        access.revoke_tokens(desk_home.store, desk_home.scope, "区工信局", by="test")
        gone = c.get(f"/u/{desk_home.token}")
        assert gone.status_code == 404 and "链接无效或已停用" in gone.text


def test_reports_are_served_read_only_from_the_reports_folder(desk, desk_home):
    (desk_home.home.reports / "index.html").write_text("<p>报告目录</p>", encoding="utf-8")
    (desk_home.home.root / "secret.html").write_text("不该看到", encoding="utf-8")
    with logged_in(desk) as c:
        assert "报告目录" in c.get("/reports/files/index.html").text
        for path in ("../secret.html", "..%2Fsecret.html", "%2E%2E/secret.html", "../duban.sqlite"):
            r = c.get("/reports/files/" + path)
            assert r.status_code == 404 and "不该看到" not in r.text, path
        assert c.post("/reports/files/index.html").status_code == 405


def test_the_audit_log_lists_checks_decisions_and_logins_filtered(desk, desk_home):
    decisions.add(desk_home.store, desk_home.scope, "waive", "D26", "区工信局", "无此业务", by="李主任")
    with logged_in(desk) as c:
        all_rows = c.get("/audit").text
        assert "检查全部单位" in all_rows and "#1 免报 D26（区工信局，全部轮次）：无此业务" in all_rows
        assert f"<td>{COORDINATOR}</td>" in all_rows  # the login
        only = c.get("/audit", params={"kind": "decision", "unit": "区工信局"}).text
        assert "免报 D26" in only and "检查全部单位" not in only


def test_the_recheck_button_runs_a_real_check_in_the_background(catalog, desk_home):
    import time

    from duban.desk import state

    with desk_home.home.settings_file.open("a", encoding="utf-8") as f:
        f.write(f"evidence_root: {desk_home.share}\n")
    before = state.load_now(catalog, desk_home.home, desk_home.store, desk_home.scope).run_id
    with running_desk(catalog, desk_home.home) as url, logged_in(url) as c:
        r = c.post("/recheck", data={"csrf": csrf_of(c.get("/").text), "next": "/"})
        assert r.status_code == 200 and "已开始重新检查" in r.text
        deadline = time.monotonic() + 120
        while "上次重新检查完成于" not in (page := c.get("/").text) and time.monotonic() < deadline:
            time.sleep(0.5)
    assert "上次重新检查完成于" in page and "（2 个文件）" in page
    assert state.load_now(catalog, desk_home.home, desk_home.store, desk_home.scope).run_id > before
    assert any("重新检查：完成，2 个文件" in e.text for e in audit.entries(desk_home.store, desk_home.scope))


def test_an_extension_and_its_withdrawal_are_judged_again_at_once(catalog, desk_home):
    """Extending a due date (or withdrawing the extension) starts a check judged as of the
    desk's now: after the withdrawal the unit's page shows the old date and 未报送 again, not
    the dates the previous check was judged with."""
    import time

    with desk_home.home.settings_file.open("a", encoding="utf-8") as f:
        f.write(f"evidence_root: {desk_home.share}\n")

    def card(page: str) -> str:
        return page.split('id="ob-D26-2021-06-15"', 1)[1].split('<div class="card', 1)[0]

    def settled(c: httpx.Client, finished_before: int) -> str:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the run is stored before its "完成" is recorded
            done = [e for e in audit.entries(desk_home.store, desk_home.scope, kind="desk") if "完成" in e.text]
            if len(done) > finished_before:
                return c.get(f"/unit/{GX}").text
            time.sleep(0.3)
        raise AssertionError("the check did not finish")

    with running_desk(catalog, desk_home.home, now=DESK_NOW) as url, logged_in(url) as c:
        assert "未报送" in card(c.get(f"/unit/{GX}").text)
        form = {"task": "D26", "round": "2021-06-15", "kind": "extend", "note": "平台故障", "until": "2021-06-25"}
        r = c.post(f"/unit/{GX}/decide", data={**form, "csrf": csrf_of(c.get("/").text)})
        assert "截止日期已变更：已开始重新检查" in r.text
        page = settled(c, 0)
        assert "未到期" in card(page) and "6月25日前（原 6月15日）" in card(page)

        r = c.post("/decision/1/withdraw", data={"csrf": csrf_of(page), "note": "平台已恢复", "next": f"/unit/{GX}"})
        assert "已撤销决定 #1" in r.text and "截止日期已变更：已开始重新检查" in r.text
        page = settled(c, 1)
        assert "未报送" in card(page) and "6月25日" not in card(page)
