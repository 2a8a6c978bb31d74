"""Engines and transactions that behave the same on SQLite and PostgreSQL.

SQLite: WAL (readers never block the writer), a long busy timeout, and writers start with
BEGIN IMMEDIATE so two writers queue instead of deadlocking on a lock upgrade. PostgreSQL:
readers use REPEATABLE READ so a page sees one snapshot. On both, a transaction that still
loses a race (busy, serialisation failure, deadlock, a version number taken meanwhile) is
retried with jittered backoff, so "database is locked" never reaches a user.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from scoring.text import SanweiError

BUSY_TIMEOUT_MS = 30_000
RETRY_FOR_S = 120.0
RACE_CONSTRAINTS = {"periods_pkey", "uq_versions_period_number", "model_versions_sha256_key"}
T = TypeVar("T")


class NotFound(SanweiError, LookupError):
    """No such period, version, model or unit in the store."""


class Conflict(SanweiError, ValueError):
    """The stored state no longer allows the change (another person acted first); nothing was changed."""


class BadURL(SanweiError, ValueError):
    """A database URL the store cannot use."""


class InvalidPeriod(SanweiError, ValueError):
    """A period that is not of the form 2026Q3 (periods sort as text, so the form is fixed)."""

    def __init__(self, period: object):
        super().__init__(f"期次格式应为 2026Q3，而不是“{period}”", f"a period must look like 2026Q3, not {period!r}")


def default_path() -> Path:
    """Where the store lives when no URL is given: the user's data folder, never the current
    directory, so the same command run from anywhere opens the same store
    ($XDG_DATA_HOME/sanwei/sanwei.db, by default ~/.local/share/sanwei/sanwei.db)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "sanwei" / "sanwei.db"


def default_url_text() -> str:
    return f"sqlite:///{default_path()}"


def resolve_url(url: str | None = None) -> str:
    """`--db URL`, else $SANWEI_DATABASE_URL, else the SQLite file of `default_path`. A relative
    sqlite:///file is relative to the current directory, as in any SQLAlchemy URL."""
    url = url or os.environ.get("SANWEI_DATABASE_URL") or default_url_text()
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]  # psycopg 3 is the driver we ship
    return url


def make_engine(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            raise BadURL("SQLite 存储需要文件路径（sqlite:///路径.db）", "the SQLite store needs a file path (sqlite:///path.db)")
        private_file(Path(u.database))
        engine = create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _sqlite_events(engine)
        return engine
    return create_engine(u, pool_pre_ping=True)


def private_file(path: Path) -> None:
    """Create the SQLite file 0600 in a folder created 0700 (each folder it has to create), before
    SQLite opens it: the store holds every quarter's inputs and must not be world-readable. SQLite
    gives its -wal and -shm files the database file's mode. An existing file or folder is left as
    it is (its owner chose its mode)."""
    missing = []
    folder = path.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue  # another process made it meanwhile
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, 0o600)


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        dbapi_conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        dbapi_conn.execute("PRAGMA journal_mode = WAL")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("sanwei_write") else "BEGIN")


def _transient(err: DBAPIError) -> bool:
    """Lost a race rather than failed: worth running the whole transaction again."""
    if isinstance(err, OperationalError):
        msg = str(err.orig).lower()
        if "locked" in msg or "busy" in msg:
            return True
    code = getattr(err.orig, "sqlstate", None)
    if code in ("40001", "40P01"):  # serialization_failure, deadlock_detected
        return True
    # two writers created the same period, version number or model row at once
    diag = getattr(err.orig, "diag", None)
    return isinstance(err, IntegrityError) and code == "23505" and \
        getattr(diag, "constraint_name", None) in RACE_CONSTRAINTS


def _retry(fn: Callable[[], T]) -> T:
    deadline = time.monotonic() + RETRY_FOR_S
    delay = 0.02
    while True:
        try:
            return fn()
        except DBAPIError as err:
            if not _transient(err) or time.monotonic() > deadline:
                raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)


def write(engine: Engine, fn: Callable[[Connection], T]) -> T:
    """Run `fn` in one write transaction: all of it commits, or nothing does."""
    def attempt() -> T:
        with engine.connect().execution_options(sanwei_write=True) as conn, conn.begin():
            return fn(conn)
    return _retry(attempt)


def read(engine: Engine, fn: Callable[[Connection], T]) -> T:
    """Run `fn` on one consistent snapshot."""
    def attempt() -> T:
        with reading(engine) as conn:
            return fn(conn)
    return _retry(attempt)


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    opts = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**opts) as conn, conn.begin():
        yield conn
