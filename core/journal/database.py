"""Opening a journal file: where it lives, SQLite settings, refusing bad files, migrations.

Every journal connection runs in WAL mode with a busy timeout and foreign keys on, and starts its
write transactions with ``BEGIN IMMEDIATE`` (it takes the write lock up front, so a second writer
waits for the busy timeout instead of failing half-way through a transaction). Opening a file
migrates it to the newest schema with Alembic, configured in code: the migration scripts are
plain modules of this package, so an installed build needs no alembic.ini.

A file that is not a SQLite database, a corrupt one, one written by a newer Tradebench, or one
that belongs to another program is refused with a :class:`JournalError` that says so; nothing
here ever replaces or re-creates an existing file.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry

from core.journal.errors import (
    DuplicateOrder,
    JournalCorrupt,
    JournalError,
    JournalLocked,
    JournalVersionError,
    describe_error,
    integrity_error,
)

__all__ = [
    "DuplicateOrder",
    "JournalCorrupt",
    "JournalError",
    "JournalLocked",
    "JournalVersionError",
    "describe_error",
    "integrity_error",
]

ENV_VAR: Final = "TRADEBENCH_JOURNAL"
FILE_NAME: Final = "journal.sqlite"
MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"
SQLITE_MAGIC: Final = b"SQLite format 3\x00"
DEFAULT_BUSY_TIMEOUT_S: Final = 5.0


def default_journal_path() -> Path:
    """``$TRADEBENCH_JOURNAL`` if set, else ``journal.sqlite`` in the user's data folder."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("Tradebench", appauthor=False)) / FILE_NAME


def resolve_path(path: str | os.PathLike[str] | None) -> Path:
    return default_journal_path() if path is None else Path(path).expanduser()


def check_header(path: Path) -> None:
    """Refuse a file that exists, is not empty and does not start like a SQLite database."""
    if path.is_dir():
        raise JournalError(f"journal {path} is a folder; name a file such as {FILE_NAME}")
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise JournalError(f"journal {path} cannot be read: {exc.strerror}") from None
    if head and head != SQLITE_MAGIC:
        raise JournalCorrupt(
            f"journal {path} is not a SQLite database (it starts with {head[:8]!r}); it was "
            f"left untouched: choose another file or move this one aside"
        )


class _ConnectionSetup:
    """Pragmas for every new connection (a class, not a closure: it is one value per engine)."""

    def __init__(self, synchronous: str, busy_timeout_s: float) -> None:
        self.synchronous = synchronous
        self.busy_timeout_ms = int(busy_timeout_s * 1000)

    def __call__(self, dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
        # pysqlite's own transaction handling would BEGIN lazily and DEFERRED; we say BEGIN
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
            cursor.execute("PRAGMA foreign_keys = ON")
            mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                raise sqlite3.OperationalError(f"cannot switch to WAL mode (got {mode})")
            cursor.execute(f"PRAGMA synchronous = {self.synchronous}")
        finally:
            cursor.close()


WRITE: Final = "journal_write"


def _begin(conn: Connection) -> None:
    """Writers take the write lock when they begin (waiting up to the busy timeout); readers
    begin DEFERRED so that they never wait for a writer in WAL mode."""
    if conn.get_execution_options().get(WRITE, False):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(path: Path, *, durable: bool, busy_timeout_s: float) -> Engine:
    """An engine on ``path``; ``durable`` selects synchronous=FULL (paper/live) over NORMAL."""
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
    )
    event.listen(
        engine, "connect", _ConnectionSetup("FULL" if durable else "NORMAL", busy_timeout_s)
    )
    event.listen(engine, "begin", _begin)
    return engine


def write_connection(engine: Engine) -> Connection:
    """A connection whose transactions begin IMMEDIATE (use it for every write)."""
    conn = engine.connect()
    conn.execution_options(**{WRITE: True})
    return conn


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if head is None:
        raise JournalError("the journal package ships no migrations")
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


# Alembic runs a migration through process-global proxies (``alembic.op``, ``alembic.context``):
# two threads opening journals at once would run each other's steps. One at a time (reentrant:
# opening a journal checks it, then upgrades it).
_MIGRATION_LOCK = threading.RLock()


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Migrate the database behind ``connection`` to ``revision`` (tests use older ones)."""
    with _MIGRATION_LOCK:
        command.upgrade(alembic_config(connection), revision)
        if connection.in_transaction():
            connection.commit()


def _table_names(connection: Connection) -> list[str]:
    rows = connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return [str(r[0]) for r in rows]


def prepare(engine: Engine, path: Path, *, migrate: bool = True) -> None:
    """Check that ``path`` is a journal this code can use and bring it to the head schema."""
    with _MIGRATION_LOCK:
        _prepare(engine, path, migrate)


def _prepare(engine: Engine, path: Path, migrate: bool) -> None:
    scripts = ScriptDirectory(str(MIGRATIONS))
    heads = set(scripts.get_heads())
    try:
        with engine.connect() as conn:
            tables = _table_names(conn)  # reads the schema: fails on a damaged file
            revision = current_revision(conn)
            conn.rollback()
        if revision is None and tables:
            raise JournalError(
                f"{path} is a SQLite database but not a Tradebench journal (it has tables "
                f"{', '.join(sorted(tables)[:5])}); choose another file"
            )
        if revision is not None and revision not in heads:
            try:
                scripts.get_revision(revision)
            except Exception:
                raise JournalVersionError(
                    f"journal {path} was written by a newer Tradebench (schema {revision}); "
                    f"update Tradebench to open it"
                ) from None
        if migrate and revision not in heads:
            with write_connection(engine) as conn:
                upgrade(conn)
    except JournalError:
        raise
    except (DBAPIError, sqlite3.Error) as exc:
        raise describe_error(path, exc) from None


def open_engine(
    path: str | os.PathLike[str] | None,
    *,
    create: bool,
    durable: bool = False,
    busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
) -> tuple[Path, Engine]:
    """Open (``create``: or create) the journal at ``path``, checked and migrated to head."""
    resolved = resolve_path(path)
    if not resolved.exists():
        if not create:
            raise JournalError(f"no journal at {resolved}")
        resolved.parent.mkdir(parents=True, exist_ok=True)
    check_header(resolved)
    engine = make_engine(resolved, durable=durable, busy_timeout_s=busy_timeout_s)
    try:
        prepare(engine, resolved)
    except BaseException:
        engine.dispose()
        raise
    return resolved, engine


def integrity_check(engine: Engine, path: Path) -> list[str]:
    """SQLite's full ``PRAGMA integrity_check``: ``[]`` when the file is sound."""
    try:
        with engine.connect() as conn:
            rows = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check")]
            if conn.in_transaction():
                conn.rollback()
    except DBAPIError as exc:
        raise describe_error(path, exc) from None
    return [] if rows == ["ok"] else rows
