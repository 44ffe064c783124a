"""The site's pages at the API's paths, and around them: the show page (``/<user>/<slug>/``),
the user page (``/<user>/``), the tag, city and site-wide lists, the app-link files, and the
stylesheet those pages use.

``BrowsePages`` puts their routes in order: fixed paths first, then the user and show paths,
whose first segment would match any word (``web/app.py`` puts these routes last).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mixcast.clock import iso_z
from mixcast.web.applinks import AppLinks
from mixcast.web.listpages import ListPages
from mixcast.web.pages import Pages
from mixcast.web.showpage import ShowPage
from mixcast.web.userpage import UserPage

STYLESHEET = Path(__file__).parent / "static" / "site.css"
STYLESHEET_PATH = "/media/css/site.css"
IMMUTABLE = "public, max-age=31536000, immutable"


class Stylesheet:
    """``site.css``, linked from every page as ``site_css``: the path with ``?v=`` and the
    file's hash, so a browser may keep it for a year and a new release is fetched at once."""

    def __init__(self, pages: Pages) -> None:
        self.body = STYLESHEET.read_bytes()
        self.version = hashlib.sha256(self.body).hexdigest()[:12]
        pages.templates.globals["site_css"] = pages.path(f"{STYLESHEET_PATH}?v={self.version}")

    def routes(self) -> list[Route]:
        return [Route(STYLESHEET_PATH, self.serve, methods=["GET"])]

    async def serve(self, request: Request) -> Response:
        current = request.query_params.get("v") == self.version
        cache = IMMUTABLE if current else "public, max-age=300"
        return Response(
            self.body,
            media_type="text/css",
            headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
        )


class BrowsePages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        # <time datetime="…"> on these pages: microseconds as the API's ISO 8601 form.
        pages.templates.filters["iso"] = iso_z

    def routes(self) -> list[BaseRoute]:
        p = self.pages
        return [
            *Stylesheet(p).routes(),
            *AppLinks(p).routes(),
            *ListPages(p).routes(),
            # The show and user paths last: their first segment would match any word.
            *ShowPage(p).routes(),
            *UserPage(p).routes(),
        ]
