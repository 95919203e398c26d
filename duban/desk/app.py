"""The desk's web app (Starlette): pages, login, CSRF, decisions, the re-check button.

Every page but ``/login`` and the units' ``/u/<token>`` needs a logged-in coordinator
(a signed session cookie). Every state-changing request is a POST that carries the
session's CSRF token in its form; without it the answer is 403 and nothing changes.
Pages are Jinja2 templates with autoescaping on: file names, notes and problems that
came from outside are always shown as text. Responses forbid framing and send no
referrer (a unit's token link must not leak through a link it follows).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from duban import access
from duban.check import decisions
from duban.reports import list_reports
from duban.settings import SettingsError
from duban.statuses import STATUS_LABELS
from duban.store import Store, scope_of

from . import audit, state
from .rechecker import Rechecker

TEMPLATES = Path(__file__).with_name("templates")
SESSION_COOKIE = "duban_desk"
SESSION_HOURS = 12
REPORT_SUFFIXES = {".html", ".xlsx", ".json"}
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "Cache-Control": "no-store",
}
LIGHTS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}


class Desk:
    """What every request needs: the catalog, the data directory, the store, the templates."""

    def __init__(self, catalog: Any, home: Any, clock: Callable[[], dt.datetime] | None = None):
        self.catalog, self.home = catalog, home
        self.clock = clock  # "now" for the decisions in force (default: the real time; a demo may fix it)
        self.scope = scope_of(catalog, home)
        self.store = Store.open(home, self.scope)
        self.settings = access.desk_settings(home)
        self.rechecker = Rechecker(catalog, home, on_done=self._recheck_done, clock=clock)
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["q"] = lambda s: quote(str(s), safe="")
        self.env.filters["pct"] = lambda v: "—" if v is None else f"{v * 100:.0f}%"
        self.env.filters["t"] = lambda v: "" if v is None else f"{v:%Y-%m-%d %H:%M}"
        self.env.globals.update(status_labels=STATUS_LABELS, lights=LIGHTS, kind_labels=decisions.KIND_LABELS)

    def _recheck_done(self, st: Any) -> None:
        what = f"完成，{st.files} 个文件" if st.error is None else f"失败：{st.error}"
        audit.record(self.store, self.scope, st.by or "", "recheck", what)

    def now(self) -> state.Now:
        return state.load_now(self.catalog, self.home, self.store, self.scope, at=self.clock() if self.clock else None)

    def page(self, request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        session = request.scope.get("session") or {}
        flash = session.pop("flash", []) if "session" in request.scope else []
        html = self.env.get_template(name).render(
            campaign=self.catalog.campaign,
            user=session.get("user"),
            csrf=_csrf(request) if "session" in request.scope else "",
            flash=flash,
            recheck=self.rechecker.state,
            **context,
        )
        return HTMLResponse(html, status_code=status_code)


# ---------------------------------------------------------------- sessions and CSRF
def _csrf(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def _flash(request: Request, text: str, kind: str = "ok") -> None:
    request.session["flash"] = [*request.session.get("flash", []), {"kind": kind, "text": text}]


def _user(request: Request) -> str | None:
    return request.session.get("user")


Handler = Callable[[Request], Awaitable[Response]]


def page(handler: Callable[[Desk, Request], Awaitable[Response]]) -> Handler:
    """A coordinator's page: a visitor without a session is sent to the login page."""

    async def endpoint(request: Request) -> Response:
        if not _user(request):
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        return await handler(request.app.state.desk, request)

    return endpoint


def action(handler: Callable[[Desk, Request, Any], Awaitable[Response]], *, login: bool = True) -> Handler:
    """A state-changing POST: the session's CSRF token must be in the form (else 403), and a
    coordinator must be logged in (else 403: a form post is never redirected into a login)."""

    async def endpoint(request: Request) -> Response:
        form = await request.form()
        sent = str(form.get("csrf") or "")
        expected = request.session.get("csrf") or ""
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            return PlainTextResponse("请求无效（缺少或过期的安全令牌）：请刷新页面后重试", status_code=403)
        if login and not _user(request):
            return PlainTextResponse("请先登录", status_code=403)
        return await handler(request.app.state.desk, request, form)

    return endpoint


