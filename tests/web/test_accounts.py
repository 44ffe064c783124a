"""Signing up, in and out: form errors, wrong passwords, throttling, the session cookie and
where ``?next=`` may send the browser."""

from __future__ import annotations

import pytest

from tests.conftest import client_of
from tests.web.helpers import PASSWORD, SESSION_COOKIE, post_form, sign_in, sign_up

pytestmark = pytest.mark.anyio


async def test_signup_page_has_labelled_fields(client):
    page = await client.get("/signup/")
    assert page.status_code == 200
    for field in ("username", "email", "password"):
        assert f'<label for="{field}">' in page.text and f'id="{field}"' in page.text
    assert 'name="csrf_token"' in page.text


async def test_signup_reports_every_problem_and_keeps_what_was_typed(client):
    response = await post_form(
        client, "/signup/", {"username": "no spaces!", "email": "nope", "password": "short"}
    )
    assert response.status_code == 400
    for field in ("username", "email", "password"):
        assert f'id="{field}-error"' in response.text
    assert 'value="no spaces!"' in response.text and 'value="nope"' in response.text
    assert 'value="short"' not in response.text  # the password is never sent back
    assert SESSION_COOKIE not in client.cookies


async def test_signup_refuses_a_taken_username_and_email(client, new_client):
    await sign_up(client, "spartacus")
    other = await new_client()
    response = await post_form(
        other,
        "/signup/",
        {"username": "Spartacus", "email": "other@example.com", "password": PASSWORD},
    )
    assert response.status_code == 400
    assert 'id="username-error"' in response.text and "is taken" in response.text
    response = await post_form(
        other,
        "/signup/",
        {"username": "crixus", "email": "SPARTACUS@example.com", "password": PASSWORD},
    )
    assert response.status_code == 400 and 'id="email-error"' in response.text


async def test_signup_signs_in_and_shows_who_is_signed_in(client):
    response = await sign_up(client, "spartacus")
    assert response.headers["location"] == "/"
    home = await client.get("/")
    assert 'id="signed-in-as">spartacus<' in home.text and "Sign out" in home.text


async def test_signin_with_a_wrong_password_is_refused(client, new_client):
    await sign_up(client, "spartacus")
    other = await new_client()
    response = await sign_in(other, "spartacus", "not the password")
    assert response.status_code == 400
    assert "do not match" in response.text
    assert 'value="spartacus"' in response.text and "not the password" not in response.text
    assert SESSION_COOKIE not in other.cookies
    nobody = await sign_in(other, "nobody", PASSWORD)
    assert nobody.status_code == 400 and "do not match" in nobody.text


async def test_signin_by_username_or_email(client, new_client):
    await sign_up(client, "spartacus")
    for login in ("spartacus", "SPARTACUS", "spartacus@example.com"):
        browser = await new_client()
        response = await sign_in(browser, login)
        assert response.status_code == 303, response.text
        assert SESSION_COOKIE in browser.cookies


async def test_signin_starts_a_new_session_and_ends_the_old_one(client):
    await sign_up(client, "spartacus")
    before = client.cookies[SESSION_COOKIE]
    assert (await sign_in(client, "spartacus")).status_code == 303
    after = client.cookies[SESSION_COOKIE]
    assert after != before
    client.cookies.set(SESSION_COOKIE, before)
    page = await client.get("/settings/profile/")
    assert page.status_code == 303  # the pre-sign-in session no longer works


LIMIT = "3/minute"


async def test_signin_is_throttled_per_ip_without_checking_the_password(client, new_client):
    await sign_up(client, "spartacus")
    attacker = await new_client(ip="192.0.2.7", signin_limit=LIMIT)
    statuses = [
        (await sign_in(attacker, f"guess{attempt}", "wrong password")).status_code
        for attempt in range(3)
    ]
    assert statuses == [400, 400, 400]
    response = await sign_in(attacker, "guess4", "wrong password")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert "Too many sign-in attempts" in response.text
    # Even the right password is not checked now, from this address...
    assert (await sign_in(attacker, "spartacus")).status_code == 429
    # ...but another address is not held up.
    elsewhere = await new_client(ip="192.0.2.8", signin_limit=LIMIT)
    assert (await sign_in(elsewhere, "spartacus")).status_code == 303


async def test_signin_is_throttled_per_login_across_addresses(client, new_client):
    await sign_up(client, "spartacus")
    statuses = []
    for attempt in range(4):
        browser = await new_client(ip=f"198.51.100.{attempt + 1}", signin_limit=LIMIT)
        response = await sign_in(browser, "Spartacus", "wrong password")
        statuses.append(response.status_code)
    assert statuses == [400, 400, 400, 429]
    assert "retry-after" in response.headers
    # The account is held up from a fresh address too, by username or email, right password
    # or not; another account is not.
    fresh = await new_client(ip="198.51.100.99", signin_limit=LIMIT)
    assert (await sign_in(fresh, "spartacus")).status_code == 429
    assert (await sign_in(fresh, "spartacus@example.com")).status_code == 429
    assert (await sign_in(fresh, "crixus", "wrong password")).status_code == 400


