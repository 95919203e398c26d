"""``duban serve [--port PORT] [--evidence ROOT]``: run the schedules and answer Run in the UI.

With no ``PREFECT_API_URL``, starts a local Prefect server (``prefect server start`` in a
child process: SQLite under ``<home>/prefect``, UI on ``http://127.0.0.1:PORT``), waits until
it is healthy, then serves the ``round``, ``sweep`` and ``recheck`` deployments in this
process (``prefect.serve``), so the schedules fire and Run works in the UI. With
``PREFECT_API_URL`` set, it serves them on that server instead.

Ctrl-C or SIGTERM stops it cleanly: the runner finishes, the child server is stopped,
schedules are left active (``pause_on_shutdown=False``) for the next start.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click

from .common import UserError, catalog_option, load_catalog_or_fail
from .flowrun import prepare

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

    def __init__(self, host: str, port: int, log_path: Path):
        self.host, self.port, self.log_path = host, port, log_path
        self.proc: subprocess.Popen | None = None
        self.url = f"http://{host}:{port}/api"

    def start(self) -> None:
        cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", self.host, "--port", str(self.port)]
        env = dict(os.environ)
        env.pop("PREFECT_API_URL", None)
        env.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
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
@click.option("--host", default="127.0.0.1", show_default=True, help="本地服务器监听的地址（默认只允许本机访问）")
@click.option(
    "--evidence",
    "evidence",
    type=click.Path(path_type=Path),
    default=None,
    help="共享文件夹（部署的默认参数）；默认取环境变量 DUBAN_EVIDENCE 或 settings.yaml 的 evidence_root",
)
@catalog_option
@click.pass_context
def command(ctx: click.Context, port: int, host: str, evidence: Path | None, catalog_dir: str | None) -> None:
    """常驻运行：按计划执行各轮检查和每日提醒，并可在 Prefect 界面中随时运行“临时核查”。"""
    from duban import prefect_env

    catalog = load_catalog_or_fail(catalog_dir)
    signal.signal(signal.SIGTERM, _interrupt)
    home = prepare(ctx, quiet=False, catalog_dir=catalog_dir, evidence=evidence, use_local_server=False)
    server: LocalServer | None = None
    external = prefect_env.api_url()
    running = prefect_env.running_server(home)
    if running and not external:
        raise UserError(f"duban serve 已在为数据目录 {home.root} 运行（{running}）")
    try:
        if external:
            if not prefect_env.healthy(external, timeout=5):
                raise UserError(f"PREFECT_API_URL={external} 无法连接：请检查服务器，或取消该变量以使用本地服务器")
            click.echo(f"使用已配置的 Prefect 服务器 {external}")
            ui = external.rstrip("/").removesuffix("/api")
        else:
            if not _port_free(host, port):
                raise UserError(f"端口 {port} 已被占用：换一个 --port，或停止占用它的程序")
            server = LocalServer(host, port, home.prefect / "server.log")
            click.echo(f"启动本地 Prefect 服务器（SQLite：{home.prefect}，日志：{server.log_path}）……")
            server.start()
            server.wait_healthy()
            os.environ["PREFECT_API_URL"] = server.url
            prefect_env.write_serve_file(home, server.url, os.getpid())
            ui = f"http://{host}:{port}"
        _serve(catalog, ui, evidence)
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            click.echo("正在停止本地 Prefect 服务器……")
            server.stop()
            prefect_env.clear_serve_file(home, os.getpid())
    click.echo("duban serve 已停止（计划保持启用，下次启动继续）。")


def _serve(catalog, ui: str, evidence: Path | None) -> None:
    import prefect

    from duban.flows.deployments import runner_deployments

    params = {"evidence_root": str(Path(evidence).expanduser().resolve())} if evidence else {}
    deployments = runner_deployments(catalog, parameters=params)
    dates = "、".join(f"{d.month}月{d.day}日" for d in catalog.round_dates())
    click.echo(f"Prefect 界面：{ui}")
    click.echo(f"  round   每个截止日 23:58 启动、24 时检查（{dates}）")
    click.echo("  sweep   督办期内每天 09:00（休息日自动跳过）")
    click.echo("  recheck 按需：在界面中点 Run，或 duban recheck --unit 单位")
    click.echo("按 Ctrl-C 停止。")
    prefect.serve(*deployments, pause_on_shutdown=False, print_starting_message=False)
