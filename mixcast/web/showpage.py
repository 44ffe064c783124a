"""The show page at the show's own key (``/<user>/<slug>/``, so an API key is a link to it),
and its Favorite, Repost and Listen later buttons.

The page embeds the widget player (``embeds.widget_src``) and carries what link previews read:
Open Graph, the Twitter player card and the oEmbed discovery links. Who may see it is the API's
rule (``visible_by_key`` with the signed-in visitor); everyone else gets the site's 404 page.

The buttons are POST forms with the CSRF token that call the same domain functions as the API's
actions (``api.actions.SHOW_ACTIONS``), then send the browser back to the page (303).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mixcast.accounts.follows import follow_flags
from mixcast.api.actions import SHOW_ACTIONS
from mixcast.api.render import show_key, tag_key, user_key
from mixcast.clock import now_us
from mixcast.db.database import Connection, Row
from mixcast.embeds import HEIGHT, widget_src
from mixcast.pictures.urls import picture_map
from mixcast.shows.engagement import engagement_marks
from mixcast.shows.shows import HOSTS_OF_SHOW, SECTIONS_OF_SHOW, TAGS_OF_SHOW, get_show
from mixcast.shows.visibility import visible_by_key
from mixcast.web.cards import counts_of
from mixcast.web.forms import text
from mixcast.web.handlers import FormHandler, form_post, page
from mixcast.web.pages import Pages, Visit
from mixcast.web.paths import SHOW_PATH

WIDGET_OPTIONS = {"hide_cover": "1"}  # the classic 120-pixel player: the page shows the cover
PLAYER_CARD_WIDTH = 480  # the Twitter player card's frame; the widget fills any width
DESCRIPTION_PREVIEW = 200  # characters of the description in link previews
NOT_FOUND = "No such show."
# What the owner is told about a show that others cannot see, or not in lists.
OWNER_NOTICES = {
    "draft": "This show is a draft: only you can see it.",
    "scheduled": "This show is scheduled: only you can see it until it is published.",
    "unlisted": "This show is unlisted: anyone with its link can listen, but it is in no list.",
}
STATUS_NOTICES = {
    "received": "This show is still being processed: only you can see it for now.",
    "processing": "This show is still being processed: only you can see it for now.",
    "failed": "This show's audio could not be processed: only you can see it.",
}


@dataclass(frozen=True)
class Section:
    """A tracklist line as the page shows it."""

    start: str  # "1:02:03", "4:05", or "" when unknown
    artist: str | None
    song: str | None
    chapter: str | None


def clock_time(seconds: int | None) -> str:
    """``seconds`` as the tracklist shows it: ``M:SS``, or ``H:MM:SS`` from an hour on."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def preview_text(description: str, name: str) -> str:
    """The description as one short line for link previews (the name when it is empty)."""
    flat = re.sub(r"\s+", " ", description or "").strip()
    if not flat:
        return name
    if len(flat) <= DESCRIPTION_PREVIEW:
        return flat
    return flat[: DESCRIPTION_PREVIEW - 1].rstrip() + "…"


def owner_notice(show: Row) -> str:
    if show["status"] != "ready":
        return STATUS_NOTICES.get(show["status"], "")
    return OWNER_NOTICES.get(show["visibility"], "")


