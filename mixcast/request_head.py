"""The HTTP/1.1 protocol ``mixcast serve`` runs: uvicorn's httptools protocol with a bound on the
request head, which httptools itself does not have (a 10 MB header is read whole, into memory,
and handed to the app).

A head over ``MAX_HEAD_BYTES`` gets 431 (414 when the request line alone is that long), more
than ``MAX_HEADERS`` header fields get 431, and the connection is closed, as nginx or Apache
would answer. The limits sit well above what browsers and Mixcloud clients send (a few KB:
cookies, a bearer token) and well below what would cost memory.
"""

from __future__ import annotations

import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("mixcast.http")

MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 100

_REASONS = {414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing; the parser re-raises it wrapped in an
    ``HttpParserCallbackError``, which uvicorn answers with ``send_400_response``."""


class BoundedHeadProtocol(HttpToolsProtocol):
    _in_head = False
    _received = 0  # bytes received while the head was incomplete
    _field_bytes = 0  # the parsed request line and fields
    _header_count = 0
    _refusal = 0  # the status to answer instead of uvicorn's 400

    # ------------------------------------------------------------- the parser's callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._received, self._field_bytes, self._header_count = True, 0, 0, 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_HEAD_BYTES:
            self._refuse(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        # A head that arrived in one read is parsed in one feed: counted here, field by field,
        # before ``on_headers_complete`` could hand it to the app.
        self._header_count += 1
        self._field_bytes += len(name) + len(value) + 4
        if self._header_count > MAX_HEADERS or self._field_bytes + len(self.url) > MAX_HEAD_BYTES:
            self._refuse(431)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    # ------------------------------------------------------------- reading and refusing

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # httptools keeps a header it has not seen the end of in its own buffer: count what
        # arrives while the head is incomplete, so one endless header is refused in time.
        if self._in_head and not self._refusal and not self.transport.is_closing():
            self._received += len(data)
            if self._received > MAX_HEAD_BYTES:
                self._refusal = 431
                self.send_400_response("")

    def _refuse(self, status: int) -> None:
        self._refusal = status
        raise _HeadTooLarge

    def send_400_response(self, msg: str) -> None:
        if not self._refusal:
            super().send_400_response(msg)
            return
        status, reason = self._refusal, _REASONS[self._refusal]
        log.warning("refused a request head over its limits: %s %s", status, reason.decode())
        body = reason + b"\n"
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (status, reason, len(body), body)
        )
        self.transport.close()
