"""Receipts: minutes after a unit uploads, it is told what arrived, what each file counted
for or why not, and what is still open — once per set of files (``notifications/receipt.py``)."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import subprocess
import sys
import threading
import time

from duban.check import evaluate, gather
from duban.home import Home
from duban.notifications.receipt import send_receipt
from duban.testing import samples
from duban.timeutil import TZ

GX = "区工信局"


def T(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2021, 6, day, hour, tzinfo=TZ)


def check_unit(catalog, root, home, as_of):
    gathered = gather(catalog, root, home)
    result = evaluate(catalog, gathered, as_of, home, units=[GX])
    files = {g.rel: g.sha for g in gathered.files if g.unit == GX}
    files.update({rel: "" for rel, _why in gathered.unrecognized if rel.startswith(GX + "/")})
    return result, files


def mailing_home(tmp_path, smtp_server) -> Home:
    """A data directory whose mail goes to the loopback SMTP server."""
    home = Home.resolve(tmp_path / "home")
    home.settings_file.write_text(
        f"smtp:\n  host: 127.0.0.1\n  port: {smtp_server.port}\n  security: plain\n", encoding="utf-8"
    )
    return home


def one_ledger_share(tmp_path, catalog):
    """A share where 区工信局 handed in round 2's D20 ledger (210 rows) on 6-11."""
    root = tmp_path / "share"
    samples.make_ledger_xlsx(
        root / GX / "20" / "第二轮" / "仓储物流台账.xlsx", catalog.templates["附件7"], 210, mtime=T(11)
    )
    return root


def test_a_unit_gets_one_receipt_per_set_of_files(tmp_path, catalog, smtp_server):
    home = mailing_home(tmp_path, smtp_server)
    root = tmp_path / "share"
    gx = root / GX
    t7 = catalog.templates["附件7"]
    samples.make_ledger_xlsx(gx / "20" / "第二轮" / "仓储物流台账.xlsx", t7, 210, mtime=T(11))
    samples.make_corrupt(gx / "20" / "第二轮" / "扫描件.xlsx", mtime=T(11))
    samples.make_ledger_xlsx(gx / "20" / "第三轮" / "仓储物流台账.xlsx", t7, 120, mtime=T(11))

    result, files = check_unit(catalog, root, home, T(11, 12))
    rec = send_receipt(catalog, result, home, GX, files=files, today=dt.date(2021, 6, 11))
    assert rec.status == "sent", rec.error
    (mail,) = smtp_server.messages
    assert mail.kind == "receipt" and mail.to == list(catalog.unit(GX).emails)
    assert mail.subject.startswith(f"【收件回执】{GX}：已收到 3 个文件，1 项已完成，还有 ")
    text = mail.text.replace("\r\n", "\n")
    assert "20/第二轮/仓储物流台账.xlsx\n   计入 D20 仓储物流数据归集（第二轮，6月12日前）（按时完成）" in text
    assert "20/第二轮/扫描件.xlsx\n   无法使用：文件损坏" in text
    assert "20/第三轮/仓储物流台账.xlsx\n   计入 D20 仓储物流数据归集（第三轮，6月20日前）（未到期）" in text
    assert "以下事项已报齐：\n- 【D20】仓储物流数据归集（第二轮，6月12日前）：按时完成" in text
    assert "仍需报送" in text and "台账有效数据 120 条，要求不少于 200 条" in text
    assert "上传到：区工信局/20-仓储物流数据归集/第三轮" in text

    # the trigger fires again for the same files: no second receipt, whatever the day
    again = send_receipt(catalog, result, home, GX, files=files, today=dt.date(2021, 6, 14))
    assert again.status == "duplicate" and len(smtp_server.messages) == 1

    # one more file: the next receipt lists only what is new
    samples.make_ledger_xlsx(
        gx / "20" / "第三轮" / "仓储物流台账-补充.xlsx", t7, 90, seed=7, mtime=T(15)
    )  # other firms
    result, files = check_unit(catalog, root, home, T(15, 12))
    assert send_receipt(catalog, result, home, GX, files=files, today=dt.date(2021, 6, 15)).status == "sent"
    second = smtp_server.messages[1]
    assert second.subject.startswith(f"【收件回执】{GX}：已收到 1 个文件，1 项已完成")
    assert (
        "仓储物流台账-补充.xlsx" in second.text
        and "扫描件.xlsx" not in second.text
        and "1. 20/第三轮/仓储物流台账-补充.xlsx" in second.text.replace("\r\n", "\n")
    )


def test_two_rechecks_of_one_upload_send_one_receipt(tmp_path, catalog, smtp_server):
    """The watch can fire twice for one upload (two events, two served runs at once): the set of
    files is claimed in the store before the mail goes out, so one receipt is sent."""
    home = mailing_home(tmp_path, smtp_server)
    root = one_ledger_share(tmp_path, catalog)
    result, files = check_unit(catalog, root, home, T(11, 12))
    send_receipt(catalog, result, home, GX, files={}, today=dt.date(2021, 6, 11))  # the store exists

    start = threading.Barrier(2)

    def one() -> str:
        start.wait()
        return send_receipt(catalog, result, home, GX, files=files, today=dt.date(2021, 6, 11)).status

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(lambda _i: one(), range(2)))
    assert statuses == ["duplicate", "sent"]
    assert len(smtp_server.messages) == 1


SEND_ONE_RECEIPT = """
import datetime as dt, sys
from duban.check import evaluate, gather
from duban.home import Home
from duban.notifications.receipt import send_receipt
from duban.tasks_catalog import load_catalog
from duban.timeutil import TZ
catalog, home, root = load_catalog(), Home.resolve(sys.argv[1]), sys.argv[2]
gathered = gather(catalog, root, home)
result = evaluate(catalog, gathered, dt.datetime(2021, 6, 11, 12, tzinfo=TZ), home, units=["区工信局"])
files = {g.rel: g.sha for g in gathered.files if g.unit == "区工信局"}
send_receipt(catalog, result, home, "区工信局", files=files, today=dt.date(2021, 6, 11))
"""


def test_a_run_killed_while_its_receipt_goes_out_is_not_followed_by_a_second(tmp_path, catalog, smtp_server):
    """kill -9 while the server holds the receipt's content (the reply not yet given): the next
    day's recheck of the same files sends nothing — the set was claimed before the send."""
    home = mailing_home(tmp_path, smtp_server)
    root = one_ledger_share(tmp_path, catalog)
    for address in catalog.unit(GX).emails:
        smtp_server.recorder.slow_for[address] = 60.0
    proc = subprocess.Popen([sys.executable, "-c", SEND_ONE_RECEIPT, str(home.root), str(root)])
    try:
        deadline = time.monotonic() + 120
        while not smtp_server.messages and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert smtp_server.messages, "the receipt never reached the server"
    finally:
        proc.kill()
        proc.wait()
    smtp_server.recorder.slow_for.clear()

    result, files = check_unit(catalog, root, home, T(12, 12))
    rec = send_receipt(catalog, result, home, GX, files=files, today=dt.date(2021, 6, 12))
    assert rec.status == "duplicate" and rec.error == "这组文件已发过回执"
    assert len(smtp_server.messages) == 1
