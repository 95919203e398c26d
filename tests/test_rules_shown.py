"""The rules shown to units are the rules the checker applies: ratios, date windows,
completion dates, counts and templates appear, in the same words, in the reminder email,
in 说明.txt and in ``duban catalog``."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from smtp_server import fast_policy, single_item_result

from duban.evidence.init_folders import instructions
from duban.notifications import send_reminders
from duban.tasks_catalog.views import cn_date, item_text

D = dt.date
# what the checker enforces, as a unit must read it
D23_RATIO = "“是否获贷”为“是”的比例不低于 20%"
D08_WINDOW = "决定日期须在 4月1日至5月31日之间"
S07_DONE = "须为截至5月31日已履行完毕的"


def test_every_constraint_of_every_item_is_in_its_text(catalog):
    for rt in catalog.tasks.values():
        for item in rt.task.evidence:
            text = item_text(item, catalog)
            if item.kind in ("ledger", "document", "pdf", "link") and item.min > 1:
                assert f"不少于 {item.min} " in text, (rt.id, text)
            if item.template:
                assert catalog.templates[item.template].id in text
            if item.ratio:
                assert f"“{item.ratio.column}”为“是”的比例不低于 {item.ratio.min:.0%}" in text
            for r in item.ratios:
                assert f"{r.label}不低于 {r.min:.0%}" in text
            if item.window:
                assert f"{cn_date(item.window.start)}至{cn_date(item.window.end)}" in text
            if item.completed_by:
                assert f"截至{cn_date(item.completed_by)}已履行完毕" in text
            if item.cumulative:
                assert "累计" in text


def test_the_reminder_email_states_ratio_and_completion_date(catalog, home, evidence_root, smtp_server):
    for task, unit, due in (("D23", "区工信局", D(2021, 6, 20)), ("S07", "解放路街道", D(2021, 6, 10))):
        result = single_item_result(
            evidence_root, task=task, unit=unit, due=due, status="missing", as_of=D(2021, 6, 21)
        )
        send_reminders(catalog, result, home, transport=smtp_server.transport(), policy=fast_policy(), units=[unit])
    d23 = smtp_server.for_unit("区工信局")[0]
    assert D23_RATIO in d23.text and D23_RATIO in d23.html
    assert "有效数据不少于 1 条（统一社会信用代码有误或重复的行不计）" in d23.text
    s07 = smtp_server.for_unit("解放路街道")[0]
    assert S07_DONE in s07.text and "不少于 60 份" in s07.text and "累计" in s07.text
    assert S07_DONE in s07.html


def test_instructions_and_catalog_state_the_window(catalog):
    text = instructions(catalog.task("D08"), catalog, "区财政局")
    assert D08_WINDOW in text and "区间外的行不计" in text
    assert D23_RATIO in instructions(catalog.task("D23"), catalog, "区工信局")
    assert S07_DONE in instructions(catalog.task("S07"), catalog, "解放路街道")
    p = subprocess.run(
        [sys.executable, "-m", "duban", "catalog", "--json"], capture_output=True, text=True, timeout=60, check=True
    )
    assert D08_WINDOW in p.stdout and D23_RATIO in p.stdout and S07_DONE in p.stdout
