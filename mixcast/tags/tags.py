"""Tags are genres (``/genres/funk/``) or cities (``/genres/city:athens/``)."""

from __future__ import annotations

from mixcast.db.database import Connection, Query, Row
from mixcast.errors import AppError
from mixcast.search.index import index_tag
from mixcast.slugs import normalize_slug, slugify

GENRE = "genre"
CITY = "city"

_GET = Query("SELECT id, kind, slug, name FROM tags WHERE kind = :kind AND slug = :slug")
_INSERT = Query("INSERT INTO tags (kind, slug, name) VALUES (:kind, :slug, :name) RETURNING id")


class InvalidTag(AppError):
    type = "InvalidTagException"
    http_status = 400


async def get_tag(conn: Connection, kind: str, slug: str) -> Row | None:
    if len(slug) > 128 or "\x00" in slug:
        return None
    return await conn.fetch_one(_GET, {"kind": kind, "slug": normalize_slug(slug)})


async def ensure_tag(conn: Connection, kind: str, name: str) -> int:
    """The id of the tag named ``name``, created on first use."""
    name = " ".join(name.split())[:128]
    slug = slugify(name)[:128]
    if not slug:
        raise InvalidTag(f"{name!r} is not a usable tag.")
    row = await conn.fetch_one(_GET, {"kind": kind, "slug": slug})
    if row is not None:
        return int(row["id"])
    tag_id: int = await conn.fetch_value(_INSERT, {"kind": kind, "slug": slug, "name": name})
    if kind == GENRE:
        await index_tag(conn, tag_id)
    return tag_id
