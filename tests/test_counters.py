"""Counters equal the rows they count after the named state changes, and the check that
proves it catches a counter that drifted."""

from __future__ import annotations

import pytest

from mixcast.accounts.follows import follow_user, unfollow_user
from mixcast.db.counters import drifted, recount
from mixcast.db.database import Query
from mixcast.services import Services
from mixcast.shows.engagement import FAVORITES, REPOSTS, add_comment, record_listen
from tests.conftest import api_get
from tests.factories import T0, make_show, make_user

pytestmark = pytest.mark.anyio


async def test_named_changes_keep_counters_in_step(services: Services, client) -> None:
    alice = await make_user(services, "alice")
    bob = await make_user(services, "bob")
    show_id, slug = await make_show(services, alice, "Night Drive")
    async with services.db.transaction() as tx:
        assert await follow_user(tx, bob, alice, T0 + 1)
        assert not await follow_user(tx, bob, alice, T0 + 2)  # a repeat keeps one row
        assert await FAVORITES.add(tx, bob, show_id, T0 + 3)
        assert not await FAVORITES.add(tx, bob, show_id, T0 + 4)
        assert await REPOSTS.add(tx, bob, show_id, T0 + 5)
        await record_listen(tx, show_id, user_id=bob, listener=f"u:{bob}", now=T0 + 6)
        await record_listen(tx, show_id, user_id=bob, listener=f"u:{bob}", now=T0 + 7)
        await record_listen(tx, show_id, user_id=None, listener="a:1f", now=T0 + 8)
        await add_comment(tx, bob, "Lovely", T0 + 9, show_id=show_id)
    assert await drifted(services.db) == []

    show = (await api_get(client, f"/alice/{slug}/")).json()
    assert (show["play_count"], show["listener_count"]) == (3, 2)
    assert (show["favorite_count"], show["repost_count"], show["comment_count"]) == (1, 1, 1)
    alice_json = (await api_get(client, "/alice/")).json()
    bob_json = (await api_get(client, "/bob/")).json()
    assert (alice_json["follower_count"], alice_json["cloudcast_count"]) == (1, 1)
    assert (bob_json["following_count"], bob_json["favorite_count"]) == (1, 1)
    assert bob_json["listen_count"] == 2

    async with services.db.transaction() as tx:
        assert await unfollow_user(tx, bob, alice)
        assert not await unfollow_user(tx, bob, alice)
        assert await FAVORITES.remove(tx, bob, show_id)
    assert await drifted(services.db) == []
    assert (await api_get(client, "/alice/")).json()["follower_count"] == 0


async def test_drift_is_found_and_recount_repairs_it(services: Services) -> None:
    alice = await make_user(services, "alice")
    await make_user(services, "bob")
    async with services.db.transaction() as tx:
        await tx.execute(
            Query("UPDATE users SET follower_count = 5, cloudcast_count = 2 WHERE id = :id"),
            {"id": alice},
        )
    problems = await drifted(services.db)
    assert any("users.follower_count" in p and "stored 5, rows 0" in p for p in problems)
    assert any("users.cloudcast_count" in p for p in problems)
    async with services.db.transaction() as tx:
        await recount(tx)
    assert await drifted(services.db) == []


async def test_a_failed_transaction_leaves_nothing(services: Services) -> None:
    alice = await make_user(services, "alice")
    bob = await make_user(services, "bob")
    try:
        async with services.db.transaction() as tx:
            await follow_user(tx, bob, alice, T0)
            raise RuntimeError("the request failed after the follow")
    except RuntimeError:
        pass
    count = await services.db.fetch_value(Query("SELECT COUNT(*) FROM follows"))
    assert count == 0
    assert await drifted(services.db) == []
