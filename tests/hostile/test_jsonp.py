"""JSONP callback injection: every family of API answers (objects, lists, search, ``/me/``,
embed-json, errors, the token endpoint) refuses a callback that is not a plain JavaScript
identifier path with a 400 in the API's error shape, never echoing it; a valid one wraps the
JSON and nothing else; oEmbed takes no callback at all."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from mixcast.services import Services
from tests.conftest import assert_api_error
from tests.factories import make_show, make_token, make_user

pytestmark = pytest.mark.anyio

HOSTILE = [
    "alert(1);x",
    "a</script>",
    "x\u2028y",
    "x\u2029y",
    "a-b",
    "1abc",
    "a b",
    "a;b",
    "a.b.",
    ".a",
    "a..b",
    "a[0]",
    "a=b",
    "/**/alert",
    "a\x00b",
    "\u0430lert",  # a Cyrillic а: not an ASCII identifier
    "x" * 129,
]
VALID = ["cb", "jQuery123_456", "a.b.c", "$cb", "_", "constructor.constructor", "x" * 128]

# (path, needs a token): one of each family of API answers.
ENDPOINTS = [
    ("/spartacus/", False),
    ("/spartacus/party-time/", False),
    ("/genres/funk/", False),
    ("/popular/", False),
    ("/spartacus/cloudcasts/", False),
    ("/spartacus/party-time/listeners/", False),
    ("/search/?q=party&type=cloudcast", False),
    ("/me/", True),
    ("/me/following/", True),
    ("/spartacus/party-time/embed-json/", False),
    ("/spartacus/party-time/embed-json", False),
]
ERRORS = [
    ("/nobody-here/", 404, "ResourceNotFoundException"),
    ("/spartacus/no-such-show/", 404, "ResourceNotFoundException"),
    ("/no/such/thing/at/all/", 404, "ResourceNotFoundException"),
    ("/search/?q=party&type=nonsense", 400, "InvalidParameterException"),
    ("/popular/?limit=-5", 400, "InvalidParameterException"),
    ("/me/", 400, "OAuthException"),  # no token: refused, wrapped all the same
]


@pytest.fixture
async def token(services: Services) -> str:
    spartacus = await make_user(services, "spartacus")
    crixus = await make_user(services, "crixus")
    await make_show(services, spartacus, "Party Time", tags=("Funk",))
    await make_show(services, crixus, "Other Party")
    return await make_token(services, spartacus)


async def get(
    client: httpx.AsyncClient, path: str, callback: str | None, token: str | None = None
) -> httpx.Response:
    path, _, query = path.partition("?")
    params = dict(parse_qsl(query))
    if callback is not None:
        params["callback"] = callback
    if token is not None:
        params["access_token"] = token
    return await client.get("/api" + path, params=params)


def unwrap(response: httpx.Response, callback: str) -> Any:
    """The JSON inside ``callback(…)``: the body must be exactly that call, nothing more."""
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    body = response.text
    assert body.startswith(callback + "(") and body.endswith(")"), body[:200]
    return json.loads(body[len(callback) + 1 : -1])


def assert_refused(response: httpx.Response, callback: str) -> None:
    body = assert_api_error(response, status=400, type="InvalidParameterException")
    assert "callback" in body["error"]["message"]
    assert response.headers["content-type"].startswith("application/json")
    assert callback not in response.text
    if len(callback) > 1:
        assert json.dumps(callback)[1:-1] not in response.text


@pytest.mark.parametrize(("path", "needs_token"), ENDPOINTS)
async def test_hostile_callbacks_are_refused_everywhere(client, token, path, needs_token):
    for callback in HOSTILE:
        response = await get(client, path, callback, token if needs_token else None)
        assert_refused(response, callback)


@pytest.mark.parametrize(("path", "needs_token"), ENDPOINTS)
async def test_valid_callbacks_wrap_the_same_json(client, token, path, needs_token):
    plain = await get(client, path, None, token if needs_token else None)
    assert plain.status_code == 200, plain.text
    for callback in VALID:
        response = await get(client, path, callback, token if needs_token else None)
        assert response.status_code == 200, response.text
        assert unwrap(response, callback) == plain.json()
        assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", [p for p, _ in ENDPOINTS[:3]])
async def test_an_empty_callback_is_absent(client, token, path):
    response = await get(client, path, "")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json()["key"]


@pytest.mark.parametrize(("path", "status", "kind"), ERRORS)
async def test_errors_are_wrapped_for_a_valid_callback_and_refuse_a_hostile_one(
    client, token, path, status, kind
):
    wrapped = await get(client, path, "handleError")
    assert wrapped.status_code == status
    body = unwrap(wrapped, "handleError")
    assert body["error"]["type"] == kind
    for callback in HOSTILE:
        response = await get(client, path, callback)
        if path == "/no/such/thing/at/all/":  # no route: its own 404, never wrapped
            assert_api_error(response, status=404, type=kind)
            assert response.headers["content-type"].startswith("application/json")
            assert callback not in response.text
        else:  # a route checks the callback before anything else
            assert_refused(response, callback)


async def test_the_callback_checked_is_the_callback_used(client, token):
    """A repeated parameter: the value that is validated is the one that wraps the body."""
    response = await client.get("/api/spartacus/?callback=ok&callback=alert(1)")
    assert_refused(response, "alert(1)")
    response = await client.get("/api/spartacus/?callback=alert(1)&callback=ok")
    assert unwrap(response, "ok")["username"] == "spartacus"


async def test_a_percent_encoded_injection_is_refused_once_decoded(client, token):
    response = await client.get("/api/spartacus/?callback=alert%281%29%3Bx")
    assert_refused(response, "alert(1);x")
    response = await client.get("/api/spartacus/?callback=%3C%2Fscript%3E")
    assert_refused(response, "</script>")


async def test_the_token_endpoint_refuses_hostile_callbacks(client, token):
    for callback in HOSTILE:
        response = await client.get("/oauth/access_token", params={"callback": callback})
        assert response.status_code == 400, response.text
        assert callback not in response.text
        assert response.json()["error"]["type"] == "InvalidParameterException"
    response = await client.get("/oauth/access_token", params={"callback": "cb", "code": "x"})
    assert response.status_code == 400
    assert unwrap(response, "cb")["error"] == "invalid_client"  # wrapped: the callback was fine


async def test_oembed_takes_no_callback(client, token):
    """oEmbed is JSON or XML only: a callback is ignored, never reflected or wrapped."""
    url = "http://testserver/spartacus/party-time/"
    for callback in [*HOSTILE[:4], "cb"]:
        response = await client.get("/oembed/", params={"url": url, "callback": callback})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["title"] == "Party Time"
        assert callback not in response.text


async def test_jsonp_responses_are_not_sniffed(client, token):
    """A JSONP body is script; ``nosniff`` keeps a browser from reading it as anything else
    (and from running a plain JSON answer as script)."""
    for path, needs_token in ENDPOINTS:
        response = await get(client, path, "cb", token if needs_token else None)
        assert response.status_code == 200
        assert response.headers.get("x-content-type-options") == "nosniff", path
