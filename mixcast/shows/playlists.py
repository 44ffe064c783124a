"""Playlists: a user's named, ordered selections of shows, with ``cloudcast_count`` in step."""

from __future__ import annotations

from mixcast.accounts.usernames import USERNAME
from mixcast.db.database import Connection, Query, Row
from mixcast.errors import AppError
from mixcast.shows.shows import free_slug
from mixcast.slugs import normalize_slug, slugify

_BY_KEY = Query(
    """
    SELECT pl.id AS playlist_id, pl.owner_id, pl.slug, pl.name, pl.description,
        pl.cloudcast_count, pl.created_at, pl.updated_at,
        u.id, u.username, u.display_name, u.picture_id
    FROM playlists pl JOIN users u ON u.id = pl.owner_id
    WHERE u.username_key = :user_key AND pl.slug = :slug
    """
)
_SLUG_TAKEN = Query("SELECT 1 FROM playlists WHERE owner_id = :owner_id AND slug = :slug")
_INSERT = Query(
    """
    INSERT INTO playlists (owner_id, slug, name, description, created_at, updated_at)
    VALUES (:owner_id, :slug, :name, :description, :now, :now) RETURNING id
    """
)
_NEXT_POSITION = Query(
    "SELECT COALESCE(MAX(position) + 1, 0) FROM playlist_items WHERE playlist_id = :playlist_id"
)
_ADD = Query(
    """
    INSERT INTO playlist_items (playlist_id, show_id, position, created_at)
    VALUES (:playlist_id, :show_id, :position, :now)
    ON CONFLICT (playlist_id, show_id) DO NOTHING
    """
)
_BUMP = Query(
    "UPDATE playlists SET cloudcast_count = cloudcast_count + :delta, updated_at = :now"
    " WHERE id = :playlist_id"
)
_REMOVE = Query(
    "DELETE FROM playlist_items WHERE playlist_id = :playlist_id AND show_id = :show_id"
)


class InvalidPlaylist(AppError):
    type = "InvalidPlaylistException"
    http_status = 400


async def get_playlist(conn: Connection, username: str, slug: str) -> Row | None:
    if not USERNAME.match(username) or len(slug) > 255 or "\x00" in slug:
        return None
    return await conn.fetch_one(
        _BY_KEY, {"user_key": username.casefold(), "slug": normalize_slug(slug)}
    )


async def create_playlist(
    conn: Connection, owner_id: int, name: str, now: int, description: str = ""
) -> tuple[int, str]:
    """A new, empty playlist; its slug comes from its name and is unique for its owner."""
    name = " ".join(name.split())[:255]
    if not name:
        raise InvalidPlaylist("A playlist needs a name.")
    slug = await free_slug(conn, _SLUG_TAKEN, owner_id, slugify(name)[:240] or "playlist")
    playlist_id: int = await conn.fetch_value(
        _INSERT,
        {"owner_id": owner_id, "slug": slug, "name": name, "description": description, "now": now},
    )
    return playlist_id, slug


async def add_to_playlist(conn: Connection, playlist_id: int, show_id: int, now: int) -> bool:
    """Append a show; False when it is there already."""
    position = await conn.fetch_value(_NEXT_POSITION, {"playlist_id": playlist_id})
    ids = {"playlist_id": playlist_id, "show_id": show_id}
    if await conn.execute(_ADD, {**ids, "position": position, "now": now}) == 0:
        return False
    await conn.execute(_BUMP, {"playlist_id": playlist_id, "delta": 1, "now": now})
    return True


async def remove_from_playlist(conn: Connection, playlist_id: int, show_id: int, now: int) -> bool:
    if await conn.execute(_REMOVE, {"playlist_id": playlist_id, "show_id": show_id}) == 0:
        return False
    await conn.execute(_BUMP, {"playlist_id": playlist_id, "delta": -1, "now": now})
    return True
