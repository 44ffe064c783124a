"""Paging parameters and links (wire-format.md §4.2-§4.3).

Two modes. **Date mode** (the default) pages by each item's list time (when it was favourited,
followed, listened, published) with exclusive ``since`` / ``until`` bounds, so following ``next``
never repeats or skips an item, even while new items arrive. **Offset mode**, chosen by sending
``offset`` (``offset=0`` on the first request), pages by position.

Links are absolute, built from the request's scheme, host and path, and carry the request's
other parameters (``metadata``, ``q``, ``type`` ...). A date-mode link carries the boundary as
a unix timestamp with microseconds, the precision the list times are stored at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from mixcast.errors import InvalidParameter

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 10_000_000
_INT = re.compile(r"\A[0-9]{1,9}\Z")
_UNIX = re.compile(r"\A[0-9]{1,11}(?:\.[0-9]{1,6})?\Z")
_DATE = re.compile(r"\A(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6}))?)?)?Z?\Z")
# Parameters that belong to one page, not to the list: links replace them.
PAGE_PARAMS = frozenset({"limit", "offset", "since", "until", "callback", "access_token"})


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int | None  # offset mode when not None
    since: int | None  # exclusive bounds, microseconds
    until: int | None

    @property
    def offset_mode(self) -> bool:
        return self.offset is not None


def _int(name: str, value: str) -> int:
    if not _INT.match(value):
        raise InvalidParameter(f"The parameter {name} takes a whole number.")
    return int(value)


def parse_time(name: str, value: str) -> int:
    """A unix timestamp (``1500000000`` or ``1500000000.25``) or ``YYYY-MM-DD HH:MM:SS`` (UTC)
    as microseconds."""
    value = value.strip()
    if _UNIX.match(value):
        whole, _, frac = value.partition(".")
        return int(whole) * 1_000_000 + int((frac or "0").ljust(6, "0"))
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


def parse_page(query: Any) -> Page:
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
    since = parse_time("since", query["since"]) if query.get("since") else None
    until = parse_time("until", query["until"]) if query.get("until") else None
    if since is not None and until is not None and since >= until:
        raise InvalidParameter("since must be before until.")
    return Page(limit, offset, since, until)


def _stamp(us: int) -> str:
    return f"{us // 1_000_000}.{us % 1_000_000:06d}"


def links(
    base_url: str,
    query: Sequence[tuple[str, str]],
    page: Page,
    times: Sequence[int],
    has_more: bool,
) -> dict[str, str]:
    """``previous`` and ``next`` for a page whose items have list times ``times`` (newest
    first). ``has_more``: the query found an item beyond this page."""
    keep = [(k, v) for k, v in query if k not in PAGE_PARAMS]

    def link(**params: Any) -> str:
        pairs = [*keep, ("limit", str(page.limit)), *params.items()]
        return f"{base_url}?{urlencode(pairs)}"

    out: dict[str, str] = {}
    if page.offset_mode:
        assert page.offset is not None
        if page.offset > 0:
            out["previous"] = link(offset=max(page.offset - page.limit, 0))
        if has_more:
            out["next"] = link(offset=page.offset + page.limit)
        return out
    if times:
        out["previous"] = link(since=_stamp(times[0]))
        if has_more:
            out["next"] = link(until=_stamp(times[-1]))
    elif page.until is not None:
        # Past the end: offer the way back to what was before this bound.
        out["previous"] = link(since=_stamp(page.until - 1))
    return out
