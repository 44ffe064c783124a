"""Site sign-in sessions: a random token in the cookie, its sha256 in ``sessions``.

Server-side rows rather than self-contained signed cookies, so signing out (or deleting an
account) ends a session everywhere at once, in every process.
"""

from __future__ import annotations

from mixcast.accounts.users import USER_COLUMNS
from mixcast.db.database import Connection, Query, Row
from mixcast.oauth.credentials import digest, new_secret

SESSION_SECONDS = 30 * 24 * 3600
_US = 1_000_000

_INSERT = Query(
    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)"
    " VALUES (:hash, :user, :now, :expires)"
)
_USER = Query(
    f"SELECT {USER_COLUMNS}, u.email FROM sessions s JOIN users u ON u.id = s.user_id"
    " LEFT JOIN pictures p ON p.id = u.picture_id"
    " WHERE s.token_hash = :hash AND s.expires_at > :now"
)
_DELETE = Query("DELETE FROM sessions WHERE token_hash = :hash")
_DELETE_EXPIRED = Query("DELETE FROM sessions WHERE user_id = :user AND expires_at <= :now")


async def start_session(conn: Connection, user_id: int, now: int) -> str:
    """A new session for ``user_id``; returns the token for the cookie (never stored)."""
    await conn.execute(_DELETE_EXPIRED, {"user": user_id, "now": now})
    token = new_secret()
    expires = now + SESSION_SECONDS * _US
    await conn.execute(
        _INSERT, {"hash": digest(token), "user": user_id, "now": now, "expires": expires}
    )
    return token


async def session_user(conn: Connection, token: str, now: int) -> Row | None:
    """The signed-in user of a session cookie, or None when it is unknown or expired."""
    if not token or len(token) > 128:
        return None
    return await conn.fetch_one(_USER, {"hash": digest(token), "now": now})


async def end_session(conn: Connection, token: str) -> None:
    if token and len(token) <= 128:
        await conn.execute(_DELETE, {"hash": digest(token)})
