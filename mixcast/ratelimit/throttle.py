"""A named limit over a moving window, counted per key (an IP, a login, a token)."""

from __future__ import annotations

import math
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from mixcast.errors import ConfigError


def open_limits_storage(url: str) -> Any:
    """The one factory for limit storage: ``memory://`` (this process) or ``redis://…``.
    A ``prefix`` query parameter (``redis://host:6379/0?prefix=site1``) names the keys, so
    several deployments can share one Redis."""
    if url in ("", "memory://"):
        return storage_from_string("async+memory://")
    if url.startswith(("redis://", "rediss://")):
        parts = urlsplit(url)
        query = parse_qsl(parts.query)
        prefix = dict(query).get("prefix", "mixcast")
        rest = urlencode([(k, v) for k, v in query if k != "prefix"])
        return storage_from_string(
            "async+" + urlunsplit(parts._replace(query=rest)), key_prefix=prefix
        )
    raise ConfigError(f"MIXCAST_RATELIMIT_URL must be memory:// or redis://…: {url!r}")


class Throttle:
    """``allow(key)`` counts one attempt and says whether it is within ``limit`` (for example
    ``"10/minute"``); ``retry_after(key)`` tells a refused client how long to wait."""

    def __init__(self, storage: Any, name: str, limit: str) -> None:
        item = parse(limit)
        self.item: RateLimitItem = item
        self.name = name
        self.limiter = MovingWindowRateLimiter(storage)

    async def allow(self, key: str) -> bool:
        return await self.limiter.hit(self.item, self.name, key)

    async def retry_after(self, key: str) -> int:
        stats = await self.limiter.get_window_stats(self.item, self.name, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def clear(self, key: str) -> None:
        await self.limiter.clear(self.item, self.name, key)
