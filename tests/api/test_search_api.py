"""``/search/`` as a client sees it (wire-format.md §4.5): the three types, the envelope
without ``name``, offset paging whose links keep ``q`` and ``type``, and the 400s."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from mixcast.services import Services
from mixcast.shows.shows import Section
from tests.api.readonly import client_for, readonly_services
from tests.api.recorded import load_json
from tests.conftest import api_get, assert_api_error
from tests.factories import T0, make_show, make_user

pytestmark = pytest.mark.anyio

API = "http://testserver/api"
HOUR = 3_600_000_000


async def seed(services: Services) -> None:
    spartacus = await make_user(services, "spartacus", display_name="Spartacus")
    await make_user(services, "partyanimal", display_name="Party Animal")
    await make_show(services, spartacus, "Party Time", tags=["Party House"],
                    sections=[Section(artist="Chic", song="Good Times")])  # fmt: skip
    for i in range(25):
        await make_show(services, spartacus, f"Party Mix {i:02d}", now=T0 + i * HOUR,
                        description="Recorded live.")  # fmt: skip
    await make_show(services, spartacus, "Secret Party", visibility="unlisted")
    await make_show(services, spartacus, "Draft Party", visibility="draft")
    await make_show(services, spartacus, "Raw Party", status="processing")


@pytest.fixture(scope="module")
async def seeded(
    template_db: str, media_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    data_dir = tmp_path_factory.mktemp("search")
    async with (
        readonly_services(template_db, media_dir, data_dir, seed) as services,
        client_for(services) as client,
    ):
        yield client


async def search(client: httpx.AsyncClient, **params: str) -> dict:
    response = await api_get(client, "/search/", **params)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    return response.json()


async def test_shows_are_found_by_name_with_the_recorded_item_shape(seeded) -> None:
    body = await search(seeded, q="party time", type="cloudcast")
    assert set(body) == {"data", "paging"}  # no name on search (§4.5)
    assert body["data"][0]["key"] == "/spartacus/party-time/"
    recorded = set(load_json("actfong-2013/search_cloudcasts.json")["data"][0])
    # 2013's percentage_music is gone from the current shape; reposts came later.
    assert set(body["data"][0]) == recorded - {"percentage_music"} | {"repost_count"}


async def test_upload_is_a_synonym_of_cloudcast(seeded) -> None:
    upload = await search(seeded, q="party", type="upload")
    cloudcast = await search(seeded, q="party", type="cloudcast")
    assert upload["data"] == cloudcast["data"]
    assert "type=upload" in upload["paging"]["next"]  # the link keeps what the client sent


async def test_the_last_word_matches_as_a_prefix(seeded) -> None:
    body = await search(seeded, q="good tim", type="cloudcast")
    assert [s["key"] for s in body["data"]] == ["/spartacus/party-time/"]


async def test_hidden_shows_are_never_found(seeded) -> None:
    body = await search(seeded, q="party", type="cloudcast", limit="100")
    slugs = {s["slug"] for s in body["data"]}
    assert len(slugs) == 26
    assert not slugs & {"secret-party", "draft-party", "raw-party"}


async def test_users_and_tags_have_the_recorded_shapes(seeded) -> None:
    users = await search(seeded, q="party", type="user")
    assert [u["username"] for u in users["data"]] == ["partyanimal"]
    assert set(users["data"][0]) == set(load_json("actfong-2013/search_users.json")["data"][0])
    tags = await search(seeded, q="party", type="tag", metadata="1")
    assert [t["key"] for t in tags["data"]] == ["/genres/party-house/"]
    assert tags["data"][0]["type"] == "tag"
    assert set(tags["data"][0]) - {"type"} == set(
        load_json("actfong-2013/search_tags.json")["data"][0]
    )
    assert users["paging"] == {} and tags["paging"] == {}


async def test_paging_is_by_offset_and_links_keep_q_and_type(seeded) -> None:
    first = await search(seeded, q="party mix", type="cloudcast")
    assert len(first["data"]) == 20
    assert first["paging"] == {
        "next": f"{API}/search/?q=party+mix&type=cloudcast&limit=20&offset=20"
    }
    second = (await seeded.get(first["paging"]["next"])).json()
    assert len(second["data"]) == 5
    assert second["paging"] == {
        "previous": f"{API}/search/?q=party+mix&type=cloudcast&limit=20&offset=0"
    }
    keys = [s["key"] for s in first["data"] + second["data"]]
    assert len(set(keys)) == 25


@pytest.mark.parametrize(
    "params",
    [{"q": "party"}, {"q": "party", "type": "artist"}, {"q": "", "type": "user"},
     {"type": "cloudcast"}, {"q": "   ", "type": "tag"}, {"q": "!!! ***", "type": "cloudcast"},
     {"q": "party", "type": "user", "limit": "x"}],
)  # fmt: skip
async def test_a_missing_or_unknown_type_or_an_empty_q_is_a_400(seeded, params) -> None:
    response = await api_get(seeded, "/search/", **params)
    assert_api_error(response, status=400, type="InvalidParameterException")


@pytest.mark.parametrize("q", ['"', "party OR", "NEAR(a b)", "a:b", "x*", "(", "-party", "&|!"])
async def test_operators_in_q_never_break_the_query(seeded, q) -> None:
    response = await api_get(seeded, "/search/", q=q, type="cloudcast")
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert_api_error(response, status=400, type="InvalidParameterException")
