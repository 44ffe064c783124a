"""Fixtures for the site's pages: more browsers (httpx clients with their own cookie jars, from
their own addresses) on the same app, and a visitor already signed up and signed in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import httpx
import pytest

from mixcast.accounts.passwords import hash_password
from mixcast.app import MixcastApp
from mixcast.services import Services
from tests.factories import make_user
from tests.web.helpers import PASSWORD, sign_in, sign_up

NewClient = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def new_client(services: Services) -> AsyncIterator[NewClient]:
    """``await new_client(ip="10.0.0.2")``: another browser on the same site (and database);
    ``signin_limit="3/minute"`` serves it from an app with that sign-in limit instead."""
    clients: list[httpx.AsyncClient] = []

    async def make(ip: str = "127.0.0.1", signin_limit: str = "") -> httpx.AsyncClient:
        served = services
        if signin_limit:
            settings = replace(services.settings, signin_limit=signin_limit)
            served = replace(services, settings=settings)
        transport = httpx.ASGITransport(app=MixcastApp(served.settings, served), client=(ip, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def member(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """``client``, signed up and signed in as spartacus."""
    await sign_up(client, "spartacus")
    return client


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def browser(
    services: Services, new_client: NewClient, password_hash: str
) -> Callable[..., Awaitable[httpx.AsyncClient]]:
    """``await browser("spartacus", is_pro=True)``: a new user, signed in in a new browser."""

    async def make(username: str, **fields: object) -> httpx.AsyncClient:
        await make_user(services, username, password_hash=password_hash, **fields)
        client = await new_client()
        response = await sign_in(client, username)
        assert response.status_code == 303, response.text
        return client

    return make
