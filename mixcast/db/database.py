"""The request-time database: a few hand-written queries through the plain drivers.

``connect(url)`` returns a ``Database`` for SQLite (the stdlib ``sqlite3``, called directly on the
event loop: a point query costs tens of microseconds, less than a thread hop) or PostgreSQL
(an ``asyncpg`` pool). Both take the same ``Query`` objects, written once with ``:name``
parameters; a list or tuple value expands to ``(v1, v2, ...)`` for ``IN``.

Reads go through ``Database.fetch_*``. Writes go through ``Database.transaction()``: the unit of
work that a request or a job owns, and the one place that commits.

PostgreSQL going away (restarted, stopped, refusing connections) surfaces as one error,
``DatabaseUnavailable`` (503), logged as one line; the pool drops the dead connections and
opens new ones on later requests, so mixcast recovers by itself when the server is back.
A transaction cut off by it is rolled back by the server; only one cut off during its own
COMMIT has an unknown outcome, as with any database client.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any, NoReturn, Protocol

from mixcast.db.urls import DatabaseURL
from mixcast.errors import DatabaseUnavailable

log = logging.getLogger("mixcast.db")

Row = Mapping[str, Any]
Params = Mapping[str, Any]

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class Query:
    """One SQL text with ``:name`` parameters, compiled once for each driver's paramstyle."""

    __slots__ = ("expanded", "names", "pg", "sqlite", "text")

    def __init__(self, text: str) -> None:
        self.expanded: dict[tuple[tuple[str, int], ...], Query] = {}  # see _expand
        self.text = " ".join(text.split())
        self.sqlite = self.text  # sqlite3 takes :name natively
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        self.pg = _PARAM.sub(number, self.text)
        self.names = tuple(names)

    def __repr__(self) -> str:
        return f"Query({self.text!r})"


_MAX_EXPANSIONS = 128  # per query: one per distinct list length (a page holds at most 101 ids)


def _expand(query: Query, params: Params) -> tuple[Query, dict[str, Any]]:
    """Rewrite ``:ids`` bound to a sequence as ``(:ids_0, :ids_1, ...)``. The rewritten query
    is kept per list length, so a list page compiles its ``IN`` once, not per request."""
    flat: dict[str, Any] = {}
    shape: list[tuple[str, int]] = []
    for name, value in params.items():
        if isinstance(value, list | tuple):
            shape.append((name, len(value)))
            flat.update((f"{name}_{i}", v) for i, v in enumerate(value))
        else:
            flat[name] = value
    key = tuple(shape)
    expanded = query.expanded.get(key)
    if expanded is None:
        text = query.text
        for name, count in shape:
            # IN () is a syntax error; IN (NULL) matches nothing.
            items = ", ".join(f":{name}_{i}" for i in range(count)) if count else "NULL"
            text = re.sub(rf"(?<![:\w]):{name}\b", f"({items})", text)
        expanded = Query(text)
        if len(query.expanded) < _MAX_EXPANSIONS:
            query.expanded[key] = expanded
    return expanded, flat


def _needs_expand(params: Params) -> bool:
    return any(isinstance(v, list | tuple) for v in params.values())


class Connection(Protocol):
    dialect: str  # "sqlite" | "postgresql": for the few queries written once per database

    async def fetch_all(self, query: Query, params: Params | None = None) -> list[Row]: ...
    async def fetch_one(self, query: Query, params: Params | None = None) -> Row | None: ...
    async def fetch_value(self, query: Query, params: Params | None = None) -> Any: ...
    async def execute(self, query: Query, params: Params | None = None) -> int: ...
    async def execute_many(self, query: Query, rows: Iterable[Params]) -> None: ...


class Database(Connection, Protocol):
    def transaction(self) -> Any: ...  # an async context manager yielding a Connection
    def reading(self) -> Any: ...  # an async context manager yielding a Connection for reads
    async def close(self) -> None: ...


# ---------------------------------------------------------------- SQLite


