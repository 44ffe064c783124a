"""Every list the API serves (wire-format.md §4): a user's, a show's, a tag's and the global
ones, in the envelope ``{"data": [...], "paging": {...}, "name": "..."}``.

A handler finds what the list belongs to, reads one page of ids from its source
(``lists.sources``), loads the page's rows in one query per kind (``lists.loaders``) and renders
them. A page therefore costs the same handful of queries whether it holds 1 item or 100.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from mixcast.accounts.users import get_user
from mixcast.api import render
from mixcast.api.endpoint import request_origin
from mixcast.api.extras import with_show_extras, with_user_extras
from mixcast.api.objects import find_playlist, find_tags
from mixcast.api.paging import DEFAULT_LIMIT, links, parse_page
from mixcast.api.render import RenderContext
from mixcast.clock import iso_z
from mixcast.db.database import Connection, Database, Row
from mixcast.errors import NotFound
from mixcast.lists import sources
from mixcast.lists.keyset import Dated, Ranked, fetch_dated, fetch_ranked, ranked_slice
from mixcast.lists.loaders import load_comments, load_playlists, load_shows, load_users
from mixcast.lists.window import Item, Slice, Window
from mixcast.ranking.similar import similar_show_ids
from mixcast.shows.shows import get_show
from mixcast.shows.visibility import visible_by_key

Handler = Callable[[Request, RenderContext], Awaitable[dict[str, Any]]]
Renderer = Callable[[Connection, RenderContext, Slice, Row | None], Awaitable[list[dict[str, Any]]]]


# ---- rendering a page of ids, one query per kind of row


async def _shown(
    conn: Connection, ctx: RenderContext, page: Slice
) -> list[tuple[Item, dict[str, Any]]]:
    """Each item of a page of shows with its rendered show; shows gone since are left out."""
    shows, tags = await load_shows(conn, page.ids)
    shown = [
        (item, render.show_brief(ctx, shows[item.id], tags.get(item.id, [])))
        for item in page.items
        if item.id in shows
    ]
    if ctx.viewer_id is None:
        return shown
    extras = await with_show_extras(conn, ctx, [(item.id, show) for item, show in shown])
    return [(item, show) for (item, _), show in zip(shown, extras, strict=True)]


async def render_shows(
    conn: Connection, ctx: RenderContext, page: Slice, owner: Row | None = None
) -> list[dict[str, Any]]:
    return [show for _, show in await _shown(conn, ctx, page)]


async def _listens(
    conn: Connection, ctx: RenderContext, page: Slice, owner: Row | None = None
) -> list[dict[str, Any]]:
    return [
        {**show, "listen_time": iso_z(item.time)} for item, show in await _shown(conn, ctx, page)
    ]


def _each(
    rows: dict[int, Row], page: Slice, make: Callable[[Row], dict[str, Any]]
) -> list[dict[str, Any]]:
    """The page's items in its order; rows gone since the page was read are left out."""
    return [make(rows[item.id]) for item in page.items if item.id in rows]


async def render_users(
    conn: Connection, ctx: RenderContext, page: Slice, owner: Row | None = None
) -> list[dict[str, Any]]:
    users = await load_users(conn, page.ids)
    rendered = [(i, render.listed_user(ctx, users[i])) for i in page.ids if i in users]
    return await with_user_extras(conn, ctx, rendered)


async def _comments(
    conn: Connection, ctx: RenderContext, page: Slice, owner: Row | None = None
) -> list[dict[str, Any]]:
    return _each(await load_comments(conn, page.ids), page, lambda r: render.comment(ctx, r))


async def _playlists(
    conn: Connection, ctx: RenderContext, page: Slice, owner: Row | None = None
) -> list[dict[str, Any]]:
    return _each(await load_playlists(conn, page.ids), page, lambda r: render.playlist(ctx, r))


