"""Time as the schema stores it: integer microseconds since the Unix epoch, UTC."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import lru_cache


def now_us() -> int:
    return time.time_ns() // 1000


def iso_z(us: int) -> str:
    """``2014-09-10T14:42:03Z``: the API's one time format (seconds, literal Z)."""
    return _iso_seconds(us // 1_000_000)


@lru_cache(maxsize=1 << 16)
def _iso_seconds(seconds: int) -> str:
    # A list page formats two times a show; the same shows come back page after page.
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def from_datetime(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1_000_000)
