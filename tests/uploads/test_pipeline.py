"""The media pipeline and the sweep as a worker runs them: a claim per run, steps that are
skipped when done, a failure stored on the row, a dead worker's show taken over once its lease
has passed, and the leftovers of crashes cleared. Leases and overlapping runs:
test_pipeline_leases.py."""

from __future__ import annotations

import datetime
import os
import time
from pathlib import Path
from typing import Any

import pytest

from mixcast.db.counters import drifted
from mixcast.db.database import Query
from mixcast.services import Services
from mixcast.storage import LocalStore
from mixcast.uploads.pipeline import LEASE_US, process_show, stream_key
from mixcast.uploads.sweep import sweep_job_dirs, sweep_orphan_originals, unfinished_shows
from mixcast.worker import PROCESS_SHOW, run_resend_unfinished
from tests.api.uploading import audio_file, post_upload
from tests.conftest import api_get
from tests.factories import make_token, make_user

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="session")
def session_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return audio_file(tmp_path_factory.mktemp("pipeline-audio"), seconds=6.0)


@pytest.fixture
async def received(client, services: Services, session_mp3: Path) -> dict[str, Any]:
    """A show just uploaded, its job queued but not run."""
    user = await make_user(services, "spartacus", is_pro=True)
    token = await make_token(services, user)
    response = await post_upload(client, token, {"name": "Fresh", "tags-0-tag": "Dub"}, session_mp3)
    assert response.status_code == 200, response.text
    row = await services.db.fetch_one(Query("SELECT * FROM shows"))
    assert row is not None
    return {"id": row["id"], "row": row, "token": token}


async def status(services: Services, show_id: int) -> dict[str, Any]:
    row = await services.db.fetch_one(
        Query("SELECT status, failure_reason, lease_until, stream_blob FROM shows WHERE id = :id"),
        {"id": show_id},
    )
    assert row is not None
    return dict(row)


def work_root(services: Services) -> Path:
    return services.settings.tmp_dir / "jobs"


async def test_a_job_runs_once_and_a_second_run_finds_nothing_to_do(services, received):
    show_id = received["id"]
    assert services.jobs.pending() == 1
    assert await process_show(services.db, services.store, work_root(services), show_id) == "ready"
    assert await process_show(services.db, services.store, work_root(services), show_id) is None
    assert (await status(services, show_id))["status"] == "ready"
    assert list(work_root(services).iterdir()) == []  # the scratch folder went with the job


async def test_an_unreadable_original_fails_the_show_with_its_reason(client, services, received):
    show_id = received["id"]
    path = services.store.local_path(received["row"]["original_blob"])
    assert path is not None
    path.write_bytes(b"")  # the stored original lost its bytes after it was probed
    result = await process_show(services.db, services.store, work_root(services), show_id)
    assert result == "failed"
    state = await status(services, show_id)
    assert state["failure_reason"] and state["lease_until"] is None
    own = (await api_get(client, "/spartacus/fresh/", access_token=received["token"])).json()
    assert own["upload_status"] == "failed" and own["upload_error"] == state["failure_reason"]
    assert (await api_get(client, "/spartacus/fresh/")).status_code == 404
    assert (await api_get(client, "/spartacus/")).json()["cloudcast_count"] == 0


async def test_a_dead_workers_claim_is_taken_over_after_its_lease(services, received):
    show_id, now = received["id"], 1_900_000_000_000_000
    await services.db.execute(
        Query("UPDATE shows SET status = 'processing', lease_until = :until WHERE id = :id"),
        {"id": show_id, "until": now + LEASE_US},
    )  # a worker claimed it, then died
    root = work_root(services)
    assert await process_show(services.db, services.store, root, show_id, lambda: now) is None
    later = now + LEASE_US + 1
    assert await process_show(services.db, services.store, root, show_id, lambda: later) == "ready"


async def test_a_finished_step_is_not_redone(services, received):
    show_id = received["id"]
    root = work_root(services)
    assert await process_show(services.db, services.store, root, show_id) == "ready"
    stream = services.store.local_path(stream_key(show_id))
    assert stream is not None
    made = stream.stat().st_mtime_ns
    # As if the worker died after making the stream: processing again, lease gone.
    await services.db.execute(
        Query("UPDATE shows SET status = 'processing', lease_until = 0 WHERE id = :id"),
        {"id": show_id},
    )
    assert await process_show(services.db, services.store, root, show_id) == "ready"
    assert stream.stat().st_mtime_ns == made
    async with services.db.reading() as conn:
        assert await drifted(conn) == []


async def test_forgotten_jobs_are_sent_again(services, received):
    show_id = received["id"]
    await services.jobs.run_pending(services)  # the queue is empty again
    await services.db.execute(
        Query("UPDATE shows SET status = 'received', updated_at = 0 WHERE id = :id"),
        {"id": show_id},
    )  # as if the server died between the commit and sending the job
    assert await unfinished_shows(services.db, int(time.time() * 1e6)) == [show_id]
    assert await run_resend_unfinished(services) == 1 and services.jobs.pending() == 1
    assert await services.jobs.run_pending(services) == 1
    assert (await status(services, show_id))["status"] == "ready"
    assert await run_resend_unfinished(services) == 0 and services.jobs.pending() == 0
    assert PROCESS_SHOW == "process_show"


async def test_the_sweep_deletes_originals_nobody_references(services, received, tmp_path):
    store = LocalStore(tmp_path / "store")  # the run's shared folder holds other tests' files
    referenced = received["row"]["original_blob"]
    hour = referenced.split("/")[1]
    orphan = f"originals/{hour}/{'ab' * 16}.audio"
    store.put_bytes(referenced, b"an upload's original")
    store.put_bytes(orphan, b"left by a crash")
    now = time.time()
    assert await sweep_orphan_originals(services.db, store, now) == 0  # too young
    assert await sweep_orphan_originals(services.db, store, now + 3601) == 1
    assert not store.exists(orphan)
    assert store.exists(referenced)


async def test_job_folders_of_dead_processes_are_removed(tmp_path):
    dead = tmp_path / "job-999999999-x"
    alive = tmp_path / f"job-{os.getpid()}-y"
    other = tmp_path / "keep-me"
    for folder in (dead, alive, other):
        folder.mkdir()
        (folder / "stream.mp3").write_bytes(b"partial")
    assert sweep_job_dirs(tmp_path) == 1
    assert not dead.exists() and alive.exists() and other.exists()


async def test_the_periodic_jobs_are_due_on_their_schedules(services):
    def due(hour: int, minute: int) -> set[str]:
        when = datetime.datetime(2026, 12, 1, hour, minute)
        return {task.name for task in services.jobs.huey.read_periodic(when)}

    every_minute = {"publish_scheduled", "resend_unfinished"}
    assert due(12, 0) == every_minute | {"sweep"}
    assert due(12, 1) == every_minute
    assert due(12, 10) == every_minute | {"sweep"}
