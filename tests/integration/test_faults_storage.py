"""S3-compatible storage going away (a real SeaweedFS behind a relay the test cuts): what needs
storage answers a clear 503 with ``Retry-After`` (the site's error page for media, the API's
error shape for an upload, which keeps nothing), what does not need it still answers, and a
media job cut off mid-way puts its show back to ``received`` with nothing half-written, to
finish once storage is back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mixcast.db.database import Query
from mixcast.services import Services, open_services
from mixcast.storage import StorageUnavailable
from mixcast.worker import run_process_show
from tests.api.uploading import (
    audio_file,
    leftover_temp_files,
    picture_bytes,
    post_upload,
    show_count,
)
from tests.conftest import api_get, assert_api_error, client_of
from tests.factories import make_token, make_user
from tests.netlink import Link, relay
from tests.s3server import S3Server

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture
def link(s3: S3Server) -> Iterator[Link]:
    target = urlsplit(s3.endpoint)
    assert target.hostname is not None and target.port is not None
    with relay(target.hostname, target.port) as opened:
        yield opened


@pytest.fixture
async def relayed(s3_services: Services, s3: S3Server, link: Link) -> AsyncIterator[Services]:
    """The same database and bucket as ``s3_services``, storage reached through ``link``."""
    bucket = urlsplit(s3_services.settings.storage_url).hostname
    assert bucket is not None
    through = replace(s3, endpoint=f"http://127.0.0.1:{link.port}")
    opened = await open_services(replace(s3_services.settings, storage_url=through.url(bucket)))
    try:
        yield opened
    finally:
        await opened.close()


async def upload(services: Services, tmp_path: Path, seconds: float = 4.0) -> dict[str, Any]:
    token = await make_token(services, await make_user(services, "spartacus", is_pro=True))
    mp3 = audio_file(tmp_path, seconds=seconds)
    async with client_of(services) as client:
        response = await post_upload(client, token, {"name": "Cloud"}, mp3, picture_bytes())
    assert response.status_code == 200, response.text
    row = await services.db.fetch_one(Query("SELECT * FROM shows"))
    assert row is not None
    return {"token": token, **row}


async def show_row(services: Services, show_id: int) -> dict[str, Any]:
    row = await services.db.fetch_one(Query("SELECT * FROM shows WHERE id = :id"), {"id": show_id})
    assert row is not None
    return dict(row)


def keys(services: Services, prefix: str = "") -> list[str]:
    return sorted(info.key for info in services.store.list(prefix))


async def test_storage_gone_answers_503_where_it_is_needed(
    s3_services: Services, relayed: Services, link: Link, tmp_path: Path
) -> None:
    show = await upload(relayed, tmp_path)
    assert await run_process_show(relayed, show["id"]) == "ready"
    ready = await show_row(relayed, show["id"])
    picture = f"/media/pictures/{ready['picture_id']}/300x300.jpg"
    async with client_of(relayed) as client:
        assert (await client.get(picture)).status_code == 200
        assert (await client.get("/spartacus/cloud/peaks.json")).status_code == 200
        link.cut()
        for path in (picture, "/spartacus/cloud/peaks.json"):
            answer = await client.get(path)
            assert answer.status_code == 503, path
            assert answer.headers["content-type"].startswith("text/html")
            assert answer.headers["retry-after"] == "5"
            assert "Storage is unavailable; try again later." in answer.text
        # The stream is a redirect to a presigned URL, made without asking the store: the
        # player meets the outage at the store itself.
        stream = await client.get("/spartacus/cloud/stream.mp3")
        assert stream.status_code == 302
        assert stream.headers["location"].startswith(f"http://127.0.0.1:{link.port}/")
        # What needs no storage still answers.
        assert (await api_get(client, "/spartacus/cloud/")).status_code == 200
        assert (await client.get("/spartacus/cloud/")).status_code == 200
        # An upload is refused with nothing kept.
        refused = await post_upload(
            client, show["token"], {"name": "Later"}, audio_file(tmp_path), picture_bytes()
        )
    body = assert_api_error(refused, status=503, type="StorageUnavailableException")
    assert body["error"]["message"] == "Storage is unavailable; try again later."
    assert refused.headers["retry-after"] == "5"
    assert await show_count(relayed) == 1
    assert leftover_temp_files(relayed) == []
    assert not [k for k in keys(s3_services, "originals/") if k != ready["original_blob"]]


async def test_a_job_cut_off_by_storage_goes_back_to_received(
    s3_services: Services, relayed: Services, link: Link, tmp_path: Path
) -> None:
    show = await upload(relayed, tmp_path, seconds=30.0)
    stored = keys(s3_services)
    jobs = relayed.settings.tmp_dir / "jobs"

    async def cut_once_transcoding() -> None:
        # The original has been fetched when the rendition's first bytes appear; the stream,
        # the waveform and the picture renditions are still to be stored.
        while not any(jobs.glob("job-*/.stream.mp3.*")):
            await asyncio.sleep(0.005)
        await asyncio.to_thread(link.cut)

    cutter = asyncio.create_task(cut_once_transcoding())
    with pytest.raises(StorageUnavailable):
        await run_process_show(relayed, show["id"])
    await cutter

    row = await show_row(relayed, show["id"])
    assert row["status"] == "received" and row["lease_until"] is None
    assert row["stream_blob"] is None and row["waveform_blob"] is None
    assert row["picture_id"] is None and row["picture_blob"] == show["picture_blob"]
    assert keys(s3_services) == stored  # nothing new in the bucket, whole or partial
    assert not any(jobs.iterdir())  # the job's scratch folder is gone

    # Storage back (the direct route): the job, sent again, finishes the show.
    assert await run_process_show(s3_services, show["id"]) == "ready"
    done = await show_row(s3_services, show["id"])
    assert done["stream_blob"] and done["waveform_blob"] and done["picture_id"]
