"""The file outbox: every .eml a Windows share accepts, found again by an interrupted run."""

from __future__ import annotations

import re

from smtp_server import fast_policy, june18_result

from duban.notifications import FileOutbox, send_reminders
from duban.notifications.transport import outbox_name

WINDOWS_REFUSES = re.compile(r'[<>:"\\|?*\x00-\x1f]')


def test_the_day_s_outbox_has_only_names_a_windows_share_accepts(catalog, home, evidence_root):
    send_reminders(catalog, june18_result(evidence_root), home, policy=fast_policy())
    names = [p.relative_to(home.outbox).as_posix() for p in home.outbox.rglob("*.eml")]
    assert any("_digest_" in n for n in names)  # the digest's dedupe key held a '|'
    for name in names:
        for part in name.split("/"):
            assert not WINDOWS_REFUSES.search(part) and not part.endswith((".", " ")), name


def test_unsafe_parts_are_replaced_and_the_outbox_finds_what_it_wrote(tmp_path):
    assert outbox_name("2021-06-18/x_daily|2021-06-18.eml") == "2021-06-18/x_daily_2021-06-18.eml"
    assert outbox_name("d/CON.eml") == "d/_CON.eml" and outbox_name('d/a:b?"c*.') == "d/a_b__c_"
    box = FileOutbox(tmp_path)
    delivered = box.deliver(b"Subject: x\r\n\r\nx\r\n", "a@b", ["c@d"], filename="d/a|b.eml")
    assert delivered.eml_path == str(tmp_path / "d" / "a_b.eml")
    assert box.delivered("d/a|b.eml") == delivered.eml_path  # an interrupted run settles it, never resends
