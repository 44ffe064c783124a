"""CSRF-less form posts: every state-changing route of the site, taken from the site's own
router, is posted without a token, with a wrong token, with another browser's token, and with
the right token from a foreign Origin. Each is refused (403) and the database is unchanged;
then the same post with the right token does change it (so the refusal was the check's doing).

A new POST (or PUT, PATCH, DELETE) route of the site fails ``test_every_unsafe_route_is_covered``
until it is added to ``FORMS`` here, or to ``NOT_FORMS`` with the reason it needs no token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route

from mixcast.accounts.sessions import start_session
from mixcast.app import MixcastApp
from mixcast.clock import now_us
from mixcast.db.database import Query
from mixcast.db.schema import metadata
from mixcast.oauth.tokens import issue_token
from mixcast.services import Services
from mixcast.shows.host_invitations import invite_host
from tests.conftest import client_of
from tests.factories import make_app, make_show, make_user
from tests.web.helpers import CSRF_COOKIE, PASSWORD, SESSION_COOKIE, csrf_token

pytestmark = pytest.mark.anyio

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
GOOD = "https://good.example.com/cb"

# Site routes that change state without the form token, and why that is safe.
NOT_FORMS = {
    "/{user}/{show}/listens/": "the player's listen beacon: only counters change, and a "
    "foreign Origin is refused (test_the_listen_beacon_refuses_a_foreign_origin)",
    "/oauth/access_token": "the token exchange: no cookie is read; the client authenticates "
    "with its secret or PKCE verifier and the single-use code",
    "/oauth/access_token/": "the same, with a slash",
}


def unsafe_site_routes(routes: list[BaseRoute], prefix: str = "") -> set[str]:
    """Every path template under the site's router answering an unsafe method."""
    found: set[str] = set()
    for route in routes:
        if isinstance(route, Mount):
            found |= unsafe_site_routes(list(route.routes), prefix + route.path)
        elif isinstance(route, Route) and UNSAFE & set(route.methods or ()):
            found.add(prefix + route.path)
        else:
            assert isinstance(route, Route), f"unknown route kind {route!r}: check it here"
    return found


@dataclass
class World:
    """The users, shows, apps and invitations every form acts on, and the browsers."""

    services: Services
    victim: httpx.AsyncClient  # spartacus, signed in, holding their CSRF cookie
    other: httpx.AsyncClient  # crixus, signed in, in another browser
    stranger: httpx.AsyncClient  # signed out
    ids: dict[str, Any] = field(default_factory=dict)


async def session_for(services: Services, client: httpx.AsyncClient, user: int) -> None:
    await csrf_token(client)  # the CSRF cookie, from a page seen while signed out
    async with services.db.transaction() as conn:
        token = await start_session(conn, user, now_us())
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")  # as httpx keeps it


@pytest.fixture
async def world(services: Services) -> Any:
    from mixcast.accounts.passwords import hash_password

    password_hash = hash_password(PASSWORD)
    ids: dict[str, Any] = {}
    ids["spartacus"] = await make_user(
        services, "spartacus", is_pro=True, password_hash=password_hash
    )
    ids["crixus"] = await make_user(services, "crixus", password_hash=password_hash)
    ids["varro"] = await make_user(services, "varro", is_pro=True)
    ids["gannicus"] = await make_user(services, "gannicus", is_pro=True)
    await make_show(services, ids["varro"], "Party Time")
    async with services.db.transaction() as conn:
        await invite_host(conn, ids["varro"], "spartacus", now_us())
        await invite_host(conn, ids["gannicus"], "spartacus", now_us())
    own_app = await make_app(services, ids["spartacus"], "Own", redirect_uris=(GOOD,))
    ids["own_app"] = own_app.app.id
    connected = await make_app(services, ids["varro"], "Connected", redirect_uris=(GOOD,))
    async with services.db.transaction() as conn:
        await issue_token(conn, connected.app.id, ids["spartacus"], now_us())
    ids["connected_app"], ids["client_id"] = connected.app.id, connected.app.client_id
    async with (
        client_of(services) as victim,
        client_of(services, client_ip="10.0.0.2") as other,
        client_of(services, client_ip="10.0.0.3") as stranger,
    ):
        await session_for(services, victim, ids["spartacus"])
        await session_for(services, other, ids["crixus"])
        await csrf_token(stranger)
        yield World(services, victim, other, stranger, ids)


@dataclass(frozen=True)
class Form:
    path: Callable[[dict[str, Any]], str]
    data: Callable[[dict[str, Any]], dict[str, str]]
    signed_out: bool = False  # posted by the stranger (sign-up, sign-in)


