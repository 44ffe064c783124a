"""``/search/?q=...&type=cloudcast|upload|user|tag``: ranked, paged by offset, no ``name``
(wire-format.md §4.5)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from mixcast.api import lists, render
from mixcast.api.render import RenderContext
from mixcast.db.database import Database
from mixcast.errors import InvalidParameter
from mixcast.lists.keyset import ranked_slice
from mixcast.lists.loaders import load_tags
from mixcast.search import search_shows, search_tags, search_users, searchable

# ``upload`` is what the docs' prose says, ``cloudcast`` what their example sends.
TYPES = ("cloudcast", "upload", "user", "tag")
MAX_QUERY = 200


class SearchHandler:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def search(self, request: Request, ctx: RenderContext) -> dict[str, Any]:
        query = request.query_params
        text, kind = query.get("q", ""), query.get("type", "")
        if kind not in TYPES:
            raise InvalidParameter("The parameter type takes cloudcast, upload, user or tag.")
        if not text.strip() or len(text) > MAX_QUERY or not searchable(text):
            raise InvalidParameter(f"The parameter q takes 1 to {MAX_QUERY} characters of text.")
        window = lists.window_of(request, ranked=True)
        offset, n = window.offset or 0, window.limit + 1
        async with self.db.reading() as conn:
            data: list[dict[str, Any]]
            if kind == "user":
                page = ranked_slice(await search_users(conn, text, n, offset), window)
                data = await lists.render_users(conn, ctx, page)
            elif kind == "tag":
                page = ranked_slice(await search_tags(conn, text, n, offset), window)
                tags = await load_tags(conn, page.ids)
                data = [render.tag(ctx, tags[i]["slug"], tags[i]["name"]) for i in page.ids
                        if i in tags]  # fmt: skip
            else:
                page = ranked_slice(await search_shows(conn, text, n, offset), window)
                data = await lists.render_shows(conn, ctx, page)
        return lists.envelope(request, window, page, data, None)
