"""The missing trailing slash, for both routers: a GET or HEAD of ``/spartacus`` that a route
would answer as ``/spartacus/`` is redirected there (wire-format.md §2.2)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import Scope


def slashed_location(scope: Scope, routes: Sequence[BaseRoute]) -> str | None:
    """The relative Location to redirect to (the raw, still percent-encoded path plus ``/``,
    the query kept as sent), or None when no redirect applies."""
    path: str = scope["path"]
    if scope["method"] not in ("GET", "HEAD") or path.endswith("/"):
        return None
    slashed = {**scope, "path": path + "/"}
    if not any(route.matches(slashed)[0] != Match.NONE for route in routes):
        return None
    location = bytes(scope.get("raw_path") or path.encode()).decode("latin-1") + "/"
    if scope["query_string"]:
        location += "?" + scope["query_string"].decode("latin-1")
    return location
