"""``/oauth/access_token`` on the site: a code for a token by GET query or POST form, JSON
errors in the OAuth shape, never cached, readable from any origin, JSONP when asked."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import client_of
from tests.factories import make_app, make_user
from tests.web.helpers import post_form

pytestmark = pytest.mark.anyio

CALLBACK = "https://app.example/callback"


@pytest.fixture
async def new_app(services):
    owner = await make_user(services, "varro")
    return await make_app(services, owner, "Ludus", (CALLBACK,))


async def _code(member, client_id: str, redirect_uri: str | None = CALLBACK) -> str:
    data = {"client_id": client_id, "decision": "allow", "state": "s"}
    if redirect_uri:
        data["redirect_uri"] = redirect_uri
    response = await post_form(member, "/oauth/authorize", data)
    assert response.status_code == 303, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


def _params(new_app, code: str) -> dict[str, str]:
    return {
        "client_id": new_app.app.client_id,
        "client_secret": new_app.client_secret,
        "redirect_uri": CALLBACK,
        "code": code,
    }


def _assert_token_response(response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["access-control-allow-origin"] == "*"
    body: dict[str, str] = response.json()
    return body


async def test_exchange_by_get_and_use_the_token(member, new_app):
    code = await _code(member, new_app.app.client_id)
    response = await member.get("/oauth/access_token", params=_params(new_app, code))
    body = _assert_token_response(response, 200)
    assert set(body) == {"access_token"} and len(body["access_token"]) >= 40
    me = await member.get("/api/me/", params={"access_token": body["access_token"]})
    assert me.status_code == 200 and me.json()["username"] == "spartacus"


async def test_exchange_by_post_form(member, new_app):
    code = await _code(member, new_app.app.client_id)
    response = await member.post("/oauth/access_token/", data=_params(new_app, code))
    assert set(_assert_token_response(response, 200)) == {"access_token"}


async def test_post_with_a_json_body_reads_only_the_query(member, new_app):
    code = await _code(member, new_app.app.client_id)
    ignored = await member.post("/oauth/access_token", json=_params(new_app, code))
    assert _assert_token_response(ignored, 400)["error"] == "invalid_client"
    by_query = await member.post(
        "/oauth/access_token", params=_params(new_app, code), json={"code": "other"}
    )
    assert "access_token" in _assert_token_response(by_query, 200)


async def test_a_code_works_once(member, new_app):
    code = await _code(member, new_app.app.client_id)
    first = await member.get("/oauth/access_token", params=_params(new_app, code))
    token = _assert_token_response(first, 200)["access_token"]
    again = await member.get("/oauth/access_token", params=_params(new_app, code))
    body = _assert_token_response(again, 400)
    assert body["error"] == "invalid_grant" and set(body) == {"error", "error_description"}
    # The replay revoked the token issued from the code (committed despite the refusal).
    me = await member.get("/api/me/", params={"access_token": token})
    assert me.status_code == 400


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"client_id": "nope"}, "invalid_client"),
        ({"redirect_uri": "https://app.example/other"}, "invalid_grant"),
        ({"code": "not-a-code"}, "invalid_grant"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
    ],
)
async def test_refusals_are_oauth_errors(member, new_app, change, error):
    code = await _code(member, new_app.app.client_id)
    response = await member.get("/oauth/access_token", params={**_params(new_app, code), **change})
    assert _assert_token_response(response, 400)["error"] == error


async def test_code_from_the_page_without_a_redirect_uri(member, new_app):
    response = await post_form(
        member, "/oauth/authorize", {"client_id": new_app.app.client_id, "decision": "allow"}
    )
    code = response.text.split('id="code" class="secret">')[1].split("<")[0]
    params = {**_params(new_app, code)}
    del params["redirect_uri"]
    assert "access_token" in _assert_token_response(
        await member.get("/oauth/access_token", params=params), 200
    )


async def test_jsonp_callback(member, new_app):
    code = await _code(member, new_app.app.client_id)
    response = await member.get(
        "/oauth/access_token", params={**_params(new_app, code), "callback": "app.done"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.text.startswith('app.done({"access_token":')
    second = await _code(member, new_app.app.client_id)
    bad = await member.get(
        "/oauth/access_token", params={**_params(new_app, second), "callback": "alert(1)//"}
    )
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/json")
    assert bad.json()["error"]["type"] == "InvalidParameterException"
    # The refused callback did not spend the code: it still works.
    ok = await member.get("/oauth/access_token", params=_params(new_app, second))
    assert ok.status_code == 200


async def test_plain_http_is_refused_when_the_site_is_https(https_services, new_app):
    """A code and a secret sent in the clear have leaked: no token for them."""
    for client_ip, headers, expected in (
        ("127.0.0.1", {}, "Use https"),  # no proxy said https
        ("203.0.113.5", {"X-Forwarded-Proto": "https"}, "Use https"),  # not our proxy
        ("127.0.0.1", {"X-Forwarded-Proto": "https"}, "not valid"),  # https: gets to the code
    ):
        async with client_of(https_services, client_ip) as c:
            params = _params(new_app, "made-up")
            response = await c.get("/oauth/access_token", params=params, headers=headers)
        body = _assert_token_response(response, 400)
        assert expected in body["error_description"]
