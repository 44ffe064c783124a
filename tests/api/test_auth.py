"""Access tokens on the API: how they are sent, what a missing, wrong or revoked token gets,
``/me/`` and its connections, the token extras, and https enforcement behind proxies."""

from __future__ import annotations

import httpx
import pytest

from mixcast.accounts.follows import follow_user
from mixcast.db.database import Query
from mixcast.oauth.tokens import revoke_app, token_owner
from mixcast.services import Services
from mixcast.settings import BaseURL
from mixcast.shows.engagement import FAVORITES, LISTEN_LATER, REPOSTS
from tests.conftest import api_get, assert_api_error, client_of
from tests.factories import T0, make_show, make_token, make_user

pytestmark = pytest.mark.anyio

REQUIRED = "An access_token is required to access this resource."
INVALID = "An invalid access token was provided."


@pytest.fixture
async def people(services: Services) -> dict[str, int]:
    return {
        "spartacus": await make_user(services, "spartacus", display_name="Spartacus"),
        "crixus": await make_user(services, "crixus"),
        "varro": await make_user(services, "varro"),
    }


def assert_oauth_error(response: httpx.Response, message: str) -> None:
    body = assert_api_error(response, status=400, type="OAuthException")
    assert body["error"]["message"] == message


# ------------------------------------------------------------------ /me/


@pytest.mark.parametrize("path", ["/me/", "/me", "/me/followers/", "/me/cloudcasts/"])
async def test_me_without_a_token_is_an_oauth_error_not_a_redirect(client, people, path):
    response = await api_get(client, path)
    assert "location" not in response.headers
    assert_oauth_error(response, REQUIRED)


@pytest.mark.parametrize("path", ["/me/", "/me"])
async def test_me_answers_200_with_the_user_and_is_current_user(client, services, people, path):
    token = await make_token(services, people["spartacus"])
    response = await api_get(client, path, access_token=token)
    assert response.status_code == 200
    me = response.json()
    assert me["username"] == "spartacus" and me["name"] == "Spartacus"
    assert me["is_current_user"] is True
    assert me["following"] is False and me["follower"] is False
    # the same object /spartacus/ gives, plus the extras
    public = (await api_get(client, "/spartacus/")).json()
    assert {k: v for k, v in me.items() if k in public} == public
    assert set(me) - set(public) == {"is_current_user", "following", "follower"}


