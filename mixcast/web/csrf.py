"""Cross-site request forgery defence for every form POST: a double-submit token plus an
Origin check.

A random token lives in an HttpOnly cookie and is repeated in each form's hidden ``csrf_token``
field; a POST is accepted only when the two are equal. Another site can make a browser send the
cookie (SameSite=Lax already stops that for POSTs in current browsers) but cannot read it to
put it in the form. When the browser says where the POST came from (``Origin``), it must be
this site.
"""

from __future__ import annotations

import re
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request

FIELD = "csrf_token"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}\Z")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def well_formed(token: str | None) -> bool:
    return token is not None and bool(_TOKEN.match(token))


def foreign_origin(request: Request, site_origin: str) -> bool:
    """Whether the browser reports that the request came from a page of another origin
    (including ``Origin: null``, sent by sandboxed frames and some redirects)."""
    origin = request.headers.get("origin")
    return origin is not None and origin.lower() != site_origin


def token_matches(cookie_token: str | None, form: FormData) -> bool:
    submitted = form.get(FIELD)
    if not well_formed(cookie_token) or not isinstance(submitted, str):
        return False
    assert cookie_token is not None
    return secrets.compare_digest(cookie_token.encode(), submitted.encode())
