"""Helpers that do what a person does in a browser: fetch a page (which sets the CSRF cookie),
then post its form with the token in it."""

from __future__ import annotations

import re
from typing import Any

import httpx

PASSWORD = "correct horse battery"
CSRF_COOKIE = "mixcast_csrf"
SESSION_COOKIE = "mixcast_session"


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The token this browser's forms carry (its CSRF cookie, set by any page)."""
    if CSRF_COOKIE not in client.cookies:
        page = await client.get("/signin/")
        assert page.status_code in (200, 303), page.text
    return client.cookies[CSRF_COOKIE]


async def post_form(
    client: httpx.AsyncClient,
    path: str,
    data: dict[str, str] | None = None,
    files: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    fields = {**(data or {}), "csrf_token": await csrf_token(client)}
    return await client.post(path, data=fields, files=files, headers=headers)


async def sign_up(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, next: str = ""
) -> httpx.Response:
    data = {"username": username, "email": f"{username}@example.com", "password": password}
    if next:
        data["next"] = next
    response = await post_form(client, "/signup/", data)
    assert response.status_code == 303, response.text
    return response


async def sign_in(
    client: httpx.AsyncClient, login: str, password: str = PASSWORD, next: str = ""
) -> httpx.Response:
    data = {"login": login, "password": password}
    if next:
        data["next"] = next
    return await post_form(client, "/signin/", data)


async def create_app(
    client: httpx.AsyncClient, name: str = "Ludus", redirect_uris: str = "https://app.example/cb"
) -> dict[str, str]:
    """Create an app on /developers/apps/: its client_id and client_secret as the page shows
    them (under ``client_id`` and ``client_secret``), and the page itself (``page``)."""
    response = await post_form(
        client,
        "/developers/apps/",
        {"name": name, "description": "", "redirect_uris": redirect_uris},
    )
    assert response.status_code == 200, response.text
    shown = {"page": response.text}
    for key in ("client_id", "client_secret"):
        found = re.search(rf'id="{key.replace("_", "-")}" class="secret">([^<]+)<', response.text)
        assert found, response.text
        shown[key] = found.group(1)
    return shown
