"""The player widget (``/widget/iframe/``), the show data it loads (``show.json``), its script
and style, and the host pages' JavaScript API (``/media/js/widgetApi.js``); wire-format.md §11.

The widget is the one page of the site that any other site may frame, so it is rendered here
with headers of its own rather than through ``Pages.render`` (whose headers forbid framing):
``frame-ancestors *`` and a strict CSP for everything else (scripts and styles from the site
only; media from the site and the storage's origin, for the presigned S3 redirects of
``stream.mp3``). It sets no cookie: it only reads the session, so an owner sees their own draft.

``widgetApi.js`` is the protocol of Mixcloud's script with this site's origin as its constant:
it is formatted once, at startup, and cached by browsers for a day.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mixcast.api.render import show_key, user_key
from mixcast.db.database import Row
from mixcast.embeds import COLOR
from mixcast.pictures.urls import picture_map
from mixcast.settings import BaseURL, Settings
from mixcast.shows.shows import SECTIONS_OF_SHOW, get_show
from mixcast.shows.visibility import visible_by_key
from mixcast.storage.s3 import S3Store
from mixcast.web.pages import Pages

STATIC = Path(__file__).parent / "static"
# The display options a query (and ``setOption``) may turn on; ``autoplay`` and ``color`` are
# read only from the query.
FLAGS = ("hide_cover", "mini", "light", "hide_artwork", "hide_tracklist")
_ON = frozenset(("1", "true", "yes", "on"))
ORIGIN_PLACEHOLDER = '"__WIDGET_ORIGIN__"'
DAY = "public, max-age=86400"
# A public show's widget is the same for every visitor: caches may keep it briefly.
PUBLIC_PAGE = "public, max-age=60"
PRIVATE_PAGE = "private, no-store"  # the owner's view of a show nobody else may see
_ENCODED_FEED = re.compile(r"^(?:%2f|https?%3a)", re.IGNORECASE)


class Asset:
    """A static file read once: its bytes and a version (content hash) for cache busting."""

    def __init__(self, body: bytes, media_type: str) -> None:
        self.body = body
        self.media_type = media_type
        self.version = hashlib.sha256(body).hexdigest()[:12]

    def response(self) -> Response:
        headers = {"Cache-Control": DAY, "X-Content-Type-Options": "nosniff"}
        return Response(self.body, media_type=self.media_type, headers=headers)


def feed_path(feed: str, settings: Settings) -> tuple[str, str] | None:
    """The (username, slug) a widget's ``feed`` names: a key (``/user/slug/``, percent-encoded
    once more or not, slash-terminated or not) or a full show URL on the configured site or API
    host (any scheme). None when it names nothing that could be a show."""
    feed = feed.strip()
    if _ENCODED_FEED.match(feed):  # encoded twice (an embed code pasted through a URL encoder)
        feed = unquote(feed)
    if feed.startswith(("http://", "https://", "//")):
        path = _path_on_our_hosts(feed, settings)
        if path is None:
            return None
    else:
        path = feed
    segments = path.strip("/").split("/")
    if len(segments) != 2 or not all(segments):
        return None
    username, slug = (unquote(segment) for segment in segments)
    return username, slug


def _path_on_our_hosts(url: str, settings: Settings) -> str | None:
    parts = urlsplit(url)
    bases = sorted((settings.api_url, settings.site_url), key=lambda b: -len(b.prefix))
    for base in bases:  # the longer prefix first: the API may live under the site's host
        if parts.netloc.lower() != base.host:
            continue
        if base.prefix and not (parts.path + "/").startswith(base.prefix + "/"):
            continue
        return parts.path[len(base.prefix) :]
    return None


def _clock(seconds: float | None) -> str:
    """``m:ss`` or ``h:mm:ss``, as the player shows times."""
    if seconds is None:
        return ""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _section(row: Row) -> dict[str, Any]:
    if row["section_type"] == "chapter":
        title = row["chapter"] or ""
    else:
        title = f"{row['artist']} – {row['song']}"
    start = row["start_time"]
    return {"start": start, "at": _clock(start), "title": title}


def show_data(site: BaseURL, show: Row, sections: list[Row]) -> dict[str, Any]:
    """Everything the player shows and fetches for one show (rendered into the page, and the
    body of ``show.json`` for the ``load`` method). Links are absolute: the widget opens them
    in a new tab, from inside someone else's page."""
    key = show_key(show["username"], show["slug"])
    pictures = picture_map(str(site), "extaudio", show["picture_id"])
    return {
        "key": key,
        "url": site.join(key),
        "name": show["name"],
        "owner": {
            "username": show["username"],
            "name": show["display_name"] or show["username"],
            "url": site.join(user_key(show["username"])),
        },
        "picture": pictures["320wx320h"],
        "cover": pictures["1024wx1024h"],
        "duration": show["audio_length"] or 0,
        "duration_text": _clock(show["audio_length"] or 0),
        "stream": site.join(key + "stream.mp3"),
        "peaks": site.join(key + "peaks.json"),
        "listens": site.join(key + "listens/"),
        "sections": [_section(row) for row in sections],
    }


