"""Golden shapes: mixcast's objects have the key sets and value types of the real Mixcloud
responses in ``shared/spec/recorded`` (wire-format.md §2.4, §3). Values are never compared."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from mixcast.accounts.follows import follow_user
from mixcast.services import Services
from mixcast.shows.engagement import FAVORITES, REPOSTS, add_comment, record_listen
from mixcast.shows.shows import Section
from tests.api.readonly import client_for, readonly_services
from tests.api.recorded import (
    TIME,
    cassette_body,
    cassette_request_uri,
    json_type,
    load_json,
    shape_diff,
    strip_types,
    walk,
    without,
)
from tests.conftest import api_get
from tests.factories import T0, make_show, make_user

VCR_USER = "mixcloud-rb-vcr-2018/user.yml"
VCR_TAG = "mixcloud-rb-vcr-2018/tag.yml"
VCR_CLOUDCASTS = "mixcloud-rb-vcr-2018/cloudcasts.yml"
VCR_FOLLOWERS = "mixcloud-rb-vcr-2018/followers.yml"
AIO_FOLLOWERS = "aiomixcloud-2019/followers.json"  # requested with metadata=1
AIO_FAVORITES = "aiomixcloud-2019/favorites.json"  # requested with metadata=1
NODE_CLOUDCAST = "node-mixcloud-2014/cloudcast.json"  # a full cloudcast, no metadata
ACTFONG_CLOUDCAST = "actfong-2013/cloudcast_response.json"  # a full cloudcast, metadata=1

pytestmark = pytest.mark.anyio

FULL_SHOW_EXTRAS = {"description", "picture_primary_color", "sections"}


async def seed(services: Services) -> None:
    """spartacus with a complete profile and non-zero counts, and one show with everything."""
    uid = await make_user(
        services,
        "spartacus",
        display_name="Spartacus",
        biog="Part of the team.",
        city="London",
        country="United Kingdom",
    )
    fan = await make_user(services, "fan")
    show_id, _ = await make_show(
        services,
        uid,
        "Party Time",
        description="A party.",
        tags=["Funk", "Soul"],
        audio_length=3600,
        sections=[
            Section(artist="Time of your life", song="Refresher", start_time=0),
            Section(artist="Jazztronik", song="Samurai", start_time=416),
        ],
    )
    async with services.db.transaction() as tx:
        await follow_user(tx, fan, uid, T0)
        await follow_user(tx, uid, fan, T0)
        await FAVORITES.add(tx, uid, show_id, T0)
        await FAVORITES.add(tx, fan, show_id, T0)
        await REPOSTS.add(tx, fan, show_id, T0)
        await record_listen(tx, show_id, user_id=uid, listener="u1", now=T0)
        await record_listen(tx, show_id, user_id=fan, listener="u2", now=T0)
        await add_comment(tx, fan, "Nice!", T0, show_id=show_id)
    # An empty profile, and a show whose only section is a chapter.
    await make_user(services, "blank")
    host = await make_user(services, "host")
    await make_show(services, host, "Talk", sections=[Section(chapter="Intro", start_time=0)])


async def get_json(client: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await api_get(client, path, **params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
async def seeded(
    template_db: str, media_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """Every test here only reads: one seeded database for the module."""
    data_dir = tmp_path_factory.mktemp("golden")
    async with (
        readonly_services(template_db, media_dir, data_dir, seed) as services,
        client_for(services) as client,
    ):
        yield client


# ------------------------------------------------------------------ user


async def test_user_with_metadata_has_exactly_the_recorded_shape(seeded):
    ours = await get_json(seeded, "/spartacus/", metadata=1)
    theirs = cassette_body(VCR_USER)
    assert shape_diff(ours, theirs) == []


async def test_user_without_metadata_is_the_recorded_shape_minus_type_and_metadata(seeded):
    ours = await get_json(seeded, "/spartacus/")
    theirs = without(cassette_body(VCR_USER), "type", "metadata")
    assert shape_diff(ours, theirs) == []


async def test_user_with_an_empty_profile_keeps_every_key_and_type(seeded):
    """No biog, city or country and no activity: still strings and ints, never null."""
    ours = await get_json(seeded, "/blank/", metadata=1)
    assert shape_diff(ours, cassette_body(VCR_USER)) == []


async def test_user_metadata_connections_are_the_recorded_names(seeded):
    ours = await get_json(seeded, "/spartacus/", metadata=1)
    theirs = cassette_body(VCR_USER)
    assert set(ours["metadata"]["connections"]) == set(theirs["metadata"]["connections"])


# ------------------------------------------------------------------ nested user


async def test_nested_user_has_the_recorded_list_form(seeded):
    show = await get_json(seeded, "/spartacus/party-time/")
    recorded_show_user = cassette_body(VCR_CLOUDCASTS)["data"][0]["user"]
    recorded_follower = cassette_body(VCR_FOLLOWERS)["data"][0]
    assert shape_diff(show["user"], recorded_show_user) == []
    assert shape_diff(show["user"], recorded_follower) == []
    assert set(show["user"]) == {"url", "username", "name", "key", "pictures"}


async def test_nested_user_with_metadata_has_the_recorded_list_form_with_type(seeded):
    show = await get_json(seeded, "/spartacus/party-time/", metadata=1)
    recorded = load_json(AIO_FOLLOWERS)["data"][0]
    assert shape_diff(show["user"], recorded) == []
    assert show["user"]["type"] == "user"


# ------------------------------------------------------------------ show


async def test_full_show_keys_are_the_list_form_plus_description_colour_and_sections(seeded):
    ours = await get_json(seeded, "/spartacus/party-time/")
    list_item = cassette_body(VCR_CLOUDCASTS)["data"][0]
    assert set(ours) == set(list_item) | FULL_SHOW_EXTRAS
    assert set(ours) == set(load_json(NODE_CLOUDCAST))


async def test_full_show_without_its_extras_has_the_recorded_list_item_shape(seeded):
    ours = await get_json(seeded, "/spartacus/party-time/")
    list_item = cassette_body(VCR_CLOUDCASTS)["data"][0]
    assert shape_diff(without(ours, *FULL_SHOW_EXTRAS), list_item) == []


async def test_full_show_extras_have_the_recorded_types(seeded):
    ours = await get_json(seeded, "/spartacus/party-time/")
    node = load_json(NODE_CLOUDCAST)
    assert {k: json_type(ours[k]) for k in FULL_SHOW_EXTRAS} == {
        k: json_type(node[k]) for k in FULL_SHOW_EXTRAS
    }
    assert re.fullmatch(r"[0-9a-f]{6}", ours["picture_primary_color"])
    assert re.fullmatch(r"[0-9a-f]{6}", node["picture_primary_color"])


async def test_full_show_with_metadata_has_the_recorded_list_item_shape_with_types(seeded):
    ours = await get_json(seeded, "/spartacus/party-time/", metadata=1)
    recorded = load_json(AIO_FAVORITES)["data"][0]  # list form, metadata=1
    assert shape_diff(without(ours, *FULL_SHOW_EXTRAS, "metadata"), recorded) == []


async def test_show_connections_include_every_recorded_one(seeded):
    ours = await get_json(seeded, "/spartacus/party-time/", metadata=1)
    recorded = load_json(ACTFONG_CLOUDCAST)["metadata"]["connections"]
    assert set(ours["metadata"]) == {"connections"}
    assert set(recorded) <= set(ours["metadata"]["connections"])


async def test_counts_and_audio_length_are_ints(seeded):
    show = await get_json(seeded, "/spartacus/party-time/")
    for key in (
        "audio_length",
        "play_count",
        "favorite_count",
        "listener_count",
        "repost_count",
        "comment_count",
    ):
        assert type(show[key]) is int, key
    assert (show["play_count"], show["favorite_count"], show["repost_count"]) == (2, 2, 1)
    user = await get_json(seeded, "/spartacus/")
    for key in (
        "favorite_count",
        "following_count",
        "follower_count",
        "listen_count",
        "cloudcast_count",
    ):
        assert type(user[key]) is int, key
    assert (user["follower_count"], user["following_count"], user["cloudcast_count"]) == (1, 1, 1)


# ------------------------------------------------------------------ sections


async def test_track_section_with_metadata_has_the_recorded_shape(seeded):
    ours = await get_json(seeded, "/spartacus/party-time/", metadata=1)
    recorded = load_json(ACTFONG_CLOUDCAST)["sections"][0]
    assert shape_diff(ours["sections"][0], recorded) == []


async def test_track_section_without_metadata_has_the_recorded_shape(seeded):
    ours = await get_json(seeded, "/spartacus/party-time/")
    recorded = strip_types(load_json(ACTFONG_CLOUDCAST)["sections"][0])
    assert shape_diff(ours["sections"][0], recorded) == []
    # The 2014 capture is the same minus start_time.
    node = load_json(NODE_CLOUDCAST)["sections"][0]
    assert shape_diff(without(ours["sections"][0], "start_time"), node) == []


async def test_sections_keep_their_order_and_times(seeded):
    ours = await get_json(seeded, "/spartacus/party-time/")
    assert [s["position"] for s in ours["sections"]] == [0, 1]
    assert [s["start_time"] for s in ours["sections"]] == [0, 416]
    assert [s["track"]["name"] for s in ours["sections"]] == ["Refresher", "Samurai"]
    assert ours["sections"][0]["track"]["artist"]["name"] == "Time of your life"


async def test_chapter_section_shape(seeded):
    plain = await get_json(seeded, "/host/talk/")
    assert plain["sections"] == [
        {"chapter": "Intro", "position": 0, "start_time": 0, "section_type": "chapter"}
    ]
    with_meta = await get_json(seeded, "/host/talk/", metadata=1)
    assert with_meta["sections"][0]["type"] == "section"


# ------------------------------------------------------------------ tags


async def test_tag_with_metadata_has_exactly_the_recorded_keys(seeded):
    theirs = cassette_body(VCR_TAG)
    for path in ("/genres/funk/", "/genres/city:london/", "/genres/funk+city:london/"):
        ours = await get_json(seeded, path, metadata=1)
        assert shape_diff(without(ours, "metadata"), without(theirs, "metadata")) == [], path
        assert set(ours["metadata"]) == {"connections"}
        assert set(theirs["metadata"]["connections"]) <= set(ours["metadata"]["connections"])


async def test_tag_without_metadata_is_url_name_key(seeded):
    theirs = without(cassette_body(VCR_TAG), "type", "metadata")
    for path in ("/genres/funk/", "/genres/city:london/", "/genres/funk+city:london/"):
        ours = await get_json(seeded, path)
        assert shape_diff(ours, theirs) == [], path


async def test_nested_tags_have_the_recorded_shape(seeded):
    plain = await get_json(seeded, "/spartacus/party-time/")
    recorded = cassette_body(VCR_CLOUDCASTS)["data"][0]["tags"][0]
    assert [shape_diff(t, recorded) for t in plain["tags"]] == [[], []]
    with_meta = await get_json(seeded, "/spartacus/party-time/", metadata=1)
    recorded = load_json(AIO_FAVORITES)["data"][0]["tags"][0]
    assert [shape_diff(t, recorded) for t in with_meta["tags"]] == [[], []]


# ------------------------------------------------------------------ pictures


def _sizes_by_key(pictures: dict[str, str]) -> dict[str, str]:
    """``large`` -> ``300x300``, read from the URL (both ours and the thumbnailer's)."""
    out = {}
    for key, url in pictures.items():
        found = re.search(r"(\d+)x(\d+)", urlsplit(url).path)
        assert found, url
        out[key] = found.group(0)
    return out


async def test_user_pictures_have_the_recorded_8_keys_and_sizes(seeded):
    ours = await get_json(seeded, "/spartacus/")
    theirs = cassette_body(VCR_USER)
    assert len(ours["pictures"]) == 8
    assert _sizes_by_key(ours["pictures"]) == _sizes_by_key(theirs["pictures"])


async def test_show_pictures_have_the_recorded_10_keys_and_sizes(seeded):
    ours = await get_json(seeded, "/spartacus/party-time/")
    theirs = cassette_body(VCR_CLOUDCASTS)["data"][0]
    assert len(ours["pictures"]) == 10
    assert _sizes_by_key(ours["pictures"]) == _sizes_by_key(theirs["pictures"])


async def test_cover_pictures_have_the_recorded_3_keys_and_sizes(seeded):
    ours = await get_json(seeded, "/spartacus/")
    theirs = cassette_body(VCR_USER)
    assert len(ours["cover_pictures"]) == 3
    assert _sizes_by_key(ours["cover_pictures"]) == _sizes_by_key(theirs["cover_pictures"])


async def test_picture_urls_are_absolute(seeded):
    user = await get_json(seeded, "/spartacus/")
    show = await get_json(seeded, "/spartacus/party-time/")
    for url in [
        *user["pictures"].values(),
        *user["cover_pictures"].values(),
        *show["pictures"].values(),
        *show["user"]["pictures"].values(),
    ]:
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.netloc, url


# ------------------------------------------------------------------ times


async def test_times_have_the_recorded_format(seeded):
    recorded = [
        cassette_body(VCR_USER)["created_time"],
        cassette_body(VCR_CLOUDCASTS)["data"][0]["updated_time"],
    ]
    assert all(TIME.match(t) for t in recorded)  # the pattern fits the real thing
    user = await get_json(seeded, "/spartacus/")
    show = await get_json(seeded, "/spartacus/party-time/")
    times = [user["created_time"], user["updated_time"], show["created_time"], show["updated_time"]]
    assert all(TIME.match(t) for t in times), times
    assert show["created_time"] == "2020-09-13T12:26:40Z"  # factories.T0, in UTC


# ------------------------------------------------------------------ the type rule


OBJECT_PATHS = (
    "/spartacus/",
    "/spartacus/party-time/",
    "/genres/funk/",
    "/genres/city:london/",
    "/genres/funk+city:london/",
)


def _is_api_object(obj: dict[str, Any]) -> bool:
    """Users, shows, tags, tracks and artists have a key; sections have a section_type."""
    return "key" in obj or "section_type" in obj


async def test_with_metadata_every_object_in_the_tree_has_a_type(seeded):
    for path in OBJECT_PATHS:
        body = await get_json(seeded, path, metadata=1)
        objects = [(p, o) for p, o in walk(body) if _is_api_object(o)]
        assert objects
        untyped = [p for p, o in objects if not isinstance(o.get("type"), str)]
        assert untyped == [], path
        # ... and nothing else has one (pictures, metadata and connections are not objects).
        stray = [p for p, o in walk(body) if "type" in o and not _is_api_object(o)]
        assert stray == [], path


async def test_without_metadata_no_object_in_the_tree_has_a_type(seeded):
    for path in OBJECT_PATHS:
        for flag in (None, "0", "false", ""):
            params = {} if flag is None else {"metadata": flag}
            body = await get_json(seeded, path, **params)
            assert [p for p, o in walk(body) if "type" in o] == [], (path, flag)
            assert "metadata" not in body, (path, flag)


async def test_type_values_name_the_kind_of_object(seeded):
    show = await get_json(seeded, "/spartacus/party-time/", metadata=1)
    assert show["type"] == "cloudcast"
    assert show["user"]["type"] == "user"
    assert {t["type"] for t in show["tags"]} == {"tag"}
    section = show["sections"][0]
    assert (section["type"], section["track"]["type"], section["track"]["artist"]["type"]) == (
        "section",
        "track",
        "artist",
    )
    assert (await get_json(seeded, "/spartacus/", metadata=1))["type"] == "user"
    assert (await get_json(seeded, "/genres/city:london/", metadata=1))["type"] == "tag"


# ------------------------------------------------------------------ connection links


async def test_connections_are_built_like_the_recorded_ones(seeded):
    """Recorded: ``{request scheme}://{request host}{key}{name}/``. Ours: the same, under the
    API prefix of the request."""
    recorded = cassette_body(VCR_USER)
    uri = urlsplit(cassette_request_uri(VCR_USER))
    for name, url in recorded["metadata"]["connections"].items():
        assert url == f"{uri.scheme}://{uri.netloc}{recorded['key']}{name}/"

    for base in ("http://testserver", "https://mirror.example.org:8443"):
        for path in OBJECT_PATHS:
            response = await seeded.get(f"{base}/api{path}", params={"metadata": 1})
            body = response.json()
            for name, url in body["metadata"]["connections"].items():
                assert url == f"{base}/api{body['key']}{name}/", (path, name)
            # Object urls stay on the configured site, whatever host was asked.
            assert body["url"] == "http://testserver" + body["key"]
