"""A real headless Chromium driven over the DevTools protocol, for tests that measure layout
(element boxes at a given viewport width) and keep a screenshot.

Launched the way ``scripts/screenshot_report.py`` launches it (same flags, a fresh profile,
every host name resolving to nothing), plus ``--remote-debugging-port=0``: Chromium picks the port and writes it to
``DevToolsActivePort`` in the profile. The process is stopped when the context ends.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "screenshot_report.py"


def _shot_module():
    spec = importlib.util.spec_from_file_location("screenshot_report", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Page:
    """One tab: navigate at a viewport size, evaluate JavaScript, take a screenshot."""

    def __init__(self, ws_url: str):
        self.ws = connect(ws_url, max_size=None, open_timeout=30)
        self.next_id = 0

    def call(self, method: str, **params: Any) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def open(self, path: Path, width: int, height: int = 900) -> Page:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", url=path.as_uri())
        deadline = time.monotonic() + 30
        while self.eval("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path} did not finish loading")
            time.sleep(0.05)
        self.eval("document.fonts.ready.then(() => true)", wait=True)
        return self

    def eval(self, expression: str, *, wait: bool = False) -> Any:
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=wait)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression[:80]}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, png: Path, *, top: float = 0, height: float | None = None) -> Path:
        """The page from ``top`` down (``height`` pixels, default: to the end), as a PNG."""
        width = self.eval("document.documentElement.scrollWidth")
        height = height or self.eval("document.documentElement.scrollHeight") - top
        clip = {"x": 0, "y": top, "width": width, "height": height, "scale": 1}
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)["data"]
        png.write_bytes(base64.b64decode(data))
        return png

    def close(self) -> None:
        self.ws.close()


@contextmanager
def chromium():
    """A headless Chromium for the duration of the block; yields a function that opens a Page."""
    shot = _shot_module()
    exe = shot.find_chromium()
    with tempfile.TemporaryDirectory(prefix="duban-cdp-") as profile:
        cmd = [  # no `unshare --net` here: the test talks to Chromium over loopback (hosts still resolve to nothing)
            exe,
            *shot.CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pages: list[Page] = []
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 60
            while not (port_file.is_file() and port_file.read_text().strip()):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Chromium did not start (exit code {proc.poll()})")
                time.sleep(0.1)
            port = int(port_file.read_text().split()[0])

            def new_page() -> Page:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
                    targets = [t for t in json.load(r) if t.get("type") == "page"]
                page = Page(targets[0]["webSocketDebuggerUrl"])
                pages.append(page)
                return page

            yield new_page
        finally:
            for page in pages:
                page.close()
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
