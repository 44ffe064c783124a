"""What the player fetches beside a show's page: the audio stream, the waveform peaks, and the
listen reports.

- ``GET|HEAD /{user}/{show}/stream.mp3``: the show's streaming rendition. From local storage
  with HTTP Range (RFC 9110 §14), ``ETag``/``Last-Modified`` and ``If-None-Match``/
  ``If-Modified-Since`` (304) and ``If-Range``; from S3, a 302 to a presigned URL valid for
  five minutes (S3 answers the Range requests itself).
- ``GET|HEAD /{user}/{show}/peaks.json``: the stored waveform (audiowaveform JSON v2).
- ``POST /{user}/{show}/listens/``: ``{"listener": id, "seconds": n}`` → ``{"counted": b}``.

Who: ``visible_by_key``: anyone for ready public and unlisted shows, their owner alone for
drafts, scheduled and unprocessed shows; to others such a show does not exist (404). The
session is looked up only when the show is not open to anyone and a session cookie came, so a
public stream costs one query.

Caching (see docs/design.md, "Streaming and listens"): the bytes under a show's stream key
change only when the file is replaced, which changes the ``ETag``; what can change is who may
fetch them. ``public, max-age=3600`` when anyone may (a shared cache keeps serving a show made
private for at most an hour), ``private, max-age=3600`` when only the owner may (no shared cache
stores it), ``no-store`` on the redirect (the presigned URL it names expires).
"""

from __future__ import annotations

import hashlib
import math
import re
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import anyio
import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, RangeNotSatisfiable, Response
from starlette.routing import BaseRoute, Route

from mixcast.accounts.sessions import session_user
from mixcast.clock import now_us
from mixcast.db.database import Row
from mixcast.proxies import client_address
from mixcast.ratelimit.throttle import Throttle
from mixcast.shows.listens import ANONYMOUS_ID, count_listen, playable_show
from mixcast.shows.visibility import visible_by_key
from mixcast.storage.base import BlobNotFound
from mixcast.web import csrf
from mixcast.web.bodylimit import BodyTooLarge
from mixcast.web.pages import Pages

OPEN_CACHE = "public, max-age=3600"
OWNER_CACHE = "private, max-age=3600"
REDIRECT_SECONDS = 300
# Per client address: one report per play and tab every 30 s at most, so 120 a minute leaves
# room for a household or an office behind one address.
LISTEN_LIMIT = "120/minute"
MAX_LISTEN_BODY = 1024
MAX_RANGES = 16  # more parts than any player sends: ignored (RFC 9110 §14.2 allows it)
_RANGE_SPEC = re.compile(r"^(\d*)-(\d*)\Z")
_BIG = 10**18  # a position past any file; longer digit strings are clamped to it


# ---------------------------------------------------------------- Range


def byte_ranges(header: str, size: int) -> list[tuple[int, int]] | None:
    """The ``Range`` header's satisfiable byte ranges of a ``size``-byte file, as sorted,
    merged ``(start, end)`` pairs (``end`` exclusive), per RFC 9110 §14.1-14.2.

    ``None``: ignore the header and send the whole file (another unit, a syntax error, an
    inverted range, too many parts); ``[]``: none is satisfiable (416)."""
    unit, equals, specs = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    parts = [part.strip() for part in specs.split(",")]
    parts = [part for part in parts if part]  # empty list elements are allowed and ignored
    if not parts or len(parts) > MAX_RANGES:
        return None
    ranges: list[tuple[int, int]] = []
    for part in parts:
        match = _RANGE_SPEC.match(part)
        if match is None or match.group(0) == "-":
            return None
        first, last = (_number(text) for text in match.groups())
        if first is None:  # suffix: the last ``last`` bytes
            assert last is not None
            if last > 0 and size > 0:
                ranges.append((max(size - last, 0), size))
        else:
            if last is not None and last < first:
                return None  # invalid, not unsatisfiable (§14.1.1)
            if first < size:
                ranges.append((first, size if last is None else min(last + 1, size)))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:  # overlapping or adjacent parts become one
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _number(digits: str) -> int | None:
    if not digits:
        return None
    return int(digits) if len(digits) <= 18 else _BIG


