"""The floor of ``bench/upload.py``: a bare Starlette handler that writes ``request.stream()``
to a file and answers 200, nothing else (no parsing, no hashing, no validation)."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

TARGET = os.environ.get("FLOOR_UPLOAD_TO", "/tmp/floor-upload.bin")


async def upload(request: Request) -> PlainTextResponse:
    fd = os.open(TARGET, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        async for chunk in request.stream():
            os.write(fd, chunk)
    finally:
        os.close(fd)
    return PlainTextResponse("ok")


async def index(request: Request) -> PlainTextResponse:
    return PlainTextResponse("floor")


app = Starlette(routes=[Route("/upload", upload, methods=["POST"]), Route("/", index)])
