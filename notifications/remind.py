"""A reminder run: guard -> plan -> render -> deliver (with retries) -> sent-log -> digest.

This is the only module that has side effects on mail and the store; the public API in
``notifications/__init__.py`` is defined here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from duban import access
from duban.evidence import store as evstore
from duban.evidence.skeleton import placed_forms
from duban.results import CheckResult
from duban.statuses import KIND_LABELS, OPEN_STATUSES
from duban.store import Store, scope_of
from duban.timeutil import TZ, local

from . import workdays
from .guard import GuardResult, evaluate
from .outcome import ReminderRecord, RemindOutcome
from .plan import UnitPlan, coordinator_addresses, digest_context, plan_units
from .policy import Policy, load_policy
from .render import Rendered, Renderer, compose, content_hash
from .sentlog import Key, SentLog, family_of
from .settings import display_root
from .transport import (
    Delivered,
    DeliveryError,
    PermanentFailure,
    TemporaryFailure,
    Transport,
    is_temporary,
    transport_from_settings,
)

log = logging.getLogger("duban.notifications")


# ---------------------------------------------------------------- delivery with retries
DOWN_AFTER = 3  # messages in a row refused only for now (4xx): the server is treated as down


class _Tried:
    """What the tries of one message reached: recipients that got it, refused for good, waiting."""

    def __init__(self) -> None:
        self.got: list[str] = []
        self.refused: dict[str, str] = {}  # for good: address -> the server's reply
        self.waiting: dict[str, str] = {}  # only for now, at the last try
        self.eml_path: str | None = None

    def delivered(self, todo: list[str], d: Delivered) -> None:
        self.got += [a for a in todo if a not in d.refused and a not in self.got]
        self.eml_path = d.eml_path or self.eml_path
        temporary = set(d.temporary())
        self.waiting = {a: r for a, r in d.refused.items() if a in temporary}
        self.refused.update({a: r for a, r in d.refused.items() if a not in temporary})

    def refusals(self, refused: dict[str, tuple[int, str]]) -> None:
        self.waiting = {a: r for a, (c, r) in refused.items() if is_temporary(c)}
        self.refused.update({a: r for a, (c, r) in refused.items() if not is_temporary(c)})

    def notes(self, attempts: int, *, sent: bool = False) -> str:
        parts = []
        if self.refused:
            lead = "部分收件人被拒收：" if sent else "收件地址被拒收："
            parts.append(lead + "；".join(f"{a}（{r}）" for a, r in self.refused.items()))
        if self.waiting:
            parts.append(
                f"收件地址暂时拒收（已尝试 {attempts} 次）："
                + "；".join(f"{a}（{r}）" for a, r in self.waiting.items())
            )
        return "；".join(parts)


def _still_to_reach(row, recipients: list[str]) -> list[str]:
    """A queued message that some recipients already got goes only to the others."""
    pending = json.loads(row["pending_rcpts"]) if row["pending_rcpts"] else None
    return [a for a in recipients if a in pending] if pending else recipients


class Deliverer:
    """Sends composed messages through one transport, settling each in the sent-log."""

    def __init__(
        self,
        sentlog: SentLog,
        transport: Transport,
        policy: Policy,
        outcome: RemindOutcome,
        *,
        dry_run: bool = False,
        sleep=time.sleep,
    ):
        self.log, self.transport, self.policy, self.outcome = sentlog, transport, policy, outcome
        self.dry_run = dry_run
        self.sleep = sleep
        self.down: str | None = None  # the server is unreachable: queue the rest without trying
        self.broken: PermanentFailure | None = None  # bad login / TLS set-up: fail the rest without trying
        self.new_failures: list[ReminderRecord] = []
        self.handled: set[int] = set()  # sent-log rows this run already dealt with
        self.temporary_streak = 0  # messages in a row the server refused only for now (4xx)
        if not dry_run:  # rows a crashed run left half-sent: settled, never resent blindly
            sentlog.settle_interrupted(getattr(transport, "delivered", lambda filename: None))

    def _scrub(self, text: str) -> str:
        scrub = getattr(self.transport, "scrub", None)
        return scrub(text) if scrub else text

    def send(
        self,
        *,
        unit: str,
        kind: str,
        day: dt.date,
        rendered: Rendered,
        to: list[tuple[str, str]],
        cc: list[tuple[str, str]],
        sender: str,
        sender_name: str | None,
        reply_to: list[tuple[str, str]],
        items: int = 0,
        dedupe: str | None = None,
        supersede: bool = False,
        source: str | None = None,
    ) -> ReminderRecord:
        to_addrs, cc_addrs = [a for _, a in to], [a for _, a in cc]
        rec = ReminderRecord(
            unit,
            kind,
            to_addrs,
            cc_addrs,
            rendered.subject,
            "skipped",
            day=day,
            items=items,
            preview="\n".join(rendered.text.splitlines()[:8]),
        )
        self.outcome.messages.append(rec)
        if not to_addrs:
            rec.error = "没有收件地址"
            return rec
        key = Key(unit, kind, day, dedupe or content_hash(to=to_addrs, cc=cc_addrs, rendered=rendered))
        if self.dry_run:
            row = self.log.find(key)
            rec.status = "duplicate" if row is not None and self.log.already_sent(row) else "dry-run"
            return rec
        try:
            msg = compose(
                rendered,
                to=to,
                cc=cc,
                sender=sender,
                sender_name=sender_name,
                reply_to=reply_to,
                kind=kind,
                unit=unit,
                day=day,
            )
        except Exception as e:  # an address the mail format cannot carry: this message only
            rec.status, rec.error = "failed", f"无法生成邮件（{e}）：检查 units.yaml 中 {unit} 的邮箱地址"
            self.new_failures.append(rec)
            return rec
        filename = f"{day.isoformat()}/{day.isoformat()}_{kind}_{unit}_{key.content_hash[:10]}.eml"
        claim = self.log.claim(
            key,
            to=to_addrs,
            cc=cc_addrs,
            subject=rendered.subject,
            sender=sender,
            items=items,
            message=msg.as_bytes(),
            filename=filename,
            source=source,
        )
        rec.log_id = claim.row["id"]
        self.handled.add(claim.row["id"])
        if claim.action == "duplicate":
            rec.status, rec.eml_path = "duplicate", claim.row["eml_path"]
            return rec
        if claim.action == "busy":
            rec.status, rec.error = "duplicate", "另一个进程正在发送这封提醒"
            return rec
        if claim.action == "failed":
            rec.status, rec.error = "failed", claim.row["error"]
            return rec
        if supersede:
            self.log.supersede(unit, family_of(kind), keep={claim.row["id"]})
        recipients = _still_to_reach(claim.row, to_addrs + cc_addrs)
        self._attempt(claim.row["id"], claim.message, sender, recipients, claim.row["filename"], rec)
        return rec

    def send_row(self, row) -> ReminderRecord:
        """Deliver a queued row of the sent-log (flush_queue)."""
        rec = ReminderRecord(
            row["unit"],
            row["kind"],
            json.loads(row["to_addrs"]),
            json.loads(row["cc_addrs"]),
            row["subject"],
            "skipped",
            day=dt.date.fromisoformat(row["day"]),
            items=row["items"],
            log_id=row["id"],
        )
        self.outcome.messages.append(rec)
        self.handled.add(row["id"])
        claim = self.log.claim_row(row["id"])
        if claim.action != "send":
            rec.status = "duplicate" if claim.action in ("duplicate", "busy") else claim.action
            rec.error = claim.row["error"] if claim.action == "failed" else None
            return rec
        recipients = _still_to_reach(claim.row, rec.to + rec.cc)
        self._attempt(row["id"], claim.message, row["sender"], recipients, row["filename"], rec)
        return rec

    def _attempt(
        self,
        row_id: int,
        message: bytes,
        sender: str,
        recipients: list[str],
        filename: str,
        rec: ReminderRecord,
    ) -> None:
        """Deliver, retrying what is temporary: the whole message (connection, 4xx on MAIL or
        DATA), or only the recipients the server refused for now (4xx on RCPT) — the others
        are never sent the message twice."""
        if self.broken is not None:
            self._failed(row_id, rec, self.broken, attempts=0)
            return
        if self.down is not None:
            rec.status, rec.error = "queued", self.down
            self.log.mark_queued(row_id, attempts=0, error=self.down, category="connection")
            return
        delays = list(self.policy.retry_delays)
        todo, tried = list(recipients), _Tried()
        attempts = 0
        while True:
            attempts += 1
            try:
                delivered = self.transport.deliver(message, sender, todo, filename=filename)
            except DeliveryError as e:
                if not e.refused:  # the whole message
                    if isinstance(e, TemporaryFailure) and attempts <= len(delays):
                        log.info("临时故障，%s 秒后重试（%s）：%s", delays[attempts - 1], rec.unit, self._scrub(str(e)))
                        self.sleep(delays[attempts - 1])
                        continue
                    self._whole_message_failed(row_id, rec, e, attempts, todo)
                    return
                tried.refusals(e.refused)  # every recipient of this try was refused
            except Exception as e:  # anything unforeseen costs this message, never the whole run
                self._failed(
                    row_id,
                    rec,
                    PermanentFailure(f"发送时出错：{type(e).__name__}: {e}", category="data"),
                    attempts=attempts,
                )
                return
            else:
                tried.delivered(todo, delivered)
            todo = list(tried.waiting)
            if not todo or attempts > len(delays):
                break
            log.info("收件人暂时拒收，%s 秒后只重发给他们（%s）：%s", delays[attempts - 1], rec.unit, "、".join(todo))
            self.sleep(delays[attempts - 1])
        self._settle(row_id, rec, tried, attempts)

    def _whole_message_failed(
        self, row_id: int, rec: ReminderRecord, e: DeliveryError, attempts: int, todo: list[str]
    ) -> None:
        if isinstance(e, PermanentFailure):
            if e.category in ("auth", "config", "sender"):
                self.broken = e
            self._failed(row_id, rec, e, attempts=attempts)
            return
        error = self._scrub(str(e)) + f"（已尝试 {attempts} 次，留在队列，下次运行再发）"
        rec.status, rec.error = "queued", error
        self.log.mark_queued(row_id, attempts=attempts, error=error, category=e.category)
        if e.category in ("connection", "io"):
            self.down = error
        else:
            self._refused_for_now()
        log.warning("提醒排队待重发（%s，%s）：%s", rec.unit, rec.kind, error)

    def _refused_for_now(self) -> None:
        """One more message the server only refused for now; after a few in a row it is down."""
        self.temporary_streak += 1
        if self.temporary_streak >= DOWN_AFTER and self.down is None:
            self.down = (
                f"邮件服务器连续 {self.temporary_streak} 封邮件都回复暂时拒绝（4xx），视为暂时不可用："
                "其余邮件留在队列，下次运行再发"
            )

    def _settle(self, row_id: int, rec: ReminderRecord, tried: _Tried, attempts: int) -> None:
        """Sent when the unit itself got it; queued (for the waiting recipients only) when its
        address refused only for now; failed when its address was refused for good."""
        notes = tried.notes(attempts)
        if any(a in tried.got for a in rec.to) or (tried.got and not rec.to):
            self.temporary_streak = 0
            notes = tried.notes(attempts, sent=True)
            rec.status, rec.eml_path, rec.error = "sent", tried.eml_path, notes or None
            self.log.mark_sent(
                row_id, attempts=attempts, eml_path=tried.eml_path, note=notes or None, transport=self.transport.name
            )
            log.info("已发送 %s（%s）至 %s", rec.subject, rec.kind, ", ".join(tried.got))
            return
        reached = "（抄送已送达）" if tried.got else ""
        if any(a in tried.waiting for a in rec.to):
            error = f"{notes}{reached}：留在队列，下次运行只发给尚未收到的收件人"
            rec.status, rec.error = "queued", error
            self.log.mark_queued(
                row_id, attempts=attempts, error=error, category="recipient", pending=list(tried.waiting)
            )
            if not tried.got:
                self._refused_for_now()
            log.warning("提醒排队待重发（%s，%s）：%s", rec.unit, rec.kind, error)
            return
        self._failed(row_id, rec, PermanentFailure(f"{notes}{reached}", category="recipient"), attempts=attempts)

    def _failed(self, row_id: int, rec: ReminderRecord, e: PermanentFailure, *, attempts: int) -> None:
        error = self._scrub(str(e))
        rec.status, rec.error = "failed", error
        self.log.mark_failed(row_id, attempts=attempts, error=error, category=e.category)
        self.new_failures.append(rec)
        log.error("提醒发送失败（%s，%s）：%s", rec.unit, rec.kind, error)

    def flush(self, *, skip_families: set[str] | frozenset[str] = frozenset()) -> None:
        for row in self.log.queued():
            if row["family"] not in skip_families and row["id"] not in self.handled:
                self.send_row(row)


# ---------------------------------------------------------------- helpers
def open_sentlog(catalog, home, transport: Transport | None = None) -> SentLog:
    """The sent-log of this district's campaign, in the store under ``home`` (or the shared one),
    as seen by the transport this run delivers with."""
    scope = scope_of(catalog, home)
    return SentLog(Store.open(home, scope), scope, transport=getattr(transport, "name", None))


def _sender(catalog, transport: Transport) -> tuple[str, str]:
    coordinator = coordinator_addresses(catalog)
    address = getattr(transport, "sender", None) or (coordinator[0][1] if coordinator else "duban@localhost")
    name = getattr(transport, "sender_name", None) or f"{catalog.campaign.coordinator}（督办）"
    return address, name


def _failure_rows(sentlog: SentLog, day: dt.date) -> tuple[list[dict[str, Any]], list[int]]:
    # (not today's digest itself: a digest being sent again does not report its own earlier failure)
    rows = [r for r in sentlog.failures_to_report(day) if not (r["family"] == "digest" and r["day"] == day.isoformat())]
    out = [
        {
            "unit": r["unit"],
            "kind": r["kind"],
            "kind_label": KIND_LABELS.get(r["kind"], r["kind"]),
            "day_label": workdays.cn_date(dt.date.fromisoformat(r["day"])),
            "to": "、".join(json.loads(r["to_addrs"]) + json.loads(r["cc_addrs"])),
            "error": r["error"],
        }
        for r in rows
    ]
    return out, [r["id"] for r in rows]


def _alert(
    catalog,
    sentlog: SentLog,
    deliverer: Deliverer,
    renderer: Renderer,
    transport: Transport,
    day: dt.date,
    *,
    title: str,
    reason: str,
    held_units: list[str],
    dedupe: str,
) -> ReminderRecord:
    failures, failure_ids = _failure_rows(sentlog, day)
    camp = catalog.campaign
    context = {
        "title": title,
        "reason": reason,
        "today_label": workdays.cn_date(day, weekday=True),
        "held_units": held_units,
        "failures": failures,
        "campaign": {"name": camp.name, "district": camp.district, "coordinator": camp.coordinator},
    }
    rendered = renderer.render("alert", context)
    sender, sender_name = _sender(catalog, transport)
    coordinator = coordinator_addresses(catalog)
    rec = deliverer.send(
        unit=camp.coordinator,
        kind="alert",
        day=day,
        rendered=rendered,
        to=coordinator,
        cc=[],
        sender=sender,
        sender_name=sender_name,
        reply_to=[],
        dedupe=hashlib.sha256(dedupe.encode("utf-8")).hexdigest(),
    )
    if rec.status in ("sent", "duplicate") and not deliverer.dry_run:
        sentlog.mark_reported(failure_ids, day)
    return rec


def _decided_on(sentlog: SentLog, day: dt.date) -> list[dict[str, Any]]:
    """The coordinator's decisions made (or withdrawn) on ``day``, for the digest."""
    from duban.check import decisions

    out = []
    for d in decisions.history(sentlog.store, sentlog.scope):
        withdrawn_today = d.withdrawn_at is not None and d.withdrawn_at.astimezone(TZ).date() == day
        if d.at.astimezone(TZ).date() == day or withdrawn_today:
            out.append({**d.to_json(), "what": d.what, "withdrawn_today": withdrawn_today})
    return out


