"""Templates: Chinese text and HTML parts, autoescaped, sandboxed, overridable by the coordinator;
transports chosen from settings."""

from __future__ import annotations

import datetime as dt

import pytest
from smtp_server import (
    fast_policy,
    june18_result,
    single_item_result,
)

from duban.notifications import FileOutbox, SettingsError, SmtpTransport, send_reminders, transport_from_settings

D = dt.date


def _mail_quoting(problem: str, catalog, home, evidence_root, smtp_server):
    """区工信局's reminder for a D20 round whose problem quotes a file name from the share."""
    result = single_item_result(
        evidence_root,
        task="D20",
        unit="区工信局",
        due=D(2021, 6, 20),
        status="partial",
        as_of=D(2021, 6, 18),
        problems=[problem],
    )
    send_reminders(catalog, result, home, transport=smtp_server.transport(), policy=fast_policy())
    return smtp_server.for_unit("区工信局")[0]


def test_html_part_escapes_what_came_from_files(catalog, home, evidence_root, smtp_server):
    problem = "文件名 <script>alert(1)</script>&.xlsx 无法读取"
    mail = _mail_quoting(problem, catalog, home, evidence_root, smtp_server)
    assert problem in mail.text  # the text part shows it as written
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;.xlsx" in mail.html


def test_coordinator_template_overrides_the_packaged_one(catalog, home, evidence_root, smtp_server):
    (home.root / "templates").mkdir()
    (home.root / "templates" / "escalation.subject.j2").write_text(
        "【请速报】{{ unit.name }} 逾期 {{ n_overdue }} 项\n", encoding="utf-8"
    )
    send_reminders(catalog, june18_result(evidence_root), home, transport=smtp_server.transport(), policy=fast_policy())
    assert smtp_server.for_unit("区工信局")[0].subject == "【请速报】区工信局 逾期 2 项"
    assert smtp_server.for_unit("区发改局")[0].subject.startswith("【督办提醒】")  # other kinds untouched


def test_unsafe_or_broken_template_falls_back_and_tells_the_coordinator(catalog, home, evidence_root, smtp_server):
    (home.root / "templates").mkdir()
    (home.root / "templates" / "upcoming.txt.j2").write_text(
        "{{ unit.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8"
    )
    (home.root / "templates" / "escalation.subject.j2").write_text("{{ unit.name ", encoding="utf-8")
    outcome = send_reminders(
        catalog, june18_result(evidence_root), home, transport=smtp_server.transport(), policy=fast_policy()
    )

    upcoming = smtp_server.for_unit("区发改局")[0]
    assert "subclasses" not in upcoming.text and "诚信建设万里行" in upcoming.text  # the packaged template
    assert smtp_server.for_unit("区工信局")[0].subject.startswith("【逾期督办】区工信局")
    assert any("upcoming.txt.j2" in w and "内置模板" in w for w in outcome.warnings)
    assert any("escalation.subject.j2" in w for w in outcome.warnings)
    digest = smtp_server.of_kind("digest")[0]
    assert "upcoming.txt.j2" in digest.text  # the coordinator learns which file to fix


def test_file_outbox_is_the_default_and_writes_eml_files(catalog, home, evidence_root):
    outcome = send_reminders(catalog, june18_result(evidence_root), home, policy=fast_policy())
    files = sorted(p.name for p in home.outbox.rglob("*.eml"))
    assert len(files) == 7 and all(f.startswith("2021-06-18_") for f in files)  # 3 units, 3 配合提醒, the digest
    assert {m.eml_path for m in outcome.sent} == {str(p) for p in home.outbox.rglob("*.eml")}
    import email
    from email import policy

    msg = email.message_from_bytes(
        next(home.outbox.rglob("*escalation_区工信局*.eml")).read_bytes(), policy=policy.default
    )
    assert msg["Subject"].startswith("【逾期督办】区工信局")
    assert msg.get_body(("html",)) is not None and msg.get_body(("plain",)) is not None


def test_transport_from_settings_and_environment(home, monkeypatch):
    for var in ("HOST", "PORT", "USER", "SECURITY", "FROM", "PASSWORD"):
        monkeypatch.delenv(f"DUBAN_SMTP_{var}", raising=False)
    assert isinstance(transport_from_settings(home), FileOutbox)

    home.settings_file.write_text(
        "smtp:\n  host: smtp.lixia.example\n  security: starttls\n  user: duban@lixia.example\n", encoding="utf-8"
    )
    t = transport_from_settings(home)
    assert isinstance(t, SmtpTransport) and (t.host, t.port, t.security) == ("smtp.lixia.example", 587, "starttls")

    monkeypatch.setenv("DUBAN_SMTP_PORT", "2525")
    monkeypatch.setenv("DUBAN_SMTP_SECURITY", "plain")
    monkeypatch.setenv("DUBAN_SMTP_PASSWORD", "s3cret-value")
    t = transport_from_settings(home)
    assert (t.port, t.security) == (2525, "plain")
    assert "s3cret-value" not in repr(t) and "s3cret-value" not in str(vars(t))

    home.settings_file.write_text("smtp:\n  host: smtp.lixia.example\n  password: hunter2\n", encoding="utf-8")
    with pytest.raises(SettingsError) as e:
        transport_from_settings(home)
    assert "DUBAN_SMTP_PASSWORD" in str(e.value) and "hunter2" not in str(e.value)


def test_upload_folder_is_shown_as_units_reach_the_share(catalog, home, evidence_root, smtp_server):
    home.settings_file.write_text("evidence_display_root: '\\\\fileserver\\信用示范创建'\n", encoding="utf-8")
    send_reminders(catalog, june18_result(evidence_root), home, transport=smtp_server.transport(), policy=fast_policy())
    mail = smtp_server.for_unit("区工信局")[0]
    assert "\\\\fileserver\\信用示范创建\\区工信局\\20-仓储物流数据归集" in mail.text
    assert str(evidence_root) not in mail.text


def test_control_characters_from_file_names_are_shown_not_sent(catalog, home, evidence_root, smtp_server):
    """A problem quoting a file named with a terminal escape or a right-to-left override: both
    parts of the email show the characters as text (\\x1b, \\u202e), the HTML part still escaped."""
    mail = _mail_quoting("文件“\x1b[2J台账\u202exslx.exe<b>”无法读取", catalog, home, evidence_root, smtp_server)
    assert "文件“\\x1b[2J台账\\u202exslx.exe<b>”无法读取" in mail.text
    assert "文件“\\x1b[2J台账\\u202exslx.exe&lt;b&gt;”无法读取" in mail.html
    assert "\x1b" not in mail.text + mail.html and "\u202e" not in mail.text + mail.html
