"""``similar_show_ids``: shared genre tags count double, shared listeners once; only listed
shows, never the show itself; ties by popular score, then id."""

from __future__ import annotations

from typing import Any

import pytest

from mixcast.db.database import Query
from mixcast.ranking.similar import similar_show_ids
from mixcast.services import Services
from mixcast.shows.engagement import record_listen
from tests.factories import T0, make_show, make_user

pytestmark = pytest.mark.anyio

HOUR = 3_600_000_000


async def listen(services: Services, user_id: int, *shows: int, at: int = T0 + HOUR) -> None:
    async with services.db.transaction() as tx:
        for n, show_id in enumerate(shows):
            await record_listen(tx, show_id, user_id=user_id, listener=f"u:{user_id}", now=at + n)


@pytest.fixture
async def shows(services: Services) -> dict[str, Any]:
    owner = await make_user(services, "owner")
    users = [await make_user(services, f"listener{i}") for i in range(3)]

    async def show(name: str, *tags: str, **fields: Any) -> int:
        show_id, _ = await make_show(services, owner, name, tags=tags, **fields)
        return show_id

    made = {
        "s": await show("S", "House", "Techno"),
        "both": await show("Both", "Techno", "House", "Disco"),  # 2 tags: 4
        "one": await show("One", "House"),  # 1 tag: 2
        "heard": await show("Heard", "Jazz"),  # 3 shared listeners: 3
        "one_heard": await show("One Heard", "Techno"),  # 1 tag + 1 listener: 3
        "other": await show("Other", "Jazz"),  # nothing shared
        "unlisted": await show("Unlisted", "House", "Techno", visibility="unlisted"),
        "draft": await show("Draft", "House", "Techno", visibility="draft"),
        "processing": await show("Processing", "House", "Techno", status="processing"),
    }
    for user_id in users:
        await listen(services, user_id, made["s"], made["heard"], made["unlisted"])
    await listen(services, users[0], made["one_heard"], made["draft"])
    # "heard" and "one_heard" tie at 3: the more popular one first.
    async with services.db.transaction() as tx:
        await tx.execute(
            Query("UPDATE shows SET popular_score = 7 WHERE id = :id"), {"id": made["one_heard"]}
        )
    return made


async def test_ranked_by_shared_tags_and_listeners(
    services: Services, shows: dict[str, Any]
) -> None:
    ids = await similar_show_ids(services.db, shows["s"], 20, 0)
    assert ids == [shows[k] for k in ("both", "one_heard", "heard", "one")]


async def test_never_itself_nor_unlisted_draft_or_unready(
    services: Services, shows: dict[str, Any]
) -> None:
    for show in ("both", "unlisted", "heard"):
        ids = await similar_show_ids(services.db, shows[show], 50, 0)
        assert shows[show] not in ids
        assert not {shows["unlisted"], shows["draft"], shows["processing"]} & set(ids)


async def test_ties_fall_back_to_the_newest(services: Services, shows: dict[str, Any]) -> None:
    # From "one" (House): s, both share House: 2 each, equal popularity, newer (higher id) first.
    assert await similar_show_ids(services.db, shows["one"], 10, 0) == [shows["both"], shows["s"]]


async def test_paging(services: Services, shows: dict[str, Any]) -> None:
    everything = await similar_show_ids(services.db, shows["s"], 20, 0)
    assert await similar_show_ids(services.db, shows["s"], 2, 0) == everything[:2]
    assert await similar_show_ids(services.db, shows["s"], 2, 2) == everything[2:4]
    assert await similar_show_ids(services.db, shows["s"], 2, 10) == []


async def test_a_show_with_nothing_shared(services: Services) -> None:
    owner = await make_user(services, "owner")
    lonely, _ = await make_show(services, owner, "Lonely")
    await make_show(services, owner, "Else", tags=("House",))
    assert await similar_show_ids(services.db, lonely, 10, 0) == []
    assert await similar_show_ids(services.db, 999_999, 10, 0) == []
