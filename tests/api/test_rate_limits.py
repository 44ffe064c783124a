"""Rate limits as a client meets them: the headers on every answer, the 403 with Retry-After
and the RateLimitException body, counting per token grant or per address, one limit per kind
of action, the token exchange's own limit, and counts shared through Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from mixcast.errors import ConfigError
from mixcast.services import Services, open_services
from mixcast.settings import Settings
from tests.conftest import client_of, make_settings
from tests.factories import make_show, make_token, make_user

pytestmark = pytest.mark.anyio

OpenWith = Callable[..., Awaitable[Services]]


@pytest.fixture
async def limited(
    database_url: str, tmp_path: Path, media_dir: Path, services: Services
) -> AsyncIterator[OpenWith]:
    """``await limited(read="3/minute")``: the test's database served with those limits (and
    ``ratelimit_url=``, to count somewhere other than this process's memory)."""
    opened: list[Services] = []

    async def open_with(ratelimit_url: str = "", **limits: str) -> Services:
        settings = make_settings(database_url, tmp_path, media_dir, limits=limits)
        if ratelimit_url:
            from dataclasses import replace

            settings = replace(settings, ratelimit_url=ratelimit_url)
        served = await open_services(settings)
        opened.append(served)
        return served

    yield open_with
    for served in opened:
        await served.close()


def assert_limit_headers(response: httpx.Response, limit: int, remaining: int) -> None:
    assert response.headers["x-ratelimit-limit"] == str(limit)
    assert response.headers["x-ratelimit-remaining"] == str(remaining)
    assert int(response.headers["x-ratelimit-reset"]) > 1_600_000_000  # a unix time


def assert_rate_limited(response: httpx.Response) -> int:
    assert response.status_code == 403, response.text
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1
    assert response.json() == {
        "error": {
            "message": f"You have hit your rate limit. Retry after {retry_after} seconds.",
            "type": "RateLimitException",
            "retry_after": retry_after,
        }
    }
    return retry_after


async def test_reads_are_counted_until_refused(limited, services):
    await make_user(services, "spartacus")
    served = await limited(read="3/minute")
    async with client_of(served, "198.51.100.1") as client:
        for remaining in (2, 1, 0):
            response = await client.get("/api/spartacus/")
            assert response.status_code == 200
            assert_limit_headers(response, 3, remaining)
        refused = await client.get("/api/spartacus/")
        assert_rate_limited(refused)
        assert_limit_headers(refused, 3, 0)
        # the JSONP form of the refusal, for browser clients
        jsonp = await client.get("/api/spartacus/", params={"callback": "cb"})
        assert jsonp.status_code == 403 and jsonp.text.startswith("cb(")
    async with client_of(served, "198.51.100.2") as elsewhere:  # another address: its own count
        assert (await elsewhere.get("/api/spartacus/")).status_code == 200


async def test_every_api_answer_carries_the_headers(limited, services):
    await make_user(services, "spartacus")
    served = await limited(read="100/minute", write="100/minute")
    async with client_of(served) as client:
        answers = [
            await client.get("/api/spartacus/"),  # 200
            await client.get("/api/nobody/"),  # 404 from a route
            await client.get("/api/no/such/thing/here/"),  # 404 from the router
            await client.get("/api/spartacus"),  # the 301 that adds the slash
            await client.get("/api/spartacus/", params={"metadata": "junk"}),  # 400
            await client.post("/api/spartacus/follow/"),  # 400 OAuthException
            await client.get("/api/popular/", params={"access_token": "nope"}),  # 400 bad token
        ]
    assert [a.status_code for a in answers] == [200, 404, 404, 301, 400, 400, 400]
    for answer in answers:
        assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(
            answer.headers
        ), answer.request.url


async def test_a_token_counts_apart_from_its_address(limited, services):
    uid = await make_user(services, "spartacus")
    token = await make_token(services, uid)
    served = await limited(read="2/minute")
    async with client_of(served, "198.51.100.3") as client:
        for _ in range(2):
            await client.get("/api/spartacus/")
        assert_rate_limited(await client.get("/api/spartacus/"))
        mine = await client.get("/api/me/", params={"access_token": token})
        assert mine.status_code == 200 and mine.headers["x-ratelimit-remaining"] == "1"
        # the same grant from another address shares the token's count
    async with client_of(served, "198.51.100.4") as moved:
        bearer = await moved.get("/api/me/", headers={"Authorization": f"Bearer {token}"})
        assert bearer.status_code == 200 and bearer.headers["x-ratelimit-remaining"] == "0"
        assert_rate_limited(await moved.get("/api/me/", params={"access_token": token}))


