"""A whole campaign, day by day, as the coordinator's inbox sees it: the demo's shared folder
(``duban.testing.demo_tree``) checked every morning from May 31 to June 30 (and again at the
close of each due date), reminders sent through the file outbox under the default policy.

The coordinator gets one digest per working day and nothing else: escalations are listed
inside it, grouped by unit, oldest first — no separate copies. Units still get their own
reminders; a supporting unit hears only of the shared task."""

from __future__ import annotations

import datetime as dt
import email
import re
from collections import Counter
from email import policy as email_policy

import pytest

from duban.check import run_check
from duban.home import Home
from duban.notifications import send_reminders
from duban.notifications.plan import coordinator_addresses
from duban.notifications.workdays import is_workday, workdays_between
from duban.testing.demo_tree import build_tree
from duban.timeutil import TZ

FIRST, LAST = dt.date(2021, 5, 31), dt.date(2021, 6, 30)
DAYS = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
OPEN = ("partial", "missing", "pending")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def campaign(catalog, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("campaign")
    root = build_tree(catalog, tmp / "share").root
    home = Home.resolve(tmp / "home")
    results = {}
    for day in DAYS:
        runs = [dt.time(9)] + ([dt.time(23, 58)] if day in catalog.round_dates() else [])  # sweep, round close
        for at in runs:
            result = run_check(catalog, root, dt.datetime.combine(day, at, tzinfo=TZ), home)
            send_reminders(catalog, result, home, today=day)
            results.setdefault(day, result)  # the morning check: what that day's digest was built from
    mails = [
        email.message_from_bytes(p.read_bytes(), policy=email_policy.default)
        for p in sorted(home.outbox.rglob("*.eml"))
    ]
    return mails, results


def _addresses(msg, header) -> set[str]:
    return {a.addr_spec for a in msg[header].addresses} if msg[header] else set()


def _day(msg) -> dt.date:
    return dt.date.fromisoformat(str(msg["X-Duban-Day"]))


def _text(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def test_the_coordinator_gets_one_digest_per_working_day_and_nothing_else(catalog, campaign):
    mails, _ = campaign
    coordinator = {a for _, a in coordinator_addresses(catalog)}
    to_coordinator = [m for m in mails if coordinator & (_addresses(m, "To") | _addresses(m, "Cc"))]
    per_day = Counter(_day(m) for m in to_coordinator)
    assert {str(m["X-Duban-Kind"]) for m in to_coordinator} == {"digest"}  # no escalation copy, no alert
    assert per_day == {d: 1 for d in DAYS if is_workday(d)}  # one a working day, none on rest days
    escalations = [m for m in mails if str(m["X-Duban-Kind"]) == "escalation"]
    assert len(escalations) > 100  # the campaign has plenty of them: each went to its unit only
    assert not any(coordinator & _addresses(m, "Cc") for m in escalations)


def _escalation_section(digest_text: str) -> list[tuple[str, list[dt.date]]]:
    """(unit, due dates of its listed items) from the digest's 逾期督办 section, in order."""
    section = digest_text.split("三、逾期督办", 1)[1].split("四、今日提醒", 1)[0]
    groups: list[tuple[str, list[dt.date]]] = []
    for line in section.splitlines()[1:]:
        unit = re.match(r"^   (\S+)（\d+ 项，最长逾期 \d+ 个工作日）$", line)
        item = re.search(r"：截止 (\d+)月(\d+)日，已逾期 \d+ 个工作日", line)
        if unit:
            groups.append((unit[1], []))
        elif item and line.startswith("      "):
            groups[-1][1].append(dt.date(2021, int(item[1]), int(item[2])))
    return groups


def test_escalations_are_in_the_digest_grouped_by_unit_oldest_first(catalog, campaign):
    mails, results = campaign
    digests = {_day(m): _text(m) for m in mails if str(m["X-Duban-Kind"]) == "digest"}
    own = {(_day(m), str(m["X-Duban-Unit"])) for m in mails if str(m["X-Duban-Kind"]) == "escalation"}
    days_with_escalations = 0
    for day, text in digests.items():
        expected = Counter(
            o.unit
            for o in results[day].obligations
            if o.unit and o.status in OPEN and o.due and o.due < day and workdays_between(o.due, day) > 2
        )
        groups = _escalation_section(text)
        assert Counter({unit: len(dues) for unit, dues in groups}) == expected, day  # every escalated item, once
        firsts = [dues[0] for _, dues in groups]
        assert firsts == sorted(firsts), day  # the unit with the oldest item first
        assert all(dues == sorted(dues) for _, dues in groups), day  # each unit's items oldest first
        assert all((day, unit) in own for unit, _ in groups), day  # and each unit got its own reminder
        days_with_escalations += bool(groups)
    assert days_with_escalations >= 5


def test_a_supporting_unit_hears_only_of_the_shared_task(catalog, campaign):
    mails, _ = campaign
    supports = {s for rt in catalog.tasks.values() for s in rt.supports}
    shared = {rt.id for rt in catalog.tasks.values() if rt.supports}
    support_mail = [m for m in mails if str(m["X-Duban-Kind"]) == "support"]
    assert support_mail  # D12's lead was reminded: its three supporting units were told
    for m in support_mail:
        unit = str(m["X-Duban-Unit"])
        assert unit in supports
        listed = set(re.findall(r"^\d+\. 【(\w+)】", _text(m), re.M))
        assert listed and listed <= {t for t in shared if unit in catalog.task(t).supports}
    for m in mails:
        if str(m["X-Duban-Kind"]) in ("upcoming", "overdue", "escalation"):  # a lead's own list is never copied
            assert not _addresses(m, "Cc"), m["Subject"]
