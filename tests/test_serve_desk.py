"""``duban serve`` for the office network (issues 13 and 14): the UI's API address follows
``--host`` / ``--port`` / ``--public-url``; the desk and the watch run beside the Prefect
server; files dropped into the watched share give the unit one receipt through the served
``recheck`` deployment's trigger; a second serve pointed at the same server does not take
over the first one's deployments and says whose they are."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port
from test_serve import wait_for

from duban import prefect_env
from duban.evidence.init_folders import init_folders
from duban.tasks_catalog import load_catalog
from duban.testing import samples

pytestmark = pytest.mark.prefect
DUBAN = Path(sys.executable).with_name("duban")
GX = "区工信局"


def get(url: str, timeout: float = 10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode("utf-8", "replace")


def test_the_ui_is_told_where_the_api_is():
    local = prefect_env.server_environment("127.0.0.1", 4300)
    assert local["PREFECT_UI_API_URL"] == "http://127.0.0.1:4300/api" and local["PREFECT_SERVER_API_PORT"] == "4300"
    lan = prefect_env.server_environment("0.0.0.0", 4300)
    host = prefect_env.reachable_host()
    assert lan["PREFECT_UI_API_URL"] == f"http://{host}:4300/api" and not host.startswith("127.")
    proxied = prefect_env.server_environment("127.0.0.1", 4300, "https://duban.example.gov.cn/")
    assert proxied["PREFECT_UI_API_URL"] == "https://duban.example.gov.cn/api"
    assert prefect_env.local_api_url("0.0.0.0", 4300) == "http://127.0.0.1:4300/api"


def test_serve_runs_desk_and_watch_and_an_upload_gets_one_receipt(tmp_path, smtp_server):
    cat = load_catalog()
    share, home = tmp_path / "share", tmp_path / "home"
    init_folders(share, cat, units=[GX, "区财政局"])
    port, desk_port = free_port(), free_port()
    home.mkdir()
    (home / "settings.yaml").write_text(
        f"evidence_root: '{share}'\n"
        f"smtp:\n  host: 127.0.0.1\n  port: {smtp_server.port}\n  security: plain\n"
        f"desk:\n  port: {desk_port}\n  watch_settle: 1\n  watch_poll: true\n",
        encoding="utf-8",
    )
    base = f"http://127.0.0.1:{port}/api"
    public = f"http://duban.office.test:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DUBAN_"))}
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen(
            [
                str(DUBAN),
                "--home",
                str(home),
                "serve",
                "--host",
                "0.0.0.0",
                "--port",
                str(port),
                "--public-url",
                public,
            ],
            cwd=tmp_path,
            env=env,
            stdout=fo,
            stderr=fe,
            start_new_session=True,
        )
    try:

        def registered():
            req = urllib.request.Request(
                f"{base}/deployments/filter", data=b"{}", headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(req, timeout=5) as r:
                deps = json.loads(r.read())
            return deps if {d["name"] for d in deps} == {"round", "sweep", "recheck"} else None

        deps = wait_for(registered, 180, "the deployments", proc, err)
        # the UI (served to other PCs) calls the API at the address they reach
        status, body = get(f"http://127.0.0.1:{port}/ui-settings")
        assert status == 200 and json.loads(body)["api_url"] == f"{public}/api"
        # the desk answers beside it; the watch is on the share
        status, body = wait_for(lambda: get(f"http://127.0.0.1:{desk_port}/login"), 30, "the desk", proc, err)
        assert status == 200 and "登录" in body
        assert f"监视共享文件夹 {share}" in out.read_text(encoding="utf-8")
        recheck = next(d for d in deps if d["name"] == "recheck")
        assert any(t.startswith("served-by:") for t in recheck["tags"])

        # a second office's serve pointed at this server does not take the deployments over
        other = subprocess.run(
            [str(DUBAN), "--home", str(tmp_path / "other"), "serve", "--no-desk", "--no-watch"],
            cwd=tmp_path,
            env=dict(env, PREFECT_API_URL=base),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert other.returncode != 0, other.stdout + other.stderr
        assert "round/round" in other.stderr and "recheck/recheck" in other.stderr
        assert f"数据目录为 {home.resolve()} 的 duban serve" in other.stderr and "--district" in other.stderr
        assert "Traceback" not in other.stderr

        # a unit uploads three files (one of them broken): one receipt, minutes later at most
        folder = share / GX / "20-仓储物流数据归集" / "第二轮"
        assert folder.is_dir()
        now = dt.datetime.now().astimezone()
        samples.make_ledger_xlsx(folder / "仓储物流台账.xlsx", cat.template("附件7"), 210, mtime=now)
        samples.make_corrupt(folder / "扫描件.xlsx", mtime=now)
        samples.make_docx(share / GX / "20-仓储物流数据归集" / "说明函.docx", ["情况说明"], mtime=now)

        def receipts():
            return smtp_server.of_kind("receipt") or None

        [mail] = wait_for(receipts, 180, "the receipt", proc, err)
        assert mail.to == list(cat.unit(GX).emails)
        assert mail.subject.startswith(f"【收件回执】{GX}：已收到 3 个文件")
        text = mail.text.replace("\r\n", "\n")
        assert "20-仓储物流数据归集/第二轮/仓储物流台账.xlsx\n   计入 D20 仓储物流数据归集（第二轮" in text
        assert "20-仓储物流数据归集/第二轮/扫描件.xlsx\n   无法使用：文件损坏" in text
        assert "说明函.docx" in text and "仍需报送" in text
        time.sleep(8)  # the same files never get a second receipt
        assert len(smtp_server.of_kind("receipt")) == 1 and len(smtp_server.messages) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    stderr = err.read_text(encoding="utf-8", errors="replace")
    assert proc.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    with pytest.raises(urllib.error.URLError):  # the desk stopped with it
        get(f"http://127.0.0.1:{desk_port}/login", timeout=2)
    time.sleep(1)
    left = subprocess.run(["ps", "-e", "-o", "pgid="], capture_output=True, text=True).stdout.split()
    assert str(proc.pid) not in left  # nothing of serve's process group is left