def _held_on(day: dt.date, policy: Policy) -> set[str]:
    """Families of queued messages that wait for a working day."""
    if workdays.is_workday(day):
        return set()
    return {"unit", "support"} if policy.digest_on_rest_days else {"unit", "support", "digest"}


def _record_skip(outcome: RemindOutcome, plan: UnitPlan, day: dt.date, reason: str) -> None:
    outcome.messages.append(
        ReminderRecord(
            plan.unit,
            plan.kind or "upcoming",
            [a for _, a in plan.to],
            [a for _, a in plan.cc],
            "",
            "skipped",
            error=reason,
            day=day,
            items=len(plan.items),
        )
    )


# ---------------------------------------------------------------- before anything goes out
def _earlier_sends(sentlog: SentLog, home) -> str | None:
    """Why sending now would repeat earlier reminders: the sent-log is empty (a new, emptied or
    replaced store) while this data directory's outbox or reports show reminders already sent."""
    if not sentlog.is_empty():
        return None
    days = _outbox_days(Path(home.root) / "outbox") | _report_days(Path(home.root) / "reports")
    if not days:
        return None
    return (
        f"数据库（{sentlog.store.shown}）中没有任何发送记录，但数据目录 {home.root} 的发件箱或报告显示"
        f"此前已发送过提醒（最近一次 {max(days).isoformat()}）：数据库可能被删除、清空或换成了新库，"
        "现在发送会把已经发过的提醒重发给各单位。请先恢复原来的数据库；确认需要重新发送时加 --force"
    )


