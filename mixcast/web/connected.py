"""The apps a user has authorized, each with a Revoke button that ends all of its tokens."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mixcast.clock import now_us
from mixcast.oauth.tokens import connected_apps, revoke_app
from mixcast.web.handlers import form_post, page
from mixcast.web.pages import Pages, Visit

PATH = "/settings/connected-apps/"


class ConnectedAppPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.db = pages.services.db

    def routes(self) -> list[Route]:
        p = self.pages
        return [
            Route(PATH, page(p, self.show, signed_in=True), methods=["GET"]),
            Route(PATH + "{app_id:int}/revoke/", form_post(p, self.revoke), methods=["POST"]),
        ]

    async def show(self, request: Request, visit: Visit) -> Response:
        async with self.db.reading() as conn:
            apps = await connected_apps(conn, visit.account["id"])
        revoked = request.query_params.get("revoked") == "1"
        return self.pages.render(visit, "connected_apps.html", apps=apps, revoked=revoked)

    async def revoke(self, request: Request, visit: Visit, form: FormData) -> Response:
        app_id: int = request.path_params["app_id"]
        async with self.db.transaction() as conn:
            await revoke_app(conn, visit.account["id"], app_id, now_us())
        return self.pages.redirect(self.pages.path(PATH + "?revoked=1"))
