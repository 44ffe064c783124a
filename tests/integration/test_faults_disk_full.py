"""The upload folder filling up (a 1 MiB tmpfs mounted over it): an upload that does not fit is
refused with 507 in the API's error shape and leaves nothing behind (no temporary file, no
show, no blob), so the next upload that fits goes through. A job folder that fills up puts the
show back to ``received`` for a retry, rather than failing it; a full storage disk refuses the
upload with 503 and keeps nothing. Needs root, to mount."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from mixcast.db.database import Query
from mixcast.services import Services, open_services
from mixcast.uploads.pipeline import process_show
from tests.api.uploading import audio_file, leftover_temp_files, post_upload, show_count
from tests.conftest import assert_api_error, client_of
from tests.factories import make_token, make_user
from tests.servers import serving

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

SPACE = 1024 * 1024
TOO_BIG = os.urandom(3 * SPACE)  # refused at the write that fills the folder, before probing


@contextmanager
def small_disk(folder: Path) -> Iterator[Path]:
    """``folder`` as a file system of ``SPACE`` bytes, for the duration."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SPACE},mode=0700", "tmpfs", str(folder)],
        check=True,
        capture_output=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True, capture_output=True)


def assert_out_of_space(response: httpx.Response) -> None:
    body = assert_api_error(response, status=507, type="InsufficientStorageException")
    assert body["error"]["message"] == "The server is out of temporary space; try again later."
    assert response.headers["retry-after"] == "5"


def originals(services: Services) -> set[str]:
    return {info.key for info in services.store.list("originals/")}


async def test_an_upload_that_does_not_fit_is_refused_and_leaves_nothing(
    services: Services, tmp_path: Path
) -> None:
    token = await make_token(services, await make_user(services, "spartacus", is_pro=True))
    mp3 = audio_file(tmp_path, seconds=3.0)
    before = originals(services)
    with small_disk(services.settings.tmp_dir / "uploads") as folder:
        async with client_of(services) as client:
            refused = await post_upload(client, token, {"name": "Too Big"}, TOO_BIG)
            assert_out_of_space(refused)
            assert list(folder.iterdir()) == []
            assert await show_count(services) == 0
            assert originals(services) == before
            # Nothing was left taking the space: an upload that fits goes through.
            fits = await post_upload(client, token, {"name": "Fits"}, mp3)
            assert fits.status_code == 200, fits.text
            assert list(folder.iterdir()) == []
    assert await show_count(services) == 1
    assert leftover_temp_files(services) == []


async def test_a_real_server_refuses_an_upload_that_does_not_fit(
    database_url: str, tmp_path: Path, services: Services
) -> None:
    token = await make_token(services, await make_user(services, "spartacus", is_pro=True))
    env = {"MIXCAST_DATABASE_URL": database_url, "MIXCAST_DATA_DIR": str(tmp_path)}
    with small_disk(tmp_path / "tmp" / "uploads") as folder, serving(env) as served:
        async with httpx.AsyncClient(base_url=served.base, timeout=30) as client:
            refused = await post_upload(client, token, {"name": "Too Big"}, TOO_BIG)
        assert_out_of_space(refused)
        assert list(folder.iterdir()) == []
    assert await show_count(services) == 0
    assert "the upload folder" in served.output and "is full" in served.output


async def test_a_job_folder_that_fills_up_gives_the_show_back_for_a_retry(
    services: Services, tmp_path: Path
) -> None:
    token = await make_token(services, await make_user(services, "spartacus"))
    # 90 s streams as about 1.4 MB of MP3: more than the job folder holds.
    wav = audio_file(tmp_path, "long.wav", 90.0, container="wav", codec="pcm_s16le", layout="mono")
    async with client_of(services) as client:
        assert (await post_upload(client, token, {"name": "Long"}, wav)).status_code == 200
    show = Query("SELECT id, status, failure_reason, stream_blob FROM shows")
    row = await services.db.fetch_one(show)
    assert row is not None
    # The media folder is shared by the run's tests, whose show ids restart at 1: compare.
    stored_before = set(services.store.list(f"shows/{row['id']}/"))
    with small_disk(tmp_path / "small-jobs") as folder:
        with pytest.raises(OSError) as raised:
            await process_show(services.db, services.store, folder, row["id"])
        assert raised.value.errno == 28  # ENOSPC: raised, so the queue retries the job
        assert list(folder.iterdir()) == []  # the scratch folder and its partial MP3 are gone
    row = await services.db.fetch_one(show)
    assert row is not None
    assert (row["status"], row["failure_reason"], row["stream_blob"]) == ("received", None, None)
    assert set(services.store.list(f"shows/{row['id']}/")) == stored_before  # nothing stored
    # With room again, the retry makes it ready.
    assert await process_show(services.db, services.store, tmp_path / "jobs", row["id"]) == "ready"


async def test_a_full_media_disk_refuses_the_upload_with_503_and_keeps_nothing(
    services: Services, tmp_path: Path
) -> None:
    token = await make_token(services, await make_user(services, "spartacus"))
    # 30 s of mono WAV: about 2.6 MB, more than the storage disk has left.
    wav = audio_file(tmp_path, "long.wav", 30.0, container="wav", codec="pcm_s16le", layout="mono")
    with small_disk(tmp_path / "media") as media:
        settings = replace(services.settings, storage_url=f"file://{media}")
        full = await open_services(settings)
        try:
            before = sorted(p.relative_to(media) for p in media.rglob("*") if p.is_file())
            async with client_of(full) as client:
                refused = await post_upload(client, token, {"name": "Long"}, wav)
            body = assert_api_error(refused, status=503, type="StorageUnavailableException")
            assert body["error"]["message"] == "Storage is unavailable; try again later."
            assert refused.headers["retry-after"] == "5"
            after = sorted(p.relative_to(media) for p in media.rglob("*") if p.is_file())
            assert after == before  # no original, no partial ``.tmp-`` file
            assert leftover_temp_files(full) == []
        finally:
            await full.close()
    assert await show_count(services) == 0
