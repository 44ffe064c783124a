"""The site as an ASGI app: pages, the developer docs and OpenAPI document, and media files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from mixcast.api.openapi import build_openapi
from mixcast.api.routes import ApiRoute
from mixcast.services import Services
from mixcast.slashes import slashed_location

TEMPLATES = Path(__file__).parent / "templates"
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
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)
        )
        self.router = Router(
            [
                Route("/", self.home),
                Route("/developers/", self.developers),
                Route("/developers/openapi.json", self.openapi_json),
                Route("/media/pictures/{picture}/{name}", self.picture),
            ],
            redirect_slashes=False,
            default=self.not_found,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.router(scope, receive, send)

    def page(self, template: str, http_status: int = 200, **values: Any) -> HTMLResponse:
        html = self.templates.get_template(template).render(
            site=str(self.settings.site_url),
            api=str(self.settings.api_url),
            site_name=self.settings.site_name,
            **values,
        )
        return HTMLResponse(html, http_status)

    async def home(self, request: Request) -> Response:
        return self.page("home.html")

    async def developers(self, request: Request) -> Response:
        return self.page("developers.html", routes=self.api_routes)

    async def openapi_json(self, request: Request) -> Response:
        return Response(
            self.openapi,
            media_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
        )

    async def picture(self, request: Request) -> Response:
        picture, name = request.path_params["picture"], request.path_params["name"]
        if not _PICTURE_ID.match(picture) or not _RENDITION.match(name):
            return self.page("error.html", 404, code=404, message="No such picture.")
        path = self.services.store.local_path(f"pictures/{picture}/{name}")
        if path is None:
            return self.page("error.html", 404, code=404, message="No such picture.")
        return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": IMMUTABLE})

    async def not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        location = slashed_location(scope, self.router.routes)
        if location is not None:
            await Response(b"", 301, {"Location": location})(scope, receive, send)
            return
        response = self.page("error.html", 404, code=404, message="There is nothing here.")
        await response(scope, receive, send)
