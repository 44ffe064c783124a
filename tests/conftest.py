"""Test fixtures: a real database per test (SQLite by default, PostgreSQL when
``MIXCAST_TEST_DATABASE_URL`` is set), the app served in-process, and helpers that read like the
API's documentation (``api_get``, ``assert_api_error``, ``make_user``, ``make_show``).

SQLite: the schema is migrated once per run into a template file, copied for each test.
PostgreSQL: migrated once per run into the given database, every table truncated per test.
Async tests run on asyncio through anyio's plugin: a module of them says
``pytestmark = pytest.mark.anyio``.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from mixcast.app import MixcastApp
from mixcast.db.database import Query
from mixcast.db.migrate import upgrade
from mixcast.db.schema import metadata
from mixcast.db.urls import DatabaseURL
from mixcast.services import Services, open_services
from mixcast.settings import BaseURL, Settings
from tests.s3server import S3Server, s3_server

PG_URL = os.environ.get("MIXCAST_TEST_DATABASE_URL", "")
BACKEND = "postgresql" if PG_URL else "sqlite"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: every database and service test must really run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") == "true" and skipped and exitstatus == 0:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; skips fail the run in CI")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_report_header() -> str:
    return f"mixcast test database: {BACKEND}"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database: a SQLite template file, or the PostgreSQL test database."""
    if PG_URL:
        upgrade(DatabaseURL.parse(PG_URL))
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(DatabaseURL.parse(f"sqlite:///{path}"))
    return f"sqlite:///{path}"


@pytest.fixture
def database_url(template_db: str, tmp_path: Path) -> str:
    if PG_URL:
        return PG_URL
    path = tmp_path / "test.db"
    shutil.copyfile(DatabaseURL.parse(template_db).sqlite_path, path)
    return f"sqlite:///{path}"


# The rate limiters run in every test, with room for the suite's own traffic from one
# address; tests of the limits themselves set low ones (``make_settings(..., limits=...)``).
ROOMY_LIMITS = {kind: "1000000/minute" for kind in ("read", "write", "upload", "oauth")}


def make_settings(
    database_url: str,
    data_dir: Path,
    media: Path,
    limits: dict[str, str] | None = None,
    **urls: str,
) -> Settings:
    return Settings(
        site_url=BaseURL.parse(urls.get("site", "http://testserver")),
        api_url=BaseURL.parse(urls.get("api", "http://testserver/api")),
        data_dir=data_dir,
        database_url=database_url,
        storage_url=f"file://{media}",
        rate_limits={**ROOMY_LIMITS, **(limits or {})},
    )


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One real S3-compatible server (SeaweedFS) per run, started by the first test that asks."""
    with s3_server(tmp_path_factory.mktemp("s3")) as server:
        yield server


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One storage folder per run: the default pictures are made once, and stored pictures
    have random ids, so tests never see each other's files."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture
def settings(database_url: str, tmp_path: Path, media_dir: Path) -> Settings:
    return make_settings(database_url, tmp_path, media_dir)


# Emptying the PostgreSQL database before each test: DELETE, children first, then the id
# sequences back to 1. TRUNCATE did the same in 99 ms a test (a fixed cost per table); these
# take about 4 ms on the few rows a test leaves. The search tables follow by ON DELETE CASCADE.
_EMPTY = [Query(f"DELETE FROM {t.name}") for t in reversed(metadata.sorted_tables)]
_RESTART_IDS = [
    Query(f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), 1, false)")
    for t in metadata.sorted_tables
    if "id" in t.c and t.c.id.autoincrement is True
]


async def empty_database(services: Services) -> None:
    """Every table of the PostgreSQL test database emptied, ids starting at 1 again."""
    async with services.db.transaction() as tx:
        for query in (*_EMPTY, *_RESTART_IDS):
            await tx.execute(query)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = await open_services(settings)
    if PG_URL:
        await empty_database(services)
    try:
        yield services
    finally:
        await services.close()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = MixcastApp(services.settings, services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def https_services(
    database_url: str, tmp_path: Path, media_dir: Path, services: Services
) -> AsyncIterator[Services]:
    """The test's database (``services`` emptied it) served as an https site and API."""
    settings = make_settings(
        database_url, tmp_path, media_dir, site="https://testserver", api="https://testserver/api"
    )
    https = await open_services(settings)
    try:
        yield https
    finally:
        await https.close()


@pytest.fixture
async def s3_services(
    database_url: str, tmp_path: Path, media_dir: Path, services: Services, s3: S3Server
) -> AsyncIterator[Services]:
    """The test's database (``services`` emptied it) with its files in a fresh bucket of the
    run's SeaweedFS."""
    settings = make_settings(database_url, tmp_path, media_dir)
    bucket = "test-" + secrets.token_hex(4)
    opened = await open_services(replace(settings, storage_url=s3.url(bucket)))
    try:
        yield opened
    finally:
        await opened.close()


# ------------------------------------------------------------------ helpers


def client_of(
    services: Services, client_ip: str = "127.0.0.1", base_url: str = "http://testserver"
) -> httpx.AsyncClient:
    """A client of the app on ``services``, connecting from ``client_ip`` (``async with`` it)."""
    transport = httpx.ASGITransport(
        app=MixcastApp(services.settings, services), client=(client_ip, 50000)
    )
    return httpx.AsyncClient(transport=transport, base_url=base_url)


async def api_get(client: httpx.AsyncClient, path: str, **params: Any) -> httpx.Response:
    """GET an API path (``/spartacus/``) under the API prefix."""
    return await client.get("/api" + path, params=params or None)


def assert_api_error(response: httpx.Response, *, status: int, type: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["type"] == type, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body
