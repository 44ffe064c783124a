"""The write limit counted across server processes: two real ``mixcast serve`` processes on one
database. Sharing one Redis, they admit exactly the limit between them, however a concurrent
burst is spread over them; each with its own memory storage, each admits the limit.

The Redis keys of a run carry a random prefix (``?prefix=``), so runs never share counts, and
are deleted at the end.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from mixcast.ratelimit import open_limits_storage
from tests.factories import make_token, make_user
from tests.servers import serving

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

LIMIT = 25
BURST = 80
REDIS = "redis://127.0.0.1:6379/0"
MESSAGE = "You have hit your rate limit. Retry after {} seconds."


@pytest.fixture
async def token(services) -> str:
    """A token of ``fan``, who follows and unfollows ``target``."""
    await make_user(services, "target")
    return await make_token(services, await make_user(services, "fan"))


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """This test's own key prefix on the shared Redis; its keys are deleted afterwards."""
    url = f"{REDIS}?prefix=mixcast-test-{secrets.token_hex(8)}"
    storage = open_limits_storage(url)
    if not await storage.check():
        pytest.fail(f"Redis does not answer at {REDIS}: start it (CI does)")
    yield url
    await storage.reset()


def server_env(database_url: str, data_dir: Path, ratelimit_url: str) -> dict[str, str]:
    return {
        "MIXCAST_DATABASE_URL": database_url,
        "MIXCAST_DATA_DIR": str(data_dir),
        "MIXCAST_RATELIMIT_URL": ratelimit_url,  # "": memory, this process only
        "MIXCAST_RATELIMIT_WRITE": f"{LIMIT}/minute",
        "MIXCAST_RATELIMIT_READ": "100000/minute",
    }


async def burst(bases: list[str], token: str) -> list[tuple[str, httpx.Response]]:
    """``BURST`` follows and unfollows with one token, all at once, dealt over ``bases`` in
    turn; each server gets POSTs and DELETEs alike. Answers with the base each went to."""
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=BURST)) as client:

        async def one(i: int) -> tuple[str, httpx.Response]:
            base = bases[i % len(bases)]
            method = "POST" if (i // len(bases)) % 2 == 0 else "DELETE"
            url = f"{base}/api/target/follow/"
            return base, await client.request(method, url, params={"access_token": token})

        return list(await asyncio.gather(*(one(i) for i in range(BURST))))


def admitted(answers: list[tuple[str, httpx.Response]]) -> list[str]:
    """Check every answer; return the base of each admitted one."""
    bases = []
    for _, response in answers:
        assert response.status_code < 500, response.text
        for header in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            assert response.headers[header].isdigit(), (header, response.headers)
        assert response.headers["X-RateLimit-Limit"] == str(LIMIT)
        assert int(response.headers["X-RateLimit-Reset"]) >= math.floor(time.time())
    for base, response in answers:
        if response.status_code == 200:
            message = response.json()["result"]["message"]
            assert message in ("Now following Target", "No longer following Target"), message
            assert response.json() == {"result": {"success": True, "message": message}}
            assert int(response.headers["X-RateLimit-Remaining"]) < LIMIT
            bases.append(base)
            continue
        assert response.status_code == 403, response.text
        retry_after = response.headers["Retry-After"]
        # At most the window, plus 1: the reset is rounded up and "now" down to whole seconds.
        assert retry_after.isdigit() and 1 <= int(retry_after) <= 60, retry_after
        assert response.json() == {
            "error": {
                "message": MESSAGE.format(retry_after),
                "type": "RateLimitException",
                "retry_after": int(retry_after),
            }
        }
        assert response.headers["X-RateLimit-Remaining"] == "0"
    return bases


def clear_of_minute_boundary(margin: float = 3.0) -> None:
    """The memory storage's windows start on the clock's minutes: a burst that straddles one
    may admit a few more (the previous minute's count weighs slightly less than 1). Wait out
    the last ``margin`` seconds of a minute. (Redis windows start at a key's first hit.)"""
    into = time.time() % 60
    if into > 60 - margin:
        time.sleep(60 - into + 0.05)


async def test_two_processes_on_one_redis_admit_the_limit_exactly(
    database_url, tmp_path, token, redis_url
):
    env = server_env(database_url, tmp_path, redis_url)
    with serving(env) as first, serving(env) as second:
        answers = await burst([first.base, second.base], token)
    bases = admitted(answers)
    assert len(bases) == LIMIT, f"{len(bases)} of {BURST} admitted, limit {LIMIT}"
    assert {first.base, second.base} == {base for base, _ in answers}


async def test_memory_storage_counts_per_process(database_url, tmp_path, token):
    env = server_env(database_url, tmp_path, "")
    with serving(env) as first, serving(env) as second:
        clear_of_minute_boundary()
        answers = await burst([first.base, second.base], token)
    bases = admitted(answers)
    # Each process counts alone: each admits the limit, twice the limit in all.
    assert sorted(bases) == sorted([first.base, second.base] * LIMIT), bases