async def test_invalid_tokens_count_against_the_address(limited, services):
    served = await limited(read="2/minute")
    async with client_of(served, "198.51.100.5") as client:
        for guess in ("a", "b"):
            response = await client.get("/api/popular/", params={"access_token": guess})
            assert response.json()["error"]["type"] == "OAuthException"
        assert_rate_limited(await client.get("/api/popular/", params={"access_token": "c"}))


async def test_each_kind_has_its_own_limit(limited, services):
    owner = await make_user(services, "spartacus")
    await make_show(services, owner, "Party Time")
    token = await make_token(services, await make_user(services, "crixus"))
    served = await limited(read="100/minute", write="2/minute")
    params = {"access_token": token}
    async with client_of(served) as client:
        for _ in range(2):
            assert (await client.post("/api/spartacus/follow/", params=params)).status_code == 200
        refused = await client.delete("/api/spartacus/follow/", params=params)
        assert_rate_limited(refused)
        assert_limit_headers(refused, 2, 0)
        other_write = await client.post("/api/spartacus/party-time/favorite/", params=params)
        assert_rate_limited(other_write)  # every write shares the write limit
        read = await client.get("/api/spartacus/", params=params)
        assert read.status_code == 200 and read.json()["following"] is True  # reads go on
        assert read.headers["x-ratelimit-limit"] == "100"


async def test_the_token_exchange_has_its_own_limit(limited, services):
    served = await limited(oauth="2/minute")
    async with client_of(served, "198.51.100.6") as client:
        for _ in range(2):
            answer = await client.post("/oauth/access_token", data={"code": "x"})
            assert answer.status_code == 400 and answer.json()["error"] == "invalid_client"
            assert answer.headers["x-ratelimit-limit"] == "2"
        assert_rate_limited(await client.post("/oauth/access_token", data={"code": "x"}))


async def test_off_turns_a_limit_off(limited, services):
    await make_user(services, "spartacus")
    served = await limited(read="off")
    async with client_of(served) as client:
        for _ in range(5):
            response = await client.get("/api/spartacus/")
            assert response.status_code == 200 and "x-ratelimit-limit" not in response.headers


async def test_processes_sharing_redis_share_one_count(limited, services):
    """Two apps (as two processes would) on one Redis: one count between them. The test with
    real server processes is tests/integration/test_ratelimit_processes.py."""
    await make_user(services, "spartacus")
    url = f"redis://127.0.0.1:6379/0?prefix=test-{uuid.uuid4().hex}"
    first = await limited(ratelimit_url=url, read="5/minute")
    second = await limited(ratelimit_url=url, read="5/minute")
    statuses = []
    async with client_of(first) as a, client_of(second) as b:
        for i in range(8):
            statuses.append((await (a if i % 2 else b).get("/api/spartacus/")).status_code)
    assert statuses.count(200) == 5 and statuses.count(403) == 3


def test_limits_are_checked_at_start_up():
    settings = Settings.from_env(
        {"MIXCAST_RATELIMIT_WRITE": "off", "MIXCAST_RATELIMIT_READ": "5/second"}
    )
    assert settings.rate_limits["write"] == "off" and settings.rate_limits["read"] == "5/second"
    assert Settings.from_env({}).rate_limits["read"] == "600/minute"
    for junk in ("lots", "5 per fortnight", "-1/minute"):
        with pytest.raises(ConfigError):
            Settings.from_env({"MIXCAST_RATELIMIT_READ": junk})


async def test_an_unreachable_redis_lets_requests_through(limited, services, caplog):
    """Rate limits fail open: without Redis the API still answers, uncounted, and says so in
    the log."""
    await make_user(services, "spartacus")
    served = await limited(ratelimit_url="redis://127.0.0.1:1/0", read="1/minute")
    async with client_of(served) as client:
        for _ in range(3):
            response = await client.get("/api/spartacus/")
            assert response.status_code == 200 and "x-ratelimit-limit" not in response.headers
    assert "Redis failed" in caplog.text


async def test_memory_storage_still_expires_keys():
    """The sweep runs at most once a second, but a read of an expired key drops it at once."""
    import asyncio

    from mixcast.ratelimit.storage import SweepingMemoryStorage

    storage = SweepingMemoryStorage()
    for _ in range(3):
        await storage.incr("k", expiry=0.05)
    assert await storage.get("k") == 3
    await asyncio.sleep(0.1)
    assert await storage.get("k") == 0
