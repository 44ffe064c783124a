"""The client side of ``POST /upload/``: a multipart/form-data body streamed from the files on
disk, its exact length known before the first byte is sent (wire-format.md §8).

Standard library only (``http.client``; https through ``ssl``'s default context), so
``mixcast upload`` needs nothing the server's dependencies do not already bring, and a file is
never read into memory whole: it goes out in ``CHUNK`` pieces.

Two ways a server can refuse without the client sending a gigabyte in vain:

- ``Expect: 100-continue`` (bodies from ``EXPECT_CONTINUE_FROM`` bytes, as curl does): the
  server answers a bad token or an oversized Content-Length from the headers alone. A server
  that ignores the header is given ``CONTINUE_WAIT`` seconds, then the body is sent anyway.
- Between chunks the socket is checked for an answer: a server that refuses as soon as a limit
  is crossed (413) has its answer read and returned, even when it closed the connection and our
  next write failed.

The token goes only in ``Authorization: Bearer``: never in the URL, where logs keep it, and
never into an error message.
"""

from __future__ import annotations

import http.client
import io
import mimetypes
import os
import re
import secrets
import select
import socket
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import urlsplit

CHUNK = 256 * 1024
EXPECT_CONTINUE_FROM = 1024 * 1024
CONTINUE_WAIT = 1.0  # curl's wait for a 100 Continue before sending anyway
ANSWER_TIMEOUT = 600.0  # after the last byte: the server stores the file before answering
MAX_ANSWER = 1024 * 1024  # an error or success body is small; more is not read
USER_AGENT = "mixcast-upload/1"
_TOKEN = re.compile(r"[\x21-\x7e]+")  # printable ASCII without spaces: a valid header value

Progress = Callable[[int, int], None]
Answer = tuple[int, dict[str, str], bytes]


class TransportError(Exception):
    """The exchange failed below HTTP (no connection, a timeout, a reset with no answer).
    The message is for people and never holds the token."""


@dataclass
class UploadRequest:
    """What to send: text fields, then files, each in the order given. ``mixcast upload`` puts
    the picture before the mp3, so a server that reads as it goes can refuse a bad picture
    before the audio is sent."""

    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[tuple[str, Path]] = field(default_factory=list)


def new_boundary() -> str:
    """A boundary no file will contain by chance (128 random bits)."""
    return "mixcast-" + secrets.token_hex(16)


