import pytest

from tests.conftest import api_get, assert_api_error
from tests.factories import make_show, make_user

pytestmark = pytest.mark.anyio


async def test_user_and_show(client, services):
    uid = await make_user(services, "spartacus", city="London")
    await make_show(services, uid, "Party Time", tags=["Funk"])
    r = await api_get(client, "/spartacus/")
    assert r.status_code == 200 and r.json()["username"] == "spartacus"
    r = await api_get(client, "/SPARTACUS/party-time/")
    assert r.json()["tags"][0]["name"] == "Funk"
    assert_api_error(
        await api_get(client, "/nobody/"), status=404, type="ResourceNotFoundException"
    )


async def test_show_slugs_and_tags_are_found_ignoring_case(client, services):
    uid = await make_user(services, "spartacus")
    await make_show(services, uid, "Party Time", tags=["Deep House"])
    show = await api_get(client, "/Spartacus/Party-Time/")
    assert show.status_code == 200 and show.json()["key"] == "/spartacus/party-time/"
    tag = await api_get(client, "/genres/Deep-House/")
    assert tag.status_code == 200 and tag.json()["key"] == "/genres/deep-house/"
