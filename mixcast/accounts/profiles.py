"""Editing a profile: the text fields and the two pictures.

Pictures are cut into their renditions by the caller (``media.artwork.make_renditions``, CPU
work for a thread) and stored here with the row change in the caller's transaction. The pictures
they replace are returned, for ``pictures.store.delete_files`` once the change has committed.
"""

from __future__ import annotations

from dataclasses import dataclass

from mixcast.db.database import Connection, Query
from mixcast.errors import AppError
from mixcast.media.artwork import Renditions
from mixcast.pictures.store import save_picture
from mixcast.search.index import index_user
from mixcast.storage import BlobStore

LIMITS = {"display_name": 128, "biog": 1000, "city": 128, "country": 128}

_UPDATE = Query(
    "UPDATE users SET display_name = :display_name, biog = :biog, city = :city,"
    " country = :country, updated_at = :now WHERE id = :id"
)
_PICTURES = Query("SELECT picture_id, cover_picture_id FROM users WHERE id = :id")
_SET_PICTURE = Query("UPDATE users SET picture_id = :picture WHERE id = :id")
_SET_COVER = Query("UPDATE users SET cover_picture_id = :picture WHERE id = :id")
_DELETE_PICTURE = Query("DELETE FROM pictures WHERE id = :id")


class InvalidProfile(AppError):
    type = "InvalidProfileException"
    http_status = 400


@dataclass(frozen=True)
class ProfileEdit:
    display_name: str
    biog: str = ""
    city: str = ""
    country: str = ""
    picture: Renditions | None = None
    cover_picture: Renditions | None = None


def check_profile(edit: ProfileEdit) -> dict[str, list[str]]:
    """Every problem with ``edit`` by field; empty when it can be saved."""
    problems: dict[str, list[str]] = {}
    for name, limit in LIMITS.items():
        value: str = getattr(edit, name)
        if len(value) > limit:
            problems.setdefault(name, []).append(f"At most {limit} characters.")
        if "\x00" in value:
            problems.setdefault(name, []).append("Contains a NUL character.")
    if not edit.display_name.strip():
        problems.setdefault("display_name", []).append("A display name is required.")
    return problems


async def update_profile(
    conn: Connection, store: BlobStore, user_id: int, edit: ProfileEdit, now: int
) -> list[tuple[str, str]]:
    """Save ``edit``; returns the replaced pictures as (id, kind) for deleting their files."""
    problems = check_profile(edit)
    if problems:
        raise InvalidProfile("The profile has errors.", details=problems)
    await conn.execute(
        _UPDATE,
        {
            "id": user_id,
            "display_name": edit.display_name.strip(),
            "biog": edit.biog.strip(),
            "city": edit.city.strip(),
            "country": edit.country.strip(),
            "now": now,
        },
    )
    old = await conn.fetch_one(_PICTURES, {"id": user_id})
    assert old is not None
    replaced: list[tuple[str, str]] = []
    for renditions, kind, column, setter in (
        (edit.picture, "profile", "picture_id", _SET_PICTURE),
        (edit.cover_picture, "profile_cover", "cover_picture_id", _SET_COVER),
    ):
        if renditions is None:
            continue
        picture_id = await save_picture(conn, store, renditions, kind, now)
        await conn.execute(setter, {"picture": picture_id, "id": user_id})
        if old[column]:
            await conn.execute(_DELETE_PICTURE, {"id": old[column]})
            replaced.append((old[column], kind))
    await index_user(conn, user_id)
    return replaced
