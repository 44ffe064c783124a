"""``refresh_scores`` against the real database: what counts, what decays, what is written."""

from __future__ import annotations

from typing import Any

import pytest

from mixcast.db.database import Query
from mixcast.ranking.job import ranking_now, refresh_scores
from mixcast.ranking.scores import (
    BUCKET,
    DAY,
    HOUR,
    POPULAR_WINDOW,
    bucket_time,
    decayed,
    hot_score,
)
from mixcast.services import Services
from mixcast.shows.engagement import FAVORITES, REPOSTS, record_listen
from tests.factories import T0, make_show, make_user

pytestmark = pytest.mark.anyio

NOW = T0 + 100 * DAY
SCORES = Query("SELECT popular_score, hot_score FROM shows WHERE id = :id")
COPIES = Query("SELECT tag_id, popular_score, hot_score FROM show_tags WHERE show_id = :id")


async def scores(services: Services, show_id: int) -> tuple[float, float]:
    row = await services.db.fetch_one(SCORES, {"id": show_id})
    assert row is not None
    return row["popular_score"], row["hot_score"]


async def play(services: Services, show_id: int, at: int, *listeners: int) -> None:
    """One play per listener (a user id), each at ``at``."""
    async with services.db.transaction() as tx:
        for user_id in listeners:
            await record_listen(tx, show_id, user_id=user_id, listener=f"u:{user_id}", now=at)


async def favorite(services: Services, show_id: int, at: int, *users: int) -> None:
    async with services.db.transaction() as tx:
        for user_id in users:
            await FAVORITES.add(tx, user_id, show_id, at)


async def repost(services: Services, show_id: int, at: int, *users: int) -> None:
    async with services.db.transaction() as tx:
        for user_id in users:
            await REPOSTS.add(tx, user_id, show_id, at)


@pytest.fixture
async def site(services: Services) -> dict[str, Any]:
    """An owner, five listeners and three listed shows (two tags on ``a``)."""
    owner = await make_user(services, "owner")
    users = [await make_user(services, f"listener{i}") for i in range(5)]
    a, _ = await make_show(services, owner, "A", tags=("House", "Techno"))
    b, _ = await make_show(services, owner, "B", tags=("House",))
    c, _ = await make_show(services, owner, "C")
    return {"users": users, "a": a, "b": b, "c": c}


async def test_more_activity_in_the_window_ranks_above(
    services: Services, site: dict[str, Any]
) -> None:
    u = site["users"]
    await play(services, site["a"], NOW - 2 * DAY, *u[:3])
    await favorite(services, site["a"], NOW - 2 * DAY, u[0])
    await repost(services, site["a"], NOW - 2 * DAY, u[1])
    await play(services, site["b"], NOW - 2 * DAY, *u)

    stats = await refresh_scores(services.db, NOW)
    (pop_a, hot_a), (pop_b, hot_b) = (
        await scores(services, site["a"]),
        await scores(services, site["b"]),
    )
    assert pop_a == 3 + 3 + 5 and pop_b == 5
    assert hot_a > hot_b > 0
    assert await scores(services, site["c"]) == (0, 0)
    assert (stats.scored, stats.changed, stats.dropped, stats.events) == (2, 2, 0, 10)


async def test_recent_activity_is_hotter(services: Services, site: dict[str, Any]) -> None:
    u = site["users"]
    await play(services, site["a"], NOW - HOUR, *u[:2])
    await play(services, site["b"], NOW - 3 * DAY, *u[:2])
    await refresh_scores(services.db, NOW)
    (pop_a, hot_a), (pop_b, hot_b) = (
        await scores(services, site["a"]),
        await scores(services, site["b"]),
    )
    assert pop_a == pop_b == 2  # popular does not decay inside its window
    assert hot_a > hot_b > 0
    # Two plays three days ago are worth about 2 · 2^(-72/36) = 0.5 of a fresh play now.
    assert decayed(hot_b, NOW) == pytest.approx(0.5, rel=0.02)
    assert decayed(hot_a, NOW) == pytest.approx(2 * 2 ** (-1 / 36), rel=0.02)


async def test_activity_outside_the_windows_does_not_count(
    services: Services, site: dict[str, Any]
) -> None:
    u = site["users"]
    await play(services, site["a"], NOW - POPULAR_WINDOW - HOUR, *u)  # too old for either
    await favorite(services, site["a"], NOW - 31 * DAY, *u)
    await play(services, site["b"], NOW - 10 * DAY, u[0])  # popular only: hot keeps 7 days
    await play(services, site["c"], NOW + HOUR, *u)  # after "now"
    await refresh_scores(services.db, NOW)
    assert await scores(services, site["a"]) == (0, 0)
    assert await scores(services, site["b"]) == (1, 0)
    assert await scores(services, site["c"]) == (0, 0)


