"""The search tables are made by migration 0003 and kept out of ``db.schema.metadata`` (FTS5
virtual tables and tsvector columns have no portable SQLAlchemy form): autogenerate must not
see them, nor SQLite's FTS5 shadow tables (``search_shows_data``, ``_idx``, ``_content``,
``_docsize``, ``_config``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PREFIX = "search_"
TABLES = ("search_shows", "search_users", "search_tags")


def include_name(name: str | None, type_: str, parent_names: Mapping[Any, str | None]) -> bool:
    """Alembic's ``include_name`` hook: skip every table (and its indexes) named ``search_*``."""
    if type_ == "table" and name is not None:
        return not name.startswith(PREFIX)
    return True
