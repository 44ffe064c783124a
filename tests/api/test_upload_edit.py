"""``POST /upload/<user>/<slug>/edit/`` (api-docs.md "Editing uploads"): only what is sent
changes; tags, sections and hosts are replaced whole; publish, unpublish and unlisted move the
show between the lists; only its owner may edit it, shows made without the API included."""

from __future__ import annotations

from typing import Any

import pytest

from mixcast.db.counters import drifted
from mixcast.db.database import Query
from mixcast.services import Services
from mixcast.shows.host_invitations import accept_invitation, invite_host
from mixcast.shows.shows import Section
from tests.api.test_openapi import assert_valid, openapi
from tests.api.uploading import assert_upload_error, picture_bytes, post_upload
from tests.conftest import api_get
from tests.factories import T0, make_show, make_token, make_user

pytestmark = pytest.mark.anyio
EDIT = "/upload/spartacus/party-time/edit/"


@pytest.fixture
async def world(services: Services) -> dict[str, Any]:
    """Spartacus (Pro) owns "Party Time", made without the API, with tags and a tracklist."""
    spartacus = await make_user(services, "spartacus", display_name="Spartacus", is_pro=True)
    crixus = await make_user(services, "crixus", display_name="Crixus")
    await make_show(
        services, spartacus, "Party Time", description="Old words", tags=("Funk", "Soul"),
        sections=(Section(chapter="Intro", start_time=0), Section("A", "B", start_time=30)),
        audio_length=600,
    )  # fmt: skip
    return {
        "spartacus": spartacus,
        "crixus": crixus,
        "token": await make_token(services, spartacus),
        "other_token": await make_token(services, crixus),
    }


async def edit(client: Any, token: str, fields: dict[str, Any], **kwargs: Any) -> Any:
    return await post_upload(client, token, fields, path=EDIT, **kwargs)


