"""Render a reminder (Jinja2, sandboxed) and compose the MIME message (text + HTML).

Templates are searched in ``<home>/templates/`` first (the coordinator's copies), then in
the packaged ``templates/``. They run in ``jinja2.sandbox.SandboxedEnvironment`` with
autoescaping for the HTML part, control characters of outside text made visible in every part
(``duban.escape``), and undefined variables as errors. A coordinator's
template that fails to render does not stop the round: the packaged template is used and
a warning says which file to fix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from duban.escape import visible
from duban.timeutil import TZ

from . import workdays

PACKAGED = Path(__file__).with_name("templates")
PARTS = (("subject", "subject.j2"), ("text", "txt.j2"), ("html", "html.j2"))


def _autoescape(name: str | None) -> bool:
    return name is not None and (".html" in name or ".htm" in name)


def _shown(value: Any) -> Any:
    """Every ``{{ }}`` of a template: text from outside (file names in problems, paths) with its
    control characters made visible (``duban.escape``); markup already escaped stays markup."""
    if isinstance(value, Markup):  # escaped already; visible() adds no markup character
        return Markup(visible(value))  # noqa: S704
    return visible(value) if isinstance(value, str) else value


def _env(paths: list[Path]) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader([str(p) for p in paths]),
        autoescape=_autoescape,
        finalize=_shown,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cn_date"] = lambda d, weekday=False: workdays.cn_date(d, weekday=weekday)
    return env


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class Renderer:
    def __init__(self, home: Any = None):
        self.override_dir: Path | None = None
        if home is not None:
            d = Path(getattr(home, "root", home)) / "templates"
            self.override_dir = d if d.is_dir() else None
        paths = ([self.override_dir] if self.override_dir else []) + [PACKAGED]
        self.env = _env(paths)
        self.builtin = _env([PACKAGED]) if self.override_dir else self.env
        self.warnings: list[str] = []

    def render(self, kind: str, context: dict[str, Any]) -> Rendered:
        out: dict[str, str] = {}
        for part, suffix in PARTS:
            name = f"{kind}.{suffix}"
            try:
                out[part] = self.env.get_template(name).render(context)
            except Exception as e:
                if self.builtin is self.env or not isinstance(
                    e, (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError)
                ):
                    raise
                where = getattr(e, "filename", None) or str((self.override_dir or PACKAGED) / name)
                lineno = getattr(e, "lineno", None)
                line = f"第 {lineno} 行" if lineno else ""
                warning = (
                    f"自定义模板 {where} {line}有误（{getattr(e, 'message', None) or e}）："
                    f"本次改用内置模板，请修改或删除该文件"
                )
                if warning not in self.warnings:
                    self.warnings.append(warning)
                out[part] = self.builtin.get_template(name).render(context)
        subject = re.sub(r"\s+", " ", out["subject"]).strip()
        text = re.sub(r"\n{3,}", "\n\n", out["text"]).strip() + "\n"
        return Rendered(subject, text, out["html"])


# ---------------------------------------------------------------- the MIME message
def _address(name: str, addr: str) -> Address:
    return Address(display_name=name or "", addr_spec=addr)


def content_hash(*, to: list[str], cc: list[str], rendered: Rendered) -> str:
    """What makes two reminders "the same": recipients, subject and both bodies."""
    blob = json.dumps([sorted(to), sorted(cc), rendered.subject, rendered.text, rendered.html], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def compose(
    rendered: Rendered,
    *,
    to: list[tuple[str, str]],
    cc: list[tuple[str, str]],
    sender: str,
    sender_name: str | None,
    reply_to: list[tuple[str, str]],
    kind: str,
    unit: str,
    day: dt.date,
) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = rendered.subject
    msg["From"] = _address(sender_name or "", sender)
    msg["To"] = [_address(n, a) for n, a in to]
    if cc:
        msg["Cc"] = [_address(n, a) for n, a in cc]
    if reply_to and {a for _, a in reply_to} != {sender}:
        msg["Reply-To"] = [_address(n, a) for n, a in reply_to]
    msg["Date"] = format_datetime(dt.datetime.now(TZ).replace(microsecond=0))
    msg["Message-ID"] = make_msgid("duban", domain=sender.rpartition("@")[2] or None)
    msg["X-Duban-Kind"] = kind
    msg["X-Duban-Unit"] = unit
    msg["X-Duban-Day"] = day.isoformat()
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text, charset="utf-8", cte="base64")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="base64")
    return msg
