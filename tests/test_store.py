"""The store on SQLite and on PostgreSQL: the same behaviour, a sent-log that holds "never
twice" when two processes race, rows kept apart by district and campaign, an older store
carried over without losing a row, and failures said in Chinese."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from smtp_server import JUNE18_MESSAGES, fast_policy, june18_result

from duban.check import confirmations, run_check
from duban.home import Home
from duban.notifications import send_reminders
from duban.store import _CREATED, DATABASE_ENV, Scope, Store, StoreError, scope_of


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request, monkeypatch) -> str:
    """Run the test once on the SQLite file and once on a fresh PostgreSQL database."""
    if request.param == "postgresql":
        monkeypatch.setenv(DATABASE_ENV, request.getfixturevalue("postgres_url"))
    else:
        monkeypatch.delenv(DATABASE_ENV, raising=False)
    return request.param


RACE = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {tests!r})
    from smtp_server import JUNE18_MESSAGES, fast_policy, june18_result
    from duban.home import Home
    from duban.notifications import SmtpTransport, send_reminders
    from duban.tasks_catalog import load_catalog
    home = Home.resolve({home!r})
    out = send_reminders(load_catalog(), june18_result({root!r}), home,
                         transport=SmtpTransport("127.0.0.1", {port}, "plain"), policy=fast_policy())
    print(json.dumps([m.status for m in out.messages]))
    """
)


