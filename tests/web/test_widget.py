"""The player widget over HTTP: which ``feed`` values find a show, who may see it, the options,
escaping, the headers that let any site frame it (and nothing else in), the ``show.json`` its
``load`` method reads, and the host pages' ``widgetApi.js`` with the site's origin in it.

The player in a real browser is tests/web/test_widget_browser.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from mixcast.db.database import Query
from mixcast.services import Services
from mixcast.shows.shows import Section
from tests.factories import make_show, make_user
from tests.web.helpers import sign_up

pytestmark = pytest.mark.anyio

XSS = "</script><script>alert(1)</script>"
SECTIONS = (
    Section(chapter="Introduction", start_time=0),
    Section(artist="Spartacus", song="Break the Chains", start_time=95),
    Section(artist="Crixus & Co", song="Gaul", start_time=3725),
    Section(chapter="No time given"),
)


@pytest.fixture
async def show(services: Services) -> str:
    """A public show of spartacus with a tracklist: its key."""
    owner = await make_user(services, "spartacus", display_name="Spartacus of Thrace")
    await make_show(
        services, owner, "Party Time", audio_length=3900, sections=SECTIONS, tags=("House",)
    )
    return "/spartacus/party-time/"


def state(page: httpx.Response) -> dict[str, Any]:
    """The data the page hands its script."""
    found = re.search(
        r'<script type="application/json" id="widget-state">(.*?)</script>', page.text
    )
    assert found, page.text
    value: dict[str, Any] = json.loads(found.group(1))
    return value


def assert_frameable(response: httpx.Response) -> str:
    """Any site may frame the widget; its own content comes from the site only."""
    assert "x-frame-options" not in response.headers
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["frame-ancestors"] == "*"
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self' http://testserver"  # no inline script
    assert directives["img-src"] == "'self' http://testserver data:"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in response.headers  # an embed sets no cookie on anyone
    return csp


async def test_the_player_page(client, show):
    page = await client.get("/widget/iframe/", params={"feed": show})
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "public, max-age=60"
    assert_frameable(page)
    html = page.text
    assert (
        '<audio id="audio" preload="metadata" src="http://testserver/spartacus/party-time/stream.mp3">'
        in html
    )
    assert 'href="http://testserver/spartacus/party-time/" target="_blank"' in html
    assert ">Party Time</a>" in html
    assert (
        'href="http://testserver/spartacus/" target="_blank" rel="noopener">Spartacus of Thrace</a>'
        in html
    )
    assert '<canvas class="waveform" id="waveform"' in html
    assert 'src="http://testserver/media/pictures/default-extaudio/320x320.jpg"' in html
    assert '<span id="duration">1:05:00</span>' in html
    items = re.findall(
        r'<li data-start="(\d*)"><span class="at">([^<]*)</span><span class="what">([^<]*)</span>',
        html,
    )
    assert items == [
        ("0", "0:00", "Introduction"),
        ("95", "1:35", "Spartacus – Break the Chains"),
        ("3725", "1:02:05", "Crixus &amp; Co – Gaul"),
        ("", "", "No time given"),
    ]
    data = state(page)
    assert data["show"]["key"] == show
    assert data["show"]["peaks"] == "http://testserver/spartacus/party-time/peaks.json"
    assert data["show"]["listens"] == "http://testserver/spartacus/party-time/listens/"
    assert data["show_json"] == "http://testserver/widget/iframe/show.json"
    assert data["options"] == {"hide_cover": False, "mini": False, "light": False,
                               "hide_artwork": False, "hide_tracklist": False,
                               "autoplay": False, "color": None}  # fmt: skip
    assert '<body class="">' in html
    # The script and style the page names are served, cacheable, and versioned by content.
    for tag in re.findall(
        r'(?:src|href)="(http://testserver/widget/player\.(?:js|css)\?v=\w+)"', html
    ):
        asset = await client.get(tag)
        assert (
            asset.status_code == 200 and asset.headers["cache-control"] == "public, max-age=86400"
        )
    assert len(re.findall(r"/widget/player\.(?:js|css)\?v=", html)) == 2


@pytest.mark.parametrize(
    "feed",
    [
        "/spartacus/party-time/",
        "/spartacus/party-time",
        "spartacus/party-time/",
        "/Spartacus/Party-Time/",
        "%2Fspartacus%2Fparty-time%2F",  # encoded once more than the query needs
        "http://testserver/spartacus/party-time/",
        "https://testserver/spartacus/party-time",
        "//testserver/spartacus/party-time/",
        "http://testserver/api/spartacus/party-time/",
        "https%3A%2F%2Ftestserver%2Fspartacus%2Fparty-time%2F",
    ],
)
async def test_feed_is_a_key_or_a_show_url_on_our_hosts(client, show, feed):
    page = await client.get("/widget/iframe/", params={"feed": feed})
    assert page.status_code == 200, feed
    assert state(page)["show"]["key"] == show


async def test_an_embed_codes_feed_as_sent_by_a_browser(client, show):
    page = await client.get("/widget/iframe/?hide_cover=1&feed=%2Fspartacus%2Fparty-time%2F")
    assert page.status_code == 200 and state(page)["show"]["key"] == show


@pytest.mark.parametrize(
    "feed",
    [
        "",
        "/spartacus/",
        "/spartacus/no-such-show/",
        "/nobody/party-time/",
        "/spartacus/party-time/extra/",
        "https://elsewhere.example/spartacus/party-time/",
        "http://testserver.example/spartacus/party-time/",
        "https://www.mixcloud.com/spartacus/party-time/",
    ],
)
async def test_a_feed_that_finds_nothing_is_a_small_404_in_the_frame(client, show, feed):
    page = await client.get("/widget/iframe/", params={"feed": feed} if feed else None)
    assert page.status_code == 404
    assert_frameable(page)
    assert 'id="missing">This show is not available.<' in page.text
    assert "<audio" not in page.text and "<script" not in page.text
    assert page.headers["cache-control"] == "private, no-store"
    missing = await client.get("/widget/iframe/show.json", params={"feed": feed})
    assert missing.status_code == 404 and missing.json() == {"error": "No such show."}


async def set_visibility(services: Services, visibility: str, status: str = "ready") -> None:
    async with services.db.transaction() as tx:
        await tx.execute(
            Query("UPDATE shows SET visibility = :v, status = :s"), {"v": visibility, "s": status}
        )


async def test_unlisted_shows_play_by_key_drafts_only_for_their_owner(client, services, new_client):
    await sign_up(client, "spartacus")
    owner = await services.db.fetch_value(
        Query("SELECT id FROM users WHERE username = 'spartacus'")
    )
    await make_show(services, owner, "Secret", audio_length=60)
    stranger = await new_client(ip="10.0.0.9")
    feed = {"feed": "/spartacus/secret/"}

    await set_visibility(services, "unlisted")
    assert (await stranger.get("/widget/iframe/", params=feed)).status_code == 200
    for visibility, status in (
        ("draft", "ready"),
        ("scheduled", "ready"),
        ("public", "processing"),
    ):
        await set_visibility(services, visibility, status)
        assert (await stranger.get("/widget/iframe/", params=feed)).status_code == 404
        assert (await stranger.get("/widget/iframe/show.json", params=feed)).status_code == 404
        mine = await client.get("/widget/iframe/", params=feed)
        assert mine.status_code == 200, visibility
        # Only the owner sees it: no cache may keep it.
        assert mine.headers["cache-control"] == "private, no-store"


async def test_options_become_body_classes_and_state(client, show):
    query = {"feed": show, "mini": "1", "light": "true", "hide_artwork": "1", "hide_tracklist": "1",
             "hide_cover": "1", "autoplay": "1", "color": "FF6600"}  # fmt: skip
    page = await client.get("/widget/iframe/", params=query)
    assert '<body class="hide-cover mini light hide-artwork hide-tracklist">' in page.text
    assert state(page)["options"] == {"hide_cover": True, "mini": True, "light": True,
                                      "hide_artwork": True, "hide_tracklist": True,
                                      "autoplay": True, "color": "ff6600"}  # fmt: skip
    off = await client.get("/widget/iframe/", params={"feed": show, "light": "0", "mini": "no"})
    assert '<body class="">' in off.text
    for color in ("#ff6600", "f60", "ff66001", "red", "ggg000", "ff6600;x"):
        page = await client.get("/widget/iframe/", params={"feed": show, "color": color})
        assert page.status_code == 200 and state(page)["options"]["color"] is None, color


async def test_what_owners_write_is_escaped(client, services):
    owner = await make_user(services, "crixus", display_name=XSS)
    await make_show(
        services,
        owner,
        XSS,
        sections=(Section(artist=XSS, song="<b>Song</b>", start_time=1),),
    )
    listing = await client.get("/api/crixus/cloudcasts/")
    key = listing.json()["data"][0]["key"]
    page = await client.get("/widget/iframe/", params={"feed": key})
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "<b>Song" not in page.text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    # Inside the JSON script element nothing can close it.
    raw = re.search(r'id="widget-state">(.*?)</script>', page.text, re.S)
    assert raw and "<" not in raw.group(1)
    assert state(page)["show"]["name"] == XSS
    assert state(page)["show"]["owner"]["name"] == XSS


async def test_show_json_is_what_load_reads(client, show):
    response = await client.get(
        "/widget/iframe/show.json", params={"feed": "/spartacus/party-time"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    page = await client.get("/widget/iframe/", params={"feed": show})
    assert data == state(page)["show"]
    assert data["name"] == "Party Time" and data["duration"] == 3900
    assert data["owner"] == {"username": "spartacus", "name": "Spartacus of Thrace",
                             "url": "http://testserver/spartacus/"}  # fmt: skip
    assert [s["start"] for s in data["sections"]] == [0, 95, 3725, None]


async def test_widget_api_script_carries_the_site_origin(client):
    response = await client.get("/media/js/widgetApi.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert response.headers["access-control-allow-origin"] == "*"
    script = response.text
    assert 'var WIDGET_ORIGIN = "http://testserver";' in script
    assert "__WIDGET_ORIGIN__" not in script
    assert "Mixcloud" in script and "noConflict" in script


async def test_the_api_script_names_the_configured_origin_not_the_requests(https_services):
    from tests.conftest import client_of

    async with client_of(https_services) as client:
        script = (await client.get("/media/js/widgetApi.js")).text
    assert 'var WIDGET_ORIGIN = "https://testserver";' in script
