"""A user's page at the user's key (``/<user>/``): who they are, their counts, the shows on their
profile (their own and those they host: the API's ``/<user>/cloudcasts/`` source), and the
Follow button, which calls the API's domain functions (``follow_user``, ``unfollow_user``)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mixcast.accounts.follows import CannotFollowSelf, follow_flags, follow_user, unfollow_user
from mixcast.accounts.users import get_user
from mixcast.api.render import user_key
from mixcast.clock import now_us
from mixcast.lists import sources
from mixcast.lists.keyset import fetch_dated
from mixcast.pictures.urls import picture_map
from mixcast.web.cards import BadPage, dated_window, load_cards, until_after
from mixcast.web.forms import text
from mixcast.web.handlers import form_post, page
from mixcast.web.nextpath import local_next
from mixcast.web.pages import Pages, Visit
from mixcast.web.paths import USER_PATH

NOT_FOUND = "No such user."
BAD_PAGE = "That page link is not one of ours."


class UserPage:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.db = pages.services.db
        self.site = str(pages.settings.site_url)

    def routes(self) -> list[Route]:
        p = self.pages
        return [
            # signed_in=False: a signed-out visitor is sent to sign in and back to the page.
            Route(USER_PATH + "follow/", form_post(p, self.follow, signed_in=False),
                  methods=["POST"]),
            Route(USER_PATH, page(p, self.user), methods=["GET"]),
        ]  # fmt: skip

    async def user(self, request: Request, visit: Visit) -> Response:
        username = request.path_params["user"]
        until = request.query_params.get("until")
        try:
            window = dated_window(until)
        except BadPage:
            return self.pages.error(visit, 400, BAD_PAGE)
        viewer = visit.user["id"] if visit.user else None
        async with self.db.reading() as conn:
            profile = await get_user(conn, username)
            if profile is None:
                return self.pages.error(visit, 404, NOT_FOUND)
            if username != profile["username"]:  # one URL per user: the username as spelled
                query = request.url.query
                location = self.pages.path(user_key(profile["username"]))
                return Response(b"", 301, {"Location": location + ("?" + query if query else "")})
            shows = await fetch_dated(conn, sources.USER_CLOUDCASTS, {"owner": profile["id"]},
                                      window)  # fmt: skip
            cards = await load_cards(conn, self.site, shows, viewer)
            following = False
            if viewer is not None and viewer != profile["id"]:
                followed, _ = await follow_flags(conn, viewer, [profile["id"]])
                following = profile["id"] in followed
        key = user_key(profile["username"])
        here = self.pages.path(key)
        return self.pages.render(
            visit,
            "user.html",
            profile=profile,
            key=key,
            oembed_json=f"{self.site}/oembed/?url={quote(self.site + key, safe='')}&format=json",
            signin_next=self.pages.path("/signin/") + "?next=" + quote(here, safe=""),
            picture=picture_map(self.site, "profile", profile["picture_id"])["large"],
            cover=picture_map(self.site, "profile_cover", profile["cover_picture_id"])[
                "1113wx160h"
            ],
            cards=cards,
            older=until_after(shows),
            paged=bool(until),
            following=following,
            is_self=viewer == profile["id"],
        )

    async def follow(self, request: Request, visit: Visit, form: FormData) -> Response:
        username = request.path_params["user"]
        back = local_next(text(form, "next"), self.pages.path(user_key(username)))
        if visit.user is None:
            return self.pages.signin_redirect(back)
        try:
            async with self.db.transaction() as conn:
                followee = await get_user(conn, username)
                if followee is None:
                    return self.pages.error(visit, 404, NOT_FOUND)
                if text(form, "method") == "delete":
                    await unfollow_user(conn, visit.user["id"], followee["id"])
                else:
                    await follow_user(conn, visit.user["id"], followee["id"], now_us())
        except CannotFollowSelf as exc:
            return self.pages.error(visit, 400, exc.message)
        return self.pages.redirect(back)
