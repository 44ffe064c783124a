"""Synchronous SQLAlchemy engines, for migrations and bulk loads (demo data, the generator).

Requests never use these: they go through ``db.database.Database`` and the plain drivers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

from mixcast.db.urls import DatabaseURL


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sync_engine(url: DatabaseURL) -> Engine:
    if url.dialect == "sqlite":
        url.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url.sqlalchemy)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url.sqlalchemy, pool_pre_ping=True)