async def show(client: Any, token: str | None = None) -> dict[str, Any]:
    params = {"access_token": token} if token else {}
    response = await api_get(client, "/spartacus/party-time/", **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_documented_edit(client, services, world):
    response = await edit(
        client,
        world["token"],
        {"name": "A new name", "tags-0-tag": "Test", "tags-1-tag": "API",
         "description": "My test upload"},
        picture=picture_bytes(),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json() == {
        "result": {
            "success": True,
            "message": "Updated A new name",
            "key": "/spartacus/party-time/",
        }
    }
    doc = await openapi(client)
    assert_valid(doc, doc["paths"]["/upload/{user}/{show}/edit/"]["post"], response)
    after = await show(client)
    assert after["name"] == "A new name"  # the key keeps its slug
    assert after["description"] == "My test upload"
    assert [t["name"] for t in after["tags"]] == ["Test", "API"]
    assert len(after["sections"]) == 2  # no sections-* field: the tracklist stays
    assert "/default/" not in after["pictures"]["large"]
    funk = (await api_get(client, "/genres/funk/new/")).json()["data"]
    assert funk == []  # the replaced tags no longer list it
    found = (await api_get(client, "/search/", q="new name", type="cloudcast")).json()["data"]
    assert [s["key"] for s in found] == ["/spartacus/party-time/"]


async def test_only_sent_fields_change(client, services, world):
    response = await edit(
        client, world["token"], {"sections-0-artist": "X", "sections-0-song": "Y"}
    )
    assert response.status_code == 200, response.text
    after = await show(client)
    assert after["name"] == "Party Time" and after["description"] == "Old words"
    assert [t["name"] for t in after["tags"]] == ["Funk", "Soul"]
    assert [s["track"]["name"] for s in after["sections"]] == ["Y"]


async def test_empty_tag_fields_clear_the_tags(client, services, world):
    assert (await edit(client, world["token"], {"tags-0-tag": ""})).status_code == 200
    assert (await show(client))["tags"] == []


async def test_a_section_beyond_the_audio_is_refused(client, world):
    response = await edit(
        client, world["token"], {"sections-0-chapter": "Late", "sections-0-start_time": "601"}
    )
    assert_upload_error(response, 400, {"sections-0-start_time"})
    assert len((await show(client))["sections"]) == 2


async def test_unpublish_publish_and_unlisted_move_the_show(client, services, world):
    async def listed() -> list[str]:
        data = (await api_get(client, "/spartacus/cloudcasts/")).json()["data"]
        return [s["key"] for s in data]

    assert await listed() == ["/spartacus/party-time/"]
    assert (await edit(client, world["token"], {"unpublish": "true"})).status_code == 200
    assert await listed() == []
    assert (await api_get(client, "/spartacus/party-time/")).status_code == 404
    assert (await show(client, world["token"]))["name"] == "Party Time"  # its owner still sees it
    assert (await api_get(client, "/spartacus/")).json()["cloudcast_count"] == 0

    assert (await edit(client, world["token"], {"unlisted": "1"})).status_code == 200
    assert await listed() == []
    assert (await api_get(client, "/spartacus/party-time/")).status_code == 200

    assert (await edit(client, world["token"], {"publish": "on"})).status_code == 200
    assert await listed() == ["/spartacus/party-time/"]
    assert (await api_get(client, "/spartacus/")).json()["cloudcast_count"] == 1
    async with services.db.reading() as conn:
        assert await drifted(conn) == []


async def test_only_one_of_unlisted_publish_and_unpublish(client, world):
    response = await edit(client, world["token"], {"publish": "true", "unpublish": "true"})
    assert_upload_error(response, 400, {"__all__"})


async def test_a_show_that_was_public_cannot_be_scheduled(client, world):
    response = await edit(client, world["token"], {"publish_date": "2099-01-01T00:00:00Z"})
    assert_upload_error(response, 400, {"publish_date"})


async def test_a_draft_can_be_scheduled_and_publish_keeps_the_schedule(client, services, world):
    await make_show(services, world["spartacus"], "Never Public", visibility="draft")
    path = "/upload/spartacus/never-public/edit/"
    fields = {"publish_date": "2099-01-01T00:00:00Z"}
    response = await post_upload(client, world["token"], fields, path=path)
    assert response.status_code == 200, response.text
    response = await post_upload(client, world["token"], {"publish": "true"}, path=path)
    assert response.status_code == 200
    row = await services.db.fetch_one(
        Query("SELECT visibility, publish_at FROM shows WHERE slug = 'never-public'")
    )
    assert row is not None and row["visibility"] == "scheduled"
    assert row["publish_at"] == 4_070_908_800_000_000


async def test_hosts_are_replaced_cleared_and_one_bad_name_applies_none(client, services, world):
    oenomaus = await make_user(services, "oenomaus")
    async with services.db.transaction() as tx:
        await invite_host(tx, world["spartacus"], "oenomaus", T0)
        await accept_invitation(tx, oenomaus, "spartacus", T0)

    async def hosts() -> list[str]:
        return [h["username"] for h in (await show(client)).get("hosts", [])]

    assert (await edit(client, world["token"], {"hosts-0-username": "oenomaus"})).status_code == 200
    assert await hosts() == ["oenomaus"]
    on_profile = (await api_get(client, "/oenomaus/cloudcasts/")).json()["data"]
    assert [s["key"] for s in on_profile] == ["/spartacus/party-time/"]

    fields = {"hosts-0-username": "crixus", "hosts-1-username": "oenomaus", "name": "Renamed"}
    assert (await edit(client, world["token"], fields)).status_code == 200
    assert await hosts() == ["oenomaus"]  # crixus never accepted: none of the changes apply
    assert (await show(client))["name"] == "Renamed"  # the rest of the edit does

    assert (await edit(client, world["token"], {"hosts-0-username": ""})).status_code == 200
    assert await hosts() == []
    assert (await api_get(client, "/oenomaus/cloudcasts/")).json()["data"] == []


async def test_only_the_owner_may_edit(client, services, world):
    response = await edit(client, world["other_token"], {"name": "Mine now"})
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "ResourceNotFoundException"
    assert (await show(client))["name"] == "Party Time"
    missing = await post_upload(
        client, world["token"], {"name": "x"}, path="/upload/spartacus/no-such-show/edit/"
    )
    assert missing.status_code == 404


async def test_the_audio_cannot_be_replaced(client, world):
    response = await edit(client, world["token"], {"name": "x"}, mp3=b"ID3 not really")
    assert response.status_code in (400, 413)
    assert "mp3" in response.json()["details"]


async def test_an_unreadable_picture_is_refused(client, world):
    response = await edit(client, world["token"], {"name": "x"}, picture=b"<svg/>")
    assert_upload_error(response, 400, {"picture"})
    assert (await show(client))["name"] == "Party Time"


async def test_edit_answers_without_the_trailing_slash(client, world):
    response = await post_upload(
        client, world["token"], {"name": "No slash"}, path=EDIT.rstrip("/")
    )
    assert response.status_code == 200, response.text
