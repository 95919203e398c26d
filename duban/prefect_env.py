"""Prefect settings for embedded use, applied before ``prefect`` is imported.

Prefect reads its settings from the environment once, when it is first imported. The CLI
commands that run flows call :func:`configure` first, so that with no setup at all:

- Prefect's state (the SQLite database of the ephemeral or local server, results) lives
  under duban's data directory (``<home>/prefect``), not in ``~/.prefect``;
- no telemetry is attempted (an office server often has no internet: without this the
  server logs ``Failed to send telemetry`` on every run);
- the task-run recorder writes in batches, so no task-run record is dropped when the
  ephemeral server stops (measured: 8-18 of 200 lost with the default of 1);
- server-side noise at shutdown is hidden, and a slow machine gets 60 s to start the
  ephemeral server;
- a served deployment (``duban serve``) looks for run requests every second instead of
  Prefect's 10 s (``PREFECT_RUNNER_POLL_FREQUENCY``): a recheck asked for from the UI or
  ``duban recheck`` starts within a second or two (one light query a second to the server);
- ``quiet=True`` keeps Prefect's own console lines (``Beginning flow run ...``) off the
  terminal; the run logs still go to the Prefect API, where the UI shows them.

Every value is a default (``os.environ.setdefault``): whatever the user or the cluster
sets — ``PREFECT_API_URL`` to use an existing server, a PostgreSQL database URL, another
``PREFECT_HOME`` — wins. See ``../shared/notes/prefect.md`` for the measurements.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from typing import Any

from duban.home import Home

SERVE_FILE = "serve.json"  # written by `duban serve`: the URL of the local server it runs


def defaults(home: Home) -> dict[str, str]:
    return {
        "PREFECT_HOME": str(home.prefect),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "50",
        "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "60",
        # the UI's version check and news calls go to the internet
        "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        # how often `serve()` asks the server for runs to start (Prefect's default: 10 s)
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }


def configure(home: Home, *, quiet: bool = True, use_local_server: bool = True) -> dict[str, str]:
    """Set the embedded defaults in ``os.environ`` (never overriding a value already set).

    ``use_local_server``: when no ``PREFECT_API_URL`` is set and ``duban serve`` is running
    for this home, talk to its server (so a run started from the command line shows in the
    UI, and two servers never share one SQLite file). Returns the values applied.
    """
    if "prefect" in sys.modules and "PREFECT_HOME" not in os.environ:
        warnings.warn(
            "duban.prefect_env.configure() called after prefect was imported: "
            "settings read at import time will not change",
            RuntimeWarning,
            stacklevel=2,
        )
    applied = {}
    values = defaults(home)
    if quiet:
        values["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "ERROR"
    for key, value in values.items():
        if key not in os.environ:
            os.environ[key] = value
            applied[key] = value
    if use_local_server and not os.environ.get("PREFECT_API_URL"):
        url = running_server(home)
        if url:
            os.environ["PREFECT_API_URL"] = url
            applied["PREFECT_API_URL"] = url
    return applied


def api_url() -> str | None:
    """The Prefect server in use, or None for the ephemeral one."""
    return os.environ.get("PREFECT_API_URL") or None


# ---------------------------------------------------------------- the server's REST API, without Prefect
class ApiError(RuntimeError):
    """A call to the Prefect API failed: ``status`` is the HTTP status (None: no answer)."""

    def __init__(self, status: int | None, detail: str):
        super().__init__(f"{status or '无响应'}：{detail}")
        self.status, self.detail = status, detail


BUSY_RETRY_SECONDS = 30  # a busy server answers 503 (request not processed): ask again


def api(path: str, body: Any = None, *, timeout: float = 30.0) -> Any:
    """One call to the REST API of the server in use (:func:`api_url`): JSON in, JSON out
    (``body`` given: POST). The commands that only ask a server for a run and follow it
    use this rather than Prefect's client, whose import alone takes 1-2 s. Authenticates as
    Prefect's client does: ``PREFECT_API_AUTH_STRING`` (Basic) or ``PREFECT_API_KEY`` (Bearer)."""
    url = api_url()
    if not url:
        raise ApiError(None, "没有配置 Prefect 服务器")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if auth := os.environ.get("PREFECT_API_AUTH_STRING"):
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    elif key := os.environ.get("PREFECT_API_KEY"):
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    deadline = time.monotonic() + BUSY_RETRY_SECONDS
    while True:
        req = urllib.request.Request(url.rstrip("/") + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            if e.code == 503 and time.monotonic() < deadline:
                time.sleep(1)
                continue
            raise ApiError(e.code, e.read()[:500].decode("utf-8", "replace")) from None
        except OSError as e:  # URLError, timeouts, refused connections
            raise ApiError(None, str(getattr(e, "reason", e))) from None


def quote(name: str) -> str:
    """A name as one path segment of an API URL."""
    return urllib.parse.quote(name, safe="")


# ---------------------------------------------------------------- the local server of `duban serve`
def serve_file(home: Home) -> Path:
    return home.prefect / SERVE_FILE


def write_serve_file(home: Home, url: str, pid: int) -> Path:
    p = serve_file(home)
    p.write_text(json.dumps({"api_url": url, "pid": pid}), encoding="utf-8")
    return p


def clear_serve_file(home: Home, pid: int) -> None:
    p = serve_file(home)
    try:
        if json.loads(p.read_text(encoding="utf-8")).get("pid") == pid:
            p.unlink()
    except (OSError, ValueError):
        pass


def healthy(url: str, timeout: float = 2.0) -> bool:
    """True when the Prefect API at ``url`` (``http://host:port/api``) answers its health check."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=timeout) as r:
            return r.status == 200 and r.read().strip() == b"true"
    except (OSError, ValueError):
        return False


def running_server(home: Home) -> str | None:
    """The API URL of the server a live ``duban serve`` runs for this home, if any."""
    try:
        info = json.loads(serve_file(home).read_text(encoding="utf-8"))
        url, pid = info["api_url"], int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return url if healthy(url, timeout=1.0) else None


# ---------------------------------------------------------------- the server's address, for the UI
def reachable_host() -> str:
    """This machine's address on the office network (the interface of the default route; no
    packet is sent), else its host name: what another PC types to reach a server on 0.0.0.0."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.254.254.254", 1))
            addr = s.getsockname()[0]
            if addr and not addr.startswith("127."):
                return addr
        except OSError:
            pass
    return socket.gethostname()