def _outbox_days(outbox: Path) -> set[dt.date]:
    days = set()
    for eml in outbox.glob("*/*.eml") if outbox.is_dir() else ():
        try:
            days.add(dt.date.fromisoformat(eml.parent.name))
        except ValueError:
            days.add(dt.datetime.fromtimestamp(eml.stat().st_mtime, TZ).date())
    return days


def _report_days(reports: Path) -> set[dt.date]:
    """Days of stored round reports that list a reminder as sent."""
    days = set()
    for path in reports.glob("*/*/report.json") if reports.is_dir() else ():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for m in data.get("reminders") or []:
            if isinstance(m, dict) and m.get("status") == "sent" and m.get("day"):
                try:
                    days.add(dt.date.fromisoformat(m["day"]))
                except (TypeError, ValueError):
                    pass
    return days


def _hold_unreadable(plans: list[UnitPlan], result: CheckResult, outcome: RemindOutcome) -> None:
    """A unit whose folder (or a file in it) could not be read is not reminded at all: duban
    cannot tell what it handed in. The coordinator is told in the digest."""
    blocked: dict[str, str] = {}
    for o in result.obligations:
        if o.status == "unreadable" and o.unit:
            blocked.setdefault(o.unit, o.problems[0] if o.problems else "")
    if not blocked:
        return
    for p in plans:
        if p.unit in blocked:
            p.skip_reason = f"该单位有文件夹或文件无法读取，无法确认已报送哪些材料，今日不提醒（{blocked[p.unit]}）"
    outcome.warnings.append(
        f"{len(blocked)} 个单位的文件夹或文件无法读取，今日未提醒、也未判为未报送：{'、'.join(blocked)}。"
        "请检查共享盘权限后重新检查"
    )


