"""The API as an ASGI app: the route table, CORS preflights, 404/405 in the API's error shape and
the 301 that adds a missing trailing slash."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from mixcast.api.endpoint import endpoint, rate_key
from mixcast.api.responses import error_response, preflight, slash_redirect
from mixcast.api.routes import ApiRoute, api_routes, starlette_path
from mixcast.errors import NotFound
from mixcast.services import Services
from mixcast.slashes import slashed_location

MAX_PATH = 2048
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


class ApiApp:
    def __init__(self, services: Services) -> None:
        self.table: list[ApiRoute] = api_routes(services)
        self.limiter = services.rate_limiter
        self.router = Router(
            # Routes take every method; the endpoint answers 405 in the API's error shape.
            [
                Route(
                    starlette_path(r.path),
                    endpoint(
                        services,
                        r.methods,
                        token_required=r.token_required,
                        write_kind=r.write_kind,
                    )(r.handler),
                    methods=ANY_METHOD,
                )
                for r in self.table
            ],
            redirect_slashes=False,
            default=self.not_found,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = dict(scope["headers"])
            requested = headers.get(b"access-control-request-headers", b"").decode("latin-1")
            await preflight(requested[:512] or None)(scope, receive, send)
            return
        if scope["type"] == "http" and len(scope["path"]) > MAX_PATH:
            await self.not_found(scope, receive, send)
            return
        scope.setdefault("router", self.router)
        await self.router(scope, receive, send)

    async def not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        """404, or the 301 that adds a missing slash; counted as reads of the address."""
        request = Request(scope, receive)
        verdict = await self.limiter.count("read", rate_key(request, None))
        location = slashed_location(scope, self.router.routes)
        if verdict is not None and not verdict.allowed:
            response = error_response(request, verdict.error())
        elif location is not None:
            response = slash_redirect(location)
        else:
            response = error_response(request, NotFound("There is nothing at this address."))
        if verdict is not None:
            verdict.add_headers(response)
        await response(scope, receive, send)
