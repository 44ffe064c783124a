"""Paging parameters and links (wire-format.md §4.2-§4.3).

Two modes. **Date mode** (the default) pages by each item's list time (when it was favourited,
followed, listened, published) with exclusive ``since`` / ``until`` bounds, so following ``next``
never repeats or skips an item, even while new items arrive. **Offset mode**, chosen by sending
``offset`` (``offset=0`` on the first request), pages by position. Ranked lists (popular, hot,
similar, search, a playlist) are always paged by offset.

Links are absolute, built from the request's scheme, host and path, and carry the request's
other parameters (``metadata``, ``q``, ``type`` ...). A date-mode link carries the boundary as
a unix timestamp with microseconds, the precision list times are stored at, followed by
``_<n>``: the boundary item's tie-breaker, which keeps items that share a microsecond apart.
Clients may also send their own bounds as a unix timestamp or ``YYYY-MM-DD HH:MM:SS`` (UTC).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from mixcast.errors import InvalidParameter
from mixcast.lists.window import Cursor, Slice, Window

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 10_000_000
_INT = re.compile(r"\A[0-9]{1,9}\Z")
# Signed: dates before 1970 are accepted, and the way back from ``until=0``: ``since=-0.000001``.
_UNIX = re.compile(r"\A(-?)([0-9]{1,11})(?:\.([0-9]{1,6}))?\Z")
_CURSOR = re.compile(r"\A(-?[0-9]{1,11}\.[0-9]{6})_([0-9]{1,18})\Z")
# ASCII digits only, as everywhere else in the query: "\d" alone would take "٢٠٢٠".
_DATE = re.compile(
    r"\A(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6}))?)?)?Z?\Z", re.ASCII
)
# Parameters that belong to one page, not to the list: links replace them.
PAGE_PARAMS = frozenset({"limit", "offset", "since", "until", "callback", "access_token"})


def _int(name: str, value: str) -> int:
    if not _INT.match(value):
        raise InvalidParameter(f"The parameter {name} takes a whole number.")
    return int(value)


def parse_time(name: str, value: str) -> int:
    """A unix timestamp (``1500000000`` or ``1500000000.25``) or ``YYYY-MM-DD HH:MM:SS`` (UTC)
    as microseconds."""
    value = value.strip()
    unix = _UNIX.match(value)
    if unix:
        sign, whole, frac = unix.groups()
        us = int(whole) * 1_000_000 + int((frac or "0").ljust(6, "0"))
        return -us if sign else us
    match = _DATE.match(value)
    if match:
        y, mo, d, h, mi, s, frac = match.groups()
        try:
            moment = datetime(
                int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), tzinfo=UTC
            )
        except ValueError:
            pass
        else:
            return int(moment.timestamp()) * 1_000_000 + int((frac or "0").ljust(6, "0"))
    raise InvalidParameter(
        f"The parameter {name} takes a unix timestamp or a UTC time as YYYY-MM-DD HH:MM:SS."
    )


def parse_cursor(name: str, value: str) -> Cursor:
    """A bound from one of our links (``1500000000.000042_17``) or from a client (a time)."""
    value = value.strip()
    match = _CURSOR.match(value)
    if match:
        return Cursor(parse_time(name, match.group(1)), int(match.group(2)))
    return Cursor(parse_time(name, value))


def parse_page(query: Any) -> Window:
    """The paging parameters of a request's query (a Starlette ``QueryParams``)."""
    limit_raw = query.get("limit")
    limit = DEFAULT_LIMIT if not limit_raw else _int("limit", limit_raw)
    limit = min(max(limit, 1), MAX_LIMIT)
    offset_raw = query.get("offset")
    offset = None
    if offset_raw is not None:
        offset = 0 if offset_raw == "" else _int("offset", offset_raw)
        if offset > MAX_OFFSET:
            raise InvalidParameter(f"The offset may be at most {MAX_OFFSET}.")
    since = parse_cursor("since", query["since"]) if query.get("since") else None
    until = parse_cursor("until", query["until"]) if query.get("until") else None
    if since is not None and until is not None and since.time >= until.time:
        raise InvalidParameter("since must be before until.")
    return Window(limit, offset, since, until)


def _unix(us: int) -> str:
    """``us`` as ``parse_time`` reads it back: -1 is ``-0.000001``, not ``-1.999999``."""
    sign = "-" if us < 0 else ""
    return f"{sign}{abs(us) // 1_000_000}.{abs(us) % 1_000_000:06d}"


def cursor_stamp(us: int, tie: int) -> str:
    """A date-mode bound as links carry it, ``<unix>.<micro6>_<tie>`` (``parse_cursor``)."""
    return f"{_unix(us)}_{tie}"


def links(
    base_url: str, query: Sequence[tuple[str, str]], window: Window, page: Slice
) -> dict[str, str]:
    """``previous`` and ``next`` for ``page``, read with ``window``: ``previous`` leads to newer
    items (or a lower offset), ``next`` to older ones; there is no ``next`` on the last page."""
    keep = [(k, v) for k, v in query if k not in PAGE_PARAMS]
    # The page's own parameters need no escaping (digits, '.', '_'): only the kept ones do.
    head = (
        f"{base_url}?{urlencode(keep)}&limit={window.limit}"
        if keep
        else (f"{base_url}?limit={window.limit}")
    )

    def link(**params: Any) -> str:
        return head + "".join(f"&{name}={value}" for name, value in params.items())

    out: dict[str, str] = {}
    if window.offset_mode or page.ranked:
        offset = window.offset or 0
        if offset > 0:
            out["previous"] = link(offset=max(offset - window.limit, 0))
        # Past MAX_OFFSET the parser refuses the offset: no link may lead there.
        if page.has_more and offset + window.limit <= MAX_OFFSET:
            out["next"] = link(offset=offset + window.limit)
        return out
    items = page.items
    # A page read upwards from ``since`` alone knows whether newer items remain; any other page
    # knows whether older ones do.
    upwards = window.since is not None and window.until is None
    if items:
        first, last = items[0], items[-1]
        if not upwards or page.has_more:
            out["previous"] = link(since=cursor_stamp(first.time, first.tie))
        if upwards or page.has_more:
            out["next"] = link(until=cursor_stamp(last.time, last.tie))
    elif window.until is not None:
        # Past the end: offer the way back to the items at and after this bound.
        out["previous"] = link(since=_unix(window.until.time - 1))
    return out
