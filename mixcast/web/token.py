"""``/oauth/access_token``: a code (with the client's secret or PKCE verifier) for an access
token.

Mixcloud clients send the parameters in the query, often by GET, so the query is always read;
a POSTed form adds to it (and wins). The answer is JSON with ``Access-Control-Allow-Origin: *``
like the API's, wrapped for JSONP when a valid ``callback`` is given, and never cached.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from mixcast.api.endpoint import rate_key
from mixcast.api.params import parse_callback
from mixcast.api.responses import api_response, error_response
from mixcast.clock import now_us
from mixcast.errors import AppError
from mixcast.oauth.grants import TokenError, exchange_code
from mixcast.ratelimit import Verdict
from mixcast.services import Services
from mixcast.web.bodylimit import BodyTooLarge

PARAMS = ("client_id", "redirect_uri", "client_secret", "code", "grant_type", "code_verifier")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenEndpoint:
    def __init__(self, services: Services) -> None:
        self.db = services.db
        self.limiter = services.rate_limiter
        # Secrets and codes sent in the clear have leaked: refuse them, as the API refuses
        # tokens (mixcast/proxies.py decides what counts as https behind a proxy).
        self.https_only = services.settings.site_url.scheme == "https"

    def routes(self) -> list[Route]:
        return [
            Route(path, self.exchange, methods=["GET", "POST"])
            for path in ("/oauth/access_token", "/oauth/access_token/")
        ]

    async def _params(self, request: Request) -> dict[str, str] | TokenError:
        params = {k: v for k in PARAMS if (v := request.query_params.get(k))}
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if request.method == "POST" and content_type in FORM_TYPES:
            try:
                async with request.form(max_files=0, max_fields=20, max_part_size=8192) as form:
                    for name in PARAMS:
                        value = form.get(name)
                        if isinstance(value, str) and value:
                            params[name] = value
            except (BodyTooLarge, MultiPartException, HTTPException, ClientDisconnect):
                # A client gone mid-body never reads this answer; nothing was done.
                return TokenError("invalid_request", "The form could not be read.")
        return params

    async def exchange(self, request: Request) -> Response:
        """Counted against the client's address (the ``oauth`` rate limit), then answered;
        every answer carries the rate limit headers."""
        verdict = await self.limiter.count("oauth", rate_key(request, None))
        response = await self._exchange(request, verdict)
        if verdict is not None:
            verdict.add_headers(response)
        return response

    async def _exchange(self, request: Request, verdict: Verdict | None) -> Response:
        if verdict is not None and not verdict.allowed:
            return error_response(request, verdict.error())
        try:  # checked first: a code spent on a response that cannot be sent would be lost
            parse_callback(request.query_params.get("callback"))
        except AppError as exc:
            return error_response(request, exc)
        if self.https_only and request.scope["scheme"] != "https":
            refused = TokenError("invalid_request", "Use https: the site's address is https.")
            return api_response(request, refused.body(), 400, NO_STORE)
        params = await self._params(request)
        if isinstance(params, TokenError):
            result: str | TokenError = params
        else:
            # One transaction whatever the outcome: a refusal may have spent a code or
            # revoked the tokens of a replayed one, and that must be committed.
            async with self.db.transaction() as conn:
                result = await exchange_code(conn, params, now_us())
        if isinstance(result, TokenError):
            return api_response(request, result.body(), 400, NO_STORE)
        return api_response(request, {"access_token": result}, 200, NO_STORE)
