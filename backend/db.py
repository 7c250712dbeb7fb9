"""Runtime data access: one persistent connection path per process, on SQLite or PostgreSQL.

Piccolo defines the tables and runs the migrations; requests do not go through Piccolo's
engines, because on SQLite those open a new connection for every query outside a transaction
(about 1 ms each) and hop to a thread for every call. Here:

* SQLite: two persistent ``sqlite3`` connections in WAL mode, called inline (short OLTP
  statements cost tens of microseconds, less than a thread hop). Reads use the reader; writes
  take an asyncio lock and run ``BEGIN IMMEDIATE`` on the writer, so a read-then-write never
  fails with "database is locked" and the busy timeout covers other processes.
* PostgreSQL: an ``asyncpg`` pool; a transaction holds one connection.

SQL is written once with PostgreSQL's ``$1`` placeholders; SQLite accepts the same numbers as
``?1``. Piccolo's adapters and converters are registered (importing its SQLite engine), so UUID,
timestamp and boolean columns come back as the same Python types on both databases. JSON
columns travel as text on both (no asyncpg codec), decoded by the caller.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import contextvars
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import piccolo.engine.sqlite  # noqa: F401 - registers sqlite3 adapters/converters

Row = dict[str, Any]
BUSY_TIMEOUT_MS = 5000

_PLACEHOLDER = re.compile(r"\$(\d+)")


class DatabaseUnavailable(Exception):
    """The database cannot be reached or written; requests answer 503 until it returns."""


def _dict_factory(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {col[0]: row[idx] for idx, col in enumerate(cursor.description)}


@dataclass
class _Tx:
    conn: Any


_current: contextvars.ContextVar[_Tx | None] = contextvars.ContextVar("db_tx", default=None)


class Database(abc.ABC):
    """The one database handle of a process. Create with :func:`connect`."""

    kind: str

    @abc.abstractmethod
    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Implemented by each database kind."""

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = await self.fetchrow(sql, *args)
        if row is None:
            return None
        return next(iter(row.values()))

    @abc.abstractmethod
    async def execute(self, sql: str, *args: Any) -> None:
        """Implemented by each database kind."""

    @abc.abstractmethod
    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Implemented by each database kind."""

    @abc.abstractmethod
    def transaction(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Implemented by each database kind."""

    async def ping(self) -> None:
        await self.fetchval("SELECT 1 AS ok")

    @abc.abstractmethod
    async def close(self) -> None:
        """Implemented by each database kind."""

    @staticmethod
    def in_transaction() -> bool:
        return _current.get() is not None


