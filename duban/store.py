"""The store: everything duban remembers between runs, in one database.

- **SQLite** under the data directory (``<home>/duban.sqlite``) by default: one office, no
  setup;
- **PostgreSQL** when ``DUBAN_DATABASE_URL`` is set (``postgresql+psycopg://user@host/db``):
  several workers of a city share one store, so a district's run that lands on another
  worker still knows what was read and what was sent.

SQLAlchemy Core only (no ORM). Each stage declares its own tables on :data:`metadata`
(evidence: hashes, inspections, check runs; check: confirmations; notifications: the
sent-log) and the store creates them on first use. Rows that belong to one district and
campaign carry a :class:`Scope`, so districts and campaigns sharing a database never see
each other's state.

Every database failure reaches the caller as :class:`StoreError`, a Chinese message that
names the database and what to do (disk full, damaged file, server unreachable) — never a
driver traceback, never a half-written transaction left behind.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from duban.home import DATABASE_ENV as DATABASE_ENV  # the store's settings live with the data directory
from duban.home import database_url as database_url

DISTRICT_ENV = "DUBAN_DISTRICT"  # set per district by a city's deployments (duban city deploy)

metadata = sa.MetaData()


@dataclass(frozen=True)
class Scope:
    """Whose rows these are: one district's one campaign (a task list)."""

    district: str
    campaign: str

    def where(self, table: sa.Table) -> sa.ColumnElement[bool]:
        return sa.and_(table.c.district == self.district, table.c.campaign == self.campaign)

    def values(self) -> dict[str, str]:
        return {"district": self.district, "campaign": self.campaign}


def scope_columns(*, campaign: bool = True) -> list[sa.Column[Any]]:
    cols: list[sa.Column[Any]] = [sa.Column("district", sa.Text, nullable=False, server_default="")]
    if campaign:
        cols.append(sa.Column("campaign", sa.Text, nullable=False, server_default=""))
    return cols


def scope_of(catalog: Any, home: Any) -> Scope:
    """The scope of a run: the district (``DUBAN_DISTRICT``, which a city's deployment sets, else
    ``district:`` in settings.yaml, else the campaign's own ``district``) and the campaign's key
    (``campaign.yaml`` ``id``)."""
    district = os.environ.get(DISTRICT_ENV, "").strip() or home.settings.value("district") or catalog.campaign.district
    return Scope(str(district), catalog.campaign.key)


class StoreError(RuntimeError):
    """The store cannot be used; ``str()`` is the whole message, in Chinese."""


def shown_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "（无法解析的数据库地址）"


_ENGINES: dict[str, Engine] = {}
_CREATED: dict[str, set[str]] = {}
_LOCK = threading.Lock()


def _engine(url: str) -> Engine:
    with _LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                engine = sa.create_engine(url, connect_args={"timeout": 30})
                event.listen(engine, "connect", _sqlite_setup)
                event.listen(engine, "begin", _sqlite_begin)
            else:
                engine = sa.create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)
            if not _ENGINES:  # the process closes its stores on the way out, whichever way it
                atexit.register(close_all)  # leaves (duban.cli.leave skips the interpreter's teardown)
            _ENGINES[url] = engine
            _CREATED[url] = set()
        return engine


def close_all() -> None:
    """Close every pooled connection of this process (SQLite then folds its WAL into the file)."""
    with _LOCK:
        for engine in _ENGINES.values():
            engine.dispose()


def _sqlite_setup(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun explicitly (below)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # IMMEDIATE: a writer takes the lock at BEGIN, so two processes never both read-then-write;
    # a reader (Store.read) begins a deferred transaction and never waits for the lock
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("duban_read") else "BEGIN IMMEDIATE")


def explain(err: BaseException, url: str) -> str:
    """A database failure in plain Chinese, with the fix."""
    text = str(getattr(err, "orig", None) or err)
    low = text.lower()
    where = shown_url(url)
    if "disk is full" in low or "no space left" in low or "disk i/o error" in low or "could not extend" in low:
        return f"数据目录所在磁盘已满或无法写入（{where}）：本次运行已停止，未写入的记录不会丢失已有数据。请清理磁盘后重新运行"
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return (
            f"数据库文件已损坏（{where}）：请从备份恢复该文件，或把它改名保存后重新运行（duban 会新建数据库，"
            "并在发送提醒前要求确认）"
        )
    if "readonly" in low or "read-only" in low or "permission denied" in low:
        return f"没有写入数据库的权限（{where}）：请检查数据目录的权限"
    if "could not connect" in low or "connection refused" in low or "timeout" in low or "unable to open" in low:
        return (
            f"无法连接数据库（{where}）：请检查数据库服务是否运行、地址和端口是否正确（{text.splitlines()[0][:200]}）"
        )
    if "locked" in low:
        return f"数据库被另一个进程长时间占用（{where}）：请稍后重新运行"
    return f"数据库出错（{where}）：{text.splitlines()[0][:300] if text else type(err).__name__}"


