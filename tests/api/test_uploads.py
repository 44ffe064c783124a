"""``POST /upload/`` as a client uses it: the documented curl example end to end (upload, the
pipeline's job, the show as others see it), every validation error at once, limits refused while
streaming, visibility, scheduling, hosts, and nothing left behind by a refused upload."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from mixcast.db.counters import drifted
from mixcast.db.database import Query
from mixcast.services import Services, open_services
from mixcast.shows.host_invitations import accept_invitation, invite_host
from mixcast.shows.publishing import publish_due
from tests.api.test_openapi import assert_valid, openapi
from tests.api.uploading import (
    assert_upload_error,
    audio_file,
    leftover_temp_files,
    picture_bytes,
    post_upload,
    show_count,
    stored_keys,
)
from tests.conftest import api_get, assert_api_error, client_of, make_settings
from tests.factories import T0, make_token, make_user

pytestmark = pytest.mark.anyio

CURL_EXAMPLE = {
    "name": "API Upload",
    "tags-0-tag": "Test",
    "tags-1-tag": "API",
    "sections-0-chapter": "Introduction",
    "sections-0-start_time": "0",
    "sections-1-artist": "Artist Name",
    "sections-1-song": "Song Title",
    "sections-1-start_time": "10",
    "description": "My test upload",
}


@pytest.fixture
async def uploader(services: Services) -> dict[str, Any]:
    user = await make_user(services, "spartacus", display_name="Spartacus", is_pro=True)
    other = await make_user(services, "crixus", display_name="Crixus")
    return {
        "id": user,
        "other": other,
        "token": await make_token(services, user),
        "other_token": await make_token(services, other),
    }


@pytest.fixture(scope="session")
def session_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return audio_file(tmp_path_factory.mktemp("upload-audio"))


async def run_jobs(services: Services) -> int:
    return await services.jobs.run_pending(services)


# ------------------------------------------------------------------ the documented example


async def test_the_curl_example_uploads_processes_and_publishes_a_show(
    client, services, uploader, session_mp3
):
    response = await post_upload(
        client, uploader["token"], CURL_EXAMPLE, session_mp3, picture_bytes()
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "result": {
            "success": True,
            "message": "Uploaded API Upload",
            "key": "/spartacus/api-upload/",
        }
    }
    assert_valid(
        await openapi(client), (await openapi(client))["paths"]["/upload/"]["post"], response
    )
    assert leftover_temp_files(services) == []

    # Received: its owner sees it and its status; nobody else does, and no list has it.
    own = await api_get(client, "/spartacus/api-upload/", access_token=uploader["token"])
    assert own.status_code == 200 and own.json()["upload_status"] == "received"
    assert (await api_get(client, "/spartacus/api-upload/")).status_code == 404
    assert (await api_get(client, "/spartacus/cloudcasts/")).json()["data"] == []

    assert await run_jobs(services) == 1
    show = (await api_get(client, "/spartacus/api-upload/")).json()
    assert show["name"] == "API Upload"
    assert show["description"] == "My test upload"
    assert [t["name"] for t in show["tags"]] == ["Test", "API"]
    assert show["audio_length"] == 12
    assert show["sections"][0] == {
        "chapter": "Introduction", "position": 0, "start_time": 0, "section_type": "chapter",
    }  # fmt: skip
    assert show["sections"][1]["track"]["name"] == "Song Title"
    assert show["sections"][1]["track"]["artist"]["name"] == "Artist Name"
    assert show["sections"][1]["start_time"] == 10
    assert "upload_status" not in show  # only its owner sees the status
    # The uploaded picture, cut into every size, not the default artwork.
    assert "/default/" not in show["pictures"]["large"]
    picture = await client.get(show["pictures"]["large"].removeprefix("http://testserver"))
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
    own = (await api_get(client, "/spartacus/api-upload/", access_token=uploader["token"])).json()
    assert own["upload_status"] == "ready"

    listed = (await api_get(client, "/spartacus/cloudcasts/")).json()["data"]
    assert [s["key"] for s in listed] == ["/spartacus/api-upload/"]
    assert (await api_get(client, "/spartacus/")).json()["cloudcast_count"] == 1
    found = (await api_get(client, "/search/", q="api upload", type="cloudcast")).json()["data"]
    assert [s["key"] for s in found] == ["/spartacus/api-upload/"]
    new = (await api_get(client, "/genres/api/new/")).json()["data"]
    assert [s["key"] for s in new] == ["/spartacus/api-upload/"]

    # Storage: the original (kept), the stream and the waveform; the picture's upload is gone.
    row = await services.db.fetch_one(Query("SELECT * FROM shows WHERE slug = 'api-upload'"))
    assert row is not None
    keys = stored_keys(services, f"shows/{row['id']}/")
    assert keys == [f"shows/{row['id']}/stream.mp3", f"shows/{row['id']}/waveform.json"]
    assert services.store.exists(row["original_blob"]) and row["picture_blob"] is None
    peaks = json.loads(services.store.get_bytes(row["waveform_blob"]))
    assert peaks["version"] == 2 and len(peaks["data"]) == 2 * peaks["length"]
    assert row["original_crc32"] == f"{zlib.crc32(session_mp3.read_bytes()):08x}"
    async with services.db.reading() as conn:
        assert await drifted(conn) == []


async def test_uploads_of_one_name_get_their_own_slugs(client, services, uploader, session_mp3):
    keys = []
    for name in ("Bon dimanche à tous!", "Bon dimanche à tous", "Follow"):
        response = await post_upload(client, uploader["token"], {"name": name}, session_mp3)
        assert response.status_code == 200, response.text
        keys.append(response.json()["result"]["key"])
    assert keys == [
        "/spartacus/bon-dimanche-%C3%A0-tous/",
        "/spartacus/bon-dimanche-%C3%A0-tous-2/",
        "/spartacus/follow-2/",  # "follow" is the user's action, never a slug
    ]


@pytest.mark.parametrize(
    ("container", "codec", "filename"),
    [("wav", "pcm_s16le", "a.wav"), ("flac", "flac", "a.flac"), ("mp4", "aac", "a.m4a"),
     ("ogg", "libopus", "a.ogg"), ("aiff", "pcm_s16be", "a.aiff")],
)  # fmt: skip
async def test_every_accepted_format_becomes_a_ready_show(
    client, services, uploader, tmp_path, container, codec, filename
):
    rate = 48_000 if codec == "libopus" else 44_100
    audio = audio_file(tmp_path, filename, 4.0, container=container, codec=codec, rate=rate)
    response = await post_upload(client, uploader["token"], {"name": filename}, audio)
    assert response.status_code == 200, response.text
    await run_jobs(services)
    show = await api_get(client, response.json()["result"]["key"])
    assert show.status_code == 200 and show.json()["audio_length"] == 4


# ------------------------------------------------------------------ refusals


async def test_every_bad_field_is_reported_at_once_and_nothing_is_kept(
    client, services, uploader, tmp_path
):
    not_audio = tmp_path / "notes.txt"
    not_audio.write_text("these are my notes, not a mix\n" * 50)
    before = stored_keys(services, "originals/")  # the storage folder is shared by the run
    response = await post_upload(
        client,
        uploader["token"],
        {"description": "x" * 1001, "tags-5-tag": "Six", "sections-0-artist": "Only Artist"},
        not_audio,
        picture=b"not a picture",
    )
    body = assert_upload_error(
        response,
        400,
        {"name", "description", "tags-5-tag", "sections-0-song", "mp3", "picture"},
    )
    assert body["details"]["name"] == ["This field is required."]
    assert await show_count(services) == 0
    assert stored_keys(services, "originals/") == before
    assert leftover_temp_files(services) == []


async def test_a_failure_after_storing_deletes_the_stored_original(
    client, services, uploader, session_mp3, monkeypatch
):
    """Fault injection: the show's insert fails after the original was stored."""

    async def failing_insert(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("mixcast.uploads.intake.create_show", failing_insert)
    before = stored_keys(services, "originals/")
    response = await post_upload(client, uploader["token"], {"name": "Doomed"}, session_mp3)
    assert_api_error(response, status=500, type="ServerError")
    assert stored_keys(services, "originals/") == before
    assert await show_count(services) == 0
    assert leftover_temp_files(services) == []


async def test_a_missing_mp3_is_required(client, services, uploader):
    response = await post_upload(client, uploader["token"], {"name": "No audio"})
    assert_upload_error(response, 400, {"mp3"})


async def test_a_section_beyond_the_audio_is_refused(client, services, uploader, session_mp3):
    fields = {
        "name": "Long tracklist",
        "sections-0-chapter": "Outro",
        "sections-0-start_time": "13",
    }
    response = await post_upload(client, uploader["token"], fields, session_mp3)
    assert_upload_error(response, 400, {"sections-0-start_time"})
    assert await show_count(services) == 0


async def test_pro_fields_from_an_account_without_pro(client, services, uploader, session_mp3):
    fields = {"name": "Not pro", "hide_stats": "true", "publish_date": "2099-01-01T00:00:00Z"}
    response = await post_upload(client, uploader["other_token"], fields, session_mp3)
    assert_upload_error(response, 400, {"hide_stats", "publish_date"})
    fields = {"name": "Not pro", "hide_stats": "false", "disable_comments": "0"}
    response = await post_upload(client, uploader["other_token"], fields, session_mp3)
    assert response.status_code == 200  # asking for nothing Pro is fine


async def test_no_token_no_upload(client, services, session_mp3):
    response = await post_upload(client, None, {"name": "Anonymous"}, session_mp3)
    assert_api_error(response, status=400, type="OAuthException")
    assert leftover_temp_files(services) == []


async def test_upload_takes_only_post(client, uploader):
    response = await client.get("/api/upload/", params={"access_token": uploader["token"]})
    assert_api_error(response, status=405, type="MethodNotAllowedException")


async def test_a_body_that_is_not_multipart_is_refused(client, services, uploader):
    response = await client.post(
        "/api/upload/", params={"access_token": uploader["token"]}, data={"name": "Form"}
    )
    assert_upload_error(response, 400, {"__all__"})


async def test_an_audio_file_over_the_limit_is_refused_while_streaming(
    database_url, tmp_path, media_dir, services, uploader, session_mp3
):
    """With the limit lowered to 50,000 bytes the 12 s MP3 (~190 kB) crosses it mid-body: 413,
    and the partial file is gone."""
    settings = make_settings(database_url, tmp_path, media_dir)
    from dataclasses import replace

    small = await open_services(replace(settings, max_audio_bytes=50_000))
    try:
        async with client_of(small) as client:
            response = await post_upload(client, uploader["token"], {"name": "Big"}, session_mp3)
        body = assert_upload_error(response, 413, {"mp3"})
        assert "50000" in body["details"]["mp3"][0]
        assert leftover_temp_files(small) == []
        assert await show_count(small) == 0
    finally:
        await small.close()


async def test_a_declared_length_beyond_every_limit_is_refused_before_reading(
    client, services, uploader
):
    async def endless():  # a body that would never end: never read
        yield b"--x\r\n"
        raise AssertionError("the body was read")

    response = await client.post(
        "/api/upload/",
        params={"access_token": uploader["token"]},
        headers={
            "content-type": "multipart/form-data; boundary=x",
            "content-length": str(5 * 1024**3),
        },
        content=endless(),
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["type"] == "FormValidationError"


async def test_uploads_count_against_the_upload_rate_limit(
    database_url, tmp_path, media_dir, services, uploader, session_mp3
):
    limited = await open_services(
        make_settings(database_url, tmp_path, media_dir, limits={"upload": "1/hour"})
    )
    try:
        async with client_of(limited) as client:
            first = await post_upload(client, uploader["token"], {"name": "One"}, session_mp3)
            second = await post_upload(client, uploader["token"], {"name": "Two"}, session_mp3)
        assert first.status_code == 200
        assert_api_error(second, status=403, type="RateLimitException")
        assert int(second.headers["retry-after"]) > 0
    finally:
        await limited.close()


# ------------------------------------------------------------------ visibility and scheduling


async def test_an_unlisted_upload_is_reachable_only_through_its_key(
    client, services, uploader, session_mp3
):
    fields = {"name": "Secret Set", "unlisted": "on", "publish_date": "2099-01-01T00:00:00Z"}
    response = await post_upload(client, uploader["token"], fields, session_mp3)
    assert response.status_code == 200
    await run_jobs(services)
    assert (await api_get(client, "/spartacus/secret-set/")).status_code == 200
    assert (await api_get(client, "/spartacus/cloudcasts/")).json()["data"] == []
    assert (await api_get(client, "/spartacus/")).json()["cloudcast_count"] == 0
    row = await services.db.fetch_one(Query("SELECT visibility, publish_at FROM shows"))
    assert row is not None and dict(row) == {"visibility": "unlisted", "publish_at": None}


async def test_a_scheduled_upload_is_published_at_its_date(client, services, uploader, session_mp3):
    response = await post_upload(
        client, uploader["token"], {"name": "Friday Night", "publish_date": "2099-01-01T18:00:00Z"},
        session_mp3,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    await run_jobs(services)
    assert (await api_get(client, "/spartacus/friday-night/")).status_code == 404
    own = await api_get(client, "/spartacus/friday-night/", access_token=uploader["token"])
    assert own.json()["upload_status"] == "ready"

    at = 4_070_973_600_000_000  # 2099-01-01T18:00:00Z
    assert await publish_due(services.db, at - 1) == 0
    assert await publish_due(services.db, at) == 1
    assert await publish_due(services.db, at + 60_000_000) == 0  # once only
    show = (await api_get(client, "/spartacus/friday-night/")).json()
    assert show["created_time"] == "2099-01-01T18:00:00Z"
    listed = (await api_get(client, "/spartacus/cloudcasts/")).json()["data"]
    assert [s["key"] for s in listed] == ["/spartacus/friday-night/"]
    async with services.db.reading() as conn:
        assert await drifted(conn) == []


# ------------------------------------------------------------------ hosts


async def test_accepted_hosts_are_tagged_and_others_ignored(
    client, services, uploader, session_mp3
):
    host = await make_user(services, "oenomaus", display_name="Oenomaus")
    await make_user(services, "gannicus")  # never invited
    async with services.db.transaction() as tx:
        await invite_host(tx, uploader["id"], "oenomaus", T0)
        await invite_host(tx, uploader["id"], "crixus", T0)  # invited, never accepted
        await accept_invitation(tx, host, "spartacus", T0)
    fields = {
        "name": "Hosted",
        "hosts-0-username": "Oenomaus",
        "hosts-1-username": "crixus",
    }
    response = await post_upload(client, uploader["token"], fields, session_mp3)
    assert response.status_code == 200, response.text
    await run_jobs(services)
    show = (await api_get(client, "/spartacus/hosted/")).json()
    assert [h["username"] for h in show["hosts"]] == ["oenomaus"]
    hosted = (await api_get(client, "/oenomaus/cloudcasts/")).json()["data"]
    assert [s["key"] for s in hosted] == ["/spartacus/hosted/"]
    assert (await api_get(client, "/crixus/cloudcasts/")).json()["data"] == []
