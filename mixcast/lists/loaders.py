"""Loading a whole page's rows at once: one query per kind of row, whatever the page's size
(Sentry's serializers: never one query per item). Each returns rows keyed by id; ids that no
longer exist are simply absent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from mixcast.db.database import Connection, Query, Row
from mixcast.shows.shows import SHOW_COLUMNS, TAGS_OF_SHOWS

_SHOWS = Query(
    f"""
    SELECT {SHOW_COLUMNS}
    FROM shows s JOIN users u ON u.id = s.owner_id LEFT JOIN pictures p ON p.id = s.picture_id
    WHERE s.id IN :ids
    """
)
USER_BRIEF_COLUMNS = "u.id, u.username, u.display_name, u.picture_id"
_USERS = Query(f"SELECT {USER_BRIEF_COLUMNS} FROM users u WHERE u.id IN :ids")
_COMMENTS = Query(
    f"""
    SELECT c.id AS comment_id, c.body, c.created_at, {USER_BRIEF_COLUMNS}
    FROM comments c JOIN users u ON u.id = c.author_id WHERE c.id IN :ids
    """
)
_PLAYLISTS = Query(
    f"""
    SELECT pl.id AS playlist_id, pl.slug, pl.name, pl.description, pl.cloudcast_count,
        pl.created_at, pl.updated_at, {USER_BRIEF_COLUMNS}
    FROM playlists pl JOIN users u ON u.id = pl.owner_id WHERE pl.id IN :ids
    """
)


def _unique(ids: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(ids))


async def load_shows(
    conn: Connection, ids: Sequence[int]
) -> tuple[dict[int, Row], dict[int, list[tuple[str, str]]]]:
    """Shows (with their owners and picture colours) and their genre tags as (slug, name)
    pairs: two queries."""
    if not ids:
        return {}, {}
    wanted = _unique(ids)
    # As dicts: rendering reads each show's columns by name, which a dict answers faster
    # than a driver row does (sqlite3.Row compares names one by one).
    rows = await conn.fetch_all(_SHOWS, {"ids": wanted})
    shows: dict[int, Row] = {
        row["id"]: dict(zip(row.keys(), cast(Sequence[Any], row), strict=True)) for row in rows
    }
    tags: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for row in await conn.fetch_all(TAGS_OF_SHOWS, {"ids": wanted}):
        show_id, slug, name = cast(Sequence[Any], row)  # by position: cheaper than by name
        tags[show_id].append((slug, name))
    return shows, tags


async def load_users(conn: Connection, ids: Sequence[int]) -> dict[int, Row]:
    if not ids:
        return {}
    return {row["id"]: row for row in await conn.fetch_all(_USERS, {"ids": _unique(ids)})}


async def load_comments(conn: Connection, ids: Sequence[int]) -> dict[int, Row]:
    """Comments with their authors."""
    if not ids:
        return {}
    rows = await conn.fetch_all(_COMMENTS, {"ids": _unique(ids)})
    return {row["comment_id"]: row for row in rows}


async def load_playlists(conn: Connection, ids: Sequence[int]) -> dict[int, Row]:
    if not ids:
        return {}
    rows = await conn.fetch_all(_PLAYLISTS, {"ids": _unique(ids)})
    return {row["playlist_id"]: row for row in rows}


_TAGS = Query("SELECT id, slug, name FROM tags WHERE id IN :ids")


async def load_tags(conn: Connection, ids: Sequence[int]) -> dict[int, Row]:
    if not ids:
        return {}
    return {row["id"]: row for row in await conn.fetch_all(_TAGS, {"ids": _unique(ids)})}