def _sqlite_connect(url: DatabaseURL) -> sqlite3.Connection:
    conn = sqlite3.connect(
        url.sqlite_path, isolation_level=None, check_same_thread=False, timeout=10.0
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


class _SQLiteConnection:
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def _run(self, query: Query, params: Params | None) -> sqlite3.Cursor:
        params = params or {}
        if _needs_expand(params):
            query, params = _expand(query, params)
        return self._conn.execute(query.sqlite, params)

    async def fetch_all(self, query: Query, params: Params | None = None) -> list[Row]:
        return self._run(query, params).fetchall()

    async def fetch_one(self, query: Query, params: Params | None = None) -> Row | None:
        row: Row | None = self._run(query, params).fetchone()
        return row

    async def fetch_value(self, query: Query, params: Params | None = None) -> Any:
        row = self._run(query, params).fetchone()
        return None if row is None else row[0]

    async def execute(self, query: Query, params: Params | None = None) -> int:
        return self._run(query, params).rowcount

    async def execute_many(self, query: Query, rows: Iterable[Params]) -> None:
        self._conn.executemany(query.sqlite, list(rows))


class SQLiteDatabase(_SQLiteConnection):
    """Reads on one autocommit connection; writes on another, one transaction at a time.

    SQLite allows one writer; an asyncio lock queues this process's transactions instead of
    letting them spin on SQLITE_BUSY, and ``BEGIN IMMEDIATE`` takes the write lock up front so
    a transaction never fails half-way on a lock upgrade. Other processes wait on busy_timeout.
    """

    dialect = "sqlite"

    def __init__(self, url: DatabaseURL) -> None:
        super().__init__(_sqlite_connect(url))
        self._url = url
        self._writer: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Connection]:
        """Several reads in a row: on SQLite, the shared read connection itself."""
        yield self

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self._lock:
            if self._writer is None:
                self._writer = _sqlite_connect(self._url)
            writer = self._writer
            writer.execute("BEGIN IMMEDIATE")
            try:
                yield _SQLiteConnection(writer)
            except BaseException:
                writer.execute("ROLLBACK")
                raise
            writer.execute("COMMIT")

    async def close(self) -> None:
        self._conn.close()
        if self._writer is not None:
            self._writer.close()


# ---------------------------------------------------------------- PostgreSQL


def _pg_args(query: Query, params: Params | None) -> tuple[str, Sequence[Any]]:
    params = params or {}
    if _needs_expand(params):
        query, params = _expand(query, params)
    return query.pg, [params[name] for name in query.names]


# The connection is gone or cannot be made: the database, not the query, is the problem.
_GONE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})  # shutdown, starting, full


def _is_outage(exc: BaseException) -> bool:
    from asyncpg import exceptions as pg

    if isinstance(exc, OSError | pg.PostgresConnectionError):  # refused, reset, timed out
        return True
    if isinstance(exc, pg.PostgresError):
        return exc.sqlstate in _GONE_SQLSTATES
    # The driver's own checks on a connection the server closed ("connection is closed",
    # "the underlying connection is closed"); other InterfaceErrors are bugs, left alone.
    return type(exc) is pg.InterfaceError and "closed" in str(exc)


def _reraise(exc: Exception) -> NoReturn:
    """Raise ``DatabaseUnavailable`` in place of a connection error, ``exc`` itself otherwise.
    Logged once: a rollback failing after the first error gives back that first one."""
    if not _is_outage(exc):
        raise exc
    if isinstance(exc.__context__, DatabaseUnavailable):
        raise exc.__context__ from exc
    log.warning("database unavailable: %s: %s", type(exc).__name__, exc)
    raise DatabaseUnavailable() from exc