def _quote(value: str) -> str:
    # The escapes of the HTML standard's multipart/form-data encoding, which is what servers'
    # parsers (python-multipart included) expect inside a quoted name or filename.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(req: UploadRequest, boundary: str) -> tuple[list[bytes | Path], int]:
    """The body of ``req`` as bytes pieces and file paths to be streamed in between, and its
    exact length in bytes (the files' sizes as they are now)."""
    parts: list[bytes | Path] = []
    for name, value in req.fields:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'
        parts.append(head.encode() + value.encode() + b"\r\n")
    for name, path in req.files:
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote(name)}"; '
            f'filename="{_quote(path.name)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        # A file name undecodable on this system still makes a valid header ("?" in its place).
        parts += [head.encode(errors="replace"), path, b"\r\n"]
    parts.append(f"--{boundary}--\r\n".encode())
    length = sum(len(p) if isinstance(p, bytes) else p.stat().st_size for p in parts)
    return parts, length


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """A connection to the URL's host and the path (with query) to ask for."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError(f"{url} is not an http:// or https:// URL")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        context = ssl.create_default_context()
        return http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=context
        ), path
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout), path


def _why(error: BaseException, url: str, timeout: float) -> str:
    """``error`` said for a person: what failed, with which server."""
    where = urlsplit(url).netloc
    if isinstance(error, socket.gaierror):
        return f"cannot find the host {urlsplit(url).hostname} (check --api)"
    if isinstance(error, ConnectionRefusedError):
        return f"cannot connect to {where}: connection refused (is the server running?)"
    if isinstance(error, TimeoutError):
        return f"{where} did not answer within {timeout:g} s"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"the TLS certificate of {where} is not valid: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return f"TLS with {where} failed: {error.reason or error}"
    if isinstance(error, http.client.RemoteDisconnected | ConnectionError):
        return f"{where} closed the connection without answering"
    if isinstance(error, http.client.HTTPException):
        return f"{where} did not answer in HTTP ({type(error).__name__})"
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return f"talking to {where} failed: {reason}"


class _Replay(io.RawIOBase):
    """The socket's stream with bytes already taken from it put back in front, so
    ``http.client`` reads a response whose status line we had to look at first."""

    def __init__(self, prefix: bytes, sock: socket.socket) -> None:
        self._prefix = prefix
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        return self._sock.recv_into(buffer)

    def makefile(self, mode: str = "rb") -> io.BufferedReader:
        return io.BufferedReader(self)


def _read_line(sock: socket.socket) -> bytes:
    # Byte by byte, so nothing past the line is taken from the socket (it belongs to
    # http.client if this is a final response); a status line is a few dozen bytes.
    line = b""
    while not line.endswith(b"\n") and len(line) < 65536:
        byte = sock.recv(1)
        if not byte:
            break
        line += byte
    return line


def _answer(sock: socket.socket) -> Answer | None:
    """What the server said: None for an interim 1xx answer (read and dropped), else the
    final answer. Only call when there is something to read."""
    status_line = _read_line(sock)
    parts = status_line.split(None, 2)
    if len(parts) >= 2 and parts[1][:1] == b"1" and len(parts[1]) == 3:
        while _read_line(sock) not in (b"\r\n", b"\n", b""):
            pass
        return None
    return _final(_Replay(status_line, sock))


def _final(stream: _Replay) -> Answer:
    response = http.client.HTTPResponse(cast(socket.socket, stream), method="POST")
    response.begin()  # also skips a 100 Continue that came late
    try:
        body = response.read(MAX_ANSWER)
    except http.client.IncompleteRead as error:
        body = error.partial  # the server reset the connection: keep what came
    except OSError:
        body = b""
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def _readable(sock: socket.socket, wait: float) -> bool:
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    return bool(select.select([sock], [], [], wait)[0])


def _pieces(
    parts: list[bytes | Path], files: Mapping[Path, tuple[BinaryIO, int]]
) -> Iterator[bytes]:
    """The body, a piece at a time; each file exactly as long as it was measured, so the
    body matches its Content-Length even if a file grows meanwhile."""
    for part in parts:
        if isinstance(part, bytes):
            yield part
            continue
        handle, left = files[part]
        handle.seek(0)  # the same file may be sent twice
        while left > 0:
            try:
                chunk = handle.read(min(CHUNK, left))
            except OSError as error:
                raise TransportError(f"cannot read {part}: {error.strerror}") from None
            if not chunk:
                raise TransportError(f"{part} got shorter while it was being sent")
            left -= len(chunk)
            yield chunk


def bearer(token: str) -> str:
    """The Authorization header's value; ValueError, without the token in its message, for a
    token no header can carry (http.client's own error would quote it)."""
    if not _TOKEN.fullmatch(token):
        raise ValueError("a token is printable ASCII without spaces; this one is not")
    return f"Bearer {token}"


def post_multipart(
    url: str,
    req: UploadRequest,
    *,
    token: str | None,
    progress: Progress | None = None,
    timeout: float = 60,
) -> Answer:
    """POST ``req`` to ``url`` as multipart/form-data, streamed; ``progress(sent, total)`` is
    called after each piece. ``timeout`` bounds connecting and each read or write; once the
    whole body is sent the answer is awaited at least ``ANSWER_TIMEOUT``, as the server stores
    the file first. Returns the status, the headers (lower-case names) and the body.
    Raises ``TransportError`` when there is no answer, ``OSError`` when a file cannot be
    opened, ``ValueError`` for a token no header can carry.
    """
    boundary = new_boundary()
    parts, total = encode_multipart(req, boundary)
    with ExitStack() as stack:
        # Opened before connecting: an unreadable file fails before the network is touched,
        # and the sizes sent are the sizes measured for Content-Length.
        files: dict[Path, tuple[BinaryIO, int]] = {}
        for part in parts:
            if isinstance(part, Path) and part not in files:
                handle = stack.enter_context(part.open("rb"))
                files[part] = handle, os.fstat(handle.fileno()).st_size
        measured = sum(len(p) if isinstance(p, bytes) else files[p][1] for p in parts)
        if measured != total:
            raise TransportError("a file changed size while the upload was being prepared")
        conn, path = _connection(url, timeout)
        stack.callback(conn.close)
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(total),
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if token:
            headers["Authorization"] = bearer(token)
        expect = total >= EXPECT_CONTINUE_FROM
        if expect:
            headers["Expect"] = "100-continue"
        try:
            conn.putrequest("POST", path, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            sock = cast(socket.socket, conn.sock)
            if expect and _readable(sock, CONTINUE_WAIT):
                early = _answer(sock)
                if early is not None:
                    return early
            sent = 0
            for piece in _pieces(parts, files):
                if _readable(sock, 0):  # an answer before the end: the server refused
                    early = _answer(sock)
                    if early is not None:
                        return early
                try:
                    conn.send(piece)
                except OSError as error:  # closed on us: its answer may be waiting
                    if _readable(sock, 0):
                        return _answer(sock) or _final(_Replay(b"", sock))
                    raise TransportError(
                        f"{_why(error, url, timeout)} after {sent} of {total} bytes"
                    ) from None
                sent += len(piece)
                if progress is not None:
                    progress(sent, total)
            sock.settimeout(max(timeout, ANSWER_TIMEOUT))
            return _final(_Replay(b"", sock))
        except TransportError:
            raise
        except (OSError, http.client.HTTPException) as error:
            raise TransportError(_why(error, url, timeout)) from None


def get(url: str, *, token: str | None, timeout: float = 60) -> Answer:
    """GET ``url`` as JSON with the token as a Bearer header; status, headers, body."""
    conn, path = _connection(url, timeout)
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if token:
        headers["Authorization"] = bearer(token)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read(MAX_ANSWER)
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    except (OSError, http.client.HTTPException) as error:
        raise TransportError(_why(error, url, timeout)) from None
    finally:
        conn.close()
