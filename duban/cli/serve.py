"""``duban serve [--host H] [--port P] [--public-url URL] [--evidence ROOT] [--district D]``: run
the schedules, answer Run in the UI, and — beside them — the coordinator's desk and the watch
on the share.

With no ``PREFECT_API_URL``, starts a local Prefect server (``prefect server start`` in a
child process: SQLite under ``<home>/prefect``, UI on ``http://HOST:PORT``), waits until it is
healthy, then serves the ``round``, ``sweep`` and ``recheck`` deployments in this process
(``prefect.serve``), so the schedules fire and Run works in the UI. With ``PREFECT_API_URL``
set, it serves them on that server instead.

- **The UI from another PC**: the server is told its own address (``PREFECT_SERVER_API_HOST`` /
  ``PORT``, ``PREFECT_UI_API_URL``: ``prefect_env.server_environment``), so the page calls the
  API where the server really is — ``--public-url`` when it sits behind the office's reverse
  proxy, else this machine's network address for ``--host 0.0.0.0``.
- **Nothing taken over by accident**: deployment names are global on a server. Before serving,
  duban looks for deployments of the same names; one registered by another process (another
  office's ``duban serve``, a work pool's ``prefect deploy``) stops it with who owns them —
  ``--district`` (or ``district:`` in settings.yaml) gives this office its own names
  (``round-历下区``); ``--take-over`` when the other owner is known to be gone.
- **Desk and watch**: once Prefect is up, the desk (``duban desk``: host and port from the
  ``desk:`` settings) runs in a thread, and so does ``duban watch`` on the share (when an
  evidence root is set), whose events start the ``recheck`` trigger: the unit that uploaded
  gets its receipt. ``--no-desk`` / ``--no-watch`` leave them out.

Ctrl-C or SIGTERM stops it all cleanly: the runner finishes, the desk and the watch stop, the
child server is stopped, schedules are left active (``pause_on_shutdown=False``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

from .common import UserError, catalog_option, load_catalog_or_fail
from .flowrun import own_district, prepare

STARTUP_TIMEOUT = 180  # first start: database migrations and the UI files


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will (TIME_WAIT is fine)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return ""


class LocalServer:
    """``prefect server start`` as a child process in its own session (Ctrl-C in the terminal
    reaches only duban, which then stops the server itself)."""

    def __init__(self, host: str, port: int, log_path: Path, public_url: str | None = None):
        from duban import prefect_env

        self.host, self.port, self.log_path = host, port, log_path
        self.proc: subprocess.Popen | None = None
        self.url = prefect_env.local_api_url(host, port)
        self.settings = prefect_env.server_environment(host, port, public_url)
        self.ui = self.settings["PREFECT_UI_URL"]

    def start(self) -> None:
        cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", self.host, "--port", str(self.port)]
        env = dict(os.environ)
        env.pop("PREFECT_API_URL", None)
        env.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
        env.update(self.settings)  # the UI calls the API where this server really is
        self.log = open(self.log_path, "ab")  # noqa: SIM115 (the child writes to it until stop())
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT) -> None:
        from duban import prefect_env

        proc = self.proc
        if proc is None:
            raise RuntimeError("LocalServer.wait_healthy() before start()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise UserError(
                    f"Prefect 服务器启动失败（退出码 {proc.returncode}），日志 {self.log_path}：\n"
                    + _tail(self.log_path)
                )
            if prefect_env.healthy(self.url, timeout=2):
                return
            time.sleep(0.5)
        raise UserError(f"Prefect 服务器 {timeout} 秒内未就绪，日志 {self.log_path}：\n" + _tail(self.log_path))

    def stop(self, timeout: float = 20) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        finally:
            self.log.close()


def _interrupt(signum, frame):  # SIGTERM before the runner installs its own handler
    raise KeyboardInterrupt


@click.command("serve")
@click.option(
    "--port", default=4200, show_default=True, type=click.IntRange(1, 65535), help="本地 Prefect 服务器和界面的端口"
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="本地服务器监听的地址（默认只允许本机访问；办公网其他电脑访问写 0.0.0.0）",
)
@click.option(
    "--public-url",
    default=None,
    help="浏览器访问界面的地址（如 http://duban.office:4200，或反向代理 https://duban.example.gov.cn）；界面据此调用 API",
)
@click.option(
    "--evidence",
    "evidence",
    type=click.Path(path_type=Path),
    default=None,
    help="共享文件夹（部署的默认参数）；默认取环境变量 DUBAN_EVIDENCE 或 settings.yaml 的 evidence_root",
)
@click.option(
    "--district",
    default=None,
    help="本区名称：部署命名为 round-区名 等（多个区共用一个 Prefect 服务器时）；默认取 settings.yaml 的 district",
)
@click.option("--desk/--no-desk", default=True, show_default=True, help="同时运行督办工作台（网页，desk: 设置）")
@click.option(
    "--watch/--no-watch",
    "watch_share",
    default=True,
    show_default=True,
    help="同时监视共享文件夹，单位上传后自动发回执",
)
@click.option("--take-over", is_flag=True, help="服务器上的同名部署属于另一进程时仍然接管（确认对方已停用后使用）")
@catalog_option
@click.pass_context
def command(
    ctx: click.Context,
    port: int,
    host: str,
    public_url: str | None,
    evidence: Path | None,
    district: str | None,
    desk: bool,
    watch_share: bool,
    take_over: bool,
    catalog_dir: str | None,
) -> None:
    """常驻运行：按计划执行各轮检查和每日提醒，可在 Prefect 界面中随时运行“临时核查”；同时运行督办工作台和共享文件夹监视。"""
    from duban import prefect_env
    from duban.store import DISTRICT_ENV

    catalog = load_catalog_or_fail(catalog_dir)
    signal.signal(signal.SIGTERM, _interrupt)
    home = prepare(ctx, quiet=False, catalog_dir=catalog_dir, evidence=evidence, use_local_server=False)
    district = own_district(home, district)
    if district:
        os.environ[DISTRICT_ENV] = district  # the served runs, the desk and the watch work for it
    server: LocalServer | None = None
    companions: Companions | None = None
    external = prefect_env.api_url()
    running = prefect_env.running_server(home)
    if running and not external:
        raise UserError(f"duban serve 已在为数据目录 {home.root} 运行（{running}）")
    try:
        if external:
            if not prefect_env.healthy(external, timeout=5):
                raise UserError(f"PREFECT_API_URL={external} 无法连接：请检查服务器，或取消该变量以使用本地服务器")
            click.echo(f"使用已配置的 Prefect 服务器 {external}")
            ui = (public_url or external).rstrip("/").removesuffix("/api")
        else:
            if not _port_free(host, port):
                raise UserError(f"端口 {port} 已被占用：换一个 --port，或停止占用它的程序")
            server = LocalServer(host, port, home.prefect / "server.log", public_url)
            click.echo(f"启动本地 Prefect 服务器（SQLite：{home.prefect}，日志：{server.log_path}）……")
            server.start()
            server.wait_healthy()
            os.environ["PREFECT_API_URL"] = server.url
            prefect_env.write_serve_file(home, server.url, os.getpid())
            ui = server.ui
        owner = owner_tag(home)
        refuse_foreign(district, owner, take_over)
        companions = Companions.start(catalog, home, evidence, desk=desk, watch=watch_share)
        _serve(catalog, ui, evidence, district, owner)
    except KeyboardInterrupt:
        pass
    finally:
        if companions is not None:
            companions.stop()
        if server is not None:
            click.echo("正在停止本地 Prefect 服务器……")
            server.stop()
            prefect_env.clear_serve_file(home, os.getpid())
    click.echo("duban serve 已停止（计划保持启用，下次启动继续）。")


# ---------------------------------------------------------------- who owns a deployment name
OWNER_PREFIX = "served-by:"


def owner_tag(home) -> str:
    """The tag ``duban serve`` puts on its deployments: the host and the data directory, so a
    restart of the same serve takes its own deployments back and anyone else is told whose they are."""
    return f"{OWNER_PREFIX}{socket.gethostname()}:{home.root}"


def describe_owner(dep: dict[str, Any]) -> str:
    """Who registered a deployment, in Chinese."""
    if dep.get("work_pool_name"):
        return f"工作池 {dep['work_pool_name']} 的部署（prefect deploy 或 duban city deploy 创建，由 worker 执行）"
    tags = [t for t in dep.get("tags") or [] if t.startswith(OWNER_PREFIX)]
    if tags:
        host, _, root = tags[0].removeprefix(OWNER_PREFIX).partition(":")
        who = f"主机 {host} 上数据目录为 {root} 的 duban serve"
    else:
        who = "另一个进程（prefect serve 或较早版本的 duban serve）"
    seen = dep.get("last_polled")
    state = "正在运行" if dep.get("status") == "READY" else (f"最近在线 {seen[:19]}" if seen else "未在线")
    return f"{who}（{state}）"


def foreign_owners(district: str | None, owner: str) -> list[tuple[str, str]]:
    """(deployment, who owns it) for each of this serve's names the server already has from
    another process; [] when they are free or this serve's own."""
    from duban import prefect_env
    from duban.flows.deployments import FLOWS, deployment_name

    out = []
    for flow in FLOWS:
        name = deployment_name(flow, district)
        try:
            dep = prefect_env.api(f"/deployments/name/{prefect_env.quote(flow)}/{prefect_env.quote(name)}")
        except prefect_env.ApiError as e:
            if e.status == 404:
                continue
            raise UserError(f"无法读取 Prefect 服务器上的部署（{e}）") from None
        if dep.get("work_pool_name") or owner not in (dep.get("tags") or []):
            out.append((f"{flow}/{name}", describe_owner(dep)))
    return out


