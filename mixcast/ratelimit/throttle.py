"""A named limit over a moving window, counted per key (an IP, a login, a token)."""

from __future__ import annotations

import math
import time
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter


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
