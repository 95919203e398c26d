"""Who may see what on the desk: coordinator accounts and the units' personal links.

- **Accounts** (``desk_users``): a coordinator logs in with a name and a password, set with
  ``duban desk user add NAME``. Only a salted ``hashlib.scrypt`` hash is stored.
- **Unit links** (``desk_tokens``): each unit gets a read-only page of its own at
  ``<base_url>/u/<token>``, a long random token. The store keeps only the token's SHA-256,
  so a copy of the database opens no page. When a server secret is configured
  (``DUBAN_DESK_SECRET``, or ``keyring set duban desk-secret``) the token is derived from
  it (HMAC of the unit and a random nonce kept in the row), so duban can put the link in
  the unit's emails later without ever storing it; without a secret the token is random
  and shown once, when it is issued. Revoking a link makes it open nothing, at once.
- **Settings** (``desk:`` in ``<home>/settings.yaml``): ``host``, ``port``, ``base_url``
  (the address units and the coordinator reach, used in links), ``watch_settle``
  (seconds a unit's folder must stay quiet before ``duban watch`` reports it) and
  ``watch_poll`` (true / false / auto: poll the share instead of waiting for change events).

This sits with the shared vocabulary (below the check) so that the desk, the CLI and,
later, the reminders can all reach it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from duban.settings import SettingsError, check_keys
from duban.store import Scope, Store, metadata, scope_columns
from duban.timeutil import TZ

SECRET_ENV = "DUBAN_DESK_SECRET"  # noqa: S105 (the name of the variable)
KEYRING_SERVICE, KEYRING_NAME = "duban", "desk-secret"
DESK_KEYS = ("host", "port", "base_url", "watch_settle", "watch_poll")
DEFAULT_PORT = 8765
SCRYPT = {"n": 2**14, "r": 8, "p": 1}

desk_users = sa.Table(
    "desk_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *scope_columns(campaign=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("password", sa.Text, nullable=False),  # scrypt$n$r$p$salt$hash (base64)
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.UniqueConstraint("district", "name", name="desk_users_name"),
)
desk_tokens = sa.Table(
    "desk_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *scope_columns(),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("token_hash", sa.Text, nullable=False, unique=True),
    sa.Column("nonce", sa.Text),  # set when the token is derived from the server secret
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("revoked_at", sa.Text),
    sa.Column("revoked_by", sa.Text),
)


def _now() -> str:
    return dt.datetime.now(TZ).replace(microsecond=0).isoformat()


# ---------------------------------------------------------------- settings and secret
def desk_settings(home: Any) -> dict[str, Any]:
    """The ``desk:`` section of settings.yaml, checked (unknown keys are an error naming the file)."""
    settings = home.settings
    section = settings.section("desk")
    check_keys(section, DESK_KEYS, file=settings.file, where="desk")
    port = section.get("port", DEFAULT_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise SettingsError(settings.file, f"desk.port '{port}' 不是端口号", "写 1 到 65535 之间的整数，如 8765")
    settle = section.get("watch_settle", 60)
    if isinstance(settle, bool) or not isinstance(settle, (int, float)) or settle < 0:
        raise SettingsError(settings.file, f"desk.watch_settle '{settle}' 不是秒数", "写一个不小于 0 的数，如 60")
    poll = section.get("watch_poll", "auto")
    if poll not in (True, False, "auto"):
        raise SettingsError(settings.file, f"desk.watch_poll '{poll}' 无效", "写 true、false 或 auto")
    return {
        "host": str(section.get("host") or "127.0.0.1"),
        "port": port,
        "base_url": str(section.get("base_url") or "").rstrip("/") or None,
        "watch_settle": float(settle),
        "watch_poll": poll,
    }


def server_secret() -> bytes | None:
    """``DUBAN_DESK_SECRET``, else the keyring's ``duban`` / ``desk-secret``; None when neither is set."""
    value = os.environ.get(SECRET_ENV, "").strip()
    if not value:
        try:
            import keyring

            value = (keyring.get_password(KEYRING_SERVICE, KEYRING_NAME) or "").strip()
        except Exception:  # no keyring backend on a headless server
            value = ""
    return value.encode("utf-8") if value else None


