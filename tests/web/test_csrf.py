"""Every form POST needs the CSRF token of the browser's own cookie and, when the browser names
it, this site's Origin. A refused POST is a 403 page and changes nothing."""

from __future__ import annotations

import pytest

from tests.web.helpers import PASSWORD, SESSION_COOKIE, create_app, csrf_token, post_form

pytestmark = pytest.mark.anyio

SIGNUP = {"username": "spartacus", "email": "s@example.com", "password": PASSWORD}


async def test_signup_without_a_token_is_refused(client):
    await csrf_token(client)  # the browser has the cookie, but the form lacks the field
    response = await client.post("/signup/", data=SIGNUP)
    assert response.status_code == 403 and "reload the page" in response.text
    assert SESSION_COOKIE not in client.cookies
    retry = await post_form(client, "/signup/", SIGNUP)
    assert retry.status_code == 303  # spartacus had not been made by the refused POST


async def test_a_token_without_its_cookie_is_refused(client, new_client):
    token = await csrf_token(client)
    other = await new_client()
    response = await other.post("/signup/", data={**SIGNUP, "csrf_token": token})
    assert response.status_code == 403


async def test_a_wrong_token_is_refused(client):
    await csrf_token(client)
    wrong = "x" * 43
    response = await client.post("/signup/", data={**SIGNUP, "csrf_token": wrong})
    assert response.status_code == 403


async def test_a_foreign_origin_is_refused_even_with_the_token(client):
    for origin in ("https://evil.example", "null", "http://testserver.evil.example"):
        response = await post_form(client, "/signup/", SIGNUP, headers={"Origin": origin})
        assert response.status_code == 403, origin
    same = await post_form(client, "/signup/", SIGNUP, headers={"Origin": "http://testserver"})
    assert same.status_code == 303


async def test_signed_in_forms_are_refused_without_the_token(member):
    created = await create_app(member)
    apps = await member.get("/developers/apps/")
    app_id = apps.text.split("/developers/apps/")[2].split("/")[0]
    for path, data in (
        ("/developers/apps/", {"name": "Forged", "redirect_uris": "https://f.example/"}),
        (f"/developers/apps/{app_id}/delete/", {}),
        (f"/developers/apps/{app_id}/secret/", {}),
        ("/settings/profile/", {"display_name": "Forged"}),
        ("/signout/", {}),
        ("/settings/connected-apps/1/revoke/", {}),
        ("/oauth/authorize", {"client_id": created["client_id"], "decision": "allow"}),
    ):
        response = await member.post(path, data={**data, "csrf_token": "y" * 43})
        assert response.status_code == 403, path
    apps_after = await member.get("/developers/apps/")
    assert created["client_id"] in apps_after.text and "Forged" not in apps_after.text
    profile = await member.get("/settings/profile/")
    assert profile.status_code == 200 and "Forged" not in profile.text


async def test_a_form_page_sets_the_token_cookie_once(client):
    first = await client.get("/signin/")
    assert any(h.startswith("mixcast_csrf=") for h in first.headers.get_list("set-cookie"))
    second = await client.get("/signup/")
    assert not second.headers.get_list("set-cookie")
    token = client.cookies["mixcast_csrf"]
    assert f'name="csrf_token" value="{token}"' in second.text