def fixed(path: str) -> Callable[[dict[str, Any]], str]:
    return lambda ids: path


def fields(**values: str) -> Callable[[dict[str, Any]], dict[str, str]]:
    return lambda ids: dict(values)


APP = "/developers/apps/{app_id:int}/"
# Every form of the site, in an order where each valid post still has something to change.
FORMS: dict[str, Form] = {
    "/signup/": Form(
        fixed("/signup/"),
        fields(username="oenomaus", email="o@example.com", password=PASSWORD),
        signed_out=True,
    ),
    "/signin/": Form(fixed("/signin/"), fields(login="crixus", password=PASSWORD), True),
    "/settings/profile/": Form(fixed("/settings/profile/"), fields(display_name="Forged")),
    "/settings/connected-apps/{app_id:int}/revoke/": Form(
        lambda ids: f"/settings/connected-apps/{ids['connected_app']}/revoke/", fields()
    ),
    "/settings/hosts/": Form(fixed("/settings/hosts/"), fields(username="crixus")),
    "/settings/hosts/{username}/remove/": Form(fixed("/settings/hosts/crixus/remove/"), fields()),
    "/settings/hosts/from/{username}/accept/": Form(
        fixed("/settings/hosts/from/varro/accept/"), fields()
    ),
    "/settings/hosts/from/{username}/leave/": Form(
        fixed("/settings/hosts/from/varro/leave/"), fields()
    ),
    "/settings/hosts/from/{username}/decline/": Form(
        fixed("/settings/hosts/from/gannicus/decline/"), fields()
    ),
    "/developers/apps/": Form(
        fixed("/developers/apps/"),
        fields(name="Forged", description="", redirect_uris="https://forged.example/cb"),
    ),
    APP: Form(
        lambda ids: f"/developers/apps/{ids['own_app']}/",
        fields(name="Renamed", description="", redirect_uris=GOOD),
    ),
    APP + "secret/": Form(lambda ids: f"/developers/apps/{ids['own_app']}/secret/", fields()),
    APP + "delete/": Form(lambda ids: f"/developers/apps/{ids['own_app']}/delete/", fields()),
    "/oauth/authorize": Form(
        fixed("/oauth/authorize"),
        lambda ids: {"client_id": ids["client_id"], "redirect_uri": GOOD, "decision": "allow"},
    ),
    "/oauth/authorize/": Form(
        fixed("/oauth/authorize/"),
        lambda ids: {"client_id": ids["client_id"], "redirect_uri": GOOD, "decision": "allow"},
    ),
    "/{user:site_user}/{show:site_show}/favorite/": Form(
        fixed("/varro/party-time/favorite/"), fields()
    ),
    "/{user:site_user}/{show:site_show}/repost/": Form(
        fixed("/varro/party-time/repost/"), fields()
    ),
    "/{user:site_user}/{show:site_show}/listen-later/": Form(
        fixed("/varro/party-time/listen-later/"), fields()
    ),
    "/{user:site_user}/follow/": Form(fixed("/varro/follow/"), fields()),
    "/signout/": Form(fixed("/signout/"), fields()),  # last: it ends the victim's session
}

Snapshot = dict[str, list[str]]


async def snapshot(services: Services) -> Snapshot:
    """Every row of every table, as text, sorted: what a forged post must leave alone."""
    rows: Snapshot = {}
    async with services.db.reading() as conn:
        for table in metadata.sorted_tables:
            found = await conn.fetch_all(Query(f"SELECT * FROM {table.name}"))
            rows[table.name] = sorted(repr(sorted(dict(row).items())) for row in found)
    return rows


def changed_tables(before: Snapshot, after: Snapshot) -> list[str]:
    return [name for name in before if before[name] != after[name]]


Attempt = Callable[[World, str, dict[str, str], httpx.AsyncClient], Awaitable[httpx.Response]]


async def without_a_token(
    world: World, path: str, data: dict[str, str], browser: httpx.AsyncClient
) -> httpx.Response:
    return await browser.post(path, data=data)


async def with_a_wrong_token(
    world: World, path: str, data: dict[str, str], browser: httpx.AsyncClient
) -> httpx.Response:
    wrong = "A" * len(browser.cookies[CSRF_COOKIE])
    return await browser.post(path, data={**data, "csrf_token": wrong})


async def with_another_browsers_token(
    world: World, path: str, data: dict[str, str], browser: httpx.AsyncClient
) -> httpx.Response:
    theirs = world.other.cookies[CSRF_COOKIE]
    assert theirs != browser.cookies[CSRF_COOKIE]
    return await browser.post(path, data={**data, "csrf_token": theirs})


