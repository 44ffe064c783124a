"""Who is asking: the access token of an API request (``?access_token=`` or
``Authorization: Bearer``), checked against ``oauth_tokens``.

A request without a token is anonymous; one with a token we don't honour fails, even on public
resources, so a client learns its token was revoked instead of silently losing its extras.
"""

from __future__ import annotations

from starlette.requests import Request

from mixcast.db.database import Database
from mixcast.errors import TOKEN_INVALID, TOKEN_NEEDS_HTTPS, OAuthError
from mixcast.oauth.tokens import TokenOwner, token_owner
from mixcast.settings import Settings


def presented_token(request: Request) -> str | None:
    """The token the request carries, or None. The header wins over the query (RFC 6750)."""
    scope = request.scope
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = bytes(value).decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip()
    if scope["query_string"] and b"access_token" in scope["query_string"]:
        token: str | None = request.query_params.get("access_token")
        return token or None
    return None


async def authenticate(
    request: Request, token: str, db: Database, settings: Settings
) -> TokenOwner:
    """The owner of ``token``; raises ``OAuthError`` for an unknown or revoked token, and for
    any token sent over plain http when the API's public URL is https (it has leaked)."""
    if settings.api_url.scheme == "https" and request.scope["scheme"] != "https":
        raise OAuthError(TOKEN_NEEDS_HTTPS)
    owner = await token_owner(db, token)
    if owner is None:
        raise OAuthError(TOKEN_INVALID)
    return owner
