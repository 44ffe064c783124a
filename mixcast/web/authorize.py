"""``/oauth/authorize``: the consent page of the authorization-code grant, and its answer.

A request naming no app of ours, or a redirect_uri the app did not register, is shown as an
error page and never redirected (RFC 6749 §4.1.2.1): redirecting would make this site an open
redirector. A signed-out visitor signs in first and comes back with the whole query. The
consent form posts the parameters back, and the POST checks them all again: nothing in a form
is trusted because this site rendered it.

Codes and states travel in URLs, so these pages are never stored and send no Referer to any
other site. ``Referrer-Policy: same-origin`` rather than ``no-referrer``: under ``no-referrer``
browsers send ``Origin: null`` with the page's own form POSTs (Allow, Deny, Sign out), which the
CSRF Origin check rightly refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mixcast.accounts.users import username_of
from mixcast.clock import now_us
from mixcast.oauth.grants import (
    AuthorizeRequest,
    BadAuthorizeRequest,
    check_authorize,
    grant_code,
    redirect_to,
)
from mixcast.web.forms import text
from mixcast.web.handlers import form_post, page
from mixcast.web.pages import Pages, Visit

PARAMS = (
    "client_id",
    "redirect_uri",
    "state",
    "response_type",
    "code_challenge",
    "code_challenge_method",
)
HEADERS = {"Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


class AuthorizePages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.db = pages.services.db

    def routes(self) -> list[Route]:
        p = self.pages
        ask, decide = page(p, self.ask), form_post(p, self.decide, signed_in=False)
        return [
            route
            for path in ("/oauth/authorize", "/oauth/authorize/")
            for route in (
                Route(path, ask, methods=["GET"]),
                Route(path, decide, methods=["POST"]),
            )
        ]

    async def ask(self, request: Request, visit: Visit) -> Response:
        params = {k: v for k in PARAMS if (v := request.query_params.get(k))}
        async with self.db.reading() as conn:
            try:
                asked = await check_authorize(conn, params)
            except BadAuthorizeRequest as exc:
                return self._bad(visit, exc.message)
        if asked.error is not None:
            return self._refuse(visit, asked)
        if visit.user is None:
            return self.pages.signin_redirect(self.pages.here(request))
        async with self.db.reading() as conn:
            developer = await username_of(conn, asked.app.owner_id)
        return self.pages.render(
            visit, "consent.html", 200, HEADERS, app=asked.app, developer=developer, params=params
        )

    async def decide(self, request: Request, visit: Visit, form: FormData) -> Response:
        params = {k: v for k in PARAMS if (v := text(form, k))}
        if visit.user is None:  # the session ended while the consent page was open
            return self.pages.signin_redirect(self._ask_path(params))
        allowed = text(form, "decision") == "allow"
        code = None
        async with self.db.transaction() as conn:
            try:
                asked = await check_authorize(conn, params)
            except BadAuthorizeRequest as exc:
                return self._bad(visit, exc.message)
            if asked.error is not None:
                return self._refuse(visit, asked)
            if allowed:
                code = await grant_code(conn, asked, visit.account["id"], now_us())
        if code is None:
            return self._answer(visit, asked, {"error": "access_denied"}, "denied.html")
        return self._answer(visit, asked, {"code": code}, "code.html", code=code)

    def _ask_path(self, params: Mapping[str, str]) -> str:
        return self.pages.path("/oauth/authorize") + "?" + urlencode(params)

    def _answer(
        self,
        visit: Visit,
        asked: AuthorizeRequest,
        answer: dict[str, str],
        template: str,
        **values: str,
    ) -> Response:
        """Back to the app's redirect_uri with ``answer`` and the state; without a
        redirect_uri, on a page of ours (for apps that cannot receive a redirect)."""
        if asked.redirect_uri is None:
            return self.pages.render(visit, template, 200, HEADERS, app=asked.app, **values)
        location = redirect_to(asked.redirect_uri, {**answer, "state": asked.state})
        return self.pages.redirect(location, HEADERS)

    def _refuse(self, visit: Visit, asked: AuthorizeRequest) -> Response:
        """An error the app should hear about: redirected to it when it gave a redirect_uri."""
        if asked.redirect_uri is None:
            message = f"{asked.error}: {asked.error_description}"
            return self.pages.error(visit, 400, message, HEADERS)
        params = {
            "error": asked.error,
            "error_description": asked.error_description,
            "state": asked.state,
        }
        return self.pages.redirect(redirect_to(asked.redirect_uri, params), HEADERS)

    def _bad(self, visit: Visit, message: str) -> Response:
        return self.pages.error(visit, 400, message, HEADERS)
