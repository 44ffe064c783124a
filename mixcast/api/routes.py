"""The API's route table: one entry per operation, read both by the router and by the OpenAPI
document, so the document cannot drift from what is served."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.convertors import Convertor, register_url_convertor

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


class UserConvertor(Convertor[str]):
    """A ``{user}`` path segment that is not a tag prefix: ``/genres/funk/`` never reaches the
    user routes, so those can be tried first (the router tries routes in order)."""

    regex = "(?!(?:" + "|".join(TAG_PREFIXES) + ")/)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("user", UserConvertor())


def starlette_path(path: str) -> str:
    """The router's form of an OpenAPI path: ``{user}`` uses the convertor above."""
    return path.replace("{user}", "{user:user}")


def api_routes(objects: ObjectHandlers) -> list[ApiRoute]:
    """Most requested first: the router tries them in this order."""
    routes = [
        ApiRoute("/{user}/{show}/", objects.show, "get_show", "A show (cloudcast)", "Show"),
        ApiRoute("/{user}/", objects.user, "get_user", "A user", "User"),
    ]
    routes += [
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
    return routes
