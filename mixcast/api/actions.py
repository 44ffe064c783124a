"""Follow, favorite, repost and listen-later (api-docs.md "Following, Favoriting, Reposting and
adding to Listen Later"; wire-format.md §7).

POST adds, DELETE removes, and a POST with ``method=delete`` (a form field or in the query)
removes, as the docs' curl example does. Each action is idempotent: a repeat keeps the one row
and still succeeds. The row and the counters it feeds change in one transaction (the domain
functions keep them in step). Answer: ``{"result": {"success": true, "message": "…"}}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request

from mixcast.accounts.follows import follow_user, unfollow_user
from mixcast.accounts.users import get_user
from mixcast.api.render import RenderContext
from mixcast.clock import now_us
from mixcast.db.database import Database
from mixcast.errors import InvalidParameter, NotFound
from mixcast.shows.engagement import FAVORITES, LISTEN_LATER, REPOSTS
from mixcast.shows.shows import get_show
from mixcast.shows.visibility import visible_by_key

Handler = Callable[[Request, RenderContext], Awaitable[dict[str, Any]]]
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_FORM = 64 * 1024  # an action's form holds one short field

# name: (the rows, the message when added, the message when removed)
SHOW_ACTIONS = {
    "favorite": (FAVORITES, "Favorited {}", "Removed {} from favorites"),
    "repost": (REPOSTS, "Reposted {}", "Removed the repost of {}"),
    "listen-later": (LISTEN_LATER, "Added {} to listen later", "Removed {} from listen later"),
}


def result(message: str) -> dict[str, Any]:
    return {"result": {"success": True, "message": message}}


async def removing(request: Request) -> bool:
    """DELETE, or POST with ``method=delete`` in the query or in a (small) form body."""
    if request.method == "DELETE":
        return True
    method = request.query_params.get("method")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    length = request.headers.get("content-length", "")
    if method is None and content_type in FORM_TYPES and length.isdigit():
        if int(length) > MAX_FORM:
            raise InvalidParameter(f"An action's form may hold at most {MAX_FORM} bytes.")
        async with request.form(max_files=0, max_fields=20, max_part_size=MAX_FORM) as form:
            value = form.get("method")
            method = value if isinstance(value, str) else None
    if method in (None, "", "post", "POST"):
        return False
    if method.lower() == "delete":
        return True
    raise InvalidParameter("The parameter method takes delete (or nothing, to add).")


class ActionHandlers:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def follow(self, request: Request, ctx: RenderContext) -> dict[str, Any]:
        assert ctx.viewer_id is not None  # the route requires a token
        remove = await removing(request)
        username = request.path_params["user"]
        async with self.db.transaction() as conn:
            user = await get_user(conn, username)
            if user is None:
                raise NotFound(f"No user is called {username[:64]!r}.")
            if remove:
                await unfollow_user(conn, ctx.viewer_id, user["id"])
            else:
                await follow_user(conn, ctx.viewer_id, user["id"], now_us())
        name = user["display_name"]
        return result(f"No longer following {name}" if remove else f"Now following {name}")

    def show_action(self, action: str) -> Handler:
        rows, added, removed = SHOW_ACTIONS[action]

        async def handler(request: Request, ctx: RenderContext) -> dict[str, Any]:
            assert ctx.viewer_id is not None  # the route requires a token
            remove = await removing(request)
            username, slug = request.path_params["user"], request.path_params["show"]
            async with self.db.transaction() as conn:
                show = await get_show(conn, username, slug)
                # A show the viewer may not see does not exist for them: the same 404.
                if show is None or not visible_by_key(show, ctx.viewer_id):
                    raise NotFound("No such show.")
                if remove:
                    await rows.remove(conn, ctx.viewer_id, show["id"])
                else:
                    await rows.add(conn, ctx.viewer_id, show["id"], now_us())
            return result((removed if remove else added).format(show["name"]))

        handler.__name__ = action.replace("-", "_")
        return handler
