"""Open-redirect attempts: OAuth's redirect_uri and the site's ``next=``.

The authorize endpoint redirects only to a URI the app registered, matched exactly: every
near miss (a longer host, userinfo, another scheme, port or path, encoded tricks) gets an error
page and no Location, signed in or not, even when the request has another error an app would
be told about. ``next=`` after sign-in, sign-up, sign-out and the follow button is followed only
to a path of this site: whatever a browser would read as another host goes to the default.
"""

from __future__ import annotations

import html
import re
from functools import cache
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from mixcast.accounts.passwords import hash_password
from mixcast.accounts.sessions import start_session
from mixcast.clock import now_us
from mixcast.db.database import Query
from mixcast.services import Services
from tests.conftest import client_of
from tests.factories import make_app, make_user
from tests.web.helpers import PASSWORD, SESSION_COOKIE, csrf_token, post_form, sign_in

pytestmark = pytest.mark.anyio

SITE = "http://testserver"
GOOD = "https://good.example.com/cb"

# Near misses of GOOD, and URIs no app should ever be sent to.
NEAR_MISSES = [
    "https://good.example.com.evil.com/cb",
    "https://good.example.com@evil.com/cb",
    "https://good.example.com%40evil.com/cb",
    "https://evil.com/cb?https://good.example.com/cb",
    "https://evil.com#https://good.example.com/cb",
    "https://good.example.com/cb@evil.com",
    "https://user:pass@good.example.com/cb",
    "https://good.example.com%2F@evil.com/cb",
    "https://good.example.com/cb%2F..%2F..%2Fevil",
    "https://good.example.com/cb/../../evil",
    "https://good.example.com/cb/",
    "https://good.example.com/cbx",
    "https://good.example.com/c",
    "https://good.example.com/CB",
    "https://GOOD.example.com/cb",
    "https://good.example.com/cb?next=https://evil.com",
    "https://good.example.com/cb#evil",
    "https://good.example.com/cb ",
    " https://good.example.com/cb",
    "https://good.example.com/cb\t",
    "https://good.example.com/cb%00",
    "https://good.example.com:443/cb",
    "https://good.example.com:8443/cb",
    "http://good.example.com/cb",
    "HTTPS://good.example.com/cb",
    "https://good.example.com\u3002evil.com/cb",
    "//good.example.com/cb",
    "//evil.com",
    "https:evil.com",
    "https:/evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "/cb",
    "javascript:alert(document.domain)//https://good.example.com/cb",
    "data:text/html,<script>alert(1)</script>",
    "good.example.com/cb",
]


