"""Follow, favorite, repost and listen-later as a client does them: the answers, idempotency,
``method=delete``, the errors, lists and token extras that change at once, and counters that
stay equal to their rows under 64 concurrent requests."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import pytest

from mixcast.db.counters import drifted
from mixcast.db.database import Query
from mixcast.services import Services
from tests.conftest import api_get, assert_api_error
from tests.factories import make_show, make_token, make_user

pytestmark = pytest.mark.anyio


@pytest.fixture
async def world(services: Services) -> dict[str, Any]:
    spartacus = await make_user(services, "spartacus", display_name="Spartacus")
    crixus = await make_user(services, "crixus", display_name="Crixus")
    await make_show(services, spartacus, "Party Time")
    await make_show(services, spartacus, "Secret Draft", visibility="draft")
    return {
        "spartacus": spartacus,
        "crixus": crixus,
        "token": await make_token(services, crixus),
        "own_token": await make_token(services, spartacus),
    }


async def act(
    client: httpx.AsyncClient, method: str, path: str, token: str | None, **kwargs: Any
) -> httpx.Response:
    params = {"access_token": token} if token else {}
    params.update(kwargs.pop("params", {}))
    return await client.request(method, "/api" + path, params=params, **kwargs)


def assert_result(response: httpx.Response, message: str) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"result": {"success": True, "message": message}}


async def count(services: Services, table: str) -> int:
    value: int = await services.db.fetch_value(Query(f"SELECT COUNT(*) FROM {table}"))
    return value


# ------------------------------------------------------------------ follow


async def test_follow_and_unfollow(client, services, world):
    token = world["token"]
    assert_result(await act(client, "POST", "/spartacus/follow/", token), "Now following Spartacus")
    assert_result(await act(client, "POST", "/spartacus/follow/", token), "Now following Spartacus")
    assert await count(services, "follows") == 1  # idempotent: one row
    spartacus = (await api_get(client, "/spartacus/", access_token=token)).json()
    crixus = (await api_get(client, "/crixus/")).json()
    assert (spartacus["follower_count"], spartacus["following"]) == (1, True)
    assert crixus["following_count"] == 1
    removed = await act(client, "DELETE", "/spartacus/follow/", token)
    assert_result(removed, "No longer following Spartacus")
    assert_result(
        await act(client, "DELETE", "/spartacus/follow/", token), "No longer following Spartacus"
    )
    spartacus = (await api_get(client, "/spartacus/", access_token=token)).json()
    assert (spartacus["follower_count"], spartacus["following"]) == (0, False)
    assert await count(services, "follows") == 0


@pytest.mark.parametrize(
    "how",
    [
        {"data": {"method": "delete"}},  # a form field, as the docs' curl -F does
        {"files": {"method": (None, "delete")}},  # multipart, exactly curl -F
        {"params": {"method": "delete"}},  # the query
        {"params": {"method": "DELETE"}},
    ],
)
async def test_post_with_method_delete_removes(client, services, world, how):
    await act(client, "POST", "/spartacus/follow/", world["token"])
    response = await act(client, "POST", "/spartacus/follow/", world["token"], **how)
    assert_result(response, "No longer following Spartacus")
    assert await count(services, "follows") == 0


@pytest.mark.parametrize("path", ["/spartacus/follow", "/SPARTACUS/follow/"])
async def test_paths_without_the_slash_or_in_another_case_answer_directly(client, world, path):
    response = await act(client, "POST", path, world["token"])
    assert "location" not in response.headers
    assert_result(response, "Now following Spartacus")


async def test_following_yourself_is_refused(client, services, world):
    response = await act(client, "POST", "/spartacus/follow/", world["own_token"])
    assert_api_error(response, status=400, type="InvalidActionException")
    assert await count(services, "follows") == 0


async def test_following_nobody_is_404(client, world):
    response = await act(client, "POST", "/nobody/follow/", world["token"])
    assert_api_error(response, status=404, type="ResourceNotFoundException")


@pytest.mark.parametrize("path", ["/spartacus/follow/", "/spartacus/party-time/favorite/"])
async def test_actions_need_a_valid_token(client, services, world, path):
    body = assert_api_error(
        await act(client, "POST", path, None), status=400, type="OAuthException"
    )
    assert body["error"]["message"] == "An access_token is required to access this resource."
    body = assert_api_error(
        await act(client, "POST", path, "nope"), status=400, type="OAuthException"
    )
    assert body["error"]["message"] == "An invalid access token was provided."
    assert await count(services, "follows") + await count(services, "favorites") == 0


async def test_get_is_not_an_action(client, world):
    response = await act(client, "GET", "/spartacus/follow/", world["token"])
    assert_api_error(response, status=405, type="MethodNotAllowedException")
    assert "POST" in response.headers["allow"] and "DELETE" in response.headers["allow"]


async def test_an_unknown_method_is_refused(client, services, world):
    response = await act(
        client, "POST", "/spartacus/follow/", world["token"], params={"method": "put"}
    )
    assert_api_error(response, status=400, type="InvalidParameterException")
    assert await count(services, "follows") == 0


# ------------------------------------------------------------------ show actions


@pytest.mark.parametrize(
    ("action", "table", "added", "removed"),
    [
        ("favorite", "favorites", "Favorited Party Time", "Removed Party Time from favorites"),
        ("repost", "reposts", "Reposted Party Time", "Removed the repost of Party Time"),
        ("listen-later", "listen_later", "Added Party Time to listen later",
         "Removed Party Time from listen later"),
    ],
)  # fmt: skip
async def test_show_actions(client, services, world, action, table, added, removed):
    token, path = world["token"], f"/spartacus/party-time/{action}/"
    for _ in range(2):  # a repeat keeps one row and still succeeds
        assert_result(await act(client, "POST", path, token), added)
    assert await count(services, table) == 1
    extra = action.replace("-", "_").replace("favorite", "favorited").replace("repost", "reposted")
    show = (await api_get(client, "/spartacus/party-time/", access_token=token)).json()
    assert show[extra] is True
    assert_result(await act(client, "DELETE", path.rstrip("/"), token), removed)
    assert await count(services, table) == 0
    show = (await api_get(client, "/spartacus/party-time/", access_token=token)).json()
    assert show[extra] is False


async def test_favorite_counters(client, world):
    token = world["token"]
    await act(client, "POST", "/spartacus/party-time/favorite/", token)
    await act(client, "POST", "/spartacus/party-time/repost/", token)
    show = (await api_get(client, "/spartacus/party-time/")).json()
    assert (show["favorite_count"], show["repost_count"]) == (1, 1)
    assert (await api_get(client, "/crixus/")).json()["favorite_count"] == 1


@pytest.mark.parametrize(
    "path", ["/spartacus/secret-draft/favorite/", "/spartacus/nothing/repost/"]
)
async def test_a_show_you_may_not_see_is_404(client, services, world, path):
    response = await act(client, "POST", path, world["token"])
    assert_api_error(response, status=404, type="ResourceNotFoundException")
    assert await count(services, "favorites") + await count(services, "reposts") == 0


async def test_the_owner_may_act_on_their_own_draft(client, world):
    response = await act(
        client, "POST", "/spartacus/secret-draft/listen-later/", world["own_token"]
    )
    assert_result(response, "Added Secret Draft to listen later")


# ------------------------------------------------------------------ lists change at once


async def test_lists_reflect_actions_at_once(client, world):
    token = world["token"]
    show = "/spartacus/party-time/"
    for path in (
        "/spartacus/follow/",
        show + "favorite/",
        show + "repost/",
        show + "listen-later/",
    ):
        await act(client, "POST", path, token)

    async def slugs(path: str, key: str = "slug") -> list[str]:
        response = await api_get(client, path, access_token=token)
        assert response.status_code == 200, response.text
        return [item[key] for item in response.json()["data"]]

    assert await slugs("/me/following/", "username") == ["spartacus"]
    assert await slugs("/spartacus/followers/", "username") == ["crixus"]
    assert await slugs("/me/favorites/") == ["party-time"]
    assert await slugs("/me/listen-later/") == ["party-time"]
    feed = (await api_get(client, "/me/feed/", access_token=token)).json()["data"]
    assert sorted(item["type"] for item in feed) == ["favorite", "repost"]
    following = (await api_get(client, "/spartacus/followers/", access_token=token)).json()
    assert following["data"][0]["username"] == "crixus"
    listed = (await api_get(client, "/spartacus/cloudcasts/", access_token=token)).json()["data"]
    assert [(s["favorited"], s["reposted"], s["listen_later"]) for s in listed] == [
        (True, True, True)
    ]

    for path in ("/spartacus/follow/", "/spartacus/party-time/favorite/",
                 "/spartacus/party-time/listen-later/"):  # fmt: skip
        await act(client, "DELETE", path, token)
    assert await slugs("/me/following/", "username") == []
    assert await slugs("/me/favorites/") == []
    assert await slugs("/me/listen-later/") == []


async def test_listen_later_is_only_at_me(client, world):
    assert_api_error(await api_get(client, "/crixus/listen-later/"), status=404,
                     type="ResourceNotFoundException")  # fmt: skip


# ------------------------------------------------------------------ counters under concurrency


async def test_64_concurrent_actions_keep_every_counter_equal_to_its_rows(client, services):
    """Many clients following, unfollowing, favoriting and unfavoriting the same targets at
    once: no request fails, and every counter ends equal to the rows it counts."""
    owner = await make_user(services, "spartacus")
    await make_show(services, owner, "Party Time")
    await make_show(services, owner, "Arena")
    fans = [await make_user(services, f"fan{i}") for i in range(8)]
    tokens = [await make_token(services, fan, app_owner_id=owner) for fan in fans]
    paths = ["/spartacus/follow/", "/spartacus/party-time/favorite/", "/spartacus/arena/favorite/",
             "/spartacus/party-time/repost/", "/fan0/follow/"]  # fmt: skip
    rng = random.Random(7)
    requests = [
        (rng.choice(["POST", "DELETE"]), rng.choice(paths), rng.choice(tokens[1:]))
        for _ in range(64)
    ]
    responses = await asyncio.gather(*(act(client, m, p, t) for m, p, t in requests))
    statuses = [r.status_code for r in responses]
    assert all(s == 200 for s in statuses), [r.text for r in responses if r.status_code != 200]
    async with services.db.reading() as conn:
        assert await drifted(conn) == []
    follows = await count(services, "follows")
    spartacus = (await api_get(client, "/spartacus/")).json()
    fan0 = (await api_get(client, "/fan0/")).json()
    assert spartacus["follower_count"] + fan0["follower_count"] == follows
    show = (await api_get(client, "/spartacus/party-time/")).json()
    rows = await services.db.fetch_value(
        Query(
            "SELECT COUNT(*) FROM favorites f JOIN shows s ON s.id = f.show_id"
            " WHERE s.slug = 'party-time'"
        )
    )
    assert show["favorite_count"] == rows
