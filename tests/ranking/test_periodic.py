"""The in-process periodic runner, its setting, the app's lifespan starting it, and
``mixcast rank``."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from typing import Any

import pytest

from mixcast.__main__ import main
from mixcast.app import MixcastApp
from mixcast.db.database import Query
from mixcast.errors import ConfigError
from mixcast.jobs.periodic import Periodic
from mixcast.services import Services
from mixcast.settings import Settings
from mixcast.shows.engagement import record_listen
from tests.factories import T0, make_show, make_user

SCORES = Query("SELECT popular_score, hot_score FROM shows WHERE id = :id")


async def _until(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


@pytest.mark.anyio
async def test_runs_again_and_again_and_stops() -> None:
    calls: list[int] = []

    async def job() -> None:
        calls.append(1)

    runner = Periodic("test", 0.01, job).start()
    await _until(lambda: runner.runs >= 3)
    await runner.stop()
    stopped_at = len(calls)
    await asyncio.sleep(0.05)
    assert len(calls) == stopped_at  # nothing runs after stop
    await runner.stop()  # twice is harmless


@pytest.mark.anyio
async def test_a_failure_is_logged_and_the_next_run_comes(caplog: pytest.LogCaptureFixture) -> None:
    outcomes = iter([RuntimeError("boom"), None, None])

    async def job() -> None:
        outcome = next(outcomes, None)
        if outcome is not None:
            raise outcome

    caplog.set_level(logging.ERROR, "mixcast.jobs")
    runner = Periodic("flaky", 0.01, job).start()
    await _until(lambda: runner.runs >= 3)
    await runner.stop()
    assert runner.failures == 1
    assert "flaky failed" in caplog.text and "boom" in caplog.text


@pytest.mark.anyio
async def test_stop_cancels_a_run_in_progress() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def job() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    runner = Periodic("slow", 60, job).start()
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(runner.stop(), 5)
    assert cancelled.is_set()


def test_an_interval_must_be_positive() -> None:
    async def job() -> None: ...

    with pytest.raises(ValueError):
        Periodic("never", 0, job)


def test_rank_interval_setting() -> None:
    assert Settings.from_env({}).rank_interval == 300
    assert Settings.from_env({"MIXCAST_RANK_INTERVAL": "0"}).rank_interval == 0
    assert Settings.from_env({"MIXCAST_RANK_INTERVAL": " 60 "}).rank_interval == 60
    for wrong in ("-1", "1.5", "five", "６０"):
        with pytest.raises(ConfigError, match="MIXCAST_RANK_INTERVAL"):
            Settings.from_env({"MIXCAST_RANK_INTERVAL": wrong})


async def _lifespan(app: MixcastApp, stop: asyncio.Event) -> list[str]:
    """Drive the app's lifespan: start it, wait for ``stop``, shut it down."""
    sent: list[str] = []
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})

    async def receive() -> dict[str, str]:
        return await inbox.get()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            await stop.wait()
            await inbox.put({"type": "lifespan.shutdown"})

    await app({"type": "lifespan"}, receive, send)  # type: ignore[arg-type]
    return sent


@pytest.mark.anyio
async def test_the_lifespan_runs_the_ranking_and_stops_it(services: Services) -> None:
    owner = await make_user(services, "owner")
    show_id, _ = await make_show(services, owner, "Played")
    async with services.db.transaction() as tx:
        await record_listen(tx, show_id, user_id=owner, listener=f"u:{owner}", now=T0)
    settings = dataclasses.replace(services.settings, rank_interval=1)
    app = MixcastApp(settings, services)
    stop = asyncio.Event()

    async def scored() -> None:
        while True:
            row = await services.db.fetch_one(SCORES, {"id": show_id})
            if row is not None and row["popular_score"] > 0:
                stop.set()
                return
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(asyncio.wait_for(scored(), 10))
    sent = await asyncio.wait_for(_lifespan(app, stop), 15)
    await watcher
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "periodic:ranking"]


def test_rank_command(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MIXCAST_DATABASE_URL", database_url)
    assert main(["rank"]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(
        r"ranked [\d,]+ shows from [\d,]+ events: [\d,]+ changed \([\d,]+ dropped to 0\)"
        r" in [\d.]+ s\n",
        out,
    ), out
