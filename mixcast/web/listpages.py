"""The browsing pages: a tag's or a city's shows at the API's tag paths (``/genres/funk/``, and
``/discover/`` and ``/tag/`` as aliases; ``city:athens`` and ``funk+city:athens`` too) with
Popular, Hot and New tabs (``?order=``), and the site-wide ``/popular/``, ``/popular/hot/`` and
``/new/``.

Each reads its rows from the source the API's list of the same name reads (``api.lists.RANKED``
and ``NEWEST``), so a page and the API never disagree about what is listed or in which order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mixcast.api.lists import GLOBAL_NAMES, NEWEST, RANKED
from mixcast.api.objects import find_tags
from mixcast.api.render import RenderContext, tag_object
from mixcast.api.routes import TAG_PREFIXES
from mixcast.db.database import Connection
from mixcast.errors import NotFound
from mixcast.lists.keyset import fetch_dated, fetch_ranked
from mixcast.web.cards import (
    BadPage,
    ShowCard,
    dated_window,
    load_cards,
    ranked_window,
    until_after,
)
from mixcast.web.handlers import PageHandler, page
from mixcast.web.pages import Pages, Visit

ORDERS = {"popular": "Popular", "hot": "Hot", "new": "New"}  # ?order= -> the tab's label
GLOBAL_PATHS = {"popular": "/popular/", "hot": "/popular/hot/", "new": "/new/"}
BAD_PAGE = "That page link is not one of ours."


@dataclass(frozen=True)
class Tab:
    label: str
    href: str
    current: bool


@dataclass(frozen=True)
class Listed:
    """One page of a list: its cards and the links to the pages around it."""

    cards: list[ShowCard]
    newer: str | None  # the previous page (ranked) or the newest items (dated)
    older: str | None  # the next page


def _raw_path(request: Request) -> str:
    """The request's path as the browser sent it (percent-encoded, site prefix included)."""
    raw = request.scope.get("raw_path")
    return bytes(raw).decode("latin-1") if raw else request.scope["path"]


def _href(path: str, params: dict[str, str]) -> str:
    return path + ("?" + urlencode(params) if params else "")


async def read_list(
    conn: Connection,
    site: str,
    order: str,
    scope: str,
    params: dict[str, Any],
    query: QueryParams,
    path: str,
    keep: dict[str, str],
    viewer: int | None,
) -> Listed:
    """The page ``query`` asks for of the ``order`` list over ``scope`` (``all``, ``tag``,
    ``city`` or ``tag_city``); links go to ``path`` with ``keep`` (``order``) in their query.
    Raises BadPage for a page link none of ours would make."""
    if order == "new":
        window = dated_window(query.get("until"))
        rows = await fetch_dated(conn, NEWEST[scope], params, window)
        until = until_after(rows)
        newest = _href(path, keep) if window.until is not None else None
        older = _href(path, {**keep, "until": until}) if until else None
        return Listed(await load_cards(conn, site, rows, viewer), newest, older)
    number, window = ranked_window(query.get("page"))
    rows = await fetch_ranked(conn, RANKED[order][scope], params, window)
    newer = None
    if number > 1:  # page 1 is the list's own address, without ?page=
        newer = _href(path, {**keep, "page": str(number - 1)} if number > 2 else keep)
    older = _href(path, {**keep, "page": str(number + 1)}) if rows.has_more else None
    return Listed(await load_cards(conn, site, rows, viewer), newer, older)


class ListPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.db = pages.services.db
        self.settings = pages.settings
        self.site = str(pages.settings.site_url)

    def routes(self) -> list[Route]:
        p = self.pages
        routes = [
            Route(path, page(p, self._global(order)), methods=["GET"])
            for order, path in GLOBAL_PATHS.items()
        ]
        routes += [
            Route(f"/{prefix}/{{tag}}/", page(p, self.tag), methods=["GET"])
            for prefix in TAG_PREFIXES
        ]
        return routes

    def _global(self, order: str) -> PageHandler:
        async def handler(request: Request, visit: Visit) -> Response:
            viewer = visit.user["id"] if visit.user else None
            path = self.pages.path(GLOBAL_PATHS[order])
            try:
                async with self.db.reading() as conn:
                    listed = await read_list(conn, self.site, order, "all", {},
                                             request.query_params, path, {}, viewer)  # fmt: skip
            except BadPage:
                return self.pages.error(visit, 400, BAD_PAGE)
            tabs = [
                Tab(ORDERS[name], self.pages.path(tab_path), name == order)
                for name, tab_path in GLOBAL_PATHS.items()
            ]
            return self.pages.render(
                visit, "list.html", title=GLOBAL_NAMES[order], tabs=tabs, listed=listed
            )

        handler.__name__ = f"global_{order}"
        return handler

    async def tag(self, request: Request, visit: Visit) -> Response:
        order = request.query_params.get("order") or "popular"
        if order not in ORDERS:
            return self.pages.error(visit, 400, "A list is ordered by popular, hot or new.")
        viewer = visit.user["id"] if visit.user else None
        path = _raw_path(request)
        try:
            async with self.db.reading() as conn:
                genre, city = await find_tags(conn, request.path_params["tag"])
                params: dict[str, Any] = {}
                if genre:
                    params["tag"] = genre["id"]
                if city:
                    params["city"] = city["id"]
                scope = "tag_city" if genre and city else "tag" if genre else "city"
                keep = {} if order == "popular" else {"order": order}
                listed = await read_list(conn, self.site, order, scope, params,
                                         request.query_params, path, keep, viewer)  # fmt: skip
        except NotFound:
            return self.pages.error(visit, 404, "No such tag.")
        except BadPage:
            return self.pages.error(visit, 400, BAD_PAGE)
        ctx = RenderContext(self.site, str(self.settings.api_url), metadata=False)
        tabs = [
            Tab(label, _href(path, {} if name == "popular" else {"order": name}), name == order)
            for name, label in ORDERS.items()
        ]
        return self.pages.render(
            visit,
            "list.html",
            title=tag_object(ctx, genre, city)["name"],
            tabs=tabs,
            listed=listed,
        )
