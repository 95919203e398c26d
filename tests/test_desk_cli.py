"""``duban desk user add`` and ``duban desk token issue|revoke|list``: accounts and unit links
from the command line (the password is asked for, never an argument; links are stored hashed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import sqlalchemy as sa

from duban import access
from duban.home import Home
from duban.store import Store, scope_of


def duban(home, *args, stdin: str = ""):
    env = dict(os.environ, DUBAN_HOME=str(home))
    env.pop(access.SECRET_ENV, None)
    return subprocess.run([sys.executable, "-m", "duban", *args], capture_output=True, text=True, env=env, input=stdin)


def test_accounts_and_unit_links_from_the_command_line(tmp_path, catalog):
    home = Home.resolve(tmp_path / "home")
    p = duban(home.root, "desk", "user", "add", "王科长", stdin="desk-pass-1\ndesk-pass-1\n")
    assert p.returncode == 0 and "已添加协调人账号：王科长" in p.stdout, p.stderr
    typo = duban(home.root, "desk", "user", "add", "张", stdin="desk-pass-3\ndesk-pass-4\ndesk-pass-3\ndesk-pass-3\n")
    assert typo.returncode == 0 and "两次输入的密码不一致，请重新输入。" in typo.stderr, typo.stderr
    assert "do not match" not in typo.stderr + typo.stdout
    short = duban(home.root, "desk", "user", "add", "李", stdin="short\nshort\n")
    assert short.returncode == 2 and "密码至少 8 个字符" in short.stderr
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    assert access.authenticate(store, scope, "王科长", "desk-pass-1")
    assert not access.authenticate(store, scope, "王科长", "desk-pass-2")
    assert access.authenticate(store, scope, "张", "desk-pass-3")  # the pair typed alike

    p = duban(home.root, "desk", "token", "issue", "工信局", "--by", "王科长")
    assert p.returncode == 0, p.stderr
    token = re.search(r"区工信局 的链接：http://127\.0\.0\.1:8765/u/(\S+)", p.stdout).group(1)
    assert len(token) >= 40 and "只显示这一次" in p.stderr  # no server secret: the link cannot be rebuilt
    assert access.unit_for_token(store, scope, token) == "区工信局"
    with store.read() as conn:  # stored hashed: no column holds the token itself
        rows = conn.execute(sa.select(access.desk_tokens)).all()
    assert rows and token not in repr(rows)
    assert "#1 区工信局 · 王科长" in duban(home.root, "desk", "token", "list").stdout

    p = duban(home.root, "desk", "token", "revoke", "区工信局")
    assert p.returncode == 0 and "已撤销 区工信局 的 1 个链接" in p.stdout
    assert access.unit_for_token(store, scope, token) is None
    assert "已撤销" in duban(home.root, "desk", "token", "list").stdout


def test_a_unit_link_can_be_rebuilt_for_emails_only_with_the_server_secret(home, catalog, monkeypatch):
    scope = scope_of(catalog, home)
    store = Store.open(home, scope)
    monkeypatch.setenv(access.SECRET_ENV, "a-long-random-server-secret-for-tests")
    token = access.issue_token(store, scope, "区工信局", by="t")
    assert access.unit_link(store, scope, "区工信局", "http://desk.lixia:8765/") == f"http://desk.lixia:8765/u/{token}"
    assert access.unit_link(store, scope, "区财政局", "http://desk.lixia:8765") is None
    monkeypatch.setenv(access.SECRET_ENV, "another-secret")  # the secret changed: old links cannot be rebuilt
    assert access.unit_link(store, scope, "区工信局", "http://desk.lixia:8765") is None
    assert access.unit_for_token(store, scope, token) == "区工信局"  # but the issued link still opens
