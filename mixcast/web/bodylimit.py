"""A cap on request bodies, applied before anything reads them.

Starlette's multipart parser bounds each text field (``max_part_size``) but spools file parts
to disk whatever their size, so the whole body is bounded here: a declared Content-Length over
the cap is refused at once, and a chunked body is cut off when it passes the cap.
"""

from __future__ import annotations

from starlette.types import Message, Receive, Scope


class BodyTooLarge(Exception):
    """Raised from ``receive`` when the body passes the cap; the form reader turns it into 413."""


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = bytes(value).decode("latin-1")
            return int(text) if text.isascii() and text.isdigit() else None
    return None


def capped(receive: Receive, max_bytes: int) -> Receive:
    """``receive`` that raises ``BodyTooLarge`` once more than ``max_bytes`` have arrived."""
    seen = 0

    async def receive_capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                raise BodyTooLarge(f"The request body is larger than {max_bytes} bytes.")
        return message

    return receive_capped
