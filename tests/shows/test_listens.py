"""Counting listens: 30 seconds heard, once per listener per show per hour, signed-in users and
anonymous listeners apart, only shows others may hear, counters always equal to their rows, and
two reports of one listener at once never both counted (on both databases)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from mixcast.db.counters import drifted
from mixcast.db.database import Query, connect
from mixcast.db.urls import DatabaseURL
from mixcast.services import Services
from mixcast.shows.listens import LISTEN_WINDOW_US, count_listen, listener_key
from tests.conftest import api_get
from tests.factories import T0, make_show, make_token, make_user

pytestmark = pytest.mark.anyio

ANON = "anon-listener-0001"
ANON2 = "anon-listener-0002"
MINUTE = 60 * 1_000_000


async def report(
    services: Services,
    show_id: int,
    *,
    user: int | None = None,
    anon: str | None = ANON,
    seconds: float = 30.0,
    now: int = T0,
) -> bool:
    async with services.db.transaction() as tx:
        return await count_listen(
            tx, show_id, user_id=user, anonymous_id=anon, seconds=seconds, now=now
        )


async def counts(services: Services, show_id: int) -> tuple[int, int]:
    row = await services.db.fetch_one(
        Query("SELECT play_count, listener_count FROM shows WHERE id = :id"), {"id": show_id}
    )
    assert row is not None
    return row["play_count"], row["listener_count"]


async def listens_of(services: Services, show_id: int) -> list[tuple[str, int | None]]:
    rows = await services.db.fetch_all(
        Query("SELECT listener, user_id FROM listens WHERE show_id = :id ORDER BY id"),
        {"id": show_id},
    )
    return [(r["listener"], r["user_id"]) for r in rows]


async def no_drift(services: Services) -> None:
    async with services.db.reading() as conn:
        assert await drifted(conn) == []


@pytest.fixture
async def show(services: Services) -> int:
    owner = await make_user(services, "spartacus")
    show_id, _ = await make_show(services, owner, "Party Time")
    return show_id


async def test_a_listen_counts_from_30_seconds(services, show):
    assert await report(services, show, seconds=29.999) is False
    assert await report(services, show, seconds=0) is False
    assert await counts(services, show) == (0, 0)
    assert await report(services, show, seconds=30) is True
    assert await counts(services, show) == (1, 1)
    assert await listens_of(services, show) == [(f"a:{ANON}", None)]
    await no_drift(services)


async def test_once_per_listener_per_hour(services, show):
    assert await report(services, show, now=T0) is True
    # Still within the hour: a second play, a reload, the same page past 30 s again.
    assert await report(services, show, now=T0 + 59 * MINUTE, seconds=3000) is False
    assert await report(services, show, now=T0 + LISTEN_WINDOW_US - 1) is False
    assert await counts(services, show) == (1, 1)
    # An hour after the listen that counted: a new listen of the same listener.
    assert await report(services, show, now=T0 + LISTEN_WINDOW_US) is True
    assert await counts(services, show) == (2, 1)  # two plays, still one listener
    # Another listener within the first one's hour counts at once.
    assert await report(services, show, anon=ANON2, now=T0 + LISTEN_WINDOW_US + 1) is True
    assert await counts(services, show) == (3, 2)
    await no_drift(services)


async def test_a_signed_in_user_is_the_listener(services, show):
    crixus = await make_user(services, "crixus")
    assert await report(services, show, user=crixus, anon=ANON) is True
    # The same browser's anonymous id is another listener; the user is the same one with any
    # anonymous id (or none).
    assert await report(services, show, anon=ANON) is True
    assert await report(services, show, user=crixus, anon=ANON2) is False
    assert await report(services, show, user=crixus, anon=None) is False
    assert await listens_of(services, show) == [(f"u:{crixus}", crixus), (f"a:{ANON}", None)]
    assert await counts(services, show) == (2, 2)
    listen_count = await services.db.fetch_value(
        Query("SELECT listen_count FROM users WHERE id = :id"), {"id": crixus}
    )
    assert listen_count == 1
    await no_drift(services)


async def test_the_owner_counts_like_anyone(services):
    owner = await make_user(services, "spartacus")
    show_id, _ = await make_show(services, owner, "Party Time")
    assert await report(services, show_id, user=owner) is True
    assert await counts(services, show_id) == (1, 1)


@pytest.mark.parametrize(
    ("visibility", "status", "counts_listens"),
    [
        ("public", "ready", True),
        ("unlisted", "ready", True),
        ("draft", "ready", False),
        ("scheduled", "ready", False),
        ("public", "processing", False),
        ("public", "received", False),
        ("public", "failed", False),
    ],
)
async def test_only_shows_others_can_hear_count(services, visibility, status, counts_listens):
    owner = await make_user(services, "spartacus")
    publish_at = T0 + 86_400_000_000 if visibility == "scheduled" else None
    show_id, _ = await make_show(
        services, owner, "Show", visibility=visibility, status=status, publish_at=publish_at
    )
    assert await report(services, show_id, user=owner) is counts_listens
    assert await counts(services, show_id) == ((1, 1) if counts_listens else (0, 0))
    await no_drift(services)


async def test_a_missing_show_counts_nothing(services, show):
    assert await report(services, show + 1000) is False
    await no_drift(services)


@pytest.mark.parametrize("anon", [None, "short", "x" * 65, "has space in it!!", "ünïcödé-1234567"])
async def test_a_listener_needs_a_well_formed_id(services, show, anon):
    with pytest.raises(ValueError):
        await report(services, show, anon=anon)


async def test_the_longest_anonymous_id_fits(services, show):
    longest = "A" * 64  # "a:" + 64 characters: 66, stored in full on both databases
    assert listener_key(None, longest) == "a:" + longest
    assert await report(services, show, anon=longest) is True
    assert await listens_of(services, show) == [("a:" + longest, None)]
    assert await report(services, show, anon=longest, now=T0 + MINUTE) is False


async def test_hidden_stats_still_count(services, client):
    owner = await make_user(services, "spartacus")
    show_id, slug = await make_show(services, owner, "Secret Counts", hide_stats=True)
    assert await report(services, show_id) is True
    assert await report(services, show_id, anon=ANON2) is True
    assert await counts(services, show_id) == (2, 2)
    # Hidden from others (0), shown to the owner.
    seen = (await api_get(client, f"/spartacus/{slug}/")).json()
    assert (seen["play_count"], seen["listener_count"]) == (0, 0)
    token = await make_token(services, owner)
    mine = (await api_get(client, f"/spartacus/{slug}/", access_token=token)).json()
    assert (mine["play_count"], mine["listener_count"]) == (2, 2)
    await no_drift(services)


async def test_concurrent_reports_of_one_listener_count_once(services, show, database_url):
    """Reports from separate connections at once (as from several server processes): each
    thread runs its own event loop and database connection, released together."""
    threads = 6
    barrier = threading.Barrier(threads)
    results: list[bool] = []

    async def one(anon: str) -> bool:
        db = await connect(DatabaseURL.parse(database_url))
        try:
            barrier.wait(timeout=30)
            async with db.transaction() as tx:
                return await count_listen(
                    tx, show, user_id=None, anonymous_id=anon, seconds=31, now=T0
                )
        finally:
            await db.close()

    def run(anon: str) -> None:
        results.append(asyncio.run(one(anon)))

    # Two listeners, three reports each, all at once.
    workers = [
        threading.Thread(target=run, args=(ANON if i % 2 else ANON2,)) for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert len(results) == threads
    assert sorted(results) == [False] * (threads - 2) + [True] * 2
    assert await counts(services, show) == (2, 2)
    assert sorted(await listens_of(services, show)) == [(f"a:{ANON}", None), (f"a:{ANON2}", None)]
    await no_drift(services)


async def test_concurrent_reports_on_one_connection_pool_count_once(services, show):
    """Many transactions of one process at once (PostgreSQL: several pooled connections)."""
    results = await asyncio.gather(
        *(report(services, show, seconds=30 + i) for i in range(12)),
        *(report(services, show, anon=ANON2, seconds=30 + i) for i in range(12)),
    )
    assert sorted(results) == [False] * 22 + [True] * 2
    assert await counts(services, show) == (2, 2)
    await no_drift(services)
