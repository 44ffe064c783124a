"""The API's route table: one entry per operation, read both by the router and by the OpenAPI
document, so the document cannot drift from what is served."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request

from mixcast.api.actions import SHOW_ACTIONS, ActionHandlers
from mixcast.api.embeds import EmbedHandlers
from mixcast.api.lists import ME_ONLY_LISTS, SHOW_LISTS, USER_LISTS, ListHandlers
from mixcast.api.objects import ObjectHandlers
from mixcast.api.render import TAG_CONNECTIONS, RenderContext
from mixcast.api.search import SearchHandler
from mixcast.api.uploads import UploadHandlers
from mixcast.services import Services

Endpoint = Callable[..., Awaitable[object]]


@dataclass(frozen=True)
class ApiRoute:
    path: str  # Starlette and OpenAPI share the {name} template syntax
    handler: Endpoint
    operation_id: str
    summary: str
    response: str  # a schema name in openapi.COMPONENTS
    methods: tuple[str, ...] = ("GET",)
    tag: str = "objects"
    paged: bool = False  # takes limit, offset, since and until
    token_required: bool = False  # answers OAuthException without an access token
    documented: bool = True  # False for aliases the OpenAPI document leaves out (/me)
    write_kind: str = "write"  # the rate limit its POST and DELETE count against


TAG_PREFIXES = ("genres", "discover", "tag")


class UserConvertor(Convertor[str]):
    """A ``{user}`` path segment that is not a tag prefix: ``/genres/funk/`` never reaches the
    user routes, so those can be tried first (the router tries routes in order)."""

    regex = "(?!(?:" + "|".join(TAG_PREFIXES) + ")/)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("user", UserConvertor())

# A user's lists live beside the user's shows (/spartacus/cloudcasts/), so no show may take a
# list's name as its slug (``shows.RESERVED_SLUGS``) and the show routes never match one.
USER_LIST_NAMES = tuple(USER_LISTS)


class ShowConvertor(Convertor[str]):
    regex = "(?!(?:" + "|".join(USER_LIST_NAMES) + ")/)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("show", ShowConvertor())


def starlette_path(path: str) -> str:
    """The router's form of an OpenAPI path: ``{user}`` and ``{show}`` use the convertors
    above."""
    return path.replace("{user}", "{user:user}").replace("{show}", "{show:show}")


def api_routes(services: Services) -> list[ApiRoute]:
    """Most requested first: the router tries them in this order. The global lists come before
    the user routes, whose first segment would match ``popular`` too; ``upload`` is a reserved
    username, so its routes hide nobody's."""
    db = services.db
    objects, lists, search = ObjectHandlers(db), ListHandlers(db), SearchHandler(db)
    routes = me_routes(objects, lists) + action_routes(ActionHandlers(db))
    routes += upload_routes(UploadHandlers(services))
    routes += embed_routes(EmbedHandlers(db))
    routes += [
        ApiRoute("/popular/", lists.global_list("popular"), "list_popular",
                 "Popular shows", "ShowList", paged=True),
        ApiRoute("/popular/hot/", lists.global_list("hot"), "list_hot",
                 "Hot shows", "ShowList", paged=True),
        ApiRoute("/new/", lists.global_list("new"), "list_new",
                 "Newest shows", "ShowList", paged=True),
        ApiRoute("/search/", search.search, "search",
                 "Search shows, users or tags", "SearchList", paged=True),
        ApiRoute("/{user}/{show}/", objects.show, "get_show", "A show (cloudcast)", "Show"),
        ApiRoute("/{user}/", objects.user, "get_user", "A user", "User"),
    ]  # fmt: skip
    routes += [
        ApiRoute(
            f"/{{user}}/{name}/",
            lists.user_list(name),
            f"list_user_{name}",
            f"A user's {name}",
            USER_LIST_SCHEMAS[name],
            paged=True,
        )
        for name in USER_LISTS
    ]
    routes += [
        ApiRoute(
            "/{user}/playlists/{playlist}/", objects.playlist, "get_playlist", "A playlist",
            "Playlist",
        ),
        ApiRoute(
            "/{user}/playlists/{playlist}/cloudcasts/", lists.playlist_shows,
            "list_playlist_cloudcasts", "A playlist's shows, in its order", "ShowList",
            paged=True,
        ),
    ]  # fmt: skip
    routes += [
        ApiRoute(
            f"/{{user}}/{{show}}/{name}/",
            lists.show_list(name),
            f"list_show_{name}",
            f"A show's {name}",
            SHOW_LIST_SCHEMAS[name],
            paged=True,
        )
        for name in (*SHOW_LISTS, "similar")
    ]
    for prefix in TAG_PREFIXES:
        alias = "" if prefix == "genres" else f"; /{prefix}/ is an alias of /genres/"
        routes.append(
            ApiRoute(
                f"/{prefix}/{{tag}}/",
                objects.tag,
                f"get_tag_{prefix}",
                "A genre tag (funk), a city (city:athens) or both (funk+city:athens)" + alias,
                "Tag",
            )
        )
        routes += [
            ApiRoute(
                f"/{prefix}/{{tag}}/{name}/",
                lists.tag_list(name),
                f"list_tag_{name}_{prefix}",
                f"A tag's or city's {name} shows" + alias,
                "ShowList",
                paged=True,
            )
            for name in TAG_CONNECTIONS
        ]
    return routes


