"""The authorization-code grant (RFC 6749 §4.1, with PKCE, RFC 7636, S256 only).

``check_authorize`` vets an authorize request; ``grant_code`` makes a code once the user allows;
``exchange_code`` turns a code into an access token. A code is single-use, lives 10 minutes, and
is bound to its app, its user and the redirect_uri it was asked with. Presenting a used code
again revokes every token issued from it (RFC 6749 §4.1.2): a replay means it leaked.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mixcast.db.database import Connection, Query
from mixcast.errors import AppError
from mixcast.oauth.apps import App, app_by_client_id
from mixcast.oauth.credentials import digest, new_secret, same
from mixcast.oauth.tokens import issue_token

CODE_SECONDS = 600
_US = 1_000_000
# RFC 7636 §4.1-4.2: a verifier is 43-128 unreserved characters; an S256 challenge is the
# 43-character base64url of a sha256.
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}\Z")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}\Z")


class BadAuthorizeRequest(AppError):
    """An authorize request that names no app of ours or a redirect_uri the app did not
    register: shown on a page, never redirected (RFC 6749 §4.1.2.1)."""

    type = "OAuthException"
    http_status = 400


@dataclass(frozen=True)
class AuthorizeRequest:
    app: App
    redirect_uri: str | None  # None: show the code on the page
    state: str | None
    code_challenge: str | None
    error: str | None = None  # an error to send back to the redirect_uri, with its reason
    error_description: str | None = None


async def check_authorize(conn: Connection, params: Mapping[str, str]) -> AuthorizeRequest:
    """Vet ``/oauth/authorize``'s parameters; raises ``BadAuthorizeRequest`` for what must not
    be redirected, sets ``error`` for what may be."""
    app = await app_by_client_id(conn, params.get("client_id", ""))
    if app is None:
        raise BadAuthorizeRequest("No app has that client_id.")
    redirect_uri = params.get("redirect_uri") or None
    if redirect_uri is not None and redirect_uri not in app.redirect_uris:
        raise BadAuthorizeRequest(
            "The redirect_uri is not one this app registered. It must match exactly."
        )
    state = params.get("state") or None
    challenge = params.get("code_challenge") or None
    request = AuthorizeRequest(app, redirect_uri, state, challenge)
    response_type = params.get("response_type")
    if response_type not in (None, "", "code"):
        return _failed(request, "unsupported_response_type", "Only response_type=code is served.")
    method = params.get("code_challenge_method")
    if challenge is None:
        if method:
            return _failed(request, "invalid_request", "code_challenge_method without a challenge.")
    elif method != "S256":
        return _failed(request, "invalid_request", "PKCE needs code_challenge_method=S256.")
    elif not _CHALLENGE.match(challenge):
        return _failed(request, "invalid_request", "code_challenge is not an S256 challenge.")
    return request


def _failed(request: AuthorizeRequest, error: str, description: str) -> AuthorizeRequest:
    return AuthorizeRequest(
        request.app, request.redirect_uri, request.state, None, error, description
    )


def redirect_to(uri: str, params: Mapping[str, str | None]) -> str:
    """``uri`` with ``params`` added to its query (the query it has is kept, RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


_INSERT_CODE = Query(
    "INSERT INTO oauth_codes (code_hash, app_id, user_id, redirect_uri, code_challenge,"
    " expires_at) VALUES (:hash, :app, :user, :redirect_uri, :challenge, :expires)"
)
# Used and expired codes are kept a day, so a late replay is still caught and revokes.
_FORGET_CODES = Query("DELETE FROM oauth_codes WHERE user_id = :user AND expires_at < :before")


async def grant_code(conn: Connection, request: AuthorizeRequest, user_id: int, now: int) -> str:
    """The user allowed ``request``: a new code for it (the clear code is never stored)."""
    assert request.error is None
    await conn.execute(_FORGET_CODES, {"user": user_id, "before": now - 24 * 3600 * _US})
    code = new_secret(24)
    await conn.execute(
        _INSERT_CODE,
        {
            "hash": digest(code),
            "app": request.app.id,
            "user": user_id,
            "redirect_uri": request.redirect_uri,
            "challenge": request.code_challenge,
            "expires": now + CODE_SECONDS * _US,
        },
    )
    return code


class TokenError(Exception):
    """A refused token request: ``{"error": <code>, "error_description": ...}``, status 400."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


_CODE = Query(
    "SELECT app_id, user_id, redirect_uri, code_challenge, expires_at, used_at"
    " FROM oauth_codes WHERE code_hash = :hash"
)
_USE_CODE = Query(
    "UPDATE oauth_codes SET used_at = :now WHERE code_hash = :hash AND used_at IS NULL"
)
_REVOKE_FROM_CODE = Query(
    "UPDATE oauth_tokens SET revoked_at = :now WHERE code_hash = :hash AND revoked_at IS NULL"
)


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


async def exchange_code(conn: Connection, params: Mapping[str, str], now: int) -> str | TokenError:
    """The access token for a code, or the reason there is none.

    Returned rather than raised: a refusal may still have changed rows (a code spent, the
    tokens of a replayed code revoked), and the caller's unit of work must commit them.
    """
    grant_type = params.get("grant_type")
    if grant_type not in (None, "", "authorization_code"):
        return TokenError("unsupported_grant_type", "Only grant_type=authorization_code is served.")
    app = await app_by_client_id(conn, params.get("client_id", ""))
    if app is None:
        return TokenError("invalid_client", "No app has that client_id.")
    code = params.get("code", "")
    if not code:
        return TokenError("invalid_request", "The code parameter is missing.")
    code_hash = digest(code)
    row = await conn.fetch_one(_CODE, {"hash": code_hash}) if len(code) <= 128 else None
    if row is None or row["app_id"] != app.id:
        return TokenError("invalid_grant", "The code is not valid for this app.")
    secret = params.get("client_secret") or ""
    if secret:
        if not same(digest(secret), app.client_secret_hash):
            return TokenError("invalid_client", "The client_secret is wrong.")
    elif row["code_challenge"] is None:  # only a PKCE client may leave its secret out
        return TokenError("invalid_client", "The client_secret is missing.")
    if await conn.execute(_USE_CODE, {"hash": code_hash, "now": now}) == 0:
        revoked = await conn.execute(_REVOKE_FROM_CODE, {"hash": code_hash, "now": now})
        suffix = " The tokens issued from it have been revoked." if revoked else ""
        return TokenError("invalid_grant", "The code has been used already." + suffix)
    if row["expires_at"] <= now:
        return TokenError("invalid_grant", "The code has expired; codes last 10 minutes.")
    if (params.get("redirect_uri") or None) != row["redirect_uri"]:
        return TokenError(
            "invalid_grant", "The redirect_uri differs from the one the code was given for."
        )
    verifier = params.get("code_verifier") or None
    if row["code_challenge"] is None:
        if verifier is not None:
            return TokenError("invalid_grant", "A code_verifier for a code without a challenge.")
    elif verifier is None or not _VERIFIER.match(verifier):
        return TokenError("invalid_grant", "The code_verifier is missing or malformed.")
    elif not same(s256(verifier), row["code_challenge"]):
        return TokenError("invalid_grant", "The code_verifier does not match the challenge.")
    return await issue_token(conn, app.id, row["user_id"], now, code_hash=code_hash)
