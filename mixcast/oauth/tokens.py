"""Access tokens: issued, looked up on API requests, revoked. Stored as their sha256 only."""

from __future__ import annotations

from dataclasses import dataclass

from mixcast.db.database import Connection, Query
from mixcast.oauth.credentials import digest, new_secret

MAX_TOKEN = 256  # longer is certainly not ours: no hashing, no query

_INSERT = Query(
    "INSERT INTO oauth_tokens (token_hash, app_id, user_id, code_hash, created_at)"
    " VALUES (:hash, :app, :user, :code, :now)"
)
_LOOKUP = Query(
    "SELECT t.user_id, t.app_id, u.username FROM oauth_tokens t"
    " JOIN users u ON u.id = t.user_id WHERE t.token_hash = :hash AND t.revoked_at IS NULL"
)
_CONNECTED = Query(
    """
    SELECT a.id, a.name, a.description, o.username AS owner, MIN(t.created_at) AS first_at,
        MAX(t.created_at) AS last_at
    FROM oauth_tokens t JOIN oauth_apps a ON a.id = t.app_id JOIN users o ON o.id = a.owner_id
    WHERE t.user_id = :user AND t.revoked_at IS NULL
    GROUP BY a.id, a.name, a.description, o.username
    ORDER BY MAX(t.created_at) DESC, a.id
    """
)
_REVOKE = Query(
    "UPDATE oauth_tokens SET revoked_at = :now"
    " WHERE user_id = :user AND app_id = :app AND revoked_at IS NULL"
)
_FORGET_CODES = Query(
    "DELETE FROM oauth_codes WHERE user_id = :user AND app_id = :app AND used_at IS NULL"
)


@dataclass(frozen=True, slots=True)
class TokenOwner:
    user_id: int
    app_id: int
    username: str


@dataclass(frozen=True)
class ConnectedApp:
    id: int
    name: str
    description: str
    owner: str  # the username of the app's developer
    first_at: int
    last_at: int


async def issue_token(
    conn: Connection, app_id: int, user_id: int, now: int, *, code_hash: str | None = None
) -> str:
    token = new_secret(32)
    params = {"hash": digest(token), "app": app_id, "user": user_id, "code": code_hash, "now": now}
    await conn.execute(_INSERT, params)
    return token


async def token_owner(conn: Connection, token: str) -> TokenOwner | None:
    """Whose ``token`` is, or None if it is unknown or revoked."""
    if not token or len(token) > MAX_TOKEN:
        return None
    row = await conn.fetch_one(_LOOKUP, {"hash": digest(token)})
    return TokenOwner(row["user_id"], row["app_id"], row["username"]) if row else None


async def connected_apps(conn: Connection, user_id: int) -> list[ConnectedApp]:
    """The apps holding a live token of ``user_id``, most recently authorized first."""
    return [ConnectedApp(**dict(r)) for r in await conn.fetch_all(_CONNECTED, {"user": user_id})]


async def revoke_app(conn: Connection, user_id: int, app_id: int, now: int) -> int:
    """Revoke every token ``app_id`` holds for ``user_id`` (and its unspent codes)."""
    await conn.execute(_FORGET_CODES, {"user": user_id, "app": app_id})
    return await conn.execute(_REVOKE, {"user": user_id, "app": app_id, "now": now})