# ---------------------------------------------------------------- passwords
def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **SCRYPT)
    b64 = lambda b: base64.b64encode(b).decode("ascii")
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${b64(salt)}${b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def set_user(store: Store, scope: Scope, name: str, password: str) -> bool:
    """Add a coordinator account, or set a new password; True when the account is new."""
    name = name.strip()
    if not name:
        raise ValueError("用户名不能为空")
    if len(password) < 8:
        raise ValueError("密码至少 8 个字符")
    now = _now()
    t = desk_users
    with store.begin() as conn:
        found = conn.execute(sa.select(t.c.id).where(t.c.district == scope.district, t.c.name == name)).first()
        if found:
            conn.execute(
                sa.update(t).where(t.c.id == found.id).values(password=hash_password(password), updated_at=now)
            )
            return False
        conn.execute(
            t.insert().values(
                district=scope.district, name=name, password=hash_password(password), created_at=now, updated_at=now
            )
        )
    return True


def authenticate(store: Store, scope: Scope, name: str, password: str) -> bool:
    t = desk_users
    with store.read() as conn:
        row = conn.execute(sa.select(t.c.password).where(t.c.district == scope.district, t.c.name == name)).first()
    if row is None:
        check_password(password, hash_password("x" * 8))  # as slow as a real check: no timing hint
        return False
    return check_password(password, row.password)


def users(store: Store, scope: Scope) -> list[str]:
    t = desk_users
    with store.read() as conn:
        return [r.name for r in conn.execute(sa.select(t.c.name).where(t.c.district == scope.district))]


# ---------------------------------------------------------------- unit tokens
@dataclass(frozen=True)
class UnitToken:
    id: int
    unit: str
    created_at: str
    created_by: str
    revoked_at: str | None
    derived: bool


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _derive(secret: bytes, scope: Scope, unit: str, nonce: str) -> str:
    mac = hmac.new(secret, f"duban-unit-link|{scope.district}|{scope.campaign}|{unit}|{nonce}".encode(), "sha256")
    return base64.urlsafe_b64encode(mac.digest()).decode("ascii").rstrip("=")


def issue_token(store: Store, scope: Scope, unit: str, *, by: str) -> str:
    """A new link token for ``unit`` (earlier ones stay valid until revoked); returns the token."""
    secret = server_secret()
    nonce = secrets.token_urlsafe(16) if secret else None
    token = _derive(secret, scope, unit, nonce) if secret and nonce else secrets.token_urlsafe(32)
    with store.begin() as conn:
        conn.execute(
            desk_tokens.insert().values(
                **scope.values(), unit=unit, token_hash=_digest(token), nonce=nonce, created_at=_now(), created_by=by
            )
        )
    return token


def revoke_tokens(store: Store, scope: Scope, unit: str, *, by: str) -> int:
    """Revoke every live link of ``unit``; the number revoked."""
    t = desk_tokens
    with store.begin() as conn:
        return conn.execute(
            sa.update(t)
            .where(scope.where(t), t.c.unit == unit, t.c.revoked_at.is_(None))
            .values(revoked_at=_now(), revoked_by=by)
        ).rowcount


def unit_for_token(store: Store, scope: Scope, token: str) -> str | None:
    """The unit a live token opens, or None (unknown, revoked, or another district's)."""
    if not token or len(token) > 200:
        return None
    t = desk_tokens
    with store.read() as conn:
        row = conn.execute(
            sa.select(t.c.unit).where(scope.where(t), t.c.token_hash == _digest(token), t.c.revoked_at.is_(None))
        ).first()
    return row.unit if row else None


def tokens(store: Store, scope: Scope, unit: str | None = None) -> list[UnitToken]:
    t = desk_tokens
    q = sa.select(t).where(scope.where(t))
    if unit:
        q = q.where(t.c.unit == unit)
    with store.read() as conn:
        return [
            UnitToken(r.id, r.unit, r.created_at, r.created_by, r.revoked_at, bool(r.nonce))
            for r in conn.execute(q.order_by(t.c.id))
        ]


def unit_link(store: Store, scope: Scope, unit: str, base_url: str | None) -> str | None:
    """``<base_url>/u/<token>`` for the unit's newest live derived token; None when there is no
    base URL, no server secret or no such token (the link cannot be rebuilt then)."""
    if not base_url:
        return None
    secret = server_secret()
    if not secret:
        return None
    t = desk_tokens
    with store.read() as conn:
        rows = conn.execute(
            sa.select(t.c.nonce, t.c.token_hash)
            .where(scope.where(t), t.c.unit == unit, t.c.revoked_at.is_(None), t.c.nonce.is_not(None))
            .order_by(t.c.id.desc())
        ).all()
    for row in rows:
        token = _derive(secret, scope, unit, row.nonce)
        if hmac.compare_digest(_digest(token), row.token_hash):  # the secret has not changed since
            return f"{base_url.rstrip('/')}/u/{token}"
    return None
