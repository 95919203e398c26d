"""The desk, running for real, for tests and screenshots: a uvicorn server in a thread on a
loopback port, a headless Chromium driven by selenium, and a demo data directory with a
stored check and a few decisions to look at.

    with running_desk(catalog, home) as url:        # http://127.0.0.1:<port>
        with chromium(width=400) as browser:
            login(browser, url, "王科长", PASSWORD)
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from duban import access
from duban.check import decisions, run_check
from duban.store import Store, scope_of
from duban.timeutil import TZ

PASSWORD = "desk-test-pw-1"  # noqa: S105 (a test account's password)
COORDINATOR = "王科长"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--lang=zh-CN",
)
AS_OF = dt.datetime(2021, 6, 21, 9, tzinfo=TZ)  # the demo check; the desk's clock a little later
DESK_NOW = dt.datetime(2021, 6, 21, 10, tzinfo=TZ)


def chromium_missing() -> str | None:
    """Why a browser test cannot run here, or None."""
    if not shutil.which("chromium") and not shutil.which("chromium-browser"):
        return "Chromium is not installed (make test installs Debian's chromium)"
    if not shutil.which("chromedriver"):
        return "chromedriver is not installed (Debian's chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_desk(catalog: Any, home: Any, *, port: int | None = None, now: dt.datetime | None = None) -> Iterator[str]:
    """The desk on 127.0.0.1 in a thread of this process (``now`` fixes its clock); stopped on exit."""
    from duban.desk import server

    clock = (lambda: now) if now else None
    srv = server(catalog, home, host="127.0.0.1", port=port or _port(), secret=b"desk-test-session-key", clock=clock)
    thread = threading.Thread(target=srv.run, name="duban-desk-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the desk did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{srv.config.port}"
    finally:
        srv.should_exit = True
        thread.join(15)


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """Headless Chromium (Debian's, through its chromedriver) with a fresh profile; quit on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="duban-chromium-")
    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary:
        options.binary_location = binary
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def login(browser: Any, url: str, name: str = COORDINATOR, password: str = PASSWORD) -> None:
    from selenium.webdriver.common.by import By

    browser.get(url + "/login")
    browser.find_element(By.NAME, "name").send_keys(name)
    browser.find_element(By.NAME, "password").send_keys(password)
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_replaced(browser, page)  # the answer page replaced the login form


def wait_replaced(browser: Any, page: Any, timeout: float = 60) -> None:
    """Wait until ``page`` (the old ``<html>`` element) has left the document and the new page has
    loaded. chromedriver may answer "Node ... does not belong to the document" instead of a stale
    element while the old page goes: that is gone too."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def gone(_browser: Any) -> bool:
        try:
            page.is_enabled()
        except WebDriverException:  # StaleElementReferenceException included
            return True
        return False

    WebDriverWait(browser, timeout).until(gone)
    WebDriverWait(browser, timeout).until(lambda b: b.execute_script("return document.readyState") == "complete")


def full_page_png(browser: Any, path: Path, width: int) -> Path:
    """A screenshot of the whole page at ``width`` CSS pixels (the window grown to the page height)."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, min(int(height) + 120, 6000))
    path.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(path))
    return path


def demo_home(catalog: Any, home: Any, share: Path) -> dict[str, Any]:
    """A data directory as the coordinator has it on 2021-06-21: the demo share checked, an
    account, and a waiver, an extension and a rejection on record. Returns what was made."""
    from duban.testing.demo_tree import build_tree

    build_tree(catalog, share)
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    access.set_user(store, scope, COORDINATOR, PASSWORD)
    result = run_check(catalog, share, AS_OF, home)
    made = AS_OF - dt.timedelta(hours=20)
    waive = decisions.add(
        store, scope, "waive", "D26", "区工信局", "本局无问卷调查职责，经领导小组同意免报", by=COORDINATOR, at=made
    )
    extend = decisions.add(
        store,
        scope,
        "extend",
        "D20",
        "区工信局",
        "仓储企业系统故障，延期一周",
        round=dt.date(2021, 6, 20),
        until=dt.date(2021, 6, 27),
        by=COORDINATOR,
        at=made,
    )
    return {"result": result, "store": store, "scope": scope, "decisions": [waive, extend]}
