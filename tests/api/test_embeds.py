"""``/<user>/<slug>/embed-html/`` and ``/embed-json/`` as clients call them: the iframe markup
(wire-format.md §10.1), its parameters and their errors, JSONP, and who may embed what."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from mixcast.services import Services
from tests.conftest import api_get, assert_api_error
from tests.factories import make_show, make_token, make_user

pytestmark = pytest.mark.anyio

# wire-format.md §10.1: Mixcloud's classic embed, with our site and the player's allow list.
GOLDEN = (
    '<iframe width="100%" height="120" src="http://testserver/widget/iframe/?hide_cover=1'
    '&amp;feed=%2Fspartacus%2Fparty-time%2F" frameborder="0" allow="encrypted-media; '
    'fullscreen; autoplay; idle-detection; speaker-selection; web-share;" ></iframe>'
)
IFRAME = re.compile(
    r'^<iframe width="([^"]+)" height="(\d+)" src="([^"]+)" frameborder="0"[^>]* ></iframe>\Z'
)


@pytest.fixture
async def world(services: Services) -> dict[str, Any]:
    spartacus = await make_user(services, "spartacus")
    crixus = await make_user(services, "crixus")
    await make_show(services, spartacus, "Party Time")
    await make_show(services, spartacus, "Hidden Gem", visibility="unlisted")
    await make_show(services, spartacus, "Secret Draft", visibility="draft")
    await make_show(services, spartacus, "Still Cooking", status="processing")
    return {
        "own_token": await make_token(services, spartacus),
        "other_token": await make_token(services, crixus),
    }


def iframe(html: str) -> tuple[str, int, str, dict[str, str]]:
    """The iframe's width, height, src (unescaped) and the src's query."""
    match = IFRAME.match(html)
    assert match, html
    width, height, src = match.group(1), int(match.group(2)), unescape(match.group(3))
    return width, height, src, dict(parse_qsl(urlsplit(src).query))


async def embed_json(client: httpx.AsyncClient, path: str, **params: Any) -> str:
    response = await api_get(client, path, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert list(body) == ["html"]
    html: str = body["html"]
    return html


# ------------------------------------------------------------------ the golden answers


async def test_embed_html_is_the_classic_iframe_as_text_html(client, world):
    response = await api_get(client, "/spartacus/party-time/embed-html/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.text == GOLDEN


async def test_embed_json_wraps_the_same_html(client, world):
    assert await embed_json(client, "/spartacus/party-time/embed-json/") == GOLDEN


async def test_both_answer_without_the_trailing_slash_too(client, world):
    html = await api_get(client, "/spartacus/party-time/embed-html")
    assert html.status_code == 200 and html.text == GOLDEN
    assert await embed_json(client, "/spartacus/party-time/embed-json") == GOLDEN


async def test_the_key_is_the_shows_own_spelling(client, world):
    response = await api_get(client, "/SPARTACUS/Party-Time/embed-html/")
    assert response.text == GOLDEN


async def test_the_src_is_the_configured_site_whatever_host_asked(client, world):
    response = await client.get(
        "/api/spartacus/party-time/embed-html/", headers={"Host": "mirror.example:8080"}
    )
    assert response.status_code == 200
    _, _, src, _ = iframe(response.text)
    assert src.startswith("http://testserver/widget/iframe/?")


# ------------------------------------------------------------------ JSONP


async def test_embed_json_takes_a_jsonp_callback(client, world):
    response = await api_get(client, "/spartacus/party-time/embed-json/", callback="cb.done")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.text.startswith('cb.done({"html":"<iframe ')
    assert response.text.endswith('></iframe>"})')


async def test_embed_html_stays_html_with_a_callback(client, world):
    response = await api_get(client, "/spartacus/party-time/embed-html/", callback="cb")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == GOLDEN


async def test_a_bad_callback_is_an_error(client, world):
    response = await api_get(client, "/spartacus/party-time/embed-json/", callback="alert(1)")
    assert_api_error(response, status=400, type="InvalidParameterException")


# ------------------------------------------------------------------ width, height, color


@pytest.mark.parametrize(
    ("params", "width", "height"),
    [
        ({"width": "640"}, "640", 120),
        ({"width": "4000", "height": "4000"}, "4000", 4000),
        ({"width": "1"}, "1", 120),
        ({"width": "50%"}, "50%", 120),
        ({"width": "100%", "height": "1"}, "100%", 1),
        ({"height": "200"}, "100%", 200),
        ({"width": "", "height": ""}, "100%", 120),  # empty counts as absent
        ({"mini": "1"}, "100%", 60),
        ({"hide_cover": "0"}, "100%", 400),
        ({"hide_cover": "false", "height": "300"}, "100%", 300),
        ({"mini": "true", "height": "90"}, "100%", 90),
    ],
)
async def test_size(client, world, params, width, height):
    html = await embed_json(client, "/spartacus/party-time/embed-json/", **params)
    assert iframe(html)[:2] == (width, height)
    response = await api_get(client, "/spartacus/party-time/embed-html/", **params)
    assert response.text == html


async def test_color_becomes_the_widgets_option(client, world):
    html = await embed_json(client, "/spartacus/party-time/embed-json/", color="FF6600")
    _, _, src, query = iframe(html)
    assert query == {"hide_cover": "1", "color": "ff6600", "feed": "/spartacus/party-time/"}
    assert src.endswith("&feed=%2Fspartacus%2Fparty-time%2F")  # feed last, as Mixcloud's


async def test_flags_pass_through_in_the_widgets_order(client, world):
    params = {
        "autoplay": "1", "light": "true", "hide_tracklist": "1", "hide_artwork": "TRUE",
        "mini": "0", "color": "00aa11",
    }  # fmt: skip
    _, _, src, query = iframe(
        await embed_json(client, "/spartacus/party-time/embed-json/", **params)
    )
    assert urlsplit(src).query == (
        "hide_cover=1&light=1&hide_artwork=1&hide_tracklist=1&autoplay=1&color=00aa11"
        "&feed=%2Fspartacus%2Fparty-time%2F"
    )
    assert "mini" not in query


async def test_hide_cover_0_leaves_it_out(client, world):
    _, height, _, query = iframe(
        await embed_json(client, "/spartacus/party-time/embed-json/", hide_cover="0")
    )
    assert query == {"feed": "/spartacus/party-time/"} and height == 400


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("width", "0"), ("width", "4001"), ("width", "-5"), ("width", "12px"), ("width", "0%"),
        ("width", "101%"), ("width", "50.5%"), ("width", "1e3"), ("width", "007"),
        ("height", "0"), ("height", "4001"), ("height", "50%"), ("height", "abc"),
        ("color", "#ff6600"), ("color", "ff660"), ("color", "ff66001"), ("color", "gggggg"),
        ("color", "red"), ("mini", "2"), ("light", "maybe"), ("hide_cover", "x"),
        ("autoplay", "please"),
    ],
)  # fmt: skip
async def test_a_bad_value_is_a_400_naming_the_parameter(client, world, name, value):
    for kind in ("embed-html", "embed-json"):
        response = await api_get(client, f"/spartacus/party-time/{kind}/", **{name: value})
        body = assert_api_error(response, status=400, type="InvalidParameterException")
        assert name in body["error"]["message"], body


async def test_the_feed_is_the_shows_api_key_whatever_its_slug(client, services):
    uid = await make_user(services, "spartacus")
    _, slug = await make_show(services, uid, 'Süß "&" <Mix> 100%')
    show = (await api_get(client, f"/spartacus/{slug}/")).json()
    html = await embed_json(client, f"/spartacus/{slug}/embed-json/")
    assert iframe(html)[3]["feed"] == show["key"]
    assert '"&"' not in html and "<Mix>" not in html


# ------------------------------------------------------------------ who may embed what


async def test_an_unlisted_show_embeds_through_its_key(client, world):
    _, _, _, query = iframe(await embed_json(client, "/spartacus/hidden-gem/embed-json/"))
    assert query["feed"] == "/spartacus/hidden-gem/"


@pytest.mark.parametrize("slug", ["secret-draft", "still-cooking", "no-such-show"])
async def test_what_others_cannot_see_is_404(client, world, slug):
    for kind in ("embed-html", "embed-json"):
        for token in (None, world["other_token"]):
            params = {"access_token": token} if token else {}
            response = await api_get(client, f"/spartacus/{slug}/{kind}/", **params)
            assert_api_error(response, status=404, type="ResourceNotFoundException")


async def test_the_owner_may_embed_their_draft(client, world):
    html = await embed_json(
        client, "/spartacus/secret-draft/embed-json/", access_token=world["own_token"]
    )
    assert iframe(html)[3]["feed"] == "/spartacus/secret-draft/"


async def test_an_unknown_user_is_404(client, world):
    response = await api_get(client, "/nobody/party-time/embed-html/")
    assert_api_error(response, status=404, type="ResourceNotFoundException")


async def test_embed_html_is_get_only(client, world):
    response = await client.post("/api/spartacus/party-time/embed-html/")
    assert_api_error(response, status=405, type="MethodNotAllowedException")
