"""Following: one row per (follower, followee), with both users' counters kept in step."""

from __future__ import annotations

from mixcast.db.database import Connection, Query
from mixcast.errors import AppError

_INSERT = Query(
    """
    INSERT INTO follows (follower_id, followee_id, created_at)
    VALUES (:follower_id, :followee_id, :now)
    ON CONFLICT (follower_id, followee_id) DO NOTHING
    """
)
_DELETE = Query(
    "DELETE FROM follows WHERE follower_id = :follower_id AND followee_id = :followee_id"
)
_BUMP = Query(
    """
    UPDATE users SET
        following_count = following_count + CASE WHEN id = :follower_id THEN :delta ELSE 0 END,
        follower_count = follower_count + CASE WHEN id = :followee_id THEN :delta ELSE 0 END
    WHERE id IN (:follower_id, :followee_id)
    """
)


class CannotFollowSelf(AppError):
    type = "InvalidActionException"
    http_status = 400


async def follow_user(conn: Connection, follower_id: int, followee_id: int, now: int) -> bool:
    """Follow; True if a new row was made (a repeat keeps the one row)."""
    if follower_id == followee_id:
        raise CannotFollowSelf("You cannot follow yourself.")
    ids = {"follower_id": follower_id, "followee_id": followee_id}
    if await conn.execute(_INSERT, {**ids, "now": now}) == 0:
        return False
    await conn.execute(_BUMP, {**ids, "delta": 1})
    return True


async def unfollow_user(conn: Connection, follower_id: int, followee_id: int) -> bool:
    ids = {"follower_id": follower_id, "followee_id": followee_id}
    if await conn.execute(_DELETE, ids) == 0:
        return False
    await conn.execute(_BUMP, {**ids, "delta": -1})
    return True


_FOLLOW_FLAGS = Query(
    """
    SELECT 1 AS following, followee_id AS user_id FROM follows
    WHERE follower_id = :viewer AND followee_id IN :ids
    UNION ALL
    SELECT 0, follower_id FROM follows WHERE followee_id = :viewer AND follower_id IN :ids
    """
)


async def follow_flags(
    conn: Connection, viewer_id: int, user_ids: list[int]
) -> tuple[set[int], set[int]]:
    """Of ``user_ids``: those ``viewer_id`` follows, and those who follow ``viewer_id``."""
    if not user_ids:
        return set(), set()
    following: set[int] = set()
    followers: set[int] = set()
    for row in await conn.fetch_all(_FOLLOW_FLAGS, {"viewer": viewer_id, "ids": user_ids}):
        (following if row["following"] else followers).add(row["user_id"])
    return following, followers
