"""PostgreSQL restarted under a real ``mixcast serve``: while the database is down, API reads,
API writes and site pages fail at once and cleanly (503 in the API's error shape or the site's
error page, ``Retry-After``, one log line each, no traceback); once it is back, the same
requests succeed without restarting mixcast, and the write tried during the outage left nothing.

The database server is a private cluster (``tests.pgcluster``): the shared one is never stopped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from mixcast.accounts.users import create_user
from mixcast.db.database import Query, connect
from mixcast.db.migrate import upgrade
from mixcast.db.urls import DatabaseURL
from mixcast.errors import DatabaseUnavailable
from mixcast.services import open_services
from tests.conftest import make_settings
from tests.factories import make_token, make_user
from tests.pgcluster import Cluster, private_cluster
from tests.servers import serving

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

QUICK = 5.0  # seconds: a request during the outage is answered well within this


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with private_cluster() as pg:
        yield pg


def mixcast(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mixcast", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def timed(request: httpx.Request, http: httpx.AsyncClient) -> httpx.Response:
    started = time.monotonic()
    response = await http.send(request)
    assert time.monotonic() - started < QUICK, f"{request.url} took too long"
    return response


def assert_unavailable_json(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["retry-after"] == "5"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == {
        "error": {
            "type": "ServiceUnavailableException",
            "message": "The service is unavailable; try again later.",
        }
    }


async def test_database_restarts_fail_requests_cleanly_then_recover(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Two outages under one server: a restart (``fast``: clients told, then disconnected)
    and a crash (``immediate``: connections simply die)."""
    url = cluster.create_database("mixcast_restart")
    env = {"MIXCAST_DATABASE_URL": url, "MIXCAST_DATA_DIR": str(tmp_path)}
    migrated = mixcast(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    services = await open_services(make_settings(url, tmp_path, tmp_path / "media"))
    try:
        fan = await make_user(services, "spartacus")
        await make_user(services, "alice")
        token = await make_token(services, fan)
    finally:
        await services.close()
    auth = {"Authorization": f"Bearer {token}"}
    failed = 0

    with serving(env) as served:
        async with httpx.AsyncClient(base_url=served.base, timeout=30) as http:

            def requests() -> dict[str, httpx.Request]:
                return {
                    "read": http.build_request("GET", "/api/alice/"),
                    "list": http.build_request("GET", "/api/spartacus/following/"),
                    "write": http.build_request("POST", "/api/alice/follow/", headers=auth),
                    "page": http.build_request("GET", "/alice/"),
                }

            for mode in ("fast", "immediate"):
                # Not following before the outage, so the follow tried during it is the test.
                unfollow = await http.delete("/api/alice/follow/", headers=auth)
                assert unfollow.status_code == 200, unfollow.text

                cluster.stop(mode)
                during = {name: await timed(r, http) for name, r in requests().items()}
                for name in ("read", "list", "write"):
                    assert_unavailable_json(during[name])
                page = during["page"]
                assert page.status_code == 503
                assert page.headers["content-type"].startswith("text/html")
                assert page.headers["retry-after"] == "5"
                assert "try again later" in page.text and "Traceback" not in page.text
                failed += len(during)

                cluster.start()  # mixcast is not restarted: its pool reconnects by itself
                after = {name: await timed(r, http) for name, r in requests().items()}
                statuses = {n: r.status_code for n, r in after.items()}
                assert statuses == dict.fromkeys(after, 200), mode
                assert after["read"].json()["follower_count"] == 0  # "read" ran before "write"
                assert after["list"].json()["data"] == []  # the outage's follow left nothing
                following = (await http.get("/api/spartacus/following/")).json()["data"]
                assert [user["username"] for user in following] == ["alice"]  # "write" did

    counters = mixcast(env, "check-counters")
    assert counters.returncode == 0, counters.stdout + counters.stderr
    # One warning line per failed request, naming the cause; no traceback (``serving``).
    warnings = [line for line in served.output.splitlines() if "database unavailable" in line]
    assert len(warnings) == failed, served.output


async def test_a_transaction_cut_off_by_the_restart_leaves_nothing(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    """A query in flight when the server stops: ``DatabaseUnavailable`` (logged once, though
    the rollback fails too), the transaction's insert is gone, and the same pool works again."""
    url = DatabaseURL.parse(cluster.create_database("mixcast_cut_off"))
    await anyio.to_thread.run_sync(upgrade, url)
    db = await connect(url)
    users = Query("SELECT COUNT(*) FROM users")
    sleeping = Query("SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")
    try:

        async def cut_off() -> None:
            async with db.transaction() as tx:
                await create_user(tx, username="spartacus", display_name="S", now=1)
                await tx.fetch_value(Query("SELECT pg_sleep(30)"))

        task = asyncio.create_task(cut_off())
        with anyio.fail_after(10):
            while not await db.fetch_value(sleeping):
                await asyncio.sleep(0.02)
        caplog.set_level(logging.WARNING, "mixcast.db")
        await anyio.to_thread.run_sync(cluster.stop, "fast")
        with anyio.fail_after(QUICK), pytest.raises(DatabaseUnavailable):
            await task
        with anyio.fail_after(QUICK), pytest.raises(DatabaseUnavailable):
            await db.fetch_value(users)
        outage = [r for r in caplog.records if r.name == "mixcast.db"]
        assert len(outage) == 2 and not any(r.exc_info for r in outage), outage

        await anyio.to_thread.run_sync(cluster.start)
        assert await db.fetch_value(users) == 0
        async with db.transaction() as tx:  # writes work again on the same pool
            await create_user(tx, username="spartacus", display_name="S", now=1)
        assert await db.fetch_value(users) == 1
    finally:
        await db.close()