# ---------------------------------------------------------------- login
async def login_page(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    return desk.page(request, "login.html.j2", next=_safe_next(request.query_params.get("next")))


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


# guessing passwords: after this many failures in LOCKOUT_MINUTES an account name (or, at the
# higher count, a client address trying many names) is refused without checking the password
LOCKOUT_MINUTES = 15
FAILURES_PER_NAME = 5
FAILURES_PER_HOST = 20


def _locked_out(desk: Desk, who: str, host: str) -> bool:
    window = dt.timedelta(minutes=LOCKOUT_MINUTES)
    return (
        audit.failed_logins(desk.store, desk.scope, within=window, who=who) >= FAILURES_PER_NAME
        or audit.failed_logins(desk.store, desk.scope, within=window, host=host) >= FAILURES_PER_HOST
    )


async def _login(desk: Desk, request: Request, form: Any) -> Response:
    name, password = str(form.get("name") or "").strip(), str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or "/"))
    who, host = name or "（空）", request.client.host if request.client else ""
    if _locked_out(desk, who, host):  # the password is not even tried
        audit.record(desk.store, desk.scope, who, "login_locked", host)
        _flash(request, f"密码输错次数过多，请 {LOCKOUT_MINUTES} 分钟后再试", "bad")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if not access.authenticate(desk.store, desk.scope, name, password):
        audit.record(desk.store, desk.scope, who, "login_failed", host)
        _flash(request, "用户名或密码不对", "bad")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    request.session.clear()  # a fresh session (and CSRF token) after login
    request.session.update(user=name, csrf=secrets.token_urlsafe(32))
    audit.record(desk.store, desk.scope, name, "login", request.client.host if request.client else "")
    return RedirectResponse(target, status_code=303)


async def _logout(desk: Desk, request: Request, form: Any) -> Response:
    audit.record(desk.store, desk.scope, _user(request) or "", "logout")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# ---------------------------------------------------------------- pages
async def _overview(desk: Desk, request: Request) -> Response:
    now = desk.now()
    waived: dict[str, int] = {}
    for o in now.result.obligations if now.result else []:
        if o.status == "waived" and o.unit:
            waived[o.unit] = waived.get(o.unit, 0) + 1
    standing = [d for d in now.history if d.in_force(now.at)]
    return desk.page(request, "overview.html.j2", now=now, waived=waived, standing=standing)


def _unit_name(desk: Desk, name: str) -> str:
    unit = desk.catalog.find_unit(name)
    if unit is None:
        raise HTTPException(404, f"没有这个单位：{name}")
    return unit.name


async def _unit(desk: Desk, request: Request) -> Response:
    name = _unit_name(desk, request.path_params["name"])
    now = desk.now()
    view = state.unit_view(desk.catalog, now, desk.store, desk.scope, name)
    return desk.page(request, "unit.html.j2", now=now, v=view, readonly=False)


async def unit_by_token(request: Request) -> Response:
    """A unit's own page, read-only, through its personal link; any other token opens nothing."""
    desk: Desk = request.app.state.desk
    name = access.unit_for_token(desk.store, desk.scope, request.path_params["token"])
    if name is None:
        return desk.page(
            request,
            "message.html.j2",
            status_code=404,
            title="链接无效",
            text="链接无效或已停用：请向协调人索取新的链接。",
        )
    now = desk.now()
    view = state.unit_view(desk.catalog, now, desk.store, desk.scope, name)
    return desk.page(request, "unit.html.j2", now=now, v=view, readonly=True)


