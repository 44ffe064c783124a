"""The floor for ``GET /{user}/{show}/`` and two lists: a bare Starlette app doing only the
unavoidable work.

Each route runs the queries mixcast's endpoint runs through the plain driver and dumps the rows
to JSON with orjson: no rendering, no envelope or links, no visibility rules, no parameter
parsing beyond an offset. What mixcast costs above this is the price of its own layers.

- ``/{user}/{show}/``: the show joined with its user and picture, its genre tags, its sections
  (the SQL text is imported from ``mixcast.shows.shows`` so the two cannot drift apart).
- ``/{user}/cloudcasts/`` (first page) and ``/popular/?offset=N``: the user by username (for
  cloudcasts), the page's 21 ids (the SQL built by ``mixcast.lists.keyset`` from the sources in
  ``mixcast.lists.sources``, as mixcast builds it), then the 20 shows and their genre tags by id
  (``mixcast.lists.loaders``' queries, ``IN`` expanded by ``mixcast.db.database``; the expanded
  text is kept per page size, which mixcast redoes per request). ``bench/list_get.py`` uses them.

- SQLite: one ``sqlite3`` connection per process, called directly on the event loop, with the
  same pragmas as mixcast's read connection.
- PostgreSQL: an ``asyncpg`` pool per process (10 connections and no reset query on release,
  as mixcast's), one acquire per request for the three queries.

Served like ``mixcast serve`` (uvicorn, uvloop, httptools, no access log, N workers)::

    .venv/bin/python bench/floor_app.py --database-url sqlite:////tmp/bench-1m.db \\
        --port 8731 --workers 2

``bench/show_get.py`` starts and stops it itself.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # mixcast is run from the checkout, not installed
    sys.path.insert(0, str(ROOT))

from mixcast.accounts.usernames import username_key  # noqa: E402
from mixcast.accounts.users import _BY_USERNAME  # noqa: E402
from mixcast.api.paging import DEFAULT_LIMIT  # noqa: E402
from mixcast.db.database import Query, _expand  # noqa: E402
from mixcast.lists import sources  # noqa: E402
from mixcast.lists.keyset import page_query  # noqa: E402
from mixcast.lists.loaders import _SHOWS  # noqa: E402
from mixcast.lists.window import Window  # noqa: E402
from mixcast.shows.shows import _BY_KEY, SECTIONS_OF_SHOW, TAGS_OF_SHOW, TAGS_OF_SHOWS  # noqa: E402

ENV_URL = "FLOOR_DATABASE_URL"
POOL_SIZE = 10  # mixcast's default per process (mixcast.db.database.connect)
JSON = "application/json"
NOT_FOUND = Response(b'{"error":"not found"}', 404, media_type=JSON)

assert _BY_KEY.names == ("user_key", "slug"), _BY_KEY.names
assert TAGS_OF_SHOW.names == SECTIONS_OF_SHOW.names == ("id",)

# The lists: a page of DEFAULT_LIMIT shows, read as mixcast reads it (limit + 1 ids).
PAGE = DEFAULT_LIMIT
CLOUDCASTS, _ = page_query((sources.USER_CLOUDCASTS,), Window(PAGE))  # the first page
POPULAR = sources.POPULAR["all"].query
assert _BY_USERNAME.names == ("key",), _BY_USERNAME.names
assert CLOUDCASTS.names == ("owner", "n"), CLOUDCASTS.names
assert POPULAR.names == ("n", "o"), POPULAR.names
_BY_IDS: dict[tuple[int, int], Query] = {}


def by_ids(query: Query, count: int) -> Query:
    """``query`` with ``:ids`` expanded for ``count`` ids (``:ids_0``, ... / ``$1``, ...)."""
    key = (id(query), count)
    expanded = _BY_IDS.get(key)
    if expanded is None:
        expanded = _BY_IDS[key] = _expand(query, {"ids": list(range(count))})[0]
    return expanded


def offset_of(request: Request) -> int:
    return int(request.query_params.get("offset") or 0)


def page_body(user: Any, page: list[Any], shows: list[Any], tags: list[Any]) -> Response:
    body = {"user": user, "page": page, "shows": shows, "tags": tags}
    return Response(orjson.dumps(body), media_type=JSON)


def _sqlite_app(path: str) -> Starlette:
    conn: sqlite3.Connection | None = None

    def rows(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert conn is not None
        cursor = conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    async def show(request: Request) -> Response:
        params = request.path_params
        found = rows(
            _BY_KEY.sqlite, {"user_key": params["user"].casefold(), "slug": params["show"]}
        )
        if not found:
            return NOT_FOUND
        show_id = {"id": found[0]["id"]}
        tags = rows(TAGS_OF_SHOW.sqlite, show_id)
        sections = rows(SECTIONS_OF_SHOW.sqlite, show_id)
        body = orjson.dumps({"show": found[0], "tags": tags, "sections": sections})
        return Response(body, media_type=JSON)

    def shows_page(user: Any, page: list[dict[str, Any]]) -> Response:
        ids = [row["id"] for row in page[:PAGE]]
        params = {f"ids_{i}": show_id for i, show_id in enumerate(ids)}
        shows = rows(by_ids(_SHOWS, len(ids)).sqlite, params) if ids else []
        tags = rows(by_ids(TAGS_OF_SHOWS, len(ids)).sqlite, params) if ids else []
        return page_body(user, page, shows, tags)

    async def cloudcasts(request: Request) -> Response:
        found = rows(_BY_USERNAME.sqlite, {"key": username_key(request.path_params["user"])})
        if not found:
            return NOT_FOUND
        page = rows(CLOUDCASTS.sqlite, {"owner": found[0]["id"], "n": PAGE + 1})
        return shows_page(found[0], page)

    async def popular(request: Request) -> Response:
        return shows_page(None, rows(POPULAR.sqlite, {"n": PAGE + 1, "o": offset_of(request)}))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal conn
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        yield
        conn.close()

    return Starlette(routes=routes(show, cloudcasts, popular), lifespan=lifespan)


def routes(show: Any, cloudcasts: Any, popular: Any) -> list[Route]:
    """The lists first: ``/{user}/{show}/`` would match ``/{user}/cloudcasts/`` too."""
    return [
        Route("/popular/", popular),
        Route("/{user}/cloudcasts/", cloudcasts),
        Route("/{user}/{show}/", show),
    ]


async def _keep_session(conn: Any) -> None:
    """No reset query on release: nothing here changes session state."""


def _postgres_app(url: str) -> Starlette:
    import asyncpg

    pool: Any = None

    async def show(request: Request) -> Response:
        params = request.path_params
        async with pool.acquire() as conn:
            row = await conn.fetchrow(_BY_KEY.pg, params["user"].casefold(), params["show"])
            if row is None:
                return NOT_FOUND
            tags = await conn.fetch(TAGS_OF_SHOW.pg, row["id"])
            sections = await conn.fetch(SECTIONS_OF_SHOW.pg, row["id"])
        body = orjson.dumps(
            {
                "show": dict(row),
                "tags": [dict(t) for t in tags],
                "sections": [dict(s) for s in sections],
            }
        )
        return Response(body, media_type=JSON)

    async def shows_page(conn: Any, user: Any, page: list[Any]) -> Response:
        ids = [row["id"] for row in page[:PAGE]]
        shows = await conn.fetch(by_ids(_SHOWS, len(ids)).pg, *ids) if ids else []
        tags = await conn.fetch(by_ids(TAGS_OF_SHOWS, len(ids)).pg, *ids) if ids else []
        return page_body(
            user, [dict(r) for r in page], [dict(r) for r in shows], [dict(r) for r in tags]
        )

    async def cloudcasts(request: Request) -> Response:
        async with pool.acquire() as conn:
            user = await conn.fetchrow(_BY_USERNAME.pg, username_key(request.path_params["user"]))
            if user is None:
                return NOT_FOUND
            page = await conn.fetch(CLOUDCASTS.pg, user["id"], PAGE + 1)
            return await shows_page(conn, dict(user), page)

    async def popular(request: Request) -> Response:
        async with pool.acquire() as conn:
            page = await conn.fetch(POPULAR.pg, PAGE + 1, offset_of(request))
            return await shows_page(conn, None, page)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        # The same pool settings as mixcast.db.database.connect, whose pool skips asyncpg's
        # reset on release (a round trip): a floor that paid it would flatter mixcast.
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=POOL_SIZE, statement_cache_size=256, reset=_keep_session
        )
        yield
        await pool.close()

    return Starlette(routes=routes(show, cloudcasts, popular), lifespan=lifespan)


def create_app() -> Starlette:
    """The floor app for the database in ``$FLOOR_DATABASE_URL`` (sqlite:/// or postgresql://)."""
    url = os.environ[ENV_URL]
    if url.startswith("sqlite:///"):
        return _sqlite_app(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgres://")):
        return _postgres_app(url)
    raise SystemExit(f"unsupported database URL {url!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", required=True, help="sqlite:////abs/path or postgresql://"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ[ENV_URL] = args.database_url  # inherited by uvicorn's worker processes

    import uvicorn

    # The settings of ``mixcast serve`` (mixcast/__main__.py), minus nothing.
    uvicorn.run(
        "floor_app:create_app",
        factory=True,
        app_dir=str(Path(__file__).resolve().parent),
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="info",
    )


if __name__ == "__main__":
    main()
