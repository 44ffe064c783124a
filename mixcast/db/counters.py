"""Every counter column and the rows it counts, in one table, so tests and the
``mixcast check-counters`` command can prove they agree (and ``recount`` can repair them)."""

from __future__ import annotations

from mixcast.db.database import Connection, Query
from mixcast.db.schema import LISTED_SQL

# (table, counter column, SQL for the true value given the row's id as ``t.id``)
COUNTERS: tuple[tuple[str, str, str], ...] = (
    ("users", "follower_count", "SELECT COUNT(*) FROM follows WHERE followee_id = t.id"),
    ("users", "following_count", "SELECT COUNT(*) FROM follows WHERE follower_id = t.id"),
    ("users", "favorite_count", "SELECT COUNT(*) FROM favorites WHERE user_id = t.id"),
    ("users", "listen_count", "SELECT COUNT(*) FROM listens WHERE user_id = t.id"),
    (
        "users",
        "cloudcast_count",
        f"SELECT COUNT(*) FROM shows WHERE owner_id = t.id AND {LISTED_SQL}",
    ),
    ("shows", "play_count", "SELECT COUNT(*) FROM listens WHERE show_id = t.id"),
    (
        "shows",
        "listener_count",
        "SELECT COUNT(*) FROM show_listeners WHERE show_id = t.id",
    ),
    ("shows", "favorite_count", "SELECT COUNT(*) FROM favorites WHERE show_id = t.id"),
    ("shows", "repost_count", "SELECT COUNT(*) FROM reposts WHERE show_id = t.id"),
    ("shows", "comment_count", "SELECT COUNT(*) FROM comments WHERE show_id = t.id"),
    (
        "playlists",
        "cloudcast_count",
        "SELECT COUNT(*) FROM playlist_items WHERE playlist_id = t.id",
    ),
)


async def drifted(conn: Connection, limit: int = 20) -> list[str]:
    """Describe up to ``limit`` counters that differ from their rows; empty when all agree."""
    found: list[str] = []
    for table, column, truth in COUNTERS:
        query = Query(
            f"SELECT t.id, t.{column} AS stored, ({truth}) AS actual FROM {table} t"
            f" WHERE t.{column} <> ({truth}) LIMIT {int(limit)}"
        )
        for row in await conn.fetch_all(query):
            found.append(
                f"{table}.{column} id={row['id']}: stored {row['stored']}, rows {row['actual']}"
            )
    return found[:limit]


async def recount(conn: Connection) -> None:
    """Set every counter from its rows (for bulk loads that skip the named functions)."""
    for table, column, truth in COUNTERS:
        await conn.execute(Query(f"UPDATE {table} AS t SET {column} = ({truth})"))
