"""A developer's own apps: list, create, edit, delete, and reset the client secret.

The client secret exists in the clear only in the response to the POST that made it (creation
or reset), served ``no-store``; the database keeps its sha256, so it can never be shown again.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mixcast.clock import now_us
from mixcast.oauth.apps import (
    App,
    AppForm,
    AppNotFound,
    InvalidApp,
    create_app,
    delete_app,
    owned_app,
    owned_apps,
    parse_redirect_uris,
    reset_secret,
    update_app,
)
from mixcast.web.forms import field_errors, text
from mixcast.web.handlers import form_post, page
from mixcast.web.pages import Pages, Visit

APPS = "/developers/apps/"
# same-origin, not no-referrer: see authorize.py (the page's Sign out form must keep its Origin).
SECRET_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


def _form_values(form: FormData) -> dict[str, str]:
    return {name: text(form, name) for name in ("name", "description", "redirect_uris")}


def _app_form(values: dict[str, str]) -> AppForm:
    uris = parse_redirect_uris(values["redirect_uris"])
    return AppForm(values["name"], values["description"], uris)


def _app_values(app: App) -> dict[str, str]:
    return {
        "name": app.name,
        "description": app.description,
        "redirect_uris": "\n".join(app.redirect_uris),
    }


class DeveloperPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.db = pages.services.db

    def routes(self) -> list[Route]:
        p = self.pages
        one = APPS + "{app_id:int}/"
        return [
            Route(APPS, page(p, self.list_apps, signed_in=True), methods=["GET"]),
            Route(APPS, form_post(p, self.create), methods=["POST"]),
            Route(one, page(p, self.edit_form, signed_in=True), methods=["GET"]),
            Route(one, form_post(p, self.edit), methods=["POST"]),
            Route(one + "delete/", form_post(p, self.delete), methods=["POST"]),
            Route(one + "secret/", form_post(p, self.new_secret), methods=["POST"]),
        ]

    async def _list_page(
        self,
        visit: Visit,
        values: dict[str, str] | None = None,
        errors: dict[str, list[str]] | None = None,
        status: int = 200,
    ) -> Response:
        async with self.db.reading() as conn:
            apps = await owned_apps(conn, visit.account["id"])
        return self.pages.render(
            visit, "apps.html", status, apps=apps, values=values or {}, errors=errors or {}
        )

    async def list_apps(self, request: Request, visit: Visit) -> Response:
        return await self._list_page(visit)

    async def create(self, request: Request, visit: Visit, form: FormData) -> Response:
        values = _form_values(form)
        try:
            async with self.db.transaction() as conn:
                new = await create_app(conn, visit.account["id"], _app_form(values), now_us())
        except InvalidApp as exc:
            return await self._list_page(visit, values, field_errors(exc), 400)
        return self.pages.render(
            visit, "app_secret.html", 200, SECRET_HEADERS,
            app=new.app, client_secret=new.client_secret, created=True,
        )  # fmt: skip

    async def _owned(self, visit: Visit, request: Request) -> App | None:
        async with self.db.reading() as conn:
            return await owned_app(conn, visit.account["id"], request.path_params["app_id"])

    def _missing(self, visit: Visit) -> Response:
        return self.pages.error(visit, 404, "You have no app there.")

    async def edit_form(self, request: Request, visit: Visit) -> Response:
        app = await self._owned(visit, request)
        if app is None:
            return self._missing(visit)
        return self.pages.render(
            visit, "app_edit.html", app=app, values=_app_values(app), errors={}
        )

    async def edit(self, request: Request, visit: Visit, form: FormData) -> Response:
        values = _form_values(form)
        app_id: int = request.path_params["app_id"]
        try:
            async with self.db.transaction() as conn:
                await update_app(conn, visit.account["id"], app_id, _app_form(values))
        except AppNotFound:
            return self._missing(visit)
        except InvalidApp as exc:
            app = await self._owned(visit, request)
            if app is None:
                return self._missing(visit)
            errors = field_errors(exc)
            return self.pages.render(
                visit, "app_edit.html", 400, app=app, values=values, errors=errors
            )
        return self.pages.redirect(self.pages.path(APPS))

    async def delete(self, request: Request, visit: Visit, form: FormData) -> Response:
        try:
            async with self.db.transaction() as conn:
                await delete_app(conn, visit.account["id"], request.path_params["app_id"])
        except AppNotFound:
            return self._missing(visit)
        return self.pages.redirect(self.pages.path(APPS))

    async def new_secret(self, request: Request, visit: Visit, form: FormData) -> Response:
        app_id: int = request.path_params["app_id"]
        try:
            async with self.db.transaction() as conn:
                secret = await reset_secret(conn, visit.account["id"], app_id)
                app = await owned_app(conn, visit.account["id"], app_id)
        except AppNotFound:
            return self._missing(visit)
        return self.pages.render(
            visit, "app_secret.html", 200, SECRET_HEADERS,
            app=app, client_secret=secret, created=False,
        )  # fmt: skip
