"""The hosts page: a Pro user invites hosts, the invitee accepts, declines or leaves, the owner
removes; every button is a CSRF-checked form."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from tests.web.helpers import csrf_token, post_form

pytestmark = pytest.mark.anyio

PAGE = "/settings/hosts/"
XSS = "<script>alert(1)</script>"


def rows(page: str, kind: str) -> list[str]:
    """The rows of one table ("host" or "invitation") as a reader sees them: text only."""
    found = re.findall(rf'<tr class="{kind}">(.*?)</tr>', page, re.S)
    return [html.unescape(" ".join(re.sub(r"<[^>]+>", " ", row).split())) for row in found]


def notice(page: str) -> str | None:
    found = re.search(r'<p class="done" role="status">([^<]*)</p>', page)
    return found.group(1) if found else None


async def follow(client: httpx.AsyncClient, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(PAGE + "?done=")
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    return page.text


async def test_signed_out_visitors_go_to_sign_in(client):
    response = await client.get(PAGE)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin/?next=%2Fsettings%2Fhosts%2F"
    refused = await post_form(client, PAGE, {"username": "crixus"})
    assert refused.status_code == 303 and refused.headers["location"] == "/signin/"


async def test_invite_accept_and_leave(browser):
    owner = await browser("spartacus", is_pro=True, display_name="Spartacus")
    host = await browser("crixus", display_name="Crixus of Gaul")
    page = await follow(owner, await post_form(owner, PAGE, {"username": "Crixus"}))
    assert notice(page) == "Invitation sent."
    assert rows(page, "host") == ["Crixus of Gaul (@crixus) Pending Remove @crixus"]

    page = (await host.get(PAGE)).text
    assert 'href="http://testserver/settings/hosts/">Hosts</a>' in page  # linked from the nav
    assert rows(page, "invitation") == [
        "Spartacus (@spartacus) Pending Accept @spartacus Decline @spartacus"
    ]
    assert rows(page, "host") == [] and "Nobody has invited you" not in page
    page = await follow(host, await post_form(host, PAGE + "from/spartacus/accept/"))
    assert notice(page) == "Invitation accepted."
    assert rows(page, "invitation") == ["Spartacus (@spartacus) Accepted Leave @spartacus"]
    page = (await owner.get(PAGE)).text
    assert notice(page) is None
    assert rows(page, "host") == ["Crixus of Gaul (@crixus) Accepted Remove @crixus"]

    page = await follow(host, await post_form(host, PAGE + "from/spartacus/leave/"))
    assert notice(page) == "You are no longer a host for that user."
    assert rows(page, "invitation") == [] and "Nobody has invited you to host." in page
    page = (await owner.get(PAGE)).text
    assert rows(page, "host") == [] and "You have no hosts" in page


async def test_decline_and_remove(browser):
    owner = await browser("spartacus", is_pro=True)
    host = await browser("crixus")
    await post_form(owner, PAGE, {"username": "crixus"})
    page = await follow(host, await post_form(host, PAGE + "from/spartacus/decline/"))
    assert notice(page) == "Invitation declined." and rows(page, "invitation") == []
    assert rows((await owner.get(PAGE)).text, "host") == []

    await post_form(owner, PAGE, {"username": "crixus"})  # invited again, then withdrawn
    page = await follow(owner, await post_form(owner, PAGE + "crixus/remove/"))
    assert notice(page) == "Host removed." and rows(page, "host") == []
    assert rows((await host.get(PAGE)).text, "invitation") == []
    # Declining what is no longer there is not an error (a second click, another tab).
    await follow(host, await post_form(host, PAGE + "from/spartacus/decline/"))


@pytest.mark.parametrize(
    ("username", "error"),
    [
        ("gannicus", "There is no user called gannicus."),
        ("spartacus", "You cannot invite yourself to host."),
        ("<b>x</b>", "Enter a username: letters, digits, hyphens and underscores."),
    ],
)
async def test_an_invitation_that_cannot_be_made_is_shown_beside_the_field(
    browser, username, error
):
    owner = await browser("spartacus", is_pro=True)
    response = await post_form(owner, PAGE, {"username": username})
    assert response.status_code == 400
    assert f'<p class="error" id="username-error">{error}</p>' in response.text
    assert f'value="{html.escape(username)}"' in response.text  # kept, escaped
    assert "<b>x</b>" not in response.text
    assert rows(response.text, "host") == []


async def test_a_non_pro_user_cannot_invite(browser):
    user = await browser("crixus")
    await browser("varro")
    page = (await user.get(PAGE)).text
    assert "Hosts are a Pro feature" in page and 'name="username"' not in page
    response = await post_form(user, PAGE, {"username": "varro"})
    assert response.status_code == 400
    assert "Only Pro accounts can invite hosts." in response.text
    assert rows(response.text, "host") == []


async def test_accepting_without_an_invitation_is_an_error(browser):
    user = await browser("crixus")
    await browser("varro")
    response = await post_form(user, PAGE + "from/varro/accept/")
    assert response.status_code == 400
    assert "There is no invitation from that user to accept." in response.text


async def test_every_form_needs_the_csrf_token(browser):
    owner = await browser("spartacus", is_pro=True)
    host = await browser("crixus")
    await browser("varro")
    await post_form(owner, PAGE, {"username": "crixus"})
    await csrf_token(owner)
    forged = "y" * 43
    for client, path, data in (
        (owner, PAGE, {"username": "varro"}),
        (owner, PAGE + "crixus/remove/", {}),
        (host, PAGE + "from/spartacus/accept/", {}),
        (host, PAGE + "from/spartacus/decline/", {}),
        (host, PAGE + "from/spartacus/leave/", {}),
    ):
        for fields in (data, {**data, "csrf_token": forged}):
            response = await client.post(path, data=fields)
            assert response.status_code == 403, path
    assert rows((await owner.get(PAGE)).text, "host") == ["Crixus (@crixus) Pending Remove @crixus"]


async def test_display_names_are_escaped(browser):
    owner = await browser("spartacus", is_pro=True, display_name=XSS)
    host = await browser("crixus", display_name=XSS)
    await post_form(owner, PAGE, {"username": "crixus"})
    for client in (owner, host):
        page = (await client.get(PAGE)).text
        assert XSS not in page
        assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # nav + the table
