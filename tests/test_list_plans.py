"""Every list is read in the order an index already holds, so a page deep in a list costs what
the first page costs: the query plans of every source, at every shape of bound, sort nothing.

SQLite reports a sort as ``USE TEMP B-TREE FOR ORDER BY``. On PostgreSQL sorting is turned off
for the check (``enable_sort``, ``enable_seqscan``): a plan that still sorts has no index to
read the order from.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mixcast.db.database import Query
from mixcast.lists import sources
from mixcast.lists.keyset import Dated, page_query
from mixcast.lists.window import Cursor, Window
from mixcast.services import Services
from tests.api.readonly import readonly_services

pytestmark = pytest.mark.anyio

T = 1_600_000_000_000_000
DATED = {
    name: value
    for name, value in vars(sources).items()
    if isinstance(value, Dated) and name.isupper()
}
RANKED = {
    f"{name}[{scope}]": ranked
    for name in ("POPULAR", "HOT")
    for scope, ranked in getattr(sources, name).items()
}
RANKED["PLAYLIST_CLOUDCASTS"] = sources.PLAYLIST_CLOUDCASTS
# The same filter values for every source; unused names are ignored.
PARAMS = {"owner": 1, "show": 1, "tag": 1, "city": 2, "playlist": 1}
WINDOWS = {
    "first page": Window(20),
    "until": Window(20, until=Cursor(T)),
    "until with tie": Window(20, until=Cursor(T, 7)),
    "since": Window(20, since=Cursor(T, 7)),
    "between": Window(20, since=Cursor(T - 10**9), until=Cursor(T, 7)),
}
# Sources whose index cannot hold the order alone: the city popular/hot lists scan the city's
# shows (cities are small), tag+city lists filter a tag's index by city.
SORTS_ALLOWED = {"POPULAR[city]", "HOT[city]"}


def _args(query: Query, window: Window) -> dict[str, int]:
    args = {**PARAMS, "n": window.limit + 1, "nb": window.limit + 1, "o": 0}
    for prefix, cursor in (("u", window.until), ("s", window.since)):
        if cursor is not None:
            args[f"{prefix}t"] = cursor.time
            args[f"{prefix}k"] = cursor.tie or 0
    return {name: value for name, value in args.items() if f":{name}" in query.text}


async def _sorts(services: Services, query: Query, args: dict[str, int]) -> str | None:
    """The plan's text when it sorts, else None."""
    db = services.db
    if db.dialect == "sqlite":
        rows = await db.fetch_all(Query("EXPLAIN QUERY PLAN " + query.text), args)
        plan = "\n".join(str(r["detail"]) for r in rows)
        return plan if "TEMP B-TREE" in plan else None
    async with db.transaction() as tx:
        await tx.execute(Query("SET LOCAL enable_sort = off"))
        await tx.execute(Query("SET LOCAL enable_seqscan = off"))
        rows = await tx.fetch_all(Query("EXPLAIN " + query.text), args)
    plan = "\n".join(str(r[0]) for r in rows)
    return plan if " Sort " in f" {plan}" or "Sort  (" in plan else None


async def _nothing(services: Services) -> None:
    """Plans are read on an empty database: nothing to seed."""


@pytest.fixture(scope="module")
async def services(
    template_db: str, media_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Services]:
    """One database for the module: the tests only read plans."""
    data_dir = tmp_path_factory.mktemp("plans")
    async with readonly_services(template_db, media_dir, data_dir, _nothing) as services:
        yield services


@pytest.mark.parametrize("window", WINDOWS.values(), ids=WINDOWS.keys())
@pytest.mark.parametrize("name", DATED)
async def test_dated_lists_read_their_order_from_an_index(services, name, window) -> None:
    query, _ = page_query((DATED[name],), window)
    plan = await _sorts(services, query, _args(query, window))
    assert plan is None, f"{name} sorts:\n{plan}"


@pytest.mark.parametrize("name", RANKED)
async def test_ranked_lists_read_their_order_from_an_index(services, name) -> None:
    if name in SORTS_ALLOWED:
        return
    query = RANKED[name].query
    plan = await _sorts(services, query, _args(query, Window(20, 0)))
    assert plan is None, f"{name} sorts:\n{plan}"
