"""The Alembic migrations build exactly the schema in ``db/schema.py``, on both databases, and
go down and up again cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from mixcast.db.engine import sync_engine
from mixcast.db.migrate import downgrade, upgrade
from mixcast.db.schema import metadata
from mixcast.db.urls import DatabaseURL
from mixcast.search.tables import include_name
from tests.conftest import PG_URL


@pytest.fixture
def scratch_url(tmp_path: Path, template_db: str) -> str:
    # On PostgreSQL the session's test database is reused: its schema is migrated already and
    # this test leaves it migrated to head again.
    return PG_URL or f"sqlite:///{tmp_path / 'scratch.db'}"


def test_migrations_match_the_schema(scratch_url: str) -> None:
    url = DatabaseURL.parse(scratch_url)
    upgrade(url)
    engine = sync_engine(url)
    try:
        with engine.connect() as conn:
            # As migrations/env.py does: the search tables live outside the metadata.
            context = MigrationContext.configure(conn, opts={"include_name": include_name})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_down_and_up_again(scratch_url: str) -> None:
    url = DatabaseURL.parse(scratch_url)
    upgrade(url)
    downgrade(url, "base")
    engine = sync_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(url)
    engine = sync_engine(url)
    try:
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