def action_routes(actions: ActionHandlers) -> list[ApiRoute]:
    """Follow, favorite, repost, listen-later: before the show route, whose ``{show}`` would
    take ``follow`` (no show may be slugged so: ``shows.RESERVED_SLUGS``). Answered with and
    without the trailing slash, never redirected: a 301 would turn a POST into a GET."""
    targets: list[tuple[str, Endpoint, str, str]] = [
        ("/{user}/follow", actions.follow, "follow", "Follow a user (DELETE: unfollow)")
    ]
    targets += [
        (f"/{{user}}/{{show}}/{name}", actions.show_action(name), name.replace("-", "_"),
         f"{name.replace('-', ' ').capitalize()} a show (DELETE: undo)")
        for name in SHOW_ACTIONS
    ]  # fmt: skip
    return [
        route
        for path, handler, operation_id, summary in targets
        for route in slashed_and_not(
            path, handler, operation_id, summary, "ActionResult", methods=("POST", "DELETE"),
            tag="actions",
        )
    ]  # fmt: skip


def upload_routes(uploads: UploadHandlers) -> list[ApiRoute]:
    """``/upload/`` and ``/upload/{user}/{show}/edit/``: POST only (multipart), counted against
    the ``upload`` rate limit; answered with and without the trailing slash."""
    targets: list[tuple[str, Endpoint, str, str, str]] = [
        ("/upload", uploads.upload, "upload", "Upload a show (multipart/form-data)", "upload"),
        ("/upload/{user}/{show}/edit", uploads.edit, "edit_upload",
         "Edit a show's details, tags, tracklist, hosts, picture or visibility", "write"),
    ]  # fmt: skip
    return [
        route
        for path, handler, operation_id, summary, kind in targets
        for route in slashed_and_not(
            path, handler, operation_id, summary, "UploadResult", methods=("POST",),
            tag="uploads", write_kind=kind,
        )
    ]  # fmt: skip


def embed_routes(embeds: EmbedHandlers) -> list[ApiRoute]:
    """``/{user}/{show}/embed-html/`` and ``embed-json/``, each also answered without the
    trailing slash (an undocumented alias: clients build both spellings). ``embed-html`` and
    ``embed-json`` are reserved slugs, so no show's connections hide behind them."""
    targets = [
        ("embed-html", embeds.embed_html, "The show's widget embed code (text/html)",
         "EmbedHTML"),
        ("embed-json", embeds.embed_json, "The show's widget embed code, as JSON or JSONP",
         "EmbedJSON"),
    ]  # fmt: skip
    return [
        ApiRoute(
            f"/{{user}}/{{show}}/{name}{slash}",
            handler,
            "get_" + name.replace("-", "_") + ("" if slash else "_unslashed"),
            summary,
            response,
            tag="embeds",
            documented=bool(slash),
        )
        for name, handler, summary, response in targets
        for slash in ("/", "")
    ]


def slashed_and_not(
    path: str, handler: Endpoint, operation_id: str, summary: str, response: str, **fields: Any
) -> list[ApiRoute]:
    """A write operation at ``path/`` (documented) and at ``path`` (an alias), both answered
    directly and both requiring a token: a 301 would turn a POST into a GET."""
    return [
        ApiRoute(
            path + slash,
            handler,
            operation_id + ("" if slash else "_unslashed"),
            summary,
            response,
            token_required=True,
            documented=bool(slash),
            **fields,
        )
        for slash in ("/", "")
    ]


def as_viewer(handler: Endpoint) -> Endpoint:
    """``handler`` of a ``/{user}/…`` route, answering for the token's user instead."""

    async def for_viewer(request: Request, ctx: RenderContext) -> object:
        assert ctx.viewer_name is not None  # the /me routes require a token
        request.path_params["user"] = ctx.viewer_name
        return await handler(request, ctx)

    for_viewer.__name__ = f"me_{handler.__name__}"
    return for_viewer


def me_routes(objects: ObjectHandlers, lists: ListHandlers) -> list[ApiRoute]:
    """``/me/`` and its connections: the token's user, served directly (never redirected).
    ``me`` is a reserved username, so these never hide a user's routes."""
    me = as_viewer(objects.user)
    routes = [
        ApiRoute("/me/", me, "get_me", "The token's user", "Me", token_required=True),
        ApiRoute("/me", me, "get_me_unslashed", "The token's user", "Me",
                 token_required=True, documented=False),
    ]  # fmt: skip
    routes += [
        ApiRoute(
            f"/me/{name}/",
            as_viewer(lists.user_list(name)),
            f"list_me_{name}",
            f"The token's user's {name}",
            USER_LIST_SCHEMAS.get(name, "ShowList"),
            paged=True,
            token_required=True,
        )
        for name in (*USER_LISTS, *ME_ONLY_LISTS)
    ]
    return routes


USER_LIST_SCHEMAS = {
    "cloudcasts": "ShowList",
    "favorites": "ShowList",
    "listens": "ListenList",
    "followers": "UserList",
    "following": "UserList",
    "comments": "CommentList",
    "playlists": "PlaylistList",
    "feed": "FeedList",
}
SHOW_LIST_SCHEMAS = {
    "listeners": "UserList",
    "favorites": "UserList",
    "reposts": "UserList",
    "comments": "CommentList",
    "similar": "ShowList",
}
