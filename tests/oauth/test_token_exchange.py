"""``/oauth/access_token``: codes for tokens, and every way an exchange is refused.

Codes are made the way the consent page makes them (``check_authorize`` + ``grant_code``);
the exchange goes over HTTP to the site, as a client does it.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from mixcast.db.database import Query
from mixcast.oauth.grants import check_authorize, grant_code, s256
from mixcast.services import Services
from tests.conftest import api_get
from tests.factories import T0, make_app, make_user

pytestmark = pytest.mark.anyio

REDIRECT = "https://app.example/callback"


@pytest.fixture
async def setup(services: Services) -> dict[str, Any]:
    owner = await make_user(services, "appmaker")
    user = await make_user(services, "spartacus")
    new = await make_app(services, owner, redirect_uris=(REDIRECT, "https://app.example/other"))
    return {"user": user, "app": new.app, "secret": new.client_secret}


async def make_code(services: Services, setup: dict[str, Any], **params: str) -> str:
    from mixcast.clock import now_us

    query = {"client_id": setup["app"].client_id, "redirect_uri": REDIRECT, **params}
    query = {k: v for k, v in query.items() if v}
    async with services.db.transaction() as tx:
        request = await check_authorize(tx, query)
        assert request.error is None, request.error_description
        return await grant_code(tx, request, setup["user"], now_us())


def exchange_params(setup: dict[str, Any], code: str, **overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "client_id": setup["app"].client_id,
        "client_secret": setup["secret"],
        "redirect_uri": REDIRECT,
        "code": code,
        **overrides,
    }
    return {k: v for k, v in params.items() if v is not None}


def assert_token(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) <= {"access_token", "token_type"} and "access_token" in body
    token: str = body["access_token"]
    assert len(token) >= 32
    return token


def assert_refused(response: httpx.Response, error: str) -> str:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error  # a string: aiomixcloud uses it as the exception's message
    assert isinstance(body["error_description"], str) and body["error_description"]
    return body["error_description"]


async def me(client: httpx.AsyncClient, token: str) -> int:
    return (await api_get(client, "/me/", access_token=token)).status_code


async def test_exchange_by_get_as_the_docs_show(client, services, setup):
    code = await make_code(services, setup, state="xyz")
    token = assert_token(
        await client.get("/oauth/access_token", params=exchange_params(setup, code))
    )
    response = await api_get(client, "/me/", access_token=token)
    assert response.status_code == 200 and response.json()["username"] == "spartacus"


async def test_exchange_by_post_form_with_grant_type(client, services, setup):
    code = await make_code(services, setup)
    form = exchange_params(setup, code, grant_type="authorization_code")
    token = assert_token(await client.post("/oauth/access_token", data=form))
    assert await me(client, token) == 200


async def test_a_code_is_single_use_and_a_replay_revokes_its_token(client, services, setup):
    code = await make_code(services, setup)
    params = exchange_params(setup, code)
    token = assert_token(await client.get("/oauth/access_token", params=params))
    assert await me(client, token) == 200
    description = assert_refused(
        await client.get("/oauth/access_token", params=params), "invalid_grant"
    )
    assert "used" in description
    assert await me(client, token) == 400  # revoked by the replay


async def test_wrong_client_secret(client, services, setup):
    code = await make_code(services, setup)
    params = exchange_params(setup, code, client_secret="wrong")
    assert_refused(await client.get("/oauth/access_token", params=params), "invalid_client")
    # the code was not spent by the failed attempt: the real client still gets its token
    assert_token(await client.get("/oauth/access_token", params=exchange_params(setup, code)))


async def test_missing_client_secret_without_pkce(client, services, setup):
    code = await make_code(services, setup)
    params = exchange_params(setup, code, client_secret=None)
    assert_refused(await client.get("/oauth/access_token", params=params), "invalid_client")


@pytest.mark.parametrize(
    "redirect", ["https://app.example/other", "https://app.example/callback/", None]
)
async def test_wrong_redirect_uri(client, services, setup, redirect):
    code = await make_code(services, setup)
    params = exchange_params(setup, code, redirect_uri=redirect)
    assert_refused(await client.get("/oauth/access_token", params=params), "invalid_grant")


async def test_a_code_given_without_redirect_uri_is_exchanged_without_one(client, services, setup):
    code = await make_code(services, setup, redirect_uri="")
    params = exchange_params(setup, code, redirect_uri=None)
    assert_token(await client.get("/oauth/access_token", params=params))


async def test_an_expired_code(client, services, setup):
    code = await make_code(services, setup)
    async with services.db.transaction() as tx:  # eleven minutes later
        await tx.execute(Query("UPDATE oauth_codes SET expires_at = expires_at - 660000000"))
    params = exchange_params(setup, code)
    description = assert_refused(
        await client.get("/oauth/access_token", params=params), "invalid_grant"
    )
    assert "expired" in description


async def test_a_code_of_another_app(client, services, setup):
    other = await make_app(services, setup["user"], "Other", (REDIRECT,))
    code = await make_code(services, setup)
    params = exchange_params(
        setup, code, client_id=other.app.client_id, client_secret=other.client_secret
    )
    assert_refused(await client.get("/oauth/access_token", params=params), "invalid_grant")


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"code": "made-up"}, "invalid_grant"),
        ({"code": None}, "invalid_request"),
        ({"client_id": "nobody"}, "invalid_client"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
    ],
)
async def test_malformed_requests(client, services, setup, params, error):
    code = await make_code(services, setup)
    query = {**exchange_params(setup, code), **params}
    query = {k: v for k, v in query.items() if v is not None}
    assert_refused(await client.get("/oauth/access_token", params=query), error)


async def test_nothing_at_all(client, setup):
    assert_refused(await client.get("/oauth/access_token"), "invalid_client")
    assert_refused(await client.post("/oauth/access_token"), "invalid_client")


# ------------------------------------------------------------------ PKCE


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


async def test_pkce_with_the_right_verifier_needs_no_secret(client, services, setup):
    verifier, challenge = pkce_pair()
    code = await make_code(services, setup, code_challenge=challenge, code_challenge_method="S256")
    params = exchange_params(setup, code, client_secret=None, code_verifier=verifier)
    assert (
        await me(client, assert_token(await client.post("/oauth/access_token", data=params))) == 200
    )


async def test_pkce_with_the_secret_too(client, services, setup):
    verifier, challenge = pkce_pair()
    code = await make_code(services, setup, code_challenge=challenge, code_challenge_method="S256")
    params = exchange_params(setup, code, code_verifier=verifier)
    assert_token(await client.post("/oauth/access_token", data=params))


@pytest.mark.parametrize("verifier", ["wrong-" + "v" * 50, None, "short"])
async def test_pkce_mismatch(client, services, setup, verifier):
    _, challenge = pkce_pair()
    code = await make_code(services, setup, code_challenge=challenge, code_challenge_method="S256")
    params = exchange_params(setup, code, client_secret=None, code_verifier=verifier)
    assert_refused(await client.post("/oauth/access_token", data=params), "invalid_grant")


async def test_a_verifier_for_a_code_without_a_challenge(client, services, setup):
    code = await make_code(services, setup)
    params = exchange_params(setup, code, code_verifier=pkce_pair()[0])
    assert_refused(await client.post("/oauth/access_token", data=params), "invalid_grant")


@pytest.mark.parametrize(
    "params",
    [
        {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
        {"code_challenge": "x" * 43},
        {"code_challenge": "too-short", "code_challenge_method": "S256"},
        {"code_challenge_method": "S256"},
        {"response_type": "token"},
    ],
)
async def test_authorize_requests_that_are_sent_back_with_an_error(services, setup, params):
    query = {"client_id": setup["app"].client_id, "redirect_uri": REDIRECT, **params}
    async with services.db.reading() as conn:
        request = await check_authorize(conn, query)
    assert request.error in ("invalid_request", "unsupported_response_type")


async def test_codes_are_stored_hashed(services, setup):
    code = await make_code(services, setup)
    rows = await services.db.fetch_all(Query("SELECT code_hash FROM oauth_codes"))
    assert [r["code_hash"] for r in rows] != [code] and code not in rows[0]["code_hash"]
    assert T0 > 0