def refuse_foreign(district: str | None, owner: str, take_over: bool) -> None:
    """Stop before serving deployments another process owns (see the module docstring)."""
    from duban import prefect_env

    found = foreign_owners(district, owner)
    if not found:
        return
    lines = "\n".join(f"  {name}：{who}" for name, who in found)
    if take_over:
        click.secho(f"注意：接管服务器上属于其他进程的部署（--take-over）：\n{lines}", fg="yellow", err=True)
        return
    raise UserError(
        f"Prefect 服务器 {prefect_env.api_url()} 上已有同名部署，属于其他进程：\n{lines}\n"
        "duban serve 不会接管它们（否则它们的运行会用本机的数据目录和任务清单执行）。"
        "多个区共用一个服务器时用 --district 区名（或 settings.yaml 的 district:）区分部署；"
        "确认原来的进程已停用后，可加 --take-over 接管"
    )


# ---------------------------------------------------------------- the desk and the watch, beside
class Companions:
    """The desk (a uvicorn server) and the watch on the share, each in a thread of this process."""

    def __init__(self) -> None:
        self.desk: Any = None
        self.stop_watch = threading.Event()
        self.threads: list[threading.Thread] = []

    @classmethod
    def start(cls, catalog, home, evidence: Path | None, *, desk: bool, watch: bool) -> Companions:
        from duban import access
        from duban.settings import SettingsError

        self = cls()
        try:
            settings = access.desk_settings(home)
        except SettingsError as e:
            raise UserError(str(e)) from None
        if desk:
            self._start_desk(catalog, home, settings)
        if watch:
            self._start_watch(catalog, home, evidence, settings)
        return self

    def _thread(self, name: str, target) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        t.start()
        self.threads.append(t)

    def _start_desk(self, catalog, home, settings: dict[str, Any]) -> None:
        from duban.desk import server

        host, port = settings["host"], settings["port"]
        if not _port_free(host, port):
            click.secho(f"注意：工作台端口 {port} 已被占用，未启动工作台（desk.port 换一个端口）", fg="red", err=True)
            return
        self.desk = server(catalog, home, host=host, port=port)
        self._thread("duban-desk", self.desk.run)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 (a comparison, not a bind)
        click.echo(f"督办工作台：{settings['base_url'] or f'http://{shown}:{port}'}/")

    def _start_watch(self, catalog, home, evidence: Path | None, settings: dict[str, Any]) -> None:
        from duban.settings import SettingsError
        from duban.store import scope_of
        from duban.watch import scoped_emitter, watch

        try:
            root = Path(home.evidence_root(evidence))
        except SettingsError:
            click.echo("未设置共享文件夹（evidence_root），不监视上传、不发收件回执")
            return
        if not root.is_dir():
            click.secho(f"注意：共享文件夹 {root} 不存在或无法访问，不监视上传", fg="red", err=True)
            return
        emit = scoped_emitter(scope_of(catalog, home))
        settle, poll = settings["watch_settle"], settings["watch_poll"]
        self._thread(
            "duban-watch",
            lambda: watch(catalog, root, settle=settle, poll=poll, emit=emit, stop=self.stop_watch),
        )
        click.echo(f"监视共享文件夹 {root}：单位上传后静止 {settle:g} 秒，自动核查并发收件回执")

    def stop(self) -> None:
        if self.desk is not None:
            self.desk.should_exit = True
        self.stop_watch.set()
        for t in self.threads:
            t.join(timeout=10)


def _serve(catalog, ui: str, evidence: Path | None, district: str | None, owner: str) -> None:
    import prefect

    from duban.flows.deployments import deployment_name, runner_deployments

    params = {"evidence_root": str(Path(evidence).expanduser().resolve())} if evidence else {}
    deployments = runner_deployments(catalog, parameters=params, district=district, tags=["duban", owner])
    dates = "、".join(f"{d.month}月{d.day}日" for d in catalog.round_dates())
    name = {f: deployment_name(f, district) for f in ("round", "sweep", "recheck")}
    unit_opt = f"--district {district} " if district else ""
    click.echo(f"Prefect 界面：{ui}")
    click.echo(f"  {name['round']}   每个截止日 23:58 启动、24 时检查（{dates}）")
    click.echo(f"  {name['sweep']}   督办期内每天 09:00（休息日自动跳过）")
    click.echo(
        f"  {name['recheck']} 按需：在界面中点 Run，或 duban recheck {unit_opt}--unit 单位；单位上传后自动发回执"
    )
    click.echo("按 Ctrl-C 停止。")
    prefect.serve(*deployments, pause_on_shutdown=False, print_starting_message=False)
