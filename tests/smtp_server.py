"""A real SMTP server on loopback (aiosmtpd) that records what it receives, and check
results built from the real catalog, for the reminder tests.

The server listens on a socket bound to port 0 before it starts (no port is guessed). The
``smtp_server`` fixture itself is in ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import socket
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from duban.results import CheckResult, Obligation
from duban.timeutil import TZ


# ---------------------------------------------------------------- the SMTP server
class _BoundController(Controller):
    """aiosmtpd's controller on a socket we bound ourselves (port 0: the OS picks a free one)."""

    def __init__(self, handler, **kwargs):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        super().__init__(handler, hostname="127.0.0.1", port=self._sock.getsockname()[1], **kwargs)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def to(self) -> list[str]:
        return [a.addr_spec for a in self.message["To"].addresses]

    @property
    def cc(self) -> list[str]:
        return [a.addr_spec for a in self.message["Cc"].addresses] if self.message["Cc"] else []

    @property
    def kind(self) -> str:
        return str(self.message["X-Duban-Kind"])

    @property
    def unit(self) -> str:
        return str(self.message["X-Duban-Unit"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


@dataclass
class Recorder:
    """The aiosmtpd handler: keeps every accepted message; refuses chosen addresses."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> SMTP reply, e.g. '550 no such user'
    refused_attempts: list[str] = field(default_factory=list)
    slow_for: dict[str, float] = field(default_factory=dict)  # address -> seconds to wait before the final reply
    # address -> [times, reply]: refused this many more times (a temporary 4xx: a full mailbox, greylisting)
    refuse_times: dict[str, list] = field(default_factory=dict)
    refuse_everyone: str | None = None  # every RCPT gets this reply (a server refusing everything for now)
    rcpt_attempts: list[str] = field(default_factory=list)  # every RCPT the server was asked

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_attempts.append(address)
        if self.refuse_everyone:
            self.refused_attempts.append(address)
            return self.refuse_everyone
        if address in self.refuse:
            self.refused_attempts.append(address)
            return self.refuse[address]
        left = self.refuse_times.get(address)
        if left and left[0] > 0:
            left[0] -= 1
            self.refused_attempts.append(address)
            return left[1]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email_policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, msg))
        delay = max((self.slow_for.get(a, 0.0) for a in envelope.rcpt_tos), default=0.0)
        if delay:  # the content is here, the reply comes too late for the client
            await asyncio.sleep(delay)
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, *, password: str | None = None):
        self.recorder = Recorder()
        self.password = password
        self.logins: list[tuple[str, bool, object]] = []  # (user, accepted, client peer)
        kwargs = {}
        if password is not None:
            kwargs = {"authenticator": self._auth, "auth_require_tls": False}
        self.controller = _BoundController(self.recorder, **kwargs)
        self.port = self.controller.port

    def _auth(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == self.password
        self.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "", ok, session.peer))
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[Received]:
        return self.recorder.messages

    def to_units(self) -> list[Received]:
        return [m for m in self.messages if m.kind in ("upcoming", "overdue", "escalation")]

    def of_kind(self, kind: str) -> list[Received]:
        return [m for m in self.messages if m.kind == kind]

    def for_unit(self, unit: str) -> list[Received]:
        return [m for m in self.to_units() if m.unit == unit]

    def transport(self, **kw):
        from duban.notifications import SmtpTransport

        return SmtpTransport("127.0.0.1", self.port, "plain", **kw)


def closed_port_transport():
    """An SMTP transport to a loopback port nothing listens on (the server is down): the port
    is held bound, never listening, while the test runs."""
    from duban.notifications import SmtpTransport

    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    transport = SmtpTransport("127.0.0.1", holder.getsockname()[1], "plain", timeout=2)
    transport._port_holder = holder  # closed with the transport object
    return transport


# ---------------------------------------------------------------- check results
D = dt.date
PROBLEM_D20 = "台账有效数据 150 条，要求不少于 200 条"


def make_evidence_root(tmp_path: Path) -> Path:
    """A shared folder with a few files in it (the guard sees a healthy root)."""
    root = tmp_path / "共享" / "信用示范创建"
    for rel in (
        "区工信局/20-仓储物流数据归集/第二轮/仓储物流台账.xlsx",
        "区发改局/12-诚信建设万里行宣传活动（区直）/说明.txt",
        "区行政审批局/07-告知承诺制及信用承诺归集/说明.txt",
        "区财政局/06-信用制度文件梳理修订/制度清单.docx",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x")
    return root


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def june18_result(root: Path | str) -> CheckResult:
    """The check of 2021-06-18 (Friday) 09:00, as a coordinator would see it.

    - 区工信局 owes D20 round 2 (due 6-12, ledger short by 50 rows), D26 (due 6-15, nothing)
      and D20 round 3 (due 6-20): overdue by 4 working days -> escalation (in the coordinator's digest);
    - 区发改局 owes D12 (due 6-20; supported by 区商务局, 区工信局, 区市场监管局) -> upcoming; each
      supporting unit gets a 配合提醒 listing D12 only;
    - 区行政审批局 owes D07 round 1 (due 6-10) -> escalation;
    - 解放路街道 owes S02 due today (6-18 is not a reminder day for it) -> no mail;
    - 区财政局 D06 ok, 区发改局 D01 done, D14 confirm, D09/D17 unassigned -> never mailed.
    """
    O = Obligation  # noqa: E741 (reads like a table)
    return CheckResult(
        at(D(2021, 6, 18)),
        str(root),
        [
            O(
                "D20",
                "区工信局",
                D(2021, 6, 4),
                D(2021, 6, 4),
                "ok",
                [],
                ["区工信局/20-仓储物流数据归集/第一轮/a.xlsx"],
            ),
            O(
                "D20",
                "区工信局",
                D(2021, 6, 12),
                D(2021, 6, 12),
                "partial",
                [PROBLEM_D20],
                ["区工信局/20-仓储物流数据归集/第二轮/仓储物流台账.xlsx"],
            ),
            O("D20", "区工信局", D(2021, 6, 20), D(2021, 6, 20), "pending"),
            O("D26", "区工信局", D(2021, 6, 15), D(2021, 6, 15), "missing", ["未见有效问卷回收台账"]),
            O("D12", "区发改局", D(2021, 6, 20), D(2021, 6, 20), "pending"),
            O("D01", "区发改局", None, None, "done"),
            O("D07", "区行政审批局", D(2021, 6, 10), D(2021, 6, 10), "missing", ["未报送告知承诺制工作总结"]),
            O(
                "D06",
                "区财政局",
                D(2021, 6, 20),
                D(2021, 6, 20),
                "ok",
                [],
                ["区财政局/06-信用制度文件梳理修订/制度清单.docx"],
            ),
            O("S02", "解放路街道", D(2021, 6, 18), D(2021, 6, 18), "pending"),
            O("D14", "区委组织部", D(2021, 6, 23), D(2021, 6, 23), "confirm"),
            O("D09", None, None, None, "unassigned"),
            O("D17", None, None, None, "unassigned"),
            O("D04", "区财政局", None, None, "ongoing"),
        ],
    )


# what june18_result mails: three unit reminders, three 配合提醒 to D12's supporting units, the digest
JUNE18_MESSAGES = 7


def single_item_result(
    root, *, task: str, unit: str, due: dt.date, status: str, as_of: dt.date, problems: list[str] | None = None
) -> CheckResult:
    return CheckResult(at(as_of), str(root), [Obligation(task, unit, due, due, status, problems or [])])


def fast_policy(**overrides):
    """The packaged policy with no waiting between retries (tests)."""
    from duban.notifications import load_policy

    return load_policy(None, {"retry_delays": [0, 0], **overrides})