# ---------------------------------------------------------------- the digest
def _send_digest(
    catalog,
    result: CheckResult,
    today: dt.date,
    policy: Policy,
    sentlog: SentLog,
    deliverer: Deliverer,
    renderer: Renderer,
    transport: Transport,
    *,
    plans: list[UnitPlan],
    statuses: dict[str, str],
    warnings: list[str],
) -> ReminderRecord:
    """The coordinator's digest of the day, rendered from the state now: a digest queued by an
    earlier failure is replaced by this one (same row, fresh content), never sent stale."""
    failures, failure_ids = _failure_rows(sentlog, today)
    context = digest_context(
        catalog,
        result,
        today,
        plans,
        policy,
        statuses=statuses,
        day_counts=sentlog.day_counts(today),
        failures=failures,
        warnings=warnings,
        decided=_decided_on(sentlog, today),
    )
    rendered = renderer.render("digest", context)
    sender, sender_name = _sender(catalog, transport)
    # one digest a day: a later run the same day (the round at 23:58 after the 09:00 sweep,
    # a recheck with --notify) does not mail the coordinator again
    rec = deliverer.send(
        unit=catalog.campaign.coordinator,
        kind="digest",
        day=today,
        rendered=rendered,
        to=coordinator_addresses(catalog),
        cc=[],
        sender=sender,
        sender_name=sender_name,
        reply_to=[],
        supersede=True,
        dedupe=f"daily|{today.isoformat()}",
        source=result.dumps(),
    )
    if rec.status == "sent" and not deliverer.dry_run:
        sentlog.mark_reported(failure_ids, today)
    return rec