def resolved(location: str, base: str = SITE + "/") -> tuple[str, str]:
    """Scheme and host a browser goes to for ``location``: like the WHATWG URL parser, tabs
    and newlines are dropped, surrounding spaces trimmed and a backslash read as a slash."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip(" \x00-\x1f").replace("\\", "/")
    target = urlsplit(urljoin(base, cleaned))
    return target.scheme, target.netloc


def assert_stays_on_site(response: httpx.Response) -> str:
    """A redirect whose Location a browser resolves to this site; returns the Location."""
    assert response.status_code in (301, 302, 303, 307, 308), response.text[:300]
    location = response.headers["location"]
    assert resolved(location) == ("http", "testserver"), location
    return location


def assert_not_redirected(response: httpx.Response, status: int = 400) -> None:
    assert response.status_code == status, response.text[:300]
    assert "location" not in response.headers
    assert "evil" not in response.headers.get("refresh", "")


async def signed_in_as(services: Services, client: httpx.AsyncClient, username: str) -> None:
    """``client`` with a session of ``username`` (made as sign-in makes it, without the
    argon2 work of a real sign-in: the tests that need one do one)."""
    user = await services.db.fetch_value(
        Query("SELECT id FROM users WHERE username = :name"), {"name": username}
    )
    async with services.db.transaction() as conn:
        token = await start_session(conn, user, now_us())
    await csrf_token(client)  # while signed out: the sign-in form sets the CSRF cookie
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")  # as httpx keeps it


@pytest.fixture
async def member(services: Services, client: httpx.AsyncClient) -> httpx.AsyncClient:
    await make_user(services, "spartacus", password_hash=_hash())
    await signed_in_as(services, client, "spartacus")
    return client


@pytest.fixture
async def client_id(services: Services) -> str:
    owner = await make_user(services, "varro")
    new = await make_app(services, owner, redirect_uris=(GOOD, "myapp://callback"))
    return new.app.client_id


async def code_rows(services: Services) -> int:
    count: int = await services.db.fetch_value(Query("SELECT COUNT(*) FROM oauth_codes"))
    return count


# ------------------------------------------------------------------ OAuth authorize


async def test_authorize_never_redirects_to_an_unregistered_uri(services, client_id):
    """Signed in or not, and with or without another error an app would be told about."""
    async with client_of(services) as signed_out, client_of(services) as member:
        await make_user(services, "spartacus")
        await signed_in_as(services, member, "spartacus")
        for uri in NEAR_MISSES:
            base = {"client_id": client_id, "redirect_uri": uri, "state": "s"}
            for extra in ({}, {"response_type": "token"}, {"code_challenge_method": "plain"}):
                for visitor in (member, signed_out):
                    asked = await visitor.get("/oauth/authorize", params={**base, **extra})
                    assert_not_redirected(asked)
                    assert "redirect_uri" in asked.text, uri


async def test_the_consent_post_never_redirects_to_an_unregistered_uri(member, services, client_id):
    """The form's values are checked again: a forged form with the user's own CSRF token
    (a page of this site cannot be made to carry another URI) still gets no redirect."""
    for uri in NEAR_MISSES:
        for decision in ("allow", "deny"):
            data = {"client_id": client_id, "redirect_uri": uri, "state": "s", "decision": decision}
            answered = await post_form(member, "/oauth/authorize", data)
            assert_not_redirected(answered)
    assert await code_rows(services) == 0


async def test_an_unknown_client_is_never_redirected_even_to_a_good_looking_uri(member):
    for extra in ({}, {"response_type": "token"}):
        asked = await member.get(
            "/oauth/authorize", params={"client_id": "nobody", "redirect_uri": GOOD, **extra}
        )
        assert_not_redirected(asked)


async def test_errors_go_back_only_to_the_registered_uri_exactly(member, client_id):
    """Positive control: the registered URI, with an error an app should hear about, is the
    one redirect, to exactly that URI with the error and the state."""
    asked = await member.get(
        "/oauth/authorize",
        params={
            "client_id": client_id,
            "redirect_uri": GOOD,
            "response_type": "token",
            "state": "s",
        },
    )
    assert asked.status_code == 303
    target = urlsplit(asked.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == GOOD
    assert parse_qs(target.query) == {
        "error": ["unsupported_response_type"],
        "error_description": ["Only response_type=code is served."],
        "state": ["s"],
    }


async def test_a_hostile_state_cannot_change_where_the_code_goes(member, services, client_id):
    state = "x&code=forged#@evil.com/?redirect_uri=https://evil.com"
    data = {"client_id": client_id, "redirect_uri": GOOD, "state": state, "decision": "allow"}
    answered = await post_form(member, "/oauth/authorize", data)
    assert answered.status_code == 303
    target = urlsplit(answered.headers["location"])
    assert (target.scheme, target.netloc, target.path, target.fragment) == (
        "https",
        "good.example.com",
        "/cb",
        "",
    )
    query = parse_qs(target.query)
    assert query["state"] == [state] and len(query["code"]) == 1
    assert query["code"] != ["forged"] and await code_rows(services) == 1


UNSAFE_REGISTRATIONS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,hi",
    "vbscript:msgbox",
    "file:///etc/passwd",
    "//evil.com/cb",
    "/cb",
    "https:evil.com",
    "https://",
    "https://good.example.com/cb#frag",
    "https://good.example.com/c b",
    "https://good.example.com/cb\x00",
]


async def test_an_app_cannot_register_a_uri_a_browser_would_not_navigate_to(member, services):
    for uri in UNSAFE_REGISTRATIONS:
        data = {"name": "Evil", "description": "", "redirect_uris": uri}
        response = await post_form(member, "/developers/apps/", data)
        assert response.status_code == 400, (uri, response.text[:300])
    apps: int = await services.db.fetch_value(Query("SELECT COUNT(*) FROM oauth_apps"))
    assert apps == 0


# ------------------------------------------------------------------ next= on the site

HOSTILE_NEXT = [
    "https://evil.com",
    "http://testserver.evil.com/",
    "http://testserver@evil.com/",
    "//evil.com",
    "///evil.com",
    "////evil.com",
    "/\\evil.com",
    "\\/evil.com",
    "\\\\evil.com",
    "/\\/evil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "/\r\n/evil.com",
    " //evil.com",
    "\x00//evil.com",
    "/ /evil.com",
    "%2F%2Fevil.com",
    "%5C%5Cevil.com",
    "https:evil.com",
    "https:/evil.com",
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.com",
    "//evil.com/%2F..",
    "\uff0f\uff0fevil.com",
    "/" + "a" * 3000,
]


def hidden_next(page: httpx.Response) -> str:
    found = re.search(r'name="next" value="([^"]*)"', page.text)
    assert found is not None, page.text[:500]
    return html.unescape(found.group(1))


async def test_sign_in_follows_next_only_to_a_path_of_this_site(client, services):
    await make_user(services, "crixus", password_hash=_hash())
    for next_value in HOSTILE_NEXT:
        form = await client.get("/signin/", params={"next": next_value})
        assert form.status_code == 200 and hidden_next(form) == "/", next_value
    # Each real sign-in costs argon2 work: a few, from their own addresses (the limit).
    for i, next_value in enumerate(["//evil.com", "/\\evil.com", "https://evil.com"]):
        async with client_of(services, client_ip=f"10.0.0.{i + 1}") as browser:
            signed_in = await sign_in(browser, "crixus", next=next_value)
            assert assert_stays_on_site(signed_in) == "/", next_value
    await signed_in_as(services, client, "crixus")
    for next_value in HOSTILE_NEXT:  # signed in already: the form redirects at once
        again = await client.get("/signin/", params={"next": next_value})
        assert assert_stays_on_site(again) == "/", next_value


async def test_sign_up_follows_next_only_to_a_path_of_this_site(client):
    for next_value in HOSTILE_NEXT:
        data = {"username": "gannicus", "email": "g@example.com", "password": "short"}
        refused = await post_form(client, "/signup/", {**data, "next": next_value})
        assert refused.status_code == 400 and hidden_next(refused) == "/", next_value
    data = {"username": "gannicus", "email": "g@example.com", "password": PASSWORD}
    signed_up = await post_form(client, "/signup/", {**data, "next": "//evil.com"})
    assert assert_stays_on_site(signed_up) == "/"


LOCAL_NEXT = ["/developers/apps/", "/%2F%2Fevil.com", "/@evil.com", "/settings/profile/?a=//b"]


async def test_a_local_next_is_followed_as_given(client, services):
    """Positive control: a path of this site is followed, even one that looks odd."""
    await make_user(services, "crixus", password_hash=_hash())
    signed_in = await sign_in(client, "crixus", next="/developers/apps/")
    assert assert_stays_on_site(signed_in) == "/developers/apps/"
    for next_value in LOCAL_NEXT:
        again = await client.get("/signin/", params={"next": next_value})
        assert assert_stays_on_site(again) == next_value


async def test_sign_out_goes_home_whatever_next_says(member, services):
    for next_value in ("//evil.com", "https://evil.com", "/\\evil.com", "/developers/"):
        signed_out = await post_form(member, "/signout/", {"next": next_value})
        assert assert_stays_on_site(signed_out) == "/"
        sessions = await services.db.fetch_value(Query("SELECT COUNT(*) FROM sessions"))
        assert sessions == 0


async def test_the_follow_button_goes_back_only_to_this_site(member, services):
    await make_user(services, "varro")
    for next_value in ("//evil.com", "https://evil.com", "/\\evil.com", "javascript:x"):
        followed = await post_form(member, "/varro/follow/", {"next": next_value})
        assert assert_stays_on_site(followed) == "/varro/"
    followed = await post_form(member, "/varro/follow/", {"next": "/developers/"})
    assert assert_stays_on_site(followed) == "/developers/"


async def test_signed_out_visitors_are_sent_to_sign_in_on_this_site(client, services, client_id):
    """The sign-in redirect carries the page asked for, as a local path, never a host."""
    asked = await client.get(
        "/oauth/authorize", params={"client_id": client_id, "redirect_uri": GOOD}
    )
    location = assert_stays_on_site(asked)
    next_value = parse_qs(urlsplit(location).query)["next"][0]
    assert next_value.startswith("/oauth/authorize?") and resolved(next_value)[1] == "testserver"


RAW_PATHS = [
    b"//evil.com",
    b"//evil.com/",
    b"/\\evil.com",
    b"//evil.com/%2e%2e",
    b"/%2F%2Fevil.com",
]


@pytest.mark.parametrize("raw_path", RAW_PATHS)
@pytest.mark.parametrize("prefix", [b"", b"/api"])
async def test_slash_redirects_never_leave_the_site(client, raw_path, prefix):
    url = httpx.URL(SITE).copy_with(raw_path=prefix + raw_path)
    response = await client.get(url)
    if response.is_redirect:
        assert_stays_on_site(response)
        assert not response.headers["location"].startswith("//")
    else:
        assert response.status_code == 404, response.text[:300]


@cache
def _hash() -> str:
    return hash_password(PASSWORD)