class _PostgresConnection:
    dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetch_all(self, query: Query, params: Params | None = None) -> list[Row]:
        sql, args = _pg_args(query, params)
        try:
            rows: list[Row] = await self._conn.fetch(sql, *args)
        except Exception as exc:
            _reraise(exc)
        return rows

    async def fetch_one(self, query: Query, params: Params | None = None) -> Row | None:
        sql, args = _pg_args(query, params)
        try:
            row: Row | None = await self._conn.fetchrow(sql, *args)
        except Exception as exc:
            _reraise(exc)
        return row

    async def fetch_value(self, query: Query, params: Params | None = None) -> Any:
        sql, args = _pg_args(query, params)
        try:
            return await self._conn.fetchval(sql, *args)
        except Exception as exc:
            _reraise(exc)

    async def execute(self, query: Query, params: Params | None = None) -> int:
        sql, args = _pg_args(query, params)
        try:
            status: str = await self._conn.execute(sql, *args)
        except Exception as exc:
            _reraise(exc)
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def execute_many(self, query: Query, rows: Iterable[Params]) -> None:
        try:
            await self._conn.executemany(query.pg, [[r[n] for n in query.names] for r in rows])
        except Exception as exc:
            _reraise(exc)


class PostgresDatabase(_PostgresConnection):
    """An asyncpg pool; each read borrows a connection, each transaction holds one.

    The pool replaces a connection the server closed when it is next acquired (asyncpg checks
    ``is_closed`` there), so after a restart the first requests on dead connections fail with
    ``DatabaseUnavailable`` and the rest get fresh ones.
    """

    dialect = "postgresql"

    def __init__(self, pool: Any) -> None:
        super().__init__(pool)  # asyncpg's Pool has fetch/fetchrow/fetchval/execute too
        self._pool = pool

    def reading(self) -> AbstractAsyncContextManager[Connection]:
        """Several reads in a row on one pooled connection: one acquire instead of one each."""
        return self._held(in_transaction=False)

    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        return self._held(in_transaction=True)

    @asynccontextmanager
    async def _held(self, *, in_transaction: bool) -> AsyncIterator[Connection]:
        """A pooled connection, in a transaction when asked; the connection errors of the pool
        and the transaction (acquire, BEGIN, COMMIT, ROLLBACK, release) become
        ``DatabaseUnavailable``, as the queries' do."""
        failed: BaseException | None = None  # what the caller's block raised
        try:
            async with (
                self._pool.acquire() as conn,
                conn.transaction() if in_transaction else nullcontext(),
            ):
                try:
                    yield _PostgresConnection(conn)
                except BaseException as exc:
                    failed = exc
                    raise
        except Exception as exc:
            if exc is failed:  # its queries were translated already; its own OSError is not ours
                raise
            _reraise(exc)

    async def close(self) -> None:
        await self._pool.close()


async def _keep_session(conn: Any) -> None:
    """Skip asyncpg's reset on release (RESET ALL, UNLISTEN ...: a round trip per release).
    mixcast never changes session state, and transactions end in their context manager."""


class _OutageInOneLine(logging.Filter):
    """asyncpg's pool reconnects in the background to keep ``min_size`` connections, logging
    each failed attempt with a traceback; while the database is away, one line each is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and _is_outage(exc):
            record.msg = f"{record.getMessage()}: {type(exc).__name__}: {exc}"
            record.args = None
            record.exc_info = record.exc_text = None
        return True


def _quiet_pool_log() -> None:
    pool_log = logging.getLogger("asyncpg.pool")
    if not any(isinstance(f, _OutageInOneLine) for f in pool_log.filters):
        pool_log.addFilter(_OutageInOneLine())


# A new connection to a server that is down is refused at once; one to a host that does not
# answer at all would otherwise wait asyncpg's 60 s, holding the request that asked for it.
CONNECT_TIMEOUT = 5.0


async def connect(url: DatabaseURL, *, pool_size: int = 10) -> Database:
    if url.dialect == "sqlite":
        return SQLiteDatabase(url)
    import asyncpg

    _quiet_pool_log()
    pool = await asyncpg.create_pool(
        url.libpq,
        min_size=1,
        max_size=pool_size,
        statement_cache_size=256,
        reset=_keep_session,
        timeout=CONNECT_TIMEOUT,
    )
    return PostgresDatabase(pool)
