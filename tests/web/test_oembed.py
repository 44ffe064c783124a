"""oEmbed at ``/oembed`` and ``/oembed/`` as consumers call it (wire-format.md §10.2): the
``rich`` answer in JSON and XML, every url form we own, maxwidth/maxheight, and the errors of
the oEmbed spec (400, 404, 501)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest

from mixcast.services import Services, open_services
from tests.conftest import api_get, client_of, make_settings
from tests.factories import T0, make_show, make_user

pytestmark = pytest.mark.anyio

SHOW_URL = "http://testserver/spartacus/party-time/"
FIELDS = {
    "version", "type", "provider_name", "provider_url", "title", "author_name", "author_url",
    "html", "width", "height", "thumbnail_url", "thumbnail_width", "thumbnail_height", "image",
    "description",
}  # fmt: skip
IFRAME = re.compile(r'^<iframe width="([^"]+)" height="(\d+)" src="([^"]+)" [^>]* ></iframe>\Z')
NASTY = "<script>alert(1)</script> & \"quotes\" 'n' stuff"


@pytest.fixture
async def world(services: Services) -> dict[str, Any]:
    spartacus = await make_user(
        services, "spartacus", display_name="Spartacus & Co", biog="Gladiator <b>beats</b>"
    )
    await make_show(services, spartacus, "Party Time", description="A party.", now=T0)
    await make_show(services, spartacus, "Hidden Gem", visibility="unlisted", now=T0 + 5)
    await make_show(services, spartacus, "Secret Draft", visibility="draft", now=T0 + 6)
    await make_show(services, spartacus, "Still Cooking", status="processing", now=T0 + 7)
    await make_show(services, spartacus, "Newest Mix", now=T0 + 1)
    await make_user(services, "quiet")  # no public show at all
    return {"spartacus": spartacus}


async def oembed(
    client: httpx.AsyncClient, url: str | None = SHOW_URL, path: str = "/oembed", **params: str
) -> httpx.Response:
    if url is not None:
        params["url"] = url
    return await client.get(path, params=params)


async def oembed_json(client: httpx.AsyncClient, url: str = SHOW_URL, **params: str) -> Any:
    response = await oembed(client, url, **params)
    assert response.status_code == 200, (url, response.text)
    assert response.headers["content-type"] == "application/json"
    return response.json()


def iframe(html: str) -> tuple[str, int, dict[str, str]]:
    match = IFRAME.match(html)
    assert match, html
    query = dict(parse_qsl(urlsplit(unescape(match.group(3))).query))
    return match.group(1), int(match.group(2)), query


# ------------------------------------------------------------------ the answer


async def test_a_show_url_answers_a_rich_oembed_in_json(client, world):
    response = await oembed(client)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    assert re.fullmatch(r"public, max-age=\d{3}", response.headers["cache-control"])
    body = response.json()
    assert set(body) == FIELDS
    show = (await api_get(client, "/spartacus/party-time/")).json()
    picture = show["pictures"]["extra_large"]
    assert body == {
        "version": "1.0",
        "type": "rich",
        "provider_name": "mixcast",
        "provider_url": "http://testserver",
        "title": "Party Time",
        "author_name": "Spartacus & Co",
        "author_url": "http://testserver/spartacus/",
        "html": body["html"],
        "width": "100%",
        "height": 120,
        "thumbnail_url": picture,
        "thumbnail_width": 600,
        "thumbnail_height": 600,
        "image": picture,
        "description": "A party.",
    }
    embed = (await api_get(client, "/spartacus/party-time/embed-json/")).json()
    assert body["html"] == embed["html"]  # the one embed code
    assert body["html"].startswith(
        '<iframe width="100%" height="120" src="http://testserver/widget/iframe/?hide_cover=1'
        '&amp;feed=%2Fspartacus%2Fparty-time%2F" frameborder="0" '
    )


async def test_xml_is_the_same_fields_under_oembed(client, world):
    response = await oembed(client, format="xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.text.startswith(
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?><oembed><version>1.0</version>'
    )
    root = ET.fromstring(response.content)
    assert root.tag == "oembed"
    as_xml = {child.tag: child.text or "" for child in root}
    as_json = await oembed_json(client)
    assert as_xml == {name: str(value) for name, value in as_json.items()}


async def test_the_slashed_address_answers_the_same(client, world):
    plain, slashed = await oembed(client), await oembed(client, path="/oembed/")
    assert slashed.status_code == 200 and slashed.json() == plain.json()


async def test_json_is_the_default_and_may_be_asked_for(client, world):
    assert await oembed_json(client, format="json") == await oembed_json(client)
    assert await oembed_json(client, format="") == await oembed_json(client)


async def test_a_name_that_looks_like_markup_is_escaped_everywhere(client, services):
    uid = await make_user(services, "spartacus", display_name=NASTY, biog=NASTY)
    _, slug = await make_show(services, uid, NASTY, description=NASTY)
    url = f"http://testserver/spartacus/{slug}/"
    body = await oembed_json(client, url)
    assert body["title"] == body["author_name"] == body["description"] == NASTY
    assert iframe(body["html"])[2]["feed"] == f"/spartacus/{slug}/"
    xml = await oembed(client, url, format="xml")
    assert "<script>" not in xml.text and "&amp;" in xml.text
    root = ET.fromstring(xml.content)
    assert root.findtext("title") == root.findtext("author_name") == NASTY
    assert root.findtext("description") == NASTY
    assert root.findtext("html") == body["html"]
    user = ET.fromstring(
        (await oembed(client, "http://testserver/spartacus/", format="xml")).content
    )
    assert user.findtext("title") == user.findtext("description") == NASTY


async def test_xml_drops_characters_xml_cannot_hold(client, services):
    uid = await make_user(services, "spartacus")
    _, slug = await make_show(services, uid, "Bell\x07 Mix")
    response = await oembed(client, f"http://testserver/spartacus/{slug}/", format="xml")
    assert ET.fromstring(response.content).findtext("title") == "Bell Mix"


# ------------------------------------------------------------------ the url forms


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver/spartacus/party-time/",
        "http://testserver/spartacus/party-time",
        "https://testserver/spartacus/party-time/",
        "https://www.testserver/spartacus/party-time",
        "http://TestServer:80/spartacus/party-time/",
        "https://testserver:443/spartacus/party-time/",
        "http://testserver/SPARTACUS/Party-Time/",
        "http://testserver/%73partacus/party%2Dtime/",
        "http://testserver/spartacus/party-time/?utm_source=x#top",
        "http://testserver/api/spartacus/party-time/",  # the API's key URL
        "https://www.testserver/api/spartacus/party-time",
        "http%3A%2F%2Ftestserver%2Fspartacus%2Fparty-time%2F",  # encoded twice by the consumer
    ],
)
async def test_every_form_of_a_show_url_we_own(client, world, url):
    body = await oembed_json(client, url)
    assert body["title"] == "Party Time"
    assert iframe(body["html"])[2]["feed"] == "/spartacus/party-time/"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.mixcloud.com/spartacus/party-time/",  # not ours
        "http://evil.testserver/spartacus/party-time/",
        "http://testserver.evil/spartacus/party-time/",
        "http://user@testserver/spartacus/party-time/",
        "ftp://testserver/spartacus/party-time/",
        "testserver/spartacus/party-time/",
        "http://testserver:8080/spartacus/party-time/",
        "http://testserver/",
        "http://testserver/spartacus/party-time/embed-html/",
        "http://testserver//party-time/",
        "http://testserver/spartacus/no-such-show/",
        "http://testserver/nobody/",
        "http://testserver/spartacus/secret-draft/",  # a draft: only its owner sees it
        "http://testserver/spartacus/still-cooking/",  # not processed yet
        "http://testserver/quiet/",  # a user without a public show
    ],
)
async def test_what_we_cannot_embed_is_404(client, world, url):
    for kind in ("json", "xml"):
        response = await oembed(client, url, format=kind)
        assert response.status_code == 404, url
        assert response.headers["content-type"].startswith("text/plain")
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.text.strip()


async def test_an_unlisted_show_embeds_through_its_url(client, world):
    body = await oembed_json(client, "http://testserver/spartacus/hidden-gem/")
    assert body["title"] == "Hidden Gem"


async def test_a_user_url_embeds_their_newest_public_show(client, world):
    body = await oembed_json(client, "https://www.testserver/spartacus")
    user = (await api_get(client, "/spartacus/")).json()
    assert body["title"] == body["author_name"] == "Spartacus & Co"
    assert body["description"] == "Gladiator <b>beats</b>"
    assert body["author_url"] == "http://testserver/spartacus/"
    assert body["thumbnail_url"] == body["image"] == user["pictures"]["extra_large"]
    # Newest Mix is newer than Party Time; the unlisted, draft and unprocessed ones are not
    # public, however new.
    assert iframe(body["html"])[2]["feed"] == "/spartacus/newest-mix/"


@pytest.fixture
async def split_services(
    database_url: str, tmp_path: Path, media_dir: Path, services: Services
) -> AsyncIterator[Services]:
    """The test's database served as a site under a prefix and an API on its own host."""
    settings = make_settings(
        database_url,
        tmp_path,
        media_dir,
        site="https://radio.example/station",
        api="https://api.radio.example",
    )
    split = await open_services(settings)
    try:
        yield split
    finally:
        await split.close()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("https://radio.example/station/spartacus/party-time/", 200),
        ("http://www.radio.example/station/spartacus/party-time", 200),
        ("https://api.radio.example/spartacus/party-time/", 200),
        ("https://www.api.radio.example/spartacus/party-time", 200),
        ("https://radio.example/spartacus/party-time/", 404),  # outside the site's prefix
        ("https://radio.example/stationx/spartacus/party-time/", 404),
        ("https://api.radio.example/station/spartacus/party-time/", 404),
        ("http://testserver/spartacus/party-time/", 404),  # not a host of this site
    ],
)
async def test_our_own_hosts_and_prefixes_as_configured(world, split_services, url, status):
    async with client_of(split_services, base_url="https://radio.example") as client:
        response = await client.get("/station/oembed", params={"url": url})
    assert response.status_code == status, (url, response.text)
    if status == 200:
        body = response.json()
        assert body["provider_url"] == "https://radio.example/station"
        assert body["author_url"] == "https://radio.example/station/spartacus/"
        _, _, query = iframe(body["html"])
        assert query["feed"] == "/spartacus/party-time/"
        assert body["html"].count('src="https://radio.example/station/widget/iframe/?') == 1


