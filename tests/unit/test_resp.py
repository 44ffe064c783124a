"""The rate limiter's Redis path on the machine's real Redis: the RESP codec, the pipelined
connection, the batched sliding-window script (exact under a concurrent burst), and how it fails
open and recovers."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from mixcast.ratelimit.batched_redis import BatchedRedisWindows
from mixcast.ratelimit.resp import RedisError, connect, encode, parse

pytestmark = pytest.mark.anyio
REDIS = "redis://127.0.0.1:6379/0"


def test_codec():
    assert encode("SET", "k", 5) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n5\r\n"
    reply = b"*3\r\n:1\r\n$3\r\nabc\r\n*2\r\n+OK\r\n-ERR bad\r\n"
    value, end = parse(reply)
    assert end == len(reply)
    assert value[:2] == [1, b"abc"] and value[2][0] == "OK" and isinstance(value[2][1], RedisError)
    for cut in range(len(reply)):  # every prefix is "not yet", never a wrong value
        assert parse(reply[:cut]) is None
    assert parse(b"$-1\r\n") == (None, 5)


async def test_pipelined_commands_get_their_own_replies():
    connection = await connect(REDIS)
    try:
        key = f"test-resp-{uuid.uuid4().hex}"
        replies = [connection.send("INCR", key) for _ in range(50)]
        assert await asyncio.gather(*replies) == list(range(1, 51))
        with pytest.raises(RedisError, match="ERR"):
            await connection.send("NOSUCHCOMMAND")
        assert await connection.send("DEL", key) == 1
    finally:
        connection.close()


async def test_a_concurrent_burst_is_admitted_exactly_up_to_the_limit():
    windows = BatchedRedisWindows(REDIS, f"test-{uuid.uuid4().hex}")
    try:
        states = await asyncio.gather(*(windows.hit("k", 25, 60) for _ in range(60)))
        assert all(state is not None for state in states)
        assert sum(state.allowed for state in states if state) == 25
        remaining = sorted((s.remaining for s in states if s and s.allowed), reverse=True)
        assert remaining == list(range(24, -1, -1))  # each answer saw its own place
        other = await windows.hit("other", 25, 60)
        assert other is not None and other.allowed and other.remaining == 24
    finally:
        windows.close()


async def test_it_fails_open_and_recovers(caplog):
    windows = BatchedRedisWindows("redis://127.0.0.1:1/0", "test")
    assert await windows.hit("k", 5, 60) is None  # nobody listens on port 1
    assert await windows.hit("k", 5, 60) is None  # and within the back-off, no new attempt
    windows.url, windows.down_until = REDIS, 0.0
    windows.prefix = f"test-{uuid.uuid4().hex}"
    state = await windows.hit("k", 5, 60)
    assert state is not None and state.allowed
    # The script flushed from Redis (a restart without persistence, SCRIPT FLUSH): one batch
    # goes uncounted, the next loads the script again.
    flusher = await connect(REDIS)
    await flusher.send("SCRIPT", "FLUSH")
    flusher.close()
    assert await windows.hit("k", 5, 60) is None
    state = await windows.hit("k", 5, 60)
    assert state is not None and state.remaining == 3
    windows.close()
    assert "Redis failed" in caplog.text