def test_two_processes_racing_send_each_reminder_once(backend, catalog, tmp_path, evidence_root, smtp_server):
    """Two runs of one district at the same moment (two workers): every message goes out once."""
    import os

    code = RACE.format(
        tests=str(os.path.dirname(__file__)),
        home=str(tmp_path / "home"),
        root=str(evidence_root),
        port=smtp_server.port,
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    statuses = [json.loads(o.strip().splitlines()[-1]) for o, _ in outs]
    sent = [s for run in statuses for s in run if s == "sent"]
    kinds = sorted((m.unit, m.kind) for m in smtp_server.messages)
    assert kinds == sorted(set(kinds)), "a reminder went out twice"
    assert len(smtp_server.messages) == len(sent) == JUNE18_MESSAGES


def test_rows_of_two_districts_and_campaigns_stay_apart(backend, catalog, tmp_path, evidence_root, smtp_server):
    home = Home.resolve(tmp_path / "home")
    result = june18_result(evidence_root)
    send_reminders(catalog, result, home, transport=smtp_server.transport(), policy=fast_policy())
    assert len(smtp_server.messages) == JUNE18_MESSAGES
    (home.root / "settings.yaml").write_text("district: 济南市市中区\n", encoding="utf-8")
    again = send_reminders(catalog, result, home, transport=smtp_server.transport(), policy=fast_policy())
    assert len(smtp_server.messages) == 2 * JUNE18_MESSAGES, (
        "another district's sent-log must not hold this district's mail back"
    )
    assert {m.status for m in again.messages if m.kind != "digest"} >= {"sent"}
    store = Store.open(home)
    one, two = Scope("济南市历下区", catalog.campaign.key), Scope("济南市市中区", catalog.campaign.key)
    confirmations.add(store, one, "D14", "区委组织部", "平台显示已归集", by="王科长")
    assert confirmations.current(store, one) and not confirmations.current(store, two)
    assert not confirmations.current(store, Scope("济南市历下区", "2026-another-list"))


def test_an_older_store_is_carried_over_without_losing_a_row(catalog, tmp_path, evidence_root, smtp_server):
    """A data directory written by the previous version (no district columns): its sent-log
    still holds today's reminders back and its confirmations still stand."""
    home = Home.resolve(tmp_path / "home")
    db = sqlite3.connect(home.db)
    db.executescript(
        """
        CREATE TABLE reminder_log (id INTEGER PRIMARY KEY, unit TEXT NOT NULL, kind TEXT NOT NULL,
          family TEXT NOT NULL, day TEXT NOT NULL, content_hash TEXT NOT NULL, to_addrs TEXT NOT NULL,
          cc_addrs TEXT NOT NULL, subject TEXT NOT NULL, sender TEXT NOT NULL, items INTEGER NOT NULL DEFAULT 0,
          status TEXT NOT NULL, category TEXT, attempts INTEGER NOT NULL DEFAULT 0, error TEXT, message BLOB NOT NULL,
          filename TEXT NOT NULL, eml_path TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, sent_at TEXT,
          reported_day TEXT, UNIQUE (unit, kind, day, content_hash));
        CREATE INDEX reminder_log_status ON reminder_log (status);
        CREATE TABLE confirmations (id INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT NOT NULL, unit TEXT, round TEXT,
          confirmed_by TEXT NOT NULL, confirmed_at TEXT NOT NULL, note TEXT NOT NULL,
          withdrawn INTEGER NOT NULL DEFAULT 0);
        INSERT INTO confirmations (task, unit, confirmed_by, confirmed_at, note)
          VALUES ('D14', '区委组织部', '王科长', '2021-06-18T10:00:00+08:00', '平台显示已归集');
        """
    )
    db.commit()
    db.close()
    first = send_reminders(
        catalog,
        june18_result(evidence_root),
        Home.resolve(tmp_path / "fresh"),
        transport=smtp_server.transport(),
        policy=fast_policy(),
    )
    # copy what a previous version would have logged for these very messages
    fresh = sqlite3.connect(tmp_path / "fresh" / "duban.sqlite")
    rows = fresh.execute(
        "SELECT unit, kind, family, day, content_hash, to_addrs, cc_addrs, subject, sender, items, "
        "status, message, filename, created_at, updated_at FROM reminder_log"
    ).fetchall()
    fresh.close()
    db = sqlite3.connect(home.db)
    db.executemany(
        "INSERT INTO reminder_log (unit, kind, family, day, content_hash, to_addrs, cc_addrs, subject, "
        "sender, items, status, message, filename, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    db.commit()
    db.close()
    assert len(first.sent) == JUNE18_MESSAGES
    before = len(smtp_server.messages)

    again = send_reminders(
        catalog, june18_result(evidence_root), home, transport=smtp_server.transport(), policy=fast_policy()
    )
    assert len(smtp_server.messages) == before, "the old sent-log must hold the same reminders back"
    assert {m.status for m in again.messages if m.status != "skipped"} == {"duplicate"}
    scope = scope_of(catalog, home)
    (c,) = confirmations.current(Store.open(home, scope), scope).values()
    assert (c.task, c.unit, c.confirmed_by) == ("D14", "区委组织部", "王科长")
    result = run_check(catalog, evidence_root, dt.datetime(2021, 6, 24, 9, tzinfo=dt.UTC), home, tasks=["D14"])
    assert {o.unit: o.status for o in result.obligations}["区委组织部"] == "ok"


@pytest.mark.postgres
def test_an_unreachable_database_is_one_chinese_message_without_the_password(catalog, home, monkeypatch):
    from conftest import reserved_port

    with reserved_port() as port:  # bound, not listening: connection refused
        monkeypatch.setenv(DATABASE_ENV, f"postgresql://duban:s3cret-pw@127.0.0.1:{port}/duban")
        with pytest.raises(StoreError) as e:
            confirmations.current(Store.open(home), scope_of(catalog, home))
    assert "无法连接数据库" in str(e.value) and "s3cret-pw" not in str(e.value)


def test_a_store_from_before_the_transport_was_logged_gains_the_columns(
    backend, catalog, home, evidence_root, smtp_server
):
    """A sent-log written before it recorded the transport (and a queued message's recipients):
    the columns are added on first use, its rows still hold reminders back, and a message it only
    wrote to the outbox (an .eml path) is still recognised as not mailed."""
    import sqlalchemy as sa

    from duban.notifications import FileOutbox
    from duban.notifications import sentlog as sentlog_module

    first = send_reminders(
        catalog, june18_result(evidence_root), home, transport=FileOutbox(home.outbox), policy=fast_policy()
    )
    assert len(first.sent) == JUNE18_MESSAGES
    store = Store.open(home, scope_of(catalog, home))
    with store.begin() as conn:  # what the previous version's table looked like
        for name in sentlog_module.LATER_COLUMNS:
            conn.execute(sa.text(f'ALTER TABLE reminder_log DROP COLUMN "{name}"'))
    _CREATED[store.url].discard("reminder_log:columns")  # this process looks again

    again = send_reminders(
        catalog, june18_result(evidence_root), home, transport=FileOutbox(home.outbox), policy=fast_policy()
    )
    assert {m.status for m in again.messages if m.status != "skipped"} == {"duplicate"}
    with store.read() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("reminder_log")}
    assert set(sentlog_module.LATER_COLUMNS) <= columns
    mailed = send_reminders(
        catalog, june18_result(evidence_root), home, transport=smtp_server.transport(), policy=fast_policy()
    )
    assert len(mailed.sent) == JUNE18_MESSAGES and len(smtp_server.to_units()) == 3


def test_the_first_facts_stored_for_a_content_stand(backend, catalog, home):
    """Two checks reading the same new file at once, one of them timing out: both judge from
    (and keep verdicts made from) the facts stored first, never facts that change under them."""
    from duban.evidence import store as evstore
    from duban.evidence.facts import Facts

    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    read = Facts(kind="pdf", ok=True, pages=3)
    evstore.remember_facts(store, [("ab" * 32, "spec-1", read)])
    evstore.remember_facts(store, [("ab" * 32, "spec-1", Facts.rejected("pdf", "读取超时"))])
    (kept,) = evstore.cached_facts(store, {("ab" * 32, "spec-1")}).values()
    assert (kept.ok, kept.pages) == (True, 3)