class SQLiteDatabase(Database):
    kind = "sqlite"

    def __init__(self, path: Path, *, synchronous: str = "FULL") -> None:
        self.path = path
        self.synchronous = synchronous
        self._reader: sqlite3.Connection | None = None
        self._writer: sqlite3.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._sql_cache: dict[str, str] = {}

    def _open(self, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
        conn = sqlite3.connect(
            str(self.path),
            detect_types=sqlite3.PARSE_DECLTYPES,
            isolation_level=None,
            check_same_thread=False,
            timeout=busy_timeout_ms / 1000,
        )
        conn.row_factory = _dict_factory
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        return conn

    def _connection(self) -> sqlite3.Connection:
        tx = _current.get()
        if tx is not None:
            return tx.conn
        if self._reader is None:
            self._reader = self._open()
        return self._reader

    def _sql(self, sql: str) -> str:
        cached = self._sql_cache.get(sql)
        if cached is None:
            cached = _PLACEHOLDER.sub(r"?\1", sql)
            self._sql_cache[sql] = cached
        return cached

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        try:
            return self._connection().execute(self._sql(sql), args).fetchall()
        except sqlite3.OperationalError as exc:
            raise _translate(exc) from exc

    async def execute(self, sql: str, *args: Any) -> None:
        try:
            self._connection().execute(self._sql(sql), args)
        except sqlite3.OperationalError as exc:
            raise _translate(exc) from exc

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self._connection().executemany(self._sql(sql), rows)
        except sqlite3.OperationalError as exc:
            raise _translate(exc) from exc

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if _current.get() is not None:
            # Nested: join the outer transaction, which commits or rolls back as a whole.
            yield
            return
        async with self._write_lock:
            if self._writer is None:
                # No busy wait on the event loop: see _begin.
                self._writer = self._open(busy_timeout_ms=0)
            conn = self._writer
            await self._begin(conn)
            token = _current.set(_Tx(conn))
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                try:
                    conn.execute("COMMIT")
                except sqlite3.OperationalError as exc:
                    conn.execute("ROLLBACK")
                    raise _translate(exc) from exc
            finally:
                _current.reset(token)

    @staticmethod
    async def _begin(conn: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE`` inline when the write lock is free (the usual case, microseconds);
        when another process holds it, wait for it in a thread so the event loop keeps serving
        other requests, and give up after the busy timeout with :class:`DatabaseUnavailable`."""
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise _translate(exc) from exc

        def wait_and_begin() -> None:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            try:
                conn.execute("BEGIN IMMEDIATE")
            finally:
                conn.execute("PRAGMA busy_timeout=0")

        try:
            await anyio.to_thread.run_sync(wait_and_begin)
        except sqlite3.OperationalError as exc:
            raise _translate(exc) from exc

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                conn.close()
        self._reader = self._writer = None


def _translate(exc: sqlite3.OperationalError) -> Exception:
    message = str(exc).lower()
    if any(
        word in message
        for word in ("unable to open", "readonly", "disk i/o", "locked", "read-only")
    ):
        return DatabaseUnavailable(str(exc))
    return exc


class PostgresDatabase(Database):
    kind = "postgres"

    def __init__(self, dsn: str, *, min_size: int = 2, max_size: int = 10) -> None:
        self.dsn = dsn
        self.min_size = min_size
        self.max_size = max_size
        self._pool: Any = None
        self._pool_lock = asyncio.Lock()

    async def _get_pool(self) -> Any:
        if self._pool is None:
            import asyncpg

            async with self._pool_lock:
                if self._pool is None:
                    try:
                        self._pool = await asyncpg.create_pool(
                            self.dsn,
                            min_size=self.min_size,
                            max_size=self.max_size,
                            reset=_reset_on_release,
                        )
                    except (OSError, asyncpg.PostgresError) as exc:
                        raise DatabaseUnavailable(str(exc)) from exc
        return self._pool

    @contextlib.asynccontextmanager
    async def _conn(self) -> AsyncIterator[Any]:
        tx = _current.get()
        if tx is not None:
            yield tx.conn
            return
        pool = await self._get_pool()
        try:
            async with pool.acquire() as conn:
                yield conn
        except (OSError, ConnectionError) as exc:
            raise DatabaseUnavailable(str(exc)) from exc

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        import asyncpg

        try:
            async with self._conn() as conn:
                return [dict(r) for r in await conn.fetch(sql, *args)]
        except (asyncpg.exceptions.ConnectionDoesNotExistError,
                asyncpg.exceptions.CannotConnectNowError,
                asyncpg.exceptions.AdminShutdownError) as exc:
            raise DatabaseUnavailable(str(exc)) from exc

    async def execute(self, sql: str, *args: Any) -> None:
        import asyncpg

        try:
            async with self._conn() as conn:
                await conn.execute(sql, *args)
        except (asyncpg.exceptions.ConnectionDoesNotExistError,
                asyncpg.exceptions.CannotConnectNowError,
                asyncpg.exceptions.AdminShutdownError) as exc:
            raise DatabaseUnavailable(str(exc)) from exc

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        async with self._conn() as conn:
            await conn.executemany(sql, rows)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if _current.get() is not None:
            yield
            return
        import asyncpg

        pool = await self._get_pool()
        try:
            async with pool.acquire() as conn, conn.transaction():
                token = _current.set(_Tx(conn))
                try:
                    yield
                finally:
                    _current.reset(token)
        except (OSError, ConnectionError,
                asyncpg.exceptions.ConnectionDoesNotExistError,
                asyncpg.exceptions.CannotConnectNowError,
                asyncpg.exceptions.AdminShutdownError) as exc:
            raise DatabaseUnavailable(str(exc)) from exc

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def _reset_on_release(conn: Any) -> None:
    """What a pooled connection needs before reuse. asyncpg's default reset sends
    ``RESET ALL; UNLISTEN *; ...`` on every release: one more round trip for every query a
    request makes. The app leaves no session state behind (settings are ``SET LOCAL`` inside
    transactions; no LISTEN, advisory locks or cursors), so only an interrupted transaction
    needs undoing."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


def connect(database_url: str) -> Database:
    """Make the process's database handle from a URL (``sqlite:///path`` or ``postgres://``)."""
    if database_url.startswith("sqlite:///"):
        return SQLiteDatabase(Path(database_url.split("sqlite:///", 1)[1]))
    if database_url.startswith(("postgres://", "postgresql://")):
        return PostgresDatabase(database_url)
    raise ValueError(f"unsupported DATABASE_URL: {database_url!r}")


_db: Database | None = None


def get_db() -> Database:
    """The process-wide database handle, made from the settings on first use."""
    global _db
    if _db is None:
        from backend.config import get_settings

        _db = connect(get_settings().database_url)
    return _db


def set_db(database: Database | None) -> None:
    """Replace the process-wide handle (tests and the CLI)."""
    global _db
    _db = database
