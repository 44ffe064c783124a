"""Single objects: ``/<user>/``, ``/<user>/<slug>/`` and the tag and city objects."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from mixcast.accounts.users import get_user
from mixcast.api import render
from mixcast.api.extras import with_show_extras, with_user_extras
from mixcast.api.render import RenderContext
from mixcast.db.database import Connection, Database, Row
from mixcast.errors import NotFound
from mixcast.shows.playlists import get_playlist
from mixcast.shows.shows import HOSTS_OF_SHOW, SECTIONS_OF_SHOW, TAGS_OF_SHOW, get_show
from mixcast.shows.visibility import visible_by_key
from mixcast.tags.tags import CITY, GENRE, get_tag


class ObjectHandlers:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def user(self, request: Request, ctx: RenderContext) -> dict[str, Any]:
        username = request.path_params["user"]
        async with self.db.reading() as conn:
            user = await get_user(conn, username)
            if user is None:
                raise NotFound(f"No user is called {username[:64]!r}.")
            rendered = [(user["id"], render.user_full(ctx, user))]
            return (await with_user_extras(conn, ctx, rendered, full=True))[0]

    async def show(self, request: Request, ctx: RenderContext) -> dict[str, Any]:
        username, slug = request.path_params["user"], request.path_params["show"]
        async with self.db.reading() as conn:
            show = await get_show(conn, username, slug)
            if show is None or not visible_by_key(show, ctx.viewer_id):
                raise NotFound("No such show.")
            tags = await conn.fetch_all(TAGS_OF_SHOW, {"id": show["id"]})
            sections = await conn.fetch_all(SECTIONS_OF_SHOW, {"id": show["id"]})
            hosts = await conn.fetch_all(HOSTS_OF_SHOW, {"id": show["id"]})
            pairs = [(t["slug"], t["name"]) for t in tags]
            out = render.show_full(ctx, show, pairs, list(sections))
            if hosts:  # absent otherwise: the recorded full show has no such key
                out["hosts"] = [render.listed_user(ctx, host) for host in hosts]
            if ctx.viewer_id == show["owner_id"]:  # docs/api.md "Uploads": the owner's view
                out["upload_status"] = show["status"]
                if show["status"] == "failed":
                    out["upload_error"] = show["failure_reason"] or "Processing failed."
            return (await with_show_extras(conn, ctx, [(show["id"], out)]))[0]

    async def tag(self, request: Request, ctx: RenderContext) -> dict[str, Any]:
        genre, city = await find_tags(self.db, request.path_params["tag"])
        return render.tag_object(ctx, genre, city)

    async def playlist(self, request: Request, ctx: RenderContext) -> dict[str, Any]:
        async with self.db.reading() as conn:
            row = await find_playlist(conn, request)
        return render.playlist(ctx, row)


async def find_tags(conn: Connection, spec: str) -> tuple[Row | None, Row | None]:
    """``funk``, ``city:athens`` or ``funk+city:athens``: each named part must exist."""
    parts = parse_tag_path(spec)
    if parts is None:
        raise NotFound("No such tag.")
    genre_slug, city_slug = parts
    genre = await get_tag(conn, GENRE, genre_slug) if genre_slug else None
    city = await get_tag(conn, CITY, city_slug) if city_slug else None
    if (genre_slug and genre is None) or (city_slug and city is None):
        raise NotFound("No such tag.")
    return genre, city


async def find_playlist(conn: Connection, request: Request) -> Row:
    """The playlist at ``/<user>/playlists/<playlist>/``, with its owner's columns."""
    username, slug = request.path_params["user"], request.path_params["playlist"]
    row = await get_playlist(conn, username, slug)
    if row is None:
        raise NotFound("No such playlist.")
    return row


def parse_tag_path(spec: str) -> tuple[str | None, str | None] | None:
    """Split a tag path segment into (genre slug, city slug); None when it is malformed."""
    if spec.startswith("city:"):
        city = spec.removeprefix("city:")
        return (None, city) if city and "+" not in city else None
    genre, sep, city = spec.partition("+city:")
    if sep:
        return (genre, city) if genre and city else None
    return (spec, None) if spec and ":" not in spec and "+" not in spec else None
