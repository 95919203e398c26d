"""The desk in a real browser (Debian's Chromium through chromedriver): the coordinator logs
in, opens a unit, rejects a file with a reason (the unit's email arrives on the loopback SMTP
server), extends a due date (the next reminder follows it), waives and withdraws; the unit's
own link shows its page and nothing of another unit's."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest

from duban.check import decisions
from duban.desk import state
from duban.notifications import send_reminders
from duban.testing.desk import DESK_NOW, chromium, chromium_missing, login, running_desk, wait_replaced

pytestmark = pytest.mark.browser

GX = "区工信局"


@pytest.fixture(scope="module", autouse=True)
def _needs_chromium():
    why = chromium_missing()
    if why:
        pytest.skip(why)


def card(browser, task: str, rnd: str):
    from selenium.webdriver.common.by import By

    return browser.find_element(By.ID, f"ob-{task}-{rnd}")


def decide(browser, task: str, rnd: str, kind: str, note: str, *, until: str | None = None, file: str | None = None):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    c = card(browser, task, rnd)
    c.find_element(By.CSS_SELECTOR, "details.decide summary").click()
    Select(c.find_element(By.NAME, "kind")).select_by_value(kind)
    if file:
        Select(c.find_element(By.NAME, "file")).select_by_visible_text(file)
    if until:  # a date input's typed format follows the browser's locale: set the ISO value
        browser.execute_script("arguments[0].value = arguments[1]", c.find_element(By.NAME, "until"), until)
    c.find_element(By.NAME, "note").send_keys(note)
    submit(browser, c.find_element(By.CSS_SELECTOR, "details.decide button[type=submit]"))


def submit(browser, button) -> None:
    """Click a form's submit button and wait until the answer page has replaced this one."""
    from selenium.webdriver.common.by import By

    page = browser.find_element(By.TAG_NAME, "html")
    button.click()
    wait_replaced(browser, page)


def flashes(browser) -> str:
    from selenium.webdriver.common.by import By

    return " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, ".flash"))


def test_the_coordinator_decides_on_the_desk_and_the_unit_sees_its_own_page(catalog, desk_home):
    from selenium.webdriver.common.by import By

    smtp = desk_home.smtp
    with running_desk(catalog, desk_home.home, now=DESK_NOW) as url, chromium(width=400) as browser:
        browser.get(f"{url}/unit/{quote(GX)}")
        assert "/login" in browser.current_url
        login(browser, url)
        browser.get(f"{url}/unit/{quote(GX)}")
        assert browser.find_element(By.TAG_NAME, "h1").text == "济南市历下区工业和信息化局"
        assert "按时完成" in card(browser, "D20", "2021-06-12").text

        # reject the ledger of round 2: it stays open with the reason, and the unit is mailed
        decide(browser, "D20", "2021-06-12", "reject", "台账为2020年数据，请报送今年的", file="仓储物流台账.xlsx")
        assert "已记录决定 #1：驳回 D20（区工信局）" in flashes(browser)
        assert "已邮件通知 区工信局" in flashes(browser)
        d20 = card(browser, "D20", "2021-06-12").text
        assert "材料不足" in d20 and "决定：驳回（台账为2020年数据，请报送今年的），请按要求重新报送" in d20
        (mail,) = smtp.messages
        assert mail.kind == "rejection" and mail.unit == GX
        assert "驳回理由：台账为2020年数据，请报送今年的" in mail.text and "仓储物流台账.xlsx" in mail.text

        # extend D26 (due 6-15, nothing handed in): pending until the new date
        assert "未报送" in card(browser, "D26", "2021-06-15").text
        decide(browser, "D26", "2021-06-15", "extend", "平台故障，延期", until="2021-06-25")
        d26 = card(browser, "D26", "2021-06-15").text
        assert "未到期" in d26 and "6月25日前（原 6月15日）" in d26 and "延期至 6月25日" in d26

        # waive D11 round 1, then withdraw the waiver
        decide(browser, "D11", "2021-06-04", "waive", "本局无此项业务")
        assert "免报" in card(browser, "D11", "2021-06-04").text
        withdraw = card(browser, "D11", "2021-06-04").find_element(By.CSS_SELECTOR, "form.withdraw")
        withdraw.find_element(By.NAME, "note").send_keys("误操作")
        submit(browser, withdraw.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert "已撤销决定 #3" in flashes(browser)
        assert "未报送" in card(browser, "D11", "2021-06-04").text
        table = browser.find_element(By.ID, "decisions").text
        assert "已撤销（王科长" in table and "误操作" in table

        # the unit's own link, in a browser with no login: its page, read-only, and nothing else
        with chromium(width=400) as unit_browser:
            unit_browser.get(f"{url}/u/{desk_home.token}")
            page = unit_browser.find_element(By.TAG_NAME, "body").text
            assert "济南市历下区工业和信息化局" in page and "驳回（台账为2020年数据" in page
            assert not unit_browser.find_elements(By.CSS_SELECTOR, "details.decide, #recheck")
            unit_browser.get(f"{url}/unit/{quote('区财政局')}")
            assert "/login" in unit_browser.current_url
            assert "财政局专有制度文件" not in unit_browser.page_source
            unit_browser.get(f"{url}/u/{desk_home.token[:-2]}xx")
            assert "链接无效或已停用" in unit_browser.page_source

    # the next reminder follows the decisions: D26 (overdue before) is due 6-25 now, outside the
    # reminder window on 6-21; D20 round 2 is owed again, with the reason
    now = state.load_now(catalog, desk_home.home, desk_home.store, desk_home.scope, at=DESK_NOW)
    outcome = send_reminders(catalog, now.result, desk_home.home, today=dt.date(2021, 6, 21))
    assert outcome.guard is not None
    reminder = [m for m in smtp.messages if m.kind in ("overdue", "escalation", "upcoming") and m.unit == GX]
    assert len(reminder) == 1
    text = reminder[0].text.replace("\r\n", "\n")
    assert "【D26】" not in text and "【D11】信用分级分类监管典型案例（第一轮）" in text
    assert "【D20】仓储物流数据归集（第二轮），截止 6月12日" in text and "驳回" in text
    assert len(decisions.standing(desk_home.store, desk_home.scope, DESK_NOW)) == 2
