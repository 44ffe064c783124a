"""One app, two public base URLs (wire-format.md §1): the site and the API on separate hosts,
or on one host under path prefixes. Requests reach the right half, object ``url``s use the
site's base, and links built from a request keep its scheme, host and prefix."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from mixcast.app import MixcastApp
from mixcast.services import Services
from mixcast.settings import BaseURL
from tests.api.readonly import readonly_services
from tests.factories import make_show, make_user

pytestmark = pytest.mark.anyio


async def seed(services: Services) -> None:
    uid = await make_user(services, "spartacus", city="London")
    await make_show(services, uid, "Party Time", tags=["Funk"])


@pytest.fixture(scope="module")
async def readonly(
    template_db: str, media_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Services]:
    """Every test here only reads: one seeded database for the module."""
    data_dir = tmp_path_factory.mktemp("hosts")
    async with readonly_services(template_db, media_dir, data_dir, seed) as services:
        yield services


@asynccontextmanager
async def app_client(services: Services, site: str, api: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the seeded database and storage, with other base URLs."""
    settings = dataclasses.replace(
        services.settings, site_url=BaseURL.parse(site), api_url=BaseURL.parse(api)
    )
    app = MixcastApp(settings, dataclasses.replace(services, settings=settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=api) as client:
        yield client


@pytest.fixture
async def hosts(readonly: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(readonly, "https://www.example.com", "https://api.example.com") as c:
        yield c


@pytest.fixture
async def prefixes(readonly: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(readonly, "http://example.com/site", "http://example.com/v1") as c:
        yield c


# ------------------------------------------------------------------ separate hosts


async def test_the_api_host_serves_the_api_at_the_root(hosts):
    response = await hosts.get("https://api.example.com/spartacus/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["key"] == "/spartacus/"
    assert body["url"] == "https://www.example.com/spartacus/"


async def test_the_site_host_serves_the_site(hosts):
    page = await hosts.get("https://www.example.com/developers/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "https://api.example.com" in page.text
    not_api = await hosts.get("https://www.example.com/spartacus/")
    assert not not_api.headers["content-type"].startswith("application/json")


async def test_the_api_host_does_not_serve_site_pages(hosts):
    response = await hosts.get("https://api.example.com/developers/")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "ResourceNotFoundException"


async def test_the_host_header_is_matched_without_case(hosts):
    response = await hosts.get(
        "https://api.example.com/spartacus/", headers={"Host": "API.Example.COM"}
    )
    assert response.status_code == 200
    assert response.json()["key"] == "/spartacus/"


async def test_object_urls_use_the_site_and_connections_the_request(hosts):
    for scheme in ("https", "http"):
        show = (
            await hosts.get(
                f"{scheme}://api.example.com/spartacus/party-time/", params={"metadata": 1}
            )
        ).json()
        assert show["url"] == "https://www.example.com/spartacus/party-time/"
        assert show["user"]["url"] == "https://www.example.com/spartacus/"
        assert show["tags"][0]["url"] == "https://www.example.com/genres/funk/"
        for name, url in show["metadata"]["connections"].items():
            assert url == f"{scheme}://api.example.com/spartacus/party-time/{name}/"


async def test_pictures_are_on_the_site_host_and_served_there(hosts):
    user = (await hosts.get("https://api.example.com/spartacus/")).json()
    url = user["pictures"]["small"]
    assert url.startswith("https://www.example.com/media/pictures/")
    response = await hosts.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"


async def test_slash_redirect_on_the_api_host(hosts):
    response = await hosts.get("https://api.example.com/spartacus?metadata=1")
    assert response.status_code == 301
    assert response.headers["location"] == "/spartacus/?metadata=1"


async def test_openapi_names_the_api_host(hosts):
    doc = (await hosts.get("https://www.example.com/developers/openapi.json")).json()
    assert doc["servers"] == [{"url": "https://api.example.com"}]


# ------------------------------------------------------------------ path prefixes


async def test_the_api_prefix_reaches_the_api(prefixes):
    response = await prefixes.get("http://example.com/v1/spartacus/", params={"metadata": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["url"] == "http://example.com/site/spartacus/"
    for name, url in body["metadata"]["connections"].items():
        assert url == f"http://example.com/v1/spartacus/{name}/"


async def test_the_site_prefix_reaches_the_site(prefixes):
    page = await prefixes.get("http://example.com/site/developers/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "http://example.com/site/developers/openapi.json" in page.text
    doc = await prefixes.get("http://example.com/site/developers/openapi.json")
    assert doc.status_code == 200
    assert doc.json()["servers"] == [{"url": "http://example.com/v1"}]


async def test_tag_links_keep_both_prefixes(prefixes):
    tag = (
        await prefixes.get("http://example.com/v1/tag/funk+city:london/", params={"metadata": 1})
    ).json()
    assert tag["url"] == "http://example.com/site/genres/funk+city:london/"
    assert tag["metadata"]["connections"]["popular"] == (
        "http://example.com/v1/genres/funk+city:london/popular/"
    )


async def test_pictures_keep_the_site_prefix_and_are_served_there(prefixes):
    show = (await prefixes.get("http://example.com/v1/spartacus/party-time/")).json()
    for url in (show["pictures"]["large"], show["user"]["pictures"]["large"]):
        assert url.startswith("http://example.com/site/media/pictures/")
        response = await prefixes.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"


async def test_slash_redirect_keeps_the_api_prefix(prefixes):
    response = await prefixes.get("http://example.com/v1/spartacus/party-time?metadata=1")
    assert response.status_code == 301
    assert response.headers["location"] == "/v1/spartacus/party-time/?metadata=1"
    followed = await prefixes.get(
        "http://example.com/v1/spartacus/party-time?metadata=1", follow_redirects=True
    )
    assert followed.status_code == 200
    assert urlsplit(str(followed.url)).path == "/v1/spartacus/party-time/"


async def test_paths_outside_both_prefixes_are_not_served(prefixes):
    """Neither base covers them: no object and no page at an address nobody configured."""
    served = []
    for path in ("/spartacus/", "/genres/funk/", "/developers/", "/v1x/spartacus/",
                 "/sitex/developers/"):  # fmt: skip
        response = await prefixes.get("http://example.com" + path)
        if response.status_code != 404:
            served.append((path, response.status_code))
    assert served == []


async def test_a_host_header_with_the_default_port_is_the_same_host(hosts):
    response = await hosts.get("/spartacus/", headers={"Host": "api.example.com:443"})
    assert response.status_code == 200
    assert response.json()["username"] == "spartacus"
    other_port = await hosts.get("/spartacus/", headers={"Host": "api.example.com:8443"})
    # Another port is another host: the site answers (its profile page), not the API.
    assert other_port.headers["content-type"].startswith("text/html")
