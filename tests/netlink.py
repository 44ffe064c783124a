"""A TCP relay that can be cut: a service's network going away at a moment the test chooses.

``with relay("127.0.0.1", 8333) as link:`` listens on ``link.port`` and forwards every
connection to the target; ``link.cut()`` closes the listener and resets every open connection,
so the next request is refused, as when the service's host goes down. The relay runs its own
event loop in a thread, so code that calls the service synchronously (even on the test's own
loop) is served.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Link:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.WriteTransport] = set()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._transports |= {writer.transport, up_writer.transport}
        await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
        for transport in self._transports:
            transport.abort()  # RST: the client sees its connection reset
        await asyncio.sleep(0.05)  # the relays see it and end

    def cut(self) -> None:
        """From now on, nothing gets through (returns once that is so)."""
        asyncio.run_coroutine_threadsafe(self._cut(), self._loop).result(timeout=5)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


@contextmanager
def relay(host: str, port: int) -> Iterator[Link]:
    link = Link(host, port)
    thread = threading.Thread(target=link._loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(link._listen(), link._loop).result(timeout=5)
        yield link
    finally:
        link.cut()
        link._loop.call_soon_threadsafe(link._loop.stop)
        thread.join(timeout=5)
        link._loop.close()
