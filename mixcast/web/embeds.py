"""oEmbed at ``/oembed`` and ``/oembed/`` (wire-format.md §10.2, https://oembed.com/).

``url`` names a show page or a user page on one of our own bases (the site's or the API's host,
with or without ``www.``, http or https, with or without the trailing slash); the answer is a
``rich`` oEmbed object whose ``html`` is the widget's embed code (``mixcast.embeds``), as JSON or
as the spec's XML. A user page embeds the user's newest public show.

Errors follow the oEmbed spec: 404 for a url we cannot embed, 501 for a format we do not serve,
400 for a missing url or a bad parameter; each with a one-line text body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from mixcast.accounts.users import get_user
from mixcast.api.render import show_key, user_key
from mixcast.db.database import Connection, Query, Row
from mixcast.db.schema import listed_sql
from mixcast.embeds import Embed, parse_embed, parse_max
from mixcast.errors import InvalidParameter
from mixcast.pictures.urls import picture_map
from mixcast.settings import BaseURL
from mixcast.shows.shows import SHOW_COLUMNS, get_show
from mixcast.shows.visibility import visible_by_key
from mixcast.web.pages import Pages

JSON = "application/json"
XML = "text/xml; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8" standalone="yes"?>'
THUMBNAIL = "extra_large"
THUMBNAIL_SIZE = 600  # extra_large is 600x600 (media.artwork.USER_SIZES)
# Consumers fetch oEmbed once per link they render: a few minutes spares us their repeats,
# and an edit (a new name or picture) still shows soon.
CACHE = "public, max-age=300"
CORS = {"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}
_QUOTES = {'"': "&quot;", "'": "&apos;"}
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}
# Characters XML 1.0 cannot carry at all, even escaped: dropped from the values.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_NEWEST_SHOW = Query(
    f"""
    SELECT {SHOW_COLUMNS}
    FROM shows s JOIN users u ON u.id = s.owner_id LEFT JOIN pictures p ON p.id = s.picture_id
    WHERE s.owner_id = :owner AND {listed_sql("s")}
    ORDER BY s.published_at DESC, s.id DESC LIMIT 1
    """
)


def _bare_host(netloc: str, scheme: str) -> str:
    """The host to compare: lowercase, without ``www.`` and without the scheme's own port."""
    host = netloc.lower().removesuffix(_DEFAULT_PORTS[scheme])
    return host.removeprefix("www.")


def resolve_url(url: str, bases: Sequence[BaseURL]) -> tuple[str, str | None] | None:
    """``(username, slug)`` of a show page, ``(username, None)`` of a user page, or None when
    ``url`` is neither, under any of ``bases``. Path segments are percent-decoded; a url that
    arrives percent-encoded as a whole (``https%3A%2F%2F…``) is decoded first."""
    if "://" not in url and "%3a%2f%2f" in url.lower():
        url = unquote(url)
    parts = urlsplit(url.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.netloc or "@" in parts.netloc:
        return None
    host = _bare_host(parts.netloc, parts.scheme)
    # The longest prefix first: with one host for both, /api/… is the API's.
    for base in sorted(bases, key=lambda b: len(b.prefix), reverse=True):
        if host != _bare_host(base.host, base.scheme):
            continue
        if not parts.path.startswith(base.prefix + "/"):
            continue
        rest = parts.path[len(base.prefix) + 1 :].removesuffix("/")
        segments = [unquote(segment) for segment in rest.split("/")]
        if not all(segments) or len(segments) > 2:
            return None
        return (segments[0], segments[1] if len(segments) == 2 else None)
    return None


def _text(status: int, message: str) -> Response:
    return PlainTextResponse(message + "\n", status, CORS)


def to_xml(fields: dict[str, Any]) -> bytes:
    """The oEmbed spec's XML: each field a child element of ``<oembed>``, every value escaped
    (quotes too) and stripped of what XML cannot hold."""
    body = "".join(
        f"<{name}>{escape(_NOT_XML.sub('', str(value)), _QUOTES)}</{name}>"
        for name, value in fields.items()
    )
    return f"{XML_DECLARATION}<oembed>{body}</oembed>".encode()


class OEmbedPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.settings = pages.settings
        self.db = pages.services.db

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/oembed", self.oembed, methods=["GET"]),
            Route("/oembed/", self.oembed, methods=["GET"]),
        ]

    async def oembed(self, request: Request) -> Response:
        query = request.query_params
        url = query.get("url")
        if not url:
            return _text(400, "The url parameter is required.")
        kind = query.get("format") or "json"
        if kind not in ("json", "xml"):
            return _text(501, "Only format=json and format=xml are served.")
        try:
            embed = parse_embed(query).fitted(
                parse_max("maxwidth", query.get("maxwidth")),
                parse_max("maxheight", query.get("maxheight")),
            )
        except InvalidParameter as error:
            return _text(400, error.message)
        target = resolve_url(url, (self.settings.site_url, self.settings.api_url))
        if target is None:
            return _text(404, "There is nothing to embed at that url.")
        async with self.db.reading() as conn:
            fields = await self.describe(conn, target, embed)
        if fields is None:
            return _text(404, "There is nothing to embed at that url.")
        headers = {**CORS, "Cache-Control": CACHE}
        if kind == "xml":
            return Response(to_xml(fields), 200, headers, XML)
        return Response(orjson.dumps(fields), 200, headers, JSON)

    async def describe(
        self, conn: Connection, target: tuple[str, str | None], embed: Embed
    ) -> dict[str, Any] | None:
        """The oEmbed fields for a show page, or for a user page (their newest public show's
        widget, the user's name, biog and picture); None when there is nothing to embed."""
        username, slug = target
        user: Row | None = None
        if slug is not None:
            show = await get_show(conn, username, slug)
            if show is None or not visible_by_key(show, None):
                return None
        else:
            user = await get_user(conn, username)
            if user is None:
                return None
            show = await conn.fetch_one(_NEWEST_SHOW, {"owner": user["id"]})
            if show is None:
                return None
        site = self.settings.site_url
        if user is None:
            title, description = show["name"], show["description"]
            picture = picture_map(str(site), "extaudio", show["picture_id"])
        else:
            title, description = user["display_name"], user["biog"]
            picture = picture_map(str(site), "profile", user["picture_id"])
        pixels = embed.pixel_width
        return {
            "version": "1.0",
            "type": "rich",
            "provider_name": self.settings.site_name,
            "provider_url": str(site),
            "title": title,
            "author_name": show["display_name"],
            "author_url": site.join(user_key(show["username"])),
            "html": embed.html(str(site), show_key(show["username"], show["slug"])),
            "width": embed.width if pixels is None else pixels,
            "height": embed.height,
            "thumbnail_url": picture[THUMBNAIL],
            "thumbnail_width": THUMBNAIL_SIZE,
            "thumbnail_height": THUMBNAIL_SIZE,
            "image": picture[THUMBNAIL],
            "description": description or "",
        }
