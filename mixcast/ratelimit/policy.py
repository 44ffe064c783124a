"""The API's rate limits (api-docs.md "Rate limits"): one limit per kind of action, counted
per client: per access token's grant (user and app) when the request carries a valid token,
else per client address.

Kinds: ``read`` (GET and HEAD), ``write`` (follow, favorite, repost, listen-later, edits),
``upload`` and ``oauth`` (the token exchange). Each is configured as a rate such as
``600/minute``, or ``off``. Counted with the ``limits`` library's sliding-window counter: two
counters per client and kind, so a check costs the same whatever the limit, and a burst from a
fresh client is admitted exactly up to the limit, in one process or many sharing Redis (there
through ``batched_redis``, which runs the same algorithm one command per batch of requests).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.responses import Response

from mixcast.errors import RateLimited
from mixcast.ratelimit.batched_redis import BatchedRedisWindows
from mixcast.ratelimit.storage import split_prefix

KINDS = ("read", "write", "upload", "oauth")


@dataclass(frozen=True)
class Verdict:
    """One counted request: whether it was admitted, and what the headers tell the client."""

    allowed: bool
    limit: int
    remaining: int
    reset: float  # unix time at which the window has room again

    def add_headers(self, response: Response) -> None:
        """Add the headers to ``response``, which has none of them (raw: no case folding or
        search, on every API answer)."""
        response.raw_headers += [
            (b"x-ratelimit-limit", b"%d" % self.limit),
            (b"x-ratelimit-remaining", b"%d" % self.remaining),
            (b"x-ratelimit-reset", b"%d" % math.ceil(self.reset)),
        ]

    def error(self) -> RateLimited:
        retry_after = max(1, math.ceil(self.reset - time.time()))
        return RateLimited(retry_after)


class RateLimiter:
    """Counts in ``limits``' own storage (this process's memory), or, given ``redis_url``, in
    Redis through ``BatchedRedisWindows`` (the same algorithm, one command per batch)."""

    def __init__(self, storage: Any, limits: dict[str, str], redis_url: str = "") -> None:
        self.items: dict[str, RateLimitItem | None] = {
            kind: None if limits.get(kind, "off") == "off" else parse(limits[kind])
            for kind in KINDS
        }
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self.redis: BatchedRedisWindows | None = None
        if redis_url:
            self.redis = BatchedRedisWindows(*split_prefix(redis_url))

    def close(self) -> None:
        if self.redis is not None:
            self.redis.close()

    async def count(self, kind: str, client: str) -> Verdict | None:
        """Count one request of ``kind`` from ``client``; None when ``kind`` is not limited."""
        item = self.items[kind]
        if item is None:
            return None
        if self.redis is not None:
            state = await self.redis.hit(item.key_for(kind, client), item.amount, item.get_expiry())
            if state is None:  # Redis unreachable: not counted (logged)
                return None
            return Verdict(state.allowed, item.amount, state.remaining, state.reset)
        allowed = await self.limiter.hit(item, kind, client)
        stats = await self.limiter.get_window_stats(item, kind, client)
        return Verdict(allowed, item.amount, max(0, stats.remaining), stats.reset_time)
