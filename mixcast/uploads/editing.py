"""``edit_show``: the owner's changes to a show (``POST /upload/<user>/<slug>/edit/``).

api-docs.md "Editing uploads": ``name``, ``description`` and ``picture`` change only when sent;
any ``tags-*`` field replaces all tags, any ``sections-*`` the whole tracklist, any ``hosts-*``
all hosts. At most one of ``unlisted``, ``publish`` and ``unpublish`` (the fields parser checks):

- ``unlisted``: reachable only through its key; a schedule is dropped.
- ``publish``: public now; a scheduled show keeps its schedule (publishing is implied by it).
- ``unpublish``: back to the drafts.
- ``publish_date`` (Pro): schedule a show that has never been public.

``unlisted=false`` asks for nothing: clients that always send it must not publish drafts.
The slug never changes, so links to the show keep working after a rename.
"""

from __future__ import annotations

from collections.abc import Sequence

from mixcast.db.database import Connection, Query, Row
from mixcast.shows.listing import refresh_listing, set_show_hosts
from mixcast.shows.shows import write_sections, write_tags
from mixcast.uploads.errors import UploadInvalid
from mixcast.uploads.fields import UploadFields, check_start_times

_UPDATE = Query(
    """
    UPDATE shows SET name = :name, description = :description, visibility = :visibility,
        publish_at = :publish_at, hide_stats = :hide_stats,
        disable_comments = :disable_comments, picture_id = :picture_id, updated_at = :now
    WHERE id = :id
    """
)
_DELETE_PICTURE = Query("DELETE FROM pictures WHERE id = :id")
NOT_BEFORE_PUBLIC = "Only uploads that have never been public can be scheduled."


def _visibility(show: Row, fields: UploadFields) -> tuple[str, int | None]:
    visibility, publish_at = show["visibility"], show["publish_at"]
    if fields.unlisted:
        return "unlisted", None
    if fields.unpublish:
        return "draft", None
    if fields.publish_at is not None:
        if show["published_at"] is not None:
            raise UploadInvalid({"publish_date": [NOT_BEFORE_PUBLIC]})
        return "scheduled", fields.publish_at
    if fields.publish and visibility != "scheduled":
        return "public", None
    return visibility, publish_at


async def edit_show(
    conn: Connection,
    show: Row,
    fields: UploadFields,
    host_ids: Sequence[int] | None,
    picture_id: str | None,
    now: int,
) -> str | None:
    """Apply ``fields`` to ``show`` (a ``get_show`` row) in the caller's transaction.

    ``host_ids`` are the accepted hosts to set (None: leave the hosts alone); ``picture_id`` a
    new picture already stored. Returns the replaced picture's id, whose files the caller
    deletes after the commit.
    """
    if fields.sections and show["audio_length"]:
        problems = check_start_times(fields.sections, show["audio_length"])
        if problems:
            raise UploadInvalid(problems)
    visibility, publish_at = _visibility(show, fields)
    await conn.execute(
        _UPDATE,
        {
            "id": show["id"],
            "name": fields.name if fields.name is not None else show["name"],
            "description": (
                fields.description if fields.description is not None else show["description"]
            ),
            "visibility": visibility,
            "publish_at": publish_at,
            "hide_stats": _keep(fields.hide_stats, show["hide_stats"]),
            "disable_comments": _keep(fields.disable_comments, show["disable_comments"]),
            "picture_id": picture_id or show["picture_id"],
            "now": now,
        },
    )
    if fields.tags is not None:
        await write_tags(conn, show["id"], fields.tags, None)
    if fields.sections is not None:
        await write_sections(conn, show["id"], fields.sections)
    if host_ids is not None:
        await set_show_hosts(conn, show["id"], host_ids)
    replaced = None
    if picture_id and show["picture_id"]:
        replaced = show["picture_id"]
        await conn.execute(_DELETE_PICTURE, {"id": replaced})
    # Tags' list times, the profiles, the owner's count and the search row follow.
    await refresh_listing(conn, show["id"], now)
    return replaced


def _keep(value: bool | None, current: object) -> bool:
    return bool(current) if value is None else value