class ShowPage:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.db = pages.services.db
        self.site = str(pages.settings.site_url)

    def routes(self) -> list[Route]:
        p = self.pages
        routes = [
            # signed_in=False: a signed-out visitor is sent to sign in and back to the show.
            Route(f"{SHOW_PATH}{name}/", form_post(p, self._action(name), signed_in=False),
                  methods=["POST"])
            for name in SHOW_ACTIONS
        ]  # fmt: skip
        routes.append(Route(SHOW_PATH, page(p, self.show), methods=["GET"]))
        return routes

    async def show(self, request: Request, visit: Visit) -> Response:
        params = request.path_params
        viewer = visit.user["id"] if visit.user else None
        async with self.db.reading() as conn:
            show = await get_show(conn, params["user"], params["show"])
            if show is None or not visible_by_key(show, viewer):
                return self.pages.error(visit, 404, NOT_FOUND)
            key = show_key(show["username"], show["slug"])
            if (params["user"], params["show"]) != (show["username"], show["slug"]):
                # /SPARTACUS/Party-Time/ is /spartacus/party-time/: one URL per show.
                query = request.url.query
                location = self.pages.path(key) + ("?" + query if query else "")
                return Response(b"", 301, {"Location": location})
            values = await self._values(conn, show, key, viewer)
        return self.pages.render(visit, "show.html", **values)

    async def _values(
        self, conn: Connection, show: Row, key: str, viewer: int | None
    ) -> dict[str, Any]:
        show_id, site = show["id"], self.site
        tags = await conn.fetch_all(TAGS_OF_SHOW, {"id": show_id})
        sections = await conn.fetch_all(SECTIONS_OF_SHOW, {"id": show_id})
        hosts = await conn.fetch_all(HOSTS_OF_SHOW, {"id": show_id})
        marks: dict[str, bool] = {}
        following = False
        if viewer is not None:
            found = await engagement_marks(conn, viewer, [show_id])
            marks = {mark: show_id in ids for mark, ids in found.items()}
            followed, _ = await follow_flags(conn, viewer, [show["owner_id"]])
            following = show["owner_id"] in followed
        url = site + key
        pictures = picture_map(site, "extaudio", show["picture_id"])
        oembed = f"{site}/oembed/?url={quote(url, safe='')}&format="
        is_owner = viewer == show["owner_id"]
        here = self.pages.path(key)  # the page's own path, for ?next= and the Follow button
        return {
            "show": show,
            "key": key,
            "url": url,
            "owner_key": user_key(show["username"]),
            "owner_picture": picture_map(site, "profile", show["user_picture_id"])["medium"],
            "picture": pictures["large"],
            "og_image": pictures["extra_large"],  # 600x600
            "preview": preview_text(show["description"], show["name"]),
            "widget": widget_src(site, key, WIDGET_OPTIONS),
            "widget_height": HEIGHT,
            "player_width": PLAYER_CARD_WIDTH,
            "oembed_json": oembed + "json",
            "oembed_xml": oembed + "xml",
            "tags": [(tag_key(t["slug"], None), t["name"]) for t in tags],
            "hosts": [(user_key(h["username"]), h["display_name"]) for h in hosts],
            "sections": [
                Section(clock_time(s["start_time"]), s["artist"], s["song"], s["chapter"])
                for s in sections
            ],
            "counts": counts_of(show, viewer),
            "created": show["published_at"] or show["created_at"],
            "is_owner": is_owner,
            "owner_notice": owner_notice(show) if is_owner else "",
            "marks": marks,
            "following": following,
            "here": here,
            "signin_next": self.pages.path("/signin/") + "?next=" + quote(here, safe=""),
        }

    def _action(self, name: str) -> FormHandler:
        rows = SHOW_ACTIONS[name][0]

        async def handler(request: Request, visit: Visit, form: FormData) -> Response:
            username, slug = request.path_params["user"], request.path_params["show"]
            if visit.user is None:
                return self.pages.signin_redirect(self.pages.path(show_key(username, slug)))
            viewer = visit.user["id"]
            async with self.db.transaction() as conn:
                show = await get_show(conn, username, slug)
                # A show the visitor may not see does not exist for them: the same 404.
                if show is None or not visible_by_key(show, viewer):
                    return self.pages.error(visit, 404, NOT_FOUND)
                if text(form, "method") == "delete":
                    await rows.remove(conn, viewer, show["id"])
                else:
                    await rows.add(conn, viewer, show["id"], now_us())
            return self.pages.redirect(self.pages.path(show_key(show["username"], show["slug"])))

        handler.__name__ = name.replace("-", "_")
        return handler
