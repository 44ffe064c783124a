"""A minimal pipelined Redis connection for the rate limiter's one hot command.

Commands are written as they come, replies are matched to them in order (Redis answers a
connection's commands in the order it received them), and nothing else happens per command: no
task, no retry wrapper, no type checks. That costs about a quarter of the client CPU of redis-py
with hiredis, and an eighth of coredis', per command (bench/README.md, actions.py), which is
what the rate limiter pays on every API request in scale mode. Anything else that talks to
Redis uses a full client.

Speaks RESP2, over TCP or TLS (``rediss://``), with AUTH and SELECT from the URL.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import Any, cast
from urllib.parse import unquote, urlsplit


class RedisError(Exception):
    """An error reply, or a connection that failed or closed."""


def encode(*args: str | int | bytes) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def parse(buffer: bytes | bytearray, pos: int = 0) -> tuple[Any, int] | None:
    """One reply from ``buffer`` at ``pos``: (value, position after it), or None when the
    buffer does not hold all of it yet. Error replies parse to ``RedisError`` values."""
    end = buffer.find(b"\r\n", pos)
    if end < 0:
        return None
    kind, line = buffer[pos : pos + 1], bytes(buffer[pos + 1 : end])
    after = end + 2
    if kind == b":":
        return int(line), after
    if kind == b"+":
        return line.decode(), after
    if kind == b"-":
        return RedisError(line.decode(errors="replace")), after
    if kind == b"$":
        size = int(line)
        if size < 0:
            return None, after
        if len(buffer) < after + size + 2:
            return None
        return bytes(buffer[after : after + size]), after + size + 2
    if kind == b"*":
        count = int(line)
        if count < 0:
            return None, after
        items = []
        for _ in range(count):
            parsed = parse(buffer, after)
            if parsed is None:
                return None
            item, after = parsed
            items.append(item)
        return items, after
    raise RedisError(f"not a RESP reply: {bytes(buffer[pos : pos + 20])!r}")


class RespConnection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but act as one.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        pos = 0
        while self.waiting:
            parsed = parse(self.buffer, pos)
            if parsed is None:
                break
            value, pos = parsed
            future = self.waiting.popleft()
            if future.done():
                continue
            if isinstance(value, RedisError):
                future.set_exception(value)
            else:
                future.set_result(value)
        del self.buffer[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        error = RedisError(f"the connection to Redis closed: {exc or 'by the server'}")
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)

    def send(self, *args: str | int | bytes) -> asyncio.Future[Any]:
        """Write one command now; its reply arrives in the returned future."""
        if self.closed or self.transport is None:
            raise RedisError("the connection to Redis is closed")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        self.transport.write(encode(*args))
        return future

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def connect(url: str, timeout: float = 2.0) -> RespConnection:
    """A connection to ``redis://[user:password@]host[:port][/db]`` (or ``rediss://``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise RedisError(f"not a redis:// URL: {url!r}")
    loop = asyncio.get_running_loop()
    tls = ssl.create_default_context() if parts.scheme == "rediss" else None
    _, connection = await asyncio.wait_for(
        loop.create_connection(
            RespConnection, parts.hostname or "127.0.0.1", parts.port or 6379, ssl=tls
        ),
        timeout,
    )
    try:
        if parts.password is not None:
            user = unquote(parts.username) if parts.username else None
            password = unquote(parts.password)
            await asyncio.wait_for(
                connection.send("AUTH", *([user] if user else []), password), timeout
            )
        db = parts.path.strip("/")
        if db and db != "0":
            await asyncio.wait_for(connection.send("SELECT", int(db)), timeout)
    except BaseException:
        connection.close()
        raise
    return connection
