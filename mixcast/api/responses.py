"""Building API responses: JSON or JSONP bytes, CORS, the error body, the trailing-slash 301.

Every API response passes through here, so the transport rules of wire-format.md §2 live in one
file: ``application/json`` for JSON, ``text/javascript`` for JSONP, ``Access-Control-Allow-Origin:
*`` always.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from mixcast.api.params import parse_callback
from mixcast.errors import AppError

JSON = "application/json; charset=utf-8"
JAVASCRIPT = "text/javascript; charset=utf-8"
# On every API answer: any origin may read it, and no browser may sniff it into something else
# (a JSON body run as script, a JSONP body rendered as HTML).
CORS = {"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}
PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Max-Age": "86400",
}


class _PlainJSON(Response):
    """A 200 JSON response with its headers made once, not per request."""

    media_type = JSON

    def __init__(self, content: bytes) -> None:
        self.status_code = 200
        self.background = None
        self.body = content
        self.raw_headers = [
            (b"content-length", str(len(content)).encode("latin-1")),
            (b"content-type", JSON.encode("latin-1")),
            (b"access-control-allow-origin", b"*"),
            (b"x-content-type-options", b"nosniff"),
        ]


def _body(payload: Any, callback: str | None) -> tuple[bytes, str]:
    data = orjson.dumps(payload)
    if callback is None:
        return data, JSON
    return b"%s(%s)" % (callback.encode(), data), JAVASCRIPT


def api_response(
    request: Request, payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``payload`` as JSON, wrapped in the request's valid ``callback`` when there is one."""
    if not request.scope["query_string"] and status == 200 and headers is None:
        return _PlainJSON(orjson.dumps(payload))  # the common case, built cheaply
    data, media_type = _body(payload, parse_callback(request.query_params.get("callback")))
    return Response(data, status, {**CORS, **(headers or {})}, media_type)


def error_response(request: Request, error: AppError) -> Response:
    """The API's error shape. Wrapped for JSONP too, unless the callback itself is the error."""
    try:
        callback = parse_callback(request.query_params.get("callback"))
    except AppError:
        callback = None
    data, media_type = _body(error.body(), callback)
    return Response(data, error.http_status, {**CORS, **error.headers}, media_type)


def slash_redirect(location: str) -> Response:
    """301 to the same path with a trailing slash: empty body, relative Location (§2.2)."""
    return Response(b"", 301, {**CORS, "Location": location}, media_type="text/html; charset=utf-8")


def preflight(request_headers: str | None) -> Response:
    headers = dict(PREFLIGHT)
    headers["Access-Control-Allow-Headers"] = request_headers or "Authorization, Content-Type"
    return Response(b"", 204, headers)
