"""``/oauth/authorize``: bad requests are pages, never redirects; consent names the app and its
developer; Allow and Deny go back to the redirect_uri with the state; without a redirect_uri
the code is shown on the page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import make_app, make_user
from tests.web.helpers import post_form, sign_in, sign_up

pytestmark = pytest.mark.anyio

CALLBACK = "https://app.example/callback"
WITH_QUERY = "https://app.example/cb?app=1&x=y"


@pytest.fixture
async def app(services):
    owner = await make_user(services, "varro")
    return (await make_app(services, owner, "Ludus", (CALLBACK, WITH_QUERY))).app


def _query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


async def _consent(client, **params):
    page = await client.get("/oauth/authorize", params=params)
    assert page.status_code == 200, page.text
    return page


async def _decide(client, decision: str, **params):
    return await post_form(client, "/oauth/authorize", {**params, "decision": decision})


async def test_unknown_client_is_an_error_page_not_a_redirect(member):
    for path in ("/oauth/authorize", "/oauth/authorize/"):
        response = await member.get(path, params={"client_id": "nope", "redirect_uri": CALLBACK})
        assert response.status_code == 400 and "location" not in response.headers
        assert "No app has that client_id" in response.text


async def test_unregistered_redirect_uri_is_an_error_page_not_a_redirect(member, app):
    for uri in ("https://evil.example/callback", CALLBACK + "/", CALLBACK + "?x=1"):
        response = await member.get(
            "/oauth/authorize", params={"client_id": app.client_id, "redirect_uri": uri}
        )
        assert response.status_code == 400 and "location" not in response.headers, uri
        assert "not one this app registered" in response.text


async def test_bad_requests_are_refused_before_sign_in(client, app):
    response = await client.get("/oauth/authorize", params={"client_id": "nope"})
    assert response.status_code == 400 and "location" not in response.headers


async def test_redirectable_errors_go_back_to_the_app(member, app):
    response = await member.get(
        "/oauth/authorize",
        params={
            "client_id": app.client_id,
            "redirect_uri": CALLBACK,
            "response_type": "token",
            "state": "s1",
        },
    )
    assert response.status_code == 303
    query = _query(response.headers["location"])
    assert query["error"] == ["unsupported_response_type"] and query["state"] == ["s1"]
    without_uri = await member.get(
        "/oauth/authorize", params={"client_id": app.client_id, "response_type": "token"}
    )
    assert without_uri.status_code == 400 and "unsupported_response_type" in without_uri.text


async def test_signed_out_goes_to_signin_and_comes_back_with_the_whole_query(client, app):
    params = {"client_id": app.client_id, "redirect_uri": CALLBACK, "state": "a b&c", "extra": "1"}
    response = await client.get("/oauth/authorize", params=params)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/signin/?next=")
    next_path = parse_qs(urlsplit(location).query)["next"][0]
    assert next_path.startswith("/oauth/authorize?")
    assert parse_qs(urlsplit(next_path).query) == {k: [v] for k, v in params.items()}
    await sign_up(client, "spartacus")
    back = await sign_in(client, "spartacus", next=next_path)
    assert back.headers["location"] == next_path
    consent = await client.get(next_path)
    assert consent.status_code == 200 and "Ludus" in consent.text


async def test_consent_names_the_app_and_its_developer_with_safe_headers(member, app):
    page = await _consent(member, client_id=app.client_id, redirect_uri=CALLBACK, state="xyz")
    assert 'id="app-name">Ludus<' in page.text and 'id="developer">@varro<' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    assert 'value="allow"' in page.text and 'value="deny"' in page.text
    assert 'name="state" value="xyz"' in page.text and 'name="csrf_token"' in page.text


async def test_deny_goes_back_with_access_denied_and_the_state(member, app):
    response = await _decide(
        member, "deny", client_id=app.client_id, redirect_uri=CALLBACK, state="xyz"
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "?")
    assert _query(location) == {"error": ["access_denied"], "state": ["xyz"]}
    assert response.headers["referrer-policy"] == "same-origin"


async def test_allow_goes_back_with_a_code_and_the_state(member, app):
    response = await _decide(
        member, "allow", client_id=app.client_id, redirect_uri=CALLBACK, state="xyz"
    )
    assert response.status_code == 303
    query = _query(response.headers["location"])
    assert set(query) == {"code", "state"} and query["state"] == ["xyz"]
    assert len(query["code"][0]) >= 20
    assert response.headers["cache-control"] == "no-store"


async def test_a_redirect_uri_with_a_query_keeps_it(member, app):
    response = await _decide(
        member, "allow", client_id=app.client_id, redirect_uri=WITH_QUERY, state="s"
    )
    location = response.headers["location"]
    assert location.startswith("https://app.example/cb?")
    query = _query(location)
    assert query["app"] == ["1"] and query["x"] == ["y"] and "code" in query


async def test_without_a_redirect_uri_the_code_is_shown(member, app):
    allowed = await _decide(member, "allow", client_id=app.client_id)
    assert allowed.status_code == 200 and "location" not in allowed.headers
    assert 'id="code"' in allowed.text
    assert allowed.headers["cache-control"] == "no-store"
    assert allowed.headers["referrer-policy"] == "same-origin"
    denied = await _decide(member, "deny", client_id=app.client_id)
    assert denied.status_code == 200 and "Access denied" in denied.text
    assert 'id="code"' not in denied.text


async def test_the_post_checks_everything_again(member, app):
    forged = await _decide(
        member, "allow", client_id=app.client_id, redirect_uri="https://evil.example/"
    )
    assert forged.status_code == 400 and "location" not in forged.headers


async def test_a_session_ended_under_the_consent_page_signs_in_again(client, app, new_client):
    await sign_up(client, "spartacus")
    await post_form(client, "/signout/")
    response = await _decide(client, "allow", client_id=app.client_id, redirect_uri=CALLBACK)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin/?next=%2Foauth%2Fauthorize%3F")


async def test_app_names_are_escaped_on_the_consent_page(member, services):
    owner = await make_user(services, "varro")
    new = await make_app(services, owner, "<script>alert(1)</script>", (CALLBACK,))
    page = await _consent(member, client_id=new.app.client_id)
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_a_redirect_uri_with_unicode_is_sent_percent_encoded(member, services):
    owner = await make_user(services, "varro")
    uri = "https://app.example/rückruf?q=é"
    new = await make_app(services, owner, "Ludus", (uri,))
    response = await _decide(
        member, "deny", client_id=new.app.client_id, redirect_uri=uri, state="s"
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("https://app.example/r%C3%BCckruf?q=%C3%A9&error=access_denied")