# ------------------------------------------------------------------ sizes and options


@pytest.mark.parametrize(
    ("params", "width", "height"),
    [
        ({"maxwidth": "500"}, 500, 120),  # a percentage becomes maxwidth pixels
        ({"width": "640", "maxwidth": "500"}, 500, 120),
        ({"width": "400", "maxwidth": "500"}, 400, 120),
        ({"maxheight": "100"}, "100%", 100),
        ({"maxheight": "200"}, "100%", 120),
        ({"height": "300", "maxheight": "250", "maxwidth": "300"}, 300, 250),
        ({"hide_cover": "0", "maxheight": "350"}, "100%", 350),
        ({"mini": "1"}, "100%", 60),
        ({"width": "75%", "height": "90"}, "75%", 90),
        ({"maxwidth": "", "maxheight": ""}, "100%", 120),
    ],
)
async def test_sizes_and_their_limits(client, world, params, width, height):
    body = await oembed_json(client, **params)
    assert (body["width"], body["height"]) == (width, height)
    assert iframe(body["html"])[:2] == (str(width), height)
    xml = ET.fromstring((await oembed(client, format="xml", **params)).content)
    assert (xml.findtext("width"), xml.findtext("height")) == (str(width), str(height))


async def test_color_and_flags_are_forwarded_to_the_widget(client, world):
    body = await oembed_json(client, color="FF6600", light="1", autoplay="true")
    assert iframe(body["html"])[2] == {
        "hide_cover": "1", "light": "1", "autoplay": "1", "color": "ff6600",
        "feed": "/spartacus/party-time/",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("maxwidth", "0"), ("maxwidth", "-1"), ("maxwidth", "wide"), ("maxheight", "1.5"),
        ("width", "0"), ("width", "120%"), ("height", "9999"), ("color", "#ff6600"),
        ("mini", "sure"),
    ],
)  # fmt: skip
async def test_a_bad_parameter_is_400_naming_it(client, world, name, value):
    response = await oembed(client, **{name: value})
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == "*"
    assert name in response.text


# ------------------------------------------------------------------ errors of the oEmbed spec


async def test_a_missing_url_is_400(client, world):
    for url in (None, ""):
        response = await oembed(client, url)
        assert response.status_code == 400
        assert "url" in response.text


@pytest.mark.parametrize("kind", ["yaml", "JSON", "html", "jsonp"])
async def test_an_unsupported_format_is_501(client, world, kind):
    response = await oembed(client, format=kind)
    assert response.status_code == 501
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["access-control-allow-origin"] == "*"
    assert "json" in response.text and "xml" in response.text


async def test_the_url_may_arrive_fully_encoded_in_the_query(client, world):
    # As the documented example sends it: url=https%3A%2F%2F…
    response = await client.get("/oembed/?url=" + quote(SHOW_URL, safe="") + "&format=json")
    assert response.status_code == 200
    assert response.json()["title"] == "Party Time"
