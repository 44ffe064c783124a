"""Creating users and reading them for the API."""

from __future__ import annotations

from mixcast.accounts.usernames import USERNAME, check_username, username_key
from mixcast.db.database import Connection, Query, Row
from mixcast.errors import AppError
from mixcast.search.index import index_user

USER_COLUMNS = """
    u.id, u.username, u.display_name, u.biog, u.city, u.country, u.is_pro, u.is_premium,
    u.picture_id, u.cover_picture_id, p.primary_color AS picture_primary_color,
    u.follower_count, u.following_count, u.favorite_count, u.listen_count, u.cloudcast_count,
    u.created_at, u.updated_at
"""

_BY_USERNAME = Query(
    f"SELECT {USER_COLUMNS} FROM users u LEFT JOIN pictures p ON p.id = u.picture_id"
    " WHERE u.username_key = :key"
)
_EXISTS = Query("SELECT 1 FROM users WHERE username_key = :key")
_USERNAME = Query("SELECT username FROM users WHERE id = :id")
_INSERT = Query(
    """
    INSERT INTO users (username, username_key, display_name, email, password_hash, biog, city,
        country, is_pro, is_premium, picture_id, cover_picture_id, created_at, updated_at)
    VALUES (:username, :key, :display_name, :email, :password_hash, :biog, :city, :country,
        :is_pro, :is_premium, :picture_id, :cover_picture_id, :now, :now)
    RETURNING id
    """
)


class UsernameTaken(AppError):
    type = "UsernameTakenException"
    http_status = 400


async def get_user(conn: Connection, username: str) -> Row | None:
    """The user whose username matches, ignoring case; None if there is none."""
    if not USERNAME.match(username):  # no query for what can't be a username (NUL included)
        return None
    return await conn.fetch_one(_BY_USERNAME, {"key": username_key(username)})


async def username_of(conn: Connection, user_id: int) -> str | None:
    username: str | None = await conn.fetch_value(_USERNAME, {"id": user_id})
    return username


async def create_user(
    conn: Connection,
    *,
    username: str,
    display_name: str,
    now: int,
    email: str | None = None,
    password_hash: str | None = None,
    biog: str = "",
    city: str = "",
    country: str = "",
    is_pro: bool = False,
    is_premium: bool = False,
    picture_id: str | None = None,
    cover_picture_id: str | None = None,
) -> int:
    check_username(username)
    key = username_key(username)
    if await conn.fetch_one(_EXISTS, {"key": key}):
        raise UsernameTaken(f"The username {username!r} is taken.")
    user_id: int = await conn.fetch_value(
        _INSERT,
        {
            "username": username,
            "key": key,
            "display_name": display_name.strip() or username,
            "email": email,
            "password_hash": password_hash,
            "biog": biog,
            "city": city,
            "country": country,
            "is_pro": is_pro,
            "is_premium": is_premium,
            "picture_id": picture_id,
            "cover_picture_id": cover_picture_id,
            "now": now,
        },
    )
    await index_user(conn, user_id)
    return user_id
