"""The hosts page: the hosts a user invited (with an invite form for Pro users), and the
invitations the user received, to accept, decline or leave.

Every button is its own POST form with the CSRF token; success redirects back to the page with
a fixed notice (``?done=``), a refused invitation re-renders the page with the error.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mixcast.clock import now_us
from mixcast.shows.host_invitations import (
    HostInvitationError,
    accept_invitation,
    decline_invitation,
    invitations_received,
    invitations_sent,
    invite_host,
    remove_host,
)
from mixcast.web.forms import field_errors, text
from mixcast.web.handlers import form_post, page
from mixcast.web.pages import Pages, Visit

PATH = "/settings/hosts/"
# ?done= -> the notice shown; only these texts, so a link cannot put words on the page.
NOTICES = {
    "invited": "Invitation sent.",
    "removed": "Host removed.",
    "accepted": "Invitation accepted.",
    "declined": "Invitation declined.",
    "left": "You are no longer a host for that user.",
}


class HostPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.db = pages.services.db

    def routes(self) -> list[Route]:
        p = self.pages
        return [
            Route(PATH, page(p, self.show, signed_in=True), methods=["GET"]),
            Route(PATH, form_post(p, self.invite), methods=["POST"]),
            Route(PATH + "{username}/remove/", form_post(p, self.remove), methods=["POST"]),
            Route(PATH + "from/{username}/accept/", form_post(p, self.accept), methods=["POST"]),
            Route(PATH + "from/{username}/decline/", form_post(p, self.decline), methods=["POST"]),
            Route(PATH + "from/{username}/leave/", form_post(p, self.leave), methods=["POST"]),
        ]

    async def _render(
        self,
        visit: Visit,
        status: int = 200,
        values: dict[str, str] | None = None,
        errors: dict[str, list[str]] | None = None,
        notice: str = "",
    ) -> Response:
        user_id = visit.account["id"]
        async with self.db.reading() as conn:
            sent = await invitations_sent(conn, user_id)
            received = await invitations_received(conn, user_id)
        return self.pages.render(
            visit,
            "hosts.html",
            status,
            is_pro=bool(visit.account["is_pro"]),
            sent=sent,
            received=received,
            values=values or {},
            errors=errors or {},
            notice=notice,
        )

    def _done(self, what: str) -> Response:
        return self.pages.redirect(self.pages.path(f"{PATH}?done={what}"))

    async def show(self, request: Request, visit: Visit) -> Response:
        notice = NOTICES.get(request.query_params.get("done", ""), "")
        return await self._render(visit, notice=notice)

    async def invite(self, request: Request, visit: Visit, form: FormData) -> Response:
        values = {"username": text(form, "username")}
        try:
            async with self.db.transaction() as conn:
                await invite_host(conn, visit.account["id"], values["username"], now_us())
        except HostInvitationError as exc:
            return await self._render(visit, 400, values, field_errors(exc))
        return self._done("invited")

    async def remove(self, request: Request, visit: Visit, form: FormData) -> Response:
        async with self.db.transaction() as conn:
            await remove_host(conn, visit.account["id"], request.path_params["username"])
        return self._done("removed")

    async def accept(self, request: Request, visit: Visit, form: FormData) -> Response:
        try:
            async with self.db.transaction() as conn:
                owner = request.path_params["username"]
                await accept_invitation(conn, visit.account["id"], owner, now_us())
        except HostInvitationError as exc:
            return await self._render(visit, 400, errors={"form": [exc.message]})
        return self._done("accepted")

    async def decline(self, request: Request, visit: Visit, form: FormData) -> Response:
        async with self.db.transaction() as conn:
            await decline_invitation(conn, visit.account["id"], request.path_params["username"])
        return self._done("declined")

    async def leave(self, request: Request, visit: Visit, form: FormData) -> Response:
        # The same change as declining; only the notice differs.
        async with self.db.transaction() as conn:
            await decline_invitation(conn, visit.account["id"], request.path_params["username"])
        return self._done("left")
