"""How a composed message leaves: a file outbox of ``.eml`` files (the embedded default)
or an SMTP server through yagmail.

Transports raise :class:`TemporaryFailure` (retry later: connection refused, 4xx) or
:class:`PermanentFailure` (do not retry: refused address, bad login, TLS mismatch). They
never see, log or return the SMTP password in any message.

Settings (``<home>/settings.yaml``)::

    smtp:
      host: smtp.lixia.gov.cn
      port: 465              # default: 465 ssl, 587 starttls, 25 plain
      security: ssl          # ssl | starttls | plain
      user: duban@lixia.gov.cn
      from: duban@lixia.gov.cn     # optional, default: user
      sender_name: 历下区信用办督办  # optional display name
      timeout: 30
      verify: true           # false accepts a self-signed certificate

Environment variables override them: ``DUBAN_SMTP_HOST``, ``DUBAN_SMTP_PORT``,
``DUBAN_SMTP_USER``, ``DUBAN_SMTP_SECURITY``, ``DUBAN_SMTP_FROM``. The password comes from
``DUBAN_SMTP_PASSWORD`` or the system keyring (``keyring set duban <user>``), never from a file.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from duban.settings import SettingsError, check_keys
from duban.settings import load as load_settings

KEYRING_SERVICE = "duban"
PASSWORD_ENV = "DUBAN_SMTP_PASSWORD"  # noqa: S105 (the name of the variable, not a password)
SMTP_KEYS = ("host", "port", "security", "user", "from", "sender_name", "timeout", "verify")
SECURITY_PORTS = {"ssl": 465, "starttls": 587, "plain": 25}


# ---------------------------------------------------------------- errors
class DeliveryError(Exception):
    temporary = False

    def __init__(
        self,
        message: str,
        *,
        category: str,
        code: int | None = None,
        refused: dict[str, tuple[int, str]] | None = None,
    ):
        super().__init__(message)
        self.category = category  # connection | recipient | sender | auth | config | data | io
        self.code = code
        self.refused = dict(refused or {})  # recipient -> (SMTP code, reply), when recipients were refused


class TemporaryFailure(DeliveryError):
    """Try again later (and keep the message queued meanwhile)."""

    temporary = True


class PermanentFailure(DeliveryError):
    """Retrying the same message will not help: record it and tell the coordinator."""


UNCERTAIN = (
    "发送结果不确定：邮件内容已发给服务器，但没有收到确认（{why}）。可能已经送达，"
    "为避免重复不再自动重发；请协调人向该单位核实，需要时运行 duban remind 重新发送"
)


def uncertain(why: str) -> PermanentFailure:
    """The server may have the message: never retry it (SMTP is not transactional)."""
    return PermanentFailure(UNCERTAIN.format(why=why), category="uncertain")


@dataclass
class Delivered:
    eml_path: str | None = None
    refused: dict[str, str] = field(default_factory=dict)  # address -> server reply, when some were refused
    codes: dict[str, int] = field(default_factory=dict)  # address -> SMTP code of its refusal

    def temporary(self) -> list[str]:
        """Refused recipients worth trying again (4xx: mailbox busy, greylisting, quota)."""
        return [a for a, c in self.codes.items() if 400 <= c < 500]


def is_temporary(code: int | None) -> bool:
    return code is not None and 400 <= code < 500


@runtime_checkable
class Transport(Protocol):
    name: str
    sender: str | None  # the From address, when the transport knows it

    def deliver(self, message: bytes, from_addr: str, recipients: list[str], *, filename: str) -> Delivered: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- the file outbox
_WINDOWS_BAD = re.compile(r'[<>:"\\|?*\x00-\x1f\x7f]')
_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?$", re.IGNORECASE)


def outbox_name(filename: str) -> str:
    """``filename`` (``/``-separated) as a path a Windows share accepts: the characters Windows
    refuses (``<>:"\\|?*``, control characters) become ``_``, no part ends in a dot or space,
    and no part is a reserved device name (``CON``, ``NUL``, ``COM1`` ...)."""
    parts = []
    for part in filename.split("/"):
        part = _WINDOWS_BAD.sub("_", part).rstrip(". ") or "_"
        parts.append("_" + part if _WINDOWS_RESERVED.match(part) else part)
    return "/".join(parts)


class FileOutbox:
    """Writes each message as ``<outbox>/<filename>`` (.eml, openable in any mail program),
    the name made safe for a Windows share (:func:`outbox_name`)."""

    name = "outbox"

    def __init__(self, directory: Path | str, *, sender: str | None = None, sender_name: str | None = None):
        self.directory = Path(directory)
        self.sender = sender
        self.sender_name = sender_name

    def delivered(self, filename: str) -> str | None:
        """The .eml already written for this message, if any (settles an interrupted run)."""
        path = self.directory / outbox_name(filename)
        return str(path) if path.exists() else None

    def deliver(self, message: bytes, from_addr: str, recipients: list[str], *, filename: str) -> Delivered:
        path = self.directory / outbox_name(filename)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(message)
            os.replace(tmp, path)
        except OSError as e:
            raise TemporaryFailure(f"无法写入发件箱 {path}：{e.strerror or e}", category="io") from None
        return Delivered(eml_path=str(path))

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"FileOutbox({str(self.directory)!r})"


# ---------------------------------------------------------------- SMTP via yagmail
def _code_kind(code: int | None) -> type[DeliveryError]:
    return TemporaryFailure if code is not None and 400 <= code < 500 else PermanentFailure


def _reply(code: int | None, msg: Any) -> str:
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    return f"{code} {text}".strip()


class SmtpTransport:
    """SMTP through a yagmail connection, kept open for the whole run."""

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int | None = None,
        security: str = "ssl",
        user: str | None = None,
        password: str | None = None,
        *,
        sender: str | None = None,
        sender_name: str | None = None,
        timeout: float = 30,
        verify: bool = True,
    ):
        if security not in SECURITY_PORTS:
            raise ValueError(f"security 只能是 ssl、starttls 或 plain，不能是 '{security}'")
        self.host = host
        self.port = int(port) if port else SECURITY_PORTS[security]
        self.security = security
        self.user = user or None
        self.sender = sender or user
        self.sender_name = sender_name
        self.timeout = timeout
        self.verify = verify
        self.__password = password  # name-mangled; never in repr, logs or records
        self._client = None

    def __repr__(self) -> str:
        return f"SmtpTransport({self.host}:{self.port}, {self.security}, user={self.user!r})"

    # -- credentials
    def _password(self) -> str | None:
        if self.__password:
            return self.__password
        env = os.environ.get(PASSWORD_ENV)
        if env:
            return env
        if not self.user:
            return None
        try:
            import keyring

            return keyring.get_password(KEYRING_SERVICE, self.user)
        except Exception:  # no keyring backend on this server: same as no entry
            return None

    def scrub(self, text: str) -> str:
        """Remove the password from any text before it is shown or stored."""
        pw = self._password()
        return text.replace(pw, "***") if pw else text

    # -- connection
    def _connect(self):
        if self._client is not None:
            return self._client
        import yagmail

        password = None
        if self.user:
            password = self._password()
            if not password:
                raise PermanentFailure(
                    f"没有找到 SMTP 用户 {self.user} 的密码：设置环境变量 {PASSWORD_ENV}，"
                    f"或在本机执行 keyring set {KEYRING_SERVICE} {self.user}",
                    category="auth",
                )
        kwargs: dict[str, Any] = {"timeout": self.timeout}
        starttls: bool | dict = self.security == "starttls"
        if not self.verify:
            ctx = ssl._create_unverified_context()  # noqa: S323 (smtp.verify: false, an explicit office choice for an internal relay)
            if self.security == "ssl":
                kwargs["context"] = ctx
            elif starttls:
                starttls = {"context": ctx}
        client = yagmail.SMTP(
            user=self.user or "",
            password=password,
            host=self.host,
            port=self.port,
            smtp_ssl=self.security == "ssl",
            smtp_starttls=starttls,
            smtp_skip_login=not self.user,
            soft_email_validation=False,
            **kwargs,
        )
        where = f"{self.host}:{self.port}"
        try:
            client.login()
        except smtplib.SMTPAuthenticationError as e:
            self._drop(client)
            raise PermanentFailure(
                f"SMTP 登录被拒绝（{_reply(e.smtp_code, e.smtp_error)}）：检查用户名 {self.user} 和密码",
                category="auth",
                code=e.smtp_code,
            ) from None
        except smtplib.SMTPNotSupportedError as e:
            self._drop(client)
            raise PermanentFailure(
                f"SMTP 服务器 {where} 不支持所需功能（{e}）：检查 security 设置（ssl/starttls/plain）",
                category="config",
            ) from None
        except ssl.SSLError as e:
            self._drop(client)
            raise PermanentFailure(
                f"与 {where} 的 TLS 握手失败（{e.reason or e}）：检查 security 设置"
                f"（465 端口一般为 ssl，587 为 starttls）",
                category="config",
            ) from None
        except smtplib.SMTPResponseException as e:
            self._drop(client)
            kind = _code_kind(e.smtp_code)
            raise kind(
                f"SMTP 服务器 {where} 拒绝连接：{_reply(e.smtp_code, e.smtp_error)}",
                category="connection" if kind is TemporaryFailure else "config",
                code=e.smtp_code,
            ) from None
        except (OSError, smtplib.SMTPException) as e:
            self._drop(client)
            raise TemporaryFailure(
                f"无法连接 SMTP 服务器 {where}：{self.scrub(str(e)) or type(e).__name__}", category="connection"
            ) from None
        self._client = client
        return client

    @staticmethod
    def _drop(client) -> None:
        try:
            if client.smtp is not None:
                client.smtp.close()
        except Exception:  # noqa: S110 (closing a broken connection)
            pass
        client.is_closed = True

    def delivered(self, filename: str) -> str | None:
        return None  # an SMTP server cannot be asked

    def deliver(self, message: bytes, from_addr: str, recipients: list[str], *, filename: str) -> Delivered:
        client = self._connect()
        try:
            refused = _sendmail(client.smtp, from_addr, recipients, message)
        except _AfterData as e:
            self._reset()
            raise uncertain(self.scrub(str(e.__cause__ or e)) or "连接中断") from None
        except smtplib.SMTPRecipientsRefused as e:
            refused = {a: (c, _reply(c, m)) for a, (c, m) in e.recipients.items()}
            # temporary when any refusal is (the caller retries those recipients, fails the others)
            kind = TemporaryFailure if any(is_temporary(c) for c, _ in refused.values()) else PermanentFailure
            raise kind(
                "收件地址被拒收：" + "；".join(f"{a}（{r}）" for a, (_, r) in refused.items()),
                category="recipient",
                code=max(c for c, _ in refused.values()) if refused else None,
                refused=refused,
            ) from None
        except smtplib.SMTPSenderRefused as e:
            raise _code_kind(e.smtp_code)(
                f"发件地址 {from_addr} 被拒绝：{_reply(e.smtp_code, e.smtp_error)}", category="sender", code=e.smtp_code
            ) from None
        except smtplib.SMTPServerDisconnected as e:
            self._reset()
            raise TemporaryFailure(f"SMTP 连接中断：{e}", category="connection") from None
        except smtplib.SMTPResponseException as e:
            raise _code_kind(e.smtp_code)(
                f"SMTP 服务器拒绝了这封邮件：{_reply(e.smtp_code, e.smtp_error)}", category="data", code=e.smtp_code
            ) from None
        except (OSError, smtplib.SMTPException) as e:
            self._reset()
            raise TemporaryFailure(
                f"发送时网络错误：{self.scrub(str(e)) or type(e).__name__}", category="connection"
            ) from None
        refused = refused or {}
        return Delivered(
            refused={a: _reply(c, m) for a, (c, m) in refused.items()}, codes={a: c for a, (c, _) in refused.items()}
        )

    def _reset(self) -> None:
        if self._client is not None:
            self._drop(self._client)
        self._client = None

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.smtp.quit()
            except Exception:  # noqa: S110 (the server went away first)
                pass
            self._reset()


class _AfterData(Exception):
    """The message content was (being) sent when the connection failed."""


def _sendmail(smtp: smtplib.SMTP, from_addr: str, recipients: list[str], message: bytes) -> dict:
    """``smtplib.SMTP.sendmail`` with one difference: a failure after the content has gone to
    the server raises :class:`_AfterData`, so the caller never retries a message the server
    may already have accepted. Refusals before that behave exactly as in smtplib."""
    smtp.ehlo_or_helo_if_needed()
    code, resp = smtp.mail(from_addr)
    if code != 250:
        smtp._rset() if hasattr(smtp, "_rset") else smtp.rset()
        raise smtplib.SMTPSenderRefused(code, resp, from_addr)
    refused = {}
    for rcpt in recipients:
        code, resp = smtp.rcpt(rcpt)
        if code not in (250, 251):
            refused[rcpt] = (code, resp)
    if len(refused) == len(recipients):
        smtp.rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    code, resp = smtp.docmd("data")
    if code != 354:
        smtp.rset()
        raise smtplib.SMTPDataError(code, resp)
    body = re.sub(rb"(?m)^\.", b"..", message)
    if body[-2:] != b"\r\n":
        body += b"\r\n"
    try:
        smtp.send(body + b".\r\n")
        code, resp = smtp.getreply()
    except (OSError, smtplib.SMTPException) as e:
        raise _AfterData(str(e) or type(e).__name__) from e
    if code != 250:
        smtp.rset()
        raise smtplib.SMTPDataError(code, resp)
    return refused


# ---------------------------------------------------------------- from settings
def smtp_settings(home: Any) -> dict[str, Any]:
    """The ``smtp:`` section of settings.yaml with the environment applied (no password)."""
    settings = load_settings(Path(getattr(home, "settings_file", home)))
    settings_file = settings.file
    cfg = settings.section("smtp")
    if "password" in cfg:
        raise SettingsError(
            settings_file,
            "smtp 部分不能写 password（密码不得保存在文件里）",
            f"删除 password 一行，改用环境变量 {PASSWORD_ENV}，或执行 keyring set {KEYRING_SERVICE} 用户名",
        )
    check_keys(cfg, SMTP_KEYS, file=settings_file, where="smtp")
    for key in ("host", "port", "user", "security", "from"):
        value = os.environ.get(f"DUBAN_SMTP_{key.upper()}")
        if value:
            cfg[key] = value
    security = str(cfg.get("security") or "ssl").lower()
    if security not in SECURITY_PORTS:
        raise SettingsError(
            settings_file,
            f"smtp.security 的值 '{cfg.get('security')}' 不合适",
            "只能是 ssl（465 端口）、starttls（587 端口）或 plain（25 端口，仅限内网中继）",
        )
    cfg["security"] = security
    if cfg.get("port") not in (None, ""):
        try:
            cfg["port"] = int(cfg["port"])
        except (TypeError, ValueError):
            raise SettingsError(settings_file, f"smtp.port 的值 '{cfg['port']}' 不是数字", "写端口号，如 465") from None
    return cfg


def transport_from_settings(home: Any) -> Transport:
    """SMTP when a host is configured (settings.yaml or DUBAN_SMTP_HOST), else the file outbox."""
    cfg = smtp_settings(home)
    if not cfg.get("host"):
        return FileOutbox(home.outbox, sender=cfg.get("from") or cfg.get("user"), sender_name=cfg.get("sender_name"))
    return SmtpTransport(
        str(cfg["host"]),
        cfg.get("port"),
        cfg["security"],
        cfg.get("user"),
        sender=cfg.get("from"),
        sender_name=cfg.get("sender_name"),
        timeout=float(cfg.get("timeout") or 30),
        verify=bool(cfg.get("verify", True)),
    )
