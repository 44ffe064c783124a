"""The API's route table: one entry per operation, read both by the router and by the OpenAPI
document, so the document cannot drift from what is served."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from mixcast.api.objects import ObjectHandlers

Endpoint = Callable[..., Awaitable[object]]


@dataclass(frozen=True)
class ApiRoute:
    path: str  # Starlette and OpenAPI share the {name} template syntax
    handler: Endpoint
    operation_id: str
    summary: str
    response: str  # a schema name in openapi.COMPONENTS
    methods: tuple[str, ...] = ("GET",)
    tag: str = "objects"


TAG_PREFIXES = ("genres", "discover", "tag")


def api_routes(objects: ObjectHandlers) -> list[ApiRoute]:
    routes = [
        ApiRoute(
            f"/{prefix}/{{tag}}/",
            objects.tag,
            f"get_tag_{prefix}",
            "A genre tag (funk), a city (city:athens) or both (funk+city:athens)"
            + ("" if prefix == "genres" else f"; /{prefix}/ is an alias of /genres/"),
            "Tag",
        )
        for prefix in TAG_PREFIXES
    ]
    routes += [
        ApiRoute("/{user}/", objects.user, "get_user", "A user", "User"),
        ApiRoute("/{user}/{show}/", objects.show, "get_show", "A show (cloudcast)", "Show"),
    ]
    return routes