def _display(result: CheckResult, home) -> CheckResult:
    shown = display_root(home)  # the share as units see it (\\server\信用示范创建)
    return replace(result, evidence_root=shown) if shown else result


# ---------------------------------------------------------------- public API
def send_reminders(
    catalog,
    result: CheckResult,
    home,
    *,
    today: dt.date | None = None,
    transport: Transport | None = None,
    dry_run: bool = False,
    force: bool = False,
    guard: GuardResult | None = None,
    units: list[str] | None = None,
    policy: Policy | None = None,
) -> RemindOutcome:
    """Send today's reminders for a check result: one email per owing unit, the coordinator's
    digest, queued messages from earlier runs. Idempotent: re-running sends nothing twice.

    ``today`` defaults to the check's as-of date (Asia/Shanghai). ``dry_run`` composes and
    reports but sends and records nothing. ``force`` sends even when the guard holds (or the
    store is new while this data directory shows earlier sends). ``units`` limits the run to
    these units (no digest then).
    """
    policy = policy or load_policy(home)
    today = today or local(result.as_of).date()
    outcome = RemindOutcome(day=today, dry_run=dry_run)
    transport = transport or transport_from_settings(home)
    sentlog = open_sentlog(catalog, home, transport)
    renderer = Renderer(home)
    deliverer = Deliverer(sentlog, transport, policy, outcome, dry_run=dry_run)
    try:
        root = str(result.evidence_root)
        baseline = f"{root}|evidence"  # evidence files only (counts before this were of every file)
        own_guard = guard is None
        if guard is None:
            guard = evaluate(
                Path(root),
                None,
                sentlog.last_file_count(baseline),
                min_fraction=policy.guard_min_fraction,
                placed=placed_forms(sentlog.store, catalog),  # duban's blank forms are not evidence
            )
        mapped = result.stats.get("mapped", result.stats.get("files"))
        if guard.ok and mapped == 0 and result.unrecognized:
            # files there, but not one in a unit's folder: most likely the wrong folder (a parent,
            # a copy) — not 35 units that all forgot; there is no earlier scan to compare with
            guard = replace(
                guard,
                ok=False,
                code="unmapped",
                reason=(
                    f"共享文件夹 {root} 中没有任何单位文件夹能被识别（{len(result.unrecognized)} 项未识别），"
                    "很可能指错了目录：今日不向各单位发送提醒。核实后可用 --force 发送"
                ),
            )
        if guard.ok and not dry_run:
            history = _earlier_sends(sentlog, home)
            if history:
                guard = replace(guard, ok=False, code="new-store", reason=history)
        if not guard.ok and force:
            outcome.warnings.append(f"已强制发送（--force），忽略保护：{guard.reason}")
            guard = replace(guard, ok=True, code="forced")
        outcome.guard = guard

        plans, warnings = plan_units(catalog, _display(result, home), today, policy, units=units)
        outcome.warnings += warnings
        _hold_unreadable(plans, result, outcome)
        sender, sender_name = _sender(catalog, transport)
        coordinator = coordinator_addresses(catalog)

        if not guard.ok:
            held = [p.unit for p in plans if p.sends]
            for p in plans:
                _record_skip(outcome, p, today, guard.reason)
            if guard.code != "new-store":  # an alert would be recorded, and hide the history next time
                _alert(
                    catalog,
                    sentlog,
                    deliverer,
                    renderer,
                    transport,
                    today,
                    title="证据目录异常，今日未向各单位发送提醒",
                    reason=guard.reason,
                    held_units=held,
                    dedupe=f"guard|{guard.code}|{guard.root}",
                )
            outcome.warnings += renderer.warnings
            return outcome

        if not dry_run:  # a unit that owes nothing any more must not get yesterday's queued reminder
            for name, obligations in result.by_unit().items():
                if not any(o.status in OPEN_STATUSES for o in obligations):
                    sentlog.supersede(name, "unit")

        states: dict[str, str] = {}
        base_url = access.desk_settings(home)["base_url"]  # the desk's address units can reach, if any
        for p in plans:
            if not p.sends or p.kind is None:
                _record_skip(outcome, p, today, p.skip_reason or "")
                continue
            # the unit's own read-only page on the desk (None when there is no desk address or link)
            p.context["link"] = access.unit_link(sentlog.store, sentlog.scope, p.unit, base_url)
            rendered = renderer.render(p.kind, p.context)
            rec = deliverer.send(
                unit=p.unit,
                kind=p.kind,
                day=today,
                rendered=rendered,
                to=p.to,
                cc=p.cc,
                sender=sender,
                sender_name=sender_name,
                reply_to=coordinator,
                items=len(p.items),
                supersede=True,
            )
            states[p.unit] = "sent" if rec.status == "duplicate" and rec.error is None else rec.status

        if not dry_run:
            # messages queued by earlier runs (alerts, other days, other units; units only on working
            # days) go before the digest, so the digest tells what became of them
            deliverer.flush(skip_families=_held_on(today, policy) | {"digest"})

        digest_sent = False
        if policy.send_digest and units is None and (workdays.is_workday(today) or policy.digest_on_rest_days):
            rec = _send_digest(
                catalog,
                result,
                today,
                policy,
                sentlog,
                deliverer,
                renderer,
                transport,
                plans=plans,
                statuses=states,
                warnings=outcome.warnings + renderer.warnings,
            )
            digest_sent = rec.status == "sent" and not dry_run
        if deliverer.new_failures and not digest_sent and deliverer.broken is None:
            reason = "以下提醒被邮件服务器拒绝，未能送达，请核对 units.yaml 中的邮箱或邮件服务器设置。"
            _alert(
                catalog,
                sentlog,
                deliverer,
                renderer,
                transport,
                today,
                title="部分提醒发送失败",
                reason=reason,
                held_units=[],
                dedupe="failures|" + "|".join(sorted(f"{r.unit}:{r.kind}" for r in deliverer.new_failures)),
            )

        if not dry_run and own_guard and guard.files_now is not None:
            sentlog.record_file_count(baseline, guard.files_now, today)
        outcome.warnings += [w for w in renderer.warnings if w not in outcome.warnings]
        return outcome
    finally:
        sentlog.close()
        transport.close()  # a caller's transport reconnects by itself on its next use