async def test_shows_leaving_the_window_drop_to_zero(
    services: Services, site: dict[str, Any]
) -> None:
    u = site["users"]
    await play(services, site["a"], NOW - DAY, *u)
    await play(services, site["b"], NOW - 5 * DAY, u[0])
    await refresh_scores(services.db, NOW)
    assert all(s > 0 for s in await scores(services, site["a"]))

    before = await scores(services, site["a"])
    later = await refresh_scores(services.db, NOW + 6 * DAY)  # b's play leaves the hot window
    assert (later.changed, later.dropped) == (1, 0)  # a's play is just inside it still
    assert await scores(services, site["b"]) == (1, 0)
    assert await scores(services, site["a"]) == before

    gone = await refresh_scores(services.db, NOW + 31 * DAY)  # and both leave the popular one
    assert (gone.scored, gone.changed, gone.dropped) == (0, 2, 2)
    for show in ("a", "b"):
        assert await scores(services, site[show]) == (0, 0)
        assert {
            (r["popular_score"], r["hot_score"])
            for r in await services.db.fetch_all(COPIES, {"id": site[show]})
        } <= {(0, 0)}


async def test_show_tags_copy_the_scores(services: Services, site: dict[str, Any]) -> None:
    u = site["users"]
    await play(services, site["a"], NOW - DAY, *u)
    await favorite(services, site["a"], NOW - HOUR, u[0])
    await refresh_scores(services.db, NOW)
    own = await scores(services, site["a"])
    copies = await services.db.fetch_all(COPIES, {"id": site["a"]})
    assert len(copies) == 2
    assert all((r["popular_score"], r["hot_score"]) == own for r in copies)


async def test_the_sql_sums_follow_the_formula(services: Services, site: dict[str, Any]) -> None:
    """The refresh's per-hour factors, summed by the database, give what ``hot_score`` gives
    from the events themselves (each at the middle of its hour)."""
    u = site["users"]
    events: list[tuple[int, float]] = []
    for n, hours_ago in enumerate((0.2, 1, 5, 30, 70, 150)):
        at = NOW - int(hours_ago * HOUR)
        await play(services, site["a"], at, u[n % 5])
        events.append((at, 1.0))
    await favorite(services, site["a"], NOW - 20 * HOUR, u[0])
    await repost(services, site["a"], NOW - 50 * HOUR, u[1])
    events += [(NOW - 20 * HOUR, 3.0), (NOW - 50 * HOUR, 5.0)]
    await refresh_scores(services.db, NOW)
    expected = hot_score((bucket_time(at // BUCKET), w) for at, w in events)
    assert (await scores(services, site["a"]))[1] == pytest.approx(expected, abs=1e-9)
    assert (await scores(services, site["a"]))[0] == 6 + 3 + 5


async def test_a_second_refresh_without_news_writes_nothing(
    services: Services, site: dict[str, Any]
) -> None:
    u = site["users"]
    await play(services, site["a"], NOW - DAY, *u)
    await favorite(services, site["b"], NOW - 2 * DAY, u[0])
    await repost(services, site["b"], NOW - 3 * HOUR, u[1])
    first = await refresh_scores(services.db, NOW)
    assert first.changed == 2
    before = {s: await scores(services, site[s]) for s in ("a", "b")}

    assert (await refresh_scores(services.db, NOW)).changed == 0
    # Nor an hour later: the hot score does not move with the clock, only with events.
    assert (await refresh_scores(services.db, NOW + HOUR)).changed == 0
    assert {s: await scores(services, site[s]) for s in ("a", "b")} == before

    await play(services, site["b"], NOW + 2 * HOUR, u[2])  # news for b only
    again = await refresh_scores(services.db, NOW + 3 * HOUR)
    assert again.changed == 1
    assert await scores(services, site["a"]) == before["a"]
    assert (await scores(services, site["b"]))[0] == before["b"][0] + 1


async def test_unlisted_shows_are_scored_but_the_lists_filter_them(services: Services) -> None:
    owner = await make_user(services, "owner")
    listener = await make_user(services, "listener")
    hidden, _ = await make_show(services, owner, "Hidden", visibility="unlisted")
    await play(services, hidden, NOW - HOUR, listener)
    await refresh_scores(services.db, NOW)
    assert (await scores(services, hidden))[0] == 1  # ready when it goes public


async def test_ranking_now_never_runs_ahead_of_the_newest_play(
    services: Services, site: dict[str, Any]
) -> None:
    assert await ranking_now(services.db, NOW) == NOW  # no plays at all
    await play(services, site["a"], NOW - 40 * DAY, site["users"][0])
    assert await ranking_now(services.db, NOW) == NOW - 40 * DAY
    assert await ranking_now(services.db, NOW - 50 * DAY) == NOW - 50 * DAY
