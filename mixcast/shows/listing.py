"""Everything derived from whether a show is listed (public and ready), kept in step in one place.

A show becomes listed when its media is ready while it is public, or when a ready show is
published (by its owner, or by the scheduler at its publish date); it stops being listed when it
is unpublished or made unlisted. Each time, in the caller's transaction, ``refresh_listing``:

- sets ``published_at`` the first time the show is listed (its ``created_time`` from then on;
  "public before" for scheduling, api-docs.md "Uploads");
- copies ``published_at`` (or null) to the show's ``show_tags`` and ``profile_shows`` rows, which
  the tag lists and the profile lists read;
- moves the owner's ``cloudcast_count`` by one when the listed state changed;
- rewrites or removes the show's search index row.

Whether the show *was* listed is read from its owner's ``profile_shows`` row, so the function is
idempotent: calling it twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence

from mixcast.db.database import Connection, Query
from mixcast.search.index import index_show
from mixcast.shows.visibility import listed

_STATE = Query(
    """
    SELECT s.owner_id, s.visibility, s.status, s.published_at, ps.published_at AS listed_at
    FROM shows s LEFT JOIN profile_shows ps ON ps.show_id = s.id AND ps.user_id = s.owner_id
    WHERE s.id = :id
    """
)
_FIRST_PUBLISHED = Query("UPDATE shows SET published_at = :now WHERE id = :id")
_TAGS = Query("UPDATE show_tags SET published_at = :published_at WHERE show_id = :id")
_PROFILES = Query("UPDATE profile_shows SET published_at = :published_at WHERE show_id = :id")
_COUNT = Query("UPDATE users SET cloudcast_count = cloudcast_count + :delta WHERE id = :id")
_ADD_PROFILE = Query(
    "INSERT INTO profile_shows (user_id, show_id, published_at)"
    " VALUES (:user_id, :show_id, :published_at)"
)
_HOST_IDS = Query("SELECT user_id FROM show_hosts WHERE show_id = :id ORDER BY position")
_DROP_HOSTS = Query("DELETE FROM show_hosts WHERE show_id = :id")
_ADD_HOST = Query(
    "INSERT INTO show_hosts (show_id, user_id, position) VALUES (:show_id, :user_id, :position)"
)
_DROP_HOST_PROFILES = Query(
    """
    DELETE FROM profile_shows
    WHERE show_id IN :ids
      AND user_id <> (SELECT s.owner_id FROM shows s WHERE s.id = profile_shows.show_id)
      AND NOT EXISTS (SELECT 1 FROM show_hosts h
                      WHERE h.show_id = profile_shows.show_id AND h.user_id = profile_shows.user_id)
    """
)


async def refresh_listing(conn: Connection, show_id: int, now: int) -> bool:
    """Bring the derived rows in step with the show's visibility and status; return whether the
    show is listed now."""
    row = await conn.fetch_one(_STATE, {"id": show_id})
    if row is None:
        return False
    is_listed = listed(row["visibility"], row["status"])
    was_listed = row["listed_at"] is not None
    published_at = row["published_at"]
    if is_listed and published_at is None:
        published_at = now
        await conn.execute(_FIRST_PUBLISHED, {"id": show_id, "now": now})
    copied = {"id": show_id, "published_at": published_at if is_listed else None}
    await conn.execute(_TAGS, copied)
    await conn.execute(_PROFILES, copied)
    if is_listed != was_listed:
        await conn.execute(_COUNT, {"id": row["owner_id"], "delta": 1 if is_listed else -1})
    await index_show(conn, show_id)
    return is_listed


async def add_to_profile(
    conn: Connection, user_id: int, show_id: int, published_at: int | None
) -> None:
    """Put a new show on a profile (its owner's, at creation): ``published_at`` if listed."""
    await conn.execute(
        _ADD_PROFILE, {"user_id": user_id, "show_id": show_id, "published_at": published_at}
    )


async def set_show_hosts(conn: Connection, show_id: int, host_ids: Sequence[int]) -> None:
    """Make ``host_ids`` (in order, already checked as accepted hosts) the show's hosts: the
    show appears on their profiles too, listed or not as it is on its owner's."""
    current = [row["user_id"] for row in await conn.fetch_all(_HOST_IDS, {"id": show_id})]
    if current == list(host_ids):
        return
    await conn.execute(_DROP_HOSTS, {"id": show_id})
    for position, user_id in enumerate(host_ids):
        await conn.execute(
            _ADD_HOST, {"show_id": show_id, "user_id": user_id, "position": position}
        )
    await on_hosts_removed(conn, [show_id])
    state = await conn.fetch_one(_STATE, {"id": show_id})
    assert state is not None
    published_at = state["listed_at"]
    for user_id in host_ids:
        if user_id not in current and user_id != state["owner_id"]:
            await add_to_profile(conn, user_id, show_id, published_at)


async def on_hosts_removed(conn: Connection, show_ids: Sequence[int]) -> None:
    """Take ``show_ids`` off the profiles of users who no longer host them."""
    if show_ids:
        await conn.execute(_DROP_HOST_PROFILES, {"ids": list(show_ids)})
