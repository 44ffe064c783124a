"""Developer apps on the site: the secret is shown once, the list never shows it, edits,
deletes and secret resets, each only on one's own apps."""

from __future__ import annotations

import re

import pytest

from tests.web.helpers import create_app, post_form, sign_up

pytestmark = pytest.mark.anyio


def _app_id(page: str) -> str:
    found = re.search(r'/developers/apps/(\d+)/"', page)
    assert found, page
    return found.group(1)


async def test_docs_and_header_link_to_your_apps(client):
    page = await client.get("/developers/")
    assert page.text.count('href="http://testserver/developers/apps/"') >= 2


async def test_create_shows_the_secret_once_and_the_list_never(member):
    created = await create_app(member, "Ludus", "https://app.example/cb\nmyapp://done\n")
    assert "shown only this once" in created["page"]
    listing = await member.get("/developers/apps/")
    assert listing.status_code == 200
    assert created["client_id"] in listing.text
    assert created["client_secret"] not in listing.text
    assert "https://app.example/cb" in listing.text and "myapp://done" in listing.text
    edit = await member.get(f"/developers/apps/{_app_id(listing.text)}/")
    assert created["client_id"] in edit.text and created["client_secret"] not in edit.text


async def test_the_secret_page_is_not_stored(member):
    response = await post_form(
        member, "/developers/apps/", {"name": "Ludus", "redirect_uris": "https://a.example/"}
    )
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"


async def test_create_with_errors_keeps_what_was_typed(member):
    response = await post_form(
        member,
        "/developers/apps/",
        {"name": "", "description": "Kept <b>", "redirect_uris": "javascript:alert(1)\nftp"},
    )
    assert response.status_code == 400
    assert 'id="name-error"' in response.text and 'id="redirect_uris-error"' in response.text
    assert "Kept &lt;b&gt;" in response.text and "javascript:alert(1)" in response.text


async def test_edit_an_app(member):
    await create_app(member)
    app_id = _app_id((await member.get("/developers/apps/")).text)
    response = await post_form(
        member,
        f"/developers/apps/{app_id}/",
        {"name": "Ludus II", "description": "new", "redirect_uris": "https://b.example/cb"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/developers/apps/"
    listing = await member.get("/developers/apps/")
    assert "Ludus II" in listing.text and "https://b.example/cb" in listing.text
    assert "https://app.example/cb" not in listing.text
    bad = await post_form(member, f"/developers/apps/{app_id}/", {"name": "x", "redirect_uris": ""})
    assert bad.status_code == 400 and 'id="redirect_uris-error"' in bad.text


async def test_delete_an_app(member):
    created = await create_app(member)
    app_id = _app_id((await member.get("/developers/apps/")).text)
    response = await post_form(member, f"/developers/apps/{app_id}/delete/")
    assert response.status_code == 303
    listing = await member.get("/developers/apps/")
    assert created["client_id"] not in listing.text and "You have no apps yet" in listing.text
    assert (await member.get(f"/developers/apps/{app_id}/")).status_code == 404
    again = await post_form(member, f"/developers/apps/{app_id}/delete/")
    assert again.status_code == 404


async def test_reset_the_secret_shows_the_new_one_once(member):
    created = await create_app(member)
    app_id = _app_id((await member.get("/developers/apps/")).text)
    response = await post_form(member, f"/developers/apps/{app_id}/secret/")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    secret = re.search(r'id="client-secret" class="secret">([^<]+)<', response.text)
    assert secret and secret.group(1) != created["client_secret"]
    assert secret.group(1) not in (await member.get("/developers/apps/")).text


async def test_another_users_app_is_out_of_reach(member, new_client):
    await create_app(member)
    app_id = _app_id((await member.get("/developers/apps/")).text)
    other = await new_client()
    await sign_up(other, "crixus")
    assert (await other.get(f"/developers/apps/{app_id}/")).status_code == 404
    for path in ("", "delete/", "secret/"):
        data = {"name": "Mine", "redirect_uris": "https://evil.example/"} if not path else {}
        response = await post_form(other, f"/developers/apps/{app_id}/{path}", data)
        assert response.status_code == 404, path
    assert "Ludus" in (await member.get("/developers/apps/")).text


async def test_app_names_are_escaped(member):
    await create_app(member, "<script>alert(1)</script>")
    listing = await member.get("/developers/apps/")
    assert "<script>alert(1)</script>" not in listing.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing.text
