"""``/<user>/<slug>/embed-html/`` and ``/embed-json/``: the widget's embed code for a show
(api-docs.md "Embedding", wire-format.md §10.1).

embed-html is ``text/html`` whatever the request asks (aiomixcloud returns the body as text
only when its content type names neither JSON nor JavaScript); embed-json is
``{"html": "<iframe …>"}``, JSONP-wrapped with ``callback`` like every other answer.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mixcast.api.render import RenderContext, show_key
from mixcast.api.responses import CORS
from mixcast.db.database import Database
from mixcast.embeds import parse_embed
from mixcast.errors import NotFound
from mixcast.shows.shows import get_show
from mixcast.shows.visibility import visible_by_key

HTML = "text/html; charset=utf-8"


class EmbedHandlers:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def embed_code(self, request: Request, ctx: RenderContext) -> str:
        """The ``<iframe>`` for the show in the path, as the query shapes it; 400 for a bad
        parameter, 404 for a show the token's user (or nobody) may not see."""
        embed = parse_embed(request.query_params)
        username, slug = request.path_params["user"], request.path_params["show"]
        async with self.db.reading() as conn:
            show = await get_show(conn, username, slug)
        if show is None or not visible_by_key(show, ctx.viewer_id):
            raise NotFound("No such show.")
        return embed.html(ctx.site, show_key(show["username"], show["slug"]))

    async def embed_html(self, request: Request, ctx: RenderContext) -> Response:
        return Response(await self.embed_code(request, ctx), 200, CORS, HTML)

    async def embed_json(self, request: Request, ctx: RenderContext) -> dict[str, str]:
        return {"html": await self.embed_code(request, ctx)}