def server_environment(host: str, port: int, public_url: str | None = None) -> dict[str, str]:
    """The settings of ``prefect server start --host HOST --port PORT`` that the UI needs to call
    the API where the server really is. Prefect 3.9.1 builds the UI's API address from
    ``PREFECT_SERVER_API_HOST`` / ``PREFECT_SERVER_API_PORT`` (``GET /api/ui-settings``), not from
    ``--host`` / ``--port``: without these the page asks ``http://127.0.0.1:4200/api``.

    ``public_url`` is the address browsers use (``http://duban.office:4200``, or the office's
    reverse proxy ``https://duban.example.gov.cn``): the UI calls ``<public_url>/api``. Without
    it, a server on 0.0.0.0 gives this machine's network address (:func:`reachable_host`)."""
    if public_url:
        ui = public_url.rstrip("/")
    else:
        shown = reachable_host() if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (a comparison)
        ui = f"http://{shown}:{port}"
    return {
        "PREFECT_SERVER_API_HOST": host,
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_API_URL": ui.removesuffix("/api") + "/api",
        "PREFECT_UI_URL": ui.removesuffix("/api"),
    }


def local_api_url(host: str, port: int) -> str:
    """The API address this machine's own processes use (a server on 0.0.0.0 is reached on loopback)."""
    client = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 (a comparison)
    return f"http://{client}:{port}/api"