async def with_an_empty_token_and_cookie(
    world: World, path: str, data: dict[str, str], browser: httpx.AsyncClient
) -> httpx.Response:
    """A planted empty cookie that equals an empty field: equal, but no token at all."""
    headers = {"Cookie": f"{CSRF_COOKIE}=; {SESSION_COOKIE}={_session(browser)}"}
    async with client_of(world.services) as bare:
        return await bare.post(path, data={**data, "csrf_token": ""}, headers=headers)


async def from_a_foreign_origin(
    world: World, path: str, data: dict[str, str], browser: httpx.AsyncClient
) -> httpx.Response:
    token = browser.cookies[CSRF_COOKIE]
    for origin in ("https://evil.example", "null", "http://testserver.evil.example"):
        response = await browser.post(
            path, data={**data, "csrf_token": token}, headers={"Origin": origin}
        )
        if response.status_code != 403:
            return response
    return response


def _session(browser: httpx.AsyncClient) -> str:
    return browser.cookies.get(SESSION_COOKIE) or ""


ATTEMPTS: list[Attempt] = [
    without_a_token,
    with_a_wrong_token,
    with_another_browsers_token,
    with_an_empty_token_and_cookie,
    from_a_foreign_origin,
]


async def test_every_unsafe_route_is_covered(services: Services) -> None:
    app = MixcastApp(services.settings, services)
    assert app.site is not None
    routes = unsafe_site_routes(list(app.site.router.routes))
    untested = routes - set(FORMS) - set(NOT_FORMS)
    assert not untested, f"POST routes without a CSRF test here: {sorted(untested)}"
    gone = (set(FORMS) | set(NOT_FORMS)) - routes
    assert not gone, f"routes tested here that the site no longer has: {sorted(gone)}"


async def test_every_form_refuses_a_forged_post_and_changes_nothing(world: World) -> None:
    for template, form in FORMS.items():
        path, data = form.path(world.ids), form.data(world.ids)
        browser = world.stranger if form.signed_out else world.victim
        before = await snapshot(world.services)
        for attempt in ATTEMPTS:
            response = await attempt(world, path, data, browser)
            assert response.status_code == 403, (template, attempt.__name__, response.text[:300])
            assert "location" not in response.headers
            assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
        after = await snapshot(world.services)
        assert changed_tables(before, after) == [], template
        # The same post with the browser's own token: accepted, and it changes something.
        token = browser.cookies[CSRF_COOKIE]
        response = await browser.post(path, data={**data, "csrf_token": token})
        assert response.status_code in (200, 303), (template, response.text[:300])
        assert changed_tables(after, await snapshot(world.services)), template


async def test_a_signed_out_visitor_gets_no_token_free_pass(world: World) -> None:
    """The buttons a signed-out visitor may press (they send them to sign in) check the token
    first, too."""
    before = await snapshot(world.services)
    for path in ("/varro/follow/", "/varro/party-time/favorite/", "/signout/"):
        response = await world.stranger.post(path, data={"csrf_token": "B" * 43})
        assert response.status_code == 403, path
    assert changed_tables(before, await snapshot(world.services)) == []


async def test_the_api_ignores_the_sites_session_cookie(world: World) -> None:
    """A cross-site POST to the API carries the browser's cookies, never its token: the API
    reads tokens only, so the session cookie acts as nobody."""
    before = await snapshot(world.services)
    for path in ("/api/varro/follow/", "/api/varro/party-time/favorite/", "/api/upload/"):
        response = await world.victim.post(path, headers={"Origin": "https://evil.example"})
        assert 400 <= response.status_code < 500, (path, response.text[:300])
        assert response.json()["error"]["type"] == "OAuthException", response.text
    assert changed_tables(before, await snapshot(world.services)) == []


async def test_the_listen_beacon_refuses_a_foreign_origin(world: World) -> None:
    before = await snapshot(world.services)
    report = b'{"listener": "abcdefghijklmnop1234", "seconds": 60}'
    for origin in ("https://evil.example", "null", "http://testserver.evil.example"):
        response = await world.victim.post(
            "/varro/party-time/listens/", content=report, headers={"Origin": origin}
        )
        assert response.status_code == 403, response.text
        assert response.json()["error"]["type"] == "ForbiddenOrigin"
    assert changed_tables(before, await snapshot(world.services)) == []
    same_site = await world.victim.post(
        "/varro/party-time/listens/", content=report, headers={"Origin": "http://testserver"}
    )
    assert same_site.status_code != 403, same_site.text
