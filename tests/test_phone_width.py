"""Emails and the report on a phone (400 px wide), in a real headless Chromium: tables
collapse into one card per row, nothing is wider than the screen, no column is cut off and
the task text keeps the whole width (at 400 px it used to squeeze to 3-4 characters a line)."""

from __future__ import annotations

import datetime as dt
import email
import shutil
from email import policy as email_policy
from pathlib import Path

import pytest
from browser import chromium
from smtp_server import fast_policy, june18_result

from duban.home import Home
from duban.notifications import send_reminders
from duban.reports import write_report
from duban.testing.report_sample import sample_result

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (shutil.which("chromium") or shutil.which("chromium-browser")),
        reason="Chromium not installed (make test installs Debian's chromium)",
    ),
]
PHONE, DESKTOP = 400, 1100
SHARE = r"\\fileserver-lixia\信用示范创建共享文件夹\2021年社会信用体系建设"  # a long path, as units reach it

# every visible cell and code element: its box, and whether its content overflows it
BOXES = """(() => {
  const box = el => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width, text: el.innerText.slice(0, 40),
            label: el.dataset.label || "", cut: el.scrollWidth > el.clientWidth + 1}; };
  const shown = el => el.getClientRects().length > 0;
  return {
    page: document.documentElement.scrollWidth,
    cells: [...document.querySelectorAll("td")].filter(shown).map(box),
    codes: [...document.querySelectorAll("code")].filter(shown).map(box),
    headers: [...document.querySelectorAll("thead")].filter(shown).length,
  };
})()"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as new_page:
        yield new_page()


@pytest.fixture(scope="module")
def mails(catalog, tmp_path_factory, evidence_root_module):
    home = Home.resolve(tmp_path_factory.mktemp("home"))
    home.settings_file.write_text(f"evidence_display_root: '{SHARE}'\n", encoding="utf-8")
    send_reminders(catalog, june18_result(evidence_root_module), home, policy=fast_policy())
    out = {}
    for p in home.outbox.rglob("*.eml"):
        m = email.message_from_bytes(p.read_bytes(), policy=email_policy.default)
        page = home.root / f"{m['X-Duban-Kind']}-{m['X-Duban-Unit']}.html"
        page.write_text(m.get_body(("html",)).get_content(), encoding="utf-8")
        out[(str(m["X-Duban-Kind"]), str(m["X-Duban-Unit"]))] = page
    return out


@pytest.fixture(scope="module")
def evidence_root_module(tmp_path_factory):
    from smtp_server import make_evidence_root

    return make_evidence_root(tmp_path_factory.mktemp("share"))


def _fits(boxes: dict, width: int) -> None:
    assert boxes["page"] <= width, f"the page is {boxes['page']} px wide on a {width} px screen"
    for b in boxes["cells"] + boxes["codes"]:
        assert b["left"] >= -0.5 and b["right"] <= width + 0.5, b  # on screen, not cut off at the edge
        assert not b["cut"], b  # its content is not clipped either


@pytest.mark.parametrize(
    "mail", [("escalation", "区工信局"), ("upcoming", "区发改局"), ("support", "区工信局"), ("digest", "区发改局")]
)
def test_emails_collapse_into_cards_at_phone_width(browser, mails, mail, tmp_path):
    page = browser.open(mails[mail], PHONE)
    boxes = page.eval(BOXES)
    page.screenshot(tmp_path / f"{mail[0]}-{PHONE}.png")
    _fits(boxes, PHONE)
    if mail[0] != "digest":
        tasks = [b for b in boxes["cells"] if b["text"].startswith(("D20 ", "D12 ", "D26 "))]
        assert tasks and all(b["width"] >= PHONE - 40 for b in tasks)  # the task text has the whole card width
        assert boxes["codes"] and all(SHARE[:12] in b["text"] for b in boxes["codes"])  # the folder, whole


def test_a_unit_email_is_still_a_table_on_a_desktop(browser, mails):
    boxes = browser.open(mails[("escalation", "区工信局")], DESKTOP).eval(BOXES)
    _fits(boxes, DESKTOP)
    assert boxes["headers"] == 1  # the header row shows: one table, five columns side by side
    first_row = [b for b in boxes["cells"] if abs(b["left"] - boxes["cells"][0]["left"]) < 1]
    assert len(first_row) == 3  # three items, one row each (the number column lines them up)


@pytest.fixture(scope="module")
def report(catalog, tmp_path_factory):
    home = Home.resolve(tmp_path_factory.mktemp("report"))
    return write_report(catalog, sample_result(catalog, "2021-06-20"), home, round_date=dt.date(2021, 6, 20)).html


def test_the_report_stacks_its_tables_at_phone_width(browser, report, tmp_path):
    page = browser.open(report, PHONE)
    page.eval("document.querySelectorAll('details').forEach(d => d.open = true)")  # 明细 too
    boxes = page.eval(BOXES)
    top = page.eval("document.getElementById('units').getBoundingClientRect().top + scrollY")
    page.screenshot(tmp_path / "report-phone.png", top=top, height=1600)
    _fits(boxes, PHONE)
    scores = [b for b in boxes["cells"] if b["label"] in ("完成率", "得分", "排名")]
    assert len(scores) >= 3 * 35  # every unit's completion, score and rank is on screen
    assert boxes["headers"] == 0  # the cards carry their labels; no header row to scroll sideways


def test_the_report_keeps_its_tables_on_a_desktop(browser, report):
    boxes = browser.open(Path(report), DESKTOP).eval(BOXES)
    assert boxes["headers"] >= 6  # every table with its header row


def test_the_report_index_fits_a_phone(browser, report):
    index = Path(report).parents[2] / "index.html"
    _fits(browser.open(index, PHONE).eval(BOXES), PHONE)