class Store:
    """One database. Cheap to open: engines are pooled per URL for the process.

    ``scope`` is the district and campaign this process works for; it is needed only to
    carry the rows of an older single-office store (which had no scope columns) over.
    """

    def __init__(self, url: str, scope: Scope | None = None):
        self.url = url
        self.scope = scope
        self.engine = _engine(url)
        self.dialect = self.engine.dialect.name

    @classmethod
    def open(cls, home: Any, scope: Scope | None = None) -> Store:
        return cls(database_url(home), scope)

    @property
    def shown(self) -> str:
        return shown_url(self.url)

    def _ensure(self) -> None:
        """Create the tables declared since the last call (each stage declares its own)."""
        created = _CREATED[self.url]
        missing = [t for name, t in metadata.tables.items() if name not in created]
        if not missing:
            return
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    legacy = _rename_legacy(conn, missing)
                    metadata.create_all(conn, tables=missing, checkfirst=True)
                    _copy_legacy(conn, legacy, self.scope)
                break
            except (sa.exc.ProgrammingError, sa.exc.IntegrityError) as e:
                if attempt == 2:  # another worker created them at the same moment: look again
                    raise StoreError(explain(e, self.url)) from None
            except sa.exc.SQLAlchemyError as e:
                raise StoreError(explain(e, self.url)) from None
        created.update(t.name for t in missing)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction: committed when the block ends, rolled back (never half-written) on error."""
        self._ensure()
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as e:
            raise StoreError(explain(e, self.url)) from None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading (SQLite: no write lock taken)."""
        self._ensure()
        try:
            with self.engine.connect().execution_options(duban_read=True) as conn:
                yield conn
        except sa.exc.SQLAlchemyError as e:
            raise StoreError(explain(e, self.url)) from None

    def ensure_columns(self, table: sa.Table, names: tuple[str, ...]) -> None:
        """Add columns declared after a store was created (nullable TEXT, so existing rows stay
        valid); once per process and table."""
        done = _CREATED[self.url]
        mark = f"{table.name}:columns"
        if mark in done:
            return
        for name in names:
            try:
                with self.begin() as conn:
                    if name not in {c["name"] for c in sa.inspect(conn).get_columns(table.name)}:
                        conn.execute(sa.text(f'ALTER TABLE "{table.name}" ADD COLUMN "{name}" TEXT'))
            except StoreError:  # another worker added it at the same moment: fine if it is there now
                with self.read() as conn:
                    if name not in {c["name"] for c in sa.inspect(conn).get_columns(table.name)}:
                        raise
        done.add(mark)

    def insert_ignore(self, table: sa.Table) -> Any:
        """``INSERT ... ON CONFLICT DO NOTHING`` for this database."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table).on_conflict_do_nothing()
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()

    def upsert(self, table: sa.Table, keys: list[str], update: list[str]) -> Any:
        """``INSERT ... ON CONFLICT (keys) DO UPDATE SET update = excluded.update``."""
        stmt: Any
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(table)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(table)
        return stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in update})


# ---------------------------------------------------------------- stores written before scopes
def _rename_legacy(conn: Connection, tables: list[sa.Table]) -> list[sa.Table]:
    """Tables of an older store that lack the scope columns: renamed aside, to be copied."""
    inspector = sa.inspect(conn)
    legacy = []
    for table in tables:
        if "district" not in table.c or not inspector.has_table(table.name):
            continue
        if "district" in {c["name"] for c in inspector.get_columns(table.name)}:
            continue
        for index in inspector.get_indexes(table.name):
            conn.execute(sa.text(f'DROP INDEX IF EXISTS "{index["name"]}"'))
        conn.execute(sa.text(f'ALTER TABLE "{table.name}" RENAME TO "legacy_{table.name}"'))
        legacy.append(table)
    return legacy


def _copy_legacy(conn: Connection, tables: list[sa.Table], scope: Scope | None) -> None:
    """Copy an older store's rows into the new tables, as this district's and campaign's."""
    if not tables:
        return
    if scope is None:
        raise StoreError("数据库是旧版本的格式，需要知道所属的区和督办活动才能升级：请通过 duban 命令运行")
    for table in tables:
        old = sa.Table(f"legacy_{table.name}", sa.MetaData(), autoload_with=conn)
        shared = [c.name for c in old.c if c.name in table.c]
        values = {"district": scope.district, "campaign": scope.campaign}
        extra = [k for k in values if k in table.c and k not in shared]
        select = sa.select(*[old.c[c] for c in shared], *[sa.literal(values[k]).label(k) for k in extra])
        conn.execute(table.insert().from_select(shared + extra, select))
        conn.execute(sa.text(f'DROP TABLE "legacy_{table.name}"'))


def chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
