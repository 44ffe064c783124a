"""A ``mixcast worker`` killed with SIGKILL in the middle of a show's job: another worker takes
the show over as soon as the dead one's lease has passed, and the show becomes ready exactly
once, with whole media and nothing left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import pytest

from mixcast.clock import now_us
from mixcast.db.database import Query
from mixcast.services import Services, open_services
from mixcast.settings import Settings
from tests.api.uploading import audio_file, post_upload
from tests.conftest import client_of
from tests.factories import make_token, make_user
from tests.servers import working

QUICK_TO_MAKE = {"container": "wav", "codec": "pcm_s16le", "rate": 22_050, "layout": "mono"}

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

SECONDS = 150  # of audio: processing takes a few seconds, time enough to kill the worker in it
LEASE = 3  # MIXCAST_JOB_LEASE, seconds


@pytest.fixture
async def own_storage(
    settings: Settings, tmp_path: Path, services: Services
) -> AsyncIterator[Services]:
    """The test's database (``services`` emptied it) with its files in a folder of its own,
    the one the workers are given, so every file under a show's folder is this test's."""
    opened = await open_services(replace(settings, storage_url=f"file://{tmp_path / 'media'}"))
    try:
        yield opened
    finally:
        await opened.close()


def worker_env(services: Services) -> dict[str, str]:
    settings = services.settings
    return {
        "MIXCAST_DATABASE_URL": settings.effective_database_url,
        "MIXCAST_DATA_DIR": str(settings.data_dir),  # the queue file the upload wrote to
        "MIXCAST_STORAGE_URL": settings.effective_storage_url,
        "MIXCAST_JOB_LEASE": str(LEASE),
    }


async def show(services: Services, show_id: int) -> dict[str, Any]:
    row = await services.db.fetch_one(
        Query(
            "SELECT s.status, s.lease_until, s.stream_blob, s.waveform_blob, s.audio_length,"
            " u.cloudcast_count FROM shows s JOIN users u ON u.id = s.owner_id WHERE s.id = :id"
        ),
        {"id": show_id},
    )
    assert row is not None
    return dict(row)


async def wait_for_status(services: Services, show_id: int, status: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (await show(services, show_id))["status"] != status:
        if time.monotonic() > deadline:
            pytest.fail(f"show {show_id} never became {status}")
        time.sleep(0.05)


def job_dirs(services: Services, pid: int) -> list[Path]:
    root = services.settings.tmp_dir / "jobs"
    return list(root.glob(f"job-{pid}-*")) if root.is_dir() else []


def decoded_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / stream.sample_rate


async def test_a_worker_killed_mid_job_is_taken_over_and_the_show_made_ready_once(
    own_storage: Services, tmp_path: Path
):
    services = own_storage
    # A WAV of mono 22 kHz: quick to make here, the pipeline's full work to encode.
    mp3 = audio_file(tmp_path, "long.wav", SECONDS, **QUICK_TO_MAKE)
    user = await make_user(services, "spartacus", is_pro=True)
    token = await make_token(services, user)
    async with client_of(services) as client:
        response = await post_upload(client, token, {"name": "Killed mid job"}, mp3)
    assert response.status_code == 200, response.text
    show_id: int = await services.db.fetch_value(Query("SELECT id FROM shows"))
    assert services.jobs.pending() == 1
    env = worker_env(services)

    with working(env, "--threads", "1") as first:
        pid = first.process.pid
        await wait_for_status(services, show_id, "processing", timeout=20)
        deadline = time.monotonic() + 10
        while not job_dirs(services, pid):  # decoding into its scratch folder
            assert time.monotonic() < deadline, "the job never made its scratch folder"
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)
        first.process.wait(timeout=10)
    killed = await show(services, show_id)
    assert killed["status"] == "processing" and killed["stream_blob"] is None
    assert job_dirs(services, pid) != []  # what the dead worker left behind

    expires = killed["lease_until"]  # its heartbeat's last renewal, at most a lease from now
    assert expires <= now_us() + LEASE * 1_000_000
    while now_us() <= expires:
        time.sleep(0.05)
    with working(env, "--threads", "1") as second:
        await wait_for_status(services, show_id, "ready", timeout=20)
        took = (now_us() - expires) / 1e6
    assert "Traceback" not in second.output, second.output
    assert took < 15, f"ready {took:.1f} s after the lease passed"

    done = await show(services, show_id)
    assert done["audio_length"] == SECONDS and done["lease_until"] is None
    assert done["cloudcast_count"] == 1  # listed once
    listed = await services.db.fetch_all(
        Query("SELECT user_id, published_at FROM profile_shows WHERE show_id = :id"),
        {"id": show_id},
    )
    assert len(listed) == 1 and listed[0]["published_at"] is not None
    counters = subprocess.run(
        [sys.executable, "-m", "mixcast", "check-counters"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert counters.returncode == 0, counters.stdout + counters.stderr

    # Whole media, under the show's fixed keys and nothing else there (no partial file).
    folder = tmp_path / "media" / "shows" / str(show_id)
    assert sorted(p.name for p in folder.iterdir()) == ["stream.mp3", "waveform.json"]
    stream = services.store.local_path(done["stream_blob"])
    assert stream is not None and abs(decoded_seconds(stream) - SECONDS) < 0.1
    peaks = json.loads(services.store.get_bytes(done["waveform_blob"]))
    pixels_seconds = peaks["length"] * peaks["samples_per_pixel"] / peaks["sample_rate"]
    assert len(peaks["data"]) == 2 * peaks["length"] and abs(pixels_seconds - SECONDS) < 1
    # The dead worker's scratch folder went at the second one's start; no job left one.
    assert list((services.settings.tmp_dir / "jobs").iterdir()) == []
