"""Sliding-window counters in Redis, with the hits of one event-loop turn sent together.

The algorithm and the key layout are those of the ``limits`` library's sliding-window counter
(its ``acquire_sliding_window.lua``: a current and a previous window per key, the previous one
weighted by how much of it is still inside the window), so each answer is exact across every
process sharing the Redis. What differs is the transport: ``limits`` makes two Redis commands per
request (``hit``, then ``get_window_stats``) through coredis, and a Python Redis client spends
200-300 µs of CPU on each command on the machines this was measured on, which cost 62% of the
throughput of a follow request on SQLite (bench/README.md, actions.py). Here one script call,
through redis-py with hiredis (about half coredis' CPU per command), carries every hit that
arrived in the same turn of the event loop and returns, for each, the decision and the counts
the headers need.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from mixcast.ratelimit.resp import RedisError, RespConnection, connect

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
    """The hits of one event-loop turn, sent as one EVALSHA on one pipelined connection."""

    TIMEOUT = 1.0  # seconds a batch may wait for Redis before it counts as failed
    BACKOFF = 1.0  # seconds to fail at once after a failed connection, before trying again

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.sha = hashlib.sha1(BATCH_LUA.encode()).hexdigest()
        self.pending: list[Pending] = []
        self.connection: RespConnection | None = None
        self.connecting: asyncio.Future[RespConnection] | None = None
        self.loaded = False  # SCRIPT LOAD sent on this connection
        self.down_until = 0.0
        self.tasks: set[asyncio.Future[None]] = set()

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
        connection = self.connection
        if connection is not None and not connection.closed:
            self._send(connection, batch)
        elif time.monotonic() < self.down_until:
            _fail(batch, RedisError("Redis was unreachable a moment ago"))
        else:
            task = asyncio.ensure_future(self._connect_then_send(batch))
            self.tasks.add(task)  # held until done: the loop keeps only weak references
            task.add_done_callback(self.tasks.discard)

    async def _connect_then_send(self, batch: list[Pending]) -> None:
        try:
            if self.connecting is None or self.connecting.done():
                self.connecting = asyncio.ensure_future(connect(self.url, self.TIMEOUT))
            connection = await asyncio.shield(self.connecting)
        except Exception as exc:
            self.down_until = time.monotonic() + self.BACKOFF
            _fail(batch, exc)
            return
        if connection is not self.connection:
            self.connection, self.loaded = connection, False
        self._send(connection, batch)

    def _send(self, connection: RespConnection, batch: list[Pending]) -> None:
        keys: list[str] = []
        args: list[int] = []
        for key, limit, expiry, _ in batch:
            window_key = f"{self.prefix}:{{{key}}}"
            keys += [window_key + "/-1", window_key]
            args += [limit, expiry]
        try:
            if not self.loaded:  # answered before the EVALSHA behind it: same connection
                connection.send("SCRIPT", "LOAD", BATCH_LUA).add_done_callback(_retrieve)
                self.loaded = True
            reply = connection.send("EVALSHA", self.sha, len(keys), *keys, *args)
        except RedisError as exc:
            _fail(batch, exc)
            return
        timer = asyncio.get_running_loop().call_later(self.TIMEOUT, self._timed_out, batch)
        reply.add_done_callback(lambda done: self._answered(done, batch, timer))

    def _timed_out(self, batch: list[Pending]) -> None:
        _fail(batch, RedisError(f"no answer from Redis in {self.TIMEOUT} s"))
        if self.connection is not None:  # a stuck connection: the next batch starts afresh
            self.connection.close()
            self.connection = None

    def _answered(
        self, reply: asyncio.Future[Any], batch: list[Pending], timer: asyncio.TimerHandle
    ) -> None:
        timer.cancel()
        error = reply.exception()
        if error is not None:
            if "NOSCRIPT" in str(error):  # the script was flushed: load it again next time
                self.loaded = False
            _fail(batch, error)
            return
        now = time.time()
        numbers = [int(v) for v in reply.result()]
        for i, (_, limit, expiry, future) in enumerate(batch):
            allowed, previous, previous_ttl, current, current_ttl = numbers[5 * i : 5 * i + 5]
            if not future.done():
                state = window_state(
                    bool(allowed), limit, expiry, previous, previous_ttl, current, current_ttl, now
                )
                future.set_result(state)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


Pending = tuple[str, int, int, "asyncio.Future[WindowState]"]


def _fail(batch: list[Pending], error: BaseException) -> None:
    for *_, future in batch:
        if not future.done():
            future.set_exception(error)


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a reply nobody waits for as seen (its failure shows in the EVALSHA behind it)."""
    if not future.cancelled():
        future.exception()
