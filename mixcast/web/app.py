"""The site as an ASGI app: pages, accounts, developer apps, OAuth2 authorization, the developer
docs and OpenAPI document, and media files.

Each area is a small class with its routes (``accounts``, ``profile``, ``connected``,
``developers``, ``authorize``, ``token``); this module puts them in one router and caps request
bodies before any handler reads one.
"""

from __future__ import annotations

import re

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import Message, Receive, Scope, Send

from mixcast.api.openapi import build_openapi
from mixcast.api.routes import ApiRoute
from mixcast.errors import AppError
from mixcast.services import Services
from mixcast.slashes import slashed_location
from mixcast.storage.base import BlobNotFound
from mixcast.web.accounts import AccountPages
from mixcast.web.authorize import AuthorizePages
from mixcast.web.bodylimit import capped, declared_length
from mixcast.web.connected import ConnectedAppPages
from mixcast.web.developers import DeveloperPages
from mixcast.web.embeds import OEmbedPages
from mixcast.web.forms import MAX_BODY
from mixcast.web.handlers import page
from mixcast.web.hosts import HostPages
from mixcast.web.pages import Pages, Visit
from mixcast.web.profile import ProfilePages
from mixcast.web.showpages import BrowsePages
from mixcast.web.streams import StreamRoutes
from mixcast.web.token import TokenEndpoint
from mixcast.web.widget import WidgetPages

_PICTURE_ID = re.compile(r"^(?:[0-9a-f]{32}|default-(?:profile|extaudio|profile_cover))\Z")
_RENDITION = re.compile(r"^\d{2,4}x\d{2,4}\.jpg\Z")
# Picture ids are random and never reused, so a rendition never changes: cache it for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


class SiteApp:
    def __init__(self, services: Services, api_routes: list[ApiRoute]) -> None:
        self.services = services
        self.settings = services.settings
        self.api_routes = api_routes
        self.openapi = orjson.dumps(build_openapi(api_routes, str(self.settings.api_url)))
        self.pages = pages = Pages(services)
        routes: list[BaseRoute] = [
            # First: the most requested, and their last segments (stream.mp3, peaks.json,
            # listens/) are no other route's, so nothing else is shadowed.
            *StreamRoutes(pages).routes(),
            Route("/", page(pages, self.home), methods=["GET"]),
            Route("/developers/", page(pages, self.developers), methods=["GET"]),
            Route("/developers/openapi.json", self.openapi_json, methods=["GET"]),
            Route("/media/pictures/{picture}/{name}", self.picture, methods=["GET"]),
            *AccountPages(pages, services.limits, self.settings.signin_limit).routes(),
            *ProfilePages(pages).routes(),
            *ConnectedAppPages(pages).routes(),
            *HostPages(pages).routes(),
            *DeveloperPages(pages).routes(),
            *AuthorizePages(pages).routes(),
            *TokenEndpoint(services).routes(),
            *OEmbedPages(pages).routes(),
            *WidgetPages(pages).routes(),
            # Under show and user paths: after every fixed path, the catch-alls last.
            *BrowsePages(pages).routes(),
        ]
        self.router = Router(routes, redirect_slashes=False, default=self.not_found)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
            length = declared_length(scope)
            if length is not None and length > MAX_BODY:
                response = self.pages.error(None, 413, "What you sent is too large.")
                await response(scope, receive, send)
                return
            receive = capped(receive, MAX_BODY)
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.router(scope, receive, tracked)
        except AppError as error:  # storage or the database away: its page, not a traceback
            if started or scope["type"] != "http":
                raise
            response = self.pages.error(None, error.http_status, error.message, error.headers)
            await response(scope, receive, send)

    async def home(self, request: Request, visit: Visit) -> Response:
        return self.pages.render(visit, "home.html")

    async def developers(self, request: Request, visit: Visit) -> Response:
        return self.pages.render(visit, "developers.html", routes=self.api_routes)

    async def openapi_json(self, request: Request) -> Response:
        return Response(
            self.openapi,
            media_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
        )

    async def picture(self, request: Request) -> Response:
        picture, name = request.path_params["picture"], request.path_params["name"]
        if not _PICTURE_ID.match(picture) or not _RENDITION.match(name):
            return self.pages.error(None, 404, "No such picture.")
        store, key = self.services.store, f"pictures/{picture}/{name}"
        headers = {"Cache-Control": IMMUTABLE}
        path = store.local_path(key)
        if path is not None:
            return FileResponse(path, media_type="image/jpeg", headers=headers)
        try:  # remote storage: a rendition is small, and immutable, so a cache may keep it
            data = await anyio.to_thread.run_sync(store.get_bytes, key)
        except BlobNotFound:
            return self.pages.error(None, 404, "No such picture.")
        return Response(data, media_type="image/jpeg", headers=headers)

    async def not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        location = slashed_location(scope, self.router.routes)
        if location is not None:
            await Response(b"", 301, {"Location": location})(scope, receive, send)
            return
        visit = await self.pages.visit(Request(scope, receive))
        response = self.pages.error(visit, 404, "There is nothing here.")
        await response(scope, receive, send)