async def _task(desk: Desk, request: Request) -> Response:
    try:
        rt = desk.catalog.task(request.path_params["task"])
    except KeyError:
        raise HTTPException(404, "没有这个任务") from None
    now = desk.now()
    return desk.page(request, "task.html.j2", now=now, v=state.task_view(desk.catalog, now, rt.id))


def _date_param(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


async def _audit(desk: Desk, request: Request) -> Response:
    p = request.query_params
    unit = desk.catalog.find_unit(p.get("unit") or "")
    kind = p.get("kind") if p.get("kind") in audit.KINDS else None
    since, until = _date_param(p.get("since")), _date_param(p.get("until"))
    rows = audit.entries(desk.store, desk.scope, unit=unit.name if unit else None, kind=kind, since=since, until=until)
    filters = {"unit": unit.name if unit else "", "kind": kind or "", "since": since or "", "until": until or ""}
    return desk.page(
        request, "audit.html.j2", rows=rows, filters=filters, kinds=audit.KINDS, units=list(desk.catalog.units)
    )


async def _reports(desk: Desk, request: Request) -> Response:
    root = Path(desk.home.reports)
    rows = [
        {"r": r, "href": r.html.relative_to(root).as_posix(), "xlsx": r.xlsx.relative_to(root).as_posix()}
        for r in list_reports(desk.home)
    ]
    return desk.page(request, "reports.html.j2", rows=list(reversed(rows)))


async def _report_file(desk: Desk, request: Request) -> Response:
    """A stored report file, read-only; nothing outside ``<home>/reports`` and only report files."""
    root = Path(desk.home.reports).resolve()
    target = (root / request.path_params["path"]).resolve()
    if not target.is_relative_to(root) or target.suffix not in REPORT_SUFFIXES or not target.is_file():
        raise HTTPException(404, "没有这个报告文件")
    return FileResponse(target)


# ---------------------------------------------------------------- actions
async def _recheck(desk: Desk, request: Request, form: Any) -> Response:
    if _start_recheck(desk, request, "开始"):
        _flash(request, "已开始重新检查，完成后本页自动更新")
    else:
        _flash(request, "检查正在进行，请稍候", "bad")
    return RedirectResponse(_safe_next(str(form.get("next") or "/")), status_code=303)


def _start_recheck(desk: Desk, request: Request, note: str) -> bool:
    """Start the background check for the logged-in coordinator (False: one is running)."""
    who = _user(request) or ""
    started = desk.rechecker.start(who)
    if started:
        audit.record(desk.store, desk.scope, who, "recheck", note)
    return started


async def _decide(desk: Desk, request: Request, form: Any) -> Response:
    name = _unit_name(desk, request.path_params["name"])
    back = RedirectResponse(f"/unit/{quote(name)}", status_code=303)
    kind = str(form.get("kind") or "")
    try:
        task, unit, rnd = decisions.resolve(
            desk.catalog,
            kind,
            str(form.get("task") or ""),
            name,
            _form_date(form.get("round"), "轮次日期"),
            _form_date(form.get("until"), "延期日期"),
        )
        file = str(form.get("file") or "")
        d = decisions.add(
            desk.store,
            desk.scope,
            kind,
            task,
            unit,
            str(form.get("note") or ""),
            round=rnd,
            until=_form_date(form.get("until"), "延期日期"),
            files=[file] if file else [],
            by=_user(request),
            at=desk.clock() if desk.clock else None,
        )
    except decisions.DecisionError as e:
        _flash(request, f"未记录：{e}", "bad")
        return back
    _flash(request, f"已记录决定 #{d.id}：{d.what} {d.task}（{d.unit}）")
    if d.kind == "reject":
        _flash(request, *_mail_rejection(desk, d))
    _recheck_after_extension(desk, request, d)
    return back


def _recheck_after_extension(desk: Desk, request: Request, d: decisions.Decision) -> None:
    """An extension (or its withdrawal) moves a due date the rules judge by, so the stored
    check is judged again at once — not left with yesterday's dates until the next run."""
    if d.kind != "extend":
        return
    try:
        desk.home.evidence_root()
    except SettingsError:
        _flash(request, "截止日期已变更：下次检查后按新日期判定（未设置共享文件夹，无法立即重新检查）", "bad")
        return
    if _start_recheck(desk, request, "开始（截止日期变更）"):
        _flash(request, "截止日期已变更：已开始重新检查，完成后本页自动更新")
    else:
        _flash(request, "截止日期已变更：正在进行的检查结束后，请再按一次“立即重新检查”", "bad")


def _form_date(value: Any, what: str) -> dt.date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise decisions.DecisionError(f"无法识别的{what} '{text}'：请写成 2021-06-20") from None


def _mail_rejection(desk: Desk, d: decisions.Decision) -> tuple[str, str]:
    from duban.notifications.decision_mail import send_rejection

    link = access.unit_link(desk.store, desk.scope, d.unit or "", desk.settings["base_url"])
    try:
        rec = send_rejection(desk.catalog, desk.home, d, link=link)
    except Exception as e:  # the decision stands; the coordinator is told the mail did not go
        return f"驳回通知未能发出：{e}", "bad"
    if rec.status in ("sent", "duplicate"):
        return f"已邮件通知 {d.unit}：{rec.subject}", "ok"
    return f"驳回通知未能立即发出（{rec.status}）：{rec.error or ''}", "bad"


async def _withdraw(desk: Desk, request: Request, form: Any) -> Response:
    decision_id = int(request.path_params["id"])
    try:
        note = str(form.get("note") or "")
        at = desk.clock() if desk.clock else None
        d = decisions.withdraw(desk.store, desk.scope, decision_id, note, by=_user(request), at=at)
        _flash(request, f"已撤销决定 #{d.id}：{d.what} {d.task}（{d.unit or '全部责任单位'}）")
    except decisions.DecisionError as e:
        _flash(request, f"未撤销：{e}", "bad")
    else:
        _recheck_after_extension(desk, request, d)
    return RedirectResponse(_safe_next(str(form.get("next") or "/")), status_code=303)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


# ---------------------------------------------------------------- the app
async def _errors(request: Request, exc: Exception) -> Response:
    desk: Desk = request.app.state.desk
    code = getattr(exc, "status_code", 500)
    text = getattr(exc, "detail", None) or "出错了"
    return desk.page(request, "message.html.j2", status_code=code, title=f"{code}", text=text)


class SecurityHeaders:
    """Pure ASGI middleware: the headers above on every response."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (k.lower().encode(), v.encode()) for k, v in HEADERS.items() if k.lower().encode() not in names
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    catalog: Any, home: Any, *, secret: bytes | None = None, clock: Callable[[], dt.datetime] | None = None
) -> Starlette:
    """The desk for one district's campaign. ``secret`` signs the session cookie (default: the
    server secret, else a random key: logins then last until the desk restarts); ``clock``
    fixes "now" (a demo of a past campaign), default the real time."""
    desk = Desk(catalog, home, clock)
    key = secret or access.server_secret() or secrets.token_bytes(32)
    routes = [
        Route("/", page(_overview)),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", action(_login, login=False), methods=["POST"]),
        Route("/logout", action(_logout, login=False), methods=["POST"]),
        Route("/unit/{name}", page(_unit)),
        Route("/unit/{name}/decide", action(_decide), methods=["POST"]),
        Route("/decision/{id:int}/withdraw", action(_withdraw), methods=["POST"]),
        Route("/task/{task}", page(_task)),
        Route("/audit", page(_audit)),
        Route("/reports", page(_reports)),
        Route("/reports/files/{path:path}", page(_report_file)),
        Route("/recheck", action(_recheck), methods=["POST"]),
        Route("/u/{token}", unit_by_token),
        Route("/healthz", healthz),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=key.hex(),
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_HOURS * 3600,
            same_site="strict",
        ),
    ]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: _errors})
    app.state.desk = desk
    return app