def content_security_policy(settings: Settings, storage_origin: str | None) -> str:
    """Frameable by any site; everything else from the site only (media also from storage)."""
    site = f"{settings.site_url.scheme}://{settings.site_url.host}"
    own = f"'self' {site}"
    media = f"{own} {storage_origin}" if storage_origin else own
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {own}",
            f"style-src {own}",
            f"img-src {own} data:",
            f"media-src {media}",
            f"connect-src {own}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors *",
        )
    )


def storage_origin(store: object) -> str | None:
    """Where ``stream.mp3`` may redirect: the S3 endpoint's origin (any AWS S3 host when no
    endpoint is configured); None for local storage, which the site serves itself."""
    if not isinstance(store, S3Store):
        return None
    if store.endpoint == "AWS":
        return "https://*.amazonaws.com"
    parts = urlsplit(store.endpoint)
    return f"{parts.scheme}://{parts.netloc}"


class WidgetPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.settings = settings = pages.settings
        self.player_js = Asset((STATIC / "widget" / "player.js").read_bytes(), "text/javascript")
        self.player_css = Asset((STATIC / "widget" / "player.css").read_bytes(), "text/css")
        api = (STATIC / "js" / "widgetApi.js").read_text()
        assert ORIGIN_PLACEHOLDER in api
        self.widget_api = Asset(
            api.replace(ORIGIN_PLACEHOLDER, json.dumps(pages.origin)).encode(), "text/javascript"
        )
        self.headers = {
            "Content-Security-Policy": content_security_policy(
                settings, storage_origin(pages.services.store)
            ),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
        }

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/widget/iframe/", self.iframe, methods=["GET"]),
            Route("/widget/iframe/show.json", self.show_json, methods=["GET"]),
            Route("/widget/player.js", self.asset(self.player_js), methods=["GET"]),
            Route("/widget/player.css", self.asset(self.player_css), methods=["GET"]),
            Route("/media/js/widgetApi.js", self.api_script, methods=["GET"]),
        ]

    @staticmethod
    def asset(asset: Asset) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return asset.response()

        return endpoint

    async def api_script(self, request: Request) -> Response:
        response = self.widget_api.response()
        response.headers["Access-Control-Allow-Origin"] = "*"  # loaded by every host page
        return response

    async def find(self, request: Request) -> tuple[dict[str, Any] | None, bool]:
        """The show data for ``?feed=`` as this visitor may see it, or None; and whether
        everyone may see it (so the answer may be cached)."""
        found = feed_path(request.query_params.get("feed", ""), self.settings)
        if found is None:
            return None, False
        visit = await self.pages.visit(request)
        viewer = visit.user["id"] if visit.user is not None else None
        async with self.pages.services.db.reading() as conn:
            show = await get_show(conn, *found)
            if show is None or not visible_by_key(show, viewer):
                return None, False  # not cached: a show being processed is ready soon
            sections = list(await conn.fetch_all(SECTIONS_OF_SHOW, {"id": show["id"]}))
        return show_data(self.settings.site_url, show, sections), visible_by_key(show, None)

    async def iframe(self, request: Request) -> Response:
        data, public = await self.find(request)
        query = request.query_params
        flags = {name: query.get(name, "").lower() in _ON for name in (*FLAGS, "autoplay")}
        color = query.get("color", "")
        options = {**flags, "color": color.lower() if COLOR.match(color) else None}
        site = self.settings.site_url
        html = self.pages.templates.get_template("widget.html").render(
            site=str(site),
            site_name=self.settings.site_name,
            show=data,
            state={
                "show": data,
                "options": options,
                "show_json": site.join("/widget/iframe/show.json"),
            },
            classes=" ".join(name.replace("_", "-") for name in FLAGS if flags[name]),
            css=site.join(f"/widget/player.css?v={self.player_css.version}"),
            js=site.join(f"/widget/player.js?v={self.player_js.version}"),
            message="This show is not available.",
        )
        cache = PUBLIC_PAGE if public else PRIVATE_PAGE
        status = 200 if data is not None else 404
        return HTMLResponse(html, status, {**self.headers, "Cache-Control": cache})

    async def show_json(self, request: Request) -> Response:
        data, public = await self.find(request)
        headers = {"X-Content-Type-Options": "nosniff"}
        headers["Cache-Control"] = PUBLIC_PAGE if public else PRIVATE_PAGE
        if data is None:
            return JSONResponse({"error": "No such show."}, 404, headers)
        return JSONResponse(data, headers=headers)
