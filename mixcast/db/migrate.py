"""Run Alembic migrations programmatically: ``mixcast migrate`` and the tests call this."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config

from mixcast.db.engine import sync_engine
from mixcast.db.urls import DatabaseURL

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _run(url: DatabaseURL, step: Callable[[Config, str], None], revision: str) -> None:
    """Run one Alembic command on one connection, in one transaction."""
    engine = sync_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            step(config, revision)
    finally:
        engine.dispose()


def upgrade(url: DatabaseURL, revision: str = "head") -> None:
    _run(url, command.upgrade, revision)


def downgrade(url: DatabaseURL, revision: str) -> None:
    _run(url, command.downgrade, revision)