async def test_a_bearer_header_works_like_the_query(client, services, people):
    token = await make_token(services, people["crixus"])
    response = await client.get("/api/me/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["username"] == "crixus"


async def test_me_connections_are_the_users_lists(client, services, people):
    async with services.db.transaction() as tx:
        await follow_user(tx, people["crixus"], people["spartacus"], T0)
        await follow_user(tx, people["spartacus"], people["crixus"], T0 + 1)
        await follow_user(tx, people["varro"], people["spartacus"], T0 + 2)
    token = await make_token(services, people["spartacus"])
    response = await api_get(client, "/me/followers/", access_token=token)
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Spartacus's followers"
    flags = {u["username"]: (u["following"], u["follower"]) for u in body["data"]}
    assert flags == {"varro": (False, True), "crixus": (True, True)}
    same = (await api_get(client, "/spartacus/followers/", access_token=token)).json()
    assert same["data"] == body["data"]
    assert body["paging"]["previous"].startswith("http://testserver/api/me/followers/?")


# ------------------------------------------------------------------ bad tokens


@pytest.mark.parametrize("token", ["nope", "x" * 300, "é"])
async def test_an_unknown_token_fails_everywhere(client, people, token):
    for path in ("/me/", "/spartacus/", "/popular/"):
        assert_oauth_error(await api_get(client, path, access_token=token), INVALID)
    response = await client.get("/api/me/", headers={"Authorization": "Bearer nope"})
    assert_oauth_error(response, INVALID)


async def test_a_revoked_token_fails(client, services, people):
    token = await make_token(services, people["spartacus"])
    assert (await api_get(client, "/me/", access_token=token)).status_code == 200
    async with services.db.reading() as conn:
        owner = await token_owner(conn, token)
    assert owner is not None
    async with services.db.transaction() as tx:
        assert await revoke_app(tx, people["spartacus"], owner.app_id, T0) == 1
    assert_oauth_error(await api_get(client, "/me/", access_token=token), INVALID)


async def test_tokens_are_stored_hashed(services, people):
    token = await make_token(services, people["spartacus"])
    rows = await services.db.fetch_all(Query("SELECT * FROM oauth_tokens"))
    assert len(rows) == 1
    assert token not in {str(rows[0][k]) for k in rows[0].keys()}  # noqa: SIM118


async def test_an_empty_token_counts_as_none(client, people):
    response = await api_get(client, "/spartacus/", access_token="")
    assert response.status_code == 200
    assert "following" not in response.json()


# ------------------------------------------------------------------ the token extras


async def test_user_extras(client, services, people):
    async with services.db.transaction() as tx:
        await follow_user(tx, people["spartacus"], people["crixus"], T0)
    token = await make_token(services, people["spartacus"])
    crixus = (await api_get(client, "/crixus/", access_token=token)).json()
    assert (crixus["following"], crixus["follower"], crixus["is_current_user"]) == (
        True, False, False,
    )  # fmt: skip
    varro = (await api_get(client, "/varro/", access_token=token)).json()
    assert (varro["following"], varro["follower"]) == (False, False)
    anonymous = (await api_get(client, "/crixus/")).json()
    assert not {"following", "follower", "is_current_user"} & set(anonymous)


async def test_show_extras_on_the_show_and_in_lists(client, services, people):
    sid, _ = await make_show(services, people["crixus"], "Arena Mix")
    other, _ = await make_show(services, people["crixus"], "Other Mix", now=T0 + 10)
    viewer = people["spartacus"]
    async with services.db.transaction() as tx:
        await FAVORITES.add(tx, viewer, sid, T0)
        await REPOSTS.add(tx, viewer, sid, T0)
        await LISTEN_LATER.add(tx, viewer, other, T0)
    token = await make_token(services, viewer)
    show = (await api_get(client, "/crixus/arena-mix/", access_token=token)).json()
    assert (show["favorited"], show["reposted"], show["listen_later"]) == (True, True, False)
    listed = (await api_get(client, "/crixus/cloudcasts/", access_token=token)).json()["data"]
    flags = {s["slug"]: (s["favorited"], s["reposted"], s["listen_later"]) for s in listed}
    assert flags == {"arena-mix": (True, True, False), "other-mix": (False, False, True)}
    anonymous = (await api_get(client, "/crixus/arena-mix/")).json()
    assert not {"favorited", "reposted", "listen_later"} & set(anonymous)
    found = await api_get(client, "/search/", q="arena", type="cloudcast", access_token=token)
    assert [s["favorited"] for s in found.json()["data"]] == [True]


# ------------------------------------------------------------------ https and proxies


async def _get_me(services: Services, token: str, client_ip: str, **headers: str) -> httpx.Response:
    async with client_of(services, client_ip) as client:
        return await client.get("/api/me/", params={"access_token": token}, headers=headers)


async def test_tokens_over_plain_http_are_refused_when_the_api_is_https(https_services, people):
    token = await make_token(https_services, people["spartacus"])
    response = await _get_me(https_services, token, "127.0.0.1")
    assert_oauth_error(response, "Access tokens are only accepted over https.")


async def test_a_trusted_proxy_says_https(https_services, people):
    token = await make_token(https_services, people["spartacus"])
    response = await _get_me(https_services, token, "127.0.0.1", **{"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response.json()["username"] == "spartacus"


async def test_an_untrusted_client_cannot_claim_https(https_services, people):
    token = await make_token(https_services, people["spartacus"])
    response = await _get_me(https_services, token, "203.0.113.9", **{"X-Forwarded-Proto": "https"})
    assert_oauth_error(response, "Access tokens are only accepted over https.")


async def test_plain_http_works_in_the_local_default(client, services, people):
    assert services.settings.api_url == BaseURL.parse("http://testserver/api")
    token = await make_token(services, people["spartacus"])
    assert (await api_get(client, "/me/", access_token=token)).status_code == 200