async def test_a_successful_signin_does_not_clear_the_ip_count(client, new_client):
    await sign_up(client, "spartacus")
    browser = await new_client(ip="203.0.113.9", signin_limit=LIMIT)
    statuses = [
        (await sign_in(browser, "guess", "wrong password")).status_code,
        (await sign_in(browser, "spartacus")).status_code,
        (await sign_in(browser, "guess", "wrong password")).status_code,
        (await sign_in(browser, "spartacus")).status_code,
    ]
    assert statuses == [400, 303, 400, 429]


async def test_session_cookie_flags_on_http(client):
    response = await sign_up(client, "spartacus")
    cookie = _set_cookie(response, "mixcast_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "max-age=2592000" in cookie and "secure" not in cookie


async def test_cookie_flags_under_an_https_site(https_services):
    async with client_of(https_services, base_url="https://testserver") as c:
        page = await c.get("/signup/")
        csrf = _set_cookie(page, "__host-mixcast_csrf=")
        assert "secure" in csrf and "httponly" in csrf and "samesite=lax" in csrf
        assert "path=/" in csrf and "domain" not in csrf
        token = c.cookies["__Host-mixcast_csrf"]
        response = await c.post(
            "/signup/",
            data={
                "username": "spartacus",
                "email": "s@example.com",
                "password": PASSWORD,
                "csrf_token": token,
            },
        )
        assert response.status_code == 303, response.text
        session = _set_cookie(response, "__host-mixcast_session=")
        for flag in ("secure", "httponly", "samesite=lax", "path=/", "max-age=2592000"):
            assert flag in session
        assert "domain" not in session
        signout = await c.post("/signout/", data={"csrf_token": token})
        assert signout.status_code == 303
        cleared = _set_cookie(signout, "__host-mixcast_session=")
        assert "secure" in cleared and ("max-age=0" in cleared or "expires=" in cleared)


def _set_cookie(response, prefix: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.lower().startswith(prefix.lower()):
            return header.lower()
    raise AssertionError(f"no {prefix} cookie in {response.headers.get_list('set-cookie')}")


async def test_signout_ends_the_session_and_clears_the_cookie(client):
    await sign_up(client, "spartacus")
    token = client.cookies[SESSION_COOKIE]
    response = await post_form(client, "/signout/")
    assert response.status_code == 303 and response.headers["location"] == "/"
    _set_cookie(response, "mixcast_session=")
    assert SESSION_COOKIE not in client.cookies
    client.cookies.set(SESSION_COOKIE, token)  # a copy of the cookie is worth nothing now
    assert (await client.get("/settings/profile/")).status_code == 303


async def test_signout_by_get_is_not_allowed(member):
    response = await member.get("/signout/")
    assert response.status_code == 405
    assert (await member.get("/settings/profile/")).status_code == 200


@pytest.mark.parametrize(
    "path", ["/settings/profile/", "/settings/connected-apps/", "/developers/apps/"]
)
async def test_signed_out_visits_go_to_signin_and_come_back(client, path):
    response = await client.get(path + "?tab=1")
    assert response.status_code == 303
    expected = "/signin/?next=" + path.replace("/", "%2F") + "%3Ftab%3D1"
    assert response.headers["location"] == expected
    page = await client.get(response.headers["location"])
    assert f'name="next" value="{path}?tab=1"' in page.text
    await sign_up(client, "spartacus")
    back = await sign_in(client, "spartacus", next=path + "?tab=1")
    assert back.headers["location"] == path + "?tab=1"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "http:/evil.example",
        "",
    ],
)
async def test_next_never_leaves_the_site(client, new_client, target):
    await sign_up(client, "spartacus")
    browser = await new_client()
    response = await sign_in(browser, "spartacus", next=target)
    assert response.status_code == 303 and response.headers["location"] == "/"
    signup = await sign_up(await new_client(), "crixus", next=target)
    assert signup.headers["location"] == "/"
    # Already signed in, the sign-in page forwards to next: still only locally.
    forwarded = await browser.get("/signin/", params={"next": target})
    assert forwarded.status_code == 303 and forwarded.headers["location"] == "/"


async def test_signups_are_throttled_per_ip(new_client):
    browser = await new_client(ip="192.0.2.50", signin_limit=LIMIT)
    for n in range(3):
        await sign_up(browser, f"gladiator{n}")  # each one a 303
    data = {"username": "gladiator9", "email": "g9@example.com", "password": PASSWORD}
    response = await post_form(browser, "/signup/", data)
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    assert "Too many sign-ups" in response.text
    elsewhere = await new_client(ip="192.0.2.51", signin_limit=LIMIT)
    await sign_up(elsewhere, "gladiator9")
