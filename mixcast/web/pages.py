"""What every page handler shares: who is visiting (the session's user and the CSRF token),
rendering a template with the site's headers, and redirects.

Every page carries ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` (no page of the
site may be framed, so no click can be stolen from a consent or settings page) and
``Cache-Control: no-store`` (pages name the signed-in user and carry form tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from mixcast.accounts.sessions import SESSION_SECONDS, session_user
from mixcast.clock import now_us
from mixcast.db.database import Row
from mixcast.services import Services
from mixcast.web import csrf
from mixcast.web.cookies import cookie_policy

TEMPLATES = Path(__file__).parent / "templates"
PAGE_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

# Everything RFC 3986 allows unescaped in a URL, and "%" so existing escapes stay as they are.
_URL_CHARACTERS = "!#$%&'()*+,/:;=?@[]~-._"


@dataclass
class Visit:
    """One request's visitor: the signed-in user (None when signed out), the session cookie
    as sent, and the CSRF token (made now, and set on the page, when the browser had none)."""

    user: Row | None
    session_token: str
    csrf_token: str
    csrf_is_new: bool

    @property
    def account(self) -> Row:
        """The signed-in user, on pages that only signed-in visitors reach."""
        assert self.user is not None
        return self.user


def _date(us: int | None) -> str:
    if not us:
        return ""
    return datetime.fromtimestamp(us / 1_000_000, UTC).strftime("%Y-%m-%d %H:%M UTC")


class Pages:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        self.cookies = cookie_policy(self.settings.site_url)
        site = self.settings.site_url
        self.origin = f"{site.scheme}://{site.host}"
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["date"] = _date

    def path(self, path: str) -> str:
        """A path of the site as the browser sees it (under the site URL's prefix, if any)."""
        return self.settings.site_url.prefix + path

    async def visit(self, request: Request) -> Visit:
        token = request.cookies.get(self.cookies.session, "")
        user = None
        if token:
            async with self.services.db.reading() as conn:
                user = await session_user(conn, token, now_us())
        csrf_token = request.cookies.get(self.cookies.csrf)
        if csrf.well_formed(csrf_token):
            assert csrf_token is not None
            return Visit(user, token, csrf_token, csrf_is_new=False)
        return Visit(user, token, csrf.new_token(), csrf_is_new=True)

    def render(
        self,
        visit: Visit | None,
        template: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **values: Any,
    ) -> HTMLResponse:
        html = self.templates.get_template(template).render(
            site=str(self.settings.site_url),
            api=str(self.settings.api_url),
            site_name=self.settings.site_name,
            user=visit.user if visit else None,
            csrf_token=visit.csrf_token if visit else "",
            **values,
        )
        response = HTMLResponse(html, status, {**PAGE_HEADERS, **(headers or {})})
        if visit is not None and visit.csrf_is_new:
            self.cookies.set(response, self.cookies.csrf, visit.csrf_token, SESSION_SECONDS)
        return response

    def error(
        self,
        visit: Visit | None,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        return self.render(visit, "error.html", status, headers, code=status, message=message)

    def redirect(self, location: str, headers: dict[str, str] | None = None) -> Response:
        """303 See Other: after a POST the browser follows with a GET. Characters a header
        cannot carry (a registered redirect URI may hold non-ASCII) are percent-encoded; the
        URL's own escapes and delimiters are kept."""
        location = quote(location, safe=_URL_CHARACTERS)
        return Response(b"", 303, {**PAGE_HEADERS, **(headers or {}), "Location": location})

    def signin_redirect(self, next_path: str | None) -> Response:
        """To the sign-in page, coming back to ``next_path`` (a full local path) afterwards."""
        location = self.path("/signin/")
        if next_path:
            location += "?next=" + quote(next_path, safe="")
        return self.redirect(location)

    def here(self, request: Request) -> str:
        """The request's own path and query, as the browser sent them, for ``?next=``."""
        raw = request.scope.get("raw_path")
        path = bytes(raw).decode("latin-1") if raw else request.scope["path"]
        query = request.scope["query_string"].decode("latin-1")
        return path + ("?" + query if query else "")
