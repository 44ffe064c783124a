"""One seeded database for a whole module of read-only tests.

The ``services`` fixture gives every test a fresh database, which on PostgreSQL means
emptying every table. Modules whose tests only read
seed once instead: ``readonly_services`` opens the test database the way the conftest fixtures
do (a copy of the migrated SQLite template, or the PostgreSQL test database emptied first),
runs ``seed`` and yields the services. Tests using it must not write.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from mixcast.app import MixcastApp
from mixcast.db.urls import DatabaseURL
from mixcast.services import Services, open_services
from tests.conftest import PG_URL, empty_database, make_settings


@asynccontextmanager
async def readonly_services(
    template_db: str,
    media_dir: Path,
    data_dir: Path,
    seed: Callable[[Services], Awaitable[None]],
) -> AsyncIterator[Services]:
    if PG_URL:
        url = PG_URL
    else:
        path = data_dir / "readonly.db"
        shutil.copyfile(DatabaseURL.parse(template_db).sqlite_path, path)
        url = f"sqlite:///{path}"
    services = await open_services(make_settings(url, data_dir, media_dir))
    try:
        if PG_URL:
            await empty_database(services)
        await seed(services)
        yield services
    finally:
        await services.close()


@asynccontextmanager
async def client_for(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """The app on ``services``, like the conftest ``client`` fixture."""
    transport = httpx.ASGITransport(app=MixcastApp(services.settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