class RangedFile(FileResponse):
    """Starlette's ``FileResponse`` (single ranges, multipart/byteranges, ``If-Range``, HEAD)
    with ``byte_ranges`` deciding what the Range header asks for: Starlette answers 400 to a
    header it cannot parse and 416 when any one part is past the end, where RFC 9110 says to
    ignore the former and to serve the satisfiable parts of the latter."""

    # Starlette reads 64 KiB per thread hop; 256 KiB quarters the hops (and the sends) of a
    # whole stream and makes a player's usual ranged read one (bench/stream.py).
    chunk_size = 256 * 1024

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        ranges = byte_ranges(http_range, file_size)
        if ranges is None:
            return []  # FileResponse sends the whole file
        if not ranges:
            raise RangeNotSatisfiable(file_size)
        return ranges


# ---------------------------------------------------------------- conditional requests


def _etags(header: str) -> list[str]:
    """The entity tags of an ``If-None-Match`` header, weakness dropped (weak comparison)."""
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def not_modified(request: Request, etag: str, modified: float | None) -> bool:
    """Whether a GET or HEAD may be answered 304 (RFC 9110 §13.1.2-13.1.3, §13.2.2):
    ``If-None-Match`` when sent, else ``If-Modified-Since``."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = _etags(if_none_match)
        return "*" in tags or etag.removeprefix("W/") in tags
    since = request.headers.get("if-modified-since")
    if since is None or modified is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False  # an invalid date is ignored
    if when.tzinfo is None:
        return False
    return int(modified) <= when.timestamp()


def _304(headers: dict[str, str]) -> Response:
    return Response(status_code=304, headers=headers)


# ---------------------------------------------------------------- routes


class StreamRoutes:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services
        self.listens_by_ip = Throttle(pages.services.limits, "listens-ip", LISTEN_LIMIT)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/{user}/{show}/stream.mp3", self.stream, methods=["GET", "HEAD"]),
            Route("/{user}/{show}/peaks.json", self.peaks, methods=["GET", "HEAD"]),
            Route("/{user}/{show}/listens/", self.listen, methods=["POST"]),
        ]

    async def _user_id(self, request: Request) -> int | None:
        token = request.cookies.get(self.pages.cookies.session)
        if not token:
            return None
        async with self.services.db.reading() as conn:
            user = await session_user(conn, token, now_us())
        return None if user is None else int(user["id"])

    async def _show(self, request: Request) -> tuple[Row, str] | None:
        """The requested show and its Cache-Control, when this visitor may hear it."""
        params = request.path_params
        show = await playable_show(self.services.db, params["user"], params["show"])
        if show is None:
            return None
        if visible_by_key(show, None):
            return show, OPEN_CACHE
        if visible_by_key(show, await self._user_id(request)):
            return show, OWNER_CACHE
        return None

    def _missing(self, what: str) -> Response:
        return self.pages.error(None, 404, f"There is no {what} here.")

    async def _blob(
        self, request: Request, column: str, what: str, media_type: str
    ) -> Response | tuple[str, str]:
        """The show's blob in ``column`` as a ranged file when it is on this machine; else its
        storage key and the cache policy (or the 404 for a show or blob the visitor lacks)."""
        found = await self._show(request)
        if found is None or not found[0][column]:
            return self._missing(what)
        show, cache = found
        key = show[column]
        path = self.services.store.local_path(key)
        if path is not None:
            return self._file(request, path, media_type, cache)
        return key, cache

    async def stream(self, request: Request) -> Response:
        found = await self._blob(request, "stream_blob", "stream", "audio/mpeg")
        if isinstance(found, Response):
            return found
        key, _ = found
        store = self.services.store
        # Presigned locally, no request; StorageUnavailable becomes the site's 503 page.
        url = store.url_for(key, REDIRECT_SECONDS)
        if url is None:  # local storage without the file
            return self._missing("stream")
        return Response(status_code=302, headers={"Location": url, "Cache-Control": "no-store"})

    async def peaks(self, request: Request) -> Response:
        found = await self._blob(request, "waveform_blob", "waveform", "application/json")
        if isinstance(found, Response):
            return found
        key, cache = found
        store = self.services.store
        # Remote: the widget fetches the peaks from its own origin, so they come through here
        # (a redirect would need CORS on the bucket); a waveform is tens of kilobytes.
        try:
            data = await anyio.to_thread.run_sync(store.get_bytes, key)
        except BlobNotFound:
            return self._missing("waveform")
        etag = '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'
        headers = {"Cache-Control": cache, "ETag": etag, "X-Content-Type-Options": "nosniff"}
        if not_modified(request, etag, None):
            return _304(headers)
        return Response(data, media_type="application/json", headers=headers)

    def _file(self, request: Request, path: Path, media_type: str, cache: str) -> Response:
        try:
            stat = path.stat()
        except FileNotFoundError:  # deleted since local_path looked
            return self._missing("file")
        headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
        response = RangedFile(path, headers=headers, media_type=media_type, stat_result=stat)
        etag = response.headers["etag"]
        if not_modified(request, etag, stat.st_mtime):
            return _304(
                {**headers, "ETag": etag, "Last-Modified": response.headers["last-modified"]}
            )
        return response

    # ---------------------------------------------------------------- listens

    async def listen(self, request: Request) -> Response:
        # Only counters change, so no CSRF token: a foreign page's POST carries its Origin and
        # is refused; a request without one is not a browser's cross-site request.
        if csrf.foreign_origin(request, self.pages.origin):
            return _error(403, "ForbiddenOrigin", "Listens are reported from this site's pages.")
        address = client_address(request.scope)
        if not await self.listens_by_ip.allow(address):
            wait = await self.listens_by_ip.retry_after(address)
            message = f"Too many listen reports; try again in {wait} seconds."
            return _error(429, "RateLimitException", message, {"Retry-After": str(wait)})
        report = await _read_report(request)
        if isinstance(report, Response):
            return report
        anonymous_id, seconds = report
        user_id = await self._user_id(request)
        if user_id is None and anonymous_id is None:
            return _error(400, "InvalidListen", "A listener id is required when signed out.")
        params = request.path_params
        show = await playable_show(self.services.db, params["user"], params["show"])
        if show is None or not visible_by_key(show, user_id):
            return _error(404, "NotFound", "There is no show here.")
        async with self.services.db.transaction() as conn:
            counted = await count_listen(
                conn, show["id"], user_id=user_id, anonymous_id=anonymous_id,
                seconds=seconds, now=now_us(),
            )  # fmt: skip
        return JSONResponse({"counted": counted}, headers={"Cache-Control": "no-store"})


async def _read_report(request: Request) -> tuple[str | None, float] | Response:
    """The body's anonymous listener id (None when absent) and seconds heard, or a 400/413.
    Any Content-Type is read as JSON: ``fetch()`` with a string body sends ``text/plain``."""
    body = b""
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_LISTEN_BODY:
                return _error(413, "InvalidListen", "A listen report is a small JSON object.")
    except (BodyTooLarge, ClientDisconnect):
        return _error(413, "InvalidListen", "A listen report is a small JSON object.")
    try:
        report = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _error(400, "InvalidListen", "The body is not JSON.")
    if not isinstance(report, dict):
        return _error(400, "InvalidListen", "The body is a JSON object.")
    listener, seconds = report.get("listener"), report.get("seconds")
    if listener is not None and not (isinstance(listener, str) and ANONYMOUS_ID.match(listener)):
        return _error(400, "InvalidListen", "listener is 16-64 characters of A-Z a-z 0-9 _ -.")
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not math.isfinite(seconds)
        or seconds < 0
    ):
        return _error(400, "InvalidListen", "seconds is a number of seconds heard, 0 or more.")
    return listener, float(seconds)


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"error": {"type": kind, "message": message}}
    return JSONResponse(body, status, {"Cache-Control": "no-store", **(headers or {})})
