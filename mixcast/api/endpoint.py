"""The wrapper every API handler goes through: parse the shared parameters into a
``RenderContext``, run the handler, and turn any ``AppError`` into the API's error body."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import wraps
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from mixcast.api.auth import authenticate, presented_token
from mixcast.api.params import parse_callback, parse_flag
from mixcast.api.render import RenderContext
from mixcast.api.responses import api_response, error_response
from mixcast.errors import TOKEN_REQUIRED, AppError, MethodNotAllowed, OAuthError, ServerError
from mixcast.oauth.tokens import TokenOwner
from mixcast.proxies import client_address
from mixcast.ratelimit import Verdict
from mixcast.services import Services
from mixcast.settings import Settings

log = logging.getLogger("mixcast.api")

Handler = Callable[[Request, RenderContext], Awaitable[Any]]


def request_origin(request: Request) -> str:
    """Scheme and host of this request: links follow the request, as Mixcloud's do (§1)."""
    return f"{request.scope['scheme']}://{request.headers.get('host') or 'localhost'}"


def request_api_base(request: Request) -> str:
    """Scheme, host and API prefix of this request: the base of every link we emit (§1)."""
    root_path: str = request.scope.get("root_path", "")
    return request_origin(request) + root_path


def render_context(request: Request, settings: Settings) -> RenderContext:
    if not request.scope["query_string"]:  # the common case: nothing to parse
        return RenderContext(str(settings.site_url), request_api_base(request), False)
    query = request.query_params
    parse_callback(query.get("callback"))  # a junk callback is an error before anything else
    return RenderContext(
        site=str(settings.site_url),
        api=request_api_base(request),
        metadata=parse_flag("metadata", query.get("metadata")),
    )


def rate_key(request: Request, owner: TokenOwner | None) -> str:
    """Whom a request counts against: the token's grant (its user and app; the tokens of
    one grant share a count, so minting tokens buys nothing), else the client's address."""
    if owner is not None:
        return f"grant:{owner.user_id}:{owner.app_id}"
    return "ip:" + client_address(request.scope)


def endpoint(
    services: Services,
    methods: tuple[str, ...] = ("GET",),
    *,
    token_required: bool = False,
    write_kind: str = "write",
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Decorate ``handler(request, ctx) -> payload`` into a Starlette endpoint for ``methods``.

    In order: the access token (its user becomes ``ctx.viewer_id``), the rate limit of the
    request's kind (``read`` for GET and HEAD, ``write_kind`` for the rest), the method, the
    shared parameters, then the handler. Every answer, errors included, is counted and carries
    the rate limit headers.
    """
    settings, db, limiter = services.settings, services.db, services.rate_limiter
    allowed = frozenset(methods) | ({"HEAD"} if "GET" in methods else set())
    allow_header = ", ".join(sorted(allowed | {"OPTIONS"}))

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def run(request: Request) -> Response:
            verdict: Verdict | None = None
            try:
                # Counted first, so every answer (an error too) is counted and says so.
                token = presented_token(request)
                owner = refused = None
                if token is not None:
                    try:
                        owner = await authenticate(request, token, db, settings)
                    except OAuthError as error:  # counted against the address, then refused
                        refused = error
                kind = "read" if request.method in ("GET", "HEAD") else write_kind
                verdict = await limiter.count(kind, rate_key(request, owner))
                if verdict is not None and not verdict.allowed:
                    raise verdict.error()
                if request.method not in allowed:
                    raise MethodNotAllowed(
                        f"{request.method} is not allowed here.", headers={"Allow": allow_header}
                    )
                ctx = render_context(request, settings)
                if refused is not None:
                    raise refused
                if owner is not None:
                    ctx = replace(ctx, viewer_id=owner.user_id, viewer_name=owner.username)
                elif token_required:
                    raise OAuthError(TOKEN_REQUIRED)
                payload = await handler(request, ctx)
            except AppError as error:
                response = error_response(request, error)
            except ClientDisconnect:  # gone mid-body (an upload): nobody reads an answer
                log.info("%s: the client went away mid-request", handler.__name__)
                response = Response(status_code=400)
            except Exception:
                log.exception("unhandled error in %s", handler.__name__)
                response = error_response(request, ServerError("Something went wrong on our side."))
            else:
                response = (
                    payload if isinstance(payload, Response) else api_response(request, payload)
                )
            if verdict is not None:
                verdict.add_headers(response)
            return response

        return run

    return decorate
