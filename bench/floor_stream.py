"""The floor of ``bench/stream.py``: a bare Starlette app answering ``GET
/{user}/{show}/stream.mp3`` with Starlette's ``FileResponse`` of one file (``FLOOR_STREAM_FILE``),
whatever the key: no database, no visibility check, no session, no conditional requests.
``FLOOR_CHUNK_KIB`` sets the size of its reads (default: Starlette's 64 KiB; mixcast reads 256
KiB, so ``FLOOR_CHUNK_KIB=256`` leaves only mixcast's own work per request as the difference).

``bench/stream.py`` serves it like ``mixcast serve`` (uvicorn, uvloop, httptools, no access
log, N workers)::

    FLOOR_STREAM_FILE=/tmp/stream.mp3 .venv/bin/python -m uvicorn floor_stream:app \\
        --app-dir bench --port 8732 --workers 2 --loop uvloop --http httptools --no-access-log
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse
from starlette.routing import Route

FILE = os.environ.get("FLOOR_STREAM_FILE", "/tmp/stream.mp3")
CHUNK = int(os.environ.get("FLOOR_CHUNK_KIB", "64")) * 1024


class File(FileResponse):
    chunk_size = CHUNK


async def stream(request: Request) -> FileResponse:
    return File(FILE, media_type="audio/mpeg")


async def index(request: Request) -> PlainTextResponse:
    return PlainTextResponse("floor")


app = Starlette(
    routes=[Route("/{user}/{show}/stream.mp3", stream, methods=["GET"]), Route("/", index)]
)