def alert_coordinator(
    catalog,
    home,
    *,
    reason: str,
    transport: Transport | None = None,
    today: dt.date | None = None,
    title: str | None = None,
) -> RemindOutcome:
    """One alert mail to the coordinator (idempotent per day and reason)."""
    today = today or dt.datetime.now(TZ).date()
    outcome = RemindOutcome(day=today)
    transport = transport or transport_from_settings(home)
    sentlog = open_sentlog(catalog, home, transport)
    renderer = Renderer(home)
    deliverer = Deliverer(sentlog, transport, load_policy(home), outcome)
    try:
        _alert(
            catalog,
            sentlog,
            deliverer,
            renderer,
            transport,
            today,
            title=title or "督办系统需要处理",
            reason=reason,
            held_units=[],
            dedupe=f"reason|{title}|{reason}",
        )
        outcome.warnings += renderer.warnings
        return outcome
    finally:
        sentlog.close()
        transport.close()  # a caller's transport reconnects by itself on its next use


def flush_queue(catalog, home, transport: Transport | None = None, *, today: dt.date | None = None) -> RemindOutcome:
    """Deliver every message left queued by earlier runs, each exactly once.

    On a rest day (``today``, default the real date) unit reminders and digests stay
    queued; alerts go. A queued digest is never sent as it was composed: today's is rendered
    again from the latest stored check, an earlier day's is superseded (today's digest tells
    the state now).
    """
    today = today or dt.datetime.now(TZ).date()
    outcome = RemindOutcome(day=today)
    transport = transport or transport_from_settings(home)
    sentlog = open_sentlog(catalog, home, transport)
    try:
        policy = load_policy(home)
        held = _held_on(today, policy)
        deliverer = Deliverer(sentlog, transport, policy, outcome)
        deliverer.flush(skip_families=held | {"digest"})
        todays = [r for r in sentlog.queued() if r["family"] == "digest" and r["day"] == today.isoformat()]
        if "digest" not in held:
            sentlog.supersede(catalog.campaign.coordinator, "digest", before=today)
        result = _digest_source(sentlog, todays[-1]) if todays and "digest" not in held else None
        if result is not None:
            plans, _ = plan_units(catalog, _display(result, home), today, policy)
            renderer = Renderer(home)
            _send_digest(
                catalog,
                result,
                today,
                policy,
                sentlog,
                deliverer,
                renderer,
                transport,
                plans=plans,
                statuses=sentlog.unit_states(today),
                warnings=renderer.warnings,
            )
        return outcome
    finally:
        sentlog.close()
        transport.close()  # a caller's transport reconnects by itself on its next use


def _digest_source(sentlog: SentLog, row) -> CheckResult | None:
    """What a queued digest summarises now: the latest full check stored since, else the check
    it was made from (the sent-log part — what was delivered, what failed — is always read fresh)."""
    made_from = _result(row["source"])
    latest = evstore.latest_run(sentlog.store, sentlog.scope)
    newer = _result(latest["result"]) if latest is not None else None
    if newer is not None and (made_from is None or newer.as_of >= made_from.as_of):
        return newer
    return made_from


def _result(text: str | None) -> CheckResult | None:
    try:
        return CheckResult.from_json(json.loads(text)) if text else None
    except (ValueError, KeyError, TypeError):
        return None
