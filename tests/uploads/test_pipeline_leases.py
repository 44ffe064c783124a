"""The pipeline's lease, with real decodes on the test's event loop: a slow run keeps its show
(the heartbeat renews the lease), a run taken over writes nothing, a dead run's show is re-sent
the moment its lease has passed, and two overlapping runs make the show ready, and list it,
once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from mixcast.clock import now_us
from mixcast.db.counters import drifted
from mixcast.db.database import Query
from mixcast.services import Services
from mixcast.uploads.pipeline import process_show, stream_key, waveform_key
from mixcast.uploads.sweep import _UNFINISHED, unfinished_shows
from tests.api.uploading import audio_file, post_upload
from tests.factories import make_token, make_user

QUICK_TO_MAKE = {"container": "wav", "codec": "pcm_s16le", "rate": 22_050, "layout": "mono"}

pytestmark = pytest.mark.anyio

LEASE_US = 300_000  # the heartbeat renews it every 75 ms
SECONDS = 90  # of audio: processing takes 0.6 s or more here, a few leases
SLOW_SECONDS = 300  # processing takes 2 s or more here: at least seven leases


def long_audio(factory: pytest.TempPathFactory, seconds: int) -> Path:
    # A WAV of mono 22 kHz: quick to make here, the pipeline's full work to encode.
    return audio_file(factory.mktemp("lease-audio"), "long.wav", seconds, **QUICK_TO_MAKE)


@pytest.fixture(scope="module")
def long_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return long_audio(tmp_path_factory, SECONDS)


@pytest.fixture(scope="module")
def longer_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return long_audio(tmp_path_factory, SLOW_SECONDS)


async def upload(client: Any, services: Services, audio: Path) -> int:
    """A public show just uploaded, its job queued but not run."""
    user = await make_user(services, "spartacus", is_pro=True)
    token = await make_token(services, user)
    response = await post_upload(client, token, {"name": "Long one"}, audio)
    assert response.status_code == 200, response.text
    value: int = await services.db.fetch_value(Query("SELECT id FROM shows"))
    # The run's storage is shared by the tests, whose databases all start at show 1.
    services.store.delete_prefix(f"shows/{value}/")
    return value


@pytest.fixture
async def show_id(client, services: Services, long_mp3: Path) -> int:
    return await upload(client, services, long_mp3)


@pytest.fixture
async def slow_show_id(client, services: Services, longer_mp3: Path) -> int:
    return await upload(client, services, longer_mp3)


def run(services: Services, show_id: int, **options: Any) -> asyncio.Task[str | None]:
    """One run of the job, as a worker thread would start it, on this event loop."""
    root = services.settings.tmp_dir / "jobs"
    job = process_show(services.db, services.store, root, show_id, lease_us=LEASE_US, **options)
    return asyncio.ensure_future(job)


async def state(services: Services, show_id: int) -> dict[str, Any]:
    row = await services.db.fetch_one(
        Query(
            "SELECT s.status, s.lease_until, s.stream_blob, s.published_at, u.cloudcast_count"
            " FROM shows s JOIN users u ON u.id = s.owner_id WHERE s.id = :id"
        ),
        {"id": show_id},
    )
    assert row is not None
    return dict(row)


async def until_processing(services: Services, show_id: int) -> dict[str, Any]:
    for _ in range(200):
        now = await state(services, show_id)
        if now["status"] == "processing":
            return now
        await asyncio.sleep(0.01)
    pytest.fail("the run never claimed the show")


async def listed_rows(services: Services, show_id: int) -> int:
    value: int = await services.db.fetch_value(
        Query("SELECT COUNT(*) FROM profile_shows WHERE show_id = :id AND published_at > 0"),
        {"id": show_id},
    )
    return value


async def test_a_slow_run_keeps_its_show_while_its_lease_is_renewed(services, slow_show_id):
    show_id = slow_show_id
    started = time.monotonic()
    first = run(services, show_id)
    leases = {(await until_processing(services, show_id))["lease_until"]}
    others = []
    while not first.done():  # other workers try the show all along: it is never theirs
        others.append(await run(services, show_id))
        now = await state(services, show_id)
        if now["status"] == "processing":
            leases.add(now["lease_until"])
        await asyncio.sleep(0.05)
    assert await first == "ready"
    took = time.monotonic() - started
    assert took > 4 * LEASE_US / 1e6, "the run must outlast its first lease for this to show"
    assert others and set(others) == {None}
    assert len(leases) >= 3 and max(leases) - min(leases) > LEASE_US  # renewed, and moved on
    assert (await state(services, show_id))["cloudcast_count"] == 1


async def test_a_run_taken_over_writes_nothing(services, show_id):
    first = run(services, show_id)
    claimed = await until_processing(services, show_id)
    # Another worker's claim, as the pipeline makes it once this run's lease has passed (this
    # run stalled): a later lease_until, which this run does not hold.
    theirs = claimed["lease_until"] + 3600 * 1_000_000
    await services.db.execute(
        Query("UPDATE shows SET lease_until = :until WHERE id = :id"),
        {"id": show_id, "until": theirs},
    )
    assert await first is None
    after = await state(services, show_id)
    assert after == {**claimed, "lease_until": theirs}  # still the other run's, unfinished
    assert after["stream_blob"] is None and after["cloudcast_count"] == 0
    assert not services.store.exists(stream_key(show_id))  # no media written
    assert not services.store.exists(waveform_key(show_id))
    assert await listed_rows(services, show_id) == 0
    assert list((services.settings.tmp_dir / "jobs").iterdir()) == []  # its scratch is gone


async def test_two_overlapping_runs_make_the_show_ready_once(services, show_id):
    # The first run's clock is ten leases behind: its lease has always passed for the others,
    # as if it had stalled; the second takes the show over while the first still decodes.
    stalled = run(services, show_id, clock=lambda: now_us() - 10 * LEASE_US)
    await until_processing(services, show_id)
    second = run(services, show_id)
    assert [await stalled, await second] == [None, "ready"]
    after = await state(services, show_id)
    assert after["status"] == "ready" and after["lease_until"] is None
    assert after["cloudcast_count"] == 1 and await listed_rows(services, show_id) == 1
    assert services.store.exists(stream_key(show_id))
    async with services.db.reading() as conn:
        assert await drifted(conn) == []
    assert await run(services, show_id) is None  # and nothing left to do


async def test_a_processing_show_is_resent_right_after_its_lease(services, show_id):
    now = now_us()
    await services.db.execute(
        Query(
            "UPDATE shows SET status = 'processing', lease_until = :until, updated_at = :now"
            " WHERE id = :id"
        ),
        {"id": show_id, "until": now + LEASE_US, "now": now},
    )  # claimed a moment ago, by a worker that died at once
    assert await unfinished_shows(services.db, now + LEASE_US) == []  # still its lease
    assert await unfinished_shows(services.db, now + LEASE_US + 1) == [show_id]
    await services.db.execute(
        Query("UPDATE shows SET status = 'received', lease_until = NULL WHERE id = :id"),
        {"id": show_id},
    )  # just uploaded: its job is on its way, not forgotten
    assert await unfinished_shows(services.db, now + 59_000_000) == []
    assert await unfinished_shows(services.db, now + 61_000_000) == [show_id]


async def test_the_resend_query_reads_the_unfinished_index(services):
    params = {"now": 1, "quiet": 1}
    if services.db.dialect == "sqlite":
        rows = await services.db.fetch_all(Query("EXPLAIN QUERY PLAN " + _UNFINISHED.text), params)
        plan = "\n".join(str(row["detail"]) for row in rows)
    else:
        async with services.db.transaction() as tx:
            await tx.execute(Query("SET LOCAL enable_seqscan = off"))
            rows = await tx.fetch_all(Query("EXPLAIN " + _UNFINISHED.text), params)
        plan = "\n".join(str(row[0]) for row in rows)
    assert "ix_shows_unfinished" in plan, plan
    assert "SCAN shows" not in plan and "Seq Scan" not in plan, plan
