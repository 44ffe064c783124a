"""Wrapping page handlers so the checks every page needs cannot be forgotten.

``page`` works out the visitor and, for signed-in pages, sends signed-out visitors to sign in.
``form_post`` does that and also reads the form within its bounds, refuses it (403, nothing
changed) unless the CSRF token matches and the Origin is ours, and closes uploaded files after
the handler, whatever happens.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from mixcast.web import csrf
from mixcast.web.forms import FormRejected, read_form
from mixcast.web.pages import Pages, Visit

Endpoint = Callable[[Request], Awaitable[Response]]
PageHandler = Callable[[Request, Visit], Awaitable[Response]]
FormHandler = Callable[[Request, Visit, FormData], Awaitable[Response]]

FORGED = (
    "This form was not sent from this site's own page, or the page has expired. "
    "Go back, reload the page and try again."
)


def page(pages: Pages, handler: PageHandler, *, signed_in: bool = False) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        visit = await pages.visit(request)
        if signed_in and visit.user is None:
            return pages.signin_redirect(pages.here(request))
        return await handler(request, visit)

    return endpoint


def form_post(pages: Pages, handler: FormHandler, *, signed_in: bool = True) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        visit = await pages.visit(request)
        if csrf.foreign_origin(request, pages.origin):
            return pages.error(visit, 403, FORGED)  # refused before the body is even read
        try:
            form = await read_form(request)
        except FormRejected as exc:
            return pages.error(visit, exc.status, exc.message)
        try:
            cookie_token = None if visit.csrf_is_new else visit.csrf_token
            if not csrf.token_matches(cookie_token, form):
                return pages.error(visit, 403, FORGED)
            if signed_in and visit.user is None:
                return pages.signin_redirect(None)
            return await handler(request, visit, form)
        finally:
            await form.close()

    return endpoint