async def _feed(
    conn: Connection, ctx: RenderContext, page: Slice, owner: Row | None = None
) -> list[dict[str, Any]]:
    """Feed items (§3.7): what ``owner`` did, each with the show it did it to."""
    assert owner is not None
    out = []
    for item, show in await _shown(conn, ctx, page):
        kind = sources.FEED_KINDS[int(item.extra)]
        out.append(render.feed_item(ctx, owner, kind, f"{kind}-{item.tie // 4}", item.time, show))
    return out


# ---- the lists


@dataclass(frozen=True)
class UserList:
    source: Dated | tuple[Dated, ...]
    render: Renderer
    name: str | None  # "{}" is the user's display name


USER_LISTS: dict[str, UserList] = {
    "cloudcasts": UserList(sources.USER_CLOUDCASTS, render_shows, "{}'s Cloudcasts"),
    "favorites": UserList(sources.USER_FAVORITES, render_shows, "{}'s favorites"),
    "listens": UserList(sources.USER_LISTENS, _listens, "{}'s listens"),
    "followers": UserList(sources.USER_FOLLOWERS, render_users, "{}'s followers"),
    "following": UserList(sources.USER_FOLLOWING, render_users, None),
    "comments": UserList(sources.PROFILE_COMMENTS, _comments, "Comments on {}'s profile"),
    "playlists": UserList(sources.USER_PLAYLISTS, _playlists, "{}'s playlists"),
    "feed": UserList(sources.USER_FEED, _feed, "{}'s feed"),
}

# Lists only the user sees, at /me/<name>/ alone.
ME_ONLY_LISTS: dict[str, UserList] = {
    "listen-later": UserList(sources.USER_LISTEN_LATER, render_shows, "{}'s listen later"),
}

SHOW_LISTS: dict[str, tuple[Dated, Renderer, str]] = {
    "listeners": (sources.SHOW_LISTENERS, render_users, "Listeners of {}"),
    "favorites": (sources.SHOW_FAVORITES, render_users, "Favorites of {}"),
    "reposts": (sources.SHOW_REPOSTS, render_users, "Reposts of {}"),
    "comments": (sources.SHOW_COMMENTS, _comments, "Comments on {}"),
}
GLOBAL_NAMES = {"popular": "Popular Cloudcasts", "hot": "Hot Cloudcasts", "new": "New Cloudcasts"}
# Ranked lists by score, then by what they cover: all shows, a tag, a city or both.
RANKED: dict[str, dict[str, Ranked]] = {"popular": sources.POPULAR, "hot": sources.HOT}
NEWEST: dict[str, Dated] = {
    "all": sources.NEW,
    "tag": sources.TAG_NEW,
    "city": sources.CITY_NEW,
    "tag_city": sources.TAG_CITY_NEW,
}


def list_base(request: Request) -> str:
    """The list's own absolute URL, as the client asked for it (percent-encoded)."""
    raw = request.scope.get("raw_path")
    return request_origin(request) + (raw.decode("latin-1") if raw else request.url.path)


def envelope(
    request: Request, window: Window, page: Slice, data: list[dict[str, Any]], name: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "data": data,
        "paging": links(list_base(request), _query_items(request), window, page),
    }
    if name is not None:
        out["name"] = name
    return out


def _query_items(request: Request) -> list[tuple[str, str]]:
    return request.query_params.multi_items() if request.scope["query_string"] else []


FIRST_PAGE = Window(DEFAULT_LIMIT)


def window_of(request: Request, *, ranked: bool = False) -> Window:
    """The request's paging; ranked lists page by offset only."""
    query = request.scope["query_string"]
    window = parse_page(request.query_params) if query else FIRST_PAGE  # most ask for page 1
    if ranked and window.offset is None:
        return Window(window.limit, 0)
    return window


