#!/usr/bin/env python3
"""Render a sample round report and the report index in headless Chromium and save screenshots.

    .venv/bin/python scripts/screenshot_report.py [--out out/screenshots] [--home DIR]

It writes three round reports for the whole catalog (generated results, no evidence
needed) into a scratch data directory, then shoots the 2021-06-20 report at desktop and
phone width and the index page. It proves the pages make no outside request: the HTML
holds no outside reference (no http(s):// or // URL, no src=, no url(), no @import, no
script/link/img), and Chromium runs in a network namespace with no network (``unshare
--net``, when allowed) with every host name mapped to nothing, while its network log
(--log-net-log) must show no request made by the page and no connection that succeeded.
(Chromium itself tries a few background update checks whatever the flags; they are
listed as the browser's own and all fail.)

Chromium and Chinese fonts are installed with apt-get when missing (Debian/Ubuntu, as root):
``apt-get install -y chromium fonts-noto-cjk``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from duban.home import Home  # noqa: E402
from duban.reports import rebuild_index, write_report  # noqa: E402
from duban.reports.html import outside_references  # noqa: E402
from duban.tasks_catalog import load_catalog  # noqa: E402
from duban.testing.report_sample import sample_result  # noqa: E402

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def _has_chinese_font() -> bool:
    fc = shutil.which("fc-list")
    return bool(fc and subprocess.run([fc, ":lang=zh"], capture_output=True, text=True).stdout.strip())


def find_chromium() -> str:
    """The Chromium executable; installs it (and Chinese fonts) with apt-get when missing."""
    path = next(filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome"))), None)
    if path and _has_chinese_font():
        return path
    print("正在用 apt-get 安装 chromium 和中文字体 fonts-noto-cjk（截图需要中文字体）...", flush=True)
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"], check=True, env=env)
    path = path or shutil.which("chromium")
    if not path:
        sys.exit("安装 chromium 后仍找不到可执行文件")
    return path


def isolation() -> list[str]:
    """``unshare --net`` when it works (root on Linux): Chromium then has no network at all."""
    tool = shutil.which("unshare")
    if tool and subprocess.run([tool, "--net", "true"], capture_output=True).returncode == 0:
        return [tool, "--net"]
    return []


def read_netlog(path: Path) -> dict[str, list[str]]:
    """From a Chromium net-log: requests the page made, background requests the browser made
    on its own (update checks ...), and socket connections that succeeded."""
    out: dict[str, list[str]] = {"page": [], "browser": [], "connected": []}
    if not path.is_file():
        return out
    text = path.read_text(encoding="utf-8", errors="replace").rstrip().rstrip(",")
    if not text.endswith("}"):
        text += "]}"  # a log cut short at exit misses its closing brackets
    log = json.loads(text)
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    for e in log.get("events", []):
        kind, params = names.get(e["type"]), e.get("params") or {}
        if kind == "URL_REQUEST_START_JOB" and "url" in params:
            url = params["url"]
            if url.startswith(("file:", "data:", "about:", "chrome:")):
                continue
            out["browser" if params.get("initiator") == "not an origin" else "page"].append(url)
        elif kind in ("TCP_CONNECT", "SOCKET_CONNECT") and e.get("phase") == 2 and "net_error" not in params:
            out["connected"].append(str(params))
    return out


def shoot(chromium: str, page: Path, png: Path, size: tuple[int, int], wrap: list[str]) -> dict[str, list[str]]:
    """Screenshot ``page`` and return what its network log shows (see :func:`read_netlog`)."""
    with tempfile.TemporaryDirectory(prefix="duban-chromium-") as profile:
        netlog = Path(profile) / "netlog.json"
        cmd = [
            *wrap,
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--log-net-log={netlog}",
            f"--screenshot={png}",
            f"--window-size={size[0]},{size[1]}",
            page.as_uri(),
        ]
        png.unlink(missing_ok=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0 or not png.is_file():
            sys.exit(f"Chromium 截图失败（{proc.returncode}）：{proc.stderr[-2000:]}")
        return read_netlog(netlog)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "screenshots", help="截图输出目录")
    ap.add_argument("--home", type=Path, default=None, help="数据目录（默认临时目录）")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    home = Home.resolve(args.home or tempfile.mkdtemp(prefix="duban-shot-"))

    catalog = load_catalog()
    reminders = [
        {
            "unit": "区工信局",
            "kind": "overdue",
            "to": ["gxj@lixia.example"],
            "cc": ["fgj@lixia.example"],
            "subject": "【督办提醒】区工信局：2 项任务逾期未报（最近截止 2021-06-20）",
            "status": "sent",
            "error": None,
        },
        {
            "unit": "区商务局",
            "kind": "overdue",
            "to": ["swj@lixia.example"],
            "cc": [],
            "subject": "【督办提醒】区商务局：1 项材料不足（最近截止 2021-06-20）",
            "status": "failed",
            "error": "收件服务器拒收：550 mailbox unavailable",
        },
    ]
    paths = None
    for day in (dt.date(2021, 6, 10), dt.date(2021, 6, 15), dt.date(2021, 6, 20)):
        as_of = dt.datetime.combine(day, dt.time(23, 59, 59))
        paths = write_report(
            catalog,
            sample_result(catalog, as_of),
            home,
            round_date=day,
            reminders=reminders if day == dt.date(2021, 6, 20) else [],
            run_time=as_of.replace(hour=23, minute=59, second=59),
        )
    index = rebuild_index(home)

    problems = {p.name: outside_references(p.read_text(encoding="utf-8")) for p in (paths.html, index)}
    problems = {k: v for k, v in problems.items() if v}
    if problems:
        sys.exit(f"页面含有外部引用：{json.dumps(problems, ensure_ascii=False)}")

    chromium = find_chromium()
    wrap = isolation()
    print(
        "Chromium 运行在无网络的命名空间中（unshare --net）" if wrap else "无法隔离网络：仅靠主机名解析规则拦截",
        flush=True,
    )
    shots = [
        (paths.html, "report-desktop.png", (1280, 2200)),
        (paths.html, "report-phone.png", (390, 844)),
        (paths.html, "report-phone-long.png", (390, 3000)),
        (index, "index-desktop.png", (1100, 900)),
        (index, "index-phone.png", (390, 844)),
    ]
    for page, name, size in shots:
        net = shoot(chromium, page, args.out / name, size, wrap)
        if net["page"] or net["connected"]:
            sys.exit(f"{name}: 页面发出了请求 {net['page']}，或建立了连接 {net['connected']}")
        print(
            f"{args.out / name}  {size[0]}x{size[1]}  页面请求 0，成功的网络连接 0"
            f"（浏览器自身的后台请求 {len(net['browser'])} 个，均被拦截）"
        )
    print(f"报告：{paths.html}\n索引：{index}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
