"""``duban decide``: the coordinator records, lists and withdraws decisions on the command line;
a rejection mails the unit the reason at once, once."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from duban.check import decisions
from duban.home import Home
from duban.notifications.decision_mail import send_rejection
from duban.store import Store, scope_of
from duban.timeutil import TZ


def duban(home, *args):
    env = dict(os.environ, DUBAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "duban", *args], capture_output=True, text=True, env=env)


def test_decisions_on_the_command_line_are_stored_listed_and_withdrawn(tmp_path, catalog):
    home = Home.resolve(tmp_path / "home")
    p = duban(home.root, "decide", "waive", "d20", "--unit", "工信局", "--note", "本局无仓储物流业务", "--by", "王科长")
    assert p.returncode == 0, p.stderr
    assert "已记录决定 #1：免报 D20 仓储物流数据归集（区工信局，全部轮次），王科长" in p.stdout
    p = duban(home.root, "decide", "extend", "D26", "--unit", "区工信局", "--until", "2021-06-25", "--note", "系统故障")
    assert p.returncode == 0 and "延期至 6月25日 D26" in p.stdout, p.stderr
    assert "截止日期已变更：工作台和报告在下次检查后按新日期判定" in p.stdout

    listed = duban(home.root, "decide", "list").stdout
    assert "#1 免报 D20 区工信局 全部轮次 · 王科长" in listed and "#2 延期至 6月25日 D26" in listed

    p = duban(home.root, "decide", "withdraw", "1", "--note", "误操作", "--by", "李主任")
    assert p.returncode == 0 and "已撤销决定 #1" in p.stdout and "截止日期已变更" not in p.stdout  # a waiver
    assert "#1" not in duban(home.root, "decide", "list").stdout
    assert "由 李主任 撤销：误操作" in duban(home.root, "decide", "list", "--all").stdout

    scope = scope_of(catalog, home)
    (d,) = decisions.standing(Store.open(home, scope), scope, dt.datetime.now(TZ))
    assert (d.kind, d.task, d.unit, str(d.until)) == ("extend", "D26", "区工信局", "2021-06-25")


def test_decide_refuses_what_it_cannot_record_with_the_fix(tmp_path):
    cases = [
        (["waive", "D20", "--unit", "区财政局", "--note", "x"], "不是任务 D20 的责任单位"),
        (["waive", "D20", "--unit", "区工信局", "--note", " "], "请写明理由"),
        (["extend", "D20", "--unit", "区工信局", "--until", "6月25日", "--note", "x"], "请写成 2021-06-20"),
        (
            ["accept", "D20", "--unit", "区工信局", "--round", "2021-06-13", "--note", "x"],
            "不是任务 D20 的轮次截止日期",
        ),
        (["waive", "D99", "--unit", "区工信局", "--note", "x"], "未知任务"),
        (["withdraw", "7", "--note", "x"], "没有编号为 7 的决定"),
    ]
    for args, message in cases:
        p = duban(tmp_path, "decide", *args)
        assert p.returncode == 2 and message in p.stderr and "Traceback" not in p.stderr, (args, p.stderr)


def test_reject_mails_the_unit_the_reason_once(tmp_path, catalog, smtp_server):
    home = Home.resolve(tmp_path / "home")
    home.settings_file.write_text(
        f"smtp:\n  host: 127.0.0.1\n  port: {smtp_server.port}\n  security: plain\n", encoding="utf-8"
    )
    p = duban(
        home.root,
        *("decide", "reject", "D20", "--unit", "区工信局", "--round", "2021-06-12"),
        *("--note", "台账是2020年的数据", "--file", "区工信局/20-仓储物流数据归集/第二轮/台账.xlsx", "--by", "王科长"),
    )
    assert p.returncode == 0, p.stderr
    assert "已通知 区工信局" in p.stdout
    (mail,) = smtp_server.messages
    assert mail.subject == "【驳回通知】区工信局：D20 仓储物流数据归集（第二轮）材料未通过审核，请重新报送"
    assert mail.kind == "rejection" and mail.to == list(catalog.unit("区工信局").emails)
    assert "驳回理由：台账是2020年的数据" in mail.text and "涉及文件：台账.xlsx" in mail.text
    assert "区工信局/20-仓储物流数据归集/第二轮" in mail.text and "王科长" in mail.text
    assert "台账是2020年的数据" in mail.html

    scope = scope_of(catalog, home)
    (d,) = decisions.history(Store.open(home, scope), scope)
    again = send_rejection(catalog, home, d)  # a second press, a retry: never a second mail
    assert again.status == "duplicate" and len(smtp_server.messages) == 1
