"""Sliding-window counters in Redis, with the hits of one event-loop turn sent together.

The algorithm and the key layout are those of the ``limits`` library's sliding-window counter
(its ``acquire_sliding_window.lua``: a current and a previous window per key, the previous one
weighted by how much of it is still inside the window), so each answer is exact across every
process sharing the Redis. What differs is the transport: ``limits`` makes two Redis commands per
request (``hit``, then ``get_window_stats``), and a Python Redis client spends about 200 µs of
CPU on each command on the machines this was measured on, which cost 30-60% of the throughput of
a follow request (bench/README.md, actions.py). Here one script call carries every hit that
arrived in the same turn of the event loop and returns, for each, the decision and the counts
the headers need: one command per batch, whatever the load.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("mixcast.ratelimit")

# KEYS: previous and current window key of each hit, in pairs. ARGV: limit and expiry (seconds)
# of each hit, in pairs. Returns five numbers per hit: allowed (1/0), then the previous count,
# its TTL (ms), the current count, its TTL (ms), as they stand after the hit.
BATCH_LUA = """
local out = {}
for i = 1, #KEYS / 2 do
    local previous_key, current_key = KEYS[2 * i - 1], KEYS[2 * i]
    local limit = tonumber(ARGV[2 * i - 1])
    local expiry = tonumber(ARGV[2 * i]) * 1000
    local current_ttl = tonumber(redis.call('pttl', current_key))
    if current_ttl > 0 and current_ttl < expiry then
        redis.call('rename', current_key, previous_key)
        redis.call('set', current_key, 0, 'PX', current_ttl + expiry)
    end
    local previous_count = tonumber(redis.call('get', previous_key)) or 0
    local previous_ttl = math.max(tonumber(redis.call('pttl', previous_key)) or 0, 0)
    local current_count = tonumber(redis.call('get', current_key)) or 0
    current_ttl = math.max(tonumber(redis.call('pttl', current_key)) or 0, 0)
    local weighted = math.floor(previous_count * previous_ttl / expiry) + current_count
    local allowed = 0
    if weighted + 1 <= limit then
        allowed = 1
        if current_ttl > 0 then
            current_count = redis.call('incrby', current_key, 1)
        else
            redis.call('set', current_key, 1, 'PX', expiry * 2)
            current_count, current_ttl = 1, expiry * 2
        end
    end
    table.insert(out, allowed)
    table.insert(out, previous_count)
    table.insert(out, previous_ttl)
    table.insert(out, current_count)
    table.insert(out, current_ttl)
end
return out
"""


@dataclass(frozen=True, slots=True)
class WindowState:
    allowed: bool
    remaining: int
    reset: float  # unix time


def window_state(
    allowed: bool, limit: int, expiry: int, previous: int, previous_ttl_ms: int, current: int,
    current_ttl_ms: int, now: float,
) -> WindowState:  # fmt: skip
    """What ``limits``' ``get_window_stats`` computes, from the counts the script returned."""
    weighted = math.floor(previous * previous_ttl_ms / (expiry * 1000)) + current
    remaining = max(0, limit - weighted)
    if not (previous or current):
        return WindowState(allowed, remaining, now)
    previous_reset_in = current_reset_in = math.inf
    if previous:
        previous_reset_in = (previous_ttl_ms / 1000) % (expiry / previous)
    if current:
        current_reset_in = (current_ttl_ms / 1000) % expiry
    return WindowState(allowed, remaining, now + min(previous_reset_in, current_reset_in))


class BatchedRedisWindows:
    def __init__(self, url: str, prefix: str) -> None:
        from coredis import Redis

        self.client: Any = Redis.from_url(url, decode_responses=True)
        self.script: Any = self.client.register_script(BATCH_LUA)
        self.prefix = prefix
        self.pending: list[tuple[str, int, int, asyncio.Future[WindowState]]] = []

    async def hit(self, key: str, limit: int, expiry: int) -> WindowState | None:
        """Count one hit of ``key`` against ``limit`` per ``expiry`` seconds. None when Redis
        cannot be reached: the request is let through (rate limits fail open) and logged."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[WindowState] = loop.create_future()
        self.pending.append((key, limit, expiry, future))
        if len(self.pending) == 1:  # the first of this turn: send them all at its end
            loop.call_soon(self._flush)
        try:
            return await future
        except Exception as exc:  # any Redis failure means "not counted"
            log.warning("rate limits not counted: Redis failed: %s", exc)
            return None

    def _flush(self) -> None:
        batch, self.pending = self.pending, []
        task = asyncio.ensure_future(self._send(batch))
        task.add_done_callback(lambda t: t.exception())  # failures reach the futures

    async def _send(self, batch: list[tuple[str, int, int, asyncio.Future[WindowState]]]) -> None:
        keys: list[str] = []
        args: list[int] = []
        for key, limit, expiry, _ in batch:
            window_key = f"{self.prefix}:{{{key}}}"
            keys += [window_key + "/-1", window_key]
            args += [limit, expiry]
        try:
            result = await self.script(keys=keys, args=args)
        except Exception as exc:
            for *_, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        now = time.time()
        numbers = [int(v) for v in result]
        for i, (_, limit, expiry, future) in enumerate(batch):
            allowed, previous, previous_ttl, current, current_ttl = numbers[5 * i : 5 * i + 5]
            if not future.done():
                state = window_state(
                    bool(allowed), limit, expiry, previous, previous_ttl, current, current_ttl, now
                )
                future.set_result(state)