class ListHandlers:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- what a list belongs to

    async def _user(self, conn: Connection, request: Request) -> Row:
        username = request.path_params["user"]
        user = await get_user(conn, username)
        if user is None:
            raise NotFound(f"No user is called {username[:64]!r}.")
        return user

    async def _show(self, conn: Connection, request: Request, ctx: RenderContext) -> Row:
        show = await get_show(conn, request.path_params["user"], request.path_params["show"])
        if show is None or not visible_by_key(show, ctx.viewer_id):
            raise NotFound("No such show.")
        return show

    # -- handlers

    def user_list(self, connection: str) -> Handler:
        spec = USER_LISTS.get(connection) or ME_ONLY_LISTS[connection]

        async def handler(request: Request, ctx: RenderContext) -> dict[str, Any]:
            window = window_of(request)
            async with self.db.reading() as conn:
                user = await self._user(conn, request)
                page = await fetch_dated(conn, spec.source, {"owner": user["id"]}, window)
                data = await spec.render(conn, ctx, page, user)
            name = spec.name.format(user["display_name"]) if spec.name else None
            return envelope(request, window, page, data, name)

        handler.__name__ = f"user_{connection}"
        return handler

    def show_list(self, connection: str) -> Handler:
        if connection == "similar":
            return self._similar
        source, renderer, name = SHOW_LISTS[connection]

        async def handler(request: Request, ctx: RenderContext) -> dict[str, Any]:
            window = window_of(request)
            async with self.db.reading() as conn:
                show = await self._show(conn, request, ctx)
                page = await fetch_dated(conn, source, {"show": show["id"]}, window)
                data = await renderer(conn, ctx, page, show)
            return envelope(request, window, page, data, name.format(show["name"]))

        handler.__name__ = f"show_{connection}"
        return handler

    async def _similar(self, request: Request, ctx: RenderContext) -> dict[str, Any]:
        window = window_of(request, ranked=True)
        async with self.db.reading() as conn:
            show = await self._show(conn, request, ctx)
            ids = await similar_show_ids(conn, show["id"], window.limit + 1, window.offset or 0)
            page = ranked_slice(ids, window)
            data = await render_shows(conn, ctx, page)
        return envelope(request, window, page, data, f"Shows similar to {show['name']}")

    async def playlist_shows(self, request: Request, ctx: RenderContext) -> dict[str, Any]:
        """``/<user>/playlists/<playlist>/cloudcasts/``: in the playlist's order, by offset."""
        window = window_of(request, ranked=True)
        async with self.db.reading() as conn:
            playlist = await find_playlist(conn, request)
            params = {"playlist": playlist["playlist_id"]}
            page = await fetch_ranked(conn, sources.PLAYLIST_CLOUDCASTS, params, window)
            data = await render_shows(conn, ctx, page)
        return envelope(request, window, page, data, playlist["name"])

    def tag_list(self, connection: str) -> Handler:
        """``/genres/<tag>/<connection>/`` for a tag, a city or both; no ``name`` (§4.1)."""

        async def handler(request: Request, ctx: RenderContext) -> dict[str, Any]:
            ranked = connection in ("popular", "hot")
            window = window_of(request, ranked=ranked)
            async with self.db.reading() as conn:
                genre, city = await find_tags(conn, request.path_params["tag"])
                params: dict[str, Any] = {}
                scope = "tag_city" if genre and city else "tag" if genre else "city"
                if genre:
                    params["tag"] = genre["id"]
                if city:
                    params["city"] = city["id"]
                if ranked:
                    page = await fetch_ranked(conn, RANKED[connection][scope], params, window)
                else:
                    page = await fetch_dated(conn, NEWEST[scope], params, window)
                data = await render_shows(conn, ctx, page)
            return envelope(request, window, page, data, None)

        handler.__name__ = f"tag_{connection}"
        return handler

    def global_list(self, connection: str) -> Handler:
        """``/popular/``, ``/popular/hot/`` and ``/new/``."""

        async def handler(request: Request, ctx: RenderContext) -> dict[str, Any]:
            ranked = connection != "new"
            window = window_of(request, ranked=ranked)
            async with self.db.reading() as conn:
                if ranked:
                    page = await fetch_ranked(conn, RANKED[connection]["all"], {}, window)
                else:
                    page = await fetch_dated(conn, NEWEST["all"], {}, window)
                data = await render_shows(conn, ctx, page)
            return envelope(request, window, page, data, GLOBAL_NAMES[connection])

        handler.__name__ = f"global_{connection}"
        return handler
