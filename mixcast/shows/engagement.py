"""Favorites, reposts, listen-later, listens and comments on shows, with counters in step.

Each function changes its rows and the counters that count them in the caller's transaction.
"""

from __future__ import annotations

from mixcast.db.database import Connection, Query
from mixcast.errors import AppError


class _Pairs:
    """favorites / reposts / listen_later: a (user, show) row and the counters it feeds."""

    def __init__(self, table: str, show_counter: str | None, user_counter: str | None) -> None:
        self.insert = Query(
            f"INSERT INTO {table} (user_id, show_id, created_at) VALUES (:user_id, :show_id, :now)"
            " ON CONFLICT (user_id, show_id) DO NOTHING"
        )
        self.delete = Query(f"DELETE FROM {table} WHERE user_id = :user_id AND show_id = :show_id")
        self.bump_show = show_counter and Query(
            f"UPDATE shows SET {show_counter} = {show_counter} + :delta WHERE id = :show_id"
        )
        self.bump_user = user_counter and Query(
            f"UPDATE users SET {user_counter} = {user_counter} + :delta WHERE id = :user_id"
        )

    async def _bump(self, conn: Connection, user_id: int, show_id: int, delta: int) -> None:
        if self.bump_show:
            await conn.execute(self.bump_show, {"show_id": show_id, "delta": delta})
        if self.bump_user:
            await conn.execute(self.bump_user, {"user_id": user_id, "delta": delta})

    async def add(self, conn: Connection, user_id: int, show_id: int, now: int) -> bool:
        ids = {"user_id": user_id, "show_id": show_id}
        if await conn.execute(self.insert, {**ids, "now": now}) == 0:
            return False
        await self._bump(conn, user_id, show_id, 1)
        return True

    async def remove(self, conn: Connection, user_id: int, show_id: int) -> bool:
        if await conn.execute(self.delete, {"user_id": user_id, "show_id": show_id}) == 0:
            return False
        await self._bump(conn, user_id, show_id, -1)
        return True


FAVORITES = _Pairs("favorites", "favorite_count", "favorite_count")
REPOSTS = _Pairs("reposts", "repost_count", None)
LISTEN_LATER = _Pairs("listen_later", None, None)

_MARKED = Query(
    """
    SELECT 'favorited' AS mark, show_id FROM favorites WHERE user_id = :user AND show_id IN :ids
    UNION ALL
    SELECT 'reposted', show_id FROM reposts WHERE user_id = :user AND show_id IN :ids
    UNION ALL
    SELECT 'listen_later', show_id FROM listen_later WHERE user_id = :user AND show_id IN :ids
    """
)


async def engagement_marks(
    conn: Connection, user_id: int, show_ids: list[int]
) -> dict[str, set[int]]:
    """Of ``show_ids``, those ``user_id`` favorited, reposted and put on listen-later, in one
    query: ``{"favorited": {...}, "reposted": {...}, "listen_later": {...}}``."""
    marks: dict[str, set[int]] = {"favorited": set(), "reposted": set(), "listen_later": set()}
    if show_ids:
        for row in await conn.fetch_all(_MARKED, {"user": user_id, "ids": show_ids}):
            marks[row["mark"]].add(row["show_id"])
    return marks


_INSERT_LISTEN = Query(
    "INSERT INTO listens (show_id, user_id, listener, created_at)"
    " VALUES (:show_id, :user_id, :listener, :now)"
)
_NEW_LISTENER = Query(
    "INSERT INTO show_listeners (show_id, listener, user_id, first_at)"
    " VALUES (:show_id, :listener, :user_id, :now) ON CONFLICT (show_id, listener) DO NOTHING"
)
_BUMP_PLAYS = Query(
    """
    UPDATE shows SET play_count = play_count + 1, listener_count = listener_count + :new_listener
    WHERE id = :show_id
    """
)
_BUMP_USER_LISTENS = Query("UPDATE users SET listen_count = listen_count + 1 WHERE id = :id")
_INSERT_COMMENT = Query(
    "INSERT INTO comments (author_id, show_id, profile_id, body, created_at)"
    " VALUES (:author_id, :show_id, :profile_id, :body, :now) RETURNING id"
)
_COMMENTS_DISABLED = Query("SELECT disable_comments FROM shows WHERE id = :id")
MAX_COMMENT = 1000


class InvalidComment(AppError):
    type = "InvalidCommentException"
    http_status = 400


_BUMP_COMMENTS = Query("UPDATE shows SET comment_count = comment_count + 1 WHERE id = :id")


async def record_listen(
    conn: Connection, show_id: int, *, user_id: int | None, listener: str, now: int
) -> None:
    """Count one listen: ``play_count`` always, ``listener_count`` for a new listener."""
    ids = {"show_id": show_id, "listener": listener, "user_id": user_id, "now": now}
    new_listener = await conn.execute(_NEW_LISTENER, ids)  # 1 for a first listen, else 0
    await conn.execute(_INSERT_LISTEN, ids)
    await conn.execute(_BUMP_PLAYS, {"show_id": show_id, "new_listener": new_listener})
    if user_id is not None:
        await conn.execute(_BUMP_USER_LISTENS, {"id": user_id})


async def add_comment(
    conn: Connection,
    author_id: int,
    body: str,
    now: int,
    *,
    show_id: int | None = None,
    profile_id: int | None = None,
) -> int:
    """Comment on a show or on a user's profile (exactly one of them)."""
    body = body.strip()
    if not body or len(body) > MAX_COMMENT:
        raise InvalidComment(f"A comment is 1 to {MAX_COMMENT} characters.")
    if (show_id is None) == (profile_id is None):
        raise InvalidComment("A comment is on a show or on a profile.")
    if show_id is not None and await conn.fetch_value(_COMMENTS_DISABLED, {"id": show_id}):
        raise InvalidComment("Comments are turned off for this show.")
    comment_id: int = await conn.fetch_value(
        _INSERT_COMMENT,
        {
            "author_id": author_id,
            "show_id": show_id,
            "profile_id": profile_id,
            "body": body,
            "now": now,
        },
    )
    if show_id is not None:
        await conn.execute(_BUMP_COMMENTS, {"id": show_id})
    return comment_id
