"""Uploads with S3-compatible storage (a real SeaweedFS): the original, the stream, the
waveform and the picture renditions land in the bucket, nothing on local disk but the database;
storage that cannot be reached refuses the upload with a clear 503 and keeps nothing."""

from __future__ import annotations

import urllib.request
from dataclasses import replace

import pytest

from mixcast.db.database import Query
from mixcast.services import open_services
from tests.api.uploading import (
    audio_file,
    leftover_temp_files,
    picture_bytes,
    post_upload,
    show_count,
)
from tests.conftest import api_get, client_of, make_settings
from tests.factories import make_token, make_user
from tests.servers import free_port

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


async def test_an_upload_lives_in_the_bucket(s3_services, tmp_path):
    services = s3_services
    token = await make_token(services, await make_user(services, "spartacus"))
    mp3 = audio_file(tmp_path, seconds=4.0)
    async with client_of(services) as client:
        response = await post_upload(client, token, {"name": "In The Cloud"}, mp3, picture_bytes())
        assert response.status_code == 200, response.text
        assert await services.jobs.run_pending(services) == 1
        show = (await api_get(client, "/spartacus/in-the-cloud/")).json()
        # The site serves the renditions from the bucket.
        picture = await client.get(show["pictures"]["large"].removeprefix("http://testserver"))
        assert picture.status_code == 200 and picture.content[:2] == b"\xff\xd8"  # a JPEG
        missing = (
            show["pictures"]["large"]
            .removeprefix("http://testserver")
            .replace("300x300", "301x301")
        )
        assert (await client.get(missing)).status_code == 404
    assert show["audio_length"] == 4
    row = await services.db.fetch_one(Query("SELECT * FROM shows"))
    assert row is not None and row["status"] == "ready"
    keys = {info.key for info in services.store.list("")}
    assert {row["original_blob"], row["stream_blob"], row["waveform_blob"]} <= keys
    assert any(k.startswith(f"pictures/{row['picture_id']}/") for k in keys)
    assert row["picture_blob"] is None and not any(k.endswith(".picture") for k in keys)
    assert services.store.local_path(row["stream_blob"]) is None  # nothing on local disk
    url = services.store.url_for(row["stream_blob"])
    assert url is not None
    with urllib.request.urlopen(url, timeout=10) as answer:
        head = answer.read(3)
    assert head == b"ID3" or head[0] == 0xFF  # an MP3: a tag or a frame's sync bits
    assert leftover_temp_files(services) == []
    assert not (services.settings.tmp_dir / "jobs").exists() or not any(
        (services.settings.tmp_dir / "jobs").iterdir()
    )


async def test_storage_out_of_reach_refuses_the_upload_cleanly(
    database_url, tmp_path, media_dir, services
):
    dead = f"s3://bucket?endpoint=http://127.0.0.1:{free_port()}&region=us-east-1"
    settings = replace(make_settings(database_url, tmp_path, media_dir), storage_url=dead)
    away = await open_services(settings)
    try:
        token = await make_token(away, await make_user(away, "spartacus"))
        mp3 = audio_file(tmp_path, seconds=3.0)
        async with client_of(away) as client:
            response = await post_upload(client, token, {"name": "Nowhere"}, mp3)
        assert response.status_code == 503, response.text
        assert response.json()["error"]["type"] == "StorageUnavailableException"
        assert await show_count(away) == 0
        assert leftover_temp_files(away) == []
    finally:
        await away.close()
